"""Turn pydantic's validation errors into one plain line per problem (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.spec import GateSpec, printable, show

_TYPE_WORDS = {
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "model_type": "must be a table",
    "dict_type": "must be a table",
    "path_type": "must be a path (a string)",
}


def problem_lines(error: ValidationError, label: str) -> tuple[str, ...]:
    """`<label>: <field>: <what is wrong>` for every error pydantic found."""
    return tuple(
        f"{printable(label, 400)}: {_field(e['loc'])}: {printable(_message(e), 400)}"
        for e in error.errors()
    )


def _field(loc: Sequence[int | str]) -> str:
    return ".".join(printable(str(part)) for part in loc) or "(top level)"


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "spec":
        return str(error["ctx"]["problem"])
    if kind == "extra_forbidden":
        return f"unknown key; known keys here: {', '.join(_known_keys(error['loc'][:-1]))}"
    if kind == "literal_error":
        return f"must be one of {error['ctx']['expected']}, got {show(error['input'])}"
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]}, got {show(error['input'])}"
    return str(error["msg"])


def _known_keys(loc: Sequence[int | str]) -> list[str]:
    model: type[BaseModel] = GateSpec
    for part in loc:
        annotation = model.model_fields[str(part)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return list(model.model_fields)
