"""Escaping and quoting of values for systemd unit files (pure).

systemd reads ExecStart= as words, each may be double-quoted with C-style backslash
escapes inside; it then expands specifiers (`%x`, so `%` is written `%%`) on the whole
line and environment variables (`$X`, so `$` is written `$$`) in the arguments but not
in the program path. The program path may not contain quotes or backslashes at all
(systemd refuses such a unit), so those are rejected instead of escaped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

_UNSAFE_IN_PROGRAM = ('"', "'", "\\")


def control_characters(text: str) -> list[str]:
    """The control, line- and paragraph-separator characters in `text`, as escapes."""
    found = [c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")]
    return [repr(c)[1:-1] for c in found]


def escape_specifiers(text: str) -> str:
    """Make `%` literal in any unit file value."""
    return text.replace("%", "%%")


def quote_argument(arg: str) -> str:
    """Quote one ExecStart= argument so systemd passes exactly `arg`."""
    inner = arg.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escape_specifiers(inner).replace("$", "$$") + '"'


def program_problem(path: str) -> str | None:
    """Why systemd would refuse `path` as the program of ExecStart=, or None."""
    if not path.startswith("/"):
        return "must be an absolute path"
    if control_characters(path):
        return "may not contain control characters"
    if any(c in path for c in _UNSAFE_IN_PROGRAM):
        return "systemd cannot run a program whose path contains quotes or backslashes"
    return None


def quote_program(path: str) -> str:
    """Quote the program path of ExecStart= (no variable expansion happens there)."""
    problem = program_problem(path)
    if problem:
        raise ValueError(f"{path!r}: {problem}")
    return '"' + escape_specifiers(path) + '"'


def exec_line(argv: Sequence[str]) -> str:
    """Render an argument vector as the value of ExecStart=."""
    return " ".join([quote_program(argv[0]), *(quote_argument(a) for a in argv[1:])])


def split_exec_line(line: str) -> tuple[str, ...] | None:
    """Read back a value written by exec_line; None when it is not in that form."""
    words: list[str] = []
    rest = line.strip()
    while rest:
        parsed = _read_quoted(rest, first=not words)
        if parsed is None:
            return None
        word, rest = parsed
        words.append(word)
        rest = rest.lstrip(" ")
    return tuple(words)


def _read_quoted(text: str, first: bool) -> tuple[str, str] | None:
    """Split one double-quoted word off `text`, undoing our escapes."""
    if not text.startswith('"'):
        return None
    out: list[str] = []
    i = 1
    while i < len(text):
        c = text[i]
        pair = text[i : i + 2]
        if c == '"':
            return "".join(out), text[i + 1 :]
        if c == "\\" or pair == "%%" or (pair == "$$" and not first):
            out.append(pair[1])
            i += 2
            continue
        out.append(c)
        i += 1
    return None
