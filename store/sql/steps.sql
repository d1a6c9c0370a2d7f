-- The steps table: focus spans outside event-log cases, in the sessions the
-- workflow queries use (session_steps, with the default 180 s gap), kept up to
-- date by store/derive.py after the spans. A session only grows at its end, so
-- a rebuild starts at the session that holds the first span rebuilt.

-- name: derive_steps_from
-- Where the steps of $worker must be rebuilt from: the start of the session
-- that holds $since ($since itself when none does).
-- $worker: the worker whose tables are rebuilt
-- $since: the first span rebuilt
SELECT coalesce(max(session_start), $since) AS t FROM steps
WHERE worker = $worker AND session_start <= $since;

-- name: derive_clear_steps
-- Drop the steps that will be rebuilt: every one in a session that began at
-- $from or later (the steps of earlier sessions all began before it).
-- $worker: the worker whose tables are rebuilt
-- $from: where the rebuild starts (derive_steps_from)
DELETE FROM steps WHERE worker = $worker AND start >= $from;

-- name: derive_steps
-- A session is a run of active spans merged across gaps under 180 s; each
-- focus span belongs to the last session begun by its start (NULL before the
-- first one). Within a session the steps are numbered in order of start, then
-- of storing; an app following itself (after a pause, say) is not a step.
-- $worker: the worker whose tables are rebuilt
-- $from: where the rebuild starts (derive_steps_from)
INSERT INTO steps
WITH f AS (
    SELECT start, stop, utc_offset, app, rowid AS seq FROM spans
    WHERE worker = $worker AND kind = 'focus' AND app IS NOT NULL AND case_id IS NULL AND start >= $from
),
a AS (
    SELECT start, epoch(start) - epoch(lag(stop) OVER (ORDER BY start)) AS gap FROM spans
    WHERE worker = $worker AND kind = 'active' AND stop > $from - INTERVAL 1 DAY
),
sessions AS (
    SELECT start FROM a WHERE gap IS NULL OR gap >= 180
),
tagged AS (
    SELECT f.*, s.start AS session_start FROM f ASOF LEFT JOIN sessions s ON f.start >= s.start
),
marked AS (
    SELECT *, lag(app) OVER (PARTITION BY session_start ORDER BY start, seq) AS prev FROM tagged
)
SELECT $worker, session_start, row_number() OVER (PARTITION BY session_start ORDER BY start, seq),
       start, stop, utc_offset, app
FROM marked WHERE prev IS DISTINCT FROM app;

-- name: derive_step_workers
-- The workers with focus spans outside event-log cases.
SELECT DISTINCT worker FROM spans WHERE kind = 'focus' AND case_id IS NULL ORDER BY worker;

-- name: derive_drop_steps
-- Every step of $worker (NULL: everyone's), before a rebuild from all spans.
-- $worker: whose steps (NULL: everyone's)
DELETE FROM steps WHERE $worker IS NULL OR worker = $worker;
