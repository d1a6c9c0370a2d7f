-- How work flows between apps. Reads spans. A session is a case for imported
-- event logs (case_id), else a run of activity: active spans merged across
-- gaps shorter than $session_gap seconds (gaps shorter than the capture's
-- idle threshold do not exist between active spans, so smaller values change
-- nothing). Steps are ordered by start time, then by the order they were
-- stored; a captured app that follows itself (after a pause) is not a step.

-- name: transitions
-- The directly-follows graph of apps within sessions: how often $src was
-- directly followed by dst, and the mean and median seconds between the two
-- focus events.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
WITH steps AS (
    SELECT * FROM session_steps($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
),
pairs AS (
    SELECT app AS src, lead(app) OVER w AS dst, epoch(lead(start) OVER w) - epoch(start) AS dt
    FROM steps WINDOW w AS (PARTITION BY worker, session ORDER BY start, seq)
)
SELECT src, dst, count(*) AS n, avg(dt) AS mean_s, median(dt) AS median_s
FROM pairs WHERE dst IS NOT NULL
GROUP BY src, dst ORDER BY n DESC, src, dst;

-- name: variants
-- Each distinct sequence of apps in a session, with how many sessions had it.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
SELECT variant, count(*) AS n, avg(steps) AS steps, avg(seconds) AS mean_s
FROM (
    SELECT string_agg(app, ' > ' ORDER BY start, seq) AS variant, count(*) AS steps,
           epoch(max(start)) - epoch(min(start)) AS seconds
    FROM session_steps($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
    GROUP BY worker, session
)
GROUP BY variant ORDER BY n DESC, variant;

-- name: start_end_activities
-- How often each app starts and ends a session (role 'start' or 'end').
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
WITH ends AS (
    SELECT arg_min(app, (start, seq)) AS first_app, arg_max(app, (start, seq)) AS last_app
    FROM session_steps($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
    GROUP BY worker, session
)
SELECT 'start' AS role, first_app AS app, count(*) AS n FROM ends GROUP BY first_app
UNION ALL
SELECT 'end', last_app, count(*) FROM ends GROUP BY last_app
ORDER BY role DESC, n DESC, app;
