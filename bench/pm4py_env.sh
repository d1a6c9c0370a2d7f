#!/usr/bin/env bash
# Set up bench/.pm4py-venv: a venv of its own (never the project's .venv) holding
# pm4py 2.7.23.11 from PyPI, for bench/pm4py_compare.py. pm4py is AGPL: it is never a
# dependency of Workprint, only of this throwaway venv, which the benchmark runs in a
# child process. Idempotent: skips the install when the venv already has the pinned
# versions. Prints the venv's python on stdout at the end.
#
#   bash bench/pm4py_env.sh            # -> /work/main/bench/.pm4py-venv/bin/python
#   PM4PY_BASE_PYTHON=python3.11 bash bench/pm4py_env.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.pm4py-venv"

# pm4py 2.7.23.11 is the newest on PyPI (when written). Its requirements are unpinned
# (pandas, numpy, scipy, ...); its own tested set, the [stable] extra, needs Python 3.12
# for numpy 2.5, scipy 1.18 and networkx 3.7. So on 3.11: [stable]'s pins where they
# install (pandas 3.0.6, which reads the CSV and parses the times, dateutil, pytz, lxml),
# else the newest release for 3.11 (numpy 2.4.6, scipy 1.17.1, networkx 3.6.1).
PINS=(
  pm4py==2.7.23.11 pandas==3.0.6 numpy==2.4.6 python-dateutil==2.9.0.post0 pytz==2026.5
  scipy==1.17.1 networkx==3.6.1 lxml==6.1.3
)

# shellcheck source=bench/peer_venv.sh
. "$HERE/peer_venv.sh"
peer_venv pm4py-env "$VENV" "${PM4PY_BASE_PYTHON:-}" "pm4py, pandas" "${PINS[@]}"
