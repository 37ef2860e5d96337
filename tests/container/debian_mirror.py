"""Find the Debian mirror this machine's apt uses for a suite, for debootstrap.

Reads both source formats: deb822 stanzas (`URIs:` and `Suites:` fields, in
/etc/apt/sources.list.d/*.sources) and one-line entries (`deb [options] URI suite ...`).
Run as a script it prints the first mirror that serves the suite, or the default one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

DEFAULT_MIRROR = "http://deb.debian.org/debian"


def _deb822_stanzas(text: str) -> Iterator[dict[str, str]]:
    """Yield each stanza as field name (lower case) -> value; comments are dropped."""
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if fields:
            yield fields


def _deb822_mirrors(text: str, suite: str) -> Iterator[str]:
    for stanza in _deb822_stanzas(text):
        enabled = stanza.get("enabled", "yes").lower() != "no"
        binary = "deb" in stanza.get("types", "").split()
        if enabled and binary and suite in stanza.get("suites", "").split():
            yield from stanza.get("uris", "").split()


def _one_line_mirrors(text: str, suite: str) -> Iterator[str]:
    for line in text.splitlines():
        words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
        if len(words) > 2 and words[0] == "deb" and words[2] == suite:
            yield words[1]


def mirrors(sources: Iterable[tuple[str, str]], suite: str) -> list[str]:
    """Mirrors serving `suite`, in order, from (file name, text) pairs of apt sources."""
    found: list[str] = []
    for name, text in sources:
        parse = _deb822_mirrors if name.endswith(".sources") else _one_line_mirrors
        found += [uri.rstrip("/") for uri in parse(text, suite)]
    return found


def system_sources(etc_apt: Path = Path("/etc/apt")) -> list[tuple[str, str]]:
    """The apt source files of this machine, sources.list first."""
    files = [etc_apt / "sources.list"]
    files += sorted((etc_apt / "sources.list.d").glob("*.list"))
    files += sorted((etc_apt / "sources.list.d").glob("*.sources"))
    return [(path.name, path.read_text()) for path in files if path.is_file()]


def main(argv: list[str]) -> int:
    """Print the mirror for the suite given (bookworm by default)."""
    suite = argv[1] if len(argv) > 1 else "bookworm"
    found = mirrors(system_sources(), suite)
    print(found[0] if found else DEFAULT_MIRROR)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
