-- What is stored: counts, a live sample, who and when. Reads events, hourly_total and workers.

-- name: event_counts
-- Events stored, by kind, with the first and last time each was seen.
SELECT kind, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
FROM events
GROUP BY kind
ORDER BY n DESC;

-- name: recent_events
-- The newest events, newest first (what a worker sees as "a live sample").
-- $limit: how many (default: 20)
SELECT ts, kind, key_class, button, app
FROM events
ORDER BY ts DESC
LIMIT $limit;

-- name: worker_list
-- Every worker with derived data, and their team.
SELECT h.worker, w.team
FROM (SELECT DISTINCT worker FROM hourly_total) h LEFT JOIN workers w USING (worker)
ORDER BY h.worker;

-- name: data_range
-- The first and last local day with activity, and the latest UTC offset (s).
-- Hours outside 1990 to tomorrow are left out: one broken row (an import
-- from before the importers refused them) must not stretch every range.
-- $worker: one worker's id, or null for every worker (default: null)
SELECT min(local_day(hour, utc_offset)) AS first_day,
       max(local_day(hour, utc_offset)) AS last_day,
       arg_max(utc_offset, hour) AS utc_offset
FROM hourly_total
WHERE ($worker IS NULL OR worker = $worker)
  AND hour >= TIMESTAMPTZ '1990-01-01 00:00:00+00' AND hour < now() + INTERVAL 2 DAY;

-- name: has_data
-- True once anything was captured or imported.
SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM spans) AS has_data;

-- name: data_sources
-- Each worker id in the file is one source of data: 'local' is what capture
-- recorded on this computer, and each import has its own id (activitywatch,
-- eventlog, or the study's participants). Their days, and whether they
-- record activity (input events, or ActivityWatch AFK
-- spans): focus alone (an Android export, an event log) says which app was
-- in front, not whether anyone was at it.
SELECT h.worker,
       min(local_day(h.hour, h.utc_offset)) AS first_day,
       max(local_day(h.hour, h.utc_offset)) AS last_day,
       (h.worker IN (SELECT DISTINCT worker FROM events)
        OR h.worker IN (SELECT DISTINCT worker FROM spans WHERE kind = 'active')) AS records_activity
FROM hourly_total h
WHERE h.hour >= TIMESTAMPTZ '1990-01-01 00:00:00+00' AND h.hour < now() + INTERVAL 2 DAY
GROUP BY h.worker
ORDER BY h.worker = 'local' DESC, max(h.hour) DESC, h.worker;

-- name: stored_apps
-- Every app that had focus in the file, any worker (what the Privacy page
-- offers to delete).
SELECT DISTINCT app FROM spans WHERE kind = 'focus' AND app IS NOT NULL ORDER BY app;
