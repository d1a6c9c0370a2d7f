-- Derived tables, rebuilt incrementally from each worker's own since on.
-- store/derive.py runs these in one transaction after every flush and import.
-- Reads raw_events and spans; writes spans, keystrokes, bursts, hourly,
-- hourly_total and derive_state.
--
-- The workers refreshed together are given as two lists of the same length,
-- $workers and $sinces: worker i is rebuilt from $sinces[i] on (looked up by
-- map_extract_value(map($workers, $sinces), worker), or joined as the CTE
-- todo). $floor, the earliest of $sinces, is a constant the scans skip older
-- row groups by.
--
-- The statements that build rows come in two forms: one worker's
-- (derive_spans: $worker, $since), which the daemon runs after every flush,
-- and all workers' at once (derive_spans_many: every window partitioned by
-- worker, every join on it), which imports and refresh_all run. Given one
-- worker, the second takes 1.3 to 1.7 times as long on a flush's few rows
-- (fixed costs: the joins with todo, the partitions), so the daemon keeps the
-- first. The statements that clear rows and note where the next rebuild
-- starts are shared. tests/test_derive_many.py keeps the two forms equal.

-- name: derive_join_thresholds
-- The planner's row thresholds for nested-loop joins, to restore after a
-- refresh, and whether the configuration is locked (the daemon's is: then
-- they cannot be changed).
SELECT current_setting('asof_loop_join_threshold')::BIGINT, current_setting('nested_loop_join_threshold')::BIGINT,
       current_setting('lock_configuration')::BOOLEAN;

-- name: derive_set_asof_threshold
-- Below this many rows expected on its left, an ASOF join runs as a nested
-- loop. A refresh sets it (and the next) to 0: inside an import's
-- transaction DuckDB expects none of the rows just written, and one nested
-- loop over all of a study's keys took half a minute.
-- $rows: asof_loop_join_threshold
SET asof_loop_join_threshold = $rows;

-- name: derive_set_loop_threshold
-- Below this many rows expected on either side, any join runs as a nested loop.
-- $rows: nested_loop_join_threshold
SET nested_loop_join_threshold = $rows;

-- name: derive_state_of
-- Where each step's last rebuild said the next one must start (no row at first).
-- $workers: the workers whose tables are rebuilt
SELECT worker, step, since FROM derive_state WHERE list_contains($workers::VARCHAR[], worker);

-- name: derive_clear_spans
-- Drop the captured spans that will be rebuilt (imported spans are kept).
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
DELETE FROM spans
WHERE list_contains($workers::VARCHAR[], worker) AND source = 'capture' AND start >= $floor
  AND start >= map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker);

-- name: derive_spans
-- Focus spans run from a focus event to the next focus, pause, stop or start;
-- active spans from start, resume or idle_end to the next idle_start, pause,
-- stop or start. Neither outlives the last event of its run of the daemon, so
-- a daemon killed without a stop event leaves no span running on.
-- $worker: the worker whose tables are rebuilt
-- $since: rebuild from this time on
INSERT INTO spans
WITH ev AS (
    SELECT ts, utc_offset, kind, app, title,
           sum(CASE WHEN kind = 'start' THEN 1 ELSE 0 END) OVER (ORDER BY ts ROWS UNBOUNDED PRECEDING) AS run
    FROM raw_events
    WHERE worker = $worker AND ts >= $since
),
runs AS (
    SELECT run, max(ts) AS run_end FROM ev GROUP BY run
),
focus_marks AS (
    SELECT ev.*, lead(ts) OVER (ORDER BY ts, kind) AS next_ts
    FROM ev WHERE kind IN ('focus', 'pause', 'stop', 'start')
),
active_marks AS (
    SELECT ev.*, lead(ts) OVER (ORDER BY ts, kind) AS next_ts
    FROM ev WHERE kind IN ('start', 'resume', 'idle_end', 'idle_start', 'pause', 'stop')
)
SELECT $worker, 'focus', m.ts, least(coalesce(m.next_ts, r.run_end), r.run_end), m.utc_offset,
       m.app, m.title, NULL, 'capture', NULL
