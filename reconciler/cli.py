"""Command line of gate-reconcile: parsing, exit codes, the only place that prints.

Heavy modules (pydantic, the planner) are imported inside the commands that need them,
so `--help` and usage errors stay cheap.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from reconciler import __version__
from reconciler.errors import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_IN_SYNC,
    EXIT_RUNTIME_ERROR,
    ReconcileError,
    SpecError,
    UsageError,
)

if TYPE_CHECKING:
    from reconciler.desired import Desired
    from reconciler.outcome import ActionRecord, HealthVerdict
    from reconciler.spec_source import SpecSource

EXIT_CODES = """\
exit codes:
  0   in sync: nothing to do; apply: converged; check: the gate answers as the spec says
  2   changes pending (--dry-run / plan)
  3   blocked: a person must resolve something first (the reasons are printed)
  1   runtime error; apply: not converged by the deadline or an action failed;
      check: the gate does not answer as the spec says
  64  usage error
  75  another gate-reconcile holds the lock (apply; see --wait)
  78  invalid spec (one line per problem: file: field: what is wrong)

spec: --spec PATH, else $GATE_RECONCILE_SPEC, else ${XDG_CONFIG_HOME:-~/.config}/terok/gate.toml,
else the embedded default (specs/default.toml)."""

OUTCOME_EXIT = {"in_sync": EXIT_IN_SYNC, "changes": EXIT_CHANGES, "blocked": EXIT_BLOCKED}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as UsageError (exit 64), not exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}", f"see `{self.prog} --help`")


def _common() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--spec", metavar="PATH", default=argparse.SUPPRESS, help="the spec file (TOML)"
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON document"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = _Parser(
        prog="gate-reconcile",
        description="Keep the terok git gate running as the desired-state spec says.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common()],
    )
    parser.add_argument("--version", action="version", version=f"gate-reconcile {__version__}")
    parser.add_argument(
        "--dry-run", action="store_true", help="show the plan, change nothing (same as `plan`)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, text in (
        ("plan", "show the plan with unified diffs; change nothing"),
        ("status", "show the last apply (status.json) beside what the host looks like now"),
        ("schema", "print the JSON Schema of the spec"),
        ("check", "exit 0 only when the gate answers on the spec's port with its configuration"),
    ):
        commands.add_parser(name, help=text, description=text, parents=[_common()])
    _apply_parser(commands)
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds >= 0")
    return value


def _apply_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    text = "converge the host to the spec: act, observe again, until the gate answers as it says"
    apply = commands.add_parser("apply", help=text, description=text, parents=[_common()])
    apply.add_argument(
        "--wait",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another gate-reconcile to finish (default: exit 75 at once)",
    )
    apply.add_argument(
        "--metrics-file", metavar="PATH", help="also write Prometheus textfile metrics there"
    )


def _load(args: argparse.Namespace, keep: bool = False) -> tuple[SpecSource, Desired]:
    """The spec's source and rendering; only `apply` keeps the rendering for the next run."""
    from reconciler.load import load_desired

    loaded = load_desired(getattr(args, "spec", None), os.environ, keep)
    return loaded.source, loaded.desired


def _print_json(document: object) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False))


def run_plan(args: argparse.Namespace) -> int:
    """--dry-run / plan: observe, plan, print; the exit code says in sync, changes or blocked."""
    from reconciler.observe import observe
    from reconciler.plan import plan
    from reconciler.report import plan_document, plan_text

    source, desired = _load(args)
    observed = observe(desired)
    result = plan(desired, observed)
    if getattr(args, "json", False):
        _print_json(plan_document(result, source.label))
    else:
        sys.stdout.write(plan_text(result, desired, observed, source.label))
    return OUTCOME_EXIT[result.outcome]


def run_status(args: argparse.Namespace) -> int:
    """status: the observed state beside the last apply's status.json, without planning."""
    from reconciler.apply import read_status
    from reconciler.observe import observe
    from reconciler.places import status_path
    from reconciler.report import status_document, status_text
    from reconciler.status import status_lines

    source, desired = _load(args)
    observed = observe(desired, thorough=True)
    last = read_status(status_path(os.environ))
    if getattr(args, "json", False):
        document = status_document(desired, observed, source.label)
        _print_json({**document, "last_apply": last or None})
    else:
        sys.stdout.write(status_text(desired, observed, source.label))
        sys.stdout.write("\n".join(status_lines(last)) + "\n")
    return EXIT_IN_SYNC


