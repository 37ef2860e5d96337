"""The configuration digest is stable, path-sensitive and reveals no path."""

from pathlib import Path

from terok_gate.digest import config_digest


def test_digest_depends_on_both_paths() -> None:
    """Changing the base path or the token file changes the digest."""
    base = config_digest(Path("/srv/gate"), Path("/srv/gate/tokens.json"))
    assert base != config_digest(Path("/srv/other"), Path("/srv/gate/tokens.json"))
    assert base != config_digest(Path("/srv/gate"), Path("/srv/gate/other.json"))


def test_digest_is_hex_sha256_without_paths() -> None:
    """The digest is 64 hex characters and contains no part of either path."""
    digest = config_digest(Path("/srv/gate"), Path("/srv/gate/tokens.json"))
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert "srv" not in digest


def test_digest_known_value() -> None:
    """The digest is SHA-256 of the canonical JSON document, so other tools can compute it."""
    import hashlib

    doc = '{"base_path":"/a","token_file":"/a/t.json"}'
    assert config_digest(Path("/a"), Path("/a/t.json")) == hashlib.sha256(doc.encode()).hexdigest()
