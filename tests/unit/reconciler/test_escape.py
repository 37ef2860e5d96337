"""Values reach systemd exactly: quoting, specifiers, variables, and what systemd cannot run."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.escape import (
    control_characters,
    exec_line,
    program_problem,
    quote_argument,
    quote_program,
    split_exec_line,
)


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("/srv/gate", '"/srv/gate"'),
        ("/a b", '"/a b"'),
        ("/50%", '"/50%%"'),
        ("/$HOME", '"/$$HOME"'),
        ("/a\\b", '"/a\\\\b"'),
        ('/say "hi"', '"/say \\"hi\\""'),
        ("/it's", '"/it\'s"'),
        ("/grüße", '"/grüße"'),
    ],
)
def test_quote_argument(value: str, quoted: str) -> None:
    """Each special character of an argument is escaped the way systemd reads it back."""
    assert quote_argument(value) == quoted


def test_program_keeps_dollar_and_escapes_percent() -> None:
    """The program path gets no variable expansion from systemd, only specifier expansion."""
    assert quote_program("/opt/50% $x ü/terok-gate") == '"/opt/50%% $x ü/terok-gate"'


@pytest.mark.parametrize(
    "path", ['/opt/"q"/gate', "/opt/it's/gate", "/opt/a\\b/gate", "relative/gate", "/a\nb"]
)
def test_programs_systemd_refuses(path: str) -> None:
    """A program path with quotes, backslashes, control characters or no leading / is refused."""
    assert program_problem(path) is not None
    with pytest.raises(ValueError):
        quote_program(path)


def test_control_characters_are_named() -> None:
    """Control and line-separator characters are found and shown as escapes."""
    assert control_characters("a\tb\x7fc\u2028") == ["\\t", "\\x7f", "\\u2028"]
    assert control_characters("/plain ü path") == []


safe_programs = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\"'\\"),
    max_size=20,
).map(lambda s: "/" + s)
arguments = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)


@given(safe_programs, st.lists(arguments, max_size=5))
def test_exec_line_round_trips(program: str, args: list[str]) -> None:
    """Reading back a rendered ExecStart= gives exactly the argument vector that was written."""
    argv = (program, *args)
    assert split_exec_line(exec_line(argv)) == argv


@pytest.mark.parametrize("line", ["/bin/true", '"/bin/true" unquoted', '"/bin/true" "open'])
def test_split_refuses_other_forms(line: str) -> None:
    """A hand-written ExecStart= that is not in our quoted form is not guessed at."""
    assert split_exec_line(line) is None
