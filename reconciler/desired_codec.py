"""Desired to JSON and back (pure), for the spec cache: decoding checks every field's type,
so a damaged or foreign document is refused (ValueError) rather than half believed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from reconciler.desired import Desired, UnitFile
from reconciler.spec_values import MODES, ApplySettings, Mode

T = TypeVar("T")


def encode(desired: Desired) -> dict[str, Any]:
    """A JSON-ready document holding every field of `desired`."""
    return {
        **_plain_fields(desired),
        "units": [{"name": u.name, "path": str(u.path), "text": u.text} for u in desired.units],
        "apply": {
            "deadline": desired.apply.deadline,
            "backoff_initial": desired.apply.backoff_initial,
            "backoff_max": desired.apply.backoff_max,
        },
    }


def _plain_fields(desired: Desired) -> dict[str, Any]:
    return {
        name: list(value) if isinstance(value, tuple) else _json_value(value)
        for name, value in vars(desired).items()
        if name not in ("units", "apply")
    }


def _json_value(value: object) -> object:
    return str(value) if isinstance(value, Path) else value


def decode(document: object) -> Desired:
    """The Desired `encode` was given; ValueError when anything is missing or of a wrong type."""
    fields = _mapping(document)
    try:
        return Desired(
            mode=_mode(fields["mode"]),
            port=_typed(fields["port"], int),
            bind=_typed(fields["bind"], str),
            base_path=_path(fields["base_path"]),
            token_file=_path(fields["token_file"]),
            pid_file=_path(fields["pid_file"]),
            gate_command=_path(fields["gate_command"]),
            unit_version=_typed(fields["unit_version"], int),
            unit_dir=_path(fields["unit_dir"]),
            units=tuple(_unit(unit) for unit in _typed(fields["units"], list)),
            timer_enabled=_typed(fields["timer_enabled"], bool),
            timer_interval=_typed(fields["timer_interval"], int),
            service_argv=_strings(fields["service_argv"]),
            daemon_argv=_strings(fields["daemon_argv"]),
            reconcile_argv=_strings(fields["reconcile_argv"]),
            config_digest=_typed(fields["config_digest"], str),
            spec_digest=_typed(fields["spec_digest"], str),
            apply=_settings(fields["apply"]),
        )
    except KeyError as error:
        raise ValueError(f"missing field {error}") from None


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise ValueError("not a JSON object")
    return value


def _typed(value: object, kind: type[T]) -> T:
    # bool is an int in Python; a flag must not pass for a number nor a number for a flag
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _mode(value: object) -> Mode:
    for mode in MODES:
        if value == mode:
            return mode
    raise ValueError(f"unknown mode {value!r}")


def _path(value: object) -> Path:
    text = _typed(value, str)
    if not text.startswith("/"):
        raise ValueError(f"not an absolute path: {text!r}")
    return Path(text)


def _strings(value: object) -> tuple[str, ...]:
    return tuple(_typed(item, str) for item in _typed(value, list))


def _unit(value: object) -> UnitFile:
    fields = _mapping(value)
    return UnitFile(_typed(fields["name"], str), _path(fields["path"]), _typed(fields["text"], str))


def _settings(value: object) -> ApplySettings:
    fields = _mapping(value)
    return ApplySettings(
        _typed(fields["deadline"], float),
        _typed(fields["backoff_initial"], float),
        _typed(fields["backoff_max"], float),
    )
