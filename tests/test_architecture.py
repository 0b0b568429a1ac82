"""The import fence in pyproject.toml: the real tree keeps it, and a copy with a planted import breaks it.

Each check runs ``lint-imports`` on a copy of the package (with ``PYTHONPATH`` pointing at the copy), so the
contracts are tested as they are written, Qt-free core and layers alike, direct and indirect imports alike.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "melodygan_desktop"
QT_FREE = "The core is Qt-free"
LAYERS = "Layers"


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """Run lint-imports with ``tree``'s pyproject.toml on ``tree``'s copy of the package."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [
        sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
        "--no-cache", "--no-logo", str(tree / "pyproject.toml"),
    ]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=300)


def copy_tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / PACKAGE, tmp_path / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(tree: Path, module: str, line: str) -> None:
    path = tree / PACKAGE / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # planted\n", encoding="utf-8")


def test_the_tree_keeps_every_contract(tmp_path):
    result = lint_imports(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{QT_FREE} KEPT" in result.stdout and f"{LAYERS} KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("paths.py", "import PySide6.QtCore"),
        ("threads.py", "import pyqtgraph"),
        ("config.py", "from melodygan_desktop.services import errors"),
    ],
)
def test_a_qt_import_in_the_core_breaks_the_fence(tmp_path, module, line):
    tree = copy_tree(tmp_path)
    plant(tree, module, line)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{QT_FREE} BROKEN" in result.stdout, result.stdout + result.stderr


def test_an_indirect_qt_import_breaks_the_fence(tmp_path):
    """paths -> a new module outside the core -> PySide6: no core module may reach Qt through another."""
    tree = copy_tree(tmp_path)
    (tree / PACKAGE / "qt_helper.py").write_text("import PySide6.QtWidgets\n", encoding="utf-8")
    plant(tree, "paths.py", "from melodygan_desktop import qt_helper")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{QT_FREE} BROKEN" in result.stdout, result.stdout + result.stderr


def test_a_lower_layer_importing_a_higher_one_breaks_the_layers(tmp_path):
    tree = copy_tree(tmp_path)
    plant(tree, "models/base.py", "from melodygan_desktop.training import events")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{LAYERS} BROKEN" in result.stdout, result.stdout + result.stderr
    assert f"{QT_FREE} KEPT" in result.stdout
