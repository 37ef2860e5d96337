"""The results behind RELIABILITY.md: one JSON file per section under tests/faults/results/.

Each test ends with `record(section, name, claims, figures)`:
- claims are what the document states and the test decides (its parameters and its
  verdicts: examples configured, connections opened, clones that succeeded, bounds).
  They must not change from run to run; every run checks them against the committed file,
  so the document cannot claim what the tests no longer do.
- figures are what the recorded run measured (examples hypothesis ran, peak memory...).

With GATE_RECORD_RESULTS=1 the test writes its entry instead of checking it; then
`python -m tests.faults.render` rewrites RELIABILITY.md from the files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
RECORD_VARIABLE = "GATE_RECORD_RESULTS"
REFRESH = (
    f"refresh them with `{RECORD_VARIABLE}=1 .venv/bin/python -m pytest tests/faults` "
    "and `.venv/bin/python -m tests.faults.render`"
)

Entry = dict[str, dict[str, Any]]


def section_path(section: str, results: Path = RESULTS) -> Path:
    """The JSON file of one section."""
    return results / f"{section}.json"


def load_section(section: str, results: Path = RESULTS) -> dict[str, Entry]:
    """Every recorded entry of a section, by test name ({} when none is recorded)."""
    path = section_path(section, results)
    if not path.exists():
        return {}
    entries: dict[str, Entry] = json.loads(path.read_text())
    return entries


def recording() -> bool:
    """Whether this run writes results instead of checking them."""
    return os.environ.get(RECORD_VARIABLE) == "1"


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as they read back from JSON (tuples become lists)."""
    result: dict[str, Any] = json.loads(json.dumps(dict(values)))
    return result


def record(
    section: str, name: str, claims: Mapping[str, Any], figures: Mapping[str, Any] | None = None
) -> None:
    """Write this test's entry (recording run) or check its claims against the committed one."""
    entry = {"claims": _plain(claims), "figures": _plain(figures or {})}
    entries = load_section(section)
    if recording():
        entries[name] = entry
        RESULTS.mkdir(exist_ok=True)
        text = json.dumps(entries, indent=2, sort_keys=True, ensure_ascii=False)
        section_path(section).write_text(text + "\n")
        return
    committed = entries.get(name, {}).get("claims")
    assert committed == entry["claims"], (
        f"tests/faults/results/{section}.json does not hold what {name} now claims "
        f"(committed {committed}, now {entry['claims']}); {REFRESH}"
    )
