-- name: create_files
-- Every release file the server has looked at: its key, size and mtime (to see what changed), and why it
-- was skipped if it was.
CREATE TABLE IF NOT EXISTS files (key VARCHAR PRIMARY KEY, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL,
                                  problem VARCHAR);

-- name: create_releases
-- One row per ingested worker-day, as release_format promises it, with the ISO week's Monday.
CREATE TABLE IF NOT EXISTS releases (key VARCHAR PRIMARY KEY, pseudonym VARCHAR NOT NULL, team VARCHAR NOT NULL,
    day DATE NOT NULL, week DATE NOT NULL, active_minutes SMALLINT[] NOT NULL, switches INTEGER[] NOT NULL,
    category_seconds MAP(VARCHAR, INTEGER) NOT NULL, focus_sessions INTEGER NOT NULL, focus_seconds INTEGER NOT NULL,
    typing_bins INTEGER[] NOT NULL, click_bins INTEGER[] NOT NULL);

-- name: create_draws
-- The noisy figures, drawn once per team, week and measure: one row per cell (idx, or category), with the
-- noise's scale, the exact denominator and the number of people the cell is computed from, as at the draw.
CREATE TABLE IF NOT EXISTS draws (team VARCHAR NOT NULL, week DATE NOT NULL, measure VARCHAR NOT NULL,
    idx INTEGER NOT NULL, category VARCHAR NOT NULL, noisy DOUBLE NOT NULL, scale DOUBLE NOT NULL,
    denom DOUBLE NOT NULL, contributors INTEGER NOT NULL, PRIMARY KEY (team, week, measure, idx, category));

-- name: create_spent
-- The privacy budget spent per team, week and measure (rho-zCDP), and when.
CREATE TABLE IF NOT EXISTS spent (team VARCHAR NOT NULL, week DATE NOT NULL, measure VARCHAR NOT NULL,
    rho DOUBLE NOT NULL, drawn_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (team, week, measure));

-- name: create_drawn
-- The team-weeks drawn (whatever each measure got): a team-week is drawn once, from the releases it had then.
CREATE TABLE IF NOT EXISTS drawn (team VARCHAR NOT NULL, week DATE NOT NULL, drawn_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team, week));

-- name: create_members
-- Whose releases a team-week's draw holds: the pseudonyms whose access logs each read of it writes to.
-- Pseudonyms only; the server holds no names.
CREATE TABLE IF NOT EXISTS members (team VARCHAR NOT NULL, week DATE NOT NULL, pseudonym VARCHAR NOT NULL,
    PRIMARY KEY (team, week, pseudonym));

-- name: files_under
-- The files seen before under any of these key prefixes (a team's folder or one day of it).
-- $prefixes: key prefixes, each ending in '/'
SELECT key, size, mtime_ns, problem FROM files WHERE list_bool_or(list_transform($prefixes, lambda p: starts_with(key, p)));

-- name: files_apply
-- A sync's changes (Arrow tables registered by the caller): the files gone (gone: key) lose their rows and
-- their note; the files read again (changes: key, size, mtime_ns, problem) lose their old row and are noted,
-- with the problem that kept them out, if any. release_insert then adds the rows of the good ones.
DELETE FROM releases WHERE key IN (SELECT key FROM gone UNION ALL SELECT key FROM changes);
DELETE FROM files WHERE key IN (SELECT key FROM gone);
INSERT OR REPLACE INTO files SELECT key, size, mtime_ns, problem FROM changes;

-- name: release_insert
-- The checked rows of a batch of files (an Arrow table named batch, registered by the caller).
INSERT INTO releases SELECT key, pseudonym, team, day, CAST(date_trunc('week', day) AS DATE), active_minutes,
    switches, category_seconds, focus_sessions, focus_seconds, typing_bins, click_bins FROM batch;

-- name: release_days
-- The days a team has releases for (the weeks a viewer may choose from).
-- $teams: team names
SELECT DISTINCT team, week FROM releases WHERE list_contains($teams, team) ORDER BY team, week;

-- name: drawn_pairs
-- The team-weeks already drawn.
-- $teams: team names
-- $weeks: ISO-week Mondays
SELECT team, week FROM drawn WHERE list_contains($teams, team) AND list_contains($weeks, week);

-- name: drawn_weeks
-- Every team-week drawn for these teams (what a viewer may choose from besides completed weeks).
-- $teams: team names
SELECT team, week FROM drawn WHERE list_contains($teams, team);

-- name: contrib_activity
-- Per team-week and weekday x hour cell (idx = weekday * 24 + hour): the sum of each person's active minutes,
-- each person's 168 minutes scaled down to an L2 norm of at most $clamp; over the people with a release that
-- weekday (denominator and contributors). Written in the subset Spark runs identically (team/engines.py):
-- the hour from a series, not generate_subscripts; the weekday from the week's Monday, not isodow (which
-- sqlglot turns into a wrong Spark weekday); the index cast, so sqlglot shifts it to Spark's 0-based arrays.
-- $teams: team names
-- $weeks: ISO-week Mondays
-- $clamp: L2 bound of one person's week
WITH h AS (
    SELECT team, week, pseudonym, date_diff('day', week, day) AS weekday, active_minutes,
           unnest(generate_series(0, array_length(active_minutes) - 1)) AS hour
    FROM releases WHERE list_contains($teams, team) AND list_contains($weeks, week)),
