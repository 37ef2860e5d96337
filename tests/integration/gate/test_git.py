"""Real git through the real gate: clone, fetch, push (chunked too), protocol v2, gzip."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import terok_gate
from terok_gate.digest import config_digest
from tests.gate_support.gate import RunningGate, Site
from tests.gate_support.git import commit, git, git_env, head_of
from tests.gate_support.http import basic, get, request_bytes, send_raw
from tests.integration.gate.conftest import ALPHA, BETA


def test_clone_push_fetch_round_trip(gate: RunningGate, site: Site, tmp_path: Path) -> None:
    """A commit pushed from one clone arrives in the bare repository and in another clone."""
    first, second = tmp_path / "first", tmp_path / "second"
    git("clone", "-q", gate.url("alpha", ALPHA), str(first))
    git("clone", "-q", gate.url("alpha", ALPHA), str(second))
    assert (first / "README").read_bytes() == b"alpha\n"
    pushed = commit(first, {"notes.txt": b"from the first clone\n"}, "second commit")
    git("push", "-q", "origin", "main", cwd=first)
    assert head_of(site.base / "alpha.git") == pushed
    git("fetch", "-q", "origin", cwd=second)
    assert git("rev-parse", "origin/main", cwd=second).stdout.strip() == pushed


def test_large_push_goes_chunked(gate: RunningGate, site: Site, tmp_path: Path) -> None:
    """A push bigger than git's 1 MiB post buffer is sent chunked, streamed and stored."""
    work = tmp_path / "work"
    git("clone", "-q", gate.url("beta", BETA), str(work))
    pushed = commit(work, {"blob.bin": os.urandom(3 * 1024 * 1024)}, "three random MiB")
    git("push", "-q", "origin", "main", cwd=work)
    assert head_of(site.base / "beta.git") == pushed

    def big(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in lines if r["method"] == "POST" and r.get("bytes_in", 0) > 2**21]

    pushes = big(gate.wait_requests(lambda lines: bool(big(lines)), "the push's log line"))
    assert len(pushes) == 1
    assert pushes[0]["chunked"] is True
    assert pushes[0]["status"] == 200
    assert pushes[0]["task"] == "task-beta"


def test_ls_remote_speaks_protocol_v2(gate: RunningGate, site: Site) -> None:
    """`git ls-remote` negotiates protocol version 2 through the gate (Git-Protocol forwarded)."""
    result = git(
        "-c", "protocol.version=2", "ls-remote", gate.url("alpha", ALPHA),
        env=git_env(GIT_TRACE_PACKET="1"),
    )  # fmt: skip
    assert f"{head_of(site.base / 'alpha.git')}\trefs/heads/main" in result.stdout
    assert "git< version 2" in result.stderr


def _pkt(line: str) -> bytes:
    return f"{len(line) + 4:04x}{line}".encode()


def test_gzip_request_body_is_inflated(gate: RunningGate, site: Site) -> None:
    """A gzip-encoded upload-pack request works: Content-Encoding reaches http-backend."""
    body = gzip.compress(_pkt("command=ls-refs\n") + b"0000")
    headers = {
        "Authorization": basic(ALPHA),
        "Content-Type": "application/x-git-upload-pack-request",
        "Content-Encoding": "gzip",
        "Git-Protocol": "version=2",
    }
    reply = send_raw(gate.port, request_bytes("POST", "/alpha.git/git-upload-pack", headers, body))
    assert reply.status == 200
    assert f"{head_of(site.base / 'alpha.git')} refs/heads/main".encode() in reply.body


def test_remote_user_is_the_task_id(gate: RunningGate, site: Site, tmp_path: Path) -> None:
    """http-backend runs with REMOTE_USER = the task id: it names the pusher in the reflog."""
    repo = site.base / "alpha.git"
    git("--git-dir", str(repo), "config", "core.logAllRefUpdates", "true")
    work = tmp_path / "work"
    git("clone", "-q", gate.url("alpha", ALPHA), str(work))
    commit(work, {"a": b"1"}, "one")
    git("push", "-q", "origin", "main", cwd=work)
    reflog = (repo / "logs" / "refs" / "heads" / "main").read_text()
    assert "task-alpha <task-alpha@http.127.0.0.1>" in reflog
    assert ALPHA not in reflog


def test_hooks_in_repositories_never_run(gate: RunningGate, site: Site, tmp_path: Path) -> None:
    """A pre-receive hook that would refuse the push is not run: hooks are disabled."""
    marker = tmp_path / "hook-ran"
    hook = site.base / "alpha.git" / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    hook.chmod(0o755)
    work = tmp_path / "work"
    git("clone", "-q", gate.url("alpha", ALPHA), str(work))
    pushed = commit(work, {"b": b"2"}, "two")
    git("push", "-q", "origin", "main", cwd=work)
    assert head_of(site.base / "alpha.git") == pushed
    assert not marker.exists()


def test_head_route_answers_the_default_branch(gate: RunningGate) -> None:
    """GET /<name>.git/HEAD with a token returns the repository's HEAD file."""
    reply = get(gate.port, "/alpha.git/HEAD", ALPHA)
    assert (reply.status, reply.body) == (200, b"ref: refs/heads/main\n")


def test_health_reports_the_configuration_digest(gate: RunningGate, site: Site) -> None:
    """GET /-/health needs no token and reports service, version and the config digest."""
    reply = get(gate.port, "/-/health")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert json.loads(reply.body) == {
        "service": "terok-gate",
        "version": terok_gate.__version__,
        "config_digest": config_digest(site.base, site.token_file),
    }
    assert str(site.base).encode() not in reply.body


def test_access_log_has_one_line_per_request(gate: RunningGate, tmp_path: Path) -> None:
    """Each request logs one JSON line with method, repo, status, bytes, duration and task."""
    get(gate.port, "/alpha.git/info/refs?service=git-upload-pack", ALPHA)
    get(gate.port, "/alpha.git/info/refs?service=git-upload-pack")
    get(gate.port, "/nowhere")

    def ours(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in lines if (r["repo"], r["status"]) != (None, 200)]  # not start-up's

    lines = ours(gate.wait_requests(lambda lines: len(ours(lines)) >= 3, "3 lines"))
    assert [(r["method"], r["repo"], r["status"], r["task"]) for r in lines] == [
        ("GET", "alpha.git", 200, "task-alpha"),
        ("GET", "alpha.git", 401, None),
        ("GET", None, 404, None),
    ]
    assert all(r["bytes"] >= 0 and r["duration_ms"] >= 0 for r in lines)
    assert lines[0]["bytes"] > 0
    assert ALPHA not in gate.stderr()
