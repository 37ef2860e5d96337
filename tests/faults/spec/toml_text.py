"""Turn generated Python values into TOML text (tomllib only reads; this writes enough)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

Value = Any  # str, int, float, bool, date/time, list or dict of those

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def string(text: str) -> str:
    """A TOML basic string; control characters as \\uXXXX escapes."""
    parts = []
    for char in text:
        if char in _ESCAPES:
            parts.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(char)
    return '"' + "".join(parts) + '"'


def _float(number: float) -> str:
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return repr(number)


def value(item: Value) -> str:
    """A TOML value: scalars, arrays and inline tables, nested as deep as given."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        return _float(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, datetime.date | datetime.time):
        return item.isoformat()
    if isinstance(item, list):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, Mapping):
        return "{" + ", ".join(f"{string(k)} = {value(v)}" for k, v in item.items()) + "}"
    raise TypeError(f"no TOML for {type(item).__name__}")


def document(data: Mapping[str, Value]) -> str:
    """A TOML document: plain keys first, then one [table] per table-valued key."""
    plain = [f"{string(k)} = {value(v)}" for k, v in data.items() if not isinstance(v, Mapping)]
    tables = [
        f"[{string(k)}]\n" + "".join(f"{string(ik)} = {value(iv)}\n" for ik, iv in v.items())
        for k, v in data.items()
        if isinstance(v, Mapping)
    ]
    return "".join(line + "\n" for line in plain) + "\n".join(tables)
