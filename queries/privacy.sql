-- Consent, for the Privacy & data page. Reads consent_log.

-- name: consent_state
-- The worker's latest consent action ('accept' or 'withdraw'), when it was
-- taken, and the version of the consent text; no row if consent was never
-- given or withdrawn. Capture runs only while the latest action is 'accept'.
-- $worker: whose consent, or null for your own capture's ('local') (default: null)
SELECT action, ts, text_version
FROM consent_log
WHERE worker = coalesce($worker, 'local')
ORDER BY ts DESC, rowid DESC
LIMIT 1;
