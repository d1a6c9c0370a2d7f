"""What the SQL sandbox lets a researcher's query do, decided on its parse tree
(sqlglot, DuckDB dialect) before anything runs; team/sandbox.py runs it.

Allowed: one SELECT over the study's tables (unqualified names), joins
between them, WHERE / GROUP BY / HAVING / ORDER BY / LIMIT, and the functions
and expression kinds listed here; nothing else. Refused, with a message that
names what and why: every other statement, subqueries and CTEs (the k rule
counts persons at the top level, where a subquery's rows cannot be counted:
aggregate at the top with GROUP BY instead), set operations, table functions,
other or qualified tables, functions not listed (files, network, settings),
aggregates that return one person's value (min, max, list, first, ...),
window functions, parameters, and ``person`` used other than grouped by,
counted, selected as a group key or joined on (a.person = b.person): a
pseudonym compared with a text would let a query single one person out.

The checked query is returned as a rewritten tree: table names lower-cased,
comments dropped, and one more column, :data:`RESERVED`, the distinct persons
the row covers (the least over every table instance read), for the k rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

RESERVED = "__workprint_persons"  # the k column; a researcher's identifier may not start with "__workprint"
MAX_CHARS = 20_000
KEY_COLUMNS = {"day", "week", "weekday"}  # a WHERE on these alone scopes whose rows were read

_AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Median, exp.PercentileCont, exp.ApproxQuantile, exp.Stddev,
               exp.StddevSamp, exp.StddevPop, exp.Variance, exp.VariancePop, exp.Corr, exp.CovarSamp, exp.CovarPop,
               exp.CountIf, exp.LogicalOr, exp.LogicalAnd, exp.ApproxDistinct, exp.Kurtosis, exp.Skewness)
_SCALARS = (exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Ln, exp.Log, exp.Exp, exp.Sqrt, exp.Cbrt, exp.Pow, exp.Sign,
            exp.Greatest, exp.Least, exp.Coalesce, exp.Nullif, exp.If, exp.Case, exp.Cast, exp.TryCast, exp.Extract,
            exp.TimestampTrunc, exp.DateTrunc, exp.DateDiff, exp.DateAdd, exp.DateSub, exp.DayOfWeek, exp.DayOfWeekIso,
            exp.DayOfMonth, exp.DayOfYear, exp.Month, exp.Year, exp.Week, exp.WeekOfYear, exp.Quarter, exp.Dayname,
            exp.Monthname, exp.TimeToStr, exp.Lower, exp.Upper, exp.Length, exp.Concat, exp.Substring, exp.Trim,
            exp.Replace, exp.StartsWith, exp.Contains, exp.Left, exp.Right, exp.LastDay, exp.Mod, exp.CurrentDate)
_ANONYMOUS = {"date_part", "datepart", "isoyear", "yearweek"}  # DuckDB functions sqlglot has no class for
# Expression kinds that are neither functions nor checked one by one below.
_NODES = (exp.Select, exp.From, exp.Join, exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit,
          exp.Offset, exp.Column, exp.Identifier, exp.Table, exp.TableAlias, exp.Alias, exp.Literal, exp.Paren,
          exp.Boolean, exp.Null, exp.Neg, exp.Not, exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
          exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.DPipe, exp.Is, exp.In, exp.Between, exp.Like, exp.ILike,
          exp.NullSafeEQ, exp.NullSafeNEQ, exp.DataType, exp.DataTypeParam, exp.Interval, exp.Var, exp.Filter,
          exp.Distinct, exp.Star)
_ONE_VALUE = (exp.Min, exp.Max, exp.ArrayAgg, exp.GroupConcat, exp.First, exp.Last, exp.AnyValue, exp.ArgMax,
              exp.ArgMin, exp.Mode, exp.PercentileDisc, exp.Quantile)
_ONE_VALUE_NAMES = {"list", "histogram", "arbitrary", "approx_top_k", "reservoir_quantile", "bitstring_agg",
                    "list_agg", "array_agg", "string_agg", "max_by", "min_by", "quantile_disc", "mode", "first", "last"}
_SPELLINGS = {"array_agg": "list/array_agg", "group_concat": "string_agg", "arg_max": "arg_max/max_by",
              "arg_min": "arg_min/min_by", "percentile_disc": "quantile_disc",
              "generate_series": "range/generate_series"}  # how DuckDB users write them
_FILE_NAMES = ("read_", "glob", "parquet_", "sniff_csv", "sqlite_", "postgres_", "mysql_", "iceberg_", "delta_", "st_")
_SERVER_NAMES = ("getenv", "current_setting", "duckdb_", "pragma_", "version", "which_secret", "query", "load_")
_UNPARSED = {"EXPORT", "IMPORT", "ATTACH", "DETACH", "COPY", "INSTALL", "LOAD", "PRAGMA", "SET", "RESET", "CALL",
             "CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE", "CHECKPOINT", "VACUUM", "USE", "PREPARE",
             "EXECUTE", "DEALLOCATE", "BEGIN", "COMMIT", "ROLLBACK", "ANALYZE", "EXPLAIN", "UPSERT", "TRUNCATE"}
_STATEMENT_WHY = {
    exp.Insert: "it changes data", exp.Update: "it changes data", exp.Delete: "it changes data",
    exp.Merge: "it changes data", exp.Drop: "it removes tables", exp.Create: "it creates tables, views or macros",
    exp.Copy: "it writes or reads files", exp.Attach: "it opens another database", exp.Detach: "it closes the ledger",
    exp.Pragma: "it reads or changes the server's settings", exp.Set: "it changes the server's settings",
    exp.Install: "it installs extensions", exp.Use: "it changes which database names resolve to",
    exp.Describe: "it shows the catalog, not the study's data", exp.Show: "it shows the catalog, not the study's data",
    exp.Summarize: "it shows per-column minima and maxima, i.e. single persons' values",
    exp.Transaction: "transactions are the server's", exp.Union: "set operations are not supported (run each part)",
    exp.Intersect: "set operations are not supported", exp.Except: "set operations are not supported",
}


class SandboxRefused(ValueError):
    """The query was refused before it ran; the message says what and why."""


@dataclass(frozen=True)
class Instance:
    alias: str  # how the query names it
    table: str  # the study table it reads
    where: tuple[exp.Expression, ...]  # the query's WHERE conjuncts on this instance's day/week/weekday only


@dataclass(frozen=True)
class Plan:
    tree: exp.Select  # the query to run, with the RESERVED column last
    instances: tuple[Instance, ...]


def _refuse(what: str, why: str) -> SandboxRefused:
    return SandboxRefused(f"refused: {what} — {why}")


def _snippet(node: exp.Expression) -> str:
    text = node.sql(dialect="duckdb", comments=False)
    return text if len(text) <= 60 else text[:57] + "..."


def parse(sql: str) -> exp.Expression:
    """The one statement of ``sql``; SandboxRefused for none, several or unreadable SQL."""
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("an empty query", "write one SELECT over the study's tables")
    if len(sql) > MAX_CHARS:
        raise _refuse(f"a query of {len(sql):,} characters", f"the sandbox reads queries of up to {MAX_CHARS:,}")
    logger = logging.getLogger("sqlglot")
    level, logger.level = logger.level, logging.ERROR  # it warns when it falls back to a Command
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except RecursionError:
        raise _refuse("a query nested this deeply", "the sandbox cannot check it; write it flatter") from None
    except sqlglot.errors.SqlglotError as error:
        first = sql.split(None, 1)[0].strip(";").upper()
        if first in _UNPARSED:  # statements sqlglot cannot read at all: name them rather than a syntax error
            raise _refuse(f"a {first} statement", "only a single SELECT is allowed") from None
        raise _refuse("SQL the sandbox cannot read", str(error).splitlines()[0]) from None
    finally:
        logger.level = level
    if len(statements) != 1:
        raise _refuse(f"{len(statements)} statements", "the sandbox runs exactly one SELECT per query")
    return statements[0]


def _statement(tree: exp.Expression) -> exp.Select:
    if isinstance(tree, exp.Select):
        return tree
    if isinstance(tree, exp.Command):
        keyword = str(tree.this).upper()
        raise _refuse(f"a {keyword} statement", "only a single SELECT is allowed; it would reach beyond the study's tables")
    why = next((w for kind, w in _STATEMENT_WHY.items() if isinstance(tree, kind)), "only a single SELECT is allowed")
    raise _refuse(f"a {tree.key.upper()} statement", f"only a single SELECT is allowed; {why}")


def _outside(node: exp.Func) -> str:
    """The function's name, as DuckDB users write it; SandboxRefused if it reaches outside the tables."""
    name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    name = _SPELLINGS.get(name, name)
    if name.startswith(_FILE_NAMES):
        raise _refuse(f"the function {name}()", "it reads files or the network; the sandbox reads only the study's tables")
    if name.startswith(_SERVER_NAMES):
        raise _refuse(f"the function {name}()", "it reads the server's settings, environment or catalog")
    return name


