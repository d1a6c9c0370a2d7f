-- The research queries: what Explore reads (team/explore.py), over the long tables of team/study_tables.py.
-- The same text runs on DuckDB and, transpiled, on Spark (the parity test), so it keeps to plain SQL: GROUP BY,
-- WHERE, joins, count(DISTINCT), sum, avg, CASE, CAST, substr; parameters only as scalars. Group keys come back
-- as text (g1, g2; '' for none) and team/explore.py types them; `shown` is the k rule, applied in team/explore.py
-- before anything leaves it.

-- name: explore_days
-- Per group: the mean of the measure over the person-days in the filters, and how many distinct persons they are
-- from; shown is false where fewer than k.
-- $measure: active_minutes | switches | focus_minutes | focus_sessions
-- $by1: the first group key (week, month, weekday, day), or none
-- $by2: the second group key (as $by1), or none
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
-- $k: the study's k: a group is shown only if at least this many distinct persons are in it
SELECT g1, g2, avg(v) AS value, count(DISTINCT person) AS persons, count(DISTINCT person) >= $k AS shown
FROM (SELECT person, CASE $by1 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                ELSE '' END AS g1,
             CASE $by2 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                ELSE '' END AS g2,
             CASE $measure WHEN 'active_minutes' THEN CAST(active_minutes AS DOUBLE)
                WHEN 'switches' THEN CAST(switches AS DOUBLE)
                WHEN 'focus_minutes' THEN CAST(focus_seconds AS DOUBLE) / 60
                WHEN 'focus_sessions' THEN CAST(focus_sessions AS DOUBLE) END AS v
      FROM days WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi) AS f
WHERE v IS NOT NULL
GROUP BY g1, g2
ORDER BY g1, g2;

-- name: explore_days_person
-- Per person: the mean of the measure over their person-days in the filters (what compare holds side against
-- side; it never leaves team/explore.py), and the persons a read over these filters covers.
-- $measure: active_minutes | switches | focus_minutes | focus_sessions
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
SELECT person, avg(v) AS value
FROM (SELECT person, CASE $measure WHEN 'active_minutes' THEN CAST(active_minutes AS DOUBLE)
                WHEN 'switches' THEN CAST(switches AS DOUBLE)
                WHEN 'focus_minutes' THEN CAST(focus_seconds AS DOUBLE) / 60
                WHEN 'focus_sessions' THEN CAST(focus_sessions AS DOUBLE) END AS v FROM days WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi) AS f
WHERE v IS NOT NULL
GROUP BY person
ORDER BY person;

-- name: explore_hours
-- Per group: the mean of the measure over the person-day and hours in the filters, and how many distinct persons they are
-- from; shown is false where fewer than k.
-- $measure: active_minutes | switches
-- $by1: the first group key (week, month, weekday, day, hour), or none
-- $by2: the second group key (as $by1), or none
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
-- $k: the study's k: a group is shown only if at least this many distinct persons are in it
SELECT g1, g2, avg(v) AS value, count(DISTINCT person) AS persons, count(DISTINCT person) >= $k AS shown
FROM (SELECT person, CASE $by1 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'hour' THEN CAST(hour AS VARCHAR)
                ELSE '' END AS g1,
             CASE $by2 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'hour' THEN CAST(hour AS VARCHAR)
                ELSE '' END AS g2,
             CASE $measure WHEN 'active_minutes' THEN CAST(active_minutes AS DOUBLE)
                WHEN 'switches' THEN CAST(switches AS DOUBLE) END AS v
      FROM hours WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi) AS f
WHERE v IS NOT NULL
GROUP BY g1, g2
ORDER BY g1, g2;

-- name: explore_hours_person
-- Per person: the mean of the measure over their person-day and hours in the filters (what compare holds side against
-- side; it never leaves team/explore.py), and the persons a read over these filters covers.
-- $measure: active_minutes | switches
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
SELECT person, avg(v) AS value
FROM (SELECT person, CASE $measure WHEN 'active_minutes' THEN CAST(active_minutes AS DOUBLE)
                WHEN 'switches' THEN CAST(switches AS DOUBLE) END AS v FROM hours WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi) AS f
