"""A git http-backend that hangs: the gate kills it (and what it started) after the
backend timeout, answers 504 or ends the response visibly incomplete, and serves on."""

from __future__ import annotations

from pathlib import Path

from tests.faults.gate.wire import ADMIN, ALPHA, Probe, auth, head
from tests.faults.results import record
from tests.gate_support.gate import Site, fake_exec_path, running_gate, wait_for

REFS = "/alpha.git/info/refs?service=git-upload-pack"
# Unusual sleep lengths mark the processes, so the test can find them in /proc.
SILENT = "#!/bin/sh\nsleep 617.25 &\nwait\n"
HEAD_THEN_SILENT = (
    "#!/bin/sh\nprintf 'Status: 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\npartial'\n"
    "sleep 618.25 &\nwait\n"
)


def _sleepers(seconds: str) -> list[int]:
    """PIDs of live `sleep <seconds>` processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if argv[:2] == [b"sleep", seconds.encode()] and state != "Z":
            found.append(int(entry.name))
    return found


def _gate_env(site: Site, script: str) -> dict[str, str]:
    env = fake_exec_path(site.root / "exec", script)
    (site.root / "home").mkdir(exist_ok=True)
    return env | {"HOME": str(site.root / "home"), "TEROK_GATE_ADMIN_TOKEN": ADMIN}


def test_silent_backend_gets_504_and_its_children_die(fresh_site: Site) -> None:
    """A backend that writes nothing: 504 after the backend timeout, and the child it
    started (holding the same output pipe) is killed with it."""
    with running_gate(fresh_site, "--backend-timeout", "1", env=_gate_env(fresh_site, SILENT)) as g:
        probe = Probe(g)
        answer = probe.send(head("GET", REFS, auth(ALPHA)))
        wait_for(lambda: _sleepers("617.25") == [], 15, "the backend's child to be killed")
        probe.assert_unharmed()
        lines = g.wait_requests(lambda lines: any(r["status"] == 504 for r in lines), "504")
    assert (answer.status, answer.body) == (504, b"gateway timeout\n")
    timed_out = [r for r in lines if r["status"] == 504]
    assert timed_out[0]["reason"] == "git http-backend silent for 1 s: killed"
    record(
        "gate",
        "backend silent from the start",
        {"check": "504 after the backend timeout; the backend and its children killed"},
    )


def test_backend_silent_after_its_head_ends_incomplete(fresh_site: Site) -> None:
    """A backend that stops mid-body: the chunked answer ends without its last chunk, so
    the client sees it is incomplete, and the connection closes."""
    env = _gate_env(fresh_site, HEAD_THEN_SILENT)
    with running_gate(fresh_site, "--backend-timeout", "1", env=env) as gate:
        probe = Probe(gate)
        keep_alive = f"GET {REFS} HTTP/1.1\r\nHost: g\r\n{auth(ALPHA)}\r\n\r\n".encode()
        answer = probe.send(keep_alive, half_close=False)
        wait_for(lambda: _sleepers("618.25") == [], 15, "the backend's child to be killed")
        probe.assert_unharmed()
    assert answer.status == 200
    assert b"Transfer-Encoding: chunked" in answer.data
    assert answer.body == b"7\r\npartial\r\n", "no last chunk: the client knows it is cut off"
    record(
        "gate",
        "backend silent after its head",
        {"check": "answer left without its last chunk, connection closed, children killed"},
    )