FROM focus_marks m JOIN runs r USING (run)
WHERE m.kind = 'focus' AND m.app IS NOT NULL
UNION ALL
SELECT $worker, 'active', m.ts, least(coalesce(m.next_ts, r.run_end), r.run_end), m.utc_offset,
       NULL, NULL, NULL, 'capture', NULL
FROM active_marks m JOIN runs r USING (run)
WHERE m.kind IN ('start', 'resume', 'idle_end');

-- name: derive_spans_many
-- Focus spans run from a focus event to the next focus, pause, stop or start;
-- active spans from start, resume or idle_end to the next idle_start, pause,
-- stop or start. Neither outlives the last event of its run of the daemon, so
-- a daemon killed without a stop event leaves no span running on.
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
INSERT INTO spans
WITH todo AS (SELECT unnest($workers::VARCHAR[]) AS worker, unnest($sinces::TIMESTAMPTZ[]) AS since),
ev AS (
    SELECT e.worker, ts, utc_offset, kind, app, title,
           sum(CASE WHEN kind = 'start' THEN 1 ELSE 0 END)
               OVER (PARTITION BY e.worker ORDER BY ts ROWS UNBOUNDED PRECEDING) AS run
    FROM raw_events e JOIN todo ON e.worker = todo.worker AND e.ts >= todo.since
    WHERE e.ts >= $floor
),
runs AS (
    SELECT worker, run, max(ts) AS run_end FROM ev GROUP BY worker, run
),
focus_marks AS (
    SELECT ev.*, lead(ts) OVER (PARTITION BY worker ORDER BY ts, kind) AS next_ts
    FROM ev WHERE kind IN ('focus', 'pause', 'stop', 'start')
),
active_marks AS (
    SELECT ev.*, lead(ts) OVER (PARTITION BY worker ORDER BY ts, kind) AS next_ts
    FROM ev WHERE kind IN ('start', 'resume', 'idle_end', 'idle_start', 'pause', 'stop')
)
SELECT m.worker, 'focus', m.ts, least(coalesce(m.next_ts, r.run_end), r.run_end), m.utc_offset,
       m.app, m.title, NULL, 'capture', NULL
FROM focus_marks m JOIN runs r USING (worker, run)
WHERE m.kind = 'focus' AND m.app IS NOT NULL
UNION ALL
SELECT m.worker, 'active', m.ts, least(coalesce(m.next_ts, r.run_end), r.run_end), m.utc_offset,
       NULL, NULL, NULL, 'capture', NULL
FROM active_marks m JOIN runs r USING (worker, run)
WHERE m.kind IN ('start', 'resume', 'idle_end');

-- name: derive_clear_keystrokes
-- Drop the keystrokes that will be paired again.
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
DELETE FROM keystrokes
WHERE list_contains($workers::VARCHAR[], worker) AND press >= $floor
  AND press >= map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker);

