"""Desired to JSON and back: every field survives, and a damaged document is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.desired import Desired
from reconciler.desired_codec import decode, encode
from tests.unit.reconciler.builders import make_desired

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "daemon, ipv6, timer off": {
        "mode": "daemon",
        "bind": "::1",
        "timer": {"enabled": False, "interval": "2h"},
    },
    "odd paths": {"base_path": "/srv/gäte with space/%h", "pid_file": "/run/x\\y/gate.pid"},
    "none, fractional backoff": {
        "mode": "none",
        "apply": {"deadline": 7, "backoff_initial": 0.05, "backoff_max": "1min"},
    },
}


def _through_json(desired: Desired) -> Desired:
    return decode(json.loads(json.dumps(encode(desired))))


@pytest.mark.parametrize("fields", VARIANTS.values(), ids=list(VARIANTS))
def test_every_field_survives_a_round_trip(fields: dict[str, Any]) -> None:
    """decode(encode(d)) through JSON text equals d, unit texts and argv included."""
    desired = make_desired(**fields)
    assert _through_json(desired) == desired


def test_encoding_covers_every_field() -> None:
    """The document names every field of Desired, so a new field cannot be forgotten."""
    assert set(encode(make_desired())) == set(vars(make_desired()))


def _damaged(change: str) -> dict[str, Any]:
    document = json.loads(json.dumps(encode(make_desired())))
    damages: dict[str, Any] = {
        "port as text": ("port", "9418"),
        "port as a flag": ("port", True),
        "flag as a number": ("timer_enabled", 1),
        "unknown mode": ("mode", "sometimes"),
        "relative path": ("base_path", "srv/gate"),
        "number in argv": ("daemon_argv", ["/bin/gate", 3]),
        "units not a list": ("units", {"a": 1}),
        "unit without text": ("units", [{"name": "a", "path": "/a"}]),
        "deadline as text": (
            "apply",
            {"deadline": "1", "backoff_initial": 1.0, "backoff_max": 1.0},
        ),
    }
    if change == "missing field":
        del document["spec_digest"]
    else:
        key, value = damages[change]
        document[key] = value
    return document


@pytest.mark.parametrize(
    "change",
    [
        "missing field",
        "port as text",
        "port as a flag",
        "flag as a number",
        "unknown mode",
        "relative path",
        "number in argv",
        "units not a list",
        "unit without text",
        "deadline as text",
    ],
)
def test_a_damaged_document_is_refused(change: str) -> None:
    """A missing field or a value of the wrong type raises ValueError, never a half Desired."""
    with pytest.raises(ValueError):
        decode(_damaged(change))


@pytest.mark.parametrize("document", [None, [], "text", {"1": 1}])
def test_anything_but_an_object_is_refused(document: object) -> None:
    """A document that is not a JSON object of the right shape raises ValueError."""
    with pytest.raises(ValueError):
        decode(document)
