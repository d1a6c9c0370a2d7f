"""python -m capture demo: a realistic multi-worker history, for the dashboard demo."""

from __future__ import annotations


def add_parser(sub, common) -> None:
    """Register the ``demo`` subcommand (to be filled in)."""
    parser = sub.add_parser("demo", parents=[common], help="write a generated demo history")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--teams", type=int, default=2)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)


def run(args, paths) -> int:
    raise NotImplementedError("the demo generator is not written yet")
