"""Saving and loading a classifier folder: round trip, and every kind of tampering refused by name."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
from evalhelpers import GENRES, TINY_MEL

from melodygan_desktop.checkpoints.meta import CheckpointError
from melodygan_desktop.evaluation.classifier import ClassifierArchitecture, GenreClassifier
from melodygan_desktop.evaluation.classifier_files import (
    META_NAME,
    WEIGHTS_NAME,
    ClassifierError,
    ClassifierMeta,
    load_classifier,
    save_classifier,
)

SMALL = ClassifierArchitecture(channels=(4, 8), freq_bins=4, hidden=16, embed_dim=8)


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = GenreClassifier(TINY_MEL.n_mels, len(GENRES), SMALL).eval()
    meta = ClassifierMeta(mel=TINY_MEL, genres=GENRES, architecture=SMALL, metrics={"accuracy": 0.97})
    folder = save_classifier(model, meta, tmp_path / "clf", card="# Genre classifier\n")
    return model, folder


def test_round_trip(saved):
    model, folder = saved
    assert sorted(p.name for p in folder.iterdir()) == ["card.md", "classifier.safetensors", "meta.json"]
    loaded = load_classifier(folder)
    assert loaded.genres == GENRES and loaded.mel == TINY_MEL and loaded.meta.architecture == SMALL
    assert loaded.meta.metrics == {"accuracy": 0.97} and len(loaded.meta.sha256) == 64
    mels = np.random.default_rng(0).random((3, TINY_MEL.n_mels, 40)).astype(np.float32)
    with torch.no_grad():
        expected = model.embed(torch.from_numpy(mels).unsqueeze(1)).numpy()
    np.testing.assert_allclose(loaded.embed(mels), expected, rtol=1e-5, atol=1e-6)
    assert loaded.predict(mels).shape == (3,)
    assert load_classifier(folder / META_NAME).path == folder  # a file inside the folder works too
    assert not list(folder.parent.glob("*.tmp"))


def test_saving_again_replaces_the_folder(saved, tmp_path):
    model, folder = saved
    meta = ClassifierMeta(mel=TINY_MEL, genres=GENRES, architecture=SMALL, metrics={"accuracy": 0.5})
    save_classifier(model, meta, folder)
    assert load_classifier(folder).meta.metrics == {"accuracy": 0.5}
    assert not (folder / "card.md").exists()


def test_tampered_weights_are_refused(saved):
    _, folder = saved
    data = bytearray((folder / WEIGHTS_NAME).read_bytes())
    data[-3] ^= 0xFF
    (folder / WEIGHTS_NAME).write_bytes(bytes(data))
    with pytest.raises(ClassifierError, match="sha256 mismatch"):
        load_classifier(folder)


def _rewrite_meta(folder, **changes):
    meta = json.loads((folder / META_NAME).read_text())
    meta.update(changes)
    (folder / META_NAME).write_text(json.dumps(meta))


def test_pickle_in_place_of_weights_is_refused_unopened(saved):
    _, folder = saved
    payload = pickle.dumps({"weight": [1, 2, 3]})
    (folder / WEIGHTS_NAME).write_bytes(payload)
    import hashlib

    _rewrite_meta(folder, sha256=hashlib.sha256(payload).hexdigest())
    with pytest.raises(ClassifierError, match="pickle"):
        load_classifier(folder)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "melodygan-generator"}, "not a MELodyGAN genre classifier"),
        ({"format_version": 99}, "newer MELodyGAN"),
        ({"genres": ["a", "a"]}, "distinct"),
        ({"genres": "rock"}, "expected a list"),
        ({"sha256": "abc"}, "64 lower-case hex"),
        ({"surprise": 1}, "unknown key"),
        ({"mel": {"n_mels": -3}}, "positive"),
        (
            {"architecture": {"channels": [4, 8], "freq_bins": 4, "hidden": 16, "embed_dim": 9}},
            "architecture",
        ),
        ({"genres": ["a", "b", "c"]}, "do not fit"),
    ],
)
def test_bad_meta_is_refused_with_a_reason(saved, changes, message):
    _, folder = saved
    _rewrite_meta(folder, **changes)
    with pytest.raises(ClassifierError, match=message) as info:
        load_classifier(folder)
    assert isinstance(info.value, CheckpointError)


def test_missing_and_garbled_files(saved, tmp_path):
    _, folder = saved
    with pytest.raises(ClassifierError, match="no such"):
        load_classifier(tmp_path / "nowhere")
    (folder / META_NAME).write_text("{not json")
    with pytest.raises(ClassifierError, match="not valid JSON"):
        load_classifier(folder)
    (folder / META_NAME).unlink()
    with pytest.raises(ClassifierError, match="no meta.json"):
        load_classifier(folder)
