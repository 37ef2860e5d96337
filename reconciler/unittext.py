"""Reading unit file texts: our version stamp, our checksum, and their settings (pure)."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

STAMP_PREFIX = "# terok-gate-version: "
CHECKSUM_PREFIX = "# gate-reconcile-checksum: "
_STAMP = re.compile(r"^# terok-gate-version: (\d+)\s*$")

ChecksumState = Literal["valid", "edited", "absent"]
Settings = dict[tuple[str, str], tuple[str, ...]]


def stamp(text: str) -> int | None:
    """N from a first line `# terok-gate-version: N`; None when the file is not ours."""
    first = text.split("\n", 1)[0]
    match = _STAMP.match(first)
    return int(match.group(1)) if match else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def with_checksum(text: str) -> str:
    """Insert the checksum of `text` as the second line (the stamp stays first)."""
    first, _, rest = text.partition("\n")
    return f"{first}\n{CHECKSUM_PREFIX}{_digest(text)}\n{rest}"


def checksum_state(text: str) -> ChecksumState:
    """Whether the text is unchanged since we rendered it, edited, or has no checksum."""
    lines = text.split("\n")
    if len(lines) < 2 or not lines[1].startswith(CHECKSUM_PREFIX):
        return "absent"
    recorded = lines[1].removeprefix(CHECKSUM_PREFIX).strip()
    original = "\n".join([lines[0], *lines[2:]])
    return "valid" if recorded == _digest(original) else "edited"


def settings(text: str) -> Settings:
    """Every `Key=value` by (section, key), values in order; comments and blanks skipped."""
    found: dict[tuple[str, str], list[str]] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif "=" in line:
            key, _, value = line.partition("=")
            found.setdefault((section, key.strip()), []).append(value.strip())
    return {where: tuple(values) for where, values in found.items()}


def is_legacy_socket(text: str) -> bool:
    """The historical manager's socket: stamped by us, but Accept=yes (one process per connection)."""
    accept = settings(text).get(("Socket", "Accept"), ())
    return stamp(text) is not None and any(v.lower() in ("yes", "true", "1", "on") for v in accept)
