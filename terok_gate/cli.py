"""Command line of terok-gate."""

import argparse
import sys
from collections.abc import Sequence

from terok_gate import __version__


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="terok-gate", description="Serve git repositories over HTTP to terok task tokens."
    )
    parser.add_argument("--version", action="version", version=f"terok-gate {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run terok-gate and return its exit code."""
    build_parser().parse_args(argv)
    print("terok-gate: the server is not built yet.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
