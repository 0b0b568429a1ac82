"""What the desktop bundle is built from, read from the PyInstaller spec without running PyInstaller: the
app's own modules, never the lab (``tests/packaging/test_frozen_app.py`` checks a built bundle too)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "melodygan-desktop.spec"


def spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def list_constant(tree: ast.Module, name: str) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{name} is not a list literal in {SPEC.name}")


def called(call: ast.Call, name: str) -> bool:
    return getattr(call.func, "id", None) == name


def analysis_keyword(tree: ast.Module, keyword: str) -> ast.expr:
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and called(n, "Analysis")]
    assert len(calls) == 1, "the spec should make one Analysis"
    values = [k.value for k in calls[0].keywords if k.arg == keyword]
    assert values, f"Analysis has no {keyword}="
    return values[0]


def test_the_spec_excludes_the_lab():
    tree = spec_tree()
    excludes = analysis_keyword(tree, "excludes")
    named = {n.id for n in ast.walk(excludes) if isinstance(n, ast.Name)}
    assert "LAB_EXCLUDES" in named, ast.unparse(excludes)
    assert "melodygan_lab" in list_constant(tree, "LAB_EXCLUDES")


def test_the_spec_collects_only_the_app_package():
    tree = spec_tree()
    collected = [
        ast.literal_eval(n.args[0]) for n in ast.walk(tree)
        if isinstance(n, ast.Call) and called(n, "collect_submodules")
    ]
    assert collected == ["melodygan_desktop"]
    hidden = ast.unparse(analysis_keyword(tree, "hiddenimports"))
    assert "melodygan_lab" not in hidden, hidden


def test_the_spec_leaves_the_lab_only_models_out():
    tree = spec_tree()
    assert "genre-judge" in list_constant(tree, "LAB_CHECKPOINTS")
    assert "leave_out=LAB_CHECKPOINTS" in ast.unparse(analysis_keyword(tree, "datas"))
