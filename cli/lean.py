"""Keeping a command's start-up lean: what it never uses is never imported."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys


class NoPandas(importlib.abc.MetaPathFinder):
    """Keeps pandas out of the daemon and the lean commands.

    pyarrow imports pandas on first use when it is installed (Streamlit brings
    it), which costs the daemon ~55 MB of resident memory for nothing: the
    daemon never uses pandas.
    """

    def find_spec(self, name, path, target=None):
        """A spec whose loading fails: ``import pandas`` raises ImportError (pyarrow
        then does without it), while a probe that only looks for it (polars'
        ``importlib.util.find_spec``) finds something and never loads it."""
        if name == "pandas" or name.startswith("pandas."):
            return importlib.machinery.ModuleSpec(name, _Refused())
        return None


class _Refused(importlib.abc.Loader):
    def create_module(self, spec):
        raise ImportError(f"{spec.name} is not used here (kept out by NoPandas)")

    def exec_module(self, module):  # never reached: create_module refused
        raise ImportError(module.__name__)


LEAN_COMMANDS = ("run", "status", "stop", "pause", "resume", "query")


def keep_lean(argv: list[str]) -> None:
    """Before anything is imported: the lean commands never need pandas
    (imports and the demo use polars, which probes for it)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in LEAN_COMMANDS and "pandas" not in sys.modules:
        sys.meta_path.insert(0, NoPandas())
