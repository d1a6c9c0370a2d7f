-- Team mode, the worker's side: the teams joined and every release sent.
-- Run by name from store/team.py.

-- name: team_membership_current
-- The team this worker is in now (the newest join not left); no row if none.
SELECT joined, team, store, worker_id, pseudonym, secret, text_version, left_at
FROM team_membership WHERE left_at IS NULL ORDER BY joined DESC LIMIT 1;

-- name: team_membership_last
-- The newest join, left or not; no row if this worker never joined a team.
SELECT joined, team, store, worker_id, pseudonym, secret, text_version, left_at
FROM team_membership ORDER BY joined DESC LIMIT 1;

-- name: team_membership_add
-- Note a join.
-- $team: the team's name
-- $store: where the team store is
-- $worker_id: the id the pseudonym is made from
-- $pseudonym: HMAC-SHA256 of the id with the secret
-- $secret: the organisation's pseudonym secret
-- $text_version: the team consent text accepted
INSERT INTO team_membership VALUES (now(), $team, $store, $worker_id, $pseudonym, $secret, $text_version, NULL);

-- name: team_membership_leave
-- Leave every team joined: the time noted, the secret cleared.
UPDATE team_membership SET left_at = now(), secret = NULL WHERE left_at IS NULL;

-- name: team_release_record
-- Keep what was sent for one release key (replacing what an earlier send of the same day noted).
-- $team: the team
-- $day: the local day
-- $key: the key in the team store
-- $sha256: the file's hash
-- $bytes: its size
-- $content: the row, as JSON
-- $pseudonym: the pseudonym it was released under
-- $store: the team store
INSERT OR REPLACE INTO team_releases VALUES ($team, $day, $key, $sha256, $bytes, now(), $content, $pseudonym, $store, NULL);

-- name: team_release_find
-- The record of one release key: its hash and content; no row if it was never sent.
-- $store: the team store
-- $key: the key in the team store
SELECT sha256, content, removed FROM team_releases WHERE store = $store AND key = $key;

-- name: team_release_removed
-- Note that a released file was removed from the team store at the worker's request.
-- $store: the team store
-- $key: the key in the team store
UPDATE team_releases SET removed = now() WHERE store = $store AND key = $key AND removed IS NULL;

-- name: team_releases_all
-- Every release sent, newest day first.
SELECT team, day, key, sha256, bytes, sent, content, pseudonym, store, removed
FROM team_releases ORDER BY day DESC, sent DESC;
