-- Opening the database file: an in-memory DuckDB instance that attaches the
-- file, encrypted (AES-GCM, the WAL too), and uses it (store/attach.py).
-- DuckDB 1.5.5's parser takes no parameter for the path of ATTACH or LOAD:
-- store.statements.execute_with_path puts it in as a quoted literal.

-- name: load_httpfs
-- The httpfs extension from its Python package (duckdb-extension-httpfs):
-- DuckDB writes encrypted files only with its OpenSSL (the built-in crypto
-- module can only read). Never downloaded.
-- $path: the extension file
LOAD $path;

-- name: temp_file_encryption
-- Encrypt what DuckDB spills to temporary files too (off by default).
-- $value: true, unless new files are plaintext (WORKPRINT_PLAINTEXT)
SET temp_file_encryption = $value;

-- name: temp_directory
-- Where spilled data goes: beside the database (<db>.tmp), as for a file
-- opened directly, not in the current folder.
-- $dir: the folder
SET temp_directory = $dir;

-- name: attach_encrypted
-- The database file, with its key.
-- $path: the database file
-- $key: its key (store.keys)
-- $read_only: true for readers
ATTACH $path AS workprint (ENCRYPTION_KEY $key, READ_ONLY $read_only);

-- name: attach_plain
-- A database file that is not encrypted (one to migrate, or WORKPRINT_PLAINTEXT).
-- $path: the database file
-- $read_only: true for readers
ATTACH $path AS workprint (READ_ONLY $read_only);

-- name: use_workprint
-- Unqualified names mean the attached file (each connection and cursor
-- starts on the in-memory database).
USE workprint;

-- name: database_encrypted
-- True if the attached file is encrypted.
SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint';

-- name: memory_limit
-- How much memory DuckDB may hold before it spills to (encrypted) temporary
-- files beside the database: an import keeps to it, so a large log does not
-- take the machine's memory (store.txn.memory_limit).
-- $limit: e.g. '384MB'
SET memory_limit = $limit;

-- name: memory_limit_reset
-- DuckDB's own limit again (80% of the machine's memory).
RESET memory_limit;
