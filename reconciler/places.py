"""Where gate-reconcile keeps its own files (pure: the environment is passed in)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.xdg import xdg_dir

STATE_FOLDER = "gate-reconcile"


def state_dir(env: Mapping[str, str]) -> Path:
    """${XDG_STATE_HOME:-~/.local/state}/gate-reconcile."""
    return xdg_dir("XDG_STATE_HOME", env) / STATE_FOLDER


def status_path(env: Mapping[str, str]) -> Path:
    """status.json, rewritten after every apply."""
    return state_dir(env) / "status.json"


def lock_path(env: Mapping[str, str]) -> Path:
    """The lock: under $XDG_RUNTIME_DIR (gone at logout), else in the state directory."""
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/"):
        return Path(runtime) / "gate-reconcile.lock"
    return state_dir(env) / "lock"


def cache_path(env: Mapping[str, str]) -> Path:
    """The spec cache (spec_cache.py): ${XDG_CACHE_HOME:-~/.cache}/terok/gate-reconcile/desired.json."""
    return xdg_dir("XDG_CACHE_HOME", env) / "terok" / STATE_FOLDER / "desired.json"
