-- Macros: building blocks shared by the named queries and the store.
-- store.db.open_writable installs them (CREATE OR REPLACE) whenever a database
-- is opened for writing and records their digest in meta, so a file whose
-- macros are older than this one is told apart and upgraded.
-- Macros may use the ones defined above them.

-- name: macro_local_time
-- A UTC instant as the worker's local wall-clock time, from the UTC offset
-- (seconds) recorded with it.
CREATE OR REPLACE MACRO local_time(p_ts, p_offset) AS CAST(p_ts + to_seconds(p_offset) AS TIMESTAMP);

-- name: macro_local_day
-- The worker's local day of a UTC instant (see local_time).
CREATE OR REPLACE MACRO local_day(p_ts, p_offset) AS CAST(p_ts + to_seconds(p_offset) AS DATE);

-- name: macro_utc_hour
-- The UTC hour an instant falls in, by integer arithmetic: date_trunc on a
-- TIMESTAMPTZ goes through the time-zone calendar and costs 20x more a row.
CREATE OR REPLACE MACRO utc_hour(p_ts) AS make_timestamptz(epoch_us(p_ts) // 3600000000 * 3600000000);

-- name: macro_utc_minute
-- The UTC minute an instant falls in (see utc_hour).
CREATE OR REPLACE MACRO utc_minute(p_ts) AS make_timestamptz(epoch_us(p_ts) // 60000000 * 60000000);

-- name: macro_category_of
-- The category of an app: the first rule in category_rules (lowest priority
-- number) whose regular expression matches it in any case, else 'Other'.
CREATE OR REPLACE MACRO category_of(p_app) AS coalesce(
    (SELECT arg_min(category, priority) FROM category_rules WHERE regexp_matches(p_app, pattern, 'i')), 'Other');

-- name: macro_stored_key_class
-- The key class as stored: letters, digits and punctuation are one class,
-- "character" (what they told apart gave away the shape of what was typed).
CREATE OR REPLACE MACRO stored_key_class(p_class) AS
    CASE WHEN p_class IN ('letter', 'digit', 'punctuation') THEN 'character' ELSE p_class END;

-- name: macro_consent_latest
-- The worker's latest consent action to capture ('accept' or 'withdraw'),
-- when it was taken and the consent text's version; no row if there was
-- none. Latest by the ledger's own sequence, not by the clock. Team consent
-- (scope 'team') is another answer and never counts here.
CREATE OR REPLACE MACRO consent_latest(p_worker) AS TABLE
SELECT action, ts, text_version, account FROM consent_log WHERE worker = p_worker AND scope = 'capture'
ORDER BY seq DESC LIMIT 1;

-- name: macro_hour_totals
-- hourly summed over apps: one row per worker, UTC hour and source, for the
-- rows of p_source (and p_worker, unless NULL) from hour p_since on.
CREATE OR REPLACE MACRO hour_totals(p_worker, p_source, p_since) AS TABLE
SELECT worker, hour, any_value(utc_offset) AS utc_offset, sum(focus_s) AS focus_s, sum(active_s) AS active_s,
       sum(switches)::INTEGER AS switches, sum(key_downs)::INTEGER AS key_downs, sum(clicks)::INTEGER AS clicks,
       source
FROM hourly
WHERE (p_worker IS NULL OR worker = p_worker) AND source = p_source AND hour >= p_since
GROUP BY worker, hour, source;

-- name: macro_focus_seconds
-- Seconds per worker and app with focus in [p_start, p_end); with
-- p_active_only, only time inside active spans (each focus span intersected
-- with each active span, as ActivityWatch does).
CREATE OR REPLACE MACRO focus_seconds(p_start, p_end, p_active_only, p_worker) AS TABLE
WITH f AS (
    SELECT worker, app, greatest(start, p_start) AS s, least(stop, p_end) AS e
    FROM spans
    WHERE kind = 'focus' AND stop > p_start AND start < p_end AND app IS NOT NULL
      AND (p_worker IS NULL OR worker = p_worker)
),
a AS (
    SELECT worker, start, stop FROM spans
    WHERE kind = 'active' AND stop > p_start AND start < p_end
      AND (p_worker IS NULL OR worker = p_worker)
)
SELECT worker, app, sum(epoch(e) - epoch(s)) AS seconds FROM f WHERE NOT p_active_only GROUP BY ALL
UNION ALL
SELECT f.worker, f.app, sum(epoch(least(f.e, a.stop)) - epoch(greatest(f.s, a.start)))
FROM f JOIN a ON a.worker = f.worker AND a.start < f.e AND a.stop > f.s
WHERE p_active_only GROUP BY ALL;

-- name: macro_app_seconds
-- focus_seconds, fast over long ranges: whole UTC hours inside the range come
-- from the hourly rollup (derived from the same spans, so the sums agree),
-- and only the partial hours at either end are summed from spans.
CREATE OR REPLACE MACRO app_seconds(p_start, p_end, p_active_only, p_worker) AS TABLE
WITH bounds AS (
    SELECT CASE WHEN date_trunc('hour', p_start) = p_start THEN p_start
                ELSE date_trunc('hour', p_start) + INTERVAL 1 HOUR END AS h0,
           date_trunc('hour', p_end) AS h1
),
whole AS (
    SELECT worker, app, CASE WHEN p_active_only THEN active_s ELSE focus_s END AS seconds
    FROM hourly, bounds
    WHERE h0 < h1 AND hour >= h0 AND hour < h1 AND (p_worker IS NULL OR worker = p_worker)
)
SELECT worker, app, seconds FROM whole
UNION ALL
SELECT worker, app, seconds FROM bounds, focus_seconds(p_start, CASE WHEN h0 < h1 THEN h0 ELSE p_end END, p_active_only, p_worker)
UNION ALL
SELECT worker, app, seconds FROM bounds, focus_seconds(h1, p_end, p_active_only, p_worker) WHERE h0 < h1;

-- name: macro_worked_out_steps
-- The focus steps in [p_start, p_end) that session_steps works out from the
-- spans rather than reads from the steps table: every step of an event-log
-- case (its session is the case: no sessions to work out, and an ASOF join
-- sorts its whole input even when there are no active spans to join), and,
-- for a gap other than the default 180 s, every other step, in runs of active
-- spans merged across gaps shorter than p_gap seconds (an app following
-- itself, after a pause say, is not a step). seq keeps the stored order for
-- steps at the same time.
CREATE OR REPLACE MACRO worked_out_steps(p_start, p_end, p_worker, p_gap) AS TABLE
WITH f AS (
    SELECT worker, start, stop, app, case_id, utc_offset, rowid AS seq FROM spans
    WHERE kind = 'focus' AND app IS NOT NULL AND start >= p_start AND start < p_end
      AND (p_worker IS NULL OR worker = p_worker) AND (case_id IS NOT NULL OR p_gap <> 180)
),
a AS (
    SELECT worker, start, stop,
           CASE WHEN epoch(start) - epoch(lag(stop) OVER (PARTITION BY worker ORDER BY start)) < p_gap
                THEN 0 ELSE 1 END AS is_new
    FROM spans
    WHERE kind = 'active' AND stop > p_start - INTERVAL 1 DAY AND start < p_end
      AND (p_worker IS NULL OR worker = p_worker) AND p_gap <> 180
),
sess AS (
    SELECT worker, start, sum(is_new) OVER (PARTITION BY worker ORDER BY start ROWS UNBOUNDED PRECEDING) AS n
    FROM a
),
tagged AS (
    SELECT f.worker, f.start, f.stop, f.app, f.seq, f.utc_offset, coalesce('session:' || s.n::VARCHAR, 'none') AS session
    FROM (SELECT * FROM f WHERE case_id IS NULL) f ASOF LEFT JOIN sess s ON f.worker = s.worker AND f.start >= s.start
),
marked AS (
    SELECT *, lag(app) OVER (PARTITION BY worker, session ORDER BY start, seq) AS prev FROM tagged
)
SELECT worker, 'case:' || case_id AS session, start, stop, app, seq, utc_offset FROM f WHERE case_id IS NOT NULL
UNION ALL
SELECT worker, session, start, stop, app, seq, utc_offset FROM marked WHERE prev IS DISTINCT FROM app;

-- name: macro_kept_steps
-- The steps table's rows in [p_start, p_end) (none unless p_gap is the 180 s
-- they were derived with), with their session named as session_steps names it.
CREATE OR REPLACE MACRO kept_steps(p_start, p_end, p_worker, p_gap) AS TABLE
SELECT *, coalesce('since:' || epoch_us(session_start)::VARCHAR, 'none') AS session
FROM steps
WHERE p_gap = 180 AND start >= p_start AND start < p_end AND (p_worker IS NULL OR worker = p_worker);

-- name: macro_session_steps
-- The focus steps in [p_start, p_end) with their session: the case for
-- imported event logs, else a run of active spans merged across gaps shorter
-- than p_gap seconds. seq keeps the stored order for steps at the same time.
-- A captured app following itself (after a pause, say) is dropped.
-- With the default gap of 180 s the sessions outside cases come from the
-- steps table (store/sql/steps.sql), worked out once over the whole history:
-- a session that began before p_start keeps its own start, so a step
-- repeating the app of the step before it, outside the range, is not one.
CREATE OR REPLACE MACRO session_steps(p_start, p_end, p_worker, p_gap) AS TABLE
SELECT * FROM worked_out_steps(p_start, p_end, p_worker, p_gap)
UNION ALL
SELECT worker, session, start, stop, app, step, utc_offset FROM kept_steps(p_start, p_end, p_worker, p_gap);

-- name: macro_burst_wpm
-- Typing bursts started in [p_start, p_end) with their duration and a
-- words-per-minute estimate from key classes alone: (printable presses -
-- backspaces - 1) over the time from first to last press, x 60 / 5.
CREATE OR REPLACE MACRO burst_wpm(p_start, p_end, p_worker) AS TABLE
SELECT worker, case_id, start, stop, utc_offset, keys, printable, backspaces,
       epoch(stop) - epoch(start) AS seconds,
       CASE WHEN stop > start THEN (printable - backspaces - 1) / (epoch(stop) - epoch(start)) * 60 / 5 END AS wpm
FROM bursts
WHERE start >= p_start AND start < p_end AND (p_worker IS NULL OR worker = p_worker);

-- name: macro_measure_values
-- One value per observation of a timing measure, in its natural unit:
-- 'iki' (ms between presses inside a burst), 'hold' (ms from press to
-- release), 'click_interval' (s between consecutive clicks within 60 s),
-- 'dwell' (s per focus span), 'session' (s per session of activity, see
-- session_steps, with the default 180 s gap), 'burst' (s per typing burst of
-- more than one key), 'pause' (s between captured typing bursts).
CREATE OR REPLACE MACRO measure_values(p_measure, p_start, p_end, p_worker) AS TABLE
SELECT worker, iki_ms AS v FROM keystrokes
WHERE p_measure = 'iki' AND NOT new_burst AND press >= p_start AND press < p_end
  AND (p_worker IS NULL OR worker = p_worker)
UNION ALL
SELECT worker, (epoch_us(release) - epoch_us(press)) / 1000 FROM keystrokes
WHERE p_measure = 'hold' AND release IS NOT NULL AND press >= p_start AND press < p_end
  AND (p_worker IS NULL OR worker = p_worker)
UNION ALL
SELECT worker, gap FROM (
    SELECT worker, epoch(ts) - epoch(lag(ts) OVER (PARTITION BY worker ORDER BY ts)) AS gap
    FROM raw_events
    WHERE p_measure = 'click_interval' AND kind = 'mouse_down' AND ts >= p_start AND ts < p_end
      AND (p_worker IS NULL OR worker = p_worker)
) WHERE gap IS NOT NULL AND gap <= 60
UNION ALL
SELECT worker, epoch(least(stop, p_end)) - epoch(greatest(start, p_start)) FROM spans
WHERE p_measure = 'dwell' AND kind = 'focus' AND stop > p_start AND start < p_end AND stop > start
  AND (p_worker IS NULL OR worker = p_worker)
UNION ALL
SELECT worker, epoch(max(stop)) - epoch(min(start)) FROM session_steps(p_start, p_end, p_worker, 180)
WHERE p_measure = 'session' GROUP BY worker, session
UNION ALL
SELECT worker, seconds FROM burst_wpm(p_start, p_end, p_worker)
WHERE p_measure = 'burst' AND keys > 1
UNION ALL
SELECT worker, gap FROM (
    SELECT worker, epoch(start) - epoch(lag(stop) OVER (PARTITION BY worker ORDER BY start)) AS gap
    FROM bursts
    WHERE p_measure = 'pause' AND case_id IS NULL AND start >= p_start AND start < p_end
      AND (p_worker IS NULL OR worker = p_worker)
) WHERE gap IS NOT NULL;

-- name: macro_measure_quantiles
-- Exact quantiles p_qs (a list, e.g. [0.5, 0.9]) of one measure's values,
-- as quantile_cont gives them (linear between the two values around each
-- rank), but without its sort of every value (a second or more for a
-- worker-year of key presses): the values are counted into log-spaced
-- buckets, 100 a factor of e (zero and below in one), the bucket holding
-- each wanted rank is found from the running counts, and only the values of
-- those few buckets are ranked. One row: the list, in the order of p_qs.
CREATE OR REPLACE MACRO measure_quantiles(p_measure, p_start, p_end, p_worker, p_qs) AS TABLE
WITH vals AS (
    SELECT v, CASE WHEN v > 0 THEN floor(ln(v) * 100) ELSE -1e9 END AS bucket
    FROM measure_values(p_measure, p_start, p_end, p_worker) WHERE v IS NOT NULL
),
counts AS (SELECT bucket, count(*) AS k FROM vals GROUP BY bucket),
running AS (SELECT bucket, k, sum(k) OVER (ORDER BY bucket ROWS UNBOUNDED PRECEDING) - k AS before FROM counts),
total AS (SELECT sum(k) AS n FROM counts),
ranks AS (  -- the two ranks (0-based) around each quantile's position h
    SELECT q, (n - 1) * q AS h, r
    FROM total, unnest(p_qs) AS t(q), unnest([floor((n - 1) * q)::BIGINT, floor((n - 1) * q)::BIGINT + 1]) AS u(r)
    WHERE n > 0
),
hits AS (
    SELECT ranks.*, running.bucket, ranks.r - running.before AS i
    FROM ranks JOIN running ON ranks.r >= running.before AND ranks.r < running.before + running.k
),
ranked AS (
    SELECT v, bucket, row_number() OVER (PARTITION BY bucket ORDER BY v) - 1 AS i
    FROM vals WHERE bucket IN (SELECT bucket FROM hits)
),
picked AS (
    SELECT hits.q, any_value(hits.h) AS h,
           min(ranked.v) FILTER (WHERE hits.r = floor(hits.h)) AS below,
           min(ranked.v) FILTER (WHERE hits.r = floor(hits.h) + 1) AS above
    FROM hits JOIN ranked ON ranked.bucket = hits.bucket AND ranked.i = hits.i
    GROUP BY hits.q
)
SELECT list(below + (h - floor(h)) * (coalesce(above, below) - below) ORDER BY list_position(p_qs, q)) AS q
FROM picked;

-- name: macro_step_pairs
-- Every step of a session (see session_steps) with the one after it: its app
-- a1 and start, the next app a2 and start s2 (NULL at the session's end).
-- step_runs cut down to what the directly-follows graph needs: on an event
-- log's millions of steps every further lead costs.
CREATE OR REPLACE MACRO step_pairs(p_start, p_end, p_worker, p_gap) AS TABLE
SELECT worker, start, app AS a1, lead(app) OVER w AS a2, lead(start) OVER w AS s2
FROM worked_out_steps(p_start, p_end, p_worker, p_gap)
WINDOW w AS (PARTITION BY worker, session ORDER BY start, seq)
UNION ALL
SELECT worker, start, app, lead(app) OVER k, lead(start) OVER k
FROM kept_steps(p_start, p_end, p_worker, p_gap)
WINDOW k AS (PARTITION BY worker, session_start ORDER BY step);

-- name: macro_step_runs
-- Every step of a session (see session_steps) with the next four: a1 is its
-- app, a2..a5 the apps after it (NULL past the session's end), s2 when the
-- next step began, e2..e5 when those steps ended. One window over the steps
-- gives every n-gram of 2 to 5 starting at each step, so queries group or
-- filter it once rather than stacking four copies (ngrams). The steps read
-- from the steps table are windowed by their session's start and number:
-- twice as fast as by the session's name.
CREATE OR REPLACE MACRO step_runs(p_start, p_end, p_worker, p_gap) AS TABLE
SELECT worker, session, start, utc_offset, app AS a1,
       lead(app, 1) OVER w AS a2, lead(app, 2) OVER w AS a3, lead(app, 3) OVER w AS a4, lead(app, 4) OVER w AS a5,
       lead(start, 1) OVER w AS s2,
       lead(stop, 1) OVER w AS e2, lead(stop, 2) OVER w AS e3, lead(stop, 3) OVER w AS e4, lead(stop, 4) OVER w AS e5
FROM worked_out_steps(p_start, p_end, p_worker, p_gap)
WINDOW w AS (PARTITION BY worker, session ORDER BY start, seq)
UNION ALL
SELECT worker, session, start, utc_offset, app,
       lead(app, 1) OVER k, lead(app, 2) OVER k, lead(app, 3) OVER k, lead(app, 4) OVER k,
       lead(start, 1) OVER k,
       lead(stop, 1) OVER k, lead(stop, 2) OVER k, lead(stop, 3) OVER k, lead(stop, 4) OVER k
FROM kept_steps(p_start, p_end, p_worker, p_gap)
WINDOW k AS (PARTITION BY worker, session_start ORDER BY step);

-- name: macro_ngrams
-- Every run of 2 to 5 consecutive steps inside a session (see
-- session_steps): its length n, its apps a1..a5 (NULL past n), when it
-- started and how long it took (start of the first step to the end of the
-- last), one row per run.
CREATE OR REPLACE MACRO ngrams(p_start, p_end, p_worker, p_gap) AS TABLE
WITH s AS (SELECT * FROM step_runs(p_start, p_end, p_worker, p_gap))
SELECT worker, session, start, utc_offset, 2 AS n, a1, a2, NULL::VARCHAR AS a3, NULL::VARCHAR AS a4, NULL::VARCHAR AS a5,
       epoch(e2) - epoch(start) AS seconds
FROM s WHERE a2 IS NOT NULL
UNION ALL
SELECT worker, session, start, utc_offset, 3, a1, a2, a3, NULL, NULL, epoch(e3) - epoch(start) FROM s WHERE a3 IS NOT NULL
UNION ALL
SELECT worker, session, start, utc_offset, 4, a1, a2, a3, a4, NULL, epoch(e4) - epoch(start) FROM s WHERE a4 IS NOT NULL
UNION ALL
SELECT worker, session, start, utc_offset, 5, a1, a2, a3, a4, a5, epoch(e5) - epoch(start) FROM s WHERE a5 IS NOT NULL;

-- name: macro_ngram_counts
-- ngrams grouped by sequence: for each run of n apps (a1..a5, NULL past n)
-- that occurred, how often, the seconds it took in all, and on how many UTC
-- days. One grouping-sets pass over step_runs.
CREATE OR REPLACE MACRO ngram_counts(p_start, p_end, p_worker, p_gap) AS TABLE
WITH g AS (
    SELECT a1, a2, a3, a4, a5, GROUPING(a3, a4, a5) AS grouped_out, count(*) AS occurrences,
           sum(epoch(e2) - epoch(start)) AS s2, sum(epoch(e3) - epoch(start)) AS s3,
           sum(epoch(e4) - epoch(start)) AS s4, sum(epoch(e5) - epoch(start)) AS s5,
           approx_count_distinct(epoch_us(start) // 86400000000) AS days  -- UTC days, without the calendar (CAST AS DATE costs 5x)
    FROM step_runs(p_start, p_end, p_worker, p_gap)
    WHERE a2 IS NOT NULL
    GROUP BY GROUPING SETS ((a1, a2), (a1, a2, a3), (a1, a2, a3, a4), (a1, a2, a3, a4, a5))
),
n AS (
    SELECT *, CASE grouped_out WHEN 7 THEN 2 WHEN 3 THEN 3 WHEN 1 THEN 4 ELSE 5 END AS n FROM g
)
SELECT n, a1, a2, a3, a4, a5, occurrences,
       CASE n WHEN 2 THEN s2 WHEN 3 THEN s3 WHEN 4 THEN s4 ELSE s5 END AS total_s, days
FROM n
-- In the set of length n, steps with no n-th app after them form a group of their own: not a run.
WHERE CASE n WHEN 2 THEN a2 WHEN 3 THEN a3 WHEN 4 THEN a4 ELSE a5 END IS NOT NULL;
