-- The research server's ledger of one study (team/study_ledger.py): the long tables of team/study_tables.py,
-- typed as their Fields say (tests/test_study_ledger.py holds each CREATE against them), and the files seen.
-- This file is ingestion, DuckDB only; the research queries both engines run are in team/explore.sql.

-- name: study_create_files
-- Every study release file looked at: its key, whose day it is, size and mtime (to see what changed), and why
-- it was skipped if it was.
CREATE TABLE IF NOT EXISTS files (key VARCHAR PRIMARY KEY, person VARCHAR NOT NULL, day DATE NOT NULL,
    size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL, problem VARCHAR);

-- name: study_create_days
CREATE TABLE IF NOT EXISTS days (person VARCHAR NOT NULL, day DATE NOT NULL, week DATE NOT NULL,
    weekday INTEGER NOT NULL, active_minutes INTEGER, switches INTEGER, focus_sessions INTEGER,
    focus_seconds INTEGER, PRIMARY KEY (person, day));

-- name: study_create_hours
CREATE TABLE IF NOT EXISTS hours (person VARCHAR NOT NULL, day DATE NOT NULL, week DATE NOT NULL,
    weekday INTEGER NOT NULL, hour INTEGER NOT NULL, active_minutes INTEGER NOT NULL, switches INTEGER NOT NULL);

-- name: study_create_categories
CREATE TABLE IF NOT EXISTS categories (person VARCHAR NOT NULL, day DATE NOT NULL, week DATE NOT NULL,
    weekday INTEGER NOT NULL, category VARCHAR NOT NULL, seconds INTEGER NOT NULL);

-- name: study_create_transitions
CREATE TABLE IF NOT EXISTS transitions (person VARCHAR NOT NULL, day DATE NOT NULL, week DATE NOT NULL,
    weekday INTEGER NOT NULL, from_category VARCHAR NOT NULL, to_category VARCHAR NOT NULL, n INTEGER NOT NULL);

-- name: study_create_typing
CREATE TABLE IF NOT EXISTS typing (person VARCHAR NOT NULL, day DATE NOT NULL, week DATE NOT NULL,
    weekday INTEGER NOT NULL, bin INTEGER NOT NULL, lo_ms DOUBLE NOT NULL, hi_ms DOUBLE, n INTEGER NOT NULL);

-- name: study_create_clicking
CREATE TABLE IF NOT EXISTS clicking (person VARCHAR NOT NULL, day DATE NOT NULL, week DATE NOT NULL,
    weekday INTEGER NOT NULL, bin INTEGER NOT NULL, lo_s DOUBLE NOT NULL, hi_s DOUBLE, n INTEGER NOT NULL);

-- name: study_create_typing_fine
CREATE TABLE IF NOT EXISTS typing_fine (person VARCHAR NOT NULL, day DATE NOT NULL, week DATE NOT NULL,
    weekday INTEGER NOT NULL, bin INTEGER NOT NULL, lo_ms DOUBLE NOT NULL, hi_ms DOUBLE, n INTEGER NOT NULL);

-- name: study_create_clicking_fine
CREATE TABLE IF NOT EXISTS clicking_fine (person VARCHAR NOT NULL, day DATE NOT NULL, week DATE NOT NULL,
    weekday INTEGER NOT NULL, bin INTEGER NOT NULL, lo_s DOUBLE NOT NULL, hi_s DOUBLE, n INTEGER NOT NULL);

-- name: study_files
-- The files seen before (under the study's release folder).
SELECT key, size, mtime_ns, problem FROM files;

-- name: study_files_apply
-- A sync's changes (Arrow tables registered by the caller): gone (key) and changes (key, person, day, size,
-- mtime_ns, problem). The person-days of both (drop: person, day) lose their rows in every table beforehand
-- (study_drop_*), the good ones' rows are then inserted (study_insert_*).
DELETE FROM files WHERE key IN (SELECT key FROM gone);
INSERT OR REPLACE INTO files SELECT key, person, day, size, mtime_ns, problem FROM changes;

-- name: study_drop_days
DELETE FROM days WHERE EXISTS (SELECT 1 FROM drop_days d WHERE d.person = days.person AND d.day = days.day);

-- name: study_drop_hours
DELETE FROM hours WHERE EXISTS (SELECT 1 FROM drop_days d WHERE d.person = hours.person AND d.day = hours.day);

-- name: study_drop_categories
DELETE FROM categories
WHERE EXISTS (SELECT 1 FROM drop_days d WHERE d.person = categories.person AND d.day = categories.day);

