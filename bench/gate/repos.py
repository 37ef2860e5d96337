"""The repositories served in the gate benchmark, generated deterministically.

The large one is made of incompressible bytes (SHAKE-256 output), so its ~20 MB are
~20 MB on the wire too: zlib cannot shrink them and the transfer is what gets measured.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.commands import run
from bench.gate.git import git_env

MIB = 1024 * 1024


@dataclass(frozen=True)
class RepoSpec:
    """A repository to generate: `commits` commits of `files_per_commit` files each."""

    name: str
    commits: int
    files_per_commit: int
    file_bytes: int


SMALL = RepoSpec("small", commits=3, files_per_commit=4, file_bytes=2048)
LARGE = RepoSpec("large", commits=4, files_per_commit=5, file_bytes=MIB)


def content(repo: str, path: str, size: int) -> bytes:
    """Incompressible, reproducible bytes for one file."""
    return hashlib.shake_256(f"{repo}/{path}".encode()).digest(size)


def _files(spec: RepoSpec, commit: int) -> Sequence[str]:
    return [f"data/c{commit}-f{index}.bin" for index in range(spec.files_per_commit)]


def build(spec: RepoSpec, base: Path, scratch: Path) -> dict[str, object]:
    """Create `<base>/<name>.git` (bare, one pack); return its commit id and size on disk."""
    bare = base / f"{spec.name}.git"
    work = scratch / f"{spec.name}-work"
    env = git_env(scratch)
    run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], env=env)
    work.mkdir(parents=True)
    git = ["git", f"--git-dir={bare}", f"--work-tree={work}"]
    for commit in range(spec.commits):
        for name in _files(spec, commit):
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(content(spec.name, name, spec.file_bytes))
        run([*git, "add", "-A"], env=env)
        run([*git, "commit", "-q", "-m", f"commit {commit}"], env=env)
    run(["git", f"--git-dir={bare}", "repack", "-adq"], env=env)
    head = run(["git", f"--git-dir={bare}", "rev-parse", "HEAD"], env=env).strip()
    return {
        "head": head,
        "bytes_on_disk": _size(bare),
        "files": spec.commits * spec.files_per_commit,
    }


def _size(tree: Path) -> int:
    return sum(path.stat().st_size for path in tree.rglob("*") if path.is_file())
