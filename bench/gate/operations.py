"""The git operations timed through every variant, and the checks that they really worked."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from bench.commands import run
from bench.errors import BenchmarkError
from bench.runner import Case

UrlFor = Callable[[str], str]

OPERATIONS = ("ls-remote", "clone-small", "clone-large")


class GitOps:
    """Runs ls-remote and clone with an isolated git environment into a scratch folder."""

    def __init__(self, env: dict[str, str], scratch: Path, heads: dict[str, str]) -> None:
        self.env, self.scratch, self.heads = env, scratch, heads

    def ls_remote(self, url: str, repo: str) -> None:
        """`git ls-remote URL`; it must list the repository's real HEAD."""
        listed = run(["git", "ls-remote", url], env=self.env)
        if f"{self.heads[repo]}\tHEAD" not in listed:
            raise BenchmarkError(f"ls-remote of {repo} did not list HEAD {self.heads[repo]}")

    def clone(self, url: str, target: Path) -> None:
        """`git clone -q URL TARGET` (with checkout, as a task would)."""
        run(["git", "clone", "-q", url, str(target)], env=self.env, timeout=300)

    def check_clone(self, target: Path, repo: str) -> None:
        """The clone holds the repository's HEAD commit; then it is removed."""
        try:
            head = run(["git", "-C", str(target), "rev-parse", "HEAD"], env=self.env).strip()
        finally:
            shutil.rmtree(target, ignore_errors=True)
        if head != self.heads[repo]:
            raise BenchmarkError(f"clone of {repo} has HEAD {head}, expected {self.heads[repo]}")

    def cases(self, variant: str, url_for: UrlFor, prepare: Callable[[], None]) -> list[Case]:
        """The three timed operations through one variant."""
        target = {repo: self.scratch / f"{variant}-{repo}" for repo in ("small", "large")}

        def clone_case(repo: str) -> Case:
            return Case(
                f"clone-{repo}",
                variant,
                run=lambda: self.clone(url_for(repo), target[repo]),
                prepare=prepare,
                cleanup=lambda: self.check_clone(target[repo], repo),
            )

        ls_remote = Case(
            "ls-remote",
            variant,
            run=lambda: self.ls_remote(url_for("small"), "small"),
            prepare=prepare,
        )
        return [ls_remote, clone_case("small"), clone_case("large")]
