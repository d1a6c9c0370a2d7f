-- What is kept (store/inventory.py): read from DuckDB's own catalog, so the
-- inventory lists whatever the file holds, never a list of its own.

-- name: inventory_columns
-- Every column of every stored table (views left out), in table order.
SELECT c.table_name, c.column_name, c.data_type
FROM duckdb_columns() c
JOIN duckdb_tables() t ON t.schema_name = c.schema_name AND t.table_name = c.table_name
WHERE c.schema_name = 'main'
ORDER BY c.table_name, c.column_index;

-- name: inventory_rows
-- How many rows one stored table holds.
-- $table: the table's name, as the catalog gives it
SELECT count(*) FROM query_table($table::VARCHAR);

-- name: inventory_newest
-- One row: for each column of the table, its value in the newest row where
-- it is not empty (newest by the column $newest_by).
-- $table: the table's name, as the catalog gives it
-- $newest_by: the column that orders its rows, newest last
SELECT arg_max(COLUMNS(* EXCLUDE (_newest_by)), _newest_by)
FROM (SELECT *, _row[$newest_by::VARCHAR] AS _newest_by FROM query_table($table::VARCHAR) _row);