-- name: study_drop_transitions
DELETE FROM transitions
WHERE EXISTS (SELECT 1 FROM drop_days d WHERE d.person = transitions.person AND d.day = transitions.day);

-- name: study_drop_typing
DELETE FROM typing WHERE EXISTS (SELECT 1 FROM drop_days d WHERE d.person = typing.person AND d.day = typing.day);

-- name: study_drop_clicking
DELETE FROM clicking
WHERE EXISTS (SELECT 1 FROM drop_days d WHERE d.person = clicking.person AND d.day = clicking.day);

-- name: study_drop_typing_fine
DELETE FROM typing_fine
WHERE EXISTS (SELECT 1 FROM drop_days d WHERE d.person = typing_fine.person AND d.day = typing_fine.day);

-- name: study_drop_clicking_fine
DELETE FROM clicking_fine
WHERE EXISTS (SELECT 1 FROM drop_days d WHERE d.person = clicking_fine.person AND d.day = clicking_fine.day);

-- name: study_insert_days
-- The day totals of each checked release (batch: every study column, NULL where the study did not ask).
INSERT INTO days SELECT pseudonym, day, CAST(date_trunc('week', day) AS DATE), isodow(day),
    CAST(list_sum(active_minutes) AS INTEGER), CAST(list_sum(switches) AS INTEGER), focus_sessions, focus_seconds
FROM batch;

-- name: study_insert_hours
-- The 24 hours of each release's active_minutes and switches.
INSERT INTO hours SELECT pseudonym, day, CAST(date_trunc('week', day) AS DATE), isodow(day), hour,
    CAST(m AS INTEGER), CAST(s AS INTEGER)
FROM (SELECT pseudonym, day, unnest(active_minutes) AS m, unnest(switches) AS s,
             generate_subscripts(active_minutes, 1) - 1 AS hour FROM batch);

-- name: study_insert_categories
-- Each category with active time.
INSERT INTO categories SELECT pseudonym, day, CAST(date_trunc('week', day) AS DATE), isodow(day), category, seconds
FROM (SELECT pseudonym, day, unnest(map_keys(category_seconds)) AS category,
             unnest(map_values(category_seconds)) AS seconds FROM batch)
WHERE seconds > 0;

-- name: study_insert_transitions
-- Each pair of categories switched between (the check keeps them distinct, src != dst, n > 0).
INSERT INTO transitions SELECT pseudonym, day, CAST(date_trunc('week', day) AS DATE), isodow(day), t.src, t.dst, t.n
FROM (SELECT pseudonym, day, unnest(category_transitions) AS t FROM batch);

-- name: study_insert_typing
-- Each typing bin with intervals in it, with its edges (edges: bin, lo, hi, registered by the caller).
INSERT INTO typing SELECT b.pseudonym, b.day, CAST(date_trunc('week', b.day) AS DATE), isodow(b.day), b.bin,
    e.lo, e.hi, b.n
FROM (SELECT pseudonym, day, unnest(typing_bins) AS n, generate_subscripts(typing_bins, 1) - 1 AS bin FROM batch) b
JOIN edges e ON e.bin = b.bin WHERE b.n > 0;

-- name: study_insert_clicking
INSERT INTO clicking SELECT b.pseudonym, b.day, CAST(date_trunc('week', b.day) AS DATE), isodow(b.day), b.bin,
    e.lo, e.hi, b.n
FROM (SELECT pseudonym, day, unnest(click_bins) AS n, generate_subscripts(click_bins, 1) - 1 AS bin FROM batch) b
JOIN edges e ON e.bin = b.bin WHERE b.n > 0;

-- name: study_insert_typing_fine
INSERT INTO typing_fine SELECT b.pseudonym, b.day, CAST(date_trunc('week', b.day) AS DATE), isodow(b.day), b.bin,
    e.lo, e.hi, b.n
FROM (SELECT pseudonym, day, unnest(typing_fine_bins) AS n, generate_subscripts(typing_fine_bins, 1) - 1 AS bin
      FROM batch) b
JOIN edges e ON e.bin = b.bin WHERE b.n > 0;

-- name: study_insert_clicking_fine
INSERT INTO clicking_fine SELECT b.pseudonym, b.day, CAST(date_trunc('week', b.day) AS DATE), isodow(b.day), b.bin,
    e.lo, e.hi, b.n
FROM (SELECT pseudonym, day, unnest(click_fine_bins) AS n, generate_subscripts(click_fine_bins, 1) - 1 AS bin
      FROM batch) b
JOIN edges e ON e.bin = b.bin WHERE b.n > 0;
