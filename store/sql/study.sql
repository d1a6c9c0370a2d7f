-- Studies, the worker's side: the studies joined and every study release sent.
-- Run by name from store/study.py.

-- name: study_membership_current
-- The join of one study that stands now (the newest not left); no row if none.
-- $study: the study's id
SELECT joined, study, store, definition, worker_id, pseudonym, secret, text_version, left_at
FROM study_membership WHERE study = $study AND left_at IS NULL ORDER BY joined DESC LIMIT 1;

-- name: study_membership_last
-- The newest join of one study, left or not; no row if it was never joined.
-- $study: the study's id
SELECT joined, study, store, definition, worker_id, pseudonym, secret, text_version, left_at
FROM study_membership WHERE study = $study ORDER BY joined DESC LIMIT 1;

-- name: study_memberships
-- The newest join of every study ever joined, left or not, by study id.
SELECT joined, study, store, definition, worker_id, pseudonym, secret, text_version, left_at
FROM study_membership QUALIFY row_number() OVER (PARTITION BY study ORDER BY joined DESC) = 1
ORDER BY study;

-- name: study_membership_add
-- Note a join of one study.
-- $study: the study's id
-- $store: where the team store holding it is
-- $definition: the study's definition as consented to (sharing.studies.to_json)
-- $worker_id: the id the pseudonym is made from
-- $pseudonym: the study pseudonym (sharing.pseudonym.scoped with the study's scope)
-- $secret: the organisation's pseudonym secret
-- $text_version: the study consent text accepted
INSERT INTO study_membership
VALUES (now(), $study, $store, $definition, $worker_id, $pseudonym, $secret, $text_version, NULL);

-- name: study_membership_leave
-- Leave one study: the time noted, the secret cleared.
-- $study: the study's id
UPDATE study_membership SET left_at = now(), secret = NULL WHERE study = $study AND left_at IS NULL;

-- name: study_release_record
-- Keep what was sent for one study release key (replacing what an earlier send of the same day noted).
-- $study: the study's id
-- $day: the local day
-- $key: the key in the team store
-- $sha256: the file's hash
-- $bytes: its size
-- $content: the row, as JSON
-- $pseudonym: the study pseudonym it was released under
-- $store: the team store
INSERT OR REPLACE INTO study_releases
VALUES ($study, $day, $key, $sha256, $bytes, now(), $content, $pseudonym, $store, NULL);

-- name: study_release_find
-- The record of one study release key: its hash, content and removal; no row if it was never sent.
-- $store: the team store
-- $key: the key in the team store
SELECT sha256, content, removed FROM study_releases WHERE store = $store AND key = $key;

-- name: study_release_removed
-- Note that a study release file was removed from the store (on leaving the study).
-- $store: the team store
-- $key: the key in the team store
UPDATE study_releases SET removed = now() WHERE store = $store AND key = $key AND removed IS NULL;

-- name: study_releases_of
-- Every release sent to one study, newest day first.
-- $study: the study's id
SELECT study, day, key, sha256, bytes, sent, content, pseudonym, store, removed
FROM study_releases WHERE study = $study ORDER BY day DESC, sent DESC;

-- name: export_study_membership
-- The study memberships as an export holds them: every row, the organisation's
-- pseudonym secret left out (null), as export_team_membership does.
SELECT * REPLACE (NULL::VARCHAR AS secret) FROM study_membership;
