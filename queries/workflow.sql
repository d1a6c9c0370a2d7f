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
SELECT a1 AS src, a2 AS dst, count(*) AS n, avg(epoch(s2) - epoch(start)) AS mean_s,
       median(epoch(s2) - epoch(start)) AS median_s
FROM step_pairs($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
WHERE a2 IS NOT NULL
GROUP BY src, dst ORDER BY n DESC, src, dst;

-- name: variants
-- Each distinct sequence of apps in a session, with how many sessions had it.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
SELECT variant, count(*) AS n, avg(steps) AS steps, avg(seconds) AS mean_s
FROM (
    -- Ordered by a step number from one window: a string_agg ordered by
    -- (start, seq) itself sorts each session's rows again, twice as slow.
    SELECT string_agg(app, ' > ' ORDER BY step) AS variant, count(*) AS steps,
           epoch(max(start)) - epoch(min(start)) AS seconds
    FROM (
        SELECT *, row_number() OVER (PARTITION BY worker, session ORDER BY start, seq) AS step
        FROM session_steps($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
    )
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

-- name: sequences
-- Frequent sequences of $min_n to $max_n apps in a row (n-grams within
-- sessions), with how often each occurred and the time they took.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
-- $min_n: shortest sequence (default: 2)
-- $max_n: longest sequence, at most 5 (default: 5)
-- $limit: how many of the most frequent (default: 50)
SELECT concat_ws(' > ', a1, a2, a3, a4, a5) AS sequence, n AS length, occurrences, total_s, total_s / occurrences AS mean_s
FROM (
    SELECT * FROM ngram_counts($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
    WHERE n BETWEEN $min_n::INTEGER AND $max_n::INTEGER
    ORDER BY occurrences DESC, total_s DESC
    LIMIT $limit::INTEGER
)
ORDER BY occurrences DESC, total_s DESC, sequence;

-- name: automation_candidates
-- Sequences of 3 to 5 steps through at least 3 different apps that recur at
-- least $min_count times, ranked by the total time they cost: the routines most
-- worth automating (going back and forth between two apps is ping_pong).
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
-- $min_count: fewest occurrences to count as recurring (default: 5)
-- $limit: how many candidates (default: 20)
SELECT concat_ws(' > ', a1, a2, a3, a4, a5) AS sequence, n AS length, occurrences, total_s,
       total_s / occurrences AS mean_s, days
FROM (
    SELECT * FROM ngram_counts($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
    WHERE n >= 3 AND occurrences >= $min_count::INTEGER AND len(list_distinct([a1, a2, a3, a4, a5])) >= 3
    ORDER BY total_s DESC
    LIMIT $limit::INTEGER
)
ORDER BY total_s DESC, sequence;

-- name: sequence_occurrences
-- When one $sequence ('A > B > C') happened: each occurrence's start (UTC and
-- local) and duration, newest first. The drill-down behind sequences,
-- automation candidates and ping-pong loops.
-- $sequence: the apps in order, joined by ' > '
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
WITH wanted AS (SELECT string_split($sequence, ' > ') AS apps)
SELECT g.start, local_time(g.start, g.utc_offset) AS local_start,
       epoch(CASE len(w.apps) WHEN 2 THEN g.e2 WHEN 3 THEN g.e3 WHEN 4 THEN g.e4 ELSE g.e5 END) - epoch(g.start) AS seconds
FROM step_runs($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE) g
CROSS JOIN wanted w
WHERE len(w.apps) BETWEEN 2 AND 5 AND g.a1 = w.apps[1] AND g.a2 = w.apps[2]
  AND (len(w.apps) < 3 OR g.a3 = w.apps[3]) AND (len(w.apps) < 4 OR g.a4 = w.apps[4])
  AND (len(w.apps) < 5 OR g.a5 = w.apps[5])
ORDER BY g.start DESC;

-- name: ping_pong
-- Ping-pong loops: going from one app to another and straight back
-- (A > B > A), per pair of apps, with the time the loops took.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
SELECT a1 AS app, a2 AS other, concat_ws(' > ', a1, a2, a3) AS sequence,
       count(*) AS loops, sum(epoch(e3) - epoch(start)) AS total_s, avg(epoch(e3) - epoch(start)) AS mean_s
FROM step_runs($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
WHERE a3 IS NOT NULL AND a1 = a3
GROUP BY a1, a2, a3
ORDER BY loops DESC, total_s DESC, sequence;

-- name: rework
-- Returns to an app already used earlier in the same session (after working
-- elsewhere), per app: how often, and in how many sessions.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $session_gap: seconds without activity that end a session (default: 180)
WITH s AS (
    SELECT worker, session, app,
           row_number() OVER (PARTITION BY worker, session, app ORDER BY start, seq) AS visit
    FROM session_steps($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, $session_gap::DOUBLE)
)
SELECT app, count(*) FILTER (WHERE visit > 1) AS returns,
       count(DISTINCT (worker, session)) FILTER (WHERE visit > 1) AS sessions_with_returns,
       count(DISTINCT (worker, session)) AS sessions
FROM s GROUP BY app
HAVING count(*) FILTER (WHERE visit > 1) > 0
ORDER BY returns DESC, app;

-- name: focus_sessions
-- Stretches of at least $min_s seconds in one app (or, with $by =
-- 'category', one category) without switching away: consecutive focus spans
-- of the same app or category less than 5 s apart are one stretch.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $min_s: shortest stretch that counts (default: 600)
-- $by: 'app' or 'category' (default: app)
WITH f AS (
    SELECT s.worker, greatest(s.start, $start::TIMESTAMPTZ) AS start, least(s.stop, $end::TIMESTAMPTZ) AS stop,
           s.utc_offset,
           CASE WHEN $by = 'category' THEN c.category ELSE s.app END AS label
    FROM spans s
    LEFT JOIN (
        SELECT app, category_of(app) AS category FROM (SELECT DISTINCT app FROM spans WHERE kind = 'focus')
    ) c ON c.app = s.app
    WHERE s.kind = 'focus' AND s.app IS NOT NULL AND s.stop > $start::TIMESTAMPTZ AND s.start < $end::TIMESTAMPTZ
      AND ($worker IS NULL OR s.worker = $worker)
),
marked AS (
    SELECT *, CASE WHEN label IS NOT DISTINCT FROM lag(label) OVER w
                        AND epoch(start) - epoch(lag(stop) OVER w) < 5 THEN 0 ELSE 1 END AS is_new
    FROM f WINDOW w AS (PARTITION BY worker ORDER BY start)
),
runs AS (
    SELECT *, sum(is_new) OVER (PARTITION BY worker ORDER BY start ROWS UNBOUNDED PRECEDING) AS run FROM marked
)
SELECT worker, label, min(start) AS start, max(stop) AS stop,
       local_time(min(start), any_value(utc_offset)) AS local_start,
       epoch(max(stop)) - epoch(min(start)) AS seconds
FROM runs GROUP BY worker, label, run
HAVING epoch(max(stop)) - epoch(min(start)) >= $min_s::DOUBLE
ORDER BY start;
