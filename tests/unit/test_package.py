"""The package builds, its console scripts answer, and the wheel carries specs/ and units/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import reconciler
import terok_gate
from reconciler import cli as reconcile_cli
from terok_gate import cli as gate_cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the project's wheel once for this module."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("gate_reconcile-*.whl")
    return built


def test_wheel_ships_specs_and_units(wheel: Path) -> None:
    """Every file under specs/ and units/ is inside the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("specs", "units"):
        for source in (REPO / folder).rglob("*"):
            if source.is_file():
                assert f"reconciler/_data/{folder}/{source.relative_to(REPO / folder)}" in names


def test_installed_wheel_finds_its_data_without_a_checkout(wheel: Path, tmp_path: Path) -> None:
    """An unpacked wheel resolves the default spec inside itself, not in the checkout."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from reconciler.resources import data_dir; print(data_dir('specs') / 'default.toml')"
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    found = Path(result.stdout.strip())
    assert found.is_file()
    assert found.is_relative_to(site)


def test_wheel_declares_both_console_scripts(wheel: Path) -> None:
    """The wheel's entry points name gate-reconcile and terok-gate."""
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
    text = archive.read(entry_points).decode()
    assert "gate-reconcile = reconciler.cli:main" in text
    assert "terok-gate = terok_gate.cli:main" in text


@pytest.mark.parametrize(
    ("main", "name", "version"),
    [
        (reconcile_cli.main, "gate-reconcile", reconciler.__version__),
        (gate_cli.main, "terok-gate", terok_gate.__version__),
    ],
)
def test_version_flag(
    main: object, name: str, version: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--version` prints the program name and version and exits 0."""
    with pytest.raises(SystemExit) as exited:
        main(["--version"])  # type: ignore[operator]
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"{name} {version}"
