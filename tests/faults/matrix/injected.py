"""What a fault of the matrix leaves for the one apply, and small helpers the faults share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.matrix.scene import Scene
from tests.gate_support.gate import wait_for
from tests.gate_support.git import git
from tests.integration.apply.conftest import TOKEN, Ran


def _no_check(ran: Ran) -> None:
    """Nothing to check beyond what every row checks."""


@dataclass
class Injected:
    """What a fault leaves for the one apply: its environment, what else to check after it,
    and (for the one row that runs two at once) how the apply is run."""

    env: dict[str, str] | None = None
    verify: Callable[[Ran], None] = _no_check
    run: Callable[[Scene], Ran] | None = None
    facts: dict[str, object] = field(default_factory=dict)  # measured, for the report


def unit_path(scene: Scene, name: str) -> Path:
    """Where the manager reads unit `name` from."""
    return scene.host.manager.unit_dir / name


def actions_taken(scene: Scene) -> list[tuple[str, str]]:
    """(kind, target) of every action the last apply took."""
    return [(a["kind"], a["target"]) for a in scene.host.status()["actions"]]


def wait_state(scene: Scene, unit: str, states: tuple[str, ...]) -> None:
    """Until `unit`'s ActiveState is one of `states`."""
    wait_for(lambda: scene.host.prop(unit, "ActiveState") in states, 15, f"{unit} in {states}")


def daemon_pid(scene: Scene) -> int:
    """The pid the daemon's PID file names."""
    return int(scene.host.pid_file.read_text().strip())


def denied(scene: Scene) -> bool:
    """A clone with the task's token fails."""
    url = f"http://{TOKEN}:x@127.0.0.1:{scene.host.port}/alpha.git"
    target = scene.folder / f"denied-{len(list(scene.folder.glob('denied-*')))}"
    return git("clone", "-q", url, str(target), check=False).returncode != 0
