-- A study release's figures beyond a team's, for one worker and local day,
-- from the worker's own tables. Run by sharing/study_release.py; the team
-- measures come from sharing/release.sql.

-- name: study_transitions
-- How many times the worker went from a focus span of one category to the
-- next focus span, of another category, among the focus spans that overlap
-- [$start, $end), per (src, dst) pair. A span across midnight belongs to both
-- days, so a switch is counted on the day its later span starts in, once.
-- Categories are category_of's; the caller maps those the consent text does
-- not name to 'Other' (and drops the pairs that then fall within one).
-- $worker: whose figures
-- $start: the local day's start, UTC
-- $end: its end, UTC
WITH f AS (
    SELECT category_of(s.app) AS category, s.start, s.stop, s.app
    FROM spans s
    WHERE s.kind = 'focus' AND s.app IS NOT NULL AND s.stop > $start::TIMESTAMPTZ AND s.start < $end::TIMESTAMPTZ
      AND s.worker = $worker
),
pairs AS (
    SELECT lag(category) OVER (ORDER BY start, stop, app) AS src, category AS dst FROM f
)
SELECT src, dst, count(*)::BIGINT AS n FROM pairs
WHERE src IS NOT NULL AND src <> dst
GROUP BY src, dst ORDER BY src, dst;
