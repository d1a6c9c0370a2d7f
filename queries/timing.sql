-- Typing and timing distributions. Reads keystrokes, spans and raw_events
-- through the macros in store/sql/macros.sql.

-- name: typing_summary
-- Typing at a glance: mean and median inter-key interval (ms, between
-- presses inside a typing burst: a sentence of a typing study, or captured
-- typing without a pause over 2 s), mean hold time (ms), rollover (share of
-- keystrokes inside a burst pressed before the previous key was released),
-- backspace share of keystrokes, and words per minute (mean over workers of
-- the mean over their bursts of at least $min_keys keys).
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $min_keys: bursts with fewer keys are left out of WPM (default: 5)
WITH k AS (
    SELECT iki_ms, new_burst, rollover, key_class, (epoch_us(release) - epoch_us(press)) / 1000 AS hold_ms
    FROM keystrokes
    WHERE press >= $start::TIMESTAMPTZ AND press < $end::TIMESTAMPTZ AND ($worker IS NULL OR worker = $worker)
),
wpm AS (
    SELECT avg(worker_wpm) AS wpm FROM (
        SELECT worker, avg(wpm) AS worker_wpm
        FROM burst_wpm($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker)
        WHERE keys >= $min_keys::INTEGER AND wpm IS NOT NULL
        GROUP BY worker
    )
),
iki_median AS (  -- exact, without sorting every interval (measure_quantiles)
    SELECT q FROM measure_quantiles('iki', $start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, [0.5])
)
SELECT t.iki_mean_ms, iki_median.q[1] AS iki_median_ms, t.hold_mean_ms, t.rollover, t.backspace_share, wpm.wpm,
       t.keystrokes
FROM (  -- the key presses' own figures first: one row to join, not one per press
    SELECT avg(iki_ms) FILTER (WHERE NOT new_burst) AS iki_mean_ms,
           avg(hold_ms) AS hold_mean_ms,
           count(*) FILTER (WHERE NOT new_burst AND rollover) / nullif(count(*) FILTER (WHERE NOT new_burst), 0) AS rollover,
           count(*) FILTER (WHERE key_class = 'backspace') / nullif(count(*), 0) AS backspace_share,
           count(*) AS keystrokes
    FROM k
) t, wpm, iki_median;

-- name: distribution
-- A histogram of one timing $measure (see measure_values: iki, hold,
-- click_interval, dwell, session, burst, pause) on log-spaced bins, ten per
-- decade, with each bin's share and the cumulative share (the ECDF).
-- $measure: iki, hold, click_interval, dwell, session, burst or pause
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
WITH v AS (
    SELECT v FROM measure_values($measure, $start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker)
    WHERE v > 0
),
b AS (
    SELECT floor(log10(v) * 10) AS bin, count(*) AS n FROM v GROUP BY bin
)
SELECT pow(10, bin / 10) AS lo, pow(10, (bin + 1) / 10) AS hi, n,
       n / sum(n) OVER () AS share,
       sum(n) OVER (ORDER BY bin ROWS UNBOUNDED PRECEDING) / sum(n) OVER () AS cum_share
FROM b ORDER BY bin;

-- name: percentiles
-- Count, mean and percentiles (10, 25, 50, 75, 90, 99) of one timing $measure.
-- $measure: iki, hold, click_interval, dwell, session, burst or pause
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
SELECT n, mean, q[1] AS p10, q[2] AS p25, q[3] AS p50, q[4] AS p75, q[5] AS p90, q[6] AS p99
FROM (
    SELECT count(*) AS n, avg(v) AS mean FROM measure_values($measure, $start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker)
), (
    SELECT any_value(q) AS q
    FROM measure_quantiles($measure, $start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker, [0.10, 0.25, 0.50, 0.75, 0.90, 0.99])
);

-- name: measure_sample
-- Up to $n values of one timing $measure, sampled reproducibly, for
-- comparing two periods (effect size, Kolmogorov-Smirnov test).
-- $measure: iki, hold, click_interval, dwell, session, burst or pause
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $n: at most this many values (default: 20000)
-- The values with the $n smallest hashes: those below a hash threshold
-- expected to keep 1.5 x $n + 1000 of them, then sorted (DuckDB sorts all of
-- a year's values for a LIMIT given as a parameter); if fewer than $n passed,
-- all of them, sorted. Either way the same values, in the same order.
WITH counted AS (
    SELECT count(*) AS total FROM measure_values($measure, $start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker)
),
kept AS (
    SELECT v, hash(v, worker) AS h
    FROM measure_values($measure, $start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker), counted
    WHERE counted.total <= $n::INTEGER * 1.5 + 1000
       OR hash(v, worker) <= (($n::INTEGER * 1.5 + 1000) / counted.total * 18446744073709551615)::UBIGINT
),
enough AS (
    SELECT count(*) >= least($n::INTEGER, (SELECT total FROM counted)) AS ok FROM kept
)
SELECT v FROM (
    SELECT v, h FROM kept WHERE (SELECT ok FROM enough)
    UNION ALL
    SELECT v, hash(v, worker) FROM measure_values($measure, $start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker)
    WHERE NOT (SELECT ok FROM enough)
)
ORDER BY h LIMIT $n::INTEGER;

-- name: typing_bursts
-- Typing bursts per local day: how many, their mean length (keys and
-- seconds) and mean WPM (bursts of at least 5 keys).
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
SELECT local_day(start, utc_offset) AS day, count(*) AS bursts, avg(keys) AS mean_keys,
       avg(seconds) AS mean_s, avg(wpm) FILTER (WHERE keys >= 5) AS mean_wpm
FROM burst_wpm($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker)
GROUP BY day ORDER BY day;

-- name: dwell_by_app
-- How long a visit to each app lasts: every focus span is one visit, clipped
-- to [$start, $end) as in measure_values('dwell'). Per app: visits, the
-- 25th, 50th, 75th and 90th percentiles and the total, in seconds; the apps
-- with the most total time first.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
-- $limit: how many apps (default: 30)
WITH v AS (
    SELECT app, epoch(least(stop, $end::TIMESTAMPTZ)) - epoch(greatest(start, $start::TIMESTAMPTZ)) AS s
    FROM spans
    WHERE kind = 'focus' AND stop > $start::TIMESTAMPTZ AND start < $end::TIMESTAMPTZ AND stop > start
      AND ($worker IS NULL OR worker = $worker)
)
SELECT app, count(*) AS visits, quantile_cont(s, 0.25) AS p25_s, quantile_cont(s, 0.50) AS p50_s,
       quantile_cont(s, 0.75) AS p75_s, quantile_cont(s, 0.90) AS p90_s, sum(s) AS total_s
FROM v GROUP BY app
ORDER BY total_s DESC, app LIMIT $limit::INTEGER;
