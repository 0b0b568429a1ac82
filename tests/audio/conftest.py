"""Synthetic music for the audio tests: chords with harmonics, bass, drums and a little noise."""

from __future__ import annotations

import pytest
from music_folders import make_music


@pytest.fixture
def music():
    return make_music