-- name: derive_keystrokes
-- Pair each key_down with the key_up of the same key_seq (and case), and
-- note the interval since the previous press, whether it starts a burst
-- (first of its case, or captured typing after a pause over 2 s) and whether
-- it rolled over the previous key. A press whose release has not been seen
-- yet keeps a NULL release until the next rebuild; releases and previous
-- presses are looked for up to a minute before $since. Presses at the same
-- time and released together are ordered by key class and offset, so that
-- which of them follows the other (and takes the interval) is always the same.
-- $worker: the worker whose tables are rebuilt
-- $since: rebuild from this time on
INSERT INTO keystrokes
WITH k AS (
    SELECT ts, utc_offset, kind, key_class, key_seq, case_id
    FROM raw_events
    WHERE worker = $worker AND ts >= $since - INTERVAL 1 MINUTE AND kind IN ('key_down', 'key_up')
),
ups AS (
    SELECT key_seq, coalesce(case_id, '') AS case_key, ts AS release FROM k WHERE kind = 'key_up' AND key_seq IS NOT NULL
),
downs AS (
    SELECT ts, utc_offset, key_class, case_id, key_seq, coalesce(case_id, '') AS case_key FROM k WHERE kind = 'key_down'
),
paired AS (  -- the first release of the same key_seq at or after the press (the daemon's counter restarts each run)
    SELECT d.ts AS press, u.release, d.utc_offset, d.key_class, d.case_id
    FROM downs d ASOF LEFT JOIN ups u
      ON u.key_seq = d.key_seq AND u.case_key = d.case_key AND u.release >= d.ts
),
steps AS (
    SELECT *, (epoch_us(press) - epoch_us(lag(press) OVER w)) / 1000 AS gap_ms, lag(release) OVER w AS prev_release
    FROM paired WINDOW w AS (PARTITION BY case_id ORDER BY press, release, key_class, utc_offset)
),
marked AS (
    SELECT *, gap_ms IS NULL OR (case_id IS NULL AND gap_ms > 2000) AS new_burst FROM steps
)
-- The interval and rollover only mean something inside a burst.
SELECT $worker, case_id, press, release, utc_offset, key_class,
       CASE WHEN case_id IS NULL THEN 'capture' ELSE 'import' END,
       CASE WHEN NOT new_burst THEN gap_ms END,
       new_burst,
       CASE WHEN NOT new_burst THEN press < prev_release END
FROM marked WHERE press >= $since;

-- name: derive_keystrokes_many
-- Pair each key_down with the key_up of the same key_seq (and case), and
-- note the interval since the previous press, whether it starts a burst
-- (first of its case, or captured typing after a pause over 2 s) and whether
-- it rolled over the previous key. A press whose release has not been seen
-- yet keeps a NULL release until the next rebuild; releases and previous
-- presses are looked for up to a minute before the worker's since (ties ordered as in
-- derive_keystrokes).
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
INSERT INTO keystrokes
WITH todo AS (SELECT unnest($workers::VARCHAR[]) AS worker, unnest($sinces::TIMESTAMPTZ[]) AS since),
k AS (
    SELECT e.worker, todo.since, ts, utc_offset, kind, key_class, key_seq, case_id
    FROM raw_events e JOIN todo ON e.worker = todo.worker AND e.ts >= todo.since - INTERVAL 1 MINUTE
    WHERE e.ts >= $floor - INTERVAL 1 MINUTE AND kind IN ('key_down', 'key_up')
),
ups AS (
    SELECT worker, key_seq, coalesce(case_id, '') AS case_key, ts AS release
    FROM k WHERE kind = 'key_up' AND key_seq IS NOT NULL
),
downs AS (
    SELECT worker, since, ts, utc_offset, key_class, case_id, key_seq, coalesce(case_id, '') AS case_key
    FROM k WHERE kind = 'key_down'
),
paired AS (  -- the first release of the same key_seq at or after the press (the daemon's counter restarts each run)
    SELECT d.worker, d.since, d.ts AS press, u.release, d.utc_offset, d.key_class, d.case_id
    FROM downs d ASOF LEFT JOIN ups u
      ON u.worker = d.worker AND u.key_seq = d.key_seq AND u.case_key = d.case_key AND u.release >= d.ts
),
steps AS (
    SELECT *, (epoch_us(press) - epoch_us(lag(press) OVER w)) / 1000 AS gap_ms, lag(release) OVER w AS prev_release
    FROM paired WINDOW w AS (PARTITION BY worker, case_id ORDER BY press, release, key_class, utc_offset)
),
marked AS (
    SELECT *, gap_ms IS NULL OR (case_id IS NULL AND gap_ms > 2000) AS new_burst FROM steps
)
-- The interval and rollover only mean something inside a burst.
SELECT worker, case_id, press, release, utc_offset, key_class,
       CASE WHEN case_id IS NULL THEN 'capture' ELSE 'import' END,
       CASE WHEN NOT new_burst THEN gap_ms END,
       new_burst,
       CASE WHEN NOT new_burst THEN press < prev_release END
FROM marked WHERE press >= since;

-- name: derive_clear_bursts
-- Drop the bursts that will be rebuilt: the newest one may still grow.
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
DELETE FROM bursts
WHERE list_contains($workers::VARCHAR[], worker) AND start >= $floor
  AND start >= map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker);

