-- Where time went. Reads spans (focus and active intervals) and hourly.
-- Local days and hours use the offset recorded with each span or hour.

-- name: app_time
-- Seconds per app with focus in [$start, $end). With $active_only, only the
-- time that was also active (capture running, not idle; for ActivityWatch
-- imports: not-afk), as ActivityWatch computes it (each focus span
-- intersected with each active span).
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $active_only: count only active time (default: false)
-- $worker: one worker's id, or null for every worker (default: null)
SELECT app, sum(seconds) AS seconds
FROM app_seconds($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $active_only::BOOLEAN, $worker)
GROUP BY app ORDER BY seconds DESC, app;

-- name: category_time
-- Seconds per category: each app's time goes to the first category rule
-- (by priority) whose pattern matches it, else to 'Other'.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $active_only: count only active time (default: true)
-- $worker: one worker's id, or null for every worker (default: null)
WITH per_app AS (
    SELECT app, sum(seconds) AS seconds
    FROM app_seconds($start::TIMESTAMPTZ, $end::TIMESTAMPTZ, $active_only::BOOLEAN, $worker)
    GROUP BY app
),
categorised AS (
    SELECT app, seconds, category_of(app) AS category FROM per_app
)
SELECT category, sum(seconds) AS seconds, count(*) AS apps
FROM categorised GROUP BY category ORDER BY seconds DESC, category;

-- name: app_categories
-- Each app seen in [$start, $end) with its category.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
WITH apps AS (
    SELECT DISTINCT app FROM spans
    WHERE kind = 'focus' AND app IS NOT NULL AND stop > $start::TIMESTAMPTZ AND start < $end::TIMESTAMPTZ
      AND ($worker IS NULL OR worker = $worker)
)
SELECT app, category_of(app) AS category
FROM apps ORDER BY category, app;

-- name: daily_activity
-- Per local day: active seconds (input within the idle threshold), idle
-- seconds (an app had focus but there was no input), and switches.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
SELECT local_day(hour, utc_offset) AS day,
       sum(active_s) AS active_s,
       sum(focus_s - active_s) AS idle_s,
       sum(switches)::BIGINT AS switches,
       sum(key_downs)::BIGINT AS key_downs,
       sum(clicks)::BIGINT AS clicks
FROM hourly_total
WHERE hour >= date_trunc('hour', $start::TIMESTAMPTZ) AND hour < $end::TIMESTAMPTZ
  AND ($worker IS NULL OR worker = $worker)
GROUP BY day ORDER BY day;

-- name: hourly_activity
-- Per local day and hour of day: active and idle seconds, switches.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
SELECT local_day(hour, utc_offset) AS day,
       hour(local_time(hour, utc_offset)) AS hour_of_day,
       sum(active_s) AS active_s,
       sum(focus_s - active_s) AS idle_s,
       sum(switches)::BIGINT AS switches
FROM hourly_total
WHERE hour >= date_trunc('hour', $start::TIMESTAMPTZ) AND hour < $end::TIMESTAMPTZ
  AND ($worker IS NULL OR worker = $worker)
GROUP BY ALL ORDER BY day, hour_of_day;

-- name: weekday_hour_heatmap
-- Mean active minutes per local weekday (1 = Monday) and hour of day, over
-- the days in range.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
WITH h AS (
    SELECT local_time(hour, utc_offset) AS local_hour, active_s, worker
    FROM hourly_total
    WHERE hour >= date_trunc('hour', $start::TIMESTAMPTZ) AND hour < $end::TIMESTAMPTZ
      AND ($worker IS NULL OR worker = $worker)
),
days AS (
    SELECT isodow(d) AS weekday, count(*) AS n_days
    FROM (SELECT DISTINCT CAST(local_hour AS DATE) AS d FROM h) GROUP BY ALL
)
SELECT isodow(local_hour) AS weekday, hour(local_hour) AS hour_of_day,
       sum(active_s) / 60 / any_value(days.n_days) / greatest(count(DISTINCT worker), 1) AS active_min
FROM h JOIN days ON days.weekday = isodow(local_hour)
GROUP BY ALL ORDER BY weekday, hour_of_day;

-- name: weekly_trend
-- Active hours and switches per ISO week (local time).
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
SELECT date_trunc('week', local_day(hour, utc_offset)) AS week,
       sum(active_s) / 3600 AS active_h,
       sum(switches)::BIGINT AS switches,
       count(DISTINCT local_day(hour, utc_offset)) AS days
FROM hourly_total
WHERE hour >= date_trunc('hour', $start::TIMESTAMPTZ) AND hour < $end::TIMESTAMPTZ
  AND ($worker IS NULL OR worker = $worker)
GROUP BY week ORDER BY week;

-- name: timeline
-- Focus and active spans in [$start, $end), clipped, with local start and
-- stop times, for a zoomable timeline.
-- $start: from this time (default: -infinity)
-- $end: until this time (default: infinity)
-- $worker: one worker's id, or null for every worker (default: null)
SELECT worker, kind::VARCHAR AS kind, app,
       greatest(start, $start::TIMESTAMPTZ) AS start, least(stop, $end::TIMESTAMPTZ) AS stop,
       local_time(greatest(start, $start::TIMESTAMPTZ), utc_offset) AS local_start,
       local_time(least(stop, $end::TIMESTAMPTZ), utc_offset) AS local_stop,
       epoch(least(stop, $end::TIMESTAMPTZ)) - epoch(greatest(start, $start::TIMESTAMPTZ)) AS seconds
FROM spans
WHERE stop > $start::TIMESTAMPTZ AND start < $end::TIMESTAMPTZ AND ($worker IS NULL OR worker = $worker)
ORDER BY worker, start, kind;

-- name: app_first_seen
-- Every app the worker (or everyone) ever had in focus, in the order it first
-- appeared: the colour order, so an app keeps its colour in every view and as
-- capture goes on (a new app only ever comes last).
-- $worker: one worker's id, or null for every worker (default: null)
SELECT app, min(start) AS first_seen
FROM spans
WHERE kind = 'focus' AND app IS NOT NULL AND ($worker IS NULL OR worker = $worker)
GROUP BY app
ORDER BY first_seen, app;
