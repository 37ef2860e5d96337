"""Command line of gate-reconcile: parsing, exit codes, the only place that prints."""

import argparse
import sys
from collections.abc import Sequence

from reconciler import __version__


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="gate-reconcile",
        description="Keep the terok git gate running as the desired-state spec says.",
    )
    parser.add_argument("--version", action="version", version=f"gate-reconcile {__version__}")
    parser.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run gate-reconcile and return its exit code."""
    build_parser().parse_args(argv)
    print("gate-reconcile: planning is not built yet; nothing was changed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