-- name: derive_bursts
-- Typing bursts from keystrokes: each new_burst press starts one (in the
-- keystrokes' order, a burst's first key first among presses tied with it).
-- $worker: the worker whose tables are rebuilt
-- $since: rebuild from this time on
INSERT INTO bursts
SELECT $worker, case_id, min(press), max(press), any_value(utc_offset), count(*),
       count(*) FILTER (WHERE key_class IN ('character', 'space')),
       count(*) FILTER (WHERE key_class = 'backspace')
FROM (
    SELECT *, sum(new_burst::INTEGER) OVER (PARTITION BY case_id ORDER BY press, release, key_class, utc_offset,
                                                           new_burst DESC ROWS UNBOUNDED PRECEDING) AS burst
    FROM keystrokes WHERE worker = $worker AND press >= $since
)
GROUP BY case_id, burst;

-- name: derive_bursts_many
-- Typing bursts from keystrokes: each new_burst press starts one (in the
-- keystrokes' order, a burst's first key first among presses tied with it).
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
INSERT INTO bursts
WITH todo AS (SELECT unnest($workers::VARCHAR[]) AS worker, unnest($sinces::TIMESTAMPTZ[]) AS since)
SELECT worker, case_id, min(press), max(press), any_value(utc_offset), count(*),
       count(*) FILTER (WHERE key_class IN ('character', 'space')),
       count(*) FILTER (WHERE key_class = 'backspace')
FROM (
    SELECT k.*, sum(new_burst::INTEGER)
               OVER (PARTITION BY k.worker, case_id ORDER BY press, release, key_class, utc_offset, new_burst DESC
                     ROWS UNBOUNDED PRECEDING) AS burst
    FROM keystrokes k JOIN todo ON k.worker = todo.worker AND k.press >= todo.since
    WHERE k.press >= $floor
)
GROUP BY worker, case_id, burst;

-- name: derive_next_since_bursts
-- Where the next rebuild of bursts starts: the newest burst, which may grow
-- (never before where this one started; no row while a worker has no burst).
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
INSERT OR REPLACE INTO derive_state
SELECT worker, 'bursts', greatest(newest, map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker))
FROM (
    SELECT worker, max(start) AS newest FROM bursts WHERE list_contains($workers::VARCHAR[], worker) GROUP BY worker
);

-- name: derive_clear_hourly
-- Drop the derived hours that will be rebuilt (rows written directly, like
-- generated population rollups, are kept).
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
DELETE FROM hourly
WHERE list_contains($workers::VARCHAR[], worker) AND source = 'derived' AND hour >= date_trunc('hour', $floor)
  AND hour >= date_trunc('hour', map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker));