WHERE v IS NOT NULL
GROUP BY person
ORDER BY person;

-- name: explore_categories
-- Per group: its share of the active time of its time group (the same keys without category),
-- over the person-days in the filters, pooled; and how many distinct persons the group's rows are from; shown is
-- false where fewer than k. Each cell (time group x category) of fewer than k persons is left
-- out of every sum, the time group's whole too: the shares shown never reveal what a suppressed cell holds
-- (1 minus the others).
-- $category: only this category ('' for every one)
-- $by1: the first group key (week, month, weekday, day, category), or none
-- $by2: the second group key (as $by1), or none
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
-- $k: the study's k: a group is shown only if at least this many distinct persons are in it
WITH f AS (
    SELECT person, seconds AS amount, ($category = '' OR category = $category) AS picked,
           category AS dim1, '' AS dim2,
           CASE $by1 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'category' THEN category
                ELSE '' END AS g1,
           CASE $by2 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'category' THEN category
                ELSE '' END AS g2
    FROM categories WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
), d AS (
    SELECT person, amount, picked, dim1, dim2, g1, g2,
           CASE WHEN $by1 IN ('category') THEN '' ELSE g1 END AS t1,
           CASE WHEN $by2 IN ('category') THEN '' ELSE g2 END AS t2
    FROM f
), cell AS (
    SELECT t1, t2, dim1, dim2, count(DISTINCT person) >= $k AS ok FROM d GROUP BY t1, t2, dim1, dim2
), kept AS (
    SELECT d.person, d.amount, d.picked, d.g1, d.g2, d.t1, d.t2, cell.ok
    FROM d JOIN cell ON d.t1 = cell.t1 AND d.t2 = cell.t2 AND d.dim1 = cell.dim1 AND d.dim2 = cell.dim2
), whole AS (
    SELECT t1, t2, sum(amount) AS amount FROM kept WHERE ok GROUP BY t1, t2
), part AS (
    SELECT g1, g2, min(t1) AS t1, min(t2) AS t2, sum(CASE WHEN ok THEN amount ELSE 0 END) AS amount,
           count(DISTINCT CASE WHEN ok THEN person END) AS persons
    FROM kept WHERE picked GROUP BY g1, g2
)
SELECT part.g1, part.g2, CAST(part.amount AS DOUBLE) / whole.amount AS value, part.persons,
       part.persons >= $k AS shown
FROM part LEFT JOIN whole ON part.t1 = whole.t1 AND part.t2 = whole.t2
ORDER BY part.g1, part.g2;

-- name: explore_categories_person
-- Per person: their own share of their active time in the filters that the pick holds (what compare holds side
-- against side; it never leaves team/explore.py), and the persons a read over these filters covers.
-- $category: only this category ('' for every one)
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
SELECT person, CAST(sum(CASE WHEN ($category = '' OR category = $category) THEN seconds ELSE 0 END) AS DOUBLE) / sum(seconds) AS value
FROM categories WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
GROUP BY person
ORDER BY person;

