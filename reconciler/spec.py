"""The desired-state spec: GateSpec, a frozen and validated model of gate.toml.

Parsing is pure: the environment used to expand `~` and `$XDG_*` and the default
gate command come in through the validation context (see parse_spec). Every problem
becomes a PydanticCustomError whose message is the sentence a person reads.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from reconciler.escape import control_characters, program_problem
from reconciler.installation import GATE_PROGRAM, is_executable_file, sibling_program
from reconciler.spec_values import Mode
from reconciler.xdg import home_dir, xdg_dir, xdg_names

_VARIABLE = re.compile(r"\$(\{)?(HOME|XDG_[A-Z_]+)(?(1)\})")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
_FROZEN = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def problem(text: str) -> PydanticCustomError:
    """A validation error whose message is exactly `text`."""
    return PydanticCustomError("spec", "{problem}", {"problem": text})


SHOWN_CHARACTERS = 80


def show(value: object) -> str:
    """A value as it would look in TOML, for messages: escaped and cut to stay one short line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return '"' + printable(str(value).replace("\\", "\\\\").replace('"', '\\"')) + '"'
    return printable(str(value))


def printable(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """`text` with control characters escaped (\\n, \\x1b) and cut after `limit` characters,
    so that a hostile key or value can neither split a message nor drive the terminal."""
    escaped = "".join(_escape_control(c) for c in text[: limit + 1])
    if len(text) <= limit:
        return escaped
    return f"{escaped[:limit]}... ({len(text)} characters)"


def _escape_control(character: str) -> str:
    if character.isprintable() or character == " ":
        return character
    return character.encode("unicode_escape").decode("ascii")


def _env(info: ValidationInfo) -> Mapping[str, str]:
    context = info.context or {}
    env: Mapping[str, str] = context.get("env", os.environ)
    return env


def _expand_variables(text: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        if name == "HOME":
            return str(home_dir(env))
        if name not in xdg_names():
            raise problem(f"unknown variable ${name}; known: $HOME, ${', $'.join(xdg_names())}")
        return str(xdg_dir(name, env))

    return _VARIABLE.sub(replace, text)


def _expand_home(text: str, env: Mapping[str, str]) -> str:
    if text == "~" or text.startswith("~/"):
        return str(home_dir(env)) + text[1:]
    if text.startswith("~"):
        raise problem(f"only ~ and ~/ are expanded (not ~user), got {show(text)}")
    return text


def expand_path(value: object, info: ValidationInfo) -> Path:
    """Expand `~`, $HOME and $XDG_* in a path string; it must be absolute afterwards."""
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str):
        raise problem(f"must be a path (a string), got {show(value)}")
    if bad := control_characters(value):
        raise problem(f"may not contain control characters, found {', '.join(bad)}")
    expanded = _expand_home(_expand_variables(value, _env(info)), _env(info))
    if not expanded.startswith("/"):
        raise problem(f"must be an absolute path after expanding ~ and $XDG_*, got {show(value)}")
    return Path(expanded)


MAX_SECONDS = 365 * 24 * 3600  # a year: any longer timeout or interval is a typo


def parse_duration(value: object, whole: bool = False) -> float:
    """Seconds from a number or a string such as "90", "30s", "5min", "2h"."""
    seconds = _number_of_seconds(value)
    if math.isnan(seconds):
        raise problem(f"must be a number of seconds, got {show(value)}")
    if seconds < 0:
        raise problem(f"must not be negative, got {show(value)}")
    if seconds > MAX_SECONDS:  # inf included, which int() could not take
        raise problem(f"must be at most {MAX_SECONDS} seconds (a year), got {show(value)}")
    if whole and seconds != int(seconds):
        raise problem(f"must be whole seconds, got {show(value)}")
    return seconds


def _number_of_seconds(value: object) -> float:
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and (match := _DURATION.match(value)):
            return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    except OverflowError:  # an integer too large for a float
        return math.inf
    raise problem(f'must be a duration in seconds or like "30s", "5min", "2h", got {show(value)}')


def _seconds(value: object) -> float:
    return parse_duration(value)


def _whole_seconds(value: object) -> int:
    return int(parse_duration(value, whole=True))


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
        {"type": "string", "pattern": _DURATION.pattern},
    ]
}
Seconds = Annotated[float, BeforeValidator(_seconds), WithJsonSchema(_DURATION_SCHEMA)]
WholeSeconds = Annotated[int, BeforeValidator(_whole_seconds), WithJsonSchema(_DURATION_SCHEMA)]
HostPath = Annotated[Path, BeforeValidator(expand_path)]


