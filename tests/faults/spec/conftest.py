"""The in-process CLI runner for the spec tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.spec.cli_runner import Runner


@pytest.fixture
def runner(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Runs gate-reconcile on spec files written under tmp_path."""
    return Runner(tmp_path, capsys)