-- name: explore_transitions
-- Per group: its share of the switches between categories of its time group (the same keys without from_category and to_category),
-- over the person-days in the filters, pooled; and how many distinct persons the group's rows are from; shown is
-- false where fewer than k. Each cell (time group x from_category x to_category) of fewer than k persons is left
-- out of every sum, the time group's whole too: the shares shown never reveal what a suppressed cell holds
-- (1 minus the others).
-- $category: only switches from or to this category ('' for every one)
-- $by1: the first group key (week, month, weekday, day, from_category, to_category), or none
-- $by2: the second group key (as $by1), or none
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
-- $k: the study's k: a group is shown only if at least this many distinct persons are in it
WITH f AS (
    SELECT person, n AS amount, ($category = '' OR from_category = $category OR to_category = $category) AS picked,
           from_category AS dim1, to_category AS dim2,
           CASE $by1 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'from_category' THEN from_category
                WHEN 'to_category' THEN to_category
                ELSE '' END AS g1,
           CASE $by2 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'from_category' THEN from_category
                WHEN 'to_category' THEN to_category
                ELSE '' END AS g2
    FROM transitions WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
), d AS (
    SELECT person, amount, picked, dim1, dim2, g1, g2,
           CASE WHEN $by1 IN ('from_category', 'to_category') THEN '' ELSE g1 END AS t1,
           CASE WHEN $by2 IN ('from_category', 'to_category') THEN '' ELSE g2 END AS t2
    FROM f
), cell AS (
    SELECT t1, t2, dim1, dim2, count(DISTINCT person) >= $k AS ok FROM d GROUP BY t1, t2, dim1, dim2
), kept AS (
    SELECT d.person, d.amount, d.picked, d.g1, d.g2, d.t1, d.t2, cell.ok
    FROM d JOIN cell ON d.t1 = cell.t1 AND d.t2 = cell.t2 AND d.dim1 = cell.dim1 AND d.dim2 = cell.dim2
), whole AS (
    SELECT t1, t2, sum(amount) AS amount FROM kept WHERE ok GROUP BY t1, t2
), part AS (
    SELECT g1, g2, min(t1) AS t1, min(t2) AS t2, sum(CASE WHEN ok THEN amount ELSE 0 END) AS amount,
           count(DISTINCT CASE WHEN ok THEN person END) AS persons
    FROM kept WHERE picked GROUP BY g1, g2
)
SELECT part.g1, part.g2, CAST(part.amount AS DOUBLE) / whole.amount AS value, part.persons,
       part.persons >= $k AS shown
FROM part LEFT JOIN whole ON part.t1 = whole.t1 AND part.t2 = whole.t2
ORDER BY part.g1, part.g2;

-- name: explore_transitions_person
-- Per person: their own share of their switches between categories in the filters that the pick holds (what compare holds side
-- against side; it never leaves team/explore.py), and the persons a read over these filters covers.
-- $category: only switches from or to this category ('' for every one)
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
SELECT person, CAST(sum(CASE WHEN ($category = '' OR from_category = $category OR to_category = $category) THEN n ELSE 0 END) AS DOUBLE) / sum(n) AS value
FROM transitions WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
GROUP BY person
ORDER BY person;

-- name: explore_typing
-- Per group: its share of the intervals of its time group (the same keys without bin),
-- over the person-days in the filters, pooled; and how many distinct persons the group's rows are from; shown is
-- false where fewer than k. Each cell (time group x bin) of fewer than k persons is left
-- out of every sum, the time group's whole too: the shares shown never reveal what a suppressed cell holds
-- (1 minus the others).
-- $bin: only this bin (-1 for every one)
-- $by1: the first group key (week, month, weekday, day, bin), or none
-- $by2: the second group key (as $by1), or none
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
-- $k: the study's k: a group is shown only if at least this many distinct persons are in it
WITH f AS (
    SELECT person, n AS amount, ($bin < 0 OR bin = $bin) AS picked,
           CAST(bin AS VARCHAR) AS dim1, '' AS dim2,
           CASE $by1 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'bin' THEN CAST(bin AS VARCHAR)
                ELSE '' END AS g1,
           CASE $by2 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'bin' THEN CAST(bin AS VARCHAR)
                ELSE '' END AS g2
    FROM typing WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
), d AS (
    SELECT person, amount, picked, dim1, dim2, g1, g2,
           CASE WHEN $by1 IN ('bin') THEN '' ELSE g1 END AS t1,
           CASE WHEN $by2 IN ('bin') THEN '' ELSE g2 END AS t2
    FROM f
), cell AS (
    SELECT t1, t2, dim1, dim2, count(DISTINCT person) >= $k AS ok FROM d GROUP BY t1, t2, dim1, dim2
), kept AS (
    SELECT d.person, d.amount, d.picked, d.g1, d.g2, d.t1, d.t2, cell.ok
    FROM d JOIN cell ON d.t1 = cell.t1 AND d.t2 = cell.t2 AND d.dim1 = cell.dim1 AND d.dim2 = cell.dim2
), whole AS (
    SELECT t1, t2, sum(amount) AS amount FROM kept WHERE ok GROUP BY t1, t2
), part AS (
    SELECT g1, g2, min(t1) AS t1, min(t2) AS t2, sum(CASE WHEN ok THEN amount ELSE 0 END) AS amount,
           count(DISTINCT CASE WHEN ok THEN person END) AS persons
    FROM kept WHERE picked GROUP BY g1, g2
)
SELECT part.g1, part.g2, CAST(part.amount AS DOUBLE) / whole.amount AS value, part.persons,
       part.persons >= $k AS shown
