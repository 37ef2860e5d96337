"""Unit texts: our stamp, our checksum (hand edits), settings, and the legacy socket."""

from __future__ import annotations

from reconciler.unittext import checksum_state, is_legacy_socket, settings, stamp, with_checksum

TEXT = "# terok-gate-version: 4\n[Socket]\nListenStream=127.0.0.1:9418\nAccept=no\n"


def test_stamp_only_on_the_first_line() -> None:
    """The version stamp counts only as the very first line."""
    assert stamp(TEXT) == 4
    assert stamp("[Unit]\n# terok-gate-version: 4\n") is None
    assert stamp("# terok-gate-version: four\n") is None
    assert stamp("") is None


def test_checksum_tells_untouched_from_edited() -> None:
    """A rendered text checks out; any edit, even of a comment, is detected; the stamp stays first."""
    rendered = with_checksum(TEXT)
    assert stamp(rendered) == 4
    assert checksum_state(rendered) == "valid"
    assert checksum_state(rendered.replace("9418", "9419")) == "edited"
    assert checksum_state(rendered + "# note\n") == "edited"
    assert checksum_state(TEXT) == "absent"


def test_settings_by_section_and_key() -> None:
    """Settings are read per section, repeated keys keep their order, comments are skipped."""
    text = "[Socket]\n# c\nListen=a\nListen = b\n[Install]\nWantedBy=x\n"
    assert settings(text) == {("Socket", "Listen"): ("a", "b"), ("Install", "WantedBy"): ("x",)}


def test_legacy_socket_needs_our_stamp_and_accept_yes() -> None:
    """The historical manager's socket is stamped and Accept=yes; Accept=no or unstamped is not it."""
    assert is_legacy_socket(TEXT.replace("Accept=no", "Accept=yes"))
    assert not is_legacy_socket(TEXT)
    assert not is_legacy_socket("[Socket]\nAccept=yes\n")
