"""The benchmark's pure parts: statistics, interleaving, import profiles, rendering."""

from __future__ import annotations

import functools
import itertools
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as bench_cli
from bench import doc, importtime
from bench.commands import redact
from bench.gate import render
from bench.gate.repos import content
from bench.runner import Case, Schedule, interleave
from bench.stats import median, quartiles, ratio, summarize

OPERATIONS = ("ls-remote", "clone-small", "clone-large")
VARIANTS = tuple(render.VARIANT_LABELS)


def test_median_and_quartiles_of_known_series() -> None:
    """Median and inclusive quartiles match hand-computed values, odd and even lengths."""
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 4.0)
    assert quartiles([7.0]) == (7.0, 7.0)
    assert summarize([5.0, 1.0, 3.0]).minimum == 1.0


def test_empty_series_and_zero_baseline_are_errors() -> None:
    """A series without samples or a zero baseline raises instead of yielding a figure."""
    with pytest.raises(ValueError, match="no samples"):
        median([])
    with pytest.raises(ValueError, match="baseline"):
        ratio(1.0, 0.0)
    assert ratio(3.0, 2.0) == 1.5


class FakeClock:
    """A clock that advances one second per reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _recording_cases(log: list[str], names: tuple[str, ...]) -> list[Case]:
    return [
        Case(
            "op",
            name,
            run=functools.partial(log.append, f"run {name}"),
            prepare=functools.partial(log.append, f"prepare {name}"),
            cleanup=functools.partial(log.append, f"cleanup {name}"),
        )
        for name in names
    ]


def test_interleave_samples_every_case_each_round_and_drops_warmup() -> None:
    """Each case gets one sample per round, warm-up rounds are not recorded, hooks wrap each run."""
    log: list[str] = []
    names = ("a", "b", "c", "d")
    measured = interleave(_recording_cases(log, names), Schedule(samples=5, warmup=2), FakeClock())
    assert measured.rounds == 5 and not measured.truncated
    assert {key: len(values) for key, values in measured.samples.items()} == {
        ("op", name): 5 for name in names
    }
    assert all(value == 1.0 for value in itertools.chain(*measured.samples.values()))
    assert len(log) == 3 * 4 * 7
    for prepare, run, cleanup in zip(log[::3], log[1::3], log[2::3], strict=True):
        assert (prepare[8:], run[4:], cleanup[8:]) == (run[4:],) * 3


def test_interleave_shuffles_the_order_between_rounds() -> None:
    """Rounds do not all run the cases in the same order (no systematic order effect)."""
    log: list[str] = []
    names = ("a", "b", "c", "d", "e")
    interleave(_recording_cases(log, names), Schedule(samples=6, warmup=0), FakeClock())
    runs = [entry[4:] for entry in log if entry.startswith("run")]
    orders = {tuple(runs[i : i + len(names)]) for i in range(0, len(runs), len(names))}
    assert len(orders) > 1


def test_interleave_stops_starting_rounds_after_the_time_budget() -> None:
    """Once the budget is spent no new round starts, and the result says it was cut short."""
    measured = interleave(
        _recording_cases([], ("a",)), Schedule(samples=50, warmup=0, time_budget=10), FakeClock()
    )
    assert 1 <= measured.rounds < 50
    assert measured.truncated


IMPORTTIME_OUTPUT = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |   _io
import time:       300 |        400 | encodings
gate: some log line
import time:      2000 |       2000 |     asyncio.events
import time:      1000 |       3000 |   asyncio
import time:       500 |       3500 | terok_gate.server
"""


def test_importtime_profile_sums_own_time_per_package() -> None:
    """-X importtime lines are parsed with depth; totals and per-package sums are own times."""
    records = importtime.parse(IMPORTTIME_OUTPUT.splitlines())
    assert [(r.module, r.depth) for r in records][:3] == [
        ("_io", 1),
        ("encodings", 0),
        ("asyncio.events", 2),
    ]
    assert importtime.total_us(records) == 3900
    assert importtime.by_package(records) == {
        "asyncio": 3000,
        "terok_gate": 500,
        "encodings": 300,
        "_io": 100,
    }
    assert importtime.cumulative_by_package(records) == {
        "_io": 100,
        "encodings": 400,
        "asyncio": 3000,
        "terok_gate": 3500,
    }


def test_importtime_names_the_chain_that_pulled_a_package_in() -> None:
    """For an unwanted package the profile names the imports that led to it, outermost first."""
    records = importtime.parse(IMPORTTIME_OUTPUT.splitlines())
    assert importtime.pulled_in_by(records, ("asyncio", "pydantic")) == {
        "asyncio": ["terok_gate.server", "asyncio"]
    }


def test_redact_hides_url_credentials() -> None:
    """Tokens in URLs never reach an error message."""
    text = "git ls-remote http://bench-token-small:x@127.0.0.1:9/small.git failed"
    assert redact(text) == "git ls-remote http://***@127.0.0.1:9/small.git failed"