r AS (SELECT team, week, pseudonym, weekday, hour, CAST(active_minutes[CAST(hour AS INTEGER) + 1] AS DOUBLE) AS v
      FROM h),
f AS (SELECT team, week, pseudonym, least(1.0, $clamp / greatest(sqrt(sum(v * v)), 1e-9)) AS f
      FROM r GROUP BY team, week, pseudonym),
d AS (SELECT team, week, weekday, count(DISTINCT pseudonym) AS people FROM r GROUP BY team, week, weekday)
SELECT r.team, r.week, r.weekday * 24 + r.hour AS idx, '' AS category, sum(r.v * f.f) AS total,
       CAST(any_value(d.people) AS DOUBLE) AS denom, CAST(any_value(d.people) AS INTEGER) AS contributors
FROM r JOIN f USING (team, week, pseudonym) JOIN d USING (team, week, weekday)
GROUP BY r.team, r.week, r.weekday, r.hour;

-- name: contrib_categories
-- Per team-week and category: the sum of each person's share of their own week's active time in it; over
-- the people with any active time (denominator); contributors: the people with time in that category.
-- (One unnest per SELECT and the value looked up by its key: Spark allows one generator per SELECT.)
-- $teams: team names
-- $weeks: ISO-week Mondays
WITH k AS (
    SELECT team, week, pseudonym, category_seconds, unnest(map_keys(category_seconds)) AS category
    FROM releases WHERE list_contains($teams, team) AND list_contains($weeks, week)),
e AS (SELECT team, week, pseudonym, category, CAST(category_seconds[category] AS DOUBLE) AS s FROM k),
p AS (SELECT team, week, pseudonym, category, sum(s) AS s FROM e GROUP BY team, week, pseudonym, category),
t AS (SELECT team, week, pseudonym, sum(s) AS tot FROM p GROUP BY team, week, pseudonym HAVING sum(s) > 0),
n AS (SELECT team, week, count(*) AS people FROM t GROUP BY team, week)
SELECT p.team, p.week, 0 AS idx, p.category, sum(p.s / t.tot) AS total, CAST(any_value(n.people) AS DOUBLE) AS denom,
       CAST(count(*) FILTER (WHERE p.s > 0) AS INTEGER) AS contributors
FROM p JOIN t USING (team, week, pseudonym) JOIN n USING (team, week)
GROUP BY p.team, p.week, p.category;

-- name: contrib_switching
-- Per team-week: the sum of each person's app switches per active hour, clamped to $clamp, over the people
-- with at least an hour of activity that week. (The hours summed from a series, not list_sum, which Spark
-- lacks.)
-- $teams: team names
-- $weeks: ISO-week Mondays
-- $clamp: the largest rate one person counts with
WITH h AS (
    SELECT team, week, pseudonym, active_minutes, switches,
           unnest(generate_series(0, array_length(switches) - 1)) AS hour
    FROM releases WHERE list_contains($teams, team) AND list_contains($weeks, week)),
p AS (
    SELECT team, week, pseudonym, CAST(sum(switches[CAST(hour AS INTEGER) + 1]) AS DOUBLE) AS sw,
           CAST(sum(active_minutes[CAST(hour AS INTEGER) + 1]) AS DOUBLE) AS m
    FROM h GROUP BY team, week, pseudonym)
SELECT team, week, 0 AS idx, '' AS category, coalesce(sum(least(sw / (m / 60.0), $clamp)) FILTER (WHERE m >= 60), 0) AS total,
       CAST(count(*) FILTER (WHERE m >= 60) AS DOUBLE) AS denom, CAST(count(*) FILTER (WHERE m >= 60) AS INTEGER) AS contributors
FROM p GROUP BY team, week;

