"""Platform backends behind one interface, chosen at run time and imported lazily.

A backend is a module in this package with a ``Backend`` class::

    class Backend:
        name: str
        def __init__(self, options: dict) -> None: ...
        def start(self, recorder) -> None:   # begin calling recorder.key/button/...
        def stop(self) -> None:              # stop listening; idempotent
        def failure(self) -> str | None:     # why it stopped working, if it did

``WORKPRINT_BACKEND`` overrides the choice (``x11``, ``replay``); otherwise it
follows the platform. macOS, Windows and Wayland are each one more module here.
"""

from __future__ import annotations

import importlib
import os
import sys

KNOWN = ("x11", "replay")


class BackendUnavailable(RuntimeError):
    """No backend can capture on this machine; the message says why and what to do."""


def default_name() -> str:
    if sys.platform.startswith("linux"):
        if os.environ.get("DISPLAY"):
            return "x11"
        if os.environ.get("WAYLAND_DISPLAY"):
            raise BackendUnavailable(
                "Wayland sessions are not supported yet; log in to an X11 session "
                "(or run under XWayland with DISPLAY set)"
            )
        raise BackendUnavailable("no display found: is DISPLAY set? Capture needs a running X11 session")
    raise BackendUnavailable(f"capture on {sys.platform} is not supported yet (Linux with X11 is)")


def load(name: str | None = None, options: dict | None = None):
    """Instantiate the named backend (else $WORKPRINT_BACKEND, else the platform's)."""
    name = name or os.environ.get("WORKPRINT_BACKEND") or default_name()
    if name not in KNOWN:
        raise BackendUnavailable(f"unknown capture backend {name!r}; choose one of {', '.join(KNOWN)}")
    module = importlib.import_module(f"{__name__}.{name}")
    return module.Backend(options or {})
