-- Compaction: the file copied into a fresh one, which is then swapped in
-- (store/compact.py). DELETE, CHECKPOINT and VACUUM leave deleted rows'
-- bytes in the file; a copy holds only what is there.

-- name: checkpoint
-- Write everything the WAL holds into the file.
CHECKPOINT;

-- name: compact_attach_old
-- The file to compact, under a fixed name (a plaintext one: WORKPRINT_PLAINTEXT,
-- or one about to be encrypted).
-- $path: the database file
ATTACH $path AS old;

-- name: compact_attach_old_encrypted
-- The file to compact, under a fixed name, with its key.
-- $path: the database file
-- $key: its key (store.keys)
ATTACH $path AS old (ENCRYPTION_KEY $key);

-- name: compact_attach_new
-- The fresh file the copy goes to (plaintext: WORKPRINT_PLAINTEXT).
-- $path: the new file, beside the old one
ATTACH $path AS compacted;

-- name: compact_attach_new_encrypted
-- The fresh file the copy goes to, encrypted with the old one's key.
-- $path: the new file, beside the old one
-- $key: the key (store.keys)
ATTACH $path AS compacted (ENCRYPTION_KEY $key);

-- name: compact_copy
-- Tables, types, views, macros and rows, as they are.
COPY FROM DATABASE old TO compacted;

-- name: compact_checkpoint_new
-- Leave nothing of the copy in the new file's WAL.
CHECKPOINT compacted;

-- name: compact_detach
-- Let go of both files.
DETACH compacted;
DETACH old;

-- name: compact_catalog
-- What each copy holds, to compare: every table, view and macro (with its
-- definition).
SELECT database_name, 'table' AS what, table_name AS name, sql AS detail
FROM duckdb_tables() WHERE database_name IN ('old', 'compacted')
UNION ALL
SELECT database_name, 'view', view_name, sql FROM duckdb_views() WHERE database_name IN ('old', 'compacted') AND NOT internal
UNION ALL
SELECT database_name, 'macro', function_name, macro_definition FROM duckdb_functions()
WHERE database_name IN ('old', 'compacted') AND function_type IN ('macro', 'table_macro');

-- name: compact_rows
-- The rows of one table, named in full (old.main.spans).
-- $table: database.schema.table
SELECT count(*) FROM query_table($table);

-- name: compact_checkpoint_workprint
-- Write a plaintext file's WAL into it before it is encrypted.
CHECKPOINT workprint;
