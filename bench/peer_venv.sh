# Sourced by bench/aw_env.sh and bench/pm4py_env.sh: a peer's throwaway venv.
#
#   peer_venv NAME VENV BASE_PYTHON IMPORTS PIN...
#
# Makes VENV (never the project's .venv) from BASE_PYTHON (empty: the first of
# python3.11, pyenv's 3.11.7, python3), installs the pinned PINs, checks them and
# that `import IMPORTS` works. Idempotent: skips the install when the venv already
# has the pinned versions. Prints the venv's python on stdout at the end; says
# what it does on stderr, prefixed with NAME.
peer_venv() {
  local name="$1" venv="$2" base="$3" imports="$4"
  shift 4
  if [ -z "$base" ]; then
    for c in python3.11 /root/.pyenv/versions/3.11.7/bin/python python3; do
      if command -v "$c" >/dev/null 2>&1; then base="$c"; break; fi
    done
  fi
  local check='
import importlib.metadata as m, sys
want = dict(p.split("==") for p in sys.argv[1:])
have = {k: m.version(k) for k in want}
sys.exit(0 if all(have[k] == v for k, v in want.items()) else 1)
'
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" "$@" 2>/dev/null; then
    echo "$name: $venv already set up" >&2
  else
    echo "$name: creating $venv with $base" >&2
    "$base" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    "$venv/bin/python" -c "$check" "$@"
    "$venv/bin/python" -c "import $imports" >/dev/null  # imports cleanly (pm4py prints a banner)
  fi
  echo "$venv/bin/python"
}
