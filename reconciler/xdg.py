"""XDG base directories from an environment mapping (pure: the environment is passed in)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

_DEFAULTS = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_STATE_HOME": ".local/state",
    "XDG_DATA_HOME": ".local/share",
    "XDG_CACHE_HOME": ".cache",
}


def home_dir(env: Mapping[str, str]) -> Path:
    """$HOME, else the password database's home of the current user."""
    value = env.get("HOME", "")
    return Path(value) if value.startswith("/") else Path.home()


def xdg_dir(name: str, env: Mapping[str, str]) -> Path:
    """The directory an XDG variable names, with the spec's default when unset or relative.

    $XDG_RUNTIME_DIR has no default in the XDG spec; without it we fall back to the
    state directory (a host without a login session, e.g. a container).
    """
    value = env.get(name, "")
    if value.startswith("/"):
        return Path(value)
    if name == "XDG_RUNTIME_DIR":
        return xdg_dir("XDG_STATE_HOME", env)
    return home_dir(env) / _DEFAULTS[name]


def xdg_names() -> tuple[str, ...]:
    """Every XDG variable a spec may mention."""
    return (*_DEFAULTS, "XDG_RUNTIME_DIR")


def user_unit_dir(env: Mapping[str, str]) -> Path:
    """Where a user's own systemd units live: ${XDG_CONFIG_HOME:-~/.config}/systemd/user."""
    return xdg_dir("XDG_CONFIG_HOME", env) / "systemd" / "user"
