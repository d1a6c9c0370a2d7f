"""What leaves a worker's machine for a team, and the shared team store it goes to.

Raw events never leave the machine. What leaves is a daily *release*: one
worker-day of aggregates (:mod:`sharing.release_format`), keyed by a
pseudonym (:mod:`sharing.pseudonym`), written into the team store
(:mod:`sharing.teamstore`). Reads by the team server are logged in the same
store, per pseudonym, where the worker's own dashboard pulls and checks them
(:mod:`sharing.teamlog`).

This package sits between the worker's side (capture, its controller) and the
team server (team/): both use the same formats from here, and it imports only
the store below it.
"""
