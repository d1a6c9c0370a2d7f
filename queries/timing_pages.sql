-- Timing per app, for the Timing page. Reads spans.

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