def test_generated_content_is_reproducible_and_incompressible() -> None:
    """The large repository's bytes are the same every run and do not shrink under zlib."""
    first = content("large", "data/c0-f0.bin", 65536)
    assert first == content("large", "data/c0-f0.bin", 65536)
    assert first != content("large", "data/c0-f1.bin", 65536)
    assert len(zlib.compress(first)) > 0.99 * len(first)


def test_replace_section_keeps_prose_and_replaces_only_its_block() -> None:
    """A suite's generated block is appended once, then replaced in place; prose stays."""
    first = doc.replace_section("# Benchmarks\n\nprose\n", "gate", "figures 1")
    assert doc.section(first, "gate") == "figures 1"
    second = doc.replace_section(first + "\nmore prose\n", "gate", "figures 2")
    assert doc.section(second, "gate") == "figures 2"
    assert "figures 1" not in second
    assert second.startswith("# Benchmarks\n\nprose\n") and second.endswith("more prose\n")
    assert doc.section(second, "reconciler") is None


def make_result(medians: dict[tuple[str, str], float], **imports: Any) -> dict[str, Any]:
    """A results JSON whose series have the given medians (default 10 ms)."""
    samples = {op: {v: [medians.get((op, v), 0.010)] * 3 for v in VARIANTS} for op in OPERATIONS}
    return {
        "samples_s": samples,
        "reference": {"historical_per_request_ls_remote_s": 0.555},
        "imports": {
            "gate_import_us": 40000,
            "python_floor_import_us": 9000,
            "gate_modules": 120,
            "not_needed_imported": [],
            "gate_by_package_us": {"asyncio": 12000},
            **imports,
        },
    }


@pytest.mark.parametrize(
    ("medians", "imports", "expected"),
    [
        ({}, {}, [True, True, True, True]),
        ({("clone-large", "gate-daemon"): 0.0115}, {}, [False, True, True, True]),
        ({("ls-remote", "gate-socket-warm"): 0.030}, {}, [False, False, True, True]),
        ({("ls-remote", "gate-socket-idle"): 0.260}, {}, [True, True, False, True]),
        ({}, {"not_needed_imported": ["pydantic"]}, [True, True, True, False]),
    ],
)
def test_goal_verdicts(
    medians: dict[tuple[str, str], float], imports: dict[str, Any], expected: list[bool]
) -> None:
    """Each goal of issue 3 is judged from the medians: 1.1x nginx, 20x of 555 ms, 0.25 s, lean imports."""
    assert [goal.met for goal in render.goals(make_result(medians, **imports))] == expected


def test_warm_goal_names_the_worst_case() -> None:
    """The warm-gate verdict reports the worst ratio and where it happened."""
    result = make_result({("clone-small", "gate-socket-warm"): 0.0123})
    assert (
        render.goals(result)[0].measured
        == "worst 1.23x (clone-small, gate, socket-activated, warm)"
    )


def test_latency_and_ratio_tables_show_medians_and_ratios() -> None:
    """The tables carry the medians in ms and the ratios computed from them."""
    result = make_result(
        {("ls-remote", "gate-socket-warm"): 0.0205, ("ls-remote", "nginx"): 0.0180}
    )
    latency = render.latency_table(result)
    assert "| `git ls-remote` (small repo) | **20.5** (20.5-20.5) |" in latency
    ratios = render.ratio_table(result).splitlines()
    assert ratios[2].startswith("| `git ls-remote` (small repo) | 1.14x | 0.56x |")


def test_cpu_table_relates_the_gate_to_nginx() -> None:
    """The server-CPU table shows the median CPU ms of gate and nginx and their ratio."""
    result = make_result({})
    result["server_cpu_s"] = {
        op: {"gate-daemon": [0.005, 0.006, 0.001], "nginx": [0.004, 0.003, 0.009]}
        for op in OPERATIONS
    }
    assert "| 5.0 | 4.0 | 1.25x |" in render.cpu_table(result)


def test_cpu_split_separates_the_server_from_the_git_processes() -> None:
    """The split sentence gives each server's own CPU and the rest as git's."""
    result = make_result({})
    result["server_cpu_burst"] = {
        "requests_per_server": 150,
        "gate-daemon": {"total_ms": 9.0, "own_ms": 2.5},
        "nginx": {"total_ms": 8.0, "own_ms": 1.3},
    }
    text = render.cpu_split(result)
    assert "over 150 back-to-back requests" in text
    assert "own processes 2.5 ms and the git processes it ran 6.5 ms" in text
    assert "own processes 1.3 ms and the git processes it ran 6.7 ms" in text


def test_recorded_figures_need_at_least_ten_samples() -> None:
    """A full run asked for fewer than 10 samples is refused (exit 2) before anything runs."""
    assert bench_cli.main(["--samples", "3"]) == 2
    assert bench_cli.main(["no-such-suite", "--quick"]) == 2


def test_benchmarks_md_gate_section_is_the_rendering_of_the_recorded_results() -> None:
    """BENCHMARKS.md's gate figures are exactly what bench/results/gate.json renders to."""
    root = Path(__file__).resolve().parents[2]
    recorded = json.loads((root / "bench" / "results" / "gate.json").read_text())
    document = (root / "BENCHMARKS.md").read_text()
    assert doc.section(document, "gate") == render.render(recorded).strip()
