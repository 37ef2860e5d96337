"""A site with two projects and their task tokens, and a gate serving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gate_support.gate import RunningGate, Site, make_site, running_gate
from tests.gate_support.git import git_env

ALPHA = "tok-alpha-7f3c9a"  # project alpha, task task-alpha ("project" key)
BETA = "tok-beta-52e1d0"  # project beta, task task-beta ("scope" key, the later format)
TOKENS = {
    ALPHA: {"project": "alpha", "task": "task-alpha"},
    BETA: {"scope": "beta", "task": "task-beta"},
}


def _populate(site: Site) -> Site:
    site.write_tokens(TOKENS)
    site.repo("alpha", {"README": b"alpha\n"})
    site.repo("beta", {"README": b"beta\n"})
    return site


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """Repositories alpha.git and beta.git, each with one commit, and their tokens."""
    return _populate(make_site(tmp_path))


@pytest.fixture(scope="module")
def shared_gate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGate]:
    """One gate for a module's read-only checks (its own HOME, like every test's)."""
    root = tmp_path_factory.mktemp("shared-gate")
    (root / "home").mkdir()
    site = _populate(make_site(root))
    with running_gate(site, env=git_env(HOME=str(root / "home"))) as running:
        yield running


@pytest.fixture
def gate(site: Site) -> Iterator[RunningGate]:
    """A foreground gate serving `site`; it must stop with exit code 0."""
    with running_gate(site) as running:
        yield running
