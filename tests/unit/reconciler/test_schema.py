"""`gate-reconcile schema` prints the spec's JSON Schema, and specs/schema.json is kept current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "specs" / "schema.json"


def test_schema_file_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    """specs/schema.json is byte for byte what `gate-reconcile schema` prints (regenerate it if not)."""
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert SCHEMA_FILE.read_text() == printed, "run: gate-reconcile schema > specs/schema.json"


def test_schema_describes_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    """The schema forbids unknown keys and bounds the port the way the spec does."""
    main(["schema"])
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["port"] | {"default": 9418} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 65535,
        "default": 9418,
        "title": "Port",
    }
    assert schema["properties"]["mode"]["enum"] == ["auto", "systemd", "daemon", "none"]
    assert set(schema["$defs"]) == {"TimerSpec", "ApplySpec"}
