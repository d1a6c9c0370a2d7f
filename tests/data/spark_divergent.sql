-- Statements sqlglot 30.31 translates to Spark without an error but with other results: the parity
-- comparison must tell each apart (tests/test_spark_parity.py). Never used outside that test.

-- name: divergent_isodow
-- The ISO weekday: sqlglot writes (DAYOFWEEK(day) % 7) + 1, which is 2 for a Sunday and 3 for a Monday.
SELECT DISTINCT day, isodow(day) AS weekday FROM days;

-- name: divergent_array_agg_order
-- Each person's categories by time spent: Spark's collect_list drops the ORDER BY.
SELECT person, array_agg(category ORDER BY seconds DESC, category) AS ranked FROM categories GROUP BY person;

-- name: divergent_regexp_case
-- Rows of the category 'Code' found case-insensitively: the 'i' flag is dropped on Spark.
SELECT count(*) AS n FROM categories WHERE regexp_matches(category, '^code$', 'i');
