"""What the SQL sandbox lets a researcher's query do, decided on its parse tree
(sqlglot, DuckDB dialect) before anything runs; team/sandbox.py runs it, and
team/sandbox_rules.py lists what may appear in it.

Allowed: one SELECT over the study's tables (unqualified names), joins between
them, WHERE / GROUP BY / HAVING / ORDER BY / LIMIT, CTEs and subqueries in
FROM or JOIN, and the functions and expression kinds the rules list; nothing
else. Subqueries elsewhere (IN, EXISTS, scalar) are refused: the k rule could
not follow their rows.

k through subqueries: every table instance's ``person`` is threaded up to the
top level under a reserved name. A subquery that only filters or projects
passes each row's person up; one that aggregates must GROUP BY person (by
name, one table or subquery per person), so that each of its rows is one
person's and the top level counts people, not per-person rows; DISTINCT in a
subquery is refused (the added person would change what it keeps). CTEs are
written out as subqueries first (not RECURSIVE).

The checked query is returned as a rewritten tree: table names lower-cased,
comments dropped, and one more column, :data:`RESERVED`, the distinct persons
the row covers (the least over every table instance read), for the k rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from . import study_tables
from .sandbox_rules import AGGREGATES, RESERVED, STATEMENT_WHY, UNPARSED, SandboxRefused, check_node, outside, refuse, snippet

MAX_CHARS = 20_000
KEY_COLUMNS = {"day", "week", "weekday"}  # a WHERE on these alone scopes whose rows were read
__all__ = ["check", "parse", "Plan", "Instance", "SandboxRefused", "RESERVED"]


@dataclass(frozen=True)
class Instance:
    alias: str  # how its scope names it
    table: str  # the study table it reads
    where: tuple[exp.Expression, ...]  # its scope's WHERE conjuncts on this instance's day/week/weekday only


@dataclass(frozen=True)
class Plan:
    tree: exp.Select  # the query to run, with the RESERVED column last
    instances: tuple[Instance, ...]  # every table instance read, subqueries' included


def parse(sql: str) -> exp.Expression:
    """The one statement of ``sql``; SandboxRefused for none, several or unreadable SQL."""
    if not isinstance(sql, str) or not sql.strip():
        raise refuse("an empty query", "write one SELECT over the study's tables")
    if len(sql) > MAX_CHARS:
        raise refuse(f"a query of {len(sql):,} characters", f"the sandbox reads queries of up to {MAX_CHARS:,}")
    logger = logging.getLogger("sqlglot")
    level, logger.level = logger.level, logging.ERROR  # it warns when it falls back to a Command
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except RecursionError:
        raise refuse("a query nested this deeply", "the sandbox cannot check it; write it flatter") from None
    except sqlglot.errors.SqlglotError as error:
        first = sql.split(None, 1)[0].strip(";").upper()
        if first in UNPARSED:  # statements sqlglot cannot read at all: name them rather than a syntax error
            raise refuse(f"a {first} statement", "only a single SELECT is allowed") from None
        raise refuse("SQL the sandbox cannot read", str(error).splitlines()[0]) from None
    finally:
        logger.level = level
    if len(statements) != 1:
        raise refuse(f"{len(statements)} statements", "the sandbox runs exactly one SELECT per query")
    return statements[0]


def _statement(tree: exp.Expression) -> exp.Select:
    if isinstance(tree, exp.Select):
        return tree
    if isinstance(tree, exp.Command):
        keyword = str(tree.this).upper()
        raise refuse(f"a {keyword} statement", "only a single SELECT is allowed; it would reach beyond the study's tables")
    why = next((w for kind, w in STATEMENT_WHY.items() if isinstance(tree, kind)), "only a single SELECT is allowed")
    raise refuse(f"a {tree.key.upper()} statement", f"only a single SELECT is allowed; {why}")


def _inline(select: exp.Select) -> exp.Select:
    """The query with its CTEs written out as subqueries in FROM, where the k rule can follow them."""
    with_ = select.args.get("with_")
    if not with_:
        return select
    if with_.args.get("recursive"):
        raise refuse("WITH RECURSIVE", "recursive queries are not supported")
    bodies: dict[str, exp.Expression] = {}

    def swap(node):
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier) and not node.args.get("db") and (
                node.name.lower() in bodies):
            return exp.Subquery(this=bodies[node.name.lower()].copy(),
                                alias=exp.TableAlias(this=exp.to_identifier(node.alias_or_name)))
        return node

    for cte in with_.expressions:
        if cte.args["alias"].columns:
            raise refuse(f"renaming the columns of the CTE {cte.alias!r}", "name the columns inside it")
        bodies[cte.alias.lower()] = cte.this.transform(swap)
    select = select.copy()
    select.set("with_", None)
    return select.transform(swap)


def _source(table: exp.Expression, allowed: tuple[str, ...]) -> exp.Table:
    if isinstance(table, exp.Table) and isinstance(table.this, exp.Func):
        name = outside(table.this)  # a file reader or a catalog function is named as such
        raise refuse(f"the table function {name}()", f"a query reads only the study's tables: {', '.join(allowed)}")
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        raise refuse(f"reading from {snippet(table)}",
                      f"a query reads only the study's tables ({', '.join(allowed)}), by name")
    name = table.name.lower()
    if table.args.get("db") or table.args.get("catalog"):
        raise refuse(f"the qualified table {snippet(table)}", f"name the study's tables without a schema or "
                      f"database: {', '.join(allowed)}")
    if name not in allowed:
        raise refuse(f"the table {table.name!r}", f"this study's tables are {', '.join(allowed)}")
    if table.args.get("alias") and table.args["alias"].columns:
        # days AS d(day, person) would make the k count count days
        raise refuse(f"renaming the columns of {snippet(table)}", "alias the table only, not its columns")
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


def _grouped(select: exp.Select, alias: str, single: bool) -> bool:
    group = select.args.get("group")
    return bool(group) and any(isinstance(g, exp.Column) and g.name.lower() == "person" and (
        g.table.lower() == alias.lower() if g.table else single) for g in group.expressions)


class _Scopes:
    """Walks the SELECTs from the top down, threading each table instance's person up to the top level."""

    def __init__(self, allowed: tuple[str, ...]):
        self.allowed, self.instances, self.made = allowed, [], 0

    def persons(self, select: exp.Select, top: bool) -> list[exp.Expression]:
        """Expressions, valid in ``select``, giving each row's person for every table instance it reads."""
        sources = [select.args["from_"].this] + [j.this for j in select.args.get("joins") or ()]
        single, conjuncts, found = len(sources) == 1, _conjuncts(select.args.get("where")), []
        for source in sources:
            if isinstance(source, exp.Subquery):
                found.append(self._subquery(source))
                continue
            alias = source.alias_or_name
            self.instances.append(Instance(alias, source.name, tuple(c for c in conjuncts if _scoped(c, alias, single))))
            found.append((alias, [exp.column("person", table=alias)]))
        aggregates = bool(select.args.get("group")) or any(
            isinstance(n, AGGREGATES) for e in select.expressions for n in e.walk())
        if top and not aggregates:
            raise refuse("a query that does not aggregate", "every result row must cover at least k persons: add "
                         "GROUP BY or an aggregate such as count(*); rows of single person-days are never shown")
        if top or not aggregates:
            if not top and select.args.get("distinct"):
                raise refuse("SELECT DISTINCT in a subquery", "the k rule adds each row's person to it, which would "
                             "change what DISTINCT keeps; aggregate with GROUP BY instead")
            return [p for _, persons in found for p in persons]
        # An aggregating subquery: each row must be one person's, so that the top level can count them.
        for alias, persons in found:
            if len(persons) != 1 or not _grouped(select, alias, single):
                raise refuse(f"the aggregating subquery {snippet(select)}",
                             f"a subquery that aggregates must GROUP BY {alias}.person (by name) and read one table "
                             "or subquery per person, so that the k rule can count persons at the top level")
        return [exp.column("person", table=alias) for alias, _ in found]

    def _subquery(self, subquery: exp.Subquery) -> tuple[str, list[exp.Expression]]:
        inner = subquery.this
        alias = subquery.args.get("alias")
        if alias and alias.columns:
            raise refuse(f"renaming the columns of {snippet(subquery)}", "name the columns inside the subquery")
        if not alias:
            self.made += 1
            subquery.set("alias", exp.TableAlias(this=exp.to_identifier(f"__workprint_s{self.made}")))
        names = []
        for person in self.persons(inner, top=False):
            self.made += 1
            name = f"__workprint_p{self.made}"
            inner.select(exp.alias_(person, name), copy=False)
            names.append(exp.column(name, table=subquery.alias))
        return subquery.alias, names


