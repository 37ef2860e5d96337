"""The spec: defaults, expansion, validation, where it comes from, and the shipped files."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from reconciler.spec import GateSpec, parse_duration, parse_spec
from reconciler.spec_source import config_path, embedded_default, find_source, load_spec

REPO = Path(__file__).resolve().parents[3]
ENV = {"HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1000", "XDG_STATE_HOME": "/var/state/u"}
GATE = Path(sys.executable)


def test_defaults_match_how_terok_runs_the_gate() -> None:
    """An empty spec means terok's historical defaults (DESIGN.md section 6)."""
    spec = parse_spec({}, ENV, GATE)
    assert (spec.mode, spec.port, spec.bind, spec.allow_remote) == (
        "auto",
        9418,
        "127.0.0.1",
        False,
    )
    assert spec.base_path == Path("/home/u/.local/share/terok/sandbox/gate")
    assert spec.token_file == Path("/home/u/.local/share/terok/sandbox/gate/tokens.json")
    assert spec.pid_file == Path("/run/user/1000/terok/sandbox/gate-server.pid")
    assert spec.gate_command == GATE
    assert (spec.unit_version, spec.idle_timeout, spec.timer.enabled, spec.timer.interval) == (
        1,
        600,
        True,
        300,
    )


def test_embedded_default_is_the_model_default() -> None:
    """specs/default.toml spells out exactly the model's defaults."""
    document = tomllib.loads(embedded_default().read_text())
    assert parse_spec(document, ENV, GATE) == parse_spec({}, ENV, GATE)


@pytest.mark.parametrize(
    "example", sorted((REPO / "specs" / "examples").glob("*.toml")), ids=lambda p: p.stem
)
def test_examples_are_valid_and_name_their_mode(example: Path) -> None:
    """Every example spec validates and sets the mode its file is named after."""
    spec = parse_spec(tomllib.loads(example.read_text()), ENV, GATE)
    assert spec.mode == example.stem


def test_one_example_per_mode() -> None:
    """specs/examples holds one example for each mode."""
    assert sorted(p.stem for p in (REPO / "specs" / "examples").glob("*.toml")) == [
        "auto",
        "daemon",
        "none",
        "systemd",
    ]


def test_token_file_follows_base_path() -> None:
    """Without token_file, the token file is <base_path>/tokens.json."""
    assert parse_spec({"base_path": "/srv/g"}, ENV, GATE).token_file == Path("/srv/g/tokens.json")


def test_expansion_of_home_and_xdg() -> None:
    """~, $HOME, ${XDG_*} expand from the given environment; other $ stays literal."""
    spec = parse_spec(
        {"base_path": "~/g $x", "pid_file": "${XDG_STATE_HOME}/p", "token_file": "$HOME/t"},
        ENV,
        GATE,
    )
    assert spec.base_path == Path("/home/u/g $x")
    assert spec.pid_file == Path("/var/state/u/p")
    assert spec.token_file == Path("/home/u/t")


def test_runtime_dir_falls_back_to_state_dir() -> None:
    """Without $XDG_RUNTIME_DIR (a host without a login session) the pid file lives in the state dir."""
    spec = parse_spec({}, {"HOME": "/home/u"}, GATE)
    assert spec.pid_file == Path("/home/u/.local/state/terok/sandbox/gate-server.pid")


def test_durations() -> None:
    """Durations are seconds or strings with s, min, h."""
    assert [parse_duration(v) for v in (90, 1.5, "30s", "5min", "2h", " 7 ")] == [
        90,
        1.5,
        30,
        300,
        7200,
        7,
    ]
    assert (
        parse_spec({"idle_timeout": "1min", "timer": {"interval": "1h"}}, ENV, GATE).idle_timeout
        == 60
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "must be a number of seconds, got nan"),
        (float("inf"), "must be at most 31536000 seconds (a year), got inf"),
        (10**400, "must be at most 31536000 seconds (a year), got 1000"),
        ("9" * 400, 'must be at most 31536000 seconds (a year), got "999'),
        ("8761h", 'must be at most 31536000 seconds (a year), got "8761h"'),
        (-1, "must not be negative, got -1"),
    ],
)
def test_durations_out_of_range_are_refused_with_a_sentence(value: object, message: str) -> None:
    """nan, inf, numbers too large for a float and more than a year: a spec error, no crash."""
    with pytest.raises(ValidationError) as raised:
        parse_spec({"timer": {"interval": value}}, ENV, GATE)
    assert raised.value.errors()[0]["msg"].startswith(message)


def test_a_year_is_the_longest_duration() -> None:
    """Exactly a year is accepted, as a number and as "8760h"."""
    spec = parse_spec({"idle_timeout": 31536000, "timer": {"interval": "8760h"}}, ENV, GATE)
    assert (spec.idle_timeout, spec.timer.interval) == (31536000, 31536000)


def test_remote_bind_needs_allow_remote() -> None:
    """A non-loopback address is accepted only with allow_remote = true; IPv6 is normalised."""
    assert parse_spec({"bind": "0.0.0.0", "allow_remote": True}, ENV, GATE).bind == "0.0.0.0"
    assert parse_spec({"bind": "0:0::1"}, ENV, GATE).bind == "::1"
    with pytest.raises(ValidationError):
        parse_spec({"bind": "0.0.0.0"}, ENV, GATE)


def test_spec_is_frozen() -> None:
    """A validated spec cannot be changed in place."""
    spec = parse_spec({}, ENV, GATE)
    with pytest.raises(ValidationError):
        spec.port = 1


def test_default_gate_command_is_beside_this_interpreter() -> None:
    """Without gate_command the terok-gate installed beside gate-reconcile (this venv's bin) is used."""
    spec = GateSpec.model_validate({}, context={"env": ENV})
    assert spec.gate_command == Path(sys.executable).absolute().parent / "terok-gate"


def test_sources_in_order_of_precedence(tmp_path: Path) -> None:
    """--spec beats $GATE_RECONCILE_SPEC beats the config file beats the embedded default."""
    env = {"HOME": str(tmp_path), "GATE_RECONCILE_SPEC": "/from/env.toml"}
    assert find_source("cli.toml", env).origin == "--spec"
    assert find_source(None, env).path == Path("/from/env.toml")
    del env["GATE_RECONCILE_SPEC"]
    assert find_source(None, env).origin == "embedded"
    config = config_path(env)
    config.parent.mkdir(parents=True)
    config.write_text("port = 9500\n")
    assert config == tmp_path / ".config/terok/gate.toml"
    loaded = load_spec(None, env, GATE)
    assert (loaded.source.origin, loaded.spec.port) == ("config", 9500)


def test_relative_spec_path_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative --spec is kept for messages but resolved for the timer's command line."""
    monkeypatch.chdir(tmp_path)
    source = find_source("gate.toml", os.environ)
    assert (source.label, source.path) == ("gate.toml", tmp_path / "gate.toml")