-- name: derive_hourly
-- Per worker, UTC hour and app: seconds in focus, seconds in focus while
-- active, switches into the app, key presses and clicks while it had focus.
-- $worker: the worker whose tables are rebuilt
-- $since: rebuild from this time on
-- $until: and up to this time, a whole hour (store/deletion.py rebuilds the hours a deletion cut) (default: infinity)
INSERT INTO hourly
WITH f AS (
    SELECT start, stop, app, utc_offset FROM spans
    WHERE worker = $worker AND kind = 'focus' AND stop >= date_trunc('hour', $since) AND start < $until
),
a AS (
    SELECT start, stop FROM spans
    WHERE worker = $worker AND kind = 'active' AND stop >= date_trunc('hour', $since) AND start < $until
),
offset_changes AS (  -- the moments the local UTC offset changed (DST, travel)
    SELECT ts, utc_offset FROM (
        SELECT ts, utc_offset, lag(utc_offset) OVER (ORDER BY ts) AS before
        FROM raw_events WHERE worker = $worker AND ts >= date_trunc('hour', $since) - INTERVAL 1 DAY
    ) WHERE before IS DISTINCT FROM utc_offset
),
cut AS (  -- focus spans cut at hour boundaries; most lie within one hour and are not cut
    SELECT app, utc_offset AS span_offset, utc_hour(start) AS hour, start AS s, stop AS e, true AS first_piece
    FROM f WHERE utc_hour(start) = utc_hour(stop)
    UNION ALL
    SELECT app, span_offset, h, greatest(start, h), least(stop, h + INTERVAL 1 HOUR), start = greatest(start, h)
    FROM (SELECT app, utc_offset AS span_offset, start, stop,  -- unnest in the select list: as a lateral join it costs 5x more
                 unnest(generate_series(utc_hour(start), utc_hour(stop), INTERVAL 1 HOUR)) AS h
          FROM f WHERE utc_hour(start) <> utc_hour(stop))
),
pieces AS (  -- each piece takes the offset in force when it began, so days split at local midnight
    SELECT cut.*, coalesce(o.utc_offset, cut.span_offset) AS utc_offset
    FROM cut ASOF LEFT JOIN offset_changes o ON cut.s >= o.ts
),
active_pieces AS (  -- the same, intersected with active spans
    SELECT p.app, p.hour, greatest(p.s, a.start) AS s, least(p.e, a.stop) AS e
    FROM pieces p JOIN a ON a.start < p.e AND a.stop > p.s
),
focus_h AS (
    SELECT app, hour, any_value(utc_offset) AS utc_offset,
           sum(epoch(e) - epoch(s)) AS focus_s, count(*) FILTER (WHERE first_piece) AS switches
    FROM pieces WHERE hour >= date_trunc('hour', $since) AND hour < $until GROUP BY ALL
),
active_h AS (
    SELECT app, hour, sum(epoch(e) - epoch(s)) AS active_s FROM active_pieces
    WHERE hour >= date_trunc('hour', $since) AND hour < $until GROUP BY ALL
),
inputs AS (
    SELECT f.app, utc_hour(e.ts) AS hour,
           count(*) FILTER (WHERE e.kind = 'key_down') AS key_downs,
           count(*) FILTER (WHERE e.kind = 'mouse_down') AS clicks
    FROM (SELECT ts, kind FROM raw_events
          WHERE worker = $worker AND ts >= date_trunc('hour', $since) AND ts < $until
            AND kind IN ('key_down', 'mouse_down')) e
    ASOF JOIN f ON e.ts >= f.start
    WHERE e.ts < f.stop
    GROUP BY ALL
)
SELECT $worker, fh.hour, fh.utc_offset, fh.app, fh.focus_s, coalesce(ah.active_s, 0), fh.switches::INTEGER,
       coalesce(i.key_downs, 0)::INTEGER, coalesce(i.clicks, 0)::INTEGER, 'derived'
FROM focus_h fh
LEFT JOIN active_h ah USING (app, hour)
LEFT JOIN inputs i USING (app, hour);

