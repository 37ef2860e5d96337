"""What every suite's generated section of BENCHMARKS.md says alike: the conditions of the
run (when, which commit, how many samples, what load) and the machine (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Result = Mapping[str, Any]


def conditions(
    result: Result,
    product: str,
    per: str,
    *,
    detail: str = "",
    files: str = "Files",
    started: str = "everything it started",
) -> str:
    """When, at which commit (of `product`), how many samples per `per` and under what load
    the figures were taken; `detail` follows the sampling order, `files` names what lay in
    the scratch folder and `started` what ran at the benchmark's niceness."""
    schedule = result["schedule"]
    sentences = [
        f"Taken {result['taken_at']} to {result['finished_at']} at project commit "
        f"`{result['project_commit']}` ({product}): {schedule['rounds']} samples per {per} "
        f"after {schedule['warmup']} warm-up round(s), {schedule['order']}{detail}.",
        f"Load average (1 min): {result['load_before'][0]} before, "
        f"{result['load_during_max']} at most during, {result['load_after'][0]} after.",
    ]
    if result.get("scratch"):
        sentences.append(f"{files} under `{result['scratch']}`.")
    if result.get("niceness", 0):
        sentences.append(f"The benchmark and {started} ran at nice {result['niceness']}.")
    if schedule["truncated"]:
        sentences.append("The time budget cut the run short.")
    if result.get("conditions"):
        sentences.append(result["conditions"])
    return " ".join(sentences)


@dataclass(frozen=True)
class Goal:
    """One goal of an issue, what was measured for it and whether it is met."""

    text: str
    measured: str
    met: bool


def goals_table(goals: Sequence[Goal], issue: int) -> str:
    """The goals of `issue` as a table with a yes/NO column."""
    lines = [f"| goal (issue {issue}) | measured | met |", "|---|---|---|"]
    for goal in goals:
        lines.append(f"| {goal.text} | {goal.measured} | {'yes' if goal.met else '**NO**'} |")
    return "\n".join(lines)


def machine_table(result: Result) -> str:
    """The machine and software the figures were taken on."""
    lines = ["| | |", "|---|---|"]
    for key, value in result["machine"].items():
        lines.append(f"| {key} | {value} |")
    return "\n".join(lines)