-- name: contrib_focus
-- Per team-week and focus bin (idx: how many of $edges, in minutes, the day's focus time reaches): the number
-- of person-days in it, over all the team's person-days; contributors: the people with a day in that bin.
-- $teams: team names
-- $weeks: ISO-week Mondays
-- $edges: the bins' lower edges after 0, minutes
WITH d AS (
    SELECT team, week, pseudonym, array_length(list_filter($edges, lambda x: x <= focus_seconds / 60.0)) AS idx
    FROM releases WHERE list_contains($teams, team) AND list_contains($weeks, week)),
n AS (SELECT team, week, count(*) AS days FROM d GROUP BY team, week)
SELECT d.team, d.week, d.idx, '' AS category, CAST(count(*) AS DOUBLE) AS total, CAST(any_value(n.days) AS DOUBLE) AS denom,
       CAST(count(DISTINCT d.pseudonym) AS INTEGER) AS contributors
FROM d JOIN n USING (team, week) GROUP BY d.team, d.week, d.idx;

-- name: contrib_rhythm
-- Per team-week and bin of typing ($column = 'typing_bins') or click intervals ('click_bins'): the sum of each
-- person's share of their own week's intervals in it, over the people with any; contributors: the people
-- with intervals in that bin.
-- $teams: team names
-- $weeks: ISO-week Mondays
-- $column: typing_bins or click_bins
WITH r AS (
    SELECT team, week, pseudonym, CASE $column WHEN 'typing_bins' THEN typing_bins ELSE click_bins END AS bins
    FROM releases WHERE list_contains($teams, team) AND list_contains($weeks, week)),
b AS (SELECT team, week, pseudonym, bins, unnest(generate_series(0, array_length(bins) - 1)) AS idx FROM r),
e AS (SELECT team, week, pseudonym, CAST(bins[CAST(idx AS INTEGER) + 1] AS DOUBLE) AS c, idx FROM b),
p AS (SELECT team, week, pseudonym, idx, sum(c) AS c FROM e GROUP BY team, week, pseudonym, idx),
t AS (SELECT team, week, pseudonym, sum(c) AS tot FROM p GROUP BY team, week, pseudonym HAVING sum(c) > 0),
n AS (SELECT team, week, count(*) AS people FROM t GROUP BY team, week)
SELECT p.team, p.week, p.idx, '' AS category, sum(p.c / t.tot) AS total, CAST(any_value(n.people) AS DOUBLE) AS denom,
       CAST(count(*) FILTER (WHERE p.c > 0) AS INTEGER) AS contributors
FROM p JOIN t USING (team, week, pseudonym) JOIN n USING (team, week)
GROUP BY p.team, p.week, p.idx;

-- name: week_members
-- The pseudonyms in these team-weeks' releases, as they are now (noted when the team-week is drawn).
-- $teams: team names
-- $weeks: ISO-week Mondays
SELECT DISTINCT team, week, pseudonym FROM releases WHERE list_contains($teams, team) AND list_contains($weeks, week);

-- name: insert_draw
-- A draw's rows (Arrow tables registered by the caller): its cells, the pseudonyms its team-weeks hold, the
-- budget each measure spent, and the team-weeks as drawn.
INSERT INTO draws SELECT team, week, measure, idx, category, noisy, scale, denom, contributors FROM drawn_cells;
INSERT OR IGNORE INTO members SELECT team, week, pseudonym FROM drawn_members;
INSERT INTO spent SELECT team, week, measure, rho, now() FROM drawn_spent;
INSERT INTO drawn SELECT team, week, now() FROM drawn_pairs_new;

-- name: read_draws
-- The drawn cells of one measure for these teams and weeks.
-- $teams: team names
-- $weeks: ISO-week Mondays
-- $measure: measure name
SELECT team, week, idx, category, noisy, scale, denom, contributors FROM draws
WHERE measure = $measure AND list_contains($teams, team) AND list_contains($weeks, week)
ORDER BY team, week, idx, category;

-- name: refused_pairs
-- The team-weeks with releases whose draw of this measure was refused for budget.
-- $teams: team names
-- $weeks: ISO-week Mondays
-- $measure: measure name
SELECT DISTINCT m.team, m.week FROM members m
WHERE list_contains($teams, m.team) AND list_contains($weeks, m.week)
  AND NOT EXISTS (SELECT 1 FROM spent s WHERE s.team = m.team AND s.week = m.week AND s.measure = $measure);

-- name: read_members
-- The pseudonyms the drawn figures of these team-weeks hold (whose access logs a read writes to).
-- $teams: team names
-- $weeks: ISO-week Mondays
SELECT DISTINCT pseudonym FROM members WHERE list_contains($teams, team) AND list_contains($weeks, week)
ORDER BY pseudonym;

-- name: read_spent
-- The budget spent per team-week (rho-zCDP), for these teams and weeks.
-- $teams: team names
-- $weeks: ISO-week Mondays
SELECT team, week, sum(rho) AS spent FROM spent WHERE list_contains($teams, team) AND list_contains($weeks, week)
GROUP BY team, week ORDER BY team, week;

-- name: known_categories
-- The categories of these teams' drawn figures that at least $k people used in some team-week, with a team
-- where they did.
-- $teams: team names
-- $k: the smallest group
SELECT category, min(team) FROM draws
WHERE measure = 'categories' AND list_contains($teams, team) AND contributors >= $k GROUP BY category ORDER BY category;

-- name: published_cells
-- A drawn team-week's cells of at least $k people, every measure: what the server publishes to the store.
-- $team: team name
-- $week: ISO-week Monday
-- $k: the smallest group
SELECT measure, idx, category, noisy, scale, denom, contributors FROM draws
WHERE team = $team AND week = $week AND contributors >= $k ORDER BY measure, idx, category;

-- name: published_spent
-- The budget a drawn team-week's measures spent (rho-zCDP), as published.
-- $team: team name
-- $week: ISO-week Monday
SELECT measure, rho FROM spent WHERE team = $team AND week = $week ORDER BY measure;
