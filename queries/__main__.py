"""``python -m queries ...`` is ``workprint query ...`` (see cli)."""

import sys

from cli import queries_main

if __name__ == "__main__":
    sys.exit(queries_main())
