"""Deferred imports: `import X` binds a stand-in; X's code runs when an attribute is first read.

Why: structlog's package imports `structlog.stdlib`, which imports asyncio (and with it ssl,
concurrent.futures, ...) at the top, although only its async logging methods use it. That
costs the gate's every start about 20 ms that serve no request. Deferring asyncio before
structlog is imported removes the cost while keeping the behaviour: the first time anything
reads an attribute of asyncio (`asyncio.get_running_loop`, `from asyncio import Queue`),
asyncio's own code runs into the very module object every importer holds, exactly as a
normal import would have.

Not `importlib.util.LazyLoader`: on Python 3.11 the `import X` statement itself reads
`X.__spec__`, which makes a LazyLoader module load at once. Here the module attributes the
import system reads (`__spec__`, `__name__`, `__path__`, `__file__`) are already set, and
only an attribute the module lacks triggers the load (`__getattr__`).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from typing import Any

_LOCK = threading.RLock()  # one load at a time; other threads wait for it to finish
_loading: set[str] = set()


class _Deferred(types.ModuleType):
    """A module whose code has not run yet; its class becomes ModuleType once it has."""

    def __getattr__(self, attribute: str) -> Any:
        with _LOCK:
            if type(self) is _Deferred and self.__name__ not in _loading:
                _load(self)
        if type(self) is _Deferred:  # asked for by the module's own code while it loads
            raise AttributeError(
                f"partially initialized module {self.__name__!r} has no attribute {attribute!r}"
            )
        return getattr(self, attribute)


def _load(module: _Deferred) -> None:
    """Run the module's code into the stand-in, as the import system would have."""
    name, spec = module.__name__, module.__spec__
    if spec is None or spec.loader is None:  # defer_import sets both; never the case
        raise ImportError(f"deferred module {name!r} lost its spec", name=name)
    _loading.add(name)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)  # a failed import leaves nothing behind, as usual
        raise
    finally:
        _loading.discard(name)
    plain: type[types.ModuleType] = types.ModuleType
    module.__class__ = plain  # type: ignore[assignment]  # from now on an ordinary module


def defer_import(name: str) -> None:
    """Put a stand-in for the top-level module `name` into sys.modules, unless it is there
    already (then nothing changes) or cannot be found (then `import name` fails as usual)."""
    if name in sys.modules or "." in name:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _Deferred
    sys.modules[name] = module


def is_loaded(name: str) -> bool:
    """Whether `name` is imported and its code has run (a deferred stand-in has not)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, _Deferred)
