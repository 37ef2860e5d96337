"""Who gets in: 401, 403 and 404 exactly as specified, tokens that change while running,
a token file that breaks and heals, and the admin token's only two sources."""

from __future__ import annotations

import base64
import http.client
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.gate_support.gate import (
    GATE,
    RunningGate,
    Site,
    gate_command,
    running_gate,
)
from tests.gate_support.git import git, git_env
from tests.gate_support.http import basic, get, request_bytes, send_raw
from tests.integration.gate.conftest import ALPHA, BETA, TOKENS

INFO_REFS = "/alpha.git/info/refs?service=git-upload-pack"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer " + ALPHA,
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b":only-a-password").decode(),
        "Basic",
    ],
    ids=["missing", "not-basic", "bad-base64", "empty-user", "empty-basic"],
)
def test_no_usable_credentials_is_401_with_challenge(
    shared_gate: RunningGate, authorization: str | None
) -> None:
    """Without a usable Basic user name the gate answers 401 and asks for Basic credentials."""
    headers = {"Authorization": authorization} if authorization else {}
    reply = get(shared_gate.port, INFO_REFS, headers=headers)
    assert reply.status == 401
    assert reply.headers["www-authenticate"].startswith("Basic realm=")


@pytest.mark.parametrize(
    ("token", "method", "target"),
    [
        ("tok-nobody-knows", "GET", INFO_REFS),
        (BETA, "GET", INFO_REFS),
        (BETA, "GET", "/alpha.git/HEAD"),
        (ALPHA, "POST", "/beta.git/git-receive-pack"),
        (ALPHA, "POST", "/beta.git/git-upload-pack"),
        (ALPHA[:-1], "GET", INFO_REFS),
        (ALPHA + "x", "GET", INFO_REFS),
    ],
    ids=["unknown", "other-project", "other-project-head", "push-elsewhere", "fetch-elsewhere",
         "prefix-of-token", "token-plus-one"],
)  # fmt: skip
def test_wrong_token_is_403(shared_gate: RunningGate, token: str, method: str, target: str) -> None:
    """An unknown token, or one of another project, is refused with 403."""
    headers = {"Authorization": basic(token)}
    body = b"0000" if method == "POST" else b""
    reply = send_raw(shared_gate.port, request_bytes(method, target, headers, body))
    assert reply.status == 403


_NOT_ROUTED = [
    ("GET", "/"),
    ("GET", "/alpha.git"),
    ("GET", "/alpha.git/"),
    ("GET", "/alpha.git/config"),
    ("GET", "/alpha.git/description"),
    ("GET", "/alpha.git/objects/info/packs"),
    ("GET", "/alpha.git/objects/ab/cdef0123456789"),
    ("GET", "/alpha.git/refs/heads/main"),
    ("GET", "/tokens.json"),
    ("GET", "/alpha.git/../tokens.json"),
    ("GET", "/../gate/alpha.git/info/refs"),
    ("GET", "/./alpha.git/info/refs"),
    ("GET", "//alpha.git/info/refs"),
    ("GET", "/alpha.git/info//refs"),
    ("GET", "/..git/info/refs"),
    ("GET", "/.alpha.git/info/refs"),
    ("GET", "/%2e%2e/alpha.git/info/refs"),
    ("GET", "/alpha%2egit/info/refs"),
    ("GET", "/alpha.git%2finfo%2frefs"),
    ("GET", "/alpha.git/info/refs%00"),
    ("GET", "/alpha.git/info/refs\x00"),
    ("GET", "/alpha.git\\info\\refs"),
    ("GET", "/alpha.git/info/refs/"),
    ("GET", "/alpha.git/info/refs?service=git-upload-archive"),
    ("GET", "/alpha.git/HEAD?x=1"),
    ("GET", "/alpha.git/git-upload-pack"),
    ("POST", "/alpha.git/info/refs"),
    ("DELETE", "/alpha.git/HEAD"),
    ("PUT", "/alpha.git/git-receive-pack"),
    ("GET", "http://127.0.0.1/alpha.git/info/refs"),
    ("GET", "/-/health/"),
    ("POST", "/-/health"),
]


@pytest.mark.parametrize(
    ("method", "target"), _NOT_ROUTED, ids=[f"{m} {t!r}" for m, t in _NOT_ROUTED]
)
@pytest.mark.parametrize("token", [ALPHA, None], ids=["with-token", "without-token"])
def test_everything_else_is_404(
    shared_gate: RunningGate, method: str, target: str, token: str | None
) -> None:
    """Anything outside the four git routes and the health route is 404, token or not."""
    headers = {"Authorization": basic(token)} if token else {}
    reply = send_raw(shared_gate.port, request_bytes(method, target, headers))
    assert reply.status == 404


def test_tokens_created_and_revoked_take_effect_without_restart(
    gate: RunningGate, site: Site
) -> None:
    """A token added to the file works on the next request; a removed one is refused."""
    newcomer = "tok-newcomer-1b2c"
    assert get(gate.port, INFO_REFS, newcomer).status == 403
    site.write_tokens({**TOKENS, newcomer: {"project": "alpha", "task": "task-new"}})
    assert get(gate.port, INFO_REFS, newcomer).status == 200
    site.write_tokens({newcomer: {"project": "alpha", "task": "task-new"}})
    assert get(gate.port, INFO_REFS, ALPHA).status == 403
    git("ls-remote", gate.url("alpha", newcomer))
    assert gate.process.poll() is None


