"""The configuration digest shared by the gate's health route and gate-reconcile.

A supervisor compares it with the digest of the configuration it wants, so it can prove
that the process on the port serves that configuration without any path being revealed.
"""

import hashlib
import json
from pathlib import Path


def config_digest(base_path: Path, token_file: Path) -> str:
    """Return the SHA-256 hex digest of the effective configuration (absolute paths)."""
    document = {"base_path": str(base_path.absolute()), "token_file": str(token_file.absolute())}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
