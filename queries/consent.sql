-- Consent. Reads consent_log (through the consent_latest macro, as the daemon does).

-- name: consent_state
-- The worker's latest consent action ('accept' or 'withdraw'), when it was
-- taken, and the version of the consent text; no row if consent was never
-- given or withdrawn. Capture runs only while the latest action is 'accept'.
-- $worker: whose consent, or null for your own capture's ('local') (default: null)
SELECT action, ts, text_version FROM consent_latest(coalesce($worker, 'local'));
