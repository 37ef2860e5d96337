"""The gate-reconcile command: exit codes, --json documents, plans with diffs, and no side effects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.desired import SOCKET
from reconciler.plan import plan
from reconciler.report import plan_text
from tests.unit.reconciler.builders import converged_systemd, make_desired, with_file
from tests.unit.reconciler.spawns import counting_spawns

BIN = Path(sys.executable).parent


def _spec(tmp_path: Path, text: str) -> str:
    path = tmp_path / "gate.toml"
    path.write_text(text + f'\nbase_path = "{tmp_path}/base"\n')
    return str(path)


def _tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under root with its mode and content (for before/after comparisons)."""
    return {
        str(p.relative_to(root)): (p.lstat().st_mode, p.read_bytes() if p.is_file() else b"")
        for p in sorted(root.rglob("*"))
    }


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """--help lists every exit code and the spec's sources."""
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for line in (
        "0   in sync",
        "2   changes pending",
        "3   blocked",
        "1   runtime error",
        "64  usage error",
        "78  invalid spec",
    ):
        assert line in text
    assert "$GATE_RECONCILE_SPEC" in text


@pytest.mark.parametrize(
    "argv", [[], ["--bogus"], ["frobnicate"], ["status", "--dry-run"], ["plan", "extra"]]
)
def test_usage_errors_exit_64(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong command line exits 64 with a message and a hint, no traceback."""
    assert main(argv) == 64
    err = capsys.readouterr().err
    assert err.startswith("gate-reconcile: error: ")
    assert "gate-reconcile: hint: " in err and "Traceback" not in err


def test_dry_run_on_embedded_default_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's main job on a fresh machine: a daemon plan, exit 2, no file and no process created."""
    home = Path(os.environ["HOME"])
    before = _tree(home)
    with counting_spawns() as spawns:
        code = main(["--dry-run"])
    out = capsys.readouterr().out
    assert code == 2
    assert spawns == []
    assert _tree(home) == before
    assert "mode daemon (spec: " in out and "(embedded default)" in out
    assert "start_daemon" in out and "daemon not running" in out


def test_plan_alias_and_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --json` prints version 1, the outcome, actions with kind/target/reason, and blocked."""
    assert main(["plan", "--json", "--spec", _spec(tmp_path, 'mode = "daemon"')]) == 2
    document = json.loads(capsys.readouterr().out)
    assert (document["version"], document["outcome"], document["mode"], document["blocked"]) == (
        1,
        "changes",
        "daemon",
        [],
    )
    assert [a["kind"] for a in document["actions"]] == [
        "create_directory",
        "create_token_file",
        "start_daemon",
    ]
    for action in document["actions"]:
        assert {"kind", "target", "reason"} <= action.keys()
    assert document["actions"][0]["mode"] == "0700"
    assert document["actions"][1]["mode"] == "0600"
    assert document["actions"][2]["argv"][1:3] == ["--detach", "--pid-file"]


def test_in_sync_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing to do (mode none on a clean host) exits 0 and says so in one line."""
    assert main(["--dry-run", "--spec", _spec(tmp_path, 'mode = "none"')]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "in sync: mode none, no gate runs"
    assert main(["--dry-run", "--json", "--spec", _spec(tmp_path, 'mode = "none"')]) == 0
    assert json.loads(capsys.readouterr().out) | {"spec": ""} == {
        "version": 1,
        "outcome": "in_sync",
        "mode": "none",
        "spec": "",
        "actions": [],
        "blocked": [],
    }


def test_blocked_exits_3_with_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """mode = systemd without a user manager is blocked: exit 3, the reason, no action."""
    spec = _spec(tmp_path, 'mode = "systemd"')
    assert main(["--dry-run", "--spec", spec]) == 3
    out = capsys.readouterr().out
    assert "blocked: mode = systemd but no systemd user manager answers" in out
    assert main(["--dry-run", "--json", "--spec", spec]) == 3
    document = json.loads(capsys.readouterr().out)
    assert (document["outcome"], document["actions"], len(document["blocked"])) == (
        "blocked",
        [],
        1,
    )


def test_plan_text_shows_a_unified_diff_for_each_changed_unit() -> None:
    """A rewritten unit is shown as a unified diff from the file on disk to the rendered text."""
    desired = make_desired(mode="systemd")
    edited = desired.unit(SOCKET).text.replace("Accept=no\n", "Accept=no\nBacklog=5\n")
    observed = with_file(converged_systemd(desired), SOCKET, text=edited)
    text = plan_text(plan(desired, observed), desired, observed, "gate.toml")
    assert "write_unit terok-gate.socket: terok-gate.socket edited by hand" in text
    assert f"--- {desired.unit(SOCKET).path} (on disk)" in text
    assert f"+++ {desired.unit(SOCKET).path} (rendered)" in text
    assert "       -Backlog=5\n" in text


def test_status_human_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """status shows the observed state without planning, as text or as a version 1 document."""
    spec = _spec(tmp_path, 'mode = "daemon"')
    assert main(["status", "--spec", spec]) == 0
    text = capsys.readouterr().out
    assert "mode: daemon (effective: daemon)" in text and "user manager: absent" in text
    assert main(["status", "--json", "--spec", spec]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == 1
    assert document["mode"] == {"spec": "daemon", "effective": "daemon"}
    assert document["port"]["status"] == "free"
    assert [f["name"] for f in document["files"]][:2] == ["terok-gate.socket", "terok-gate.service"]


def test_nothing_to_do_imports_no_command_machinery(tmp_path: Path) -> None:
    """A daemon-mode dry-run never imports sh, tenacity or asyncio (cost goal of issue 7)."""
    code = (
        "import sys; from reconciler.cli import main; code = main(['--dry-run', '--spec', sys.argv[1]]);"
        "print([m for m in ('sh', 'tenacity', 'asyncio', 'structlog') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, _spec(tmp_path, 'mode = "daemon"')],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.splitlines()[-1] == "[]", result.stderr


def test_help_imports_neither_the_spec_machinery_nor_dataclasses() -> None:
    """`gate-reconcile --help` loads argparse and the CLI only: no pydantic, planner or
    dataclasses (whose inspect import alone is a third of the rest)."""
    code = (
        "import contextlib, io, sys; from reconciler.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "print([m for m in ('pydantic', 'reconciler.plan', 'dataclasses', 'inspect') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]", result.stderr
