"""Bodies are streamed: cloning and pushing a repository of more than 200 MB keeps the
gate's peak RSS (VmHWM) under 100 MiB."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.gate_support.gate import Site, proc_status, running_gate
from tests.gate_support.git import git, git_env, head_of

BLOBS, BLOB_BYTES = 22, 10 * 1024 * 1024  # 220 MiB of random (incompressible) data
LIMIT_KIB = 100 * 1024
BIG, SINK = "tok-big-source", "tok-sink-target"
# Big random blobs are stored whole and never deltified or recompressed, which keeps
# the test's own git work short; the gate's job (moving the bytes) is the same.
_FAST = ["-c", "core.bigFileThreshold=1m", "-c", "pack.compression=0", "-c", "core.compression=0"]


def _fast_import(repo: Path) -> None:
    """Fill `repo` with one commit of BLOBS random blobs, streamed into git fast-import."""
    importer = subprocess.Popen(
        ["git", *_FAST, "--git-dir", str(repo), "fast-import", "--quiet"],
        stdin=subprocess.PIPE, env=git_env(),
    )  # fmt: skip
    assert importer.stdin is not None
    for mark in range(1, BLOBS + 1):
        importer.stdin.write(b"blob\nmark :%d\ndata %d\n" % (mark, BLOB_BYTES))
        importer.stdin.write(os.urandom(BLOB_BYTES) + b"\n")
    files = b"".join(b"M 644 :%d blob-%02d.bin\n" % (m, m) for m in range(1, BLOBS + 1))
    importer.stdin.write(b"commit refs/heads/main\ncommitter T <t@t> 0 +0000\ndata 3\nbig\n")
    importer.stdin.write(files + b"\n")
    importer.stdin.close()
    assert importer.wait(timeout=300) == 0


def _kib(value: str) -> int:
    number, unit = value.split()
    assert unit == "kB"
    return int(number)


def test_clone_and_push_of_220_mib_keep_the_gate_under_100_mib(site: Site, tmp_path: Path) -> None:
    """The gate streams a 220 MiB clone and a 220 MiB chunked push with VmHWM < 100 MiB."""
    source = site.repo("big")
    for key, value in (("core.bigFileThreshold", "1m"), ("pack.compression", "0")):
        git("--git-dir", str(source), "config", key, value)
    _fast_import(source)
    sink = site.repo("sink")
    git("--git-dir", str(sink), "config", "receive.unpackLimit", "1")
    site.write_tokens(
        {BIG: {"project": "big", "task": "t"}, SINK: {"project": "sink", "task": "s"}}
    )
    with running_gate(site) as gate:
        clone = tmp_path / "clone.git"
        git(*_FAST, "clone", "-q", "--bare", gate.url("big", BIG), str(clone))
        git(*_FAST, "--git-dir", str(clone), "push", "-q", gate.url("sink", SINK), "main")
        peak = _kib(proc_status(gate.process.pid, "VmHWM"))
        lines = gate.wait_requests(
            lambda lines: any(
                r["repo"] == "sink.git" and r["method"] == "POST" and r["bytes_in"] > 2**27
                for r in lines
            ),
            "the push",
        )
    assert head_of(sink) == head_of(source)
    assert max(r["bytes"] for r in lines) > BLOBS * BLOB_BYTES, "the clone went through the gate"
    assert max(r.get("bytes_in", 0) for r in lines) > BLOBS * BLOB_BYTES, "so did the push"
    assert any(r.get("chunked") for r in lines if r["repo"] == "sink.git")
    assert peak < LIMIT_KIB, f"gate peak RSS {peak} KiB"
