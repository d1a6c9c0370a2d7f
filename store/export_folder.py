"""Where an export may go, and writing it there whole or not at all.

Exports go only under the allowed folder (store.paths.export_dir:
``~/Workprint exports`` or ``$WORKPRINT_EXPORT_DIR``). A name is taken
relative to it; any path that ends up outside it, by ``..``, by being
absolute elsewhere, or through a symbolic link, is refused before anything
is read or written.

An export is written under a hidden temporary name beside its final one
(``.NAME.partial-PID``) and renamed into place only when complete, so a
failed or interrupted export never leaves a file under the name asked for.
What it writes is its owner's alone (files 0600, folders 0700), whatever the
umask.
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

from . import paths as store_paths

_PARTIAL = re.compile(r"^\..+\.partial-(\d+)$")


class ExportError(RuntimeError):
    """The export could not be made; the message names the path and why."""


def _within(path: Path, folder: Path) -> bool:
    return path != folder and folder in path.parents


def target(name: str | os.PathLike | None, default: str) -> Path:
    """The final path of an export called ``name`` (``default`` when None),
    under the allowed folder, with its parent folders made (0700).

    Raises ExportError when the path is outside the allowed folder (naming
    both), already exists, or cannot be written.
    """
    allowed = store_paths.export_dir()
    asked = Path(name) if name else Path(default)
    if not str(asked).strip():
        raise ExportError(f"an export needs a name (it goes under {allowed})")
    candidate = asked if asked.is_absolute() else allowed / asked
    try:
        store_paths.private_folder(allowed)
        root = allowed.resolve(strict=True)
    except OSError as exc:
        raise ExportError(f"cannot make the export folder {allowed}: {exc.strerror or exc}") from None
    try:
        resolved = candidate.resolve()  # follows every link that exists, so a link out ends outside
        if not _within(resolved, root):
            raise ExportError(f"{asked} is outside the export folder: exports go only under {root} "
                              f"({asked} is {resolved}); give a name inside it")
        if resolved.exists() or resolved.is_symlink():
            raise ExportError(f"{resolved} already exists: give another name (an export never overwrites)")
        store_paths.private_folder(resolved.parent)
    except OSError as exc:
        raise ExportError(f"cannot write the export to {candidate.parent}: {exc.strerror or exc}") from None
    if not _within(resolved.parent.resolve() / resolved.name, root):  # a folder swapped for a link meanwhile
        raise ExportError(f"{asked} is outside the export folder {root}")
    return resolved


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: Path) -> None:
    """Remove what an export killed midway left (its process is gone)."""
    try:
        found = list(folder.iterdir())
    except OSError:
        return
    for leftover in found:
        match = _PARTIAL.match(leftover.name)
        if match and not _alive(int(match.group(1))):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


def _close_up(top: Path) -> None:
    """Owner-only, whatever made the files (DuckDB writes under the umask)."""
    top.chmod(0o700 if top.is_dir() else 0o600)
    if top.is_dir():
        for path in top.rglob("*"):
            if not path.is_symlink():
                path.chmod(0o700 if path.is_dir() else 0o600)


@contextmanager
def staged(final: Path, folder: bool):
    """``with staged(final, folder) as temp:`` write the export to ``temp`` (a
    new 0700 folder, or a path for one file), renamed to ``final`` when the
    block ends well and removed when it does not. ExportError for a place
    that cannot be written."""
    temp = final.with_name(f".{final.name}.partial-{os.getpid()}")
    remove_stale(final.parent)
    try:
        if folder:
            os.mkdir(temp, 0o700)
        else:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except OSError as exc:
        raise ExportError(f"cannot write the export to {final.parent}: {exc.strerror or exc}") from None
    try:
        yield temp
        _close_up(temp)
        if final.exists() or final.is_symlink():
            raise ExportError(f"{final} appeared while the export was written: it is left as it was")
        os.rename(temp, final)
    except BaseException:
        if temp.is_dir() and not temp.is_symlink():
            shutil.rmtree(temp, ignore_errors=True)
        else:
            temp.unlink(missing_ok=True)
        raise
