"""Generated spec documents: wrong types, out-of-range values, unknown keys, odd Unicode,
huge strings and nesting; and a helper that runs a check over generated examples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOP_KEYS = [
    "mode", "port", "allow_remote", "bind", "base_path", "token_file", "pid_file",
    "unit_version", "gate_command", "idle_timeout", "timer", "apply",
]  # fmt: skip
TABLE_KEYS = {
    "timer": ["enabled", "interval"],
    "apply": ["deadline", "backoff_initial", "backoff_max"],
}
INTERESTING = [
    "auto", "systemd", "daemon", "none", "AUTO", "", " ", "5min", "-5min", "1e9h", "30 s",
    "0", "9418", "~", "~/x", "~root/x", "$HOME", "${HOME}/x", "$XDG_RUNTIME_DIR/x",
    "$XDG_BOGUS/x", "${XDG_CONFIG_HOME", "/", "relative/path", "/tmp/with space", "/tmp/%i%n",
    "/tmp/x\u00e9\u4e2d", "127.0.0.1", "::1", "0.0.0.0", "::", "10.0.0.1", "localhost",
    "127.0.0.1:9418", "fe80::1%lo", "/bin/sh", "/nonexistent/terok-gate", "x" * 100_000,
]  # fmt: skip
PRINTABLE = st.characters(blacklist_categories=["Cc", "Cs"])
ANY_CHARACTER = st.characters(blacklist_categories=["Cs"])  # control characters too
PATHS = ["/srv/gate", "~/gate", "$HOME/g", "$XDG_RUNTIME_DIR/g.pid", "$XDG_NOPE/x", "rel/x", "~x"]


def _scalars(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(alphabet, max_size=30),
        st.sampled_from(INTERESTING),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(),
        st.booleans(),
        st.datetimes(),
        st.dates(),
        st.times(),
    )


def _values(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    keys = st.one_of(st.sampled_from(TOP_KEYS), st.text(alphabet, max_size=12))
    return st.recursive(
        _scalars(alphabet),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=12,
    )


def _table(name: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    known = st.fixed_dictionaries({}, optional={key: values for key in TABLE_KEYS[name]})
    return st.one_of(known, values)


def documents(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Spec-shaped documents: known keys (tables too) with values of any type, plus
    unknown keys; structurally valid TOML every time."""
    values = _values(alphabet)
    optional = {key: _table(key, values) if key in TABLE_KEYS else values for key in TOP_KEYS}
    known = st.fixed_dictionaries({}, optional=optional)
    unknown = st.dictionaries(st.text(alphabet, max_size=12), values, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


NEAR_VALID = {
    "mode": st.sampled_from(["auto", "systemd", "daemon", "none", "System", "off"]),
    "port": st.integers(-10, 70_000),
    "allow_remote": st.booleans(),
    "bind": st.sampled_from(["127.0.0.1", "::1", "127.8.9.10", "0.0.0.0", "::", "1.2.3.4", "x"]),
    "base_path": st.sampled_from(PATHS),
    "token_file": st.sampled_from(PATHS),
    "pid_file": st.sampled_from(PATHS),
    "unit_version": st.integers(-2, 2**40),
    "idle_timeout": st.sampled_from([0, 1, 600, "10min", "1.5", -1, "2h", 0.5, "1e3", "5 min"]),
    "timer": st.fixed_dictionaries(
        {},
        optional={
            "enabled": st.booleans(),
            "interval": st.sampled_from([1, 0, 300, "5min", "1h", -3, 2.5, "soon"]),
        },
    ),
    "apply": st.fixed_dictionaries(
        {},
        optional={
            key: st.sampled_from([0, 0.2, 5, "2min", "-1", -0.5, "1e9h", 10**20])
            for key in TABLE_KEYS["apply"]
        },
    ),
}


def near_valid_documents() -> st.SearchStrategy[dict[str, Any]]:
    """Documents of the right shape whose values are often valid and sometimes just off:
    out-of-range ports, non-loopback binds, relative paths, negative durations."""
    return st.fixed_dictionaries({}, optional=NEAR_VALID)


def valid_documents() -> st.SearchStrategy[dict[str, Any]]:
    """Documents made only of valid values."""
    return st.fixed_dictionaries(
        {},
        optional={
            "mode": st.sampled_from(["auto", "systemd", "daemon", "none"]),
            "port": st.integers(1, 65535),
            "idle_timeout": st.sampled_from([0, 30, "10min", "2h"]),
            "timer": st.fixed_dictionaries({}, optional={"interval": st.integers(1, 10**6)}),
        },
    )


_SETTINGS = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def run_examples(strategy: st.SearchStrategy[Any], count: int, check: Callable[[Any], None]) -> int:
    """Run `check` on up to `count` generated examples; return how many ran."""
    ran = [0]

    @settings(_SETTINGS, max_examples=count)
    @given(strategy)
    def attempt(example: Any) -> None:
        ran[0] += 1
        check(example)

    attempt()
    return ran[0]
