"""Prometheus textfile metrics: every series present, values from the run and the status."""

from __future__ import annotations

import re

from reconciler.metrics import ACTION_KINDS, render_metrics
from reconciler.outcome import ApplyResult
from reconciler.status import status_document
from tests.unit.apply.results import REFUSED, START, record, result
from tests.unit.reconciler.builders import make_desired

SAMPLE = re.compile(r'^gate_reconcile_[a-z_]+(\{kind="[a-z_]+"\})? -?[0-9.e+]+$')


def _render(res: ApplyResult, previous: dict[str, object] | None = None) -> dict[str, str]:
    status = status_document(res, make_desired(), "spec", previous or {})
    text = render_metrics(res, status)
    assert text.endswith("\n")
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) gate_reconcile_[a-z_]+ ", line), line
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        samples[name] = value
    return samples


def test_converged_run() -> None:
    """converged 1, this run's actions by kind (all kinds listed), duration, both timestamps."""
    samples = _render(result(actions=(record("write_unit"), record("write_unit"))))
    assert samples["gate_reconcile_converged"] == "1"
    assert samples["gate_reconcile_blocked"] == "0"
    assert samples['gate_reconcile_last_actions{kind="write_unit"}'] == "2"
    assert all(f'gate_reconcile_last_actions{{kind="{k}"}}' in samples for k in ACTION_KINDS)
    assert samples["gate_reconcile_apply_duration_seconds"] == "1.5"
    assert samples["gate_reconcile_last_run_timestamp_seconds"] == "1700000001.5"
    assert samples["gate_reconcile_last_success_timestamp_seconds"] == "1700000001.5"


def test_failed_run_keeps_the_earlier_success_time_and_counts() -> None:
    """A run that did not converge reports 0 and keeps the last success and the counters."""
    first = status_document(result(), make_desired(), "spec", {})
    samples = _render(result("not_converged", health=REFUSED, started_at=START + 600), first)
    assert samples["gate_reconcile_converged"] == "0"
    assert samples["gate_reconcile_last_success_timestamp_seconds"] == "1700000001.5"
    assert samples['gate_reconcile_actions_total{kind="start_daemon"}'] == "2"


def test_never_succeeded_has_no_success_time() -> None:
    """Without any converged run there is no last-success series at all."""
    samples = _render(result("blocked", actions=()))
    assert "gate_reconcile_last_success_timestamp_seconds" not in samples
    assert samples["gate_reconcile_blocked"] == "1"
