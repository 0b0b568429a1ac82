"""The import fence in pyproject.toml: the real tree keeps it, and a copy with a planted import breaks it.

Each check runs ``lint-imports`` on a copy of the packages (with ``PYTHONPATH`` pointing at the copy), so the
contracts are tested as they are written, Qt-free core, layers and the product/lab split alike, direct and
indirect imports alike.
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
LAB = "melodygan_lab"
QT_FREE = "The core is Qt-free"
LAYERS = "Layers"
LAB_LAYERS = "Lab layers"
NO_LAB = "The product does not import the lab"


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """Run lint-imports with ``tree``'s pyproject.toml on ``tree``'s copy of the package."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [
        sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
        "--no-cache", "--no-logo", str(tree / "pyproject.toml"),
    ]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=300)


def copy_tree(tmp_path: Path) -> Path:
    for package in (PACKAGE, LAB):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(tree: Path, module: str, line: str, package: str = PACKAGE) -> None:
    path = tree / package / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # planted\n", encoding="utf-8")


def test_the_tree_keeps_every_contract(tmp_path):
    result = lint_imports(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (QT_FREE, LAYERS, LAB_LAYERS, NO_LAB):
        assert f"{contract} KEPT" in result.stdout, result.stdout


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


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("paths.py", "import melodygan_lab"),
        ("cli/__init__.py", "from melodygan_lab.cli import evaluate"),
        ("evaluation/tempo.py", "from melodygan_lab.evaluation.musicality import musicality"),
    ],
)
def test_the_product_importing_the_lab_breaks_the_fence(tmp_path, module, line):
    tree = copy_tree(tmp_path)
    plant(tree, module, line)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{NO_LAB} BROKEN" in result.stdout, result.stdout + result.stderr


def test_an_indirect_import_of_the_lab_breaks_the_fence(tmp_path):
    """models -> a third package -> the lab: the product may not reach the lab through anything else."""
    tree = copy_tree(tmp_path)
    (tree / "bridge").mkdir()
    (tree / "bridge" / "__init__.py").write_text("import melodygan_lab.evaluation.markdown\n", "utf-8")
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            'root_packages = ["melodygan_desktop", "melodygan_lab"]',
            'root_packages = ["melodygan_desktop", "melodygan_lab", "bridge"]',
        ),
        encoding="utf-8",
    )
    plant(tree, "models/base.py", "import bridge")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{NO_LAB} BROKEN" in result.stdout, result.stdout + result.stderr


def test_a_qt_import_in_the_lab_breaks_the_fence(tmp_path):
    tree = copy_tree(tmp_path)
    plant(tree, "evaluation/markdown.py", "import PySide6.QtCore", package=LAB)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{QT_FREE} BROKEN" in result.stdout, result.stdout + result.stderr


def test_the_lab_keeps_its_layers(tmp_path):
    tree = copy_tree(tmp_path)
    plant(tree, "corpus/split.py", "from melodygan_lab.cli import corpus", package=LAB)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{LAB_LAYERS} BROKEN" in result.stdout, result.stdout + result.stderr
    assert f"{NO_LAB} KEPT" in result.stdout
