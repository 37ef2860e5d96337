"""RELIABILITY.md is exactly what the committed results render to, and every bug it lists
points at a test that exists and is marked as the bug's status says."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from tests.faults import render
from tests.faults.findings import FINDINGS, Finding
from tests.faults.results import RESULTS

ROOT = Path(__file__).resolve().parents[2]


def test_document_is_the_rendering_of_the_results() -> None:
    """RELIABILITY.md equals `python -m tests.faults.render` over the committed results."""
    assert render.DOCUMENT.read_text() == render.render(), (
        "RELIABILITY.md is stale: run .venv/bin/python -m tests.faults.render"
    )


def test_every_results_file_is_a_section() -> None:
    """Each tests/faults/results/*.json is rendered (no orphan) and holds claims and figures."""
    stems = {section.stem for section in render.SECTIONS}
    for path in RESULTS.glob("*.json"):
        assert path.stem in stems, f"{path.name} is not a section of tests/faults/render.py"
        for name, entry in json.loads(path.read_text()).items():
            assert set(entry) == {"claims", "figures"}, f"{path.name}: {name}"


def _xfail_marks(finding: Finding) -> list[pytest.Mark]:
    path, _, name = finding.test.partition("::")
    assert (ROOT / path).is_file(), f"{path} does not exist"
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    function = getattr(module, name, None)
    assert callable(function), f"{finding.test} does not exist"
    return [mark for mark in getattr(function, "pytestmark", []) if mark.name == "xfail"]


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda f: f.test.rpartition("::")[2])
def test_findings_point_at_their_tests(finding: Finding) -> None:
    """A fixed bug's test runs normally; a reported bug's test is a strict expected failure."""
    marks = _xfail_marks(finding)
    if finding.status == "fixed":
        assert marks == []
    else:
        assert marks and all(mark.kwargs.get("strict") is True for mark in marks)