def _function(node: exp.Func) -> None:
    name = _outside(node)
    if isinstance(node, _ONE_VALUE) or name in _ONE_VALUE_NAMES:
        raise _refuse(f"the aggregate {name}() in {_snippet(node)}",
                      "it returns one row's value, i.e. a single person's, whatever the group size; "
                      "use count, sum, avg, median, quantile_cont, stddev or variance")
    if isinstance(node, exp.Anonymous) and name not in _ANONYMOUS or not isinstance(node, _AGGREGATES + _SCALARS + (
            exp.Anonymous,)):
        raise _refuse(f"the function {name}()", "it is not among the functions the sandbox allows "
                      "(aggregates count, sum, avg, median, quantile_cont, stddev, variance, corr...; "
                      "date, number, text and CASE functions)")
    fraction = node.args.get("expression") if isinstance(node, exp.PercentileCont) else node.args.get("quantile")
    if isinstance(node, (exp.PercentileCont, exp.ApproxQuantile)) and not (
            isinstance(fraction, exp.Literal) and not fraction.is_string and 0 < float(fraction.this) < 1):
        raise _refuse(f"{_snippet(node)}", "a quantile takes one fraction, a number strictly between 0 and 1 "
                      "(0 and 1 are the minimum and maximum: one person's value)")


