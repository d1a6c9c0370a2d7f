"""What the tests and the benchmarks share: running Workprint's command line
and daemon (processes), a real X session (xsession), and the dashboard in a
real browser (browser). Nothing of the product imports it.
"""

from .processes import ROOT, SHARED_DATA, DaemonProcess, MovableClock, cli, connect, copy_db, rows, shared, stop_group
from .xsession import XSession

__all__ = ["ROOT", "SHARED_DATA", "DaemonProcess", "MovableClock", "XSession", "cli", "connect", "copy_db", "rows", "shared",
           "stop_group"]
