"""The spec cache on a real host: a converged run after `apply` loads no pydantic, and an
edited spec is still seen at once (real user manager, real gate, real git)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.gate_support.gate import free_port
from tests.integration.apply.conftest import RECONCILE, GateHost, Ran

pytestmark = pytest.mark.integration


def _profiled(host: GateHost, *args: str) -> tuple[Ran, set[str]]:
    """Run gate-reconcile under `python -X importtime`: its result and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(RECONCILE), *args, "--spec", str(host.spec)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    other = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import"))
    return Ran(done.returncode, done.stdout, other), imported


def _top_packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("mode", ["systemd", "daemon"])
def test_a_converged_run_after_apply_loads_no_pydantic(gate_host: GateHost, mode: str) -> None:
    """After an apply kept the rendering, --dry-run and apply are in sync without pydantic."""
    gate_host.populate()
    gate_host.write_spec(mode)
    gate_host.apply()
    for args in (("--dry-run",), ("apply",)):
        ran, imported = _profiled(gate_host, *args)
        assert ran.code == 0, f"{args} exited {ran.code}:\n{ran.out}\n{ran.err}"
        assert "in sync" in ran.out
        assert "reconciler.cli" in imported  # the profile is of gate-reconcile itself
        assert not {"pydantic", "pydantic_core", "tomllib"} & _top_packages(imported)
    gate_host.clone_works()


def test_a_spec_edited_after_apply_is_seen_at_once(gate_host: GateHost) -> None:
    """A new port in the spec: --dry-run reports the change, apply moves the gate there."""
    gate_host.populate()
    gate_host.write_spec("systemd")
    gate_host.apply()
    old_port = gate_host.port
    gate_host.port = new_port = _other_free_port(old_port)
    gate_host.write_spec("systemd")
    ran, imported = _profiled(gate_host, "--dry-run")
    assert ran.code == 2, f"--dry-run exited {ran.code}:\n{ran.out}\n{ran.err}"
    assert f"127.0.0.1:{new_port}" in ran.out and "pydantic" in _top_packages(imported)
    gate_host.apply()
    assert gate_host.prop("terok-gate.socket", "Listen") == f"127.0.0.1:{new_port} (Stream)"
    gate_host.clone_works()


def test_an_invalid_edit_after_apply_is_still_exit_78(gate_host: GateHost) -> None:
    """A cached rendering never hides a spec that has become invalid: exit 78, file named."""
    gate_host.write_spec("daemon")
    gate_host.apply()
    gate_host.spec.write_text(gate_host.spec.read_text().replace('"daemon"', '"sometimes"'))
    for args in (("--dry-run",), ("apply",), ("check",)):
        ran = gate_host.run(*args)
        assert ran.code == 78, f"{args} exited {ran.code}:\n{ran.out}\n{ran.err}"
        assert ran.err.startswith(f"{gate_host.spec}: mode: ")


def _other_free_port(taken: int) -> int:
    port = free_port()
    while port == taken:
        port = free_port()
    return port
