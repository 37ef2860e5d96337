"""Table-driven planner tests: every mode against the observed situations of issue 4."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from reconciler.desired import LEGACY_TEMPLATE, RECONCILE_SERVICE, SERVICE, SOCKET, TIMER, Desired
from reconciler.observed import Observed, PathState, PidFileState, PortState, ProcessInfo
from reconciler.plan import plan
from tests.unit.reconciler.builders import (
    DAEMON_PID,
    UNIT_DIR,
    converged_daemon,
    converged_none,
    converged_systemd,
    fresh,
    gate_process,
    make_desired,
    with_file,
    with_unit,
)

PID_FILE = "/run/user/1000/terok/sandbox/gate-server.pid"
ALL_FOUR = "terok-gate.socket, terok-gate.service, gate-reconcile.service, gate-reconcile.timer"
LEGACY_SOCKET_TEXT = (
    "# terok-gate-version: 3\n[Socket]\nListenStream=0.0.0.0:9418\nAccept=yes\n\n"
    "[Install]\nWantedBy=sockets.target\n"
)
LEGACY_TEMPLATE_TEXT = (
    "# terok-gate-version: 3\n[Service]\nExecStart=/usr/bin/terok-gate --inetd "
    "--base-path /srv/gate --token-file /srv/gate/tokens.json\nStandardInput=socket\n"
)
NGINX = ProcessInfo(7, ("/usr/sbin/nginx", "-g", "daemon off;"), 33)

Step = tuple[str, str, str]
Situation = Callable[[Desired], Observed]

INSTALL_SYSTEMD: list[Step] = [
    ("write_unit", SOCKET, "terok-gate.socket is missing"),
    ("write_unit", SERVICE, "terok-gate.service is missing"),
    ("write_unit", RECONCILE_SERVICE, "gate-reconcile.service is missing"),
    ("write_unit", TIMER, "gate-reconcile.timer is missing"),
    ("daemon_reload", "systemd --user", f"unit files changed: {ALL_FOUR}"),
    ("enable_unit", SOCKET, "terok-gate.socket is not enabled"),
    ("start_unit", SOCKET, "terok-gate.socket is not listening (inactive)"),
    ("enable_unit", TIMER, "gate-reconcile.timer is not enabled"),
    ("start_unit", TIMER, "gate-reconcile.timer is not running (inactive)"),
]
CREATE_PATHS: list[Step] = [
    ("create_directory", "/srv/gate", "base path is missing"),
    ("create_token_file", "/srv/gate/tokens.json", "token file is missing"),
]
START_DAEMON: Step = ("start_daemon", PID_FILE, "daemon not running")


def _stop_daemon(mode: str) -> list[Step]:
    return [
        ("stop_daemon", f"pid {DAEMON_PID}", f"mode {mode} does not run the daemon"),
        ("remove_pid_file", PID_FILE, "the daemon it names is being stopped"),
    ]


def _remove_systemd(mode: str) -> list[Step]:
    def why(name: str) -> str:
        return f"mode {mode} does not use {name}"

    return [
        ("stop_unit", SOCKET, why(SOCKET)),
        ("disable_unit", SOCKET, why(SOCKET)),
        ("stop_unit", TIMER, why(TIMER)),
        ("disable_unit", TIMER, why(TIMER)),
        *[("remove_unit", n, why(n)) for n in (SOCKET, SERVICE, RECONCILE_SERVICE, TIMER)],
        ("daemon_reload", "systemd --user", f"unit files changed: {ALL_FOUR}"),
    ]


def _edited(name: str) -> Situation:
    return lambda d: with_file(converged_systemd(d), name, text=d.unit(name).text + "Nice=5\n")


def _missing(name: str) -> Situation:
    return lambda d: with_file(converged_systemd(d), name, kind="missing", text=None)


def _rewrite(name: str, reason: str, restart: bool) -> list[Step]:
    steps = [
        ("write_unit", name, reason),
        ("daemon_reload", "systemd --user", f"unit files changed: {name}"),
    ]
    return steps + ([("restart_unit", name, f"apply the new unit: {reason}")] if restart else [])


def _stale_stamp(d: Desired) -> Observed:
    older = make_desired(mode="systemd", unit_version=2).unit(SOCKET).text
    return with_file(converged_systemd(d), SOCKET, text=older)


def _symlink(target: str, text: str | None) -> Situation:
    """terok-gate.service as a symlink to `target` holding `text` (default: the rendered unit)."""

    def situation(d: Desired) -> Observed:
        content = d.unit(SERVICE).text if text is None else text
        return with_file(
            converged_systemd(d), SERVICE, kind="symlink", link_target=target, text=content
        )

    return situation


def _converged_before(**old: object) -> Situation:
    """Converged for the spec as it was (systemd mode, `old` fields); the new port is free."""

    def situation(d: Desired) -> Observed:
        o = converged_systemd(make_desired(mode="systemd", **old))
        return o if d.port == o.port.port else replace(o, port=PortState(d.port, d.bind, "free"))

    return situation


def _running_before(**old: object) -> Situation:
    """Like _converged_before, with the gate service running the old command line."""

    def situation(d: Desired) -> Observed:
        before = make_desired(mode="systemd", **old)
        o = with_unit(_converged_before(**old)(d), SERVICE, active_state="active", main_pid=77)
        return replace(o, service_process=gate_process(before.service_argv, 77))

    return situation


def _masked(d: Desired) -> Observed:
    o = with_file(converged_systemd(d), SOCKET, kind="symlink", link_target="/dev/null", text=None)
    return with_unit(
        o, SOCKET, load_state="masked", unit_file_state="masked", active_state="inactive"
    )


def _legacy(d: Desired) -> Observed:
    o = with_file(converged_none(d, "running"), SOCKET, kind="file", text=LEGACY_SOCKET_TEXT)
    o = with_file(o, LEGACY_TEMPLATE, kind="file", text=LEGACY_TEMPLATE_TEXT)
    o = with_unit(
        o,
        SOCKET,
        load_state="loaded",
        active_state="active",
        unit_file_state="enabled",
        listen=("0.0.0.0:9418 (Stream)",),
        accept=True,
        fragment_path=str(UNIT_DIR / SOCKET),
    )
    return replace(o, port=PortState(d.port, d.bind, "ours", "socket", SOCKET))


def _pid_file(**fields: Any) -> Situation:
    def situation(d: Desired) -> Observed:
        o = converged_daemon(d)
        return replace(
            o, pid_file=replace(o.pid_file, **fields), port=PortState(d.port, d.bind, "free")
        )

    return situation


def _port_foreign(base: Callable[[Desired], Observed]) -> Situation:
    holder = "pid 7 (/usr/sbin/nginx -g daemon off;)"
    return lambda d: replace(
        base(d), port=PortState(d.port, d.bind, "foreign", "", holder, NGINX, 33)
    )


def _service_running(argv_of: Callable[[Desired], tuple[str, ...]]) -> Situation:
    def situation(d: Desired) -> Observed:
        o = with_unit(
            converged_systemd(d), SERVICE, active_state="active", sub_state="running", main_pid=77
        )
        return replace(o, service_process=gate_process(argv_of(d), 77))

    return situation


def _stray(d: Desired) -> Observed:
    stray = gate_process(d.daemon_argv, pid=999)
    holder = "terok-gate pid 999 without its pid file"
    return replace(
        converged_none(d, "absent"),
        port=PortState(d.port, d.bind, "ours", "stray_gate", holder, stray),
    )


PORT_BLOCKED = "port 9418 on 127.0.0.1 is held by pid 7 (/usr/sbin/nginx -g daemon off;); stop it or choose another port"

# (id, spec fields, observed situation, expected steps)
CASES: list[tuple[str, dict[str, object], Situation, list[Step]]] = [
    # fresh hosts
    (
        "fresh/systemd",
        {"mode": "systemd"},
        lambda d: fresh(d, "running"),
        CREATE_PATHS + INSTALL_SYSTEMD,
    ),
    (
        "fresh/auto-with-manager",
        {"mode": "auto"},
        lambda d: fresh(d, "running"),
        CREATE_PATHS + INSTALL_SYSTEMD,
    ),
    ("fresh/daemon", {"mode": "daemon"}, fresh, [*CREATE_PATHS, START_DAEMON]),
    ("fresh/auto-without-manager", {"mode": "auto"}, fresh, [*CREATE_PATHS, START_DAEMON]),
    ("fresh/none", {"mode": "none"}, fresh, []),
    # converged hosts
    ("converged/systemd", {"mode": "systemd"}, converged_systemd, []),
    ("converged/auto-systemd", {"mode": "auto"}, converged_systemd, []),
    ("converged/daemon", {"mode": "daemon"}, converged_daemon, []),
    (
        "converged/daemon-beside-a-manager",
        {"mode": "daemon"},
        lambda d: converged_daemon(d, "not_asked"),
        [],
    ),
    ("converged/auto-daemon", {"mode": "auto"}, converged_daemon, []),
    (
        "converged/auto-manager-unreachable",
        {"mode": "auto"},
        lambda d: converged_daemon(d, "unreachable"),
        [],
    ),
    ("converged/none", {"mode": "none"}, converged_none, []),
    (
        "converged/systemd-gate-running",
        {"mode": "systemd"},
        _service_running(lambda d: d.service_argv),
        [],
    ),
    # each unit missing
    (
        "missing/socket",
        {"mode": "systemd"},
        _missing(SOCKET),
        _rewrite(SOCKET, "terok-gate.socket is missing", True),
    ),
    (
        "missing/service",
        {"mode": "systemd"},
        _missing(SERVICE),
        _rewrite(SERVICE, "terok-gate.service is missing", False),
    ),
    (
        "missing/reconcile-service",
        {"mode": "systemd"},
        _missing(RECONCILE_SERVICE),
        _rewrite(RECONCILE_SERVICE, "gate-reconcile.service is missing", False),
    ),
    (
        "missing/timer",
        {"mode": "systemd"},
        _missing(TIMER),
        _rewrite(TIMER, "gate-reconcile.timer is missing", True),
    ),
    # each unit hand-edited
    (
        "edited/socket",
        {"mode": "systemd"},
        _edited(SOCKET),
        _rewrite(SOCKET, "terok-gate.socket edited by hand", True),
    ),
    (
        "edited/service",
        {"mode": "systemd"},
        _edited(SERVICE),
        _rewrite(SERVICE, "terok-gate.service edited by hand", False),
    ),
    (
        "edited/reconcile-service",
        {"mode": "systemd"},
        _edited(RECONCILE_SERVICE),
        _rewrite(RECONCILE_SERVICE, "gate-reconcile.service edited by hand", False),
    ),
    (
        "edited/timer",
        {"mode": "systemd"},
        _edited(TIMER),
        _rewrite(TIMER, "gate-reconcile.timer edited by hand", True),
    ),
    # stale stamp, symlinks, not ours, masked, foreign definitions
    (
        "stale-stamp/socket",
        {"mode": "systemd"},
        _stale_stamp,
        _rewrite(SOCKET, "unit version 2 -> 1", True),
    ),
    (
        "symlink/ours",
        {"mode": "systemd"},
        _symlink("/opt/units/terok-gate.service", None),
        _rewrite(
            SERVICE,
            "terok-gate.service is a symlink to /opt/units/terok-gate.service; it becomes a regular file",
            False,
        ),
    ),
    # spec changes
    (
        "spec/port",
        {"mode": "systemd", "port": 9500},
        _converged_before(),
        _rewrite(SOCKET, "port changed 9418 -> 9500", True),
    ),
    (
        "spec/bind",
        {"mode": "systemd", "bind": "::1"},
        _converged_before(),
        _rewrite(SOCKET, "bind changed 127.0.0.1 -> ::1", True),
    ),
    (
        "spec/base-path",
        {"mode": "systemd", "base_path": "/srv/other"},
        _converged_before(),
        _rewrite(
            SERVICE,
            "base path changed /srv/gate -> /srv/other; token file changed /srv/gate/tokens.json -> /srv/other/tokens.json",
            False,
        ),
    ),
    (
        "spec/idle-timeout-gate-running",
        {"mode": "systemd", "idle_timeout": 60},
        _running_before(),
        _rewrite(SERVICE, "idle timeout changed 600 -> 60", True),
    ),
    (
        "spec/interval",
        {"mode": "systemd", "timer": {"interval": "10min"}},
        _converged_before(),
        _rewrite(TIMER, "interval changed 300s -> 600s", True),
    ),
    (
        "spec/unit-version",
        {"mode": "systemd", "unit_version": 2},
        _converged_before(),
        [
            *[
                ("write_unit", n, "unit version 1 -> 2")
                for n in (SOCKET, SERVICE, RECONCILE_SERVICE, TIMER)
            ],
            ("daemon_reload", "systemd --user", f"unit files changed: {ALL_FOUR}"),
            ("restart_unit", SOCKET, "apply the new unit: unit version 1 -> 2"),
            ("restart_unit", TIMER, "apply the new unit: unit version 1 -> 2"),
        ],
    ),
    (
        "spec/timer-disabled",
        {"mode": "systemd", "timer": {"enabled": False}},
        converged_systemd,
        [
            ("stop_unit", TIMER, "the spec disables the timer ([timer] enabled = false)"),
            ("disable_unit", TIMER, "the spec disables the timer ([timer] enabled = false)"),
            (
                "remove_unit",
                RECONCILE_SERVICE,
                "the spec disables the timer ([timer] enabled = false)",
            ),
            ("remove_unit", TIMER, "the spec disables the timer ([timer] enabled = false)"),
            (
                "daemon_reload",
                "systemd --user",
                "unit files changed: gate-reconcile.service, gate-reconcile.timer",
            ),
        ],
    ),
    (
        "spec/daemon-port",
        {"mode": "daemon", "port": 9500},
        lambda d: replace(
            converged_daemon(make_desired(mode="daemon")), port=PortState(9500, "127.0.0.1", "free")
        ),
        [
            (
                "stop_daemon",
                f"pid {DAEMON_PID}",
                "daemon runs with other settings: port changed 9418 -> 9500",
            ),
            ("remove_pid_file", PID_FILE, "the daemon it names is being stopped"),
            ("start_daemon", PID_FILE, "restart with the spec's settings"),
        ],
    ),
    # NeedDaemonReload, socket and service states
    (
        "reload/socket",
        {"mode": "systemd"},
        lambda d: with_unit(converged_systemd(d), SOCKET, need_daemon_reload=True),
        [
            (
                "daemon_reload",
                "systemd --user",
                "terok-gate.socket changed on disk since the manager loaded it",
            ),
            (
                "restart_unit",
                SOCKET,
                "apply the new unit: terok-gate.socket changed on disk since it was loaded",
            ),
        ],
    ),
    (
        "reload/service-idle",
        {"mode": "systemd"},
        lambda d: with_unit(converged_systemd(d), SERVICE, need_daemon_reload=True),
        [
            (
                "daemon_reload",
                "systemd --user",
                "terok-gate.service changed on disk since the manager loaded it",
            ),
        ],
    ),
    (
        "socket/inactive",
        {"mode": "systemd"},
        lambda d: with_unit(converged_systemd(d), SOCKET, active_state="inactive"),
        [
            ("start_unit", SOCKET, "terok-gate.socket is not listening (inactive)"),
        ],
    ),
    (
        "socket/failed",
        {"mode": "systemd"},
        lambda d: with_unit(
            converged_systemd(d), SOCKET, active_state="failed", result="resources"
        ),
        [
            ("reset_failed", SOCKET, "terok-gate.socket failed (resources)"),
            ("start_unit", SOCKET, "terok-gate.socket is not listening (failed)"),
        ],
    ),
    (
        "socket/disabled",
        {"mode": "systemd"},
        lambda d: with_unit(converged_systemd(d), SOCKET, unit_file_state="disabled"),
        [
            ("enable_unit", SOCKET, "terok-gate.socket is not enabled"),
        ],
    ),
    (
        "socket/changed-while-gate-runs",
        {"mode": "systemd", "port": 9500},
        _running_before(),
        [
            ("write_unit", SOCKET, "port changed 9418 -> 9500"),
            ("daemon_reload", "systemd --user", "unit files changed: terok-gate.socket"),
            ("stop_unit", SERVICE, "terok-gate.socket restarts; the gate starts again on demand"),
            ("restart_unit", SOCKET, "apply the new unit: port changed 9418 -> 9500"),
        ],
    ),
    (
        "service/old-command-line",
        {"mode": "systemd"},
        _service_running(lambda d: make_desired(mode="systemd", idle_timeout=60).service_argv),
        [
            (
                "restart_unit",
                SERVICE,
                "the running gate has other settings: idle timeout changed 60 -> 600",
            ),
        ],
    ),
    (
        "service/failed",
        {"mode": "systemd"},
        lambda d: with_unit(
            converged_systemd(d), SERVICE, active_state="failed", result="exit-code"
        ),
        [
            ("reset_failed", SERVICE, "terok-gate.service failed (exit-code)"),
        ],
    ),
    (
        "timer/inactive",
        {"mode": "systemd"},
        lambda d: with_unit(converged_systemd(d), TIMER, active_state="inactive"),
        [
            ("start_unit", TIMER, "gate-reconcile.timer is not running (inactive)"),
        ],
    ),
    # the daemon and its pid file
    (
        "daemon/dead",
        {"mode": "daemon"},
        _pid_file(process=None, ours=False),
        [
            ("remove_pid_file", PID_FILE, f"pid file stale: pid {DAEMON_PID} is not running"),
            START_DAEMON,
        ],
    ),
    (
        "daemon/pid-of-foreign-process",
        {"mode": "daemon"},
        _pid_file(process=NGINX, ours=False),
        [
            ("remove_pid_file", PID_FILE, f"pid file stale: pid {DAEMON_PID} is not a gate"),
            START_DAEMON,
        ],
    ),
    (
        "daemon/pid-file-garbage",
        {"mode": "daemon"},
        _pid_file(pid=None, raw="hello", process=None, ours=False),
        [
            ("remove_pid_file", PID_FILE, "pid file holds no pid ('hello')"),
            START_DAEMON,
        ],
    ),
    (
        "daemon/pid-file-symlink",
        {"mode": "daemon"},
        _pid_file(kind="symlink", pid=None, process=None, ours=False),
        [
            ("remove_pid_file", PID_FILE, "pid file is a symlink, which is never trusted"),
            START_DAEMON,
        ],
    ),
    (
        "daemon/alive-not-listening",
        {"mode": "daemon"},
        lambda d: replace(converged_daemon(d), port=PortState(d.port, d.bind, "free")),
        [
            (
                "stop_daemon",
                f"pid {DAEMON_PID}",
                f"daemon pid {DAEMON_PID} does not listen on 127.0.0.1:9418",
            ),
            ("remove_pid_file", PID_FILE, "the daemon it names is being stopped"),
            ("start_daemon", PID_FILE, "restart with the spec's settings"),
        ],
    ),
    (
        "daemon/stray-gate-without-pid-file",
        {"mode": "daemon"},
        _stray,
        [
            ("stop_daemon", "pid 999", "terok-gate pid 999 serves the port without its pid file"),
            START_DAEMON,
        ],
    ),
    (
        "systemd/stale-pid-file",
        {"mode": "systemd"},
        lambda d: replace(
            converged_systemd(d), pid_file=PidFileState(d.pid_file, "file", pid=5, process=None)
        ),
        [
            ("remove_pid_file", PID_FILE, "pid file stale: pid 5 is not running"),
        ],
    ),
    # legacy units of the historical gate manager
    (
        "legacy/to-systemd",
        {"mode": "systemd"},
        _legacy,
        [
            ("write_unit", SOCKET, "terok-gate.socket is the old gate manager's Accept=yes socket"),
            ("write_unit", SERVICE, "terok-gate.service is missing"),
            (
                "remove_unit",
                LEGACY_TEMPLATE,
                "terok-gate@.service is the old gate manager's per-connection template",
            ),
            ("write_unit", RECONCILE_SERVICE, "gate-reconcile.service is missing"),
            ("write_unit", TIMER, "gate-reconcile.timer is missing"),
            (
                "daemon_reload",
                "systemd --user",
                "unit files changed: terok-gate.socket, terok-gate.service, terok-gate@.service, gate-reconcile.service, gate-reconcile.timer",
            ),
            (
                "restart_unit",
                SOCKET,
                "apply the new unit: terok-gate.socket is the old gate manager's Accept=yes socket",
            ),
            ("enable_unit", TIMER, "gate-reconcile.timer is not enabled"),
            ("start_unit", TIMER, "gate-reconcile.timer is not running (inactive)"),
        ],
    ),
    (
        "legacy/to-daemon",
        {"mode": "daemon"},
        _legacy,
        [
            ("stop_unit", SOCKET, "mode daemon does not use terok-gate.socket"),
            ("disable_unit", SOCKET, "mode daemon does not use terok-gate.socket"),
            ("remove_unit", SOCKET, "mode daemon does not use terok-gate.socket"),
            (
                "remove_unit",
                LEGACY_TEMPLATE,
                "terok-gate@.service is the old gate manager's per-connection template",
            ),
            (
                "daemon_reload",
                "systemd --user",
                "unit files changed: terok-gate.socket, terok-gate@.service",
            ),
            START_DAEMON,
        ],
    ),
    (
        "legacy/to-none",
        {"mode": "none"},
        _legacy,
        [
            ("stop_unit", SOCKET, "mode none does not use terok-gate.socket"),
            ("disable_unit", SOCKET, "mode none does not use terok-gate.socket"),
            ("remove_unit", SOCKET, "mode none does not use terok-gate.socket"),
            (
                "remove_unit",
                LEGACY_TEMPLATE,
                "terok-gate@.service is the old gate manager's per-connection template",
            ),
            (
                "daemon_reload",
                "systemd --user",
                "unit files changed: terok-gate.socket, terok-gate@.service",
            ),
        ],
    ),
    # every mode switch: the old way is stopped before the new way starts
    (
        "switch/systemd-to-daemon",
        {"mode": "daemon"},
        converged_systemd,
        [*_remove_systemd("daemon"), START_DAEMON],
    ),
    ("switch/systemd-to-none", {"mode": "none"}, converged_systemd, _remove_systemd("none")),
    (
        "switch/daemon-to-systemd",
        {"mode": "systemd"},
        lambda d: converged_daemon(d, "running"),
        _stop_daemon("systemd") + INSTALL_SYSTEMD,
    ),
    ("switch/daemon-to-none", {"mode": "none"}, converged_daemon, _stop_daemon("none")),
    ("switch/none-to-systemd", {"mode": "systemd"}, converged_none, INSTALL_SYSTEMD),
    (
        "switch/none-to-daemon",
        {"mode": "daemon"},
        lambda d: converged_none(d, "absent"),
        [START_DAEMON],
    ),
    (
        "switch/daemon-to-auto-with-manager",
        {"mode": "auto"},
        lambda d: converged_daemon(d, "running"),
        _stop_daemon("systemd") + INSTALL_SYSTEMD,
    ),
    # the port held by someone else matters only where a gate must listen
    ("port-foreign/none", {"mode": "none"}, _port_foreign(converged_none), []),
]

BLOCKED_CASES: list[tuple[str, dict[str, object], Situation, str]] = [
    (
        "systemd-without-manager",
        {"mode": "systemd"},
        fresh,
        'mode = systemd but no systemd user manager answers (absent); start one (e.g. `loginctl enable-linger $USER`) or set mode = "daemon"',
    ),
    (
        "port-foreign/systemd",
        {"mode": "systemd"},
        _port_foreign(lambda d: fresh(d, "running")),
        PORT_BLOCKED,
    ),
    ("port-foreign/daemon", {"mode": "daemon"}, _port_foreign(fresh), PORT_BLOCKED),
    ("port-foreign/auto", {"mode": "auto"}, _port_foreign(fresh), PORT_BLOCKED),
    (
        "masked/socket",
        {"mode": "systemd"},
        _masked,
        "terok-gate.socket is masked; run `systemctl --user unmask terok-gate.socket` to let gate-reconcile manage it",
    ),
    (
        "masked/timer-in-another-directory",
        {"mode": "systemd"},
        lambda d: with_unit(
            converged_systemd(d), TIMER, load_state="masked", unit_file_state="masked-runtime"
        ),
        "gate-reconcile.timer is masked; run `systemctl --user unmask gate-reconcile.timer` to let gate-reconcile manage it",
    ),
    (
        "not-ours/socket",
        {"mode": "systemd"},
        lambda d: with_file(converged_systemd(d), SOCKET, text="[Socket]\nListenStream=9418\n"),
        f"terok-gate.socket at {UNIT_DIR / SOCKET} is not ours (its first line is not '# terok-gate-version: N'); move it away to let gate-reconcile write its own",
    ),
    (
        "not-ours/symlink",
        {"mode": "systemd"},
        _symlink("/opt/x.service", "[Service]\nExecStart=/bin/true\n"),
        f"terok-gate.service at {UNIT_DIR / SERVICE} is not ours (its first line is not '# terok-gate-version: N'); move it away to let gate-reconcile write its own",
    ),
    (
        "not-ours/defined-elsewhere",
        {"mode": "systemd"},
        lambda d: with_unit(
            _missing(SOCKET)(d), SOCKET, fragment_path="/usr/lib/systemd/user/terok-gate.socket"
        ),
        "terok-gate.socket is already defined by /usr/lib/systemd/user/terok-gate.socket, which gate-reconcile did not write; remove it to let gate-reconcile install its own",
    ),
    (
        "base-path-not-a-directory",
        {"mode": "daemon"},
        lambda d: replace(fresh(d), base_path=PathState(d.base_path, "file")),
        "base path /srv/gate exists but is not a directory; move it away",
    ),
    (
        "token-file-a-directory",
        {"mode": "systemd"},
        lambda d: replace(converged_systemd(d), token_file=PathState(d.token_file, "directory")),
        "token file /srv/gate/tokens.json exists but is not a regular file; move it away",
    ),
    (
        "pid-file-a-directory",
        {"mode": "daemon"},
        _pid_file(kind="directory", pid=None, process=None, ours=False),
        f"pid file {PID_FILE} is a directory, not a file; remove it",
    ),
]


def steps(observed_plan: object) -> list[Step]:
    """A plan as (kind, target, reason) triples."""
    return [(a.kind, a.target, a.reason) for a in observed_plan.actions]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("spec", "situation", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_plan(spec: dict[str, object], situation: Situation, expected: list[Step]) -> None:
    """The planner answers each situation with exactly these actions, in this order, for these reasons."""
    desired = make_desired(**spec)
    result = plan(desired, situation(desired))
    assert result.blocked == ()
    assert steps(result) == expected
    assert result.outcome == ("changes" if expected else "in_sync")


@pytest.mark.parametrize(
    ("spec", "situation", "reason"),
    [c[1:] for c in BLOCKED_CASES],
    ids=[c[0] for c in BLOCKED_CASES],
)
def test_blocked(spec: dict[str, object], situation: Situation, reason: str) -> None:
    """Situations a person must resolve give a blocked outcome with the reason and no action at all."""
    desired = make_desired(**spec)
    result = plan(desired, situation(desired))
    assert result.outcome == "blocked"
    assert result.blocked == (reason,)
    assert result.actions == ()
