"""`./run.sh dashboard` on a first run says what it is doing while pip works.

pip runs quietly and the first install takes minutes; a silent terminal for
that long looks hung. These run run.sh with a stand-in virtualenv whose pip
takes a few seconds, so nothing is installed.
"""

import os
import subprocess

from testkit import ROOT

FAKE_PYTHON = """#!/bin/sh
case "$*" in
  *"pip install"*"-r "*) sleep 2.5 ;;
esac
exit 0
"""
FAKE_STREAMLIT = """#!/bin/sh
echo "streamlit $*"
"""


def _venv(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("streamlit", FAKE_STREAMLIT)):
        (venv / "bin" / name).write_text(text)
        (venv / "bin" / name).chmod(0o755)
    return venv


def _dashboard(venv) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKPRINT_VENV": str(venv), "WORKPRINT_SETUP_TICK": "1",
           "WORKPRINT_DASHBOARD_TOKEN": "test-token"}
    return subprocess.run([str(ROOT / "run.sh"), "dashboard"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_first_set_up_says_what_it_installs_and_that_it_takes_minutes(tmp_path):
    """The first run names each step, warns that the packages take a few
    minutes, keeps saying it is still at it, and says when each is done."""
    result = _dashboard(_venv(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    packages = next(i for i, line in enumerate(lines) if "installing the Python packages pinned in requirements.txt" in line)
    assert "takes a few minutes the first time" in lines[packages]
    assert lines[packages + 1].startswith("run.sh:   still installing (")
    assert any(line.startswith("run.sh:   done in ") for line in lines[packages + 1:])
    assert any("installing Workprint itself" in line for line in lines)
    assert lines[-1] == "streamlit run dashboard/server.py"


def test_a_later_run_skips_the_installs_and_says_nothing_about_them(tmp_path):
    venv = _venv(tmp_path)
    _dashboard(venv)
    again = _dashboard(venv)
    assert again.returncode == 0, again.stderr
    assert "installing" not in again.stdout
