"""Genre picker lines: the user's models first, one line per genre, recorded/arranged marks from the card."""

from __future__ import annotations

from pathlib import Path

from melodygan_desktop.checkpoints import ModelInfo
from melodygan_desktop.services.catalog import genre_choices


def info(name, genres, bundled, kinds=None, preset="melodygan-cond"):
    return ModelInfo(Path(f"/m/{name}"), name, preset, genres, bundled, None, 1, kinds or {})


def test_users_models_first_and_kinds_shown():
    user = info("mine", ("techno",), False)
    bundled = info("open13", ("jazz", "metal"), True, {"jazz": "arranged", "metal": "recorded"})
    labels = [choice.label for choice in genre_choices([user, bundled], None)]
    assert labels == [
        "mine: all genres (techno)  (yours)", "jazz (arranged)  —  open13", "metal (recorded)  —  open13"
    ]
