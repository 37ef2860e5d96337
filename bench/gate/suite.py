"""The gate benchmark of issue 3: every server up at once, every operation interleaved."""

from __future__ import annotations

import contextlib
import functools
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import terok_gate
from bench import machine
from bench.errors import BenchmarkError
from bench.gate import imports
from bench.gate.cpu import CpuGroup, CpuMeter, burst
from bench.gate.gate import GateConfig, GateDaemon, SocketGate, wait_healthy, write_token_file
from bench.gate.git import git_env
from bench.gate.install import packages, production_install
from bench.gate.nginx import NginxGit, missing_tools
from bench.gate.operations import OPERATIONS, GitOps, UrlFor
from bench.gate.repos import LARGE, SMALL, build
from bench.options import Options
from bench.runner import Case, Measured, Schedule, interleave
from bench.scratch import closing, opening, scratch_parent, user_manager
from bench.servers import free_port

BENCH_DIR = Path(__file__).resolve().parents[1]
IDLE_TIMEOUT = 1  # seconds: the idle variant's gate exits this long after its last request
WARM_IDLE_TIMEOUT = 3600  # the warm variant must not exit during the run
VARIANTS = ("gate-socket-warm", "gate-socket-idle", "gate-daemon", "nginx", "file")
REFERENCE = {
    "historical_per_request_ls_remote_s": 0.555,
    "historical_python_start_per_request_s": 0.185,
    "nginx_ls_remote_s": 0.018,
    "nginx_clone_small_s": 0.033,
    "source": "issue 3: figures measured on a machine like ours, not by this benchmark",
}


@dataclass
class Site:
    """Every server of the benchmark, running, and how to reach each repository through it."""

    root: Path
    heads: dict[str, str]
    repo_info: dict[str, dict[str, object]]
    urls: dict[str, UrlFor]
    warm: SocketGate
    idle: SocketGate
    daemon: GateDaemon
    nginx: NginxGit
    cpu_groups: dict[str, CpuGroup]
    config: GateConfig
    tokens: dict[str, str]


def ensure_baseline_installed(progress: Callable[[str], None]) -> None:
    """Install nginx and fcgiwrap with bench/install-deps.sh when they are missing."""
    if missing := missing_tools():
        progress(f"installing {missing} with bench/install-deps.sh")
        completed = subprocess.run(["bash", str(BENCH_DIR / "install-deps.sh")], check=False)
        if completed.returncode != 0 or missing_tools():
            raise BenchmarkError(f"cannot install {missing_tools()}: see bench/install-deps.sh")


def _http_url(port: int, tokens: dict[str, str]) -> UrlFor:
    # The gate ignores the password; nginx checks it. Both see the same Basic credentials.
    return lambda repo: f"http://{tokens[repo]}:x@127.0.0.1:{port}/{repo}.git"


def _socket_gates(
    config: GateConfig, root: Path, stack: contextlib.ExitStack
) -> tuple[SocketGate, SocketGate]:
    """The warm and the idle-exiting socket-activated gate, listening under a user manager."""
    manager = user_manager(root, stack, "the socket-activated variants")
    warm = SocketGate(manager, "bench-gate-warm", config, free_port(), WARM_IDLE_TIMEOUT)
    idle = SocketGate(manager, "bench-gate-idle", config, free_port(), IDLE_TIMEOUT)
    for socket_gate in (warm, idle):
        stack.callback(socket_gate.remove)
        socket_gate.install()
    return warm, idle


def _cpu_group(name: str, stack: contextlib.ExitStack) -> CpuGroup:
    """A cgroup for one server's CPU accounting, removed after the server has stopped."""
    group = CpuGroup(name)
    group.create()
    stack.callback(group.remove)
    return group


@contextlib.contextmanager
def site(progress: Callable[[str], None]) -> Iterator[Site]:
    """Build the repositories, start every server, and tear all of it down afterwards."""
    with contextlib.ExitStack() as stack:
        scratch_dir = tempfile.TemporaryDirectory(prefix="bench-gate-", dir=scratch_parent())
        root = Path(stack.enter_context(scratch_dir))
        base, scratch = root / "repos", root / "scratch"
        for folder in (base, root / "nginx", root / "clones"):
            folder.mkdir()
        progress("generating the repositories")
        repo_info = {spec.name: build(spec, base, scratch) for spec in (SMALL, LARGE)}
        tokens = write_token_file(root / "tokens.json", list(repo_info))
        progress("installing the gate as an operator would (wheel + runtime dependencies)")
        config = GateConfig(production_install(scratch), base, root / "tokens.json")
        warm, idle = _socket_gates(config, root, stack)
        groups = {name: _cpu_group(name, stack) for name in ("gate-daemon", "nginx")}
        daemon = GateDaemon(config, free_port(), root / "gate.pid", groups["gate-daemon"].wrap)
        users = {token: "x" for token in tokens.values()}
        nginx = NginxGit(root / "nginx", base, free_port(), users, groups["nginx"].wrap)
        for server in (daemon, nginx):
            stack.callback(server.stop)
            server.start()
        urls: dict[str, UrlFor] = {
            "gate-socket-warm": _http_url(warm.port, tokens),
            "gate-socket-idle": _http_url(idle.port, tokens),
            "gate-daemon": _http_url(daemon.port, tokens),
            "nginx": _http_url(nginx.port, tokens),
            "file": lambda repo: f"file://{base}/{repo}.git",
        }
        heads = {name: str(info["head"]) for name, info in repo_info.items()}
        yield Site(root, heads, repo_info, urls, warm, idle, daemon, nginx, groups, config, tokens)


