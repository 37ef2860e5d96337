"""Spec inputs that once broke the contract (bugs found by the spec fuzzing, now fixed):
deep nesting, control characters and huge values in error messages, keys holding ": ",
durations that are not finite."""

from __future__ import annotations

import pytest

from tests.faults.spec.cli_runner import INVALID_SPEC, Runner
from tests.faults.spec.strategies import ANY_CHARACTER, documents, run_examples

DEEP = 1000


@pytest.mark.parametrize("nested", ["[" * DEEP + "]" * DEEP, "{a = " * DEEP + "1" + "}" * DEEP])
def test_deeply_nested_toml_is_a_spec_error(runner: Runner, nested: str) -> None:
    """1000 nested arrays or inline tables: exit 78 naming the file, not a traceback."""
    code, label, err = runner.run(f"port = {nested}\n".encode())
    assert code == INVALID_SPEC and err.startswith(f"{label}: ")


@pytest.mark.parametrize(
    "text",
    [
        'mode = "a\\nb"\n',  # a newline in a value splits the message in two lines
        '"a\\nb" = 1\n',  # a newline in an unknown key
        'mode = "\\u001b[2J\\u001b[H"\n',  # an escape sequence that clears the terminal
        'port = "\\r9418"\n',
    ],
)
def test_control_characters_never_reach_stderr(runner: Runner, text: str) -> None:
    """Keys and values with control characters: every line names file and field, and no
    control character is written to the terminal."""
    runner.check_text(text)


@pytest.mark.parametrize("text", ['"a: b" = 1\n', '[timer]\n": " = 2\n'])
def test_keys_holding_colon_space_are_named_whole(runner: Runner, text: str) -> None:
    """An unknown key with ": " in it is named whole, so the line still names file and field."""
    runner.check_text(text)


DURATIONS = [
    "idle_timeout", "timer.interval", "apply.deadline", "apply.backoff_initial", "apply.backoff_max",
]  # fmt: skip
NOT_FINITE = [
    pytest.param("inf", id="inf"),
    pytest.param("nan", id="nan"),
    pytest.param('"' + "9" * 400 + '"', id="400-digits"),  # float() makes it inf
]


@pytest.mark.parametrize("number", NOT_FINITE)
@pytest.mark.parametrize("field", DURATIONS)
def test_durations_that_are_not_finite_are_spec_errors(
    runner: Runner, field: str, number: str
) -> None:
    """inf, nan or an overflowing number as a duration: exit 78 naming the field (not a crash)."""
    table, _, key = field.rpartition(".")
    text = (f"[{table}]\n" if table else "") + f"{key} = {number}\n"
    code, label, err = runner.run(text.encode())
    assert code == INVALID_SPEC, f"{text!r} was accepted: {code}"
    assert err.startswith(f"{label}: {field}: "), err
    assert "Value error" not in err, f"a Python exception's text, not a sentence: {err}"


def test_generated_documents_with_control_characters(runner: Runner) -> None:
    """The generated documents of test_spec_fuzz, with control characters in strings."""
    run_examples(documents(ANY_CHARACTER), 800, runner.check_document)


def test_error_lines_stay_readable_however_long_the_value(runner: Runner) -> None:
    """A 100 000-character value gives an error line a person can read (under 1000 chars)."""
    code, _, err = runner.run(('mode = "' + "x" * 100_000 + '"\n').encode())
    assert code == INVALID_SPEC
    assert max(len(line) for line in err.split("\n")) < 1000
