"""The same converged host checked by Ansible: ansible-core from PyPI in a venv of its own,
and a playbook with the equivalent tasks, run with `--check --diff` on localhost.

The playbook declares what gate-reconcile's spec declares: our four unit files as
`template` tasks (Jinja templates whose variables are the values gate-reconcile put into
them) and the socket and the timer enabled and started as `systemd_service` tasks with
`scope: user`. Facts are not gathered (none of the tasks needs them), which only makes
Ansible faster. A sample counts only when the recap says every task was ok and none
changed: the comparison is fair only on a host both tools find converged.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.commands import run
from bench.errors import BenchmarkError
from reconciler.desired import RENDERED_UNITS, SOCKET, TIMER
from reconciler.unittext import CHECKSUM_PREFIX, STAMP_PREFIX

# Pinned so that figures of different runs compare; the version is recorded with them.
ANSIBLE_CORE = "ansible-core==2.19.14"
UNITS = RENDERED_UNITS
STARTED = (SOCKET, TIMER)  # what gate-reconcile enables and starts
# Settings whose whole value gate-reconcile fills in from the spec: -> the variable's name.
_FILLED = {
    "ExecStart": "exec_start",
    "ListenStream": "listen",
    "OnActiveSec": "interval",
    "OnUnitActiveSec": "interval",
    "RandomizedDelaySec": "randomized_delay",
}
_HEADERS = ((STAMP_PREFIX, "unit_version"), (CHECKSUM_PREFIX, "checksum"))
_RECAP = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", re.M)


@dataclass(frozen=True)
class Template:
    """A unit file as a Jinja template plus the variables that render it back."""

    text: str
    variables: dict[str, str]


def unit_template(text: str) -> Template:
    """Turn a unit file gate-reconcile rendered into an equivalent Jinja template."""
    variables: dict[str, str] = {}
    lines = []
    for number, line in enumerate(text.split("\n")):
        lines.append(_templated(number, line, variables))
    return Template("\n".join(lines), variables)


def _templated(number: int, line: str, variables: dict[str, str]) -> str:
    if number < len(_HEADERS) and line.startswith(_HEADERS[number][0]):
        prefix, name = _HEADERS[number]
        variables[name] = line.removeprefix(prefix)
        return f"{prefix}{{{{ {name} }}}}"
    key, sep, value = line.partition("=")
    if sep and key in _FILLED:
        variables[_FILLED[key]] = value
        return f"{key}={{{{ {_FILLED[key]} }}}}"
    if "{{" in line or "{%" in line or "{#" in line:
        raise BenchmarkError(f"a unit line would mean something to Jinja: {line!r}")
    return line


def fill(template: Template) -> str:
    """What Jinja renders the template to (plain `{{ name }}` substitution)."""
    text = template.text
    for name, value in template.variables.items():
        text = text.replace(f"{{{{ {name} }}}}", value)
    return text


def playbook(
    templates: Mapping[str, Path], unit_dir: Path, variables: Mapping[str, dict[str, str]]
) -> list[dict[str, object]]:
    """The playbook: one template task per unit file, one systemd_service task per started unit."""
    tasks: list[dict[str, object]] = [
        {
            "name": f"unit file {name}",
            "ansible.builtin.template": {"src": str(templates[name]), "dest": str(unit_dir / name)},
            "vars": variables[name],
        }
        for name in UNITS
    ]
    tasks += [
        {
            "name": f"{name} enabled and started",
            "ansible.builtin.systemd_service": {
                "name": name,
                "scope": "user",
                "enabled": True,
                "state": "started",
            },
        }
        for name in STARTED
    ]
    play = {
        "name": "the terok gate as gate-reconcile's spec says",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": tasks,
    }
    return [play]


def task_count() -> int:
    """How many tasks the playbook has (each must be ok and unchanged)."""
    return len(UNITS) + len(STARTED)


def recap(stdout: str) -> dict[str, int]:
    """The PLAY RECAP counters of the one host (ok, changed, failed, ...)."""
    found = _RECAP.findall(stdout)
    if len(found) != 1:
        raise BenchmarkError(
            f"no single PLAY RECAP line in ansible-playbook's output:\n{stdout[-800:]}"
        )
    _, counters = found[0]
    return {key: int(value) for key, value in (item.split("=") for item in counters.split())}


def converged(counters: Mapping[str, int]) -> bool:
    """Every task ok, nothing changed, failed, skipped or unreachable."""
    quiet = ("changed", "failed", "unreachable", "skipped", "rescued")
    return counters.get("ok") == task_count() and not any(counters.get(k, 0) for k in quiet)


@dataclass(frozen=True)
class Ansible:
    """ansible-playbook from its own venv, with a config of its own."""

    playbook_command: Path
    version: str
    home: Path

    def argv(self, playbook_file: Path) -> list[str]:
        """The check of the converged host."""
        return [
            str(self.playbook_command),
            "-i",
            "localhost,",
            "--check",
            "--diff",
            str(playbook_file),
        ]

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` plus settings that keep Ansible off the machine's own configuration."""
        return {
            **base,
            "ANSIBLE_CONFIG": str(self.home / "ansible.cfg"),
            "ANSIBLE_HOME": str(self.home),
            "ANSIBLE_LOCAL_TEMP": str(self.home / "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
        }


def install(scratch: Path) -> Ansible:
    """ansible-core from PyPI in a fresh venv under scratch (never in the project's venv)."""
    venv, home = scratch / "ansible-venv", scratch / "ansible-home"
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "-q", "--disable-pip-version-check"]
    run([*pip, "install", ANSIBLE_CORE], timeout=600)
    home.mkdir()
    (home / "ansible.cfg").write_text("[defaults]\n")
    command = venv / "bin" / "ansible-playbook"
    version = run([str(command), "--version"]).splitlines()[0].strip()
    return Ansible(command, version, home)


def write_playbook(unit_dir: Path, folder: Path, names: Sequence[str] = UNITS) -> Path:
    """Templates of the unit files now on disk, and the playbook using them, under folder."""
    folder.mkdir(parents=True, exist_ok=True)
    templates, variables = {}, {}
    for name in names:
        template = unit_template((unit_dir / name).read_text())
        templates[name] = folder / f"{name}.j2"
        templates[name].write_text(template.text)
        variables[name] = template.variables
    path = folder / "playbook.json"  # JSON is YAML: no quoting to get wrong
    path.write_text(json.dumps(playbook(templates, unit_dir, variables), indent=1))
    return path
