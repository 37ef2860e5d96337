"""Desired: everything the spec asks for, rendered (pure): unit texts, argv, paths, mode."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from reconciler.errors import RenderError
from reconciler.escape import escape_specifiers, exec_line
from reconciler.resources import data_dir
from reconciler.spec_values import ApplySettings, Mode
from reconciler.unittext import with_checksum
from terok_gate.digest import config_digest

if TYPE_CHECKING:  # pydantic is imported only where a spec is validated
    from reconciler.spec import GateSpec

SOCKET = "terok-gate.socket"
SERVICE = "terok-gate.service"
LEGACY_TEMPLATE = "terok-gate@.service"
RECONCILE_SERVICE = "gate-reconcile.service"
TIMER = "gate-reconcile.timer"
GATE_UNITS = (SOCKET, SERVICE)
TIMER_UNITS = (RECONCILE_SERVICE, TIMER)
RENDERED_UNITS = (*GATE_UNITS, *TIMER_UNITS)
#: Every unit file name gate-reconcile looks at, in the order plans mention them.
ALL_UNIT_FILES = (SOCKET, SERVICE, LEGACY_TEMPLATE, RECONCILE_SERVICE, TIMER)


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs besides the spec: where units go and how to call us again."""

    unit_dir: Path
    reconcile_command: Path
    spec_path: Path | None  # None: the embedded default (the timer's run finds it itself)


@dataclass(frozen=True)
class UnitFile:
    """One rendered unit file."""

    name: str
    path: Path
    text: str


@dataclass(frozen=True)
class Desired:
    """The rendered spec: what the host should show."""

    mode: Mode  # as the spec says; `auto` is resolved by the planner against the host
    port: int
    bind: str
    base_path: Path
    token_file: Path
    pid_file: Path
    gate_command: Path
    unit_version: int
    unit_dir: Path
    units: tuple[UnitFile, ...]
    timer_enabled: bool
    timer_interval: int  # seconds
    service_argv: tuple[str, ...]
    daemon_argv: tuple[str, ...]
    reconcile_argv: tuple[str, ...]
    config_digest: str  # what the gate's health route must report
    spec_digest: str  # identifies the spec a status or plan was computed for
    apply: ApplySettings  # deadline and backoff for `apply`

    @property
    def listen(self) -> str:
        """The address as systemd writes it in ListenStream= and the Listen property."""
        return listen_address(self.bind, self.port)

    def unit(self, name: str) -> UnitFile:
        """The rendered unit file called `name`."""
        return next(u for u in self.units if u.name == name)


def listen_address(bind: str, port: int) -> str:
    """`127.0.0.1:9418`, or `[::1]:9418` for IPv6."""
    if ipaddress.ip_address(bind.split("%")[0]).version == 6:
        return f"[{bind}]:{port}"
    return f"{bind}:{port}"


def service_argv(spec: GateSpec) -> tuple[str, ...]:
    """The socket-activated gate's command line (it serves the inherited fd 3)."""
    return (
        str(spec.gate_command),
        *("--base-path", str(spec.base_path), "--token-file", str(spec.token_file)),
        *("--idle-timeout", str(spec.idle_timeout)),
    )


def daemon_argv(spec: GateSpec) -> tuple[str, ...]:
    """The detached gate's command line (mode = daemon); idle timeout 0 means never."""
    return (
        str(spec.gate_command),
        *("--detach", "--pid-file", str(spec.pid_file)),
        *("--base-path", str(spec.base_path), "--token-file", str(spec.token_file)),
        *("--port", str(spec.port), "--bind", spec.bind, "--idle-timeout", "0"),
    )


def reconcile_argv(context: RenderContext) -> tuple[str, ...]:
    """How the timer runs us: `gate-reconcile apply`, with --spec unless it is the default."""
    spec = ("--spec", str(context.spec_path)) if context.spec_path else ()
    return (str(context.reconcile_command), "apply", *spec)


@cache
def shipped_templates() -> Mapping[str, str]:
    """The unit templates from units/, by unit name."""
    folder = data_dir("units")
    return {name: (folder / name).read_text(encoding="utf-8") for name in RENDERED_UNITS}


def _exec(argv: tuple[str, ...], what: str) -> str:
    try:
        return exec_line(argv)
    except ValueError as error:
        raise RenderError(
            f"cannot write {what}: {error}", "install it under a plain path"
        ) from None


def _values(spec: GateSpec, context: RenderContext) -> dict[str, dict[str, str]]:
    interval = spec.timer.interval
    common = {"unit_version": str(spec.unit_version)}
    return {
        SOCKET: {**common, "listen": escape_specifiers(listen_address(spec.bind, spec.port))},
        SERVICE: {**common, "exec_start": _exec(service_argv(spec), SERVICE)},
        RECONCILE_SERVICE: {
            **common,
            "exec_start": _exec(reconcile_argv(context), RECONCILE_SERVICE),
        },
        TIMER: {
            **common,
            "interval": f"{interval}s",
            "randomized_delay": f"{min(30, max(1, interval // 10))}s",
        },
    }


def render_units(
    spec: GateSpec, context: RenderContext, templates: Mapping[str, str] | None = None
) -> tuple[UnitFile, ...]:
    """Fill every template, then stamp it with its checksum."""
    templates = templates if templates is not None else shipped_templates()
    values = _values(spec, context)
    return tuple(
        UnitFile(
            name,
            context.unit_dir / name,
            with_checksum(Template(templates[name]).substitute(values[name])),
        )
        for name in RENDERED_UNITS
    )


def render(
    spec: GateSpec, context: RenderContext, templates: Mapping[str, str] | None = None
) -> Desired:
    """Everything the spec asks of the host."""
    return Desired(
        mode=spec.mode,
        port=spec.port,
        bind=spec.bind,
        base_path=spec.base_path,
        token_file=spec.token_file,
        pid_file=spec.pid_file,
        gate_command=spec.gate_command,
        unit_version=spec.unit_version,
        unit_dir=context.unit_dir,
        units=render_units(spec, context, templates),
        timer_enabled=spec.timer.enabled,
        timer_interval=spec.timer.interval,
        service_argv=service_argv(spec),
        daemon_argv=daemon_argv(spec),
        reconcile_argv=reconcile_argv(context),
        config_digest=config_digest(spec.base_path, spec.token_file),
        spec_digest=hashlib.sha256(spec.model_dump_json().encode()).hexdigest(),
        apply=ApplySettings(
            spec.apply.deadline, spec.apply.backoff_initial, spec.apply.backoff_max
        ),
    )