-- name: derive_hourly_many
-- Per worker, UTC hour and app: seconds in focus, seconds in focus while
-- active, switches into the app, key presses and clicks while it had focus.
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
-- $until: and up to this time, a whole hour (store/deletion.py rebuilds the hours a deletion cut) (default: infinity)
INSERT INTO hourly
WITH todo AS (  -- since: the hour each worker's rebuild starts
    SELECT unnest($workers::VARCHAR[]) AS worker, date_trunc('hour', unnest($sinces::TIMESTAMPTZ[])) AS since
),
f AS (
    SELECT s.worker, todo.since, start, stop, app, utc_offset
    FROM spans s JOIN todo ON s.worker = todo.worker AND s.stop >= todo.since
    WHERE kind = 'focus' AND stop >= date_trunc('hour', $floor) AND start < $until
),
a AS (
    SELECT s.worker, start, stop
    FROM spans s JOIN todo ON s.worker = todo.worker AND s.stop >= todo.since
    WHERE kind = 'active' AND stop >= date_trunc('hour', $floor) AND start < $until
),
offset_changes AS (  -- the moments the local UTC offset changed (DST, travel)
    SELECT worker, ts, utc_offset FROM (
        SELECT e.worker, ts, utc_offset, lag(utc_offset) OVER (PARTITION BY e.worker ORDER BY ts) AS before
        FROM raw_events e JOIN todo ON e.worker = todo.worker AND e.ts >= todo.since - INTERVAL 1 DAY
        WHERE e.ts >= date_trunc('hour', $floor) - INTERVAL 1 DAY
    ) WHERE before IS DISTINCT FROM utc_offset
),
cut AS (  -- focus spans cut at hour boundaries; most lie within one hour and are not cut
    SELECT worker, since, app, utc_offset AS span_offset, utc_hour(start) AS hour, start AS s, stop AS e,
           true AS first_piece
    FROM f WHERE utc_hour(start) = utc_hour(stop)
    UNION ALL
    SELECT worker, since, app, span_offset, h, greatest(start, h), least(stop, h + INTERVAL 1 HOUR),
           start = greatest(start, h)
    FROM (SELECT worker, since, app, utc_offset AS span_offset, start, stop,  -- unnest as in derive_hourly
                 unnest(generate_series(utc_hour(start), utc_hour(stop), INTERVAL 1 HOUR)) AS h
          FROM f WHERE utc_hour(start) <> utc_hour(stop))
),
pieces AS (  -- each piece takes the offset in force when it began, so days split at local midnight
    SELECT cut.*, coalesce(o.utc_offset, cut.span_offset) AS utc_offset
    FROM cut ASOF LEFT JOIN offset_changes o ON cut.worker = o.worker AND cut.s >= o.ts
),
a_cut AS (  -- active spans cut at hour boundaries too, so that pieces meet them by (worker, hour)
    SELECT worker, utc_hour(start) AS hour, start, stop FROM a WHERE utc_hour(start) = utc_hour(stop)
    UNION ALL
    SELECT worker, h, greatest(start, h), least(stop, h + INTERVAL 1 HOUR)
    FROM (SELECT worker, start, stop,
                 unnest(generate_series(utc_hour(start), utc_hour(stop), INTERVAL 1 HOUR)) AS h
          FROM a WHERE utc_hour(start) <> utc_hour(stop))
),
active_pieces AS (  -- the same, intersected with active spans
    SELECT p.worker, p.since, p.app, p.hour, greatest(p.s, a.start) AS s, least(p.e, a.stop) AS e
    FROM pieces p JOIN a_cut a ON a.worker = p.worker AND a.hour = p.hour AND a.start < p.e AND a.stop > p.s
),
focus_h AS (
    SELECT worker, app, hour, any_value(utc_offset) AS utc_offset,
           sum(epoch(e) - epoch(s)) AS focus_s, count(*) FILTER (WHERE first_piece) AS switches
    FROM pieces WHERE hour >= since AND hour < $until GROUP BY worker, app, hour
),
active_h AS (
    SELECT worker, app, hour, sum(epoch(e) - epoch(s)) AS active_s FROM active_pieces
    WHERE hour >= since AND hour < $until GROUP BY worker, app, hour
),
inputs AS (
    SELECT f.worker, f.app, utc_hour(e.ts) AS hour,
           count(*) FILTER (WHERE e.kind = 'key_down') AS key_downs,
           count(*) FILTER (WHERE e.kind = 'mouse_down') AS clicks
    FROM (SELECT r.worker, ts, kind FROM raw_events r JOIN todo ON r.worker = todo.worker AND r.ts >= todo.since
          WHERE r.ts >= date_trunc('hour', $floor) AND r.ts < $until AND kind IN ('key_down', 'mouse_down')) e
    ASOF JOIN f ON e.worker = f.worker AND e.ts >= f.start
    WHERE e.ts < f.stop
    GROUP BY f.worker, f.app, utc_hour(e.ts)
)
SELECT fh.worker, fh.hour, fh.utc_offset, fh.app, fh.focus_s, coalesce(ah.active_s, 0), fh.switches::INTEGER,
       coalesce(i.key_downs, 0)::INTEGER, coalesce(i.clicks, 0)::INTEGER, 'derived'
