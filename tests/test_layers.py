"""The house rules, checked on every test run: data flows one way (the
import-linter contracts in pyproject.toml) and the code is lint-clean (ruff).

A lower layer importing a higher one (the store reaching for the query layer,
a page opening the database for writing) is how the layers rot; these fail
the run the day it happens, naming the import.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from testkit import ROOT


def _tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else shutil.which(name) or name


def test_layers_are_kept():
    result = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_ruff_finds_nothing():
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
