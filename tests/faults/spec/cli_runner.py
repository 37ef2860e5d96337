"""gate-reconcile's real CLI entry, run in process on spec files, with its contract checked."""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.spec import printable
from tests.faults.spec.toml_text import document

PLAN_CODES = {0, 2, 3}
INVALID_SPEC = 78
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: they steer terminals


def key_paths(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every key of a document as a dotted path ("timer", "timer.interval"), each key as
    messages show it (control characters escaped, long keys cut)."""
    for key, item in data.items():
        yield prefix + printable(key)
        if isinstance(item, Mapping):
            yield from key_paths(item, f"{prefix}{printable(key)}.")


class Runner:
    """Runs `gate-reconcile --dry-run --spec FILE` in process and checks the contract:
    exit 0, 2 or 3 with a plan on stdout, or 78; never an exception or a traceback."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder, self.capsys = folder, capsys
        self.codes: dict[int, int] = {}
        self.longest_line = 0
        self._names = itertools.count()

    def run(self, raw: bytes) -> tuple[int, str, str]:
        """Write the spec, run the CLI; return its exit code, the file's label and stderr."""
        spec = self.folder / f"gate-{next(self._names)}.toml"
        spec.write_bytes(raw)
        code = main(["--dry-run", "--spec", str(spec)])  # any exception fails the test
        out, err = self.capsys.readouterr()
        self.codes[code] = self.codes.get(code, 0) + 1
        self.longest_line = max([self.longest_line, *map(len, err.split("\n"))])
        assert "Traceback" not in out + err
        assert code in PLAN_CODES | {INVALID_SPEC}, (code, err[:500])
        assert code == INVALID_SPEC or out, "a plan is printed"
        return code, str(spec), err

    def check_document(self, data: Mapping[str, Any]) -> None:
        """Run a generated document; on 78 every line names the file and one of its fields."""
        self._check_lines(self.run(document(data).encode()), data)

    def check_text(self, text: str) -> None:
        """The same for TOML text written by hand."""
        self._check_lines(self.run(text.encode()), tomllib.loads(text))

    def exit_codes(self) -> dict[str, int]:
        """How often each exit code came, for the record."""
        return {str(code): count for code, count in sorted(self.codes.items())}

    @staticmethod
    def _check_lines(result: tuple[int, str, str], data: Mapping[str, Any]) -> None:
        code, label, err = result
        if code != INVALID_SPEC:
            return
        fields = set(key_paths(data)) | {"(top level)"}
        assert err.endswith("\n") and err.strip(), "exit 78 says what is wrong"
        for line in err[:-1].split("\n"):  # what a terminal shows as lines
            assert line.startswith(f"{label}: "), f"line does not name the file: {line[:200]!r}"
            named = line[len(label) + 2 :]  # a key may hold ": " itself: match whole names
            assert any(named.startswith(f"{field}: ") for field in fields), (
                f"no field of the document named: {line[:200]!r}"
            )
            assert not CONTROL.search(line), f"control characters on stderr: {line[:200]!r}"
