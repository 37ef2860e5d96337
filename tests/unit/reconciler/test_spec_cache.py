"""The spec cache: a run reuses the rendering of an earlier apply only while every input of
validating and rendering is unchanged, and a bad cache file only costs a validation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler import spec_cache
from reconciler.errors import SpecError
from reconciler.load import Loaded, load_desired
from reconciler.places import cache_path


@dataclass
class Scene:
    """A home, an executable gate command and a spec file naming it."""

    root: Path
    env: dict[str, str]
    gate: Path

    @property
    def spec(self) -> Path:
        """The spec file every load of this test reads."""
        return self.root / "gate.toml"

    def write_spec(self, port: int = 9418, **extra: str) -> None:
        """A daemon-mode spec with this scene's gate command."""
        lines = ['mode = "daemon"', f"port = {port}", f'gate_command = "{self.gate}"']
        lines += [f'{key} = "{value}"' for key, value in extra.items()]
        self.spec.write_text("\n".join(lines) + "\n")

    def load(self, keep: bool = False) -> Loaded:
        """load_desired as the command line calls it, with --spec."""
        return load_desired(str(self.spec), self.env, keep)

    @property
    def cache(self) -> Path:
        """Where the rendering is kept."""
        return cache_path(self.env)


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    """A fresh scene under tmp_path."""
    gate = tmp_path / "bin" / "terok-gate"
    gate.parent.mkdir()
    gate.write_text("#!/bin/sh\nexit 0\n")
    gate.chmod(0o755)
    env = {"HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    made = Scene(tmp_path, env, gate)
    made.write_spec()
    return made


def test_apply_keeps_the_rendering_and_the_next_run_reuses_it(scene: Scene) -> None:
    """The first kept load validates and stores; the next returns an equal Desired from cache."""
    first = scene.load(keep=True)
    again = scene.load()
    assert (first.from_cache, again.from_cache) == (False, True)
    assert again.desired == first.desired and again.source == first.source
    assert scene.cache.stat().st_mode & 0o777 == 0o600
    assert scene.cache.parent.stat().st_mode & 0o777 == 0o700


def test_read_only_commands_never_write_the_cache(scene: Scene) -> None:
    """Without keep (--dry-run, status, check) nothing is written, and nothing is reused."""
    assert not scene.load().from_cache
    assert not scene.cache.exists() and not scene.load().from_cache


def test_an_edited_spec_is_validated_again(scene: Scene) -> None:
    """A changed spec file is a miss: its new port shows, nothing stale is served."""
    scene.load(keep=True)
    scene.write_spec(port=9500)
    loaded = scene.load()
    assert (loaded.from_cache, loaded.desired.port) == (False, 9500)


def test_an_invalid_edit_is_a_spec_error_despite_the_cache(scene: Scene) -> None:
    """After a valid spec was cached, an invalid edit still exits 78 with its message."""
    scene.load(keep=True)
    scene.write_spec(port=70000)
    with pytest.raises(SpecError, match="between 1 and 65535"):
        scene.load()


def test_a_changed_environment_is_validated_again(scene: Scene) -> None:
    """$XDG_RUNTIME_DIR names the default PID file: a new value is a miss with the new path."""
    scene.load(keep=True)
    scene.env["XDG_RUNTIME_DIR"] = str(scene.root / "elsewhere")
    loaded = scene.load()
    assert not loaded.from_cache
    assert loaded.desired.pid_file == scene.root / "elsewhere/terok/sandbox/gate-server.pid"


def test_a_gate_command_no_longer_executable_is_a_spec_error(scene: Scene) -> None:
    """The one host input of validation is checked on every use: no cached pass for it."""
    scene.load(keep=True)
    scene.gate.chmod(0o644)
    with pytest.raises(SpecError, match="is not an executable file"):
        scene.load()


def test_changed_code_is_a_miss(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rendering made by other code (an upgrade, an edited template) is not reused."""
    scene.load(keep=True)
    monkeypatch.setattr(spec_cache, "code_digest", lambda: "other code")
    assert not scene.load().from_cache


def test_the_code_digest_covers_the_templates_and_pydantic() -> None:
    """Every module, the unit templates, the gate's digest and pydantic's version are hashed."""
    names = {path.name for path in spec_cache._code_files()}
    assert {"spec.py", "desired.py", "terok-gate.service", "default.toml"} <= names
    assert {"digest.py", "version.py"} <= names
    assert not any(name.endswith(".pyc") for name in names)


def _tamper(scene: Scene, how: str) -> None:
    scene.load(keep=True)
    if how == "garbage":
        scene.cache.write_text("{not json")
    elif how == "another key":
        document = json.loads(scene.cache.read_text())
        scene.cache.write_text(json.dumps({**document, "key": "0" * 64}))
    elif how == "group-writable":
        scene.cache.chmod(0o620)
    elif how == "owned by another user":
        os.chown(scene.cache, 4321, 4321)
    elif how == "symlink":
        real = scene.cache.with_name("real.json")
        scene.cache.rename(real)
        scene.cache.symlink_to(real)


@pytest.mark.parametrize(
    "how", ["garbage", "another key", "group-writable", "owned by another user", "symlink"]
)
def test_a_cache_file_that_is_damaged_or_not_safely_ours_is_ignored(scene: Scene, how: str) -> None:
    """Garbage, a foreign key, a file others may write or a symlink: validated again."""
    if how == "owned by another user" and os.geteuid() != 0:
        pytest.skip("chown to another user needs root")
    _tamper(scene, how)
    loaded = scene.load()
    assert not loaded.from_cache and loaded.desired.port == 9418


def test_a_damaged_cache_is_replaced_by_the_next_apply(scene: Scene) -> None:
    """The next kept load overwrites a damaged file, and the run after it hits again."""
    _tamper(scene, "garbage")
    scene.load(keep=True)
    assert scene.load().from_cache


def test_an_unwritable_cache_never_fails_the_run(scene: Scene) -> None:
    """A file where the cache folder should be: apply's load still succeeds, uncached."""
    scene.cache.parent.parent.mkdir(parents=True)
    scene.cache.parent.write_text("in the way")
    assert scene.load(keep=True).desired.port == 9418
    assert not scene.load().from_cache


def test_a_cached_run_does_not_import_pydantic(scene: Scene) -> None:
    """The point of the cache: a second run loads its Desired without pydantic or tomllib."""
    scene.load(keep=True)
    code = (
        "import sys; from reconciler.load import load_desired; "
        f"loaded = load_desired({str(scene.spec)!r}, {scene.env!r}, False); "
        "print(loaded.from_cache, sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('pydantic', 'pydantic_core', 'tomllib')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "[]"]