def _strict_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise problem(f"must be a whole number, got {show(value)}")
    return value


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise problem(f"must be between 1 and 65535, got {value}")
    return value


def _at_least_one(value: int) -> int:
    if value < 1:
        raise problem(f"must be at least 1, got {value}")
    return value


Port = Annotated[
    int,
    BeforeValidator(_strict_int),
    AfterValidator(_port),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 65535}),
]
Version = Annotated[
    int,
    BeforeValidator(_strict_int),
    AfterValidator(_at_least_one),
    WithJsonSchema({"type": "integer", "minimum": 1}),
]


class TimerSpec(BaseModel):
    """[timer]: the systemd user timer that runs `gate-reconcile apply` (systemd mode)."""

    model_config = _FROZEN
    enabled: bool = Field(default=True, strict=True, description="install the timer")
    interval: WholeSeconds = Field(default=300, description="seconds (or '5min') between runs")

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise problem(f"must be at least 1 second, got {value}")
        return value


class ApplySpec(BaseModel):
    """[apply]: how long `apply` may try, and how it backs off between retries."""

    model_config = _FROZEN
    deadline: Seconds = Field(default=120.0, description="give up after this many seconds")
    backoff_initial: Seconds = Field(default=0.2, description="first wait before a retry")
    backoff_max: Seconds = Field(default=5.0, description="longest wait between retries")


class GateSpec(BaseModel):
    """How the terok gate should run on this host."""

    model_config = _FROZEN
    mode: Mode = Field(default="auto", description="auto: systemd when a user manager answers")
    port: Port = 9418
    allow_remote: bool = Field(default=False, strict=True, description="permit a non-loopback bind")
    bind: str = Field(default="127.0.0.1", description="IP address to listen on")
    base_path: HostPath = Path("~/.local/share/terok/sandbox/gate")
    token_file: HostPath = Field(
        default=Path("~/.local/share/terok/sandbox/gate/tokens.json"),
        description="default: <base_path>/tokens.json",
    )
    pid_file: HostPath = Field(
        default=Path("$XDG_RUNTIME_DIR/terok/sandbox/gate-server.pid"),
        description="daemon mode; $XDG_RUNTIME_DIR falls back to $XDG_STATE_HOME",
    )
    unit_version: Version = Field(default=1, description="N of '# terok-gate-version: N'")
    gate_command: HostPath = Field(
        default=Path("terok-gate"), description="default: the terok-gate beside gate-reconcile"
    )
    idle_timeout: WholeSeconds = Field(
        default=600, description="socket-activated gate exits after this idle time; 0 = never"
    )
    timer: TimerSpec = TimerSpec()
    apply: ApplySpec = ApplySpec()

    @model_validator(mode="before")
    @classmethod
    def _derived_defaults(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "token_file" not in data:
            base = data.get("base_path", "~/.local/share/terok/sandbox/gate")
            with contextlib.suppress(PydanticCustomError):  # base_path reports its own error
                data["token_file"] = expand_path(base, info) / "tokens.json"
        if "gate_command" not in data:
            data["gate_command"] = (info.context or {}).get("gate_command", _fallback_gate())
        return data

    @field_validator("bind")
    @classmethod
    def _bind_address(cls, value: str, info: ValidationInfo) -> str:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise problem(
                f"must be an IP address such as 127.0.0.1 or ::1, got {show(value)}"
            ) from None
        if not address.is_loopback and not info.data.get("allow_remote", False):
            raise problem(
                f"{value} is not a loopback address; set allow_remote = true to listen on it"
            )
        return str(address)

    @field_validator("gate_command")
    @classmethod
    def _runnable(cls, value: Path) -> Path:
        if reason := program_problem(str(value)):
            raise problem(f"{reason}, got {show(value)}")
        if not is_executable_file(value):
            raise problem(
                f"{value} is not an executable file (the default is the terok-gate installed "
                "beside gate-reconcile); install terok-gate or set gate_command"
            )
        return value


def _fallback_gate() -> str:
    return str(sibling_program(GATE_PROGRAM))


def parse_spec(
    data: Mapping[str, Any], env: Mapping[str, str], gate_command: Path | None = None
) -> GateSpec:
    """Validate a parsed TOML document; raises pydantic.ValidationError."""
    context: dict[str, Any] = {"env": env}
    if gate_command is not None:
        context["gate_command"] = str(gate_command)
    return GateSpec.model_validate(dict(data), context=context)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of gate.toml."""
    schema = GateSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gate-reconcile spec (gate.toml)"
    return schema
