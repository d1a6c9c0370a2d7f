"""Peak memory and speed of the keystroke import as the study grows.

    .venv/bin/python bench/import_memory.py [--copies 1 2 4] [--out bench/out/import-memory]

Builds archives of 1, 2, 4 ... copies of the shared 389-participant sample of
the 136M-keystroke study (each copy's participants renumbered, so every copy
is new data), imports each with ``python -m capture import keystrokes`` in a
fresh process, and prints its wall time, rate and peak resident memory. The
baseline, measured in the same run, is the floor: a process that only loads
the same libraries (Python, DuckDB, polars, pyarrow). The figure to watch is
the growth above the floor per million events: the import reads one file at
a time, so the events' own bytes are never all in memory at once.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "keystrokes" / "aalto136m-every6th.tar.gz"


def _members() -> list[tuple[str, bytes]]:
    with tarfile.open(SAMPLE) as archive:
        return [(m.name, archive.extractfile(m).read()) for m in archive
                if m.isfile() and m.name.endswith("_keystrokes.txt")]


def _renumbered(data: bytes, offset: int) -> bytes:
    lines = data.decode("latin-1").split("\n")
    column = lines[0].split("\t").index("PARTICIPANT_ID")
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) > column and fields[column].strip().isdigit():
            fields[column] = str(int(fields[column]) + offset)
        out.append("\t".join(fields))
    return "\n".join(out).encode("latin-1")


def build(path: Path, copies: int, members) -> int:
    """An archive of ``copies`` renumbered copies; returns its unpacked size."""
    unpacked = 0
    with tarfile.open(path, "w:gz") as archive:
        for copy in range(copies):
            for name, data in members:
                body = data if copy == 0 else _renumbered(data, 1_000_000 * copy)
                info = tarfile.TarInfo(name.replace("_keystrokes", f"_{copy}_keystrokes"))
                info.size = len(body)
                archive.addfile(info, io.BytesIO(body))
                unpacked += len(body)
    return unpacked


def peak(argv: list[str]) -> tuple[float, float, str]:
    """(seconds, peak resident MB, last line of output) of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{out}")
    lines = out.strip().splitlines()
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, lines[0] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "import-memory")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    members = _members()

    _, floor, _ = peak([sys.executable, "-c", "import duckdb, polars, pyarrow, store, importers.keystrokes"])
    print(f"floor (the libraries loaded, nothing read): {floor:,.0f} MB")
    for copies in args.copies:
        archive = args.out / f"x{copies}.tar.gz"
        unpacked = build(archive, copies, members)
        db = args.out / f"x{copies}.duckdb"
        for p in (db, db.with_name(db.name + ".wal")):
            p.unlink(missing_ok=True)
        seconds, mb, line = peak([sys.executable, "-m", "capture", "import", "keystrokes", str(archive),
                                  "--format", "aalto136m", "--skip-bad-rows", "--db", str(db)])
        events = int(line.split("release) ")[1].split(";")[0].replace(",", ""))
        print(f"{copies} cop{'y' if copies == 1 else 'ies'}: {events:,} events, {archive.stat().st_size / 1e6:.1f} MB "
              f"archive ({unpacked / 1e6:.0f} MB unpacked): {seconds:.1f} s, {events / seconds:,.0f} events/s; "
              f"peak {mb:,.0f} MB, {mb - floor:,.0f} MB above the floor "
              f"({(mb - floor) / (events / 1e6):,.0f} MB per million events; unpacked text "
              f"{unpacked / 1e6 / (events / 1e6):,.0f} MB per million)")


if __name__ == "__main__":
    main()