def run_apply(args: argparse.Namespace) -> int:
    """apply: converge, print each action as it runs, then how it ended."""
    from pathlib import Path

    from reconciler import logs
    from reconciler.apply import ApplyOptions, apply
    from reconciler.report import apply_summary

    logs.setup()
    source, desired = _load(args, keep=True)
    as_json = getattr(args, "json", False)
    metrics = Path(args.metrics_file).absolute() if args.metrics_file else None
    options = ApplyOptions(os.environ, args.wait, metrics, _progress(source.label, quiet=as_json))
    report = apply(source, desired, options)
    if as_json:
        _print_json(report.status)
    else:
        sys.stdout.write(apply_summary(report.result))
        if report.periodic_hint:
            print(report.periodic_hint)
    return APPLY_EXIT[report.result.outcome]


def _progress(spec_label: str, quiet: bool) -> Callable[[ActionRecord], None]:
    """Print each action as it finishes, under a heading printed before the first one."""
    from reconciler.report import action_line, apply_head

    count = [0]

    def show(record: ActionRecord) -> None:
        if quiet:
            return
        if not count[0]:
            sys.stdout.write(apply_head(spec_label))
        count[0] += 1
        sys.stdout.write(action_line(count[0], record))
        sys.stdout.flush()

    return show


def run_check(args: argparse.Namespace) -> int:
    """check: ask the gate's health route; never starts or changes anything itself."""
    from reconciler.apply import probe
    from reconciler.report import check_text

    _, desired = _load(args)
    verdict = probe(desired, 10.0)
    context: list[str] = []
    if not verdict.ok:
        verdict, context = _explain(desired, verdict)
    if getattr(args, "json", False):
        keys = {"ok": verdict.ok, "listen": desired.listen, "reason": verdict.reason}
        _print_json({**keys, "message": verdict.message, "context": context})
    else:
        sys.stdout.write(check_text(verdict, context))
    return EXIT_IN_SYNC if verdict.ok else EXIT_RUNTIME_ERROR


def _explain(desired: Desired, verdict: HealthVerdict) -> tuple[HealthVerdict, list[str]]:
    """A failed check: the observed facts behind it (one look at the host, no change)."""
    from dataclasses import replace  # with inspect, a third of what `--help` imports

    from reconciler.health import NO_GATE
    from reconciler.modes import effective_mode
    from reconciler.observe import observe
    from reconciler.report import check_context

    observed = observe(desired)
    if effective_mode(desired.mode, observed.manager) == "none":
        verdict = replace(NO_GATE, ok=False, message="mode none: the spec wants no gate")
    return verdict, check_context(desired, observed)


def run_schema(args: argparse.Namespace) -> int:
    """schema: the JSON Schema of gate.toml (specs/schema.json is this output)."""
    from reconciler.spec import json_schema

    _print_json(json_schema())
    return EXIT_IN_SYNC


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "plan": run_plan,
    "status": run_status,
    "schema": run_schema,
    "apply": run_apply,
    "check": run_check,
}
APPLY_EXIT = {
    "converged": EXIT_IN_SYNC,
    "blocked": EXIT_BLOCKED,
    "not_converged": EXIT_RUNTIME_ERROR,
    "failed": EXIT_RUNTIME_ERROR,
}


def _command(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    if args.command and args.dry_run and args.command != "plan":
        raise UsageError(f"--dry-run does not go with {args.command}", "use one of them")
    if args.command:
        return COMMANDS[args.command]
    if args.dry_run:
        return run_plan
    raise UsageError(
        "say what to do: apply, check, --dry-run (or plan), status or schema",
        "see `gate-reconcile --help`",
    )


def _report(error: ReconcileError) -> int:
    if isinstance(error, SpecError):
        for line in error.lines():
            print(line, file=sys.stderr)
        return error.exit_code
    print(f"gate-reconcile: error: {error.message}", file=sys.stderr)
    if error.hint:
        print(f"gate-reconcile: hint: {error.hint}", file=sys.stderr)
    return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run gate-reconcile and return its exit code."""
    try:
        args = build_parser().parse_args(argv)
        return _command(args)(args)
    except ReconcileError as error:
        return _report(error)
    except OSError as error:
        print(f"gate-reconcile: error: {error}", file=sys.stderr)
        return EXIT_RUNTIME_ERROR


if __name__ == "__main__":
    sys.exit(main())
