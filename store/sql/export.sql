-- Writing exports (store/export): run on a private in-memory DuckDB in the
-- exporting process, over the rows streamed from the file or the daemon
-- (registered as _rows). Times are written in UTC.

-- name: export_utc
-- Times in the files are UTC, whatever this machine's time zone.
SET TimeZone = 'UTC';

-- name: export_parquet
-- One table's rows to a Parquet file (zstd); returns the rows written.
-- $path: the file to write
COPY (SELECT * FROM _rows) TO $path (FORMAT parquet, COMPRESSION zstd);

-- name: export_jsonl
-- One table's rows to a JSON-lines file, one object per row; returns the rows written.
-- $path: the file to write
COPY (SELECT * FROM _rows) TO $path (FORMAT json);

-- name: aw_hold_spans
-- Keep the streamed spans for the ActivityWatch buckets (read several times).
CREATE TABLE spans AS SELECT * FROM _rows;

-- name: aw_hold_input_totals
-- Keep the streamed input totals for the ActivityWatch input bucket.
CREATE TABLE input_totals AS SELECT * FROM _rows;

-- name: aw_time_macro
-- An ActivityWatch timestamp: local time with its UTC offset, microseconds
-- (2026-10-01T16:49:15.340000+02:00), as aw-server writes them.
CREATE MACRO aw_time(t, o) AS
    strftime(t + to_seconds(o), '%Y-%m-%dT%H:%M:%S.%f')
    || printf('%s%02d:%02d', CASE WHEN o < 0 THEN '-' ELSE '+' END, abs(o) // 3600, abs(o) % 3600 // 60);

-- name: aw_buckets
-- One ActivityWatch bucket per worker and kind of data: window focus
-- (currentwindow), activity (afkstatus: the active spans, as not-afk) and
-- input totals (os.hid.input); created: its first event.
WITH b AS (
    SELECT worker, CASE WHEN kind = 'focus' THEN 'currentwindow' ELSE 'afkstatus' END AS type, min(start) AS first
    FROM spans WHERE app IS NOT NULL OR kind = 'active' GROUP BY ALL
    UNION ALL
    SELECT worker, 'os.hid.input', min(start) FROM input_totals GROUP BY ALL
)
SELECT worker, type, aw_time(first, 0) AS created FROM b ORDER BY worker, type;

-- name: aw_currentwindow_events
-- One worker's focus spans as currentwindow events, newest first (as
-- aw-server exports them); an unknown title is empty.
-- $worker: whose
SELECT to_json({'timestamp': aw_time(start, utc_offset), 'duration': (epoch_us(stop) - epoch_us(start)) / 1e6,
                'data': {'app': app, 'title': coalesce(title, '')}}) AS event
FROM spans WHERE worker = $worker AND kind = 'focus' AND app IS NOT NULL
ORDER BY start DESC, stop DESC;

-- name: aw_afkstatus_events
-- One worker's active spans as not-afk events, newest first.
-- $worker: whose
SELECT to_json({'timestamp': aw_time(start, utc_offset), 'duration': (epoch_us(stop) - epoch_us(start)) / 1e6,
                'data': {'status': 'not-afk'}}) AS event
FROM spans WHERE worker = $worker AND kind = 'active'
ORDER BY start DESC, stop DESC;

-- name: aw_os_hid_input_events
-- One worker's input totals as os.hid.input events, newest first.
-- $worker: whose
SELECT to_json({'timestamp': aw_time(start, 0), 'duration': duration_s,
                'data': {'presses': presses, 'clicks': clicks, 'deltaX': delta_x, 'deltaY': delta_y,
                         'scrollX': scroll_x, 'scrollY': scroll_y}}) AS event
FROM input_totals WHERE worker = $worker
ORDER BY start DESC;
