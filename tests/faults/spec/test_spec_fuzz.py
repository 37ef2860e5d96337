"""Generated spec files through the real CLI entry, in process: every document yields a
plan (exit 0, 2 or 3) or exit 78 with one line per problem naming the file and a field;
never a traceback. The host is the test's throwaway HOME: no user manager answers there,
so observation never runs systemctl."""

from __future__ import annotations

from hypothesis import strategies as st

from reconciler.spec_source import embedded_default
from tests.faults.results import record
from tests.faults.spec.cli_runner import INVALID_SPEC, PLAN_CODES, Runner
from tests.faults.spec.strategies import (
    PRINTABLE,
    documents,
    near_valid_documents,
    run_examples,
    valid_documents,
)

DOCUMENTS = 800
NEAR = 600
VALID = 100
BYTES = 300
MUTATIONS = 300
PLAN_OR_78 = "exit 0/2/3 with a plan, or 78: each line names file and field, no control chars"
RAW_78 = "exit 78 naming the file, or a plan"


def test_generated_documents(runner: Runner) -> None:
    """Structurally valid TOML with wrong types, out-of-range values, unknown keys, odd
    Unicode, nesting and 100 000-character strings: a plan, or 78 naming file and field."""
    ran = run_examples(documents(PRINTABLE), DOCUMENTS, runner.check_document)
    assert INVALID_SPEC in runner.codes, "the generator reaches invalid specs"
    record(
        "spec",
        "generated documents (hypothesis)",
        {"check": PLAN_OR_78, "max examples": DOCUMENTS},
        {
            "examples run": ran,
            "exit codes": runner.exit_codes(),
            "longest stderr line": runner.longest_line,
        },
    )


def test_near_valid_documents(runner: Runner) -> None:
    """Right shape, values valid or just off (ranges, addresses, paths, durations): a plan,
    blocked ones included, or exit 78 naming file and field."""
    ran = run_examples(near_valid_documents(), NEAR, runner.check_document)
    assert set(runner.codes) >= {2, 3, INVALID_SPEC}, "plans, blocked plans and errors"
    record(
        "spec",
        "near-valid documents (hypothesis)",
        {"check": PLAN_OR_78, "max examples": NEAR},
        {"examples run": ran, "exit codes": runner.exit_codes()},
    )


def test_valid_documents_are_plans(runner: Runner) -> None:
    """The control: documents made only of valid values always give a plan."""
    ran = run_examples(valid_documents(), VALID, runner.check_document)
    assert ran > 0 and set(runner.codes) <= PLAN_CODES
    record(
        "spec",
        "valid documents (control)",
        {"check": "always a plan", "max examples": VALID},
        {"examples run": ran, "exit codes": runner.exit_codes()},
    )


def _raw_check(runner: Runner, raw: bytes) -> None:
    code, label, err = runner.run(raw)
    if code == INVALID_SPEC:
        assert err.startswith(f"{label}: ") and err.count("\n") == 1, err[:300]


def test_raw_bytes(runner: Runner) -> None:
    """Arbitrary bytes (invalid UTF-8, invalid TOML): exit 78 with one line naming the
    file, or a plan when the bytes happen to be a valid spec."""
    ran = run_examples(st.binary(max_size=400), BYTES, lambda raw: _raw_check(runner, raw))
    record(
        "spec",
        "raw bytes (hypothesis)",
        {"check": RAW_78, "max examples": BYTES},
        {"examples run": ran, "exit codes": runner.exit_codes()},
    )


def test_mutated_default_spec(runner: Runner) -> None:
    """The shipped default with bytes cut out and others put in: a plan or exit 78."""
    original = embedded_default().read_bytes()

    def check(edit: tuple[int, int, bytes]) -> None:
        start, length, insert = edit
        start %= len(original)
        mutated = original[:start] + insert + original[start + length :]
        code, label, err = runner.run(mutated)
        if code == INVALID_SPEC:
            assert err.startswith(f"{label}: ")

    edits = st.tuples(st.integers(0, 10**6), st.integers(0, 40), st.binary(max_size=8))
    ran = run_examples(edits, MUTATIONS, check)
    record(
        "spec",
        "mutated default spec (hypothesis)",
        {"check": RAW_78, "max examples": MUTATIONS},
        {"examples run": ran, "exit codes": runner.exit_codes()},
    )


HUGE = 5 * 1024 * 1024
NESTED = 100
EXTREMES = [
    'mode = "' + "m" * HUGE + '"\n',  # a 5 MiB value
    '"' + "k" * HUGE + '" = 1\n',  # a 5 MiB unknown key
    "port = " + "[" * NESTED + "]" * NESTED + "\n",  # 100 nested arrays
    "[timer]\ninterval = " + "{a = " * NESTED + "1" + "}" * NESTED + "\n",  # 100 inline tables
    "".join(f'"key-{n}" = {n}\n' for n in range(20_000)),  # 20 000 unknown keys
]


def test_huge_and_deeply_nested_documents(runner: Runner) -> None:
    """5 MiB values and keys, 100 levels of nesting, 20 000 keys: exit 78 naming file and
    field, no traceback (1000 levels are a reported bug, see test_reported_bugs)."""
    for text in EXTREMES:
        runner.check_text(text)
    assert runner.codes == {INVALID_SPEC: len(EXTREMES)}
    record(
        "spec",
        "huge and deeply nested documents",
        {"check": "exit 78 naming file and field", "cases": len(EXTREMES), "nesting": NESTED},
        {"longest stderr line": runner.longest_line},
    )
