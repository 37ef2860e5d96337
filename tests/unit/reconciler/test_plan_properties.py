"""Invariants of the planner over many generated hosts: safe whatever the host looks like."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.actions import (
    RemoveUnit,
    RestartUnit,
    StopDaemon,
    StopUnit,
    WriteUnit,
)
from reconciler.desired import ALL_UNIT_FILES, RECONCILE_SERVICE, SERVICE, SOCKET, TIMER, Desired
from reconciler.observed import (
    ManagerState,
    Observed,
    PathState,
    PidFileState,
    PortState,
    ProcessInfo,
    UnitOnDisk,
    UnitStatus,
    is_gate_with_pid_file,
)
from reconciler.plan import plan
from tests.unit.reconciler.builders import UNIT_DIR, gate_process, make_desired

DESIRED = {mode: make_desired(mode=mode) for mode in ("auto", "systemd", "daemon", "none")}
FOREIGN_TEXT = "[Service]\nExecStart=/bin/true\n"


@st.composite
def unit_files(draw: st.DrawFn, desired: Desired) -> tuple[UnitOnDisk, ...]:
    """Each unit file missing, rendered, edited, foreign, a symlink or masked."""
    files = []
    for name in ALL_UNIT_FILES:
        rendered = (
            desired.unit(name).text
            if name != "terok-gate@.service"
            else "# terok-gate-version: 1\n"
        )
        kind, text, target = draw(
            st.sampled_from(
                [
                    ("missing", None, None),
                    ("file", rendered, None),
                    ("file", rendered + "Nice=1\n", None),
                    ("file", FOREIGN_TEXT, None),
                    ("symlink", rendered, "/opt/unit"),
                    ("symlink", None, "/dev/null"),
                ]
            )
        )
        files.append(UnitOnDisk(name, UNIT_DIR / name, kind, text, target))  # type: ignore[arg-type]
    return tuple(files)


statuses = st.builds(
    UnitStatus,
    name=st.just(""),
    load_state=st.sampled_from(["loaded", "not-found", "masked"]),
    active_state=st.sampled_from(["active", "inactive", "failed", "activating"]),
    unit_file_state=st.sampled_from(["enabled", "disabled", "static", "", "masked"]),
    need_daemon_reload=st.booleans(),
    main_pid=st.sampled_from([0, 77]),
)


@st.composite
def hosts(draw: st.DrawFn, desired: Desired) -> Observed:
    """Any mix of manager, files, unit states, pid file, process and port."""
    manager = ManagerState(draw(st.sampled_from(["running", "absent", "unreachable", "not_asked"])))
    units = tuple(
        replace(draw(statuses), name=n) for n in (SOCKET, SERVICE, RECONCILE_SERVICE, TIMER)
    )
    process = draw(
        st.sampled_from(
            [
                None,
                gate_process(desired.daemon_argv),
                ProcessInfo(4242, ("/usr/sbin/nginx",)),
                gate_process(("x",)),
            ]
        )
    )
    ours = process is not None and is_gate_with_pid_file(process.argv, desired.pid_file)
    pid_file = PidFileState(
        desired.pid_file,
        draw(st.sampled_from(["missing", "file", "symlink", "directory"])),
        pid=4242,
        process=process,
        ours=ours,
    )
    port = PortState(
        desired.port, desired.bind, draw(st.sampled_from(["free", "ours", "foreign"])), holder="x"
    )
    return Observed(
        manager=manager,
        files=draw(unit_files(desired)),
        units=units if manager.answers else (),
        service_process=None,
        pid_file=pid_file
        if pid_file.kind == "file"
        else replace(pid_file, pid=None, process=None, ours=False),
        port=port,
        base_path=PathState(
            desired.base_path, draw(st.sampled_from(["missing", "directory", "file"]))
        ),
        token_file=PathState(desired.token_file, draw(st.sampled_from(["missing", "file"]))),
    )


situations = st.sampled_from(sorted(DESIRED)).flatmap(
    lambda mode: st.tuples(st.just(DESIRED[mode]), hosts(DESIRED[mode]))
)


@settings(max_examples=200, deadline=None)
@given(situations)
def test_planner_invariants(situation: tuple[Desired, Observed]) -> None:
    """Whatever the host: blocked means no action, only our files are removed, only our gate is
    stopped, gate-reconcile.service is never stopped, reload follows every file change."""
    desired, observed = situation
    result = plan(desired, observed)
    if result.blocked:
        assert result.actions == ()
        return
    kinds = [a.kind for a in result.actions]
    for index, action in enumerate(result.actions):
        if isinstance(action, RemoveUnit):
            assert observed.file(action.name).ours
        if isinstance(action, WriteUnit):
            assert action.text == desired.unit(action.name).text
            assert observed.file(action.name).ours or not observed.file(action.name).present
        if isinstance(action, StopDaemon):
            assert is_gate_with_pid_file(action.argv, desired.pid_file)
        if isinstance(action, StopUnit | RestartUnit):
            assert action.name != RECONCILE_SERVICE
        if isinstance(action, WriteUnit | RemoveUnit) and observed.manager.answers:
            assert "daemon_reload" in kinds[index:]
    assert kinds.count("daemon_reload") <= 1
    assert len(set(result.actions)) == len(result.actions)


@settings(max_examples=200, deadline=None)
@given(situations)
def test_planning_is_deterministic(situation: tuple[Desired, Observed]) -> None:
    """The same inputs always give the same plan (no clock, no I/O, no randomness)."""
    desired, observed = situation
    assert plan(desired, observed) == plan(desired, observed)
