#!/usr/bin/env bash
# Set up bench/.aw-venv: a venv of its own (never the project's .venv) holding
# ActivityWatch's Python server, aw-server 0.12.0 from PyPI (the only 0.12 release),
# for bench/aw_server_bench.py. Idempotent: skips the install when the venv already
# has the pinned versions. Prints the venv's python on stdout at the end.
#
#   bash bench/aw_env.sh            # -> /work/main/bench/.aw-venv/bin/python
#   AW_BASE_PYTHON=python3.11 bash bench/aw_env.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.aw-venv"

# aw-server 0.12.0 only says flask>=2.2,<3 and werkzeug>=2.3.3,<3; left alone pip
# picks combinations that do not start, so everything that matters is pinned.
PINS=(
  aw-server==0.12.0 aw-core==0.5.18 aw-client==0.5.15
  peewee==3.19.0 Flask==2.2.5 Werkzeug==2.3.8 flask-restx==1.3.2 flask-cors==6.0.5
)

# shellcheck source=bench/peer_venv.sh
. "$HERE/peer_venv.sh"
peer_venv aw-env "$VENV" "${AW_BASE_PYTHON:-}" "aw_server, aw_datastore, aw_query" "${PINS[@]}"
