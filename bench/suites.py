"""Every benchmark suite `python -m bench` knows. A suite runs, returns a JSON-ready result,
and renders that result as its own section of BENCHMARKS.md. Suites load lazily, so one
suite's imports never weigh on another's figures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.options import Options


@dataclass(frozen=True)
class Suite:
    """One suite: how to run it and how to render its result."""

    name: str
    run: Callable[[Options], dict[str, object]]
    render: Callable[[Mapping[str, Any]], str]


def _gate() -> Suite:
    from bench.gate.render import render
    from bench.gate.suite import run_gate

    return Suite("gate", run_gate, render)


def _reconcile() -> Suite:
    from bench.reconcile.render import render
    from bench.reconcile.suite import run_reconcile

    return Suite("reconcile", run_reconcile, render)


def _converge() -> Suite:
    from bench.converge.render import render
    from bench.converge.suite import run_converge

    return Suite("converge", run_converge, render)


# name -> loader, in the order the suites run and their sections appear in BENCHMARKS.md
SUITES: dict[str, Callable[[], Suite]] = {
    "gate": _gate,
    "reconcile": _reconcile,
    "converge": _converge,
}
