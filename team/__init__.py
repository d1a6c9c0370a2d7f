"""The team server: accounts and sign-in, and the team query layer, which
reads consented releases from the team store and serves only aggregates over
at least k people, with differential-privacy noise drawn once and kept."""
