"""Tokens: the file's format, fail-closed reloading, one log line per change, the admin token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from terok_gate.grants import ADMIN, Grant, TokenFileError, parse_tokens, token_digest
from terok_gate.tokens import Keyring, TokenFile


def test_both_project_and_scope_are_accepted() -> None:
    """Entries name their project with "project" or, in the later format, "scope"."""
    raw = json.dumps({"t1": {"project": "a", "task": "x"}, "t2": {"scope": "b", "task": "y"}})
    assert parse_tokens(raw.encode()) == {
        token_digest("t1"): Grant("a", "x"),
        token_digest("t2"): Grant("b", "y"),
    }


def test_tokens_are_kept_only_as_digests() -> None:
    """The parsed grants are keyed by SHA-256 digests; the token text is not kept."""
    grants = parse_tokens(b'{"secret-token": {"project": "a", "task": "x"}}')
    assert list(grants) == [token_digest("secret-token")]
    assert len(token_digest("secret-token")) == 32
    assert b"secret-token" not in repr(grants).encode()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"secret": ', "it is not valid JSON"),
        (b"\xff\xfe", "it is not UTF-8 text"),
        (b"[]", "its top level must be an object"),
        (b'{"secret": "alpha"}', 'entry 1 must be an object {"project": ..., "task": ...}'),
        (b'{"ok": {"project": "a", "task": "x"}, "secret": {"task": "t"}}',
         'entry 2 needs a non-empty "project" (or "scope") string'),
        (b'{"secret": {"project": "a"}}', 'entry 1 needs a non-empty "task" string'),
        (b'{"secret": {"project": "a", "task": 7}}', 'entry 1 needs a non-empty "task" string'),
        (b'{"secret": {"project": "", "task": "t"}}', 'entry 1 needs a non-empty "project"'),
        (b'{"": {"project": "a", "task": "t"}}', "entry 1 has an empty token"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_without_showing_a_token(raw: bytes, problem: str) -> None:
    """Every problem names what is wrong and where, but never the token itself."""
    with pytest.raises(TokenFileError) as refused:
        parse_tokens(raw)
    assert str(refused.value).startswith(problem)
    assert "secret" not in str(refused.value)


def _replace(path: Path, content: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(content)
    temporary.chmod(0o600)
    temporary.replace(path)


def _token_file(path: Path) -> TokenFile:
    return TokenFile(path, structlog.get_logger())


def test_changes_are_seen_on_the_next_lookup(tmp_path: Path) -> None:
    """A token added or removed takes effect on the very next lookup."""
    path = tmp_path / "tokens.json"
    _replace(path, '{"a": {"project": "p", "task": "t"}}')
    keyring = Keyring(_token_file(path), admin_digest=None)
    assert keyring.lookup("a") == Grant("p", "t")
    assert keyring.lookup("b") is None
    _replace(path, '{"b": {"project": "p", "task": "u"}}')
    assert keyring.lookup("a") is None
    assert keyring.lookup("b") == Grant("p", "u")


def test_in_place_rewrites_are_seen_too(tmp_path: Path) -> None:
    """A file rewritten in place (same inode, new size) is re-read as well."""
    path = tmp_path / "tokens.json"
    path.write_text('{"a": {"project": "p", "task": "t"}}')
    keyring = Keyring(_token_file(path), admin_digest=None)
    assert keyring.lookup("a") is not None
    path.write_text('{"abc": {"project": "p", "task": "t"}}')
    assert keyring.lookup("a") is None


def test_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    """While stat() shows no change the file is not re-read (one log line in total)."""
    path = tmp_path / "tokens.json"
    _replace(path, '{"a": {"project": "p", "task": "t"}}')
    token_file = _token_file(path)
    with capture_logs() as logs:
        for _ in range(5):
            token_file.grants()
    assert [entry["event"] for entry in logs] == ["token file loaded"]


def test_broken_file_denies_all_and_logs_once_per_change(tmp_path: Path) -> None:
    """Missing, then corrupt: every lookup fails, with one error per change, then it heals."""
    path = tmp_path / "tokens.json"
    keyring = Keyring(_token_file(path), admin_digest=token_digest("root"))
    with capture_logs() as logs:
        assert [keyring.lookup("root") for _ in range(3)] == [None] * 3
        _replace(path, "{ not json")
        assert [keyring.lookup("root") for _ in range(3)] == [None] * 3
        _replace(path, '{"a": {"project": "p", "task": "t"}}')
        assert keyring.lookup("a") == Grant("p", "t")
        assert keyring.lookup("root") == ADMIN
    assert [(e["log_level"], e.get("problem")) for e in logs] == [
        ("error", "No such file or directory"),
        ("error", "it is not valid JSON (Expecting property name enclosed in double quotes at line 1 column 3)"),
        ("info", None),
    ]  # fmt: skip


def test_exposed_file_is_reported(tmp_path: Path) -> None:
    """A token file readable by group or others is reported with a warning when read."""
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    path.chmod(0o644)
    with capture_logs() as logs:
        _token_file(path).grants()
    assert logs[0]["log_level"] == "warning"
    assert logs[0]["mode"] == "0o644"
    assert "chmod 600" in logs[0]["event"]


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    """A token file over 16 MiB is treated as corrupt rather than read into memory."""
    path = tmp_path / "tokens.json"
    with path.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)
    path.chmod(0o600)
    with capture_logs() as logs:
        assert _token_file(path).grants() is None
    assert logs[0]["problem"] == "it is larger than 16777216 bytes"


def test_admin_token_matches_only_exactly(tmp_path: Path) -> None:
    """The admin token grants everything; a prefix or an extension of it grants nothing."""
    path = tmp_path / "tokens.json"
    _replace(path, "{}")
    keyring = Keyring(_token_file(path), admin_digest=token_digest("root-token"))
    assert keyring.lookup("root-token") == ADMIN
    assert ADMIN.allows("any-project")
    assert keyring.lookup("root-toke") is None
    assert keyring.lookup("root-token ") is None


def test_unreadable_file_denies_all(tmp_path: Path) -> None:
    """A token file that cannot be opened (here: a directory) denies every token."""
    path = tmp_path / "tokens.json"
    path.mkdir()
    with capture_logs() as logs:
        assert _token_file(path).grants() is None
    assert [(e["log_level"], e["problem"]) for e in logs] == [("error", "it is not a regular file")]
