-- The steps table: focus spans outside event-log cases, in the sessions the
-- workflow queries use (session_steps, with the default 180 s gap), kept up to
-- date by store/derive.py after the spans, for all the workers refreshed
-- together (as in derive.sql: $workers with, here, $froms). A session only
-- grows at its end, so a rebuild starts at the session that holds the first
-- span rebuilt.

-- name: derive_steps_from
-- Where the steps of each worker must be rebuilt from: the start of the
-- session that holds its since (the since itself when none does).
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, the first span rebuilt
WITH todo AS (SELECT unnest($workers::VARCHAR[]) AS worker, unnest($sinces::TIMESTAMPTZ[]) AS since)
SELECT todo.worker, coalesce(max(s.session_start), any_value(todo.since)) AS start_from
FROM todo LEFT JOIN steps s ON s.worker = todo.worker AND s.session_start <= todo.since
GROUP BY todo.worker ORDER BY todo.worker;

-- name: derive_clear_steps
-- Drop the steps that will be rebuilt: each worker's in a session that began
-- at its $froms entry or later (the steps of earlier sessions all began before it).
-- $workers: the workers whose tables are rebuilt
-- $froms: for each of them, where the rebuild starts (derive_steps_from)
DELETE FROM steps
WHERE list_contains($workers::VARCHAR[], worker)
  AND start >= map_extract_value(map($workers::VARCHAR[], $froms::TIMESTAMPTZ[]), worker);

-- name: derive_steps
-- A session is a run of active spans merged across gaps under 180 s; each
-- focus span belongs to the last session begun by its start (NULL before the
-- first one). Within a session the steps are numbered in order of start, then
-- of storing; an app following itself (after a pause, say) is not a step.
-- $workers: the workers whose tables are rebuilt
-- $froms: for each of them, where the rebuild starts (derive_steps_from)
INSERT INTO steps
WITH todo AS (SELECT unnest($workers::VARCHAR[]) AS worker, unnest($froms::TIMESTAMPTZ[]) AS start_from),
f AS (
    SELECT s.worker, s.start, s.stop, s.utc_offset, s.app, s.rowid AS seq
    FROM spans s JOIN todo ON s.worker = todo.worker AND s.start >= todo.start_from
    WHERE s.kind = 'focus' AND s.app IS NOT NULL AND s.case_id IS NULL
),
a AS (
    SELECT s.worker, s.start, epoch(s.start) - epoch(lag(s.stop) OVER (PARTITION BY s.worker ORDER BY s.start)) AS gap
    FROM spans s JOIN todo ON s.worker = todo.worker AND s.stop > todo.start_from - INTERVAL 1 DAY
    WHERE s.kind = 'active'
),
sessions AS (
    SELECT worker, start FROM a WHERE gap IS NULL OR gap >= 180
),
tagged AS (
    SELECT f.*, s.start AS session_start
    FROM f ASOF LEFT JOIN sessions s ON f.worker = s.worker AND f.start >= s.start
),
marked AS (
    SELECT *, lag(app) OVER (PARTITION BY worker, session_start ORDER BY start, seq) AS prev FROM tagged
)
SELECT worker, session_start, row_number() OVER (PARTITION BY worker, session_start ORDER BY start, seq),
       start, stop, utc_offset, app
FROM marked WHERE prev IS DISTINCT FROM app;

-- name: derive_step_workers
-- The workers with focus spans outside event-log cases.
SELECT DISTINCT worker FROM spans WHERE kind = 'focus' AND case_id IS NULL ORDER BY worker;

-- name: derive_drop_steps
-- Every step of $worker (NULL: everyone's), before a rebuild from all spans.
-- $worker: whose steps (NULL: everyone's)
DELETE FROM steps WHERE $worker IS NULL OR worker = $worker;