FROM part LEFT JOIN whole ON part.t1 = whole.t1 AND part.t2 = whole.t2
ORDER BY part.g1, part.g2;

-- name: explore_typing_person
-- Per person: their own share of their intervals in the filters that the pick holds (what compare holds side
-- against side; it never leaves team/explore.py), and the persons a read over these filters covers.
-- $bin: only this bin (-1 for every one)
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
SELECT person, CAST(sum(CASE WHEN ($bin < 0 OR bin = $bin) THEN n ELSE 0 END) AS DOUBLE) / sum(n) AS value
FROM typing WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
GROUP BY person
ORDER BY person;

-- name: explore_clicking
-- Per group: its share of the intervals of its time group (the same keys without bin),
-- over the person-days in the filters, pooled; and how many distinct persons the group's rows are from; shown is
-- false where fewer than k. Each cell (time group x bin) of fewer than k persons is left
-- out of every sum, the time group's whole too: the shares shown never reveal what a suppressed cell holds
-- (1 minus the others).
-- $bin: only this bin (-1 for every one)
-- $by1: the first group key (week, month, weekday, day, bin), or none
-- $by2: the second group key (as $by1), or none
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
-- $k: the study's k: a group is shown only if at least this many distinct persons are in it
WITH f AS (
    SELECT person, n AS amount, ($bin < 0 OR bin = $bin) AS picked,
           CAST(bin AS VARCHAR) AS dim1, '' AS dim2,
           CASE $by1 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'bin' THEN CAST(bin AS VARCHAR)
                ELSE '' END AS g1,
           CASE $by2 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'bin' THEN CAST(bin AS VARCHAR)
                ELSE '' END AS g2
    FROM clicking WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
), d AS (
    SELECT person, amount, picked, dim1, dim2, g1, g2,
           CASE WHEN $by1 IN ('bin') THEN '' ELSE g1 END AS t1,
           CASE WHEN $by2 IN ('bin') THEN '' ELSE g2 END AS t2
    FROM f
), cell AS (
    SELECT t1, t2, dim1, dim2, count(DISTINCT person) >= $k AS ok FROM d GROUP BY t1, t2, dim1, dim2
), kept AS (
    SELECT d.person, d.amount, d.picked, d.g1, d.g2, d.t1, d.t2, cell.ok
    FROM d JOIN cell ON d.t1 = cell.t1 AND d.t2 = cell.t2 AND d.dim1 = cell.dim1 AND d.dim2 = cell.dim2
), whole AS (
    SELECT t1, t2, sum(amount) AS amount FROM kept WHERE ok GROUP BY t1, t2
), part AS (
    SELECT g1, g2, min(t1) AS t1, min(t2) AS t2, sum(CASE WHEN ok THEN amount ELSE 0 END) AS amount,
           count(DISTINCT CASE WHEN ok THEN person END) AS persons
    FROM kept WHERE picked GROUP BY g1, g2
)
SELECT part.g1, part.g2, CAST(part.amount AS DOUBLE) / whole.amount AS value, part.persons,
       part.persons >= $k AS shown
