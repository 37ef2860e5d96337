"""Real git, run the way a task container runs it: no prompts, no system config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.invalid",
}


def git_env(**extra: str) -> dict[str, str]:
    """The environment for git in tests: never prompt, ignore the system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        _IDENTITY, GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", GIT_ASKPASS="/bin/false"
    )
    env.update(extra)
    return env


def git(
    *args: str, cwd: Path | None = None, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git; on failure the assertion shows its stderr."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env or git_env(), capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stderr}"
    return result


def bare_repo(path: Path, files: dict[str, bytes] | None = None) -> Path:
    """Create a bare repository; with `files`, give it one commit on main holding them."""
    git("init", "-q", "--bare", "-b", "main", str(path))
    if files:
        work = path.with_name(path.name + ".seed")
        git("init", "-q", "-b", "main", str(work))
        commit(work, files, "initial commit")
        git("push", "-q", str(path), "main", cwd=work)
    return path


def commit(work: Path, files: dict[str, bytes], message: str) -> str:
    """Write files into a work tree, commit them, and return the new commit id."""
    for name, data in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    git("add", "--all", cwd=work)
    git("commit", "-q", "-m", message, cwd=work)
    return git("rev-parse", "HEAD", cwd=work).stdout.strip()


def head_of(repo: Path, ref: str = "refs/heads/main") -> str:
    """The commit a ref points at, read straight from the repository."""
    return git("--git-dir", str(repo), "rev-parse", ref).stdout.strip()
