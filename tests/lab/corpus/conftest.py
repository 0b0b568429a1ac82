"""Fixtures for the corpus builder tests: tiny corpus tables and fake extracted packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_fakes import build_fake_trees, write_tables


@pytest.fixture
def tables_dir(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "tables")


@pytest.fixture
def fake_trees(tmp_path: Path) -> dict[str, Path]:
    return build_fake_trees(tmp_path / "packages")
