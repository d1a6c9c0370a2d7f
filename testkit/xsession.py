"""A real X server (Xvfb) with a window manager (openbox), for capture tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


class XSession:
    """A real X server (Xvfb) with a window manager (openbox)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.display: str | None = None

    def start(self) -> "XSession":
        for tool in ("Xvfb", "openbox", "xdotool", "xterm"):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} is not installed: run ./run.sh test, which installs it")
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as fh:
            number = fh.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.procs.append(xvfb)
        self.display = f":{number}"
        self.env = {**os.environ, "DISPLAY": self.display}
        self.procs.append(subprocess.Popen(["openbox"], env=self.env, stderr=subprocess.DEVNULL))
        self.wait_for(lambda: "_NET_ACTIVE_WINDOW" in self.run("xprop", "-root", "_NET_SUPPORTED"), "openbox")
        return self

    def run(self, *cmd: str, timeout: float = 60) -> str:
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout, check=True).stdout

    def window(self, wm_class: str, title: str | None = None) -> str:
        """Open an xterm whose WM_CLASS class is ``wm_class`` (and title ``title``,
        else the class); return its window id."""
        proc = subprocess.Popen(
            ["xterm", "-class", wm_class, "-title", title or wm_class, "-e", "cat > /dev/null"],
            env=self.env,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        found: list[str] = []

        def appeared():
            result = subprocess.run(
                ["xdotool", "search", "--class", wm_class], env=self.env, capture_output=True, text=True
            )
            found[:] = result.stdout.split()
            return bool(found)

        self.wait_for(appeared, f"window {wm_class}")
        return found[0]

    @staticmethod
    def wait_for(predicate, what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.procs.clear()