def _problems(gate: RunningGate) -> list[dict[str, object]]:
    return [line for line in gate.log() if line["event"].startswith("token file unusable")]


@pytest.mark.parametrize(
    "broken",
    ['{"tok": ', "[]", '{"tok": {"project": "alpha"}}', '{"tok": "alpha"}', "\xff"],
    ids=["truncated", "not-an-object", "no-task", "entry-not-object", "not-utf8"],
)
def test_corrupt_token_file_denies_all_then_heals(
    gate: RunningGate, site: Site, broken: str
) -> None:
    """A corrupt file denies every token, logs one error per change, and heals when fixed."""
    site.token_file.write_bytes(broken.encode("latin-1"))
    for _ in range(3):
        assert get(gate.port, INFO_REFS, ALPHA).status == 403
    assert get(gate.port, "/-/health").status == 200
    assert len(_problems(gate)) == 1
    assert ALPHA not in gate.stderr()
    site.write_tokens(TOKENS)
    assert get(gate.port, INFO_REFS, ALPHA).status == 200


def test_missing_token_file_denies_all_then_heals(gate: RunningGate, site: Site) -> None:
    """Without the token file every token is refused; once it is back, they work again."""
    site.token_file.unlink()
    assert get(gate.port, INFO_REFS, ALPHA).status == 403
    assert get(gate.port, INFO_REFS, BETA.replace("beta", "alpha")).status == 403
    assert [p["problem"] for p in _problems(gate)] == ["No such file or directory"]
    site.write_tokens(TOKENS)
    assert get(gate.port, INFO_REFS, ALPHA).status == 200


def test_token_file_readable_by_others_is_reported_at_start(site: Site) -> None:
    """A token file of mode 0644 is reported with a warning when the gate starts."""
    site.token_file.chmod(0o644)
    with running_gate(site) as gate:
        warnings = [line for line in gate.log() if line["level"] == "warning"]
    assert len(warnings) == 1
    assert "chmod 600" in warnings[0]["event"]
    assert warnings[0]["mode"] == "0o644"


ADMIN = "admin-secret-9d8e7f6a5b"


def _assert_admin_works(gate: RunningGate) -> None:
    for project in ("alpha", "beta"):
        git("ls-remote", gate.url(project, ADMIN))

    def served(lines: list[dict[str, Any]]) -> set[str]:
        return {r["repo"] for r in lines if r["method"] == "POST" and r["status"] == 200}

    lines = gate.wait_requests(lambda lines: served(lines) == {"alpha.git", "beta.git"}, "both")
    assert {r["task"] for r in lines if r["status"] == 200 and r["repo"]} == {"admin"}
    assert get(gate.port, INFO_REFS, ADMIN + "x").status == 403
    assert ADMIN.encode() not in Path(f"/proc/{gate.process.pid}/cmdline").read_bytes()
    assert ADMIN not in gate.stderr()


def test_admin_token_from_environment_grants_every_repository(site: Site) -> None:
    """TEROK_GATE_ADMIN_TOKEN grants every repository, and is not in the process arguments."""
    with running_gate(site, env=git_env(TEROK_GATE_ADMIN_TOKEN=ADMIN)) as gate:
        _assert_admin_works(gate)


def test_admin_token_from_private_file_grants_every_repository(site: Site, tmp_path: Path) -> None:
    """--admin-token-file (mode 0600) grants every repository; the token stays out of argv."""
    token_file = tmp_path / "admin-token"
    token_file.write_text(ADMIN + "\n")
    token_file.chmod(0o600)
    with running_gate(site, "--admin-token-file", str(token_file)) as gate:
        _assert_admin_works(gate)


def test_admin_token_file_readable_by_others_is_refused(site: Site, tmp_path: Path) -> None:
    """An admin token file that group or others may read stops the gate at start."""
    token_file = tmp_path / "admin-token"
    token_file.write_text(ADMIN)
    token_file.chmod(0o640)
    result = subprocess.run(
        gate_command(site, "--foreground", "--admin-token-file", str(token_file)),
        capture_output=True, text=True, env=git_env(), timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"chmod 600 {token_file}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "argv", [["--admin-token", ADMIN], [f"--admin-token={ADMIN}"], ["--admin-token"]]
)
def test_admin_token_on_the_command_line_is_refused(site: Site, argv: list[str]) -> None:
    """--admin-token is refused with the reason (visible in ps) and where to put it instead."""
    result = subprocess.run(
        [str(GATE), *site.args(), "--foreground", *argv],
        capture_output=True, text=True, env=git_env(), timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert "/proc/<pid>/cmdline" in result.stderr
    assert "TEROK_GATE_ADMIN_TOKEN" in result.stderr
    assert "--admin-token-file" in result.stderr


def test_one_gate_checks_tokens_per_request_not_per_connection(gate: RunningGate) -> None:
    """On one keep-alive connection each request is judged by its own credentials."""
    conn = http.client.HTTPConnection("127.0.0.1", gate.port, timeout=30)
    statuses = []
    for token in (ALPHA, BETA, None, ALPHA):
        headers = {"Authorization": basic(token)} if token else {}
        conn.request("GET", INFO_REFS, headers=headers)
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    conn.close()
    assert statuses == [200, 403, 401, 200]
