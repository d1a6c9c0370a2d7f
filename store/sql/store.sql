-- The store's bookkeeping: meta, batches, consent, category rules, status.
-- Run by name from store/*.py (store.statements.execute).

-- name: meta_get
-- One setting from meta; no row if unset.
-- $key: the setting's name
SELECT value FROM meta WHERE key = $key;

-- name: meta_set
-- Set one value in meta.
-- $key: the setting's name
-- $value: its value, as text
INSERT OR REPLACE INTO meta VALUES ($key, $value);

-- name: batch_seen
-- 1 if a batch with this id is already stored, else 0.
-- $id: the batch id
SELECT count(*) FROM batches WHERE batch_id = $id;

-- name: batches_known
-- Which of these batch ids are stored already.
-- $ids: a list of batch ids
SELECT batch_id FROM batches WHERE list_contains($ids, batch_id);

-- name: batch_record
-- Note a stored batch, so that writing it again stores nothing.
-- $id: the batch id
-- $source: what wrote it ('capture', 'demo', an importer)
-- $n: its rows
INSERT INTO batches VALUES ($id, $source, $n, now());

-- name: consent_record
-- Append one consent action to the ledger, numbered after every earlier one.
-- $action: 'accept' or 'withdraw'
-- $version: the consent text's version
-- $worker: whose consent
-- $account: the login that took it
-- $scope: which consent: 'capture', 'team' or 'study:<id>'
INSERT INTO consent_log (ts, action, text_version, worker, seq, account, scope)
SELECT now(), $action, $version, $worker, coalesce(max(seq), 0) + 1, $account, $scope FROM consent_log;

-- name: data_columns
-- table.column of the data tables, in the order they were made (the consent text's list).
-- $tables: the data tables' names
SELECT table_name, column_name FROM duckdb_columns()
WHERE schema_name = 'main' AND list_contains($tables, table_name)
ORDER BY table_name, column_index;

-- name: consent_text_find
-- The version number of this exact consent text; no row if it was never shown.
-- $sha256: the text's hash
SELECT version FROM consent_texts WHERE sha256 = $sha256;

-- name: consent_text_add
-- Keep a new version of the consent text, numbered after the newest.
-- $sha256: the text's hash
-- $text: the text, exactly as shown
-- $scope: what it covers, as JSON (capture.consent_text)
-- $consent_scope: which consent it asks for: 'capture', 'team' or 'study:<id>'
INSERT INTO consent_texts (version, sha256, text, scope, created, consent_scope)
SELECT coalesce(max(version), 0) + 1, $sha256, $text, $scope, now(), $consent_scope FROM consent_texts
RETURNING version;

-- name: consent_text_get
-- One version of the consent text: its text, hash, scope, when it was first shown and which consent it asks for.
-- $version: the version number
SELECT version, sha256, text, scope, created, consent_scope FROM consent_texts WHERE version = $version;

-- name: consent_latest_row
-- The worker's latest consent action, its time, text version and account; no row if none.
-- $worker: whose consent
SELECT action, ts, text_version, account FROM consent_latest($worker);

-- name: consent_action
-- The worker's latest consent action ('accept' or 'withdraw'); no row if none.
-- $worker: whose consent
SELECT action FROM consent_latest($worker);

-- name: consent_latest_in_scope
-- The worker's latest consent action in one scope, its time, text version and
-- account; no row if none. Latest by the ledger's own sequence.
-- $worker: whose consent
-- $scope: 'capture', 'team' or 'study:<id>'
SELECT action, ts, text_version, account FROM consent_log
WHERE worker = $worker AND scope = $scope ORDER BY seq DESC LIMIT 1;

-- name: category_rule_check
-- Fails with DuckDB's message if the pattern is not a valid regular expression.
-- $pattern: the regular expression
SELECT regexp_matches('', $pattern);

-- name: category_rule_next_priority
-- The priority after the last rule's.
SELECT coalesce(max(priority), 0) + 10 FROM category_rules;

-- name: category_rule_delete
-- Remove the rule with this pattern; returns what was removed.
-- $pattern: the regular expression
DELETE FROM category_rules WHERE pattern = $pattern RETURNING pattern;

-- name: category_rule_insert
-- Add a rule.
-- $priority: lower numbers are tried first
-- $pattern: the regular expression
-- $category: where matching apps go
INSERT INTO category_rules VALUES ($priority, $pattern, $category);

-- name: category_rules_all
-- Every rule, in the order they are tried.
SELECT priority, pattern, category FROM category_rules ORDER BY priority, pattern;

-- name: events_stored
-- How many events are stored.
SELECT count(*) FROM raw_events;

-- name: last_stop
-- When capture last stopped (NULL if never).
SELECT max(ts) FROM raw_events WHERE kind = 'stop';

-- name: foreign_batches
-- How many stored batches came from elsewhere than $source.
-- $source: what wrote the batches to leave out ('demo', say)
SELECT count(*) FROM batches WHERE source <> $source;

-- name: data_clear
-- Delete every captured, imported, generated and derived row; settings (meta,
-- category_rules) and the consent ledger stay.
DELETE FROM raw_events; DELETE FROM spans; DELETE FROM keystrokes; DELETE FROM bursts; DELETE FROM hourly;
DELETE FROM hourly_total; DELETE FROM input_totals; DELETE FROM derive_state; DELETE FROM workers;
DELETE FROM batches;

-- name: worker_team_set
-- Put a worker in a team.
-- $worker: the worker's id
-- $team: the team's name
INSERT OR REPLACE INTO workers VALUES ($worker, $team);

-- name: validate_catalog
-- Touches the catalog: a damaged file fails here, on open, not mid-capture.
SELECT count(*) FROM duckdb_tables();

-- name: validate_tables
-- Touches the main tables, likewise.
SELECT (SELECT count(*) FROM raw_events) + (SELECT count(*) FROM batches);

-- name: no_progress_bar
-- DuckDB prints a progress bar on stdout for a query that runs over 2 s: in
-- a result written to stdout (query run > file) it is garbage ahead of the data.
-- A connection's own setting, which its cursors inherit.
SET enable_progress_bar = false;

-- name: utc_session
-- Every time the store stores is UTC, and local times come from the UTC offset
-- recorded with them (local_time). The session's own time zone would
-- otherwise be the machine's: a cast to TIMESTAMP would add it on top, and
-- date_trunc('hour') would cut India's hours at half past.
SET TimeZone = 'UTC';

-- name: daemon_memory
-- The daemon runs all day: hand freed memory back to the system promptly
-- instead of keeping DuckDB's default 128 MiB cache.
SET allocator_flush_threshold = '1MB';
SET allocator_bulk_deallocation_flush_threshold = '1MB';

-- name: insert_raw_events
-- A batch of events (registered as _incoming), by column name; letters,
-- digits and punctuation are stored as "character" (store.batches counted them).
INSERT INTO raw_events BY NAME SELECT * REPLACE (stored_key_class(key_class::VARCHAR) AS key_class) FROM _incoming;

-- name: insert_key_counts_of
-- Per-minute presses of the classes events store as "character", counted
-- from a batch of events (registered as _counted) before it is stored.
-- $classes: the classes counted (store.schema.CHARACTER_CLASSES)
INSERT INTO key_counts (worker, minute, utc_offset, key_class, presses, batch_id)
SELECT worker, utc_minute(ts), min(utc_offset), key_class::VARCHAR, count(*)::INTEGER, batch_id
FROM _counted
WHERE kind::VARCHAR = 'key_down' AND list_contains($classes, key_class::VARCHAR)
GROUP BY worker, utc_minute(ts), key_class::VARCHAR, batch_id;

-- name: insert_key_counts
-- Per-minute presses of the classes events store as "character", by column name.
INSERT INTO key_counts BY NAME SELECT * FROM _incoming;

-- name: insert_spans
-- A batch of spans (imported intervals), by column name.
INSERT INTO spans BY NAME SELECT * FROM _incoming;

-- name: insert_input_totals
-- A batch of coarse input counts, by column name.
INSERT INTO input_totals BY NAME SELECT * FROM _incoming;

-- name: insert_keystrokes
-- A batch of paired keystrokes (imported studies), by column name (classes as in insert_raw_events).
INSERT INTO keystrokes BY NAME SELECT * REPLACE (stored_key_class(key_class::VARCHAR) AS key_class) FROM _incoming;

-- name: insert_hourly
-- A batch of hourly rollups (generated populations), by column name.
INSERT INTO hourly BY NAME SELECT * FROM _incoming;

-- name: lock_down_enable_external_access
-- Allow or forbid file and network access (readers: never).
-- $value: true or false
SET enable_external_access = $value;

-- name: lock_down_autoinstall_known_extensions
-- Allow or forbid installing extensions on demand (readers: never).
-- $value: true or false
SET autoinstall_known_extensions = $value;

-- name: lock_down_autoload_known_extensions
-- Allow or forbid loading extensions on demand (readers: never).
-- $value: true or false
SET autoload_known_extensions = $value;

-- name: lock_down_lock_configuration
-- Lock every setting from now on.
-- $value: true
SET lock_configuration = $value;

-- name: insert_spans_by_event
-- A batch of spans that each stand for one recorded event (ActivityWatch:
-- one bucket holds one event per start): a span already stored for the same
-- worker, source, kind, start and app is replaced, so a re-export, a newer
-- export of the same days, or the same file imported with other options
-- stores each event once.
DELETE FROM spans s USING _incoming i
WHERE s.worker = i.worker AND s.source = i.source AND s.kind = i.kind AND s.start = i.start
  AND s.app IS NOT DISTINCT FROM i.app;
INSERT INTO spans BY NAME SELECT * FROM _incoming;

-- name: insert_input_totals_by_event
-- Input totals keyed the same way (worker, source, start): replaced, not added.
DELETE FROM input_totals t USING _incoming i
WHERE t.worker = i.worker AND t.source = i.source AND t.start = i.start;
INSERT INTO input_totals BY NAME SELECT * FROM _incoming;

-- name: export_tables
-- Every stored table (views left out), by name: what an export holds.
SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name;

-- name: export_table
-- Every row of one stored table, as stored.
-- $table: the table's name, as the catalog gives it
SELECT * FROM query_table($table::VARCHAR);

-- name: export_team_membership
-- The team membership as an export holds it: every row, the organisation's
-- pseudonym secret left out (null). An export is made to leave the file, and
-- whoever holds the secret can work out anyone's pseudonym from their id.
SELECT * REPLACE (NULL::VARCHAR AS secret) FROM team_membership;
