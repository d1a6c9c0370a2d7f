-- name: sandbox_lockdown
-- The SQL sandbox's connection, once the ledger is attached read-only and the study's views exist: no files,
-- network, ATTACH, COPY or extensions, bounded memory and threads, no spilling to disk, and the configuration
-- locked last so that nothing run later can change any of it (team/sandbox.py).
SET enable_external_access = false;
SET autoinstall_known_extensions = false;
SET autoload_known_extensions = false;
SET allow_community_extensions = false;
SET max_temp_directory_size = '0B';
SET memory_limit = '512MB';
SET threads = 2;
SET lock_configuration = true;