def _preparation(the_site: Site, variant: str) -> Callable[[], None]:
    """What must hold before each sample of a variant (untimed)."""
    if variant == "gate-socket-idle":
        return lambda: the_site.idle.wait_exited(timeout=IDLE_TIMEOUT + 30)
    if variant == "gate-socket-warm":
        return lambda: _keep_warm(the_site.warm)
    return lambda: None


def _keep_warm(gate: SocketGate) -> None:
    """A warm sample needs the gate running already; start it by a health request if not."""
    if gate.state() != "active":
        wait_healthy(gate.port)


def _metered(case: Case, meter: CpuMeter) -> Case:
    """The case with the server's CPU read right before and right after each sample."""

    def prepare() -> None:
        case.prepare()
        meter.start()

    def cleanup() -> None:
        meter.stop()
        case.cleanup()

    return replace(case, prepare=prepare, cleanup=cleanup)


def cases(the_site: Site, meters: dict[tuple[str, str], CpuMeter]) -> list[Case]:
    """Every (operation, variant) pair as a timed case; metered ones fill `meters`."""
    ops = GitOps(git_env(the_site.root / "scratch"), the_site.root / "clones", the_site.heads)
    groups = the_site.cpu_groups
    timed = []
    for variant in VARIANTS:
        for case in ops.cases(variant, the_site.urls[variant], _preparation(the_site, variant)):
            if variant in groups:
                meters[case.key] = CpuMeter(groups[variant])
                case = _metered(case, meters[case.key])
            timed.append(case)
    return timed


def _cpu_burst(the_site: Site, block: int) -> dict[str, object]:
    """Per ls-remote, the CPU of each server's own processes against all it ran: three
    alternating blocks of `block` back-to-back requests per server."""
    ops = GitOps(git_env(the_site.root / "scratch"), the_site.root / "clones", the_site.heads)
    sums = {variant: [0.0, 0.0] for variant in the_site.cpu_groups}
    for _ in range(3):
        for variant, group in the_site.cpu_groups.items():
            url = the_site.urls[variant]("small")
            total, own = burst(group, functools.partial(ops.ls_remote, url, "small"), block)
            sums[variant][0] += total
            sums[variant][1] += own
    per_request = {
        variant: {
            "total_ms": round(1000 * t / (3 * block), 3),
            "own_ms": round(1000 * o / (3 * block), 3),
        }
        for variant, (t, o) in sums.items()
    }
    return {"requests_per_server": 3 * block, **per_request}


def _measure(options: Options, schedule: Schedule, record: dict[str, object]) -> Measured:
    """Bring every server up, take the interleaved samples, then the start-up profile."""
    loads: list[float] = []

    def progress(message: str) -> None:
        loads.append(machine.load_average()[0])
        options.progress(message)

    meters: dict[tuple[str, str], CpuMeter] = {}
    with site(options.progress) as the_site:
        measured = interleave(cases(the_site, meters), schedule, progress=progress)
        options.progress("splitting server CPU: back-to-back ls-remotes")
        record["server_cpu_burst"] = _cpu_burst(the_site, 5 if options.quick else 50)
        options.progress("measuring the gate's start-up imports")
        runs = 1 if options.quick else 5
        config = the_site.config
        record["imports"] = imports.measure(config, the_site.tokens, runs)
        record["gate_install"] = {
            "what": config.install.description,
            "packages": packages(config.install),
        }
        record["repos"] = the_site.repo_info
    record["server_cpu_s"] = {
        op: {v: meter.last(measured.rounds) for (o, v), meter in meters.items() if o == op}
        for op in OPERATIONS
    }
    record["load_during_max"] = max(loads, default=0.0)
    return measured


def run_gate(options: Options) -> dict[str, object]:
    """Run the whole gate benchmark and return its result (JSON-ready)."""
    ensure_baseline_installed(options.progress)
    result = opening("gate")
    schedule = Schedule(options.samples, options.warmup, time_budget=options.time_budget)
    measured = _measure(options, schedule, result)
    closing(result, schedule, measured, "cases", idle_timeout_s=IDLE_TIMEOUT)
    result["gate_version"] = terok_gate.__version__
    result["samples_s"] = {
        op: {v: [round(s, 6) for s in measured.samples[(op, v)]] for v in VARIANTS}
        for op in OPERATIONS
    }
    result["reference"] = REFERENCE
    return result