FROM part LEFT JOIN whole ON part.t1 = whole.t1 AND part.t2 = whole.t2
ORDER BY part.g1, part.g2;

-- name: explore_clicking_person
-- Per person: their own share of their intervals in the filters that the pick holds (what compare holds side
-- against side; it never leaves team/explore.py), and the persons a read over these filters covers.
-- $bin: only this bin (-1 for every one)
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
SELECT person, CAST(sum(CASE WHEN ($bin < 0 OR bin = $bin) THEN n ELSE 0 END) AS DOUBLE) / sum(n) AS value
FROM clicking WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
GROUP BY person
ORDER BY person;

-- name: explore_typing_fine
-- Per group: its share of the intervals of its time group (the same keys without bin),
-- over the person-days in the filters, pooled; and how many distinct persons the group's rows are from; shown is
-- false where fewer than k. Each cell (time group x bin) of fewer than k persons is left
-- out of every sum, the time group's whole too: the shares shown never reveal what a suppressed cell holds
-- (1 minus the others).
-- $bin: only this bin (-1 for every one)
-- $by1: the first group key (week, month, weekday, day, bin), or none
-- $by2: the second group key (as $by1), or none
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
-- $k: the study's k: a group is shown only if at least this many distinct persons are in it
WITH f AS (
    SELECT person, n AS amount, ($bin < 0 OR bin = $bin) AS picked,
           CAST(bin AS VARCHAR) AS dim1, '' AS dim2,
           CASE $by1 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'bin' THEN CAST(bin AS VARCHAR)
                ELSE '' END AS g1,
           CASE $by2 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'bin' THEN CAST(bin AS VARCHAR)
                ELSE '' END AS g2
    FROM typing_fine WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
), d AS (
    SELECT person, amount, picked, dim1, dim2, g1, g2,
           CASE WHEN $by1 IN ('bin') THEN '' ELSE g1 END AS t1,
           CASE WHEN $by2 IN ('bin') THEN '' ELSE g2 END AS t2
    FROM f
), cell AS (
    SELECT t1, t2, dim1, dim2, count(DISTINCT person) >= $k AS ok FROM d GROUP BY t1, t2, dim1, dim2
), kept AS (
    SELECT d.person, d.amount, d.picked, d.g1, d.g2, d.t1, d.t2, cell.ok
    FROM d JOIN cell ON d.t1 = cell.t1 AND d.t2 = cell.t2 AND d.dim1 = cell.dim1 AND d.dim2 = cell.dim2
), whole AS (
    SELECT t1, t2, sum(amount) AS amount FROM kept WHERE ok GROUP BY t1, t2
), part AS (
    SELECT g1, g2, min(t1) AS t1, min(t2) AS t2, sum(CASE WHEN ok THEN amount ELSE 0 END) AS amount,
           count(DISTINCT CASE WHEN ok THEN person END) AS persons
    FROM kept WHERE picked GROUP BY g1, g2
)
SELECT part.g1, part.g2, CAST(part.amount AS DOUBLE) / whole.amount AS value, part.persons,
       part.persons >= $k AS shown
FROM part LEFT JOIN whole ON part.t1 = whole.t1 AND part.t2 = whole.t2
ORDER BY part.g1, part.g2;

-- name: explore_typing_fine_person
-- Per person: their own share of their intervals in the filters that the pick holds (what compare holds side
-- against side; it never leaves team/explore.py), and the persons a read over these filters covers.
-- $bin: only this bin (-1 for every one)
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
SELECT person, CAST(sum(CASE WHEN ($bin < 0 OR bin = $bin) THEN n ELSE 0 END) AS DOUBLE) / sum(n) AS value
FROM typing_fine WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
GROUP BY person
ORDER BY person;

