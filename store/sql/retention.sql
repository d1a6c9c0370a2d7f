-- Retention: expired rows are purged (store/retention.py runs these in one
-- transaction, then the file is compacted so their bytes leave it).
-- Raw rows (raw_events, input_totals) expire after $raw_cutoff, derived and
-- hourly rows after $derived_cutoff; a row expires once everything it
-- describes lies before the cutoff. $worker NULL means every worker.

-- name: purge_raw_events
-- Raw events from before the cutoff; returns how many went.
-- $raw_cutoff: raw rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM raw_events WHERE ts < $raw_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_input_totals
-- Coarse input counts (raw, as imported) whose period ended before the cutoff.
-- $raw_cutoff: raw rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM input_totals
WHERE epoch(start) + duration_s <= epoch($raw_cutoff) AND ($worker IS NULL OR worker = $worker);

-- name: purge_spans
-- Focus and active spans that ended before the cutoff.
-- $derived_cutoff: derived rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM spans WHERE stop < $derived_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_keystrokes
-- Paired keystrokes pressed before the cutoff.
-- $derived_cutoff: derived rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM keystrokes WHERE press < $derived_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_bursts
-- Typing bursts that ended before the cutoff.
-- $derived_cutoff: derived rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM bursts WHERE stop < $derived_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_hourly
-- Hourly rollups of hours that ended by the cutoff.
-- $derived_cutoff: derived rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM hourly WHERE hour + INTERVAL 1 HOUR <= $derived_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_hourly_total
-- Hour totals of hours that ended by the cutoff.
-- $derived_cutoff: derived rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM hourly_total WHERE hour + INTERVAL 1 HOUR <= $derived_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_steps
-- Steps of sessions that ended before the cutoff (as their focus spans go).
-- $derived_cutoff: derived rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM steps WHERE stop < $derived_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_key_counts
-- Per-minute key counts of minutes that ended by the cutoff.
-- $derived_cutoff: derived rows from before this time go
-- $worker: whose rows (NULL: everyone's)
DELETE FROM key_counts WHERE minute + INTERVAL 1 MINUTE <= $derived_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_derive_state
-- The incremental derivation never again starts before the raw cutoff: the
-- events it would rebuild from are gone, and rebuilding from there would
-- drop the derived rows they made without making them again.
-- $raw_cutoff: raw rows from before this time go
-- $worker: whose rows (NULL: everyone's)
UPDATE derive_state SET since = $raw_cutoff
WHERE since < $raw_cutoff AND ($worker IS NULL OR worker = $worker);

-- name: purge_capture_batches
-- Capture's batch ids are the times it flushed: they go with the raw events
-- (a capture batch is only retried by the daemon that made it, in minutes).
-- $raw_cutoff: raw rows from before this time go
DELETE FROM batches WHERE source = 'capture' AND batch_id < epoch_ns($raw_cutoff);

-- name: retention_oldest
-- The oldest row each data table holds (NULL when empty), and its rows.
SELECT 'raw_events' AS table_name, min(ts) AS oldest, count(*) AS n FROM raw_events
UNION ALL SELECT 'input_totals', min(start), count(*) FROM input_totals
UNION ALL SELECT 'spans', min(start), count(*) FROM spans
UNION ALL SELECT 'keystrokes', min(press), count(*) FROM keystrokes
UNION ALL SELECT 'bursts', min(start), count(*) FROM bursts
UNION ALL SELECT 'hourly', min(hour), count(*) FROM hourly
UNION ALL SELECT 'hourly_total', min(hour), count(*) FROM hourly_total
UNION ALL SELECT 'key_counts', min(minute), count(*) FROM key_counts
UNION ALL SELECT 'steps', min(start), count(*) FROM steps;
