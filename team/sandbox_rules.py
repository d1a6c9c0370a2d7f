"""What may appear in a sandboxed query (team/sandbox_check.py applies it to every node of the parse
tree, subqueries' included).

- Statements: one SELECT; every other kind is refused, saying why (:data:`STATEMENT_WHY`).
- Expressions: those in ``_NODES`` and the functions in ``AGGREGATES``, ``_SCALARS`` and ``_ANONYMOUS``;
  anything else is refused, naming it. Functions reading files or the network (read_*, glob, ...) or the
  server (getenv, current_setting, duckdb_*, ...) are named as such.
- Aggregates returning one row's value are refused (min, max, list/array_agg, string_agg, first, last,
  any_value, arg_max/max_by, arg_min/min_by, mode, quantile_disc, approx_quantile): they show one person's value whatever
  the group's size. quantile_cont takes one fraction strictly between 0 and 1 (0 and 1 are min and max).
- Window functions, parameters, ``*`` (but in count(*) and, plain, in a subquery in FROM), set operations,
  subqueries outside FROM / JOIN, names starting with ``__workprint`` (the sandbox's own).
- ``person`` (the pseudonym) may only be grouped by, counted, selected as itself, ordered by, or equated
  with another person column in a join's ON; nothing else may be called person. A pseudonym compared with
  a text (``person = 'p01'``, ``person < 'm'``) would let a query single one person out, or spell out
  pseudonyms a comparison at a time.
"""

from __future__ import annotations

from sqlglot import exp

RESERVED = "__workprint_persons"  # the k column; a researcher's identifier may not start with "__workprint"
QUANTILE_BAND = (0.25, 0.75)  # a quantile nearer 0 or 1 is about the minimum or maximum of a group: one value

AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Median, exp.PercentileCont, exp.Stddev,
               exp.StddevSamp, exp.StddevPop, exp.Variance, exp.VariancePop, exp.Corr, exp.CovarSamp, exp.CovarPop,
               exp.CountIf, exp.LogicalOr, exp.LogicalAnd, exp.ApproxDistinct, exp.Kurtosis, exp.Skewness)
_SCALARS = (exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Ln, exp.Log, exp.Exp, exp.Sqrt, exp.Cbrt, exp.Pow, exp.Sign,
            exp.Greatest, exp.Least, exp.Coalesce, exp.Nullif, exp.If, exp.Case, exp.Cast, exp.TryCast, exp.Extract,
            exp.TimestampTrunc, exp.DateTrunc, exp.DateDiff, exp.DateAdd, exp.DateSub, exp.DayOfWeek, exp.DayOfWeekIso,
            exp.DayOfMonth, exp.DayOfYear, exp.Month, exp.Year, exp.Week, exp.WeekOfYear, exp.Quarter, exp.Dayname,
            exp.Monthname, exp.TimeToStr, exp.Lower, exp.Upper, exp.Length, exp.Concat, exp.Substring, exp.Trim,
            exp.Replace, exp.StartsWith, exp.Contains, exp.Left, exp.Right, exp.LastDay, exp.Mod, exp.CurrentDate, exp.TimeToUnix)
_ANONYMOUS = {"date_part", "datepart", "isoyear", "yearweek"}  # DuckDB functions sqlglot has no class for
# Expression kinds that are neither functions nor checked one by one below.
_NODES = (exp.Select, exp.From, exp.Join, exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit,
          exp.Offset, exp.Column, exp.Identifier, exp.Table, exp.TableAlias, exp.Alias, exp.Literal, exp.Paren,
          exp.Boolean, exp.Null, exp.Neg, exp.Not, exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
          exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.DPipe, exp.Is, exp.In, exp.Between, exp.Like, exp.ILike,
          exp.NullSafeEQ, exp.NullSafeNEQ, exp.DataType, exp.DataTypeParam, exp.Interval, exp.Var, exp.Filter,
          exp.Distinct, exp.Star, exp.Subquery, exp.Mod)
_ONE_VALUE = (exp.Min, exp.Max, exp.ArrayAgg, exp.GroupConcat, exp.First, exp.Last, exp.AnyValue, exp.ArgMax,
              exp.ArgMin, exp.Mode, exp.PercentileDisc, exp.Quantile)
