#!/usr/bin/env bash
# Set up and run Workprint.
#   ./run.sh dashboard   set up .venv if needed, then: streamlit run dashboard/server.py (serves app.py)
#   ./run.sh team --store PATH [--state DIR] [--port N] [--address A] [--allowed-host H] [--oidc FILE]
#                        set up .venv if needed, then: workprint team serve ... (the team server, sign-in only)
#   ./run.sh test        also install the system packages the tests drive
#                        (Xvfb, xdotool, openbox, Chromium), then run every test
# Anything after the command is passed on (to streamlit, or to pytest).
set -euo pipefail
cd "$(dirname "$0")"
# This checkout's code first, whatever an editable install in the venv points at.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

SYSTEM_PACKAGES=(xvfb xdotool openbox x11-utils xterm chromium fonts-dejavu-core util-linux)
VENV=${WORKPRINT_VENV:-.venv}
TICK=${WORKPRINT_SETUP_TICK:-20}  # seconds between "still installing" lines

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "need root to run: $*" >&2; exit 1
  fi
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "$@"
}

ensure_python() {  # ensure_python REQUIREMENTS_FILE...
  if ! command -v python3 >/dev/null; then apt_install python3 python3-venv; fi
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "Workprint needs Python 3.11 or newer (found $(python3 --version))" >&2; exit 1; }
  if [ ! -x "$VENV/bin/python" ]; then
    echo "run.sh: creating $VENV"
    python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$VENV"; }
  fi
  # Install each file only when it changed since its last install (a stamp per file).
  local file stamp want
  for file in "$@" pyproject.toml; do
    stamp="$VENV/.installed-$file.sha256"
    want=$(sha256sum "$file" | cut -d' ' -f1)
    # Workprint's own metadata takes its dependencies from requirements.txt: reinstall it when they change too
    # (else pip keeps the old pins, e.g. duckdb 2.0.0, as Workprint's requirements and warns on every install).
    if [ "$file" = pyproject.toml ]; then want=$(cat pyproject.toml requirements.txt | sha256sum | cut -d' ' -f1); fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then continue; fi
    if [ "$file" = pyproject.toml ]; then
      pip_install "installing Workprint itself into $VENV (pip install -e ., a few seconds)" --no-deps -e .
    else
      pip_install "installing the Python packages pinned in $file into $VENV: this downloads and builds them \
and takes a few minutes the first time (later runs skip this step until $file changes)" -r "$file"
    fi
    echo "$want" > "$stamp"
  done
}

pip_install() {  # pip_install MESSAGE PIP_ARGS...: pip is quiet, so say what runs and that it still does
  local message=$1 started=$SECONDS status=0 ticker
  shift
  echo "run.sh: $message"
  ( while sleep "$TICK"; do echo "run.sh:   still installing ($((SECONDS - started)) s so far)..."; done ) &
  ticker=$!
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "run.sh: pip install $* failed (exit $status); its messages are above" >&2
    exit "$status"
  fi
  echo "run.sh:   done in $((SECONDS - started)) s"
}

ensure_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "run.sh: installing system packages: ${missing[*]}"
    apt_install "${missing[@]}"
  fi
}

case "${1:-}" in
  dashboard)
    shift
    ensure_python requirements.txt
    port=8501
    args=("$@")
    for i in "${!args[@]}"; do
      case "${args[$i]}" in
        --server.port) port="${args[$((i + 1))]:-$port}" ;;
        --server.port=*) port="${args[$i]#--server.port=}" ;;
      esac
    done
    # A secret per launch, as Jupyter's token: only your processes can read it,
    # and the dashboard shows nothing to a browser that did not come with it.
    if [ -z "${WORKPRINT_DASHBOARD_TOKEN:-}" ]; then
      WORKPRINT_DASHBOARD_TOKEN=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
    fi
    export WORKPRINT_DASHBOARD_TOKEN
    # The demo the dashboard shows until you capture your own data: made here,
    # once, so the first page never waits on it.
    echo "run.sh: checking the demo data (python -m capture demo --if-needed)"
    "$VENV/bin/python" -m capture demo --if-needed || echo "run.sh: no demo data (see above); the dashboard will say why" >&2
    echo "run.sh: starting the dashboard (streamlit run dashboard/server.py, which serves app.py). Open it with this link, which is your key:"
    echo "    http://127.0.0.1:$port/?token=$WORKPRINT_DASHBOARD_TOKEN"
    exec "$VENV/bin/streamlit" run dashboard/server.py "$@"
    ;;
  team)
    shift
    ensure_python requirements.txt
    echo "run.sh: checking the team store and accounts, then starting the team server (python -m capture team serve $*)"
    exec "$VENV/bin/python" -m capture team serve "$@"
    ;;
  test)
    shift
    ensure_system_packages
    # The Spark parity tests (tests/test_spark_parity.py) need a JVM; only the tests do, so only here.
    command -v java >/dev/null || { echo "run.sh: installing Java 17 for the Spark tests"; apt_install openjdk-17-jre-headless; }
    ensure_python requirements.txt requirements-dev.txt
    echo "run.sh: running every test, the layer contracts and the linter (pytest $*)"
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: ./run.sh dashboard | ./run.sh team --store PATH [options] | ./run.sh test [pytest args]" >&2
    exit 2
    ;;
esac
