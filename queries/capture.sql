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