_ONE_VALUE_NAMES = {"list", "histogram", "arbitrary", "approx_top_k", "reservoir_quantile", "bitstring_agg",
                    "list_agg", "array_agg", "string_agg", "max_by", "min_by", "quantile_disc", "mode", "first", "last"}
_SPELLINGS = {"array_agg": "list/array_agg", "group_concat": "string_agg", "arg_max": "arg_max/max_by",
              "arg_min": "arg_min/min_by", "percentile_disc": "quantile_disc",
              "generate_series": "range/generate_series"}  # how DuckDB users write them
_FILE_NAMES = ("read_", "glob", "parquet_", "sniff_csv", "sqlite_", "postgres_", "mysql_", "iceberg_", "delta_", "st_")
_SERVER_NAMES = ("getenv", "current_setting", "duckdb_", "pragma_", "version", "which_secret", "query", "load_")
UNPARSED = {"EXPORT", "IMPORT", "ATTACH", "DETACH", "COPY", "INSTALL", "LOAD", "PRAGMA", "SET", "RESET", "CALL",
             "CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE", "CHECKPOINT", "VACUUM", "USE", "PREPARE",
             "EXECUTE", "DEALLOCATE", "BEGIN", "COMMIT", "ROLLBACK", "ANALYZE", "EXPLAIN", "UPSERT", "TRUNCATE"}
