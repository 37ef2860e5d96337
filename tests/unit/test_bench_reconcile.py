"""The reconciler benchmarks' pure parts: strace counting, the Ansible playbook, import
groups, spec files, verdicts and rendering (no timing, nothing run)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bench import doc, importtime
from bench.converge import render as converge_render
from bench.errors import BenchmarkError
from bench.reconcile import ansible, imports
from bench.reconcile import render as reconcile_render
from bench.reconcile.hosts import TIMER_INTERVAL, write_spec
from bench.reconcile.processes import spawned
from reconciler.spec_source import load_spec

ROOT = Path(__file__).resolve().parents[2]

# A converged systemd-mode apply and a shell running two programs, as strace -f writes them.
STRACE = """\
100 execve("/venv/bin/gate-reconcile", ["gate-reconcile", "apply"], 0x7ffe /* 38 vars */) = 0
100 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, child_tid=0x7f}, 88) = 101
100 vfork( <unfinished ...>
102 execve("/root/.cargo/bin/systemctl", ["systemctl", "--user", "show"], 0x7ffe /* 38 vars */) = -1 ENOENT (No such file or directory)
102 execve("/usr/bin/systemctl", ["systemctl", "--user", "show"], 0x7ffe /* 38 vars */ <unfinished ...>
100 <... vfork resumed>)              = 102
102 <... execve resumed>)             = 0
102 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 103
103 execve("/bin/sh", ["sh", "-c", "sleep 0"], 0x55 /* 12 vars */) = 0
103 fork()                            = 104
104 execve("/bin/sleep", ["sleep", "0"], 0x55 /* 12 vars */) = 0
"""


def test_strace_counting_separates_processes_threads_and_programs() -> None:
    """Forks, vforks and non-thread clones are processes; threads are not; only successful
    execs count as programs, and the traced command's own exec is not one."""
    found = spawned(STRACE.splitlines())
    assert found.processes == 3
    assert found.programs == {"sh": 1, "sleep": 1, "systemctl": 1}


def test_strace_counting_of_a_run_that_starts_nothing() -> None:
    """A daemon-mode run's trace holds only its own exec: zero processes, no programs."""
    found = spawned(STRACE.splitlines()[:2])
    assert (found.processes, found.programs) == (0, {})


UNIT = """\
# terok-gate-version: 1
# gate-reconcile-checksum: d2270c2a33cb055d
# Rendered by gate-reconcile from its spec; hand edits are replaced on the next apply.
[Unit]
Description=terok git gate

[Service]
ExecStart="/venv/bin/terok-gate" "--base-path" "/srv/gate" "--idle-timeout" "600"
NoNewPrivileges=yes
"""


def test_unit_template_has_variables_and_renders_back_to_the_unit() -> None:
    """The filled-in values become Jinja variables, and filling them in gives the file back."""
    template = ansible.unit_template(UNIT)
    assert "ExecStart={{ exec_start }}" in template.text
    assert template.text.startswith("# terok-gate-version: {{ unit_version }}\n")
    assert template.variables["exec_start"].startswith('"/venv/bin/terok-gate"')
    assert template.variables["checksum"] == "d2270c2a33cb055d"
    assert ansible.fill(template) == UNIT


def test_unit_text_that_jinja_would_read_is_refused() -> None:
    """A unit line with Jinja syntax outside our variables would not render back: refused."""
    with pytest.raises(BenchmarkError, match="Jinja"):
        ansible.unit_template(UNIT + "Description={{ oops }}\n")


def test_playbook_checks_four_unit_files_and_two_user_units(tmp_path: Path) -> None:
    """One template task per unit file (with its variables), then systemd_service tasks with
    scope user for the socket and the timer, on localhost without fact gathering."""
    for name in ansible.UNITS:
        (tmp_path / name).write_text(UNIT)
    path = ansible.write_playbook(tmp_path, tmp_path / "playbook")
    (play,) = json.loads(path.read_text())
    assert (play["hosts"], play["connection"], play["gather_facts"]) == (
        "localhost",
        "local",
        False,
    )
    tasks = play["tasks"]
    templates = [t["ansible.builtin.template"] for t in tasks if "ansible.builtin.template" in t]
    assert [Path(t["dest"]).name for t in templates] == list(ansible.UNITS)
    services = [t["ansible.builtin.systemd_service"] for t in tasks[len(templates) :]]
    assert [(s["name"], s["scope"], s["state"]) for s in services] == [
        ("terok-gate.socket", "user", "started"),
        ("gate-reconcile.timer", "user", "started"),
    ]
    assert len(tasks) == ansible.task_count()
    assert Path(templates[0]["src"]).read_text() == ansible.unit_template(UNIT).text


RECAP = """
PLAY RECAP *********************************************************************
localhost                  : ok=6    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
"""


def test_recap_is_read_and_only_all_ok_unchanged_counts_as_converged() -> None:
    """The recap counters are parsed; a changed or missing task is not a converged host."""
    counters = ansible.recap(RECAP)
    assert counters["ok"] == 6 and counters["changed"] == 0
    assert ansible.converged(counters)
    assert not ansible.converged({**counters, "changed": 1})
    assert not ansible.converged({**counters, "ok": 5})
    with pytest.raises(BenchmarkError, match="PLAY RECAP"):
        ansible.recap("no recap here")


def test_import_time_is_grouped_by_package_family() -> None:
    """Own import time is summed per group; what no group names goes to the rest."""
    records = importtime.parse(
        [
            "import time:       100 |        100 |   pydantic_core._pydantic_core",
            "import time:       200 |        300 | pydantic",
            "import time:        50 |         50 | reconciler.spec",
            "import time:        70 |         70 | json",
        ]
    )
    groups = imports.grouped(records)
    assert groups["pydantic"] == 300 and groups["gate-reconcile"] == 50
    assert groups[imports.OTHER] == 70 and groups["sh"] == 0


