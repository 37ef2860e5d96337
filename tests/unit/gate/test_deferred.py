"""Deferred imports: the module's code runs on first use, into the object importers hold."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from terok_gate.deferred import defer_import, is_loaded

PACKAGE = "deferred_probe_pkg"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A throwaway package on sys.path whose __init__ records each time its code runs."""
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text(
        textwrap.dedent(
            """
            import time
            from . import counter
            counter.runs.append(1)
            time.sleep(0.05)  # long enough for threads to pile up on the first load
            from .sub import ANSWER
            VALUE = ANSWER + 1
            """
        )
    )
    (root / "counter.py").write_text("runs = []\n")
    (root / "sub.py").write_text("ANSWER = 41\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def _run(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_import_binds_a_stand_in_and_first_attribute_runs_the_code(package: Path) -> None:
    """`import` after deferral runs nothing; the first missing attribute runs the module once,
    into the same object, and later reads are plain attribute reads."""
    defer_import(PACKAGE)
    import deferred_probe_pkg as probe  # type: ignore[import-not-found]

    assert not is_loaded(PACKAGE) and "deferred_probe_pkg.counter" not in sys.modules
    assert probe.VALUE == 42
    assert is_loaded(PACKAGE) and sys.modules[PACKAGE] is probe
    assert probe.counter.runs == [1] and type(probe).__name__ == "module"


def test_threads_racing_for_the_first_attribute_see_one_complete_load(package: Path) -> None:
    """Eight threads touching the stand-in at once all get the value; the code ran once."""
    defer_import(PACKAGE)
    module = sys.modules[PACKAGE]
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(module.VALUE)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [42] * 8
    assert module.counter.runs == [1]


def test_from_import_and_submodule_import_load_it_as_usual(package: Path) -> None:
    """`from pkg import name` loads the package; `import pkg.sub` works on the stand-in."""
    defer_import(PACKAGE)
    import deferred_probe_pkg.sub  # type: ignore[import-not-found]

    assert deferred_probe_pkg.sub.ANSWER == 41
    from deferred_probe_pkg import VALUE

    assert VALUE == 42 and is_loaded(PACKAGE)


def test_a_module_whose_code_fails_raises_on_use_and_leaves_nothing_behind(
    package: Path,
) -> None:
    """An error in the module's code surfaces at first use and the module is not kept."""
    (package / "__init__.py").write_text("raise RuntimeError('broken on purpose')\n")
    defer_import(PACKAGE)
    module = sys.modules[PACKAGE]
    with pytest.raises(RuntimeError, match="broken on purpose"):
        _ = module.anything
    assert PACKAGE not in sys.modules


def test_missing_loaded_or_dotted_names_are_left_alone() -> None:
    """Nothing changes for an unknown module, one already imported, or a submodule name."""
    before = dict(sys.modules)
    defer_import("no_such_module_anywhere")
    defer_import("json")
    defer_import("email.message")
    assert "no_such_module_anywhere" not in sys.modules
    assert sys.modules["json"] is before["json"]
    with pytest.raises(ModuleNotFoundError):
        __import__("no_such_module_anywhere")


def test_structlog_imports_without_loading_asyncio_and_still_logs() -> None:
    """With asyncio deferred, importing and using structlog loads neither asyncio nor ssl."""
    out = _run(
        """
        import sys
        from terok_gate.deferred import defer_import, is_loaded
        defer_import("asyncio")
        import structlog
        structlog.get_logger().info("hello")
        print(is_loaded("asyncio"), "ssl" in sys.modules, "asyncio.base_events" in sys.modules)
        """
    )
    assert out[-3:] == ["False", "False", "False"]


def test_asyncio_used_for_real_after_deferral_behaves_as_imported() -> None:
    """structlog's async logging and `from asyncio import Queue` work; every importer holds
    the one asyncio module object."""
    out = _run(
        """
        import io, sys
        from terok_gate.deferred import defer_import, is_loaded
        defer_import("asyncio")
        import structlog
        import structlog.stdlib
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(io.StringIO()))

        async def main():
            await structlog.get_logger().ainfo("async event")
            from asyncio import Queue
            queue = Queue()
            await queue.put(7)
            return await queue.get()

        import asyncio
        print(asyncio.run(main()), is_loaded("asyncio"))
        print(structlog.stdlib.asyncio is asyncio is sys.modules["asyncio"])
        """
    )
    assert out == ["7", "True", "True"]


def test_the_gate_logs_a_request_without_loading_asyncio() -> None:
    """terok-gate's start-up path (cli, then app) imports structlog but never runs asyncio."""
    out = _run(
        """
        import sys
        from terok_gate import cli
        from terok_gate.deferred import is_loaded
        cli._skip_optional_imports()
        import terok_gate.app
        from terok_gate.log import configure_logging, get_logger
        configure_logging(sys.stderr)
        get_logger().info("request", method="GET", status=200)
        print(is_loaded("asyncio"), "ssl" in sys.modules)
        """
    )
    assert out == ["False", "False"]
