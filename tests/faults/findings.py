"""The bugs the fault and hostile-input tests found, each tied to the test that shows it.

tests/faults/test_reliability.py checks that every named test exists, that the tests of
fixed bugs run normally, and that the tests of reported (not yet fixed) bugs are strict
expected failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GATE = "tests/faults/gate"
SPEC = "tests/faults/spec/test_reported_bugs.py"
MATRIX = "tests/unit/reconciler/test_fault_findings.py"  # found by tests/faults/matrix


@dataclass(frozen=True)
class Finding:
    """One bug: what went wrong, where, whether it is fixed, and the test that shows it."""

    bug: str
    where: str
    status: Literal["fixed", "reported"]
    test: str  # path::function of the test that fails without the fix


FINDINGS: tuple[Finding, ...] = (
    Finding(
        "A client sending its request head a byte at a time (slowloris) kept its connection "
        "and thread forever: the 60 s timeout applied to each read, not to the head. Now a "
        "head must arrive within --header-timeout (408).",
        "terok_gate/deadline.py, handler.py",
        "fixed",
        f"{GATE}/test_slow_clients.py::test_slowloris_heads_get_408_while_others_are_served",
    ),
    Finding(
        "No limit on connections: each got a thread, idle ones piled up without bound. Now "
        "--max-connections places; a connection waiting for a head yields its place to a "
        "newcomer; 503 with Retry-After only when every place serves a request.",
        "terok_gate/pool.py, server.py",
        "fixed",
        f"{GATE}/test_slow_clients.py::test_idle_connections_cannot_starve_a_small_pool",
    ),
    Finding(
        "A request head could be 100 fields of 8 KiB (800 KiB) held in memory while it "
        "arrived: 150 unfinished heads grew the gate's peak RSS by 163 MiB. Now 32 KiB in "
        "all (431); the same load grows it by about 13 MiB.",
        "terok_gate/protocol.py",
        "fixed",
        f"{GATE}/test_memory.py::test_memory_stays_bounded_under_hostile_load",
    ),
    Finding(
        "A git http-backend that hung without output hung its request and thread forever. "
        "Now it is killed after --backend-timeout seconds of silence both ways (504 before "
        "its header; afterwards the answer ends visibly incomplete).",
        "terok_gate/backend.py, server.py",
        "fixed",
        f"{GATE}/test_backend_hangs.py::test_silent_backend_gets_504_and_its_children_die",
    ),
    Finding(
        "Killing a backend (client gone, shutdown grace over) killed git http-backend only; "
        "the git upload-pack or receive-pack it started ran on orphaned and held the "
        "response pipe open. The backend now runs in its own process group, killed whole.",
        "terok_gate/backend.py",
        "fixed",
        f"{GATE}/test_backend_hangs.py::test_backend_silent_after_its_head_ends_incomplete",
    ),
    Finding(
        "A stalled request body (authorized) kept its backend and thread until the client "
        "gave up; now the backend timeout ends it and the access log says why.",
        "terok_gate/backend.py, handler.py",
        "fixed",
        f"{GATE}/test_slow_clients.py::test_stalled_body_ends_with_the_backend_timeout",
    ),
    Finding(
        "A spec of deeply nested arrays or inline tables (1000 levels) ends in a "
        "RecursionError traceback and exit 1 instead of exit 78: read_document caught "
        "only TOMLDecodeError. Now it is exit 78, 'nested too deeply'.",
        "reconciler/spec_source.py",
        "fixed",
        f"{SPEC}::test_deeply_nested_toml_is_a_spec_error",
    ),
    Finding(
        "Spec errors print keys and values raw: a newline splits a message so its second "
        "line names neither file nor field, and escape sequences (ESC, CR) reach the "
        "terminal. Control characters are now escaped (\\n, \\x1b) in every line.",
        "reconciler/spec.py (show, printable), reconciler/spec_errors.py",
        "fixed",
        f"{SPEC}::test_control_characters_never_reach_stderr",
    ),
    Finding(
        "Spec errors echo a value whole: a 100 000-character string gives a 100 000-"
        "character error line. Values are now cut after 80 characters, with their length.",
        "reconciler/spec.py (show, printable)",
        "fixed",
        f"{SPEC}::test_error_lines_stay_readable_however_long_the_value",
    ),
    Finding(
        "A duration of inf (or an integer or string too large for a float) as idle_timeout "
        "or timer.interval crashed validation with an OverflowError traceback; nan gave "
        "Python's own error text, and inf or nan in [apply] were accepted. Durations are "
        "now refused unless they lie between 0 and a year.",
        "reconciler/spec.py (parse_duration)",
        "fixed",
        f"{SPEC}::test_durations_that_are_not_finite_are_spec_errors",
    ),
    Finding(
        "A unit file of ours truncated to zero bytes blocked every apply ('not ours, move it "
        "away'), and the port its socket still held counted as foreign. An empty file is now "
        "rewritten (nothing in it can be lost); once the manager has reloaded it, systemd "
        "reads it as a mask and apply stays blocked, saying so. Matrix row: unit-truncated.",
        "reconciler/observed.py, blocked.py, observe.py, reasons.py",
        "fixed",
        f"{MATRIX}::test_a_unit_cut_to_zero_bytes_is_rewritten_not_blocked",
    ),
    Finding(
        "A hung user manager held apply for a fixed 10 s whatever its deadline (observing "
        "waited 10 s for `systemctl show`), and the message said to start a manager. "
        "Observing now waits at most what is left of the deadline, and a manager that does "
        "not answer is named as such. Matrix row: systemctl-hangs.",
        "reconciler/apply.py, observe.py, host/systemctl.py, blocked.py",
        "fixed",
        f"{MATRIX}::test_a_silent_manager_holds_observe_only_as_long_as_it_is_told",
    ),
    Finding(
        "Where systemctl does not reload by itself (its caller is not in a booted system's "
        "namespace: a container, a toolbox, the test harness), `enable` only edited symlinks; "
        "the manager kept reporting the socket disabled, so apply enabled it again every "
        "round until the deadline (exit 1). enable/disable now run with --no-reload, then one "
        "daemon-reload of ours. Matrix row: socket-disabled.",
        "reconciler/execute.py",
        "fixed",
        f"{MATRIX}::test_enable_and_disable_reload_the_manager_themselves",
    ),
    Finding(
        "Found by the model: a socket unit's file deleted while the gate is idle made the "
        "port look held by 'systemd --user', blocked for good. A unit the manager still runs "
        "from our path is ours for the port too. Matrix row: unit-deleted-idle.",
        "reconciler/observe.py",
        "fixed",
        f"{MATRIX}::test_a_socket_running_from_its_deleted_file_still_holds_the_port_for_us",
    ),
    Finding(
        "Found by the model: a daemon-reload closes a socket's fd when its address changed "
        "(an apply killed between writing the unit and restarting the socket); the socket "
        "stays active with nothing listening and every later apply said 'in sync'. A running "
        "socket with a free port now restarts. Matrix rows: apply-killed-after-reload, "
        "socket-lost-its-fd.",
        "reconciler/plan_units.py",
        "fixed",
        f"{MATRIX}::test_an_active_socket_that_listens_nowhere_is_restarted",
    ),
    Finding(
        "Found by the model: once a socket had lost its fd, a program that took the port was "
        "credited to our socket (apply 'in sync' while another program served the port). The "
        "holder must now be the user manager or a gate. Matrix row: port-taken-from-socket.",
        "reconciler/observe.py",
        "fixed",
        f"{MATRIX}::test_a_port_taken_by_another_program_is_foreign_whatever_our_socket_says",
    ),
    Finding(
        "Found by the model: in daemon mode with no unit file of ours, observe never asked the "
        "manager, so our socket still running from deleted files looked foreign (blocked). "
        "observe now asks after all when it cannot place the port's holder. Matrix row: "
        "units-deleted-then-daemon.",
        "reconciler/observe.py",
        "fixed",
        f"{MATRIX}::test_daemon_mode_asks_the_manager_when_it_cannot_place_the_ports_holder",
    ),
    Finding(
        "Found by the model (in the fix of the truncated unit): a gate still running from a "
        "unit cut to zero bytes was never stopped when the mode no longer wanted it, so the "
        "daemon could not bind the port until the deadline.",
        "reconciler/plan_units.py",
        "fixed",
        f"{MATRIX}::test_a_gate_service_running_from_an_emptied_unit_is_stopped_in_daemon_mode",
    ),
    Finding(
        "Found by the model: both gate unit files deleted and the manager reloaded (an "
        "uninstall by hand) while the gate serves: the units are not-found with no fragment, "
        "the gate runs on, and apply was blocked for good by our own gate ('port held by pid "
        "N (terok-gate ...)'). A running unit of our name with no file anywhere is ours. "
        "Matrix row: units-uninstalled-by-hand.",
        "reconciler/observed.py (runs_from_ours), observe.py, plan_units.py",
        "fixed",
        f"{MATRIX}::test_a_gate_whose_unit_files_were_deleted_and_reloaded_is_still_ours",
    ),
)
