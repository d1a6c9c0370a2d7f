-- A daily release's figures for one worker and local day, from the worker's
-- own tables, defined as the worker's own queries define them
-- (queries/time.sql hourly_activity and category_time, queries/workflow.sql
-- focus_sessions, store/sql/macros.sql measure_values). Run by sharing/release.py.

-- name: release_hours
-- Per local hour of the day: active seconds and app switches (hourly_total,
-- as hourly_activity), and the UTC offsets the day began and ended with.
-- $worker: whose figures
-- $day: the local day
-- $lo: a UTC time safely before the day (the day less two days)
-- $hi: a UTC time safely after it (the day plus three days)
SELECT hour(local_time(hour, utc_offset)) AS h, sum(active_s) AS active_s, sum(switches)::BIGINT AS switches,
       min_by(utc_offset, hour) AS first_offset, max_by(utc_offset, hour) AS last_offset
FROM hourly_total
WHERE worker = $worker AND hour >= $lo AND hour < $hi AND local_day(hour, utc_offset) = $day::DATE
GROUP BY h ORDER BY h;

-- name: release_categories
-- Active seconds per category in [$start, $end), as category_time: each
-- app's active time to its first matching category rule, else 'Other'.
-- $worker: whose figures
-- $start: the local day's start, UTC
-- $end: its end, UTC
SELECT category_of(app) AS category, sum(seconds) AS seconds
FROM app_seconds($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, true, $worker)
GROUP BY category ORDER BY category;

-- name: release_focus
-- How many stretches of at least $min_s seconds in one category without
-- switching away, and their total seconds, in [$start, $end) (focus_sessions
-- with by = 'category').
-- $worker: whose figures
-- $start: the local day's start, UTC
-- $end: its end, UTC
-- $min_s: the shortest stretch that counts
WITH f AS (
    SELECT greatest(s.start, $start::TIMESTAMPTZ) AS start, least(s.stop, $end::TIMESTAMPTZ) AS stop,
           category_of(s.app) AS label
    FROM spans s
    WHERE s.kind = 'focus' AND s.app IS NOT NULL AND s.stop > $start::TIMESTAMPTZ AND s.start < $end::TIMESTAMPTZ
      AND s.worker = $worker
),
marked AS (
    SELECT *, CASE WHEN label IS NOT DISTINCT FROM lag(label) OVER w
                        AND epoch(start) - epoch(lag(stop) OVER w) < 5 THEN 0 ELSE 1 END AS is_new
    FROM f WINDOW w AS (ORDER BY start)
),
runs AS (SELECT *, sum(is_new) OVER (ORDER BY start ROWS UNBOUNDED PRECEDING) AS run FROM marked),
stretches AS (
    SELECT epoch(max(stop)) - epoch(min(start)) AS seconds FROM runs GROUP BY label, run
    HAVING epoch(max(stop)) - epoch(min(start)) >= $min_s::DOUBLE
)
SELECT count(*) AS n, coalesce(sum(seconds), 0) AS seconds FROM stretches;

-- name: release_bins
-- Counts of one timing measure's values in [$start, $end) (measure_values:
-- 'iki' or 'click_interval'), in the bins the edges make: bin i holds the
-- values with i edges at or below them.
-- $worker: whose figures
-- $measure: 'iki' or 'click_interval'
-- $start: the local day's start, UTC
-- $end: its end, UTC
-- $edges: the bins' edges, ascending
SELECT len(list_filter($edges::DOUBLE[], lambda e: e <= v)) AS bin, count(*) AS n
FROM measure_values($measure, $start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $worker)
WHERE v IS NOT NULL GROUP BY bin ORDER BY bin;
