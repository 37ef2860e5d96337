"""A site with planted secrets, and a gate with short limits that hostile tests attack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.gate.wire import ADMIN, Probe, plant_secrets, populate
from tests.gate_support.gate import RunningGate, Site, make_site, running_gate
from tests.gate_support.git import git_env

# Short limits so the tests wait seconds, not the defaults' minutes.
SHORT_LIMITS = ("--header-timeout", "2", "--backend-timeout", "2")


def gate_env(home: Path) -> dict[str, str]:
    """The gate's environment: its own HOME, and the admin token (which grants everything)."""
    home.mkdir(exist_ok=True)
    return git_env(HOME=str(home), TEROK_GATE_ADMIN_TOKEN=ADMIN)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Repositories alpha.git and beta.git, their tokens, and secrets planted around them."""
    site = populate(make_site(tmp_path_factory.mktemp("hostile")))
    plant_secrets(site)
    return site


@pytest.fixture(scope="module")
def hostile_gate(hostile_site: Site) -> Iterator[RunningGate]:
    """One gate with short limits for a module's attacks; it must stop with exit 0."""
    env = gate_env(hostile_site.root / "home")
    with running_gate(hostile_site, *SHORT_LIMITS, env=env) as gate:
        yield gate


@pytest.fixture
def probe(hostile_gate: RunningGate) -> Iterator[Probe]:
    """Raw requests to the module's gate; afterwards the gate must be up and unharmed."""
    probe = Probe(hostile_gate)
    yield probe
    probe.assert_unharmed()


@pytest.fixture
def fresh_site(tmp_path: Path) -> Site:
    """Like hostile_site, for a test that starts a gate with limits of its own."""
    site = populate(make_site(tmp_path))
    plant_secrets(site)
    return site
