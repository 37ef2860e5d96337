"""From the command line to Desired: find the spec, then reuse the rendering an earlier
`apply` kept of exactly these inputs (reconciler/spec_cache.py), else validate and render.

Only `apply` writes the cache; `--dry-run`, `status` and `check` only read it, so they
change nothing on the host, not even a cache file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.desired import Desired, RenderContext, render
from reconciler.installation import GATE_PROGRAM, RECONCILE_PROGRAM, sibling_program
from reconciler.places import cache_path
from reconciler.spec_cache import cache_key, lookup, store
from reconciler.spec_source import SpecSource, find_source, read_spec_bytes, validate_spec
from reconciler.xdg import user_unit_dir


@dataclass(frozen=True)
class Loaded:
    """The rendered spec, where it came from, and whether the cache supplied it."""

    source: SpecSource
    desired: Desired
    from_cache: bool


def load_desired(cli_path: str | None, env: Mapping[str, str], keep: bool) -> Loaded:
    """The Desired of the spec the command line and `env` choose; `keep`: cache it."""
    source = find_source(cli_path, env)
    data = read_spec_bytes(source)
    context = RenderContext(
        unit_dir=user_unit_dir(env),
        reconcile_command=sibling_program(RECONCILE_PROGRAM),
        spec_path=None if source.embedded else source.path,
    )
    key = _key(data, source, env, context)
    path = cache_path(env)
    if key is not None and (cached := lookup(path, key)) is not None:
        return Loaded(source, cached, from_cache=True)
    desired = render(validate_spec(data, source, env), context)
    if keep and key is not None:
        store(path, key, desired)
    return Loaded(source, desired, from_cache=False)


def _key(
    data: bytes, source: SpecSource, env: Mapping[str, str], context: RenderContext
) -> str | None:
    """The cache key, or None when our own files cannot be read (then: no cache)."""
    try:
        return cache_key(data, source.path, env, context, sibling_program(GATE_PROGRAM))
    except OSError:
        return None
