"""The rendered spec of an earlier run, reused while nothing it was made from has changed.

A converged run spends most of its time importing pydantic to validate a spec that has
not changed since the last run. So `apply` keeps its rendering (Desired) in
${XDG_CACHE_HOME:-~/.cache}/terok/gate-reconcile/desired.json under a key that hashes
everything validation and rendering read: the spec file's bytes and path, $HOME and
the $XDG_* variables a spec may name, where our programs are, the unit directory, the code of
gate-reconcile with its templates, pydantic's version and Python's. The one input that
is state of the host, whether the gate command is executable, is checked again on every
use. A miss, a damaged file or one that is not safely ours only means validating again;
the cache can never make a run fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from reconciler.desired import Desired, RenderContext
from reconciler.desired_codec import decode, encode
from reconciler.host.files import read_regular
from reconciler.host.write import make_dirs, write_atomically
from reconciler.installation import is_executable_file
from reconciler.resources import data_dir
from reconciler.xdg import home_dir, xdg_names

CACHE_FORMAT = 1
MAX_CACHE_BYTES = 1 << 20  # a rendering is a few KiB; anything larger is not ours


def cache_key(
    spec_bytes: bytes,
    spec_path: Path,
    env: Mapping[str, str],
    context: RenderContext,
    default_gate: Path,
) -> str:
    """The hex digest of every input of validating and rendering this spec."""
    inputs = {
        "format": CACHE_FORMAT,
        "code": code_digest(),
        "python": sys.version,
        "spec": hashlib.sha256(spec_bytes).hexdigest(),
        "spec_path": str(spec_path),
        "home": str(home_dir(env)),
        "env": {name: env.get(name) for name in ("HOME", *xdg_names())},
        "context": [str(context.unit_dir), str(context.reconcile_command), str(context.spec_path)],
        "default_gate": str(default_gate),
    }
    canonical = json.dumps(inputs, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@cache
def code_digest() -> str:
    """A digest of the code and data that turn a spec into Desired (so an upgrade, or an
    edited checkout, never reuses a rendering made by other code)."""
    digest = hashlib.sha256()
    for path in _code_files():
        data = path.read_bytes()
        digest.update(f"{path}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def _code_files() -> Iterator[Path]:
    package = Path(__file__).resolve().parent
    yield from _files_under(package)  # every module, and the shipped data of a wheel
    for name in ("specs", "units"):
        if not data_dir(name).is_relative_to(package):  # a checkout's data, beside the package
            yield from _files_under(data_dir(name))
    yield package.parent / "terok_gate" / "digest.py"
    yield from _pydantic_version_file()


def _files_under(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        yield from (Path(root, name) for name in sorted(files) if not name.endswith(".pyc"))


def _pydantic_version_file() -> Iterator[Path]:
    """pydantic/version.py, found without importing pydantic; it also pins pydantic-core."""
    import importlib.util

    found = importlib.util.find_spec("pydantic")
    if found is not None and found.origin:
        yield Path(found.origin).parent / "version.py"


def lookup(path: Path, key: str) -> Desired | None:
    """The cached rendering for `key`, or None (missing, stale, damaged or not ours)."""
    try:  # what it says ends up in unit files, so nobody else may have written it
        text = read_regular(path, follow=False, limit=MAX_CACHE_BYTES, private=True)
    except OSError:
        return None
    if text is None:
        return None
    try:
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("key") != key:
            return None
        desired = decode(document.get("desired"))
    except ValueError:  # json's decode errors included
        return None
    # what validation checks of the gate command, and can change between runs
    return desired if is_executable_file(desired.gate_command) else None


def store(path: Path, key: str, desired: Desired) -> None:
    """Keep `desired` under `key`; a cache that cannot be written is silently skipped."""
    document = {"format": CACHE_FORMAT, "key": key, "desired": encode(desired)}
    try:
        make_dirs(path.parent, 0o700)
        write_atomically(path, (json.dumps(document, indent=1) + "\n").encode(), 0o600)
    except OSError:
        pass  # read-only or full file system: the next run validates again
