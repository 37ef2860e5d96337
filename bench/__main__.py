"""`python -m bench`: run every benchmark suite (or the named ones).

Full run: results go to bench/results/<suite>.json and the suite's generated section of
BENCHMARKS.md is rewritten from them. `--quick` is CI's smoke run: one sample per case,
nothing written, and the exit code is non-zero only when an operation failed, never
because of a time. `--render` rewrites BENCHMARKS.md from the recorded JSON only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.doc import replace_section
from bench.errors import BenchmarkError
from bench.options import Options
from bench.suites import SUITES, Suite

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
DOCUMENT = BENCH_DIR.parent / "BENCHMARKS.md"
MIN_SAMPLES = 10


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help=f"default: all of {', '.join(SUITES)}"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        action="store_true",
        help="smoke run for CI: 1 sample, no warm-up, nothing written, never fails on a time",
    )
    mode.add_argument(
        "--render", action="store_true", help="only rewrite BENCHMARKS.md from bench/results/*.json"
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=15,
        help=f"samples per case (at least {MIN_SAMPLES}; default 15)",
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="discarded warm-up rounds (default 2)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=1800.0,
        help="seconds after which no new round starts (default 1800)",
    )
    parser.add_argument(
        "--note", default="", help="what else ran on the machine meanwhile (goes into the results)"
    )
    return parser


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _options(args: argparse.Namespace) -> Options:
    if args.quick:
        return Options(samples=1, warmup=0, quick=True, time_budget=600.0, progress=_progress)
    return Options(args.samples, args.warmup, False, args.budget, _progress)


def _write(suite: Suite, result: dict[str, object]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{suite.name}.json").write_text(json.dumps(result, indent=1) + "\n")


def render_document(suites: Sequence[Suite]) -> None:
    """Rewrite each suite's section of BENCHMARKS.md from its recorded result."""
    document = DOCUMENT.read_text() if DOCUMENT.exists() else "# Benchmarks\n"
    for suite in suites:
        recorded = RESULTS / f"{suite.name}.json"
        if recorded.exists():
            document = replace_section(
                document, suite.name, suite.render(json.loads(recorded.read_text()))
            )
    DOCUMENT.write_text(document)


def _run(suite: Suite, args: argparse.Namespace) -> None:
    _progress(f"{suite.name}: starting")
    result = suite.run(_options(args))
    if args.quick:  # rendered too, so that the smoke run also proves the rendering works
        print(f"[{suite.name}: quick smoke run, one sample each: no figure to quote]")
        print(suite.render(result))
        return
    result["conditions"] = args.note
    _write(suite, result)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen suites; 1 when a benchmark is broken, 2 for a usage error."""
    args = build_parser().parse_args(argv)
    if not args.quick and not args.render and args.samples < MIN_SAMPLES:
        print(
            f"bench: a recorded figure needs at least {MIN_SAMPLES} samples; use --quick for a smoke run",
            file=sys.stderr,
        )
        return 2
    if unknown := [name for name in args.suites if name not in SUITES]:
        print(f"bench: unknown suite {unknown}; the suites are {list(SUITES)}", file=sys.stderr)
        return 2
    suites = [SUITES[name]() for name in (args.suites or SUITES)]
    for suite in () if args.render else suites:
        try:
            _run(suite, args)
        except BenchmarkError as error:
            print(f"bench: {suite.name} is broken: {error}", file=sys.stderr)
            return 1
    if not args.quick:
        render_document(suites)
    return 0


if __name__ == "__main__":
    sys.exit(main())
