"""Takes kept across restarts: audio, mel and settings round trip; capacity; damaged takes skipped; clearing
deletes only the take folders the app wrote."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace

import numpy as np
import pytest
from gui_fakes import make_take

from melodygan_desktop.services.generation import GenerationRequest
from melodygan_desktop.services.take_store import TakeStore


def take(number, genre="jazz", seed=7):
    request = GenerationRequest("/models/x", genre, seed, 2.0, "nnls-fgla")
    return replace(make_take(request), number=number)


def test_a_take_round_trips(tmp_path):
    store = TakeStore(tmp_path / "takes")
    original = take(3, genre={"blues": 0.7, "jazz": 0.3})
    store.save(original)
    (restored,) = store.load()
    assert restored.number == 3 and restored.request == original.request
    assert restored.genre_label == original.genre_label and restored.model_name == original.model_name
    assert restored.metadata == original.metadata and restored.sample_rate == original.sample_rate
    assert np.allclose(restored.audio, original.audio, atol=1e-5)  # 24-bit FLAC
    assert np.allclose(restored.mel, original.mel, atol=1e-3)  # float16 mel
    assert np.allclose(restored.band_hz, original.band_hz)
    assert restored.frame_seconds == original.frame_seconds


def test_only_the_newest_are_kept(tmp_path):
    store = TakeStore(tmp_path / "takes", capacity=3)
    for number in range(1, 6):
        store.save(take(number, seed=number))
    assert [t.number for t in store.load()] == [3, 4, 5]  # oldest first
    assert len(list((tmp_path / "takes").iterdir())) == 3


def test_damaged_takes_are_skipped_and_pickles_never_loaded(tmp_path):
    store = TakeStore(tmp_path / "takes")
    first, second, third = (store.save(take(n)) for n in (1, 2, 3))
    (first / "take.json").write_text("{broken")
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            import os

            return (os.system, (f"touch '{marker}'",))

    (second / "mel.npy").write_bytes(pickle.dumps(Payload()))
    data = json.loads((third / "take.json").read_text())
    assert data["format"] == "melodygan-take"
    assert [t.number for t in store.load()] == [3]
    assert not marker.exists()


@pytest.mark.parametrize("stranger", ["notes.txt", "sub"])
def test_clear_deletes_only_take_folders(tmp_path, stranger):
    store = TakeStore(tmp_path / "takes")
    kept = store.save(take(1))
    store.save(take(2))
    (tmp_path / "takes" / "my-music").mkdir()
    (tmp_path / "takes" / "my-music" / "song.wav").write_bytes(b"x")
    foreign = kept  # a take folder the user put something into is not the app's any more
    if stranger == "sub":
        (foreign / "sub").mkdir()
    else:
        (foreign / stranger).write_text("mine")
    assert store.clear() == 1
    assert sorted(p.name for p in (tmp_path / "takes").iterdir()) == sorted(["my-music", kept.name])
    assert (tmp_path / "takes" / "my-music" / "song.wav").exists()
