"""The team and research statements on DuckDB or on Spark, over one Parquet
dataset (team/dataset.py: ``<root>/<table>/*.parquet``, each table a view).

One source of truth: the named statements of team/*.sql, written in DuckDB's
dialect. DuckDB runs them as they are, with their ``$params`` bound by the
driver. Spark runs ``sqlglot``'s translation of the same text, the
``$params`` replaced by literal expressions built from the values (never
formatted into the text). Where a statement cannot be written in a subset
both engines run identically, a Spark variant sits beside it in the same
file, named ``<name>_spark`` (Spark's dialect, the same ``$params``), and is
used instead. sqlglot is not trusted: tests/test_spark_parity.py runs every
statement on both engines and compares the results row for row, so a
translation that silently changes a result fails there.

Spark: one local session per process (``local[2]``, UI off, UTC, few shuffle
partitions), made on first use; :func:`spark_session` takes a master URL or
a Spark Connect ``sc://`` address for a real cluster (docs/spark.md). Each
:class:`Spark` engine reads its dataset in a session of its own, so two
datasets' views never mix.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import threading
from decimal import Decimal
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from . import dataset, draw, ledger

SPARK_SUFFIX = "_spark"
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "1000000",
}
_SESSION = None
_SESSION_LOCK = threading.Lock()


def statements() -> dict:
    """Every named statement of team/*.sql, Spark variants included (store.catalog.Statement by name)."""
    return ledger.named()


def literal(name: str, value) -> exp.Expression:
    """``value`` as a SQL literal expression: text, whole numbers, finite floats (as DOUBLE), booleans,
    dates, NULL and lists of those. Anything else is a ValueError naming the parameter."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"${name}: {value!r} is not a finite number")
        return exp.cast(exp.Literal.number(repr(value)), "DOUBLE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        raise ValueError(f"${name}: {value!r} is a timestamp; the statements take dates")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"${name}: an empty list (Spark cannot type it; ask for at least one value)")
        return exp.Array(expressions=[literal(name, v) for v in value])
    raise ValueError(f"${name}: {type(value).__name__} {value!r} cannot be a parameter")


def spark_sql(name: str, params: dict, named: dict | None = None) -> str:
    """The Spark SQL of statement ``name`` with ``params`` bound as literals: its ``_spark`` variant if it
    has one, else sqlglot's translation of the DuckDB text. Raises ValueError for a missing, unknown or
    unbindable parameter, KeyError for an unknown statement. ``named``: the statements to take it from
    (team/*.sql's by default)."""
    named = named if named is not None else statements()
    variant = named.get(name + SPARK_SUFFIX)
    statement = variant or named[name]
    bound = statement.bind(params)
    tree = sqlglot.parse_one(statement.sql, read="spark" if variant else "duckdb")

    def bind(node):
        if isinstance(node, (exp.Placeholder, exp.Parameter)) and node.name in bound:
            return literal(node.name, bound[node.name])
        return node

    return tree.transform(bind).sql(dialect="spark")


def _plain(value):
    """A result value as Python compares it: Spark's Decimal as float, Rows and lists as tuples."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


class DuckDB:
    """The dataset's tables as views of an in-memory DuckDB; statements run as written."""

    name = "duckdb"

    def __init__(self, root: Path, threads: int | None = None, named: dict | None = None):
        self.named = named if named is not None else statements()
        self.con = duckdb.connect(config={"threads": threads} if threads else {})
        self.con.execute("SET enable_progress_bar = false")
        for table, folder in dataset.tables(root).items():
            self.con.read_parquet(str(folder / "*.parquet")).create_view(table)

    def rows(self, name: str, **params) -> list[tuple]:
        statement = self.named[name]
        return [_plain(r) for r in self.con.execute(statement.sql, statement.bind(params)).fetchall()]

    def close(self) -> None:
        self.con.close()


def spark_session(master: str | None = "local[2]", conf: dict | None = None):
    """This process's Spark session, made on first call (about 15-20 s locally), with ``conf``.

    ``master``: ``local[N]`` (with LOCAL_CONF: UI off, loopback only, 4 shuffle partitions), a cluster's
    master URL (``spark://host:7077``, ``yarn``, ``k8s://...``), a Spark Connect address
    (``sc://host:15002``), or None under spark-submit (which sets the master and the settings). The session
    time zone is UTC in every case (dates are local days already; nothing may shift them). Raises
    RuntimeError when a local session is asked for and Java is missing (pyspark's own error is a trace)."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is not None:
            return _SESSION
        from pyspark.sql import SparkSession  # lazy: pyspark and its JVM only where Spark is used

        builder = SparkSession.builder.appName("workprint")
        settings = {"spark.sql.session.timeZone": "UTC"}
        if master and master.startswith("sc://"):
            builder = builder.remote(master)
        elif master:
            if master.startswith("local") and shutil.which("java") is None:
                raise RuntimeError("Spark needs Java 17 on PATH: apt-get install openjdk-17-jre-headless")
            builder = builder.master(master)
            settings = LOCAL_CONF if master.startswith("local") else settings
        for key, value in {**settings, **(conf or {})}.items():
            builder = builder.config(key, value)
        _SESSION = builder.getOrCreate()
        if master and master.startswith("local"):
            _SESSION.sparkContext.setLogLevel("ERROR")
        return _SESSION


def stop_spark() -> None:
    """Stop this process's Spark session (the next spark_session makes a new one)."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is not None:
            _SESSION.stop()
            _SESSION = None


class Spark:
    """The dataset's tables as temporary views of a Spark session of their own; statements translated."""

    name = "spark"

    def __init__(self, root: Path | str, session=None, named: dict | None = None, tables: list[str] | None = None):
        """``root``: a local folder, or an object store's URI (``s3a://bucket/path``, ``gs://...``), which
        Spark reads and this process cannot list: then ``tables`` names the tables to register."""
        self.named = named if named is not None else statements()
        base = session or spark_session()
        try:
            self.session = base.newSession()
        except Exception:  # Spark Connect has one session per client; its views are its own already  # noqa: BLE001
            self.session = base
        if tables is None and "://" in str(root):
            raise ValueError(f"{root}: name the tables to read from an object store (tables=[...])")
        found = {t: f"{str(root).rstrip('/')}/{dataset.check_table(t)}" for t in tables} if tables is not None \
            else {t: str(folder) for t, folder in dataset.tables(root).items()}
        for table, folder in found.items():
            self.session.read.parquet(folder).createOrReplaceTempView(table)

    def rows(self, name: str, **params) -> list[tuple]:
        return [tuple(_plain(v) for v in r) for r in self.session.sql(spark_sql(name, params, self.named)).collect()]

    def close(self) -> None:
        for table in self.session.catalog.listTables():
            if table.isTemporary:
                self.session.catalog.dropTempView(table.name)


def team_cells(engine, measure: str, teams: list[str], weeks: list[dt.date], k: int) -> list[tuple]:
    """What the draw of ``measure`` takes for these team-weeks, on ``engine``: each team-week's full vector
    of exact cells (team, week, idx, category, total, denom, contributors; team/draw.py) and whether a
    viewer sees the cell, the k rule of team/shape.py (contributors >= k)."""
    name, params = draw.contribution_query(measure, teams, weeks)
    grouped: dict[tuple, list[tuple]] = {}
    for row in engine.rows(name, **params):
        grouped.setdefault((row[0], row[1]), []).append(row)
    return [(*cell, cell[6] >= k) for _, found in sorted(grouped.items()) for cell in draw.vector_of(measure, found)]
