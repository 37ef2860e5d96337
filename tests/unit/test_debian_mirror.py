"""The container check finds the Debian mirror apt uses, in both apt source formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.container.debian_mirror import DEFAULT_MIRROR, main, mirrors, system_sources

_DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Enabled: no
"""

_ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb-src http://source.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one.example/debian bookworm main
deb http://other.example/debian trixie main
"""


def test_deb822_stanza_serving_the_suite_wins() -> None:
    """A deb822 stanza naming the suite gives its URI; security and disabled stanzas do not."""
    assert mirrors([("debian.sources", _DEB822)], "bookworm") == ["http://mirror.example/debian"]


def test_one_line_entries_skip_comments_sources_and_options() -> None:
    """One-line entries: comments and deb-src are ignored, [options] are stepped over."""
    assert mirrors([("sources.list", _ONE_LINE)], "bookworm") == ["http://one.example/debian"]
    assert mirrors([("sources.list", _ONE_LINE)], "trixie") == ["http://other.example/debian"]


def test_files_are_read_in_apt_order(tmp_path: Path) -> None:
    """sources.list comes before sources.list.d, and disabled files are not read."""
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(_ONE_LINE)
    (tmp_path / "sources.list.d" / "debian.sources").write_text(_DEB822)
    (tmp_path / "sources.list.d" / "old.list.disabled").write_text("deb http://x/ bookworm main\n")
    found = mirrors(system_sources(tmp_path), "bookworm")
    assert found == ["http://one.example/debian", "http://mirror.example/debian"]


def test_default_mirror_when_nothing_serves_the_suite(capsys: pytest.CaptureFixture[str]) -> None:
    """With no source for the suite the script prints Debian's default mirror."""
    assert main(["debian_mirror.py", "no-such-suite"]) == 0
    assert capsys.readouterr().out == f"{DEFAULT_MIRROR}\n"
