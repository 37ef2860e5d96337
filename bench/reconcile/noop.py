"""The variants of a converged, nothing-to-do check, each a Case for the interleaved runner.

Every sample runs real processes and is verified afterwards (untimed): gate-reconcile must
say the host is in sync, Ansible must report every task ok and none changed, the floor's
`systemctl` must answer for our units. A sample that fails its check breaks the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.errors import BenchmarkError
from bench.reconcile import ansible
from bench.reconcile.hosts import IN_SYNC, Host
from bench.reconcile.processes import Finished, expect, measure
from bench.runner import Case
from reconciler.desired import RENDERED_UNITS
from reconciler.host.systemctl import show_argv

OPERATION = "converged"
# The floor of issue 7: the imports every run of a reconciler with our dependencies pays,
# plus the one question a systemd-mode run must ask the manager.
FLOOR_IMPORTS = "import pydantic, structlog, tenacity, sh"
# For reference only: the floor plus what using pydantic costs beyond `import pydantic`
# (which loads little of it): defining and validating one small model.
MODEL = (
    f"{FLOOR_IMPORTS}\n"
    "from pydantic import BaseModel, Field\n"
    "class Spec(BaseModel):\n"
    "    port: int = Field(default=9418, ge=1, le=65535)\n"
    "    base_path: str = '/srv/gate'\n"
    "Spec.model_validate({'port': 9419})\n"
)

Command = tuple[list[str], dict[str, str]]
Verify = Callable[[Sequence[Finished]], None]


@dataclass
class Variant:
    """One way to check the converged host: commands run one after the other per sample."""

    name: str
    commands: list[Command]
    verify: Verify
    output: Path
    runs: list[list[Finished]] = field(default_factory=list)

    def sample(self) -> None:
        """Run the commands (timed by the runner)."""
        self.runs.append([measure(argv, env, self.output) for argv, env in self.commands])

    def check(self) -> None:
        """Verify the last sample (untimed)."""
        self.verify(self.runs[-1])

    def case(self) -> Case:
        """This variant as a case of the interleaved runner."""
        return Case(OPERATION, self.name, self.sample, cleanup=self.check)

    def cpu_seconds(self, count: int) -> list[float]:
        """CPU (user + system, children included) of the last `count` samples."""
        return [round(sum(f.cpu_seconds for f in run), 6) for run in self.runs[-count:]]

    def max_rss_kib(self, count: int) -> list[int]:
        """Peak resident memory of the largest process of each of the last `count` samples."""
        return [max(f.max_rss_kib for f in run) for run in self.runs[-count:]]


def _says(text: str) -> Verify:
    """The run exited 0 and printed `text`."""
    return lambda runs: expect(runs[-1], 0, text)


def _floor_answered(runs: Sequence[Finished]) -> None:
    expect(runs[0], 0)
    expect(runs[1], 0, f"Id={RENDERED_UNITS[0]}")


def _ansible_converged(runs: Sequence[Finished]) -> None:
    expect(runs[0], 0)
    counters = ansible.recap(runs[0].stdout)
    if not ansible.converged(counters):
        raise BenchmarkError(f"Ansible does not find the host converged: {counters}")


def floor_commands(python: Path, systemd: Host, code: str = FLOOR_IMPORTS) -> list[Command]:
    """The bare interpreter importing the four dependencies, then one `systemctl --user show`
    of our units (the very command gate-reconcile runs) against the same manager."""
    return [([str(python), "-c", code], systemd.env), (show_argv(RENDERED_UNITS), systemd.env)]


# gate-reconcile's two ways to check a converged host, and what each prints then.
VERBS = {"dry-run": (["--dry-run"], "in sync"), "apply": (["apply"], IN_SYNC)}


def _ours(host: Host, out: Path) -> list[Variant]:
    """`--dry-run` and `apply` on one host."""
    found = []
    for verb, (args, text) in VERBS.items():
        name = f"{verb}-{host.mode}"
        found.append(Variant(name, [(host.argv(*args), host.env)], _says(text), out / name))
    return found


def cold_cache_env(host: Host, scratch: Path) -> dict[str, str]:
    """The host's environment with an empty spec cache folder: a `--dry-run` there (which
    never writes the cache) validates and renders the spec as the first run after a spec
    change or an upgrade does."""
    return {**host.env, "XDG_CACHE_HOME": str(scratch / "empty-cache")}


def _cold(host: Host, scratch: Path, out: Path) -> Variant:
    """`--dry-run` on `host` without the rendering its last apply kept."""
    name = f"dry-run-{host.mode}-cold"
    command = (host.argv("--dry-run"), cold_cache_env(host, scratch))
    return Variant(name, [command], _says(VERBS["dry-run"][1]), out / name)


def variants(
    systemd: Host, daemon: Host, tool: ansible.Ansible, playbook: Path, scratch: Path
) -> list[Variant]:
    """Every variant of the benchmark, in the order the figures show them."""
    python, out = systemd.product.python, scratch / "outputs"
    out.mkdir(parents=True, exist_ok=True)
    model = floor_commands(python, systemd, MODEL)
    check = [(tool.argv(playbook), tool.env(systemd.env))]
    return [
        Variant("floor", floor_commands(python, systemd), _floor_answered, out / "floor"),
        Variant("floor-model", model, _floor_answered, out / "model"),
        *_ours(systemd, out),
        _cold(systemd, scratch, out),
        *_ours(daemon, out),
        Variant("ansible", check, _ansible_converged, out / "ansible"),
    ]
