"""``python -m capture ...`` is the ``workprint`` command (see cli)."""

import sys

try:
    from cli import main
except KeyboardInterrupt:  # Ctrl-C while starting: nothing was done yet
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
