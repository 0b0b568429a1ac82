"""Shared fixtures: one torch thread, user data under tmp_path, synthetic test audio."""

from __future__ import annotations

import pytest
import torch
from music_folders import make_chord, write_genre_folder

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Keep every test's user data (models, runs, caches, settings) out of the real home folder."""
    home = tmp_path_factory.mktemp("melodygan_home")
    monkeypatch.setenv("MELODYGAN_HOME", str(home))
    return home


@pytest.fixture
def chord():
    return make_chord


@pytest.fixture
def genre_folder(tmp_path):
    return write_genre_folder(tmp_path / "music")

