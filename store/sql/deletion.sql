-- Deletion at the worker's request: a time range, an app, or everything
-- (store/deletion.py runs these in one transaction). $worker NULL means
-- every worker. A range is [$start, $stop). The intervals being deleted are
-- put in the temporary table _cuts (worker, start, stop) first; keystrokes,
-- bursts and input totals are cut along them whatever the deletion.

-- name: deletion_span_range
-- The time the range's data covers: (first, last), NULL when nothing is there.
-- $start: the range's start
-- $stop: its end (not included)
-- $worker: whose rows (NULL: everyone's)
SELECT min(t0), max(t1) FROM (
    SELECT ts AS t0, ts AS t1 FROM raw_events
    WHERE ts >= $start AND ts < $stop AND ($worker IS NULL OR worker = $worker)
    UNION ALL
    SELECT greatest(start, $start), least(stop, $stop) FROM spans
    WHERE start < $stop AND (stop > $start OR start >= $start) AND ($worker IS NULL OR worker = $worker)
    UNION ALL
    SELECT press, press FROM keystrokes WHERE press >= $start AND press < $stop AND ($worker IS NULL OR worker = $worker)
);

-- name: deletion_span_app
-- The time an app had focus in: (first, last), NULL when it never had.
-- $app: the app (WM_CLASS), in any case
-- $worker: whose rows (NULL: everyone's)
SELECT min(start), max(stop) FROM spans WHERE lower(app) = lower($app) AND ($worker IS NULL OR worker = $worker);

-- name: deletion_span_all
-- The time everything held covers: (first, last).
-- $worker: whose rows (NULL: everyone's)
SELECT min(t0), max(t1) FROM (
    SELECT ts AS t0, ts AS t1 FROM raw_events WHERE $worker IS NULL OR worker = $worker
    UNION ALL SELECT start, stop FROM spans WHERE $worker IS NULL OR worker = $worker
    UNION ALL SELECT press, press FROM keystrokes WHERE $worker IS NULL OR worker = $worker
    UNION ALL SELECT hour, hour + INTERVAL 1 HOUR FROM hourly WHERE $worker IS NULL OR worker = $worker
    UNION ALL SELECT start, start FROM input_totals WHERE $worker IS NULL OR worker = $worker
);

-- name: deletion_workers
-- Every worker with rows in a data table.
-- $worker: only this one (NULL: everyone)
SELECT worker FROM (
    SELECT worker FROM raw_events UNION SELECT worker FROM spans UNION SELECT worker FROM keystrokes
    UNION SELECT worker FROM bursts UNION SELECT worker FROM hourly UNION SELECT worker FROM input_totals
) WHERE $worker IS NULL OR worker = $worker ORDER BY 1;

-- name: deletion_cuts_range
-- The range, once per worker.
-- $start: the range's start
-- $stop: its end (not included)
-- $worker: whose rows (NULL: everyone's)
CREATE OR REPLACE TEMP TABLE _cuts AS
SELECT worker, $start::TIMESTAMPTZ AS start, $stop::TIMESTAMPTZ AS stop FROM (
    SELECT worker FROM raw_events UNION SELECT worker FROM spans UNION SELECT worker FROM keystrokes
    UNION SELECT worker FROM bursts UNION SELECT worker FROM hourly UNION SELECT worker FROM input_totals
) WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_cuts_app
-- Every stretch the app had focus (its last microsecond included: an input
-- stamped with the next focus change goes with the app).
-- $app: the app (WM_CLASS), in any case
-- $worker: whose rows (NULL: everyone's)
CREATE OR REPLACE TEMP TABLE _cuts AS
SELECT worker, start, stop + INTERVAL 1 MICROSECOND AS stop FROM spans
WHERE kind = 'focus' AND lower(app) = lower($app) AND ($worker IS NULL OR worker = $worker);

-- name: deletion_cut_input_totals
-- Input totals over any part of a cut.
DELETE FROM input_totals t USING _cuts c
WHERE t.worker = c.worker AND t.start < c.stop AND (epoch(t.start) + t.duration_s > epoch(c.start) OR t.start >= c.start);

-- name: deletion_cut_burst_redo
-- Per worker and case, the first burst a cut touches: bursts are rebuilt from there.
CREATE OR REPLACE TEMP TABLE _burst_redo AS
SELECT b.worker, b.case_id, min(b.start) AS since
FROM bursts b JOIN _cuts c ON b.worker = c.worker AND b.start < c.stop AND b.stop >= c.start
GROUP BY ALL;

-- name: deletion_cut_key_counts
-- Per-minute key counts of every minute that overlaps a cut (a minute partly
-- inside goes whole: deleting keeps nothing of the range).
DELETE FROM key_counts k USING _cuts c
WHERE k.worker = c.worker AND k.minute + INTERVAL 1 MINUTE > c.start AND k.minute < c.stop;

-- name: deletion_cut_keystrokes
-- Keys pressed in a cut.
DELETE FROM keystrokes k USING _cuts c WHERE k.worker = c.worker AND k.press >= c.start AND k.press < c.stop;

-- name: deletion_cut_releases
-- A key pressed before a cut and released in it keeps no release.
UPDATE keystrokes k SET release = NULL FROM _cuts c
WHERE k.worker = c.worker AND k.release >= c.start AND k.release < c.stop;

-- name: deletion_cut_burst_starts
-- The first key after a cut starts a burst: its interval and rollover would
-- tell when the deleted key before it was pressed.
UPDATE keystrokes k SET new_burst = true, iki_ms = NULL, rollover = NULL
FROM (
    SELECT c.worker, n.case_id, n.press
    FROM (SELECT DISTINCT c.worker, c.stop, coalesce(k.case_id, '') AS case_key
          FROM _cuts c JOIN (SELECT DISTINCT worker, case_id FROM keystrokes) k USING (worker)) c
    ASOF JOIN (SELECT worker, case_id, coalesce(case_id, '') AS case_key, press FROM keystrokes) n
      ON n.worker = c.worker AND n.case_key = c.case_key AND n.press >= c.stop
) f
WHERE k.worker = f.worker AND k.case_id IS NOT DISTINCT FROM f.case_id AND k.press = f.press;

-- name: deletion_cut_bursts
-- Drop the bursts to rebuild.
DELETE FROM bursts b USING _burst_redo r
WHERE b.worker = r.worker AND b.case_id IS NOT DISTINCT FROM r.case_id AND b.start >= r.since;

-- name: deletion_rebuild_bursts
-- Bursts again from the keystrokes that remain (as derive_bursts does).
INSERT INTO bursts
SELECT worker, case_id, min(press), max(press), any_value(utc_offset), count(*),
       count(*) FILTER (WHERE key_class IN ('character', 'space')),
       count(*) FILTER (WHERE key_class = 'backspace')
FROM (
    SELECT k.*, sum(k.new_burst::INTEGER) OVER (PARTITION BY k.worker, k.case_id
                                                ORDER BY k.press, k.release, k.key_class, k.utc_offset, k.new_burst DESC
                                                ROWS UNBOUNDED PRECEDING) AS burst
    FROM keystrokes k JOIN _burst_redo r
      ON k.worker = r.worker AND k.case_id IS NOT DISTINCT FROM r.case_id AND k.press >= r.since
)
GROUP BY worker, case_id, burst;

-- name: deletion_range_raw_events
-- Every raw event in the range.
-- $start: the range's start
-- $stop: its end (not included)
-- $worker: whose rows (NULL: everyone's)
DELETE FROM raw_events WHERE ts >= $start AND ts < $stop AND ($worker IS NULL OR worker = $worker);

-- name: deletion_range_spans_split
-- A span over the whole range keeps its part after it, as a span of its own.
-- $start: the range's start
-- $stop: its end (not included)
-- $worker: whose rows (NULL: everyone's)
INSERT INTO spans
SELECT worker, kind, $stop, stop, utc_offset, app, title, case_id, source, batch_id FROM spans
WHERE start < $start AND stop > $stop AND ($worker IS NULL OR worker = $worker);

-- name: deletion_range_spans_before
-- Spans running into the range end where it starts.
-- $start: the range's start
-- $worker: whose rows (NULL: everyone's)
UPDATE spans SET stop = $start WHERE start < $start AND stop > $start AND ($worker IS NULL OR worker = $worker);

-- name: deletion_range_spans_after
-- Spans running out of the range start where it ends.
-- $start: the range's start
-- $stop: its end (not included)
-- $worker: whose rows (NULL: everyone's)
UPDATE spans SET start = $stop
WHERE start >= $start AND start < $stop AND stop > $stop AND ($worker IS NULL OR worker = $worker);

-- name: deletion_range_spans_inside
-- Spans inside the range.
-- $start: the range's start
-- $stop: its end (not included)
-- $worker: whose rows (NULL: everyone's)
DELETE FROM spans WHERE start >= $start AND start < $stop AND ($worker IS NULL OR worker = $worker);

-- name: deletion_range_hourly
-- The hours the range touches, to rebuild.
-- $hour_from: the first hour the range touches
-- $hour_until: the hour after the last one it touches
-- $worker: whose rows (NULL: everyone's)
DELETE FROM hourly WHERE hour >= $hour_from AND hour < $hour_until AND ($worker IS NULL OR worker = $worker);

-- name: deletion_range_hourly_total
-- Their totals, likewise.
-- $hour_from: the first hour the range touches
-- $hour_until: the hour after the last one it touches
-- $worker: whose rows (NULL: everyone's)
DELETE FROM hourly_total WHERE hour >= $hour_from AND hour < $hour_until AND ($worker IS NULL OR worker = $worker);

-- name: deletion_range_hour_totals
-- The totals of the rebuilt hours, from hourly (as hour_totals does).
-- $hour_from: the first hour the range touches
-- $hour_until: the hour after the last one it touches
-- $worker: whose rows (NULL: everyone's)
INSERT INTO hourly_total
SELECT worker, hour, any_value(utc_offset), sum(focus_s), sum(active_s), sum(switches)::INTEGER,
       sum(key_downs)::INTEGER, sum(clicks)::INTEGER, source
FROM hourly WHERE hour >= $hour_from AND hour < $hour_until AND ($worker IS NULL OR worker = $worker)
GROUP BY worker, hour, source;

-- name: deletion_range_derive_state
-- The incremental derivation resumes after the range: rebuilding from its
-- events before the range would stretch their spans over it again.
-- $resume: where it resumes
-- $worker: whose rows (NULL: everyone's)
UPDATE derive_state SET since = $resume WHERE since < $resume AND ($worker IS NULL OR worker = $worker);

-- name: deletion_app_raw_inputs
-- Input events while the app had focus.
DELETE FROM raw_events r USING _cuts c
WHERE r.worker = c.worker AND r.kind IN ('key_down', 'key_up', 'mouse_down', 'mouse_up', 'scroll', 'move')
  AND r.ts >= c.start AND r.ts < c.stop;

-- name: deletion_app_raw_focus
-- The app's focus events keep only that focus moved then: without the app,
-- its title and process, so that the time is given to no app (deleting them
-- would give it to the app before).
-- $app: the app (WM_CLASS), in any case
-- $worker: whose rows (NULL: everyone's)
UPDATE raw_events SET app = NULL, title = NULL, pid = NULL
WHERE kind = 'focus' AND lower(app) = lower($app) AND ($worker IS NULL OR worker = $worker);

-- name: deletion_app_hours
-- The hours the app has hourly rows in: their totals are rebuilt.
-- $app: the app (WM_CLASS), in any case
-- $worker: whose rows (NULL: everyone's)
CREATE OR REPLACE TEMP TABLE _hours AS
SELECT DISTINCT worker, hour FROM hourly WHERE lower(app) = lower($app) AND ($worker IS NULL OR worker = $worker);

-- name: deletion_app_spans
-- The app's spans.
-- $app: the app (WM_CLASS), in any case
-- $worker: whose rows (NULL: everyone's)
DELETE FROM spans WHERE lower(app) = lower($app) AND ($worker IS NULL OR worker = $worker);

-- name: deletion_app_hourly
-- The app's hourly rows.
-- $app: the app (WM_CLASS), in any case
-- $worker: whose rows (NULL: everyone's)
DELETE FROM hourly WHERE lower(app) = lower($app) AND ($worker IS NULL OR worker = $worker);

-- name: deletion_app_hourly_total
-- The totals of those hours, to rebuild.
DELETE FROM hourly_total t USING _hours h WHERE t.worker = h.worker AND t.hour = h.hour;

-- name: deletion_app_hour_totals
-- The totals of those hours, from the hourly rows that remain.
INSERT INTO hourly_total
SELECT worker, hour, any_value(utc_offset), sum(focus_s), sum(active_s), sum(switches)::INTEGER,
       sum(key_downs)::INTEGER, sum(clicks)::INTEGER, source
FROM hourly JOIN _hours USING (worker, hour) GROUP BY worker, hour, source;

-- name: deletion_all_key_counts
-- Everything: per-minute key counts.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM key_counts WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_steps
-- Everything: steps.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM steps WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_raw_events
-- Everything: raw events.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM raw_events WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_input_totals
-- Everything: input totals.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM input_totals WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_spans
-- Everything: spans.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM spans WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_keystrokes
-- Everything: keystrokes.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM keystrokes WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_bursts
-- Everything: bursts.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM bursts WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_hourly
-- Everything: hourly rollups.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM hourly WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_hourly_total
-- Everything: hour totals.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM hourly_total WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_all_derive_state
-- Everything: the derivation starts afresh.
-- $worker: whose rows (NULL: everyone's)
DELETE FROM derive_state WHERE $worker IS NULL OR worker = $worker;

-- name: deletion_drop_temp
-- The temporary tables of one deletion.
DROP TABLE IF EXISTS _cuts; DROP TABLE IF EXISTS _burst_redo; DROP TABLE IF EXISTS _hours;