FROM focus_h fh
LEFT JOIN active_h ah USING (worker, app, hour)
LEFT JOIN inputs i USING (worker, app, hour);

-- name: derive_clear_hourly_total
-- Drop the derived hour totals that will be rebuilt.
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
DELETE FROM hourly_total
WHERE list_contains($workers::VARCHAR[], worker) AND source = 'derived' AND hour >= date_trunc('hour', $floor)
  AND hour >= date_trunc('hour', map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker));

-- name: derive_hourly_total
-- Hour totals over all apps, from the hourly rows just rebuilt.
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
INSERT INTO hourly_total
SELECT * FROM hour_totals(NULL, 'derived', date_trunc('hour', $floor))
WHERE list_contains($workers::VARCHAR[], worker)
  AND hour >= date_trunc('hour', map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker));

-- name: derive_next_since_spans
-- Where the next rebuild of spans and hourly starts: the newest focus or
-- active span, whichever started first, as either may still grow (never
-- before where this one started; no row while a worker has no span).
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
INSERT OR REPLACE INTO derive_state
SELECT worker, 'spans',
       greatest(least(focus, active), map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker))
FROM (
    SELECT worker, max(start) FILTER (WHERE kind = 'focus') AS focus,
           max(start) FILTER (WHERE kind = 'active') AS active
    FROM spans WHERE source = 'capture' AND list_contains($workers::VARCHAR[], worker) GROUP BY worker
);

-- name: derive_next_since_keys
-- Where the next pairing of keystrokes starts: a minute before the newest
-- key (never before where this one started; no row while a worker has no key).
-- $workers: the workers whose tables are rebuilt
-- $sinces: for each of them, rebuild from this time on
-- $floor: the earliest of $sinces
INSERT OR REPLACE INTO derive_state
SELECT worker, 'keys',
       greatest(newest - INTERVAL 1 MINUTE, map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker))
FROM (
    SELECT worker, max(ts) AS newest FROM raw_events
    WHERE list_contains($workers::VARCHAR[], worker) AND ts >= $floor AND kind IN ('key_down', 'key_up')
      AND ts >= map_extract_value(map($workers::VARCHAR[], $sinces::TIMESTAMPTZ[]), worker)
    GROUP BY worker
);

-- name: derive_clear_source_totals
-- Drop the hour totals of rows written directly from one $source.
-- $source: where the hourly rows came from (e.g. 'demo' for generated rollups)
DELETE FROM hourly_total WHERE source = $source;

-- name: derive_source_totals
-- Hour totals for hourly rows written directly (no events to derive from).
-- $source: where the hourly rows came from (e.g. 'demo' for generated rollups)
INSERT INTO hourly_total
SELECT * FROM hour_totals(NULL, $source, '-infinity'::TIMESTAMPTZ);

-- name: derive_workers
-- Every worker with events or spans.
SELECT DISTINCT worker FROM raw_events UNION SELECT DISTINCT worker FROM spans ORDER BY 1;
