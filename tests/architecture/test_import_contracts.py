"""The import contracts of DESIGN §1, checked by import-linter over the working tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    ROOT / "packages" / "apis-shared" / "src",
    ROOT / "services" / "app-api" / "src",
    ROOT / "services" / "inference-api" / "src",
]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(sources: list[Path], config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Each portion must resolve to working-tree source exactly once, so the
    # editable install of apis.shared is not relied on: the paths come first.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(source) for source in sources)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_contracts_hold_for_the_repository() -> None:
    result = lint_imports(SOURCES, ROOT / "pyproject.toml", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def copy_sources(tmp_path: Path) -> list[Path]:
    """A scratch copy of the three portions and the contracts, to plant violations in."""
    copies = []
    for source in SOURCES:
        target = tmp_path / source.parent.name / "src"
        shutil.copytree(source, target)
        copies.append(target)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return copies


def test_contracts_catch_a_service_importing_the_other(tmp_path: Path) -> None:
    copies = copy_sources(tmp_path)
    planted = copies[2] / "apis" / "inference_api" / "planted.py"
    planted.write_text("from apis.app_api.settings import AppApiSettings\n")
    result = lint_imports(copies, tmp_path / "pyproject.toml", tmp_path)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert "apis.inference_api.planted -> apis.app_api.settings" in result.stdout


def test_contracts_catch_the_library_importing_a_service(tmp_path: Path) -> None:
    copies = copy_sources(tmp_path)
    (copies[0] / "apis" / "shared" / "planted.py").write_text("import apis.inference_api.settings\n")
    result = lint_imports(copies, tmp_path / "pyproject.toml", tmp_path)
    assert result.returncode == 1
    assert "The library imports neither service BROKEN" in result.stdout