def _person_use_ok(column: exp.Column) -> bool:
    """person may be grouped by, counted, selected, ordered by, or equated with another person column in ON."""
    parent = column.parent
    if isinstance(parent, (exp.Group, exp.Ordered)) or isinstance(parent, exp.Count):
        return True
    if isinstance(parent, exp.Distinct) and isinstance(parent.parent, exp.Count):
        return True
    if isinstance(parent, exp.Select) or isinstance(parent, exp.Alias) and isinstance(parent.parent, exp.Select):
        return True
    if isinstance(parent, exp.EQ) and all(isinstance(s, exp.Column) and s.name.lower() == "person"
                                          for s in (parent.this, parent.expression)):
        up = parent.parent
        while isinstance(up, (exp.And, exp.Paren)):
            up = up.parent
        return isinstance(up, exp.Join)
    return False


def _node(node: exp.Expression) -> None:
    if isinstance(node, exp.Identifier) and node.name.lower().startswith("__workprint"):
        raise _refuse(f"the name {node.name!r}", f"names starting with __workprint are the sandbox's own ({RESERVED})")
    if isinstance(node, exp.Window):
        raise _refuse(f"the window function {_snippet(node)}",
                      "window functions give per-row values; aggregate with GROUP BY instead")
    if isinstance(node, (exp.Subquery, exp.With, exp.CTE, exp.Exists)) or (
            isinstance(node, exp.Select) and node.parent is not None):
        raise _refuse(f"the subquery or CTE {_snippet(node)}",
                      "the k rule counts persons at the top level, where a subquery's rows cannot be counted; "
                      "write one SELECT with joins and GROUP BY")
    if isinstance(node, (exp.Placeholder, exp.Parameter)):
        raise _refuse(f"the parameter {_snippet(node)}", "write values into the query")
    if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
        raise _refuse("SELECT *", "select the group keys and aggregates you need; * is only allowed in count(*)")
    if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
        raise _refuse(f"the qualified column {_snippet(node)}", "name a column as column or alias.column")
    if isinstance(node, exp.Column) and node.name.lower() == "person" and not _person_use_ok(node):
        raise _refuse(f"person in {_snippet(node.parent)}",
                      "person may only be grouped by, counted (count(DISTINCT person)) or joined on "
                      "(a.person = b.person): anything else could single one person out")
    if isinstance(node, exp.Join) and (node.args.get("method") or node.kind not in ("", "INNER", "OUTER", "CROSS")):
        raise _refuse(f"the join {_snippet(node)}", "only inner, left, right, full and cross joins are allowed")
    if isinstance(node, _NODES):
        return
    if isinstance(node, exp.Func):
        _function(node)
    else:
        raise _refuse(f"{_snippet(node)} (a {node.key})", "it is not among the expressions the sandbox allows")


