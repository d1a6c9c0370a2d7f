-- The access log (store/accesslog.py): one row per read of the worker's data
-- by anyone or anything but the worker. Rows are only ever appended.

-- name: access_log_tail
-- The last entry's number and hash; no row while the log is empty.
SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1;

-- name: access_log_append
-- Append one entry (its hash computed by store.accesslog over these values).
-- $seq: the entry's number, 1 for the first
-- $ts: when, UTC, microseconds
-- $who: who or what read
-- $what: the query or release name
-- $params: its parameters, as canonical JSON
-- $why: the reason given
-- $prev: the previous entry's hash (64 zeros for the first)
-- $hash: this entry's hash
INSERT INTO access_log VALUES ($seq, $ts, $who, $what, $params, $why, $prev, $hash);

-- name: access_log_entries
-- Every entry in the order of its number, with its time as microseconds
-- since 1970 (what the hash is computed over).
SELECT seq, epoch_us(ts) AS ts_us, who, what, params, why, prev_hash, hash
FROM access_log ORDER BY seq;