def test_benchmark_specs_are_valid_specs_with_a_timer_that_stays_out_of_the_way(
    tmp_path: Path,
) -> None:
    """The spec files the benchmarks write load as gate-reconcile specs; the timer runs
    daily, so it never starts an apply of its own during a run."""
    for mode in ("systemd", "daemon"):
        path = write_spec(tmp_path / f"{mode}.toml", mode, 19418, tmp_path / "site", tmp_path / "p")
        loaded = load_spec(str(path), os.environ)
        assert (loaded.spec.mode, loaded.spec.port) == (mode, 19418)
        assert loaded.spec.base_path == tmp_path / "site"
        assert loaded.spec.timer.interval == 24 * 3600 and TIMER_INTERVAL == "24h"


VARIANTS = tuple(reconcile_render.VARIANT_LABELS)


def make_reconcile_result(medians: dict[str, float], processes: dict[str, int]) -> dict[str, Any]:
    """A results JSON with the given median wall seconds (default 0.1 s) and counted processes."""
    samples = {v: [medians.get(v, 0.1)] * 3 for v in VARIANTS}
    groups = dict.fromkeys([*imports.GROUPS, imports.OTHER], 1000)
    profile = {"import_us": 5000, "modules": 9, "groups_us": groups, "pulled_in_by": {}}
    return {
        "samples_s": samples,
        "cpu_s": {v: [0.05] * 3 for v in VARIANTS},
        "max_rss_kib": {v: [30000] * 3 for v in VARIANTS},
        "spawned": {
            v: {"processes": processes.get(v, 1 if "systemd" in v else 0), "programs": {}}
            for v in (*reconcile_render.OURS, "ansible")
        },
        "imports": dict.fromkeys(reconcile_render.PROFILES, profile),
        "ansible": {"tasks": 6, "version": "ansible-playbook [core 2.19.14]"},
        "hand_edit_seen": {"ansible_after_edit": {"changed": 1}, "dry_run_exit_after_edit": 2},
        "reference": {
            "historical_status_check_vs_floor": 1.36,
            "ansible_check_s": 2.2,
            "ansible_subprocesses": 74,
            "ansible_vs_floor": 16.7,
        },
    }


@pytest.mark.parametrize(
    ("medians", "processes", "expected"),
    [
        ({"ansible": 2.5}, {}, [True, True, True, True, True, True]),
        ({"apply-systemd": 0.11, "ansible": 2.5}, {}, [True, False, True, True, True, True]),
        ({"ansible": 2.5}, {"apply-daemon": 1}, [True, True, True, True, False, True]),
        ({"ansible": 1.9}, {}, [True, True, True, True, True, False]),
    ],
)
def test_reconcile_goal_verdicts(
    medians: dict[str, float], processes: dict[str, int], expected: list[bool]
) -> None:
    """Each goal of issue 7 is judged from the medians and counts: ≤ 1.0x the floor per
    variant, one subprocess in systemd mode and none in daemon mode, ≥ 20x faster than Ansible."""
    result = make_reconcile_result(medians, processes)
    assert [goal.met for goal in reconcile_render.goals(result)] == expected


def test_reconcile_tables_show_ratios_memory_and_import_groups() -> None:
    """The variant table carries median, ratio to the floor, CPU, peak MiB and processes;
    the import table one row per group and the totals."""
    result = make_reconcile_result({"apply-daemon": 0.09, "ansible": 2.0}, {})
    runs = reconcile_render.runs_table(result)
    assert (
        "| `gate-reconcile apply`, daemon mode | **90.0** (90.0-90.0) | 0.90x | 50.0 | 29.3 | 0 |"
        in runs
    )
    assert "Ansible reported changed=1 and `gate-reconcile --dry-run` exited 2" in (
        reconcile_render.fairness(result)
    )
    table = reconcile_render.imports_table(result)
    assert "| pydantic | 1.0 | 1.0 | 1.0 | 1.0 |" in table
    assert "| **all imports** | **5.0** |" in table


def test_converge_table_relates_each_drift_to_the_converged_host() -> None:
    """Per drift: median, ratio to the no-drift apply, actions (range) and loop time."""
    result = {
        "scenarios": {"none": "no drift", "port-changed": "port changed"},
        "samples_s": {"none": [0.2, 0.2, 0.2], "port-changed": [0.4, 0.5, 0.6]},
        "actions": {"none": [0, 0, 0], "port-changed": [4, 4, 5]},
        "loop_s": {"none": [0.02] * 3, "port-changed": [0.25] * 3},
    }
    lines = converge_render.scenario_table(result).splitlines()
    assert lines[2] == "| no drift | **200** (200-200) | 1.00x | 0 | 20 |"
    assert lines[3] == "| port changed | **500** (450-550) | 2.50x | 4-5 | 250 |"


@pytest.mark.parametrize(
    ("suite", "render"),
    [("reconcile", reconcile_render.render), ("converge", converge_render.render)],
)
def test_benchmarks_md_sections_are_the_rendering_of_the_recorded_results(
    suite: str, render: Any
) -> None:
    """BENCHMARKS.md's reconciler figures are exactly what bench/results/<suite>.json renders to."""
    recorded = json.loads((ROOT / "bench" / "results" / f"{suite}.json").read_text())
    document = (ROOT / "BENCHMARKS.md").read_text()
    assert doc.section(document, suite) == render(recorded).strip()
