"""Where the spec comes from, and load_spec(): read, parse, validate or raise SpecError.

Precedence: --spec PATH, else $GATE_RECONCILE_SPEC, else
${XDG_CONFIG_HOME:-~/.config}/terok/gate.toml when it exists, else the embedded
default (the shipped specs/default.toml).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from reconciler.errors import SpecError
from reconciler.resources import data_dir
from reconciler.xdg import xdg_dir

if TYPE_CHECKING:  # pydantic loads only when a spec is validated (see validate_spec)
    from reconciler.spec import GateSpec

ENV_VARIABLE = "GATE_RECONCILE_SPEC"
Origin = Literal["--spec", "$GATE_RECONCILE_SPEC", "config", "embedded"]


@dataclass(frozen=True)
class SpecSource:
    """Which file the spec was read from, and how it was chosen."""

    origin: Origin
    path: Path
    label: str

    @property
    def embedded(self) -> bool:
        """True for the shipped default spec."""
        return self.origin == "embedded"


@dataclass(frozen=True)
class LoadedSpec:
    """A valid spec and where it came from."""

    spec: GateSpec
    source: SpecSource


def embedded_default() -> Path:
    """The shipped default spec: specs/default.toml."""
    return data_dir("specs") / "default.toml"


def config_path(env: Mapping[str, str]) -> Path:
    """${XDG_CONFIG_HOME:-~/.config}/terok/gate.toml."""
    return xdg_dir("XDG_CONFIG_HOME", env) / "terok" / "gate.toml"


def find_source(cli_path: str | None, env: Mapping[str, str]) -> SpecSource:
    """Choose the spec file by precedence (see the module docstring)."""
    if cli_path:
        return SpecSource("--spec", Path(cli_path).absolute(), cli_path)
    if env.get(ENV_VARIABLE):
        value = env[ENV_VARIABLE]
        return SpecSource("$GATE_RECONCILE_SPEC", Path(value).absolute(), value)
    configured = config_path(env)
    if configured.exists() or configured.is_symlink():
        return SpecSource("config", configured, str(configured))
    default = embedded_default()
    return SpecSource("embedded", default, f"{default} (embedded default)")


def read_spec_bytes(source: SpecSource) -> bytes:
    """The spec file's bytes; a failure to read becomes a SpecError line."""
    try:
        return source.path.read_bytes()
    except OSError as error:
        raise SpecError((f"{source.label}: cannot read: {error.strerror or error}",)) from None


def parse_document(data: bytes, source: SpecSource) -> dict[str, object]:
    """Decode and parse the TOML text; every failure becomes a SpecError line."""
    import tomllib

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError((f"{source.label}: not UTF-8 text: {error.reason}",)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError((f"{source.label}: invalid TOML: {error}",)) from None
    except RecursionError:  # tomllib recurses once per nesting level
        raise SpecError((f"{source.label}: invalid TOML: nested too deeply",)) from None


def validate_spec(
    data: bytes, source: SpecSource, env: Mapping[str, str], gate_command: Path | None = None
) -> GateSpec:
    """Parse and validate the spec file's bytes; SpecError with one line per problem."""
    from pydantic import ValidationError

    from reconciler.spec import parse_spec
    from reconciler.spec_errors import problem_lines

    document = parse_document(data, source)
    try:
        return parse_spec(document, env, gate_command)
    except ValidationError as error:
        raise SpecError(problem_lines(error, source.label)) from None


def load_spec(
    cli_path: str | None, env: Mapping[str, str], gate_command: Path | None = None
) -> LoadedSpec:
    """Find, read and validate the spec; raises SpecError with one line per problem."""
    source = find_source(cli_path, env)
    return LoadedSpec(validate_spec(read_spec_bytes(source), source, env, gate_command), source)
