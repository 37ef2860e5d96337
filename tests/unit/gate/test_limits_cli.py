"""The limit options: defaults when left out, and nonsense values refused as usage errors."""

from __future__ import annotations

import pytest

from terok_gate import limits
from terok_gate.cli import build_parser

REQUIRED = ["--base-path", "/srv/gate", "--token-file", "/srv/gate/tokens.json", "--foreground"]


def test_defaults() -> None:
    """Without the options the gate uses the documented defaults."""
    args = build_parser().parse_args(REQUIRED)
    assert (args.header_timeout, args.max_connections, args.backend_timeout) == (
        limits.HEADER_TIMEOUT,
        limits.MAX_CONNECTIONS,
        limits.BACKEND_TIMEOUT,
    )


@pytest.mark.parametrize(
    "flags",
    [
        ["--header-timeout", "0"],
        ["--header-timeout", "-1"],
        ["--header-timeout", "inf"],
        ["--backend-timeout", "nan"],
        ["--max-connections", "0"],
        ["--max-connections", "1.5"],
    ],
)
def test_nonsense_limits_are_usage_errors(
    flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A limit of zero, below zero, infinite or not a number exits 2 naming the option."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*REQUIRED, *flags])
    assert exited.value.code == 2
    assert flags[0] in capsys.readouterr().err