-- name: explore_clicking_fine
-- Per group: its share of the intervals of its time group (the same keys without bin),
-- over the person-days in the filters, pooled; and how many distinct persons the group's rows are from; shown is
-- false where fewer than k. Each cell (time group x bin) of fewer than k persons is left
-- out of every sum, the time group's whole too: the shares shown never reveal what a suppressed cell holds
-- (1 minus the others).
-- $bin: only this bin (-1 for every one)
-- $by1: the first group key (week, month, weekday, day, bin), or none
-- $by2: the second group key (as $by1), or none
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
-- $k: the study's k: a group is shown only if at least this many distinct persons are in it
WITH f AS (
    SELECT person, n AS amount, ($bin < 0 OR bin = $bin) AS picked,
           CAST(bin AS VARCHAR) AS dim1, '' AS dim2,
           CASE $by1 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'bin' THEN CAST(bin AS VARCHAR)
                ELSE '' END AS g1,
           CASE $by2 WHEN 'week' THEN CAST(week AS VARCHAR)
                WHEN 'month' THEN substr(CAST(day AS VARCHAR), 1, 7)
                WHEN 'weekday' THEN CAST(weekday AS VARCHAR)
                WHEN 'day' THEN CAST(day AS VARCHAR)
                WHEN 'bin' THEN CAST(bin AS VARCHAR)
                ELSE '' END AS g2
    FROM clicking_fine WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
), d AS (
    SELECT person, amount, picked, dim1, dim2, g1, g2,
           CASE WHEN $by1 IN ('bin') THEN '' ELSE g1 END AS t1,
           CASE WHEN $by2 IN ('bin') THEN '' ELSE g2 END AS t2
    FROM f
), cell AS (
    SELECT t1, t2, dim1, dim2, count(DISTINCT person) >= $k AS ok FROM d GROUP BY t1, t2, dim1, dim2
), kept AS (
    SELECT d.person, d.amount, d.picked, d.g1, d.g2, d.t1, d.t2, cell.ok
    FROM d JOIN cell ON d.t1 = cell.t1 AND d.t2 = cell.t2 AND d.dim1 = cell.dim1 AND d.dim2 = cell.dim2
), whole AS (
    SELECT t1, t2, sum(amount) AS amount FROM kept WHERE ok GROUP BY t1, t2
), part AS (
    SELECT g1, g2, min(t1) AS t1, min(t2) AS t2, sum(CASE WHEN ok THEN amount ELSE 0 END) AS amount,
           count(DISTINCT CASE WHEN ok THEN person END) AS persons
    FROM kept WHERE picked GROUP BY g1, g2
)
SELECT part.g1, part.g2, CAST(part.amount AS DOUBLE) / whole.amount AS value, part.persons,
       part.persons >= $k AS shown
FROM part LEFT JOIN whole ON part.t1 = whole.t1 AND part.t2 = whole.t2
ORDER BY part.g1, part.g2;

-- name: explore_clicking_fine_person
-- Per person: their own share of their intervals in the filters that the pick holds (what compare holds side
-- against side; it never leaves team/explore.py), and the persons a read over these filters covers.
-- $bin: only this bin (-1 for every one)
-- $first: the first day read
-- $last: the last day read
-- $wd_lo: the first weekday read, 1 (Monday) to 7
-- $wd_hi: the last weekday read, 1 to 7
SELECT person, CAST(sum(CASE WHEN ($bin < 0 OR bin = $bin) THEN n ELSE 0 END) AS DOUBLE) / sum(n) AS value
FROM clicking_fine WHERE day BETWEEN $first AND $last AND weekday BETWEEN $wd_lo AND $wd_hi
GROUP BY person
ORDER BY person;

-- name: explore_span
-- The first and last day the study's ledger holds releases for (what the date filter offers).
SELECT min(day) AS first, max(day) AS last FROM days;

-- name: explore_category_names
-- The categories at least k distinct persons had active time in (what the category filter offers: a
-- category fewer people used is not named).
-- $k: the study's k
SELECT category FROM categories GROUP BY category HAVING count(DISTINCT person) >= $k ORDER BY category;