def _source(table: exp.Expression, allowed: tuple[str, ...]) -> exp.Table:
    if isinstance(table, exp.Table) and isinstance(table.this, exp.Func):
        name = _outside(table.this)  # a file reader or a catalog function is named as such
        raise _refuse(f"the table function {name}()", f"a query reads only the study's tables: {', '.join(allowed)}")
    if isinstance(table, exp.Subquery):
        _node(table)
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        raise _refuse(f"reading from {_snippet(table)}",
                      f"a query reads only the study's tables ({', '.join(allowed)}), by name")
    name = table.name.lower()
    if table.args.get("db") or table.args.get("catalog"):
        raise _refuse(f"the qualified table {_snippet(table)}", f"name the study's tables without a schema or "
                      f"database: {', '.join(allowed)}")
    if name not in allowed:
        raise _refuse(f"the table {table.name!r}", f"this study's tables are {', '.join(allowed)}")
    if table.args.get("alias") and table.args["alias"].columns:
        # days AS d(day, person) would make the k count count days
        raise _refuse(f"renaming the columns of {_snippet(table)}", "alias the table only, not its columns")
    table.set("this", exp.to_identifier(name))
    return table


def _conjuncts(where: exp.Where | None) -> list[exp.Expression]:
    out, todo = [], [where.this] if where else []
    while todo:
        node = todo.pop()
        node = node.unnest() if isinstance(node, exp.Paren) else node
        todo.extend([node.this, node.expression]) if isinstance(node, exp.And) else out.append(node)
    return out


def _scoped(conjunct: exp.Expression, alias: str, single: bool) -> bool:
    columns = list(conjunct.find_all(exp.Column))
    return bool(columns) and all(c.name.lower() in KEY_COLUMNS and (
        c.table.lower() == alias.lower() if c.table else single) for c in columns)


def check(sql: str, allowed) -> Plan:
    """The plan for ``sql`` over the tables ``allowed``; SandboxRefused naming what is not allowed and why."""
    allowed = tuple(allowed)
    select = _statement(parse(sql))
    if select.args.get("with_"):
        _node(select.args["with_"])
    if not select.args.get("from_"):
        raise _refuse("a query reading no table", f"read one of the study's tables: {', '.join(allowed)}")
    # Sources first, so that a file reader in FROM is named as such; then every node, subqueries' included.
    tables = [_source(select.args["from_"].this, allowed)] + [_source(j.this, allowed) for j in select.args.get("joins") or ()]
    for node in select.walk():
        _node(node)
    aggregates = any(isinstance(n, _AGGREGATES) for e in select.expressions for n in e.walk())
    if not select.args.get("group") and not aggregates:
        raise _refuse("a query that does not aggregate", "every result row must cover at least k persons: add GROUP BY "
                      "or an aggregate such as count(*); rows of single person-days are never shown")
    conjuncts = _conjuncts(select.args.get("where"))
    instances = tuple(Instance(t.alias_or_name, t.name, tuple(c for c in conjuncts if _scoped(c, t.alias_or_name,
                                                                                              len(tables) == 1)))
                      for t in tables)
    counts = [exp.Count(this=exp.Distinct(expressions=[exp.column("person", table=i.alias)])) for i in instances]
    persons = counts[0] if len(counts) == 1 else exp.Least(this=counts[0], expressions=counts[1:])
    tree = select.select(exp.alias_(persons, RESERVED), copy=True)
    for node in tree.walk():
        node.comments = None  # what runs is what was checked, and nothing rides along in a comment
    return Plan(tree, instances)
