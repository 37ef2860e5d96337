"""Rendering: golden unit files, argv lists, and `systemd-analyze verify` on normal and hostile values."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.desired import (
    RECONCILE_SERVICE,
    RENDERED_UNITS,
    SERVICE,
    SOCKET,
    TIMER,
    RenderContext,
    render,
)
from reconciler.escape import split_exec_line
from reconciler.spec import parse_spec
from reconciler.unittext import checksum_state, settings, stamp
from tests.unit.reconciler.builders import GATE, RECONCILE, UNIT_DIR, make_desired, make_spec

GOLDEN = Path(__file__).parent / "golden"
HOSTILE = "we %i $x \\ \"q\" 'a' ü"  # % space $ backslash quotes non-ASCII
HOSTILE_PROGRAM_DIR = "bin %n $y ü"  # systemd refuses quotes and backslashes in a program path


@pytest.mark.parametrize("name", RENDERED_UNITS)
def test_golden(name: str) -> None:
    """Each rendered unit is exactly its golden file (set UPDATE_GOLDEN=1 to rewrite them on purpose)."""
    text = make_desired(mode="systemd").unit(name).text
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_every_unit_is_stamped_and_checksummed() -> None:
    """Every rendered file starts with our stamp (unit_version) and carries a valid checksum."""
    for unit in make_desired(mode="systemd", unit_version=7).units:
        assert unit.text.startswith("# terok-gate-version: 7\n")
        assert stamp(unit.text) == 7
        assert checksum_state(unit.text) == "valid"


def test_service_and_daemon_argv() -> None:
    """The socket's service runs the gate on fd 3; the daemon argv is the fixed interface, as a list."""
    desired = make_desired(mode="daemon", port=9500, idle_timeout=60)
    assert desired.service_argv == (
        str(GATE),
        "--base-path",
        "/srv/gate",
        "--token-file",
        "/srv/gate/tokens.json",
        "--idle-timeout",
        "60",
    )
    assert desired.daemon_argv == (
        str(GATE),
        "--detach",
        "--pid-file",
        "/run/user/1000/terok/sandbox/gate-server.pid",
        "--base-path",
        "/srv/gate",
        "--token-file",
        "/srv/gate/tokens.json",
        "--port",
        "9500",
        "--bind",
        "127.0.0.1",
        "--idle-timeout",
        "0",
    )
    exec_start = settings(desired.unit(SERVICE).text)[("Service", "ExecStart")]
    assert split_exec_line(exec_start[0]) == desired.service_argv


def test_ipv6_listen_address() -> None:
    """An IPv6 bind address is bracketed in ListenStream=."""
    desired = make_desired(mode="systemd", bind="::1")
    assert settings(desired.unit(SOCKET).text)[("Socket", "ListenStream")] == ("[::1]:9418",)


def test_timer_runs_apply_with_the_same_spec() -> None:
    """The timer's service runs `gate-reconcile apply --spec <the spec>`; the embedded default needs no --spec."""
    spec = make_desired(mode="systemd").unit(RECONCILE_SERVICE).text
    assert f'ExecStart="{RECONCILE}" "apply"\n' in spec
    with_file = render(make_spec(), RenderContext(UNIT_DIR, RECONCILE, Path("/etc/gate 1.toml")))
    assert (
        f'ExecStart="{RECONCILE}" "apply" "--spec" "/etc/gate 1.toml"\n'
        in with_file.unit(RECONCILE_SERVICE).text
    )
    timer = settings(with_file.unit(TIMER).text)
    assert timer[("Timer", "OnUnitActiveSec")] == ("300s",)
    assert timer[("Timer", "Persistent")] == ("true",)
    assert timer[("Timer", "RandomizedDelaySec")] == ("30s",)


def _installation(root: Path) -> tuple[Path, Path]:
    """A gate and a gate-reconcile program (both real executables) in a hostile directory."""
    bin_dir = root / HOSTILE_PROGRAM_DIR
    bin_dir.mkdir(parents=True)
    for name in ("terok-gate", "gate-reconcile"):
        (bin_dir / name).write_text(f"#!{sys.executable}\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir / "terok-gate", bin_dir / "gate-reconcile"


def _verify(unit_dir: Path) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(
                "systemd-analyze is missing (tests/run.sh installs Debian's systemd package)"
            )
        pytest.skip("systemd-analyze is not installed")
    files = [str(unit_dir / name) for name in RENDERED_UNITS]
    # --user verify needs a runtime directory; the autouse isolation gives a throwaway one.
    return subprocess.run(
        [tool, "--user", "verify", *files], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize(
    ("label", "fields"),
    [
        ("normal", {}),
        (
            "hostile",
            {"base_path": f"{{root}}/{HOSTILE}", "token_file": f"{{root}}/{HOSTILE}/tok %d.json"},
        ),
        ("ipv6-remote", {"bind": "::", "allow_remote": True, "port": 1, "timer": {"interval": 1}}),
    ],
)
def test_rendered_units_pass_systemd_analyze_verify(
    tmp_path: Path, label: str, fields: dict[str, object]
) -> None:
    """`systemd-analyze --user verify` exits 0 with nothing on stderr for every rendered unit."""
    gate, reconcile = _installation(tmp_path)
    data = {k: v.format(root=tmp_path) if isinstance(v, str) else v for k, v in fields.items()}
    spec = parse_spec({**data, "gate_command": str(gate)}, os.environ)
    unit_dir = tmp_path / "units"
    unit_dir.mkdir()
    spec_path = tmp_path / f"spec {HOSTILE}.toml"
    desired = render(spec, RenderContext(unit_dir, reconcile, spec_path))
    for unit in desired.units:
        unit.path.write_text(unit.text)
    result = _verify(unit_dir)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    if label == "hostile":
        argv = split_exec_line(settings(desired.unit(SERVICE).text)[("Service", "ExecStart")][0])
        assert argv == desired.service_argv
        assert HOSTILE in desired.service_argv[2]


def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    """The verify check is not blind: a unit whose program is missing fails it."""
    gate, reconcile = _installation(tmp_path)
    desired = render(
        parse_spec({"gate_command": str(gate)}, os.environ),
        RenderContext(tmp_path, reconcile, None),
    )
    for unit in desired.units:
        unit.path.write_text(unit.text)
    gate.unlink()
    result = _verify(tmp_path)
    assert result.returncode != 0 or result.stderr