STATEMENT_WHY = {
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


def refuse(what: str, why: str) -> SandboxRefused:
    return SandboxRefused(f"refused: {what} — {why}")


def snippet(node: exp.Expression) -> str:
    text = node.sql(dialect="duckdb", comments=False)
    return text if len(text) <= 60 else text[:57] + "..."


def outside(node: exp.Func) -> str:
    """The function's name, as DuckDB users write it; SandboxRefused if it reaches outside the tables."""
    name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    name = _SPELLINGS.get(name, name)
    if name.startswith(_FILE_NAMES):
        raise refuse(f"the function {name}()", "it reads files or the network; the sandbox reads only the study's tables")
    if name.startswith(_SERVER_NAMES):
        raise refuse(f"the function {name}()", "it reads the server's settings, environment or catalog")
    return name


def _function(node: exp.Func) -> None:
    name = outside(node)
    if isinstance(node, _ONE_VALUE) or name in _ONE_VALUE_NAMES:
        raise refuse(f"the aggregate {name}() in {snippet(node)}",
                      "it returns one row's value, i.e. a single person's, whatever the group size; "
                      "use count, sum, avg, median, quantile_cont, stddev or variance")
    if isinstance(node, exp.Anonymous) and name not in _ANONYMOUS or not isinstance(node, AGGREGATES + _SCALARS + (
            exp.Anonymous,)):
        raise refuse(f"the function {name}()", "it is not among the functions the sandbox allows "
                      "(aggregates count, sum, avg, median, quantile_cont, stddev, variance, corr...; "
                      "date, number, text and CASE functions)")
    fraction = node.args.get("expression")
    if isinstance(node, exp.PercentileCont) and not (
            isinstance(fraction, exp.Literal) and not fraction.is_string
            and QUANTILE_BAND[0] <= float(fraction.this) <= QUANTILE_BAND[1]):
        raise refuse(f"{snippet(node)}", f"a quantile takes one fraction from {QUANTILE_BAND[0]} to {QUANTILE_BAND[1]} "
                      "(near 0 or 1 it is the minimum or maximum: one person's value)")


def _person_use_ok(column: exp.Column) -> bool:
    """person may be grouped by, counted, selected (as person), ordered by, or equated with another person
    column in a join's ON that equates their days too."""
    parent = column.parent
    if isinstance(parent, (exp.Group, exp.Ordered)) or isinstance(parent, exp.Count):
        return True
    if isinstance(parent, exp.Distinct) and isinstance(parent.parent, exp.Count):
        return True
    if isinstance(parent, exp.Select) or isinstance(parent, exp.Alias) and isinstance(parent.parent, exp.Select) and (
            parent.alias.lower() == "person"):  # renamed, it could be compared with a text one level up
        return True
    if isinstance(parent, exp.EQ) and all(isinstance(s, exp.Column) and s.name.lower() == "person"
                                          for s in (parent.this, parent.expression)):
        up = parent.parent
        while isinstance(up, (exp.And, exp.Paren)):
            up = up.parent
        return isinstance(up, exp.Join) and _same_day(up)
    return False


def _same_day(join: exp.Join) -> bool:
    """A join on person must be on the same day too. On person alone, a flag computed over one person's rows (a
    per-person subquery, or a partner table's rare value) rides onto all of that person's rows, and every row of
    the result is then that one person's figure while each still counts k people (a review found it: one
    person's whole daily series). On person and day, a flag can only come from the same person-day."""
    on = join.args.get("on")
    return on is not None and any(
        isinstance(eq.this, exp.Column) and isinstance(eq.expression, exp.Column)
        and eq.this.name.lower() == "day" == eq.expression.name.lower()
        and _conjunct(eq, on) for eq in on.find_all(exp.EQ))


def _conjunct(node: exp.Expression, top: exp.Expression) -> bool:
    """``node`` is one of the ANDed conditions of ``top`` (not under an OR or NOT)."""
    up = node.parent
    while up is not None and up is not top.parent:
        if not isinstance(up, (exp.And, exp.Paren)) and up is not top:
            return False
        up = up.parent
    return True


def check_node(node: exp.Expression) -> None:
    if isinstance(node, exp.Identifier) and node.name.lower().startswith("__workprint"):
        raise refuse(f"the name {node.name!r}", f"names starting with __workprint are the sandbox's own ({RESERVED})")
    if isinstance(node, exp.Window):
        raise refuse(f"the window function {snippet(node)}",
                      "window functions give per-row values; aggregate with GROUP BY instead")
    if isinstance(node, exp.SetOperation):
        raise refuse(f"the {node.key.upper()} in {snippet(node)}", "set operations are not supported (run each part)")
    if isinstance(node, (exp.Subquery, exp.Exists)) and not isinstance(node.parent, (exp.From, exp.Join)) or (
            isinstance(node, exp.Select) and node.parent is not None and not isinstance(node.parent, exp.Subquery)):
        raise refuse(f"the subquery {snippet(node)}", "a subquery may only stand in FROM or JOIN, where the k rule "
                     "can count its persons; join the table instead (or filter it in a subquery in FROM)")
    if isinstance(node, (exp.With, exp.CTE)):
        raise refuse(f"the WITH in {snippet(node.parent)}", "CTEs may only come first, before the top-level SELECT")
    if isinstance(node, (exp.Placeholder, exp.Parameter)):
        raise refuse(f"the parameter {snippet(node)}", "write values into the query")
    if isinstance(node, exp.Star) and not (isinstance(node.parent, exp.Count) or not any(node.args.values()) and (
            isinstance(node.parent, exp.Select) and isinstance(node.parent.parent, exp.Subquery))):
        raise refuse(f"{snippet(node.parent)}", "* is allowed only in count(*) and, plain, in a subquery in FROM; "
                     "select the group keys and aggregates you need")
    if isinstance(node, exp.Alias) and node.alias.lower() == "person" and not (
            isinstance(node.this, exp.Column) and node.this.name.lower() == "person"):
        raise refuse(f"{snippet(node)}", "only the person column may be called person (the k rule counts it)")
    if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
        raise refuse(f"the qualified column {snippet(node)}", "name a column as column or alias.column")
    if isinstance(node, exp.Column) and node.name.lower() == "person" and not _person_use_ok(node):
        raise refuse(f"person in {snippet(node.parent)}",
                      "person may only be grouped by, counted (count(DISTINCT person)) or joined on "
                      "(a.person = b.person): anything else could single one person out")
    if isinstance(node, exp.Join) and (node.args.get("method") or node.kind not in ("", "INNER", "OUTER", "CROSS")):
        raise refuse(f"the join {snippet(node)}", "only inner, left, right, full and cross joins are allowed")
    if isinstance(node, _NODES):
        return
    if isinstance(node, exp.Func):
        _function(node)
    else:
        raise refuse(f"{snippet(node)} (a {node.key})", "it is not among the expressions the sandbox allows")


