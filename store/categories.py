"""Editing the rules that put apps in categories (table ``category_rules``)."""

from __future__ import annotations

import duckdb

from . import statements
from .txn import transaction


def edit_category_rules(con, add: dict | None = None, remove: str | None = None) -> list[list]:
    """Add or replace a rule ({"pattern", "category", "priority"}) or remove one
    by pattern; returns every rule, by priority. Raises ValueError naming an
    invalid regular expression or a pattern that is not there; nothing is
    changed then."""
    with transaction(con):
        if add:
            pattern = add["pattern"]
            try:
                statements.execute(con, "category_rule_check", {"pattern": pattern}).fetchall()
            except duckdb.Error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
            priority = add.get("priority")
            if priority is None:
                priority = statements.scalar(con, "category_rule_next_priority")
            statements.execute(con, "category_rule_delete", {"pattern": pattern}).fetchall()
            statements.execute(con, "category_rule_insert",
                               {"priority": int(priority), "pattern": pattern, "category": add["category"]})
        if remove is not None:
            if not statements.execute(con, "category_rule_delete", {"pattern": remove}).fetchall():
                raise ValueError(f"no category rule with the pattern {remove!r}")
        return [list(r) for r in statements.execute(con, "category_rules_all").fetchall()]
