-- Table macros: building blocks shared by the named queries.
-- store.open_writable installs them (CREATE OR REPLACE) every time a
-- database is opened for writing, so they always match this file.

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

-- name: macro_session_steps
-- The focus steps in [p_start, p_end) with their session: the case for
-- imported event logs, else a run of active spans merged across gaps shorter
-- than p_gap seconds. seq keeps the stored order for steps at the same time.
-- A captured app following itself (after a pause, say) is dropped.
CREATE OR REPLACE MACRO session_steps(p_start, p_end, p_worker, p_gap) AS TABLE
WITH f AS (
    SELECT worker, start, stop, app, case_id, rowid AS seq FROM spans
    WHERE kind = 'focus' AND app IS NOT NULL AND start >= p_start AND start < p_end
      AND (p_worker IS NULL OR worker = p_worker)
),
a AS (
    SELECT worker, start, stop,
           CASE WHEN epoch(start) - epoch(lag(stop) OVER (PARTITION BY worker ORDER BY start)) < p_gap
                THEN 0 ELSE 1 END AS is_new
    FROM spans
    WHERE kind = 'active' AND stop > p_start - INTERVAL 1 DAY AND start < p_end
      AND (p_worker IS NULL OR worker = p_worker)
),
sess AS (
    SELECT worker, start, sum(is_new) OVER (PARTITION BY worker ORDER BY start ROWS UNBOUNDED PRECEDING) AS n
    FROM a
),
tagged AS (
    SELECT f.worker, f.start, f.stop, f.app, f.seq,
           coalesce('case:' || f.case_id, 'session:' || s.n::VARCHAR, 'none') AS session
    FROM f ASOF LEFT JOIN sess s ON f.worker = s.worker AND f.start >= s.start
),
marked AS (
    SELECT *, lag(app) OVER (PARTITION BY worker, session ORDER BY start, seq) AS prev FROM tagged
)
SELECT worker, session, start, stop, app, seq FROM marked
WHERE NOT (session NOT LIKE 'case:%' AND prev IS NOT DISTINCT FROM app);

-- name: macro_keystroke_steps
-- Keystrokes pressed in [p_start, p_end), each with the interval since the
-- previous press (ms) and the previous key's release, inside its typing
-- session: the sentence (case) for imported typing studies, else a burst of
-- captured typing that a pause longer than p_pause_s seconds ends. burst
-- numbers the session within its worker and case.
CREATE OR REPLACE MACRO keystroke_steps(p_start, p_end, p_worker, p_pause_s) AS TABLE
WITH k AS (
    SELECT worker, case_id, press, release, key_class,
           lag(press) OVER w AS prev_press, lag(release) OVER w AS prev_release
    FROM keystrokes
    WHERE press >= p_start AND press < p_end AND (p_worker IS NULL OR worker = p_worker)
    WINDOW w AS (PARTITION BY worker, case_id ORDER BY press)
),
gaps AS (
    SELECT *, (epoch_us(press) - epoch_us(prev_press)) / 1000 AS gap_ms,
           CASE WHEN prev_press IS NULL OR (case_id IS NULL AND epoch(press) - epoch(prev_press) > p_pause_s)
                THEN 1 ELSE 0 END AS is_new
    FROM k
)
SELECT worker, case_id, press, release, key_class,
       CASE WHEN is_new = 0 THEN gap_ms END AS iki_ms,
       CASE WHEN is_new = 0 THEN prev_release END AS prev_release,
       (epoch_us(release) - epoch_us(press)) / 1000 AS hold_ms,
       sum(is_new) OVER (PARTITION BY worker, case_id ORDER BY press ROWS UNBOUNDED PRECEDING) AS burst
FROM gaps;

-- name: macro_bursts
-- Typing sessions (see keystroke_steps) with their keys, duration and a
-- words-per-minute estimate from key classes alone: (printable presses -
-- backspaces - 1) over the time from first to last press, x 60 / 5.
CREATE OR REPLACE MACRO bursts(p_start, p_end, p_worker, p_pause_s) AS TABLE
SELECT worker, case_id, burst, min(press) AS start, max(press) AS stop, count(*) AS keys,
       epoch(max(press)) - epoch(min(press)) AS seconds,
       count(*) FILTER (WHERE key_class IN ('letter', 'digit', 'punctuation', 'space')) AS printable,
       count(*) FILTER (WHERE key_class = 'backspace') AS backspaces,
       CASE WHEN epoch(max(press)) - epoch(min(press)) > 0 THEN
           (count(*) FILTER (WHERE key_class IN ('letter', 'digit', 'punctuation', 'space'))
            - count(*) FILTER (WHERE key_class = 'backspace') - 1)
           / (epoch(max(press)) - epoch(min(press))) * 60 / 5
       END AS wpm
FROM keystroke_steps(p_start, p_end, p_worker, p_pause_s)
GROUP BY worker, case_id, burst;

-- name: macro_measure_values
-- One value per observation of a timing measure, in its natural unit:
-- 'iki' and 'hold' (ms, from keystroke_steps), 'click_interval' (s between
-- consecutive clicks within 60 s), 'dwell' (s per focus span), 'session'
-- (s per session of activity, see session_steps), 'burst' (s per typing
-- burst), 'pause' (s between typing bursts, captured typing only).
CREATE OR REPLACE MACRO measure_values(p_measure, p_start, p_end, p_worker, p_pause_s) AS TABLE
SELECT worker, iki_ms AS v FROM keystroke_steps(p_start, p_end, p_worker, p_pause_s)
WHERE p_measure = 'iki' AND iki_ms IS NOT NULL
UNION ALL
SELECT worker, hold_ms FROM keystroke_steps(p_start, p_end, p_worker, p_pause_s)
WHERE p_measure = 'hold' AND hold_ms IS NOT NULL
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
SELECT worker, epoch(max(stop)) - epoch(min(start)) FROM session_steps(p_start, p_end, p_worker, p_pause_s)
WHERE p_measure = 'session' GROUP BY worker, session
UNION ALL
SELECT worker, seconds FROM bursts(p_start, p_end, p_worker, p_pause_s)
WHERE p_measure = 'burst' AND keys > 1
UNION ALL
SELECT worker, epoch(start) - epoch(lag(stop) OVER (PARTITION BY worker, case_id ORDER BY start))
FROM bursts(p_start, p_end, p_worker, p_pause_s)
WHERE p_measure = 'pause' AND case_id IS NULL
QUALIFY epoch(start) - epoch(lag(stop) OVER (PARTITION BY worker, case_id ORDER BY start)) IS NOT NULL;

-- name: macro_ngrams
-- Every run of 2 to 5 consecutive steps inside a session (see
-- session_steps): the sequence ('A > B > C'), its length, when it started and
-- how long it took (start of the first step to the end of the last).
CREATE OR REPLACE MACRO ngrams(p_start, p_end, p_worker, p_gap) AS TABLE
WITH s AS (
    SELECT worker, session, start, stop,
           list(app) OVER w AS apps, list(stop) OVER w AS stops
    FROM session_steps(p_start, p_end, p_worker, p_gap)
    WINDOW w AS (PARTITION BY worker, session ORDER BY start, seq ROWS BETWEEN CURRENT ROW AND 4 FOLLOWING)
)
SELECT worker, session, start, n,
       array_to_string(list_slice(apps, 1, n), ' > ') AS sequence,
       epoch(stops[n]) - epoch(start) AS seconds
FROM s, range(2, 6) AS r(n)
WHERE len(apps) >= n;