def _names(select: exp.Select, allowed: tuple[str, ...]) -> None:
    """Columns must be the study tables' fields or the query's own aliases: DuckDB reads a table's name used
    as a column as its whole row, pseudonym included (``days::VARCHAR LIKE '%p01%'``)."""
    fields = {f.name for name in allowed for f in study_tables.BY_NAME[name].fields}
    aliases = {a.alias.lower() for a in select.find_all(exp.Alias)}
    sources = {n.alias_or_name.lower() for n in select.find_all(exp.Table, exp.Subquery)} - {""}
    for clash in sorted((sources | set(study_tables.BY_NAME)) & (fields | aliases)):
        raise refuse(f"the name {clash!r} for a table and a column", "name a table and a column differently")
    for column in select.find_all(exp.Column):
        if column.name.lower() not in fields | aliases:
            raise refuse(f"the column {column.name!r}", "it is neither a column of the study's tables nor an alias "
                         "this query defines (a table's name as a column would read its whole row)")


def check(sql: str, allowed) -> Plan:
    """The plan for ``sql`` over the tables ``allowed``; SandboxRefused naming what is not allowed and why."""
    allowed = tuple(allowed)
    select = _inline(_statement(parse(sql)))
    # Every table first, so that a file reader in FROM is named as such; then every node; then the k rewrite.
    for table in list(select.find_all(exp.Table)):
        _source(table, allowed)
    for node in select.walk():
        check_node(node)
    _names(select, allowed)
    for select_ in [select, *select.find_all(exp.Select)]:
        if not select_.args.get("from_"):
            raise refuse("a query reading no table", f"read one of the study's tables: {', '.join(allowed)}")
    scopes = _Scopes(allowed)
    counts = [exp.Count(this=exp.Distinct(expressions=[p])) for p in scopes.persons(select, top=True)]
    persons = counts[0] if len(counts) == 1 else exp.Least(this=counts[0], expressions=counts[1:])
    tree = select.select(exp.alias_(persons, RESERVED), copy=True)
    for node in tree.walk():
        node.comments = None  # what runs is what was checked, and nothing rides along in a comment
    return Plan(tree, tuple(scopes.instances))
