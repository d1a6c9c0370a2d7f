"""Named SQL: ``.sql`` files split into named, documented statements.

A line ``-- name: some_query`` starts a statement; the comment lines right
under it are its documentation; parameters are named ``$like_this``. A
documentation line ``-- $param: what it is (default: VALUE)`` documents a
parameter and makes it optional (VALUE is ``null``, ``true``, ``false``, a
number, or text). Every parameter must be documented.

This module imports nothing of the project, so every layer can use it: the
store for its own statements (``store/sql``), the query layer for the named
queries readers run (``queries/*.sql``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$")
_PARAM = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*)")
_PARAM_DOC = re.compile(r"^\$(\w+):\s*(.*?)\s*(?:\(default:\s*(.*?)\))?\s*$")


@dataclass(frozen=True)
class Statement:
    name: str
    doc: str
    sql: str
    params: tuple[str, ...]
    file: str
    param_docs: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)

    def bind(self, params: dict) -> dict:
        """The full parameters (defaults filled in).

        Raises ValueError naming missing or unknown parameters.
        """
        extra = sorted(set(params) - set(self.params))
        if extra:
            raise ValueError(f"query {self.name!r} takes no parameter(s): {', '.join(extra)}")
        bound = {**self.defaults, **params}
        missing = [p for p in self.params if p not in bound]
        if missing:
            raise ValueError(f"query {self.name!r} needs parameter(s): {', '.join(missing)}")
        return bound


def _literal(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("null", "none"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*", text):
        return float(text)
    return text  # including '-infinity', which DuckDB casts to a timestamp


def _statement(path: Path, name: str, doc: list[str], body: list[str]) -> Statement:
    sql = "\n".join(body).strip()
    params = tuple(dict.fromkeys(_PARAM.findall(sql)))
    text, param_docs, defaults = [], {}, {}
    for line in doc:
        match = _PARAM_DOC.match(line)
        if match:
            param_docs[match.group(1)] = match.group(2)
            if match.group(3) is not None:
                defaults[match.group(1)] = _literal(match.group(3))
        else:
            text.append(line)
    undocumented = set(params) - set(param_docs)
    if undocumented:
        raise ValueError(f"{path.name}: query {name!r} does not document ${', $'.join(sorted(undocumented))}")
    return Statement(name, " ".join(text).strip(), sql, params, path.name, param_docs, defaults)


def parse(path: Path) -> list[Statement]:
    """The named statements of one ``.sql`` file, in file order."""
    found: list[Statement] = []
    name, doc, body = None, [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _NAME.match(line)
        if match:
            if name is not None:
                found.append(_statement(path, name, doc, body))
            name, doc, body = match.group(1), [], []
        elif name is not None and not body and line.startswith("--"):
            doc.append(line.lstrip("-").strip())
        elif name is not None:
            body.append(line)
    if name is not None:
        found.append(_statement(path, name, doc, body))
    return found


def load(folder: Path) -> dict[str, Statement]:
    """Every named statement in ``folder/*.sql``, by name.

    Raises ValueError when a name is defined twice or a parameter is not
    documented.
    """
    found: dict[str, Statement] = {}
    for path in sorted(folder.glob("*.sql")):
        for statement in parse(path):
            if statement.name in found:
                raise ValueError(
                    f"query {statement.name!r} is defined twice ({found[statement.name].file} and {path.name})"
                )
            found[statement.name] = statement
    return found
