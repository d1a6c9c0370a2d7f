-- The team server's own database (team/accounts.py): accounts, sessions and failed sign-ins.

-- name: create_accounts
-- Accounts: a role and what it covers (teams for a manager, studies for a researcher), an argon2 hash
-- (never the password), and an optional OIDC identity (email and/or subject) for single sign-on.
CREATE TABLE IF NOT EXISTS accounts (
    name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL,
    scopes VARCHAR[] NOT NULL,
    password_hash VARCHAR,
    oidc_email VARCHAR,
    oidc_subject VARCHAR,
    created TIMESTAMPTZ NOT NULL,
    changed TIMESTAMPTZ NOT NULL
);

-- name: create_sessions
-- Signed-in sessions: only the SHA-256 of the token is kept, so a copy of this file signs no one in.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash VARCHAR PRIMARY KEY,
    account VARCHAR NOT NULL,
    via VARCHAR NOT NULL,
    created TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL
);

-- name: create_failures
-- Failed sign-ins by key ('account:NAME' or 'address:IP'), and the lockout each key is under.
CREATE TABLE IF NOT EXISTS failures (key VARCHAR NOT NULL, at_time TIMESTAMPTZ NOT NULL);

-- name: create_lockouts
-- One row per locked key: until when, and how many lockouts in a row (each one twice as long).
CREATE TABLE IF NOT EXISTS lockouts (key VARCHAR PRIMARY KEY, until TIMESTAMPTZ NOT NULL, strikes INTEGER NOT NULL);

-- name: create_oidc_used
-- ID tokens already turned into a session: a token (its issuer's nonce, or subject and issue time) opens one.
CREATE TABLE IF NOT EXISTS oidc_used (token_key VARCHAR PRIMARY KEY, at_time TIMESTAMPTZ NOT NULL);

-- name: insert_account
-- A new account (fails on a name already taken).
-- $name: account name
-- $role: admin, manager or researcher
-- $scopes: the teams (manager) or studies (researcher) it covers
-- $password_hash: argon2 hash, or null for an SSO-only account
-- $now: when
INSERT INTO accounts VALUES ($name, $role, $scopes, $password_hash, NULL, NULL, $now, $now);

-- name: get_account
-- One account by name.
-- $name: account name
SELECT name, role, scopes, password_hash, oidc_email, oidc_subject, created, changed FROM accounts WHERE name = $name;

-- name: list_accounts
-- Every account, by name (no hashes).
SELECT name, role, scopes, password_hash IS NOT NULL AS has_password, oidc_email, oidc_subject, created, changed
FROM accounts ORDER BY name;

-- name: count_accounts
-- How many accounts there are.
SELECT count(*) FROM accounts;

-- name: delete_account
-- Remove an account.
-- $name: account name
DELETE FROM accounts WHERE name = $name;

-- name: set_role
-- Change an account's role and scopes.
-- $name: account name
-- $role: the new role
-- $scopes: the new teams or studies
-- $now: when
UPDATE accounts SET role = $role, scopes = $scopes, changed = $now WHERE name = $name;

-- name: set_password_hash
-- A new hash (a new password, or the same one rehashed with today's parameters).
-- $name: account name
-- $password_hash: argon2 hash
-- $now: when
UPDATE accounts SET password_hash = $password_hash, changed = $now WHERE name = $name;

-- name: set_oidc
-- Bind an account to an OIDC identity.
-- $name: account name
-- $email: the identity's email, or null
-- $subject: the identity's subject (sub claim), or null
-- $now: when
UPDATE accounts SET oidc_email = $email, oidc_subject = $subject, changed = $now WHERE name = $name;

-- name: find_oidc
-- The account bound to an identity: by subject first, else by email.
-- $email: the identity's email, or null
-- $subject: the identity's subject, or null
SELECT name FROM accounts
WHERE (oidc_subject IS NOT NULL AND oidc_subject = $subject) OR (oidc_email IS NOT NULL AND lower(oidc_email) = lower($email))
ORDER BY (oidc_subject = $subject) DESC NULLS LAST, name LIMIT 1;

-- name: insert_session
-- A new session.
-- $token_hash: SHA-256 of the token
-- $account: account name
-- $via: password or oidc
-- $now: when
INSERT INTO sessions VALUES ($token_hash, $account, $via, $now, $now);

-- name: get_session
-- A session with its account.
-- $token_hash: SHA-256 of the token
SELECT s.account, s.via, s.created, s.last_seen FROM sessions s JOIN accounts a ON a.name = s.account
WHERE s.token_hash = $token_hash;

-- name: touch_session
-- The session was used now (idle expiry counts from here).
-- $token_hash: SHA-256 of the token
-- $now: when
UPDATE sessions SET last_seen = $now WHERE token_hash = $token_hash;

-- name: delete_session
-- End one session.
-- $token_hash: SHA-256 of the token
DELETE FROM sessions WHERE token_hash = $token_hash;

-- name: delete_sessions_of
-- End every session of an account.
-- $account: account name
DELETE FROM sessions WHERE account = $account;

-- name: count_sessions_of
-- How many sessions an account has open.
-- $account: account name
SELECT count(*) FROM sessions WHERE account = $account;

-- name: get_lockout
-- The lockout on a key, if any.
-- $key: 'account:NAME' or 'address:IP'
SELECT until, strikes FROM lockouts WHERE key = $key;

-- name: insert_failure
-- One failed sign-in.
-- $key: 'account:NAME' or 'address:IP'
-- $now: when
INSERT INTO failures VALUES ($key, $now);

-- name: count_failures
-- Failed sign-ins on a key since a time.
-- $key: 'account:NAME' or 'address:IP'
-- $since: the start of the window
SELECT count(*) FROM failures WHERE key = $key AND at_time >= $since;

-- name: set_lockout
-- Lock a key until a time.
-- $key: 'account:NAME' or 'address:IP'
-- $until: when it may try again
-- $strikes: lockouts in a row
INSERT OR REPLACE INTO lockouts VALUES ($key, $until, $strikes);

-- name: clear_failures
-- A successful sign-in forgets the key's failures and lockouts.
-- $key: 'account:NAME'
DELETE FROM failures WHERE key = $key;

-- name: clear_lockout
-- A successful sign-in ends the key's run of lockouts.
-- $key: 'account:NAME'
DELETE FROM lockouts WHERE key = $key;

-- name: forget_old_failures
-- Failures older than the window count for nothing.
-- $since: the start of the window
DELETE FROM failures WHERE at_time < $since;

-- name: mark_oidc_used
-- An ID token opened a session (fails if it already did).
-- $token_key: the token's nonce, or subject and issue time
-- $now: when
INSERT INTO oidc_used VALUES ($token_key, $now);
