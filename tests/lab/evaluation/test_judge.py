"""The genre judge: audio features, training (clearly different synthetic genres are told apart, shuffled
labels are not), the corpus pipeline and its card, the folder on disk and ``melodygan judge train``."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest
from audiohelpers import AUDIO_GENRES, SR, synthetic_audio, write_audio_corpus

from melodygan_desktop.cli import main
from melodygan_lab.evaluation.judge import JudgeArchitecture, JudgeTrainConfig, predict, train_judge
from melodygan_lab.evaluation.judge_features import JudgeFeatureSettings, feature_names, judge_features
from melodygan_lab.evaluation.judge_files import (
    META_NAME,
    WEIGHTS_NAME,
    JudgeError,
    load_judge,
    meta_for,
    save_judge,
)
from melodygan_lab.evaluation.judge_pipeline import train_judge_folder
from melodygan_lab.evaluation.train_classifier import classification_metrics

SHORT = JudgeFeatureSettings(clip_seconds=3.0)
FAST = JudgeTrainConfig(epochs=60, patience=60, architecture=JudgeArchitecture(hidden=16))


def feature_set(per_genre: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for label, genre in enumerate(AUDIO_GENRES):
        for index in range(per_genre):
            audio = synthetic_audio(genre, SHORT.clip_seconds, seed * 1000 + label * 100 + index)
            rows.append(judge_features(audio, SR, SHORT))
            labels.append(label)
    return np.stack(rows), np.array(labels)


@pytest.fixture(scope="module")
def features():
    return {"train": feature_set(24, 1), "validation": feature_set(8, 2), "test": feature_set(16, 3)}


def test_feature_vector_shape_names_and_level_invariance():
    audio = synthetic_audio("tones", 3.0, 0)
    vector = judge_features(audio, SR, SHORT)
    assert vector.shape == (len(feature_names(SHORT)),) == (110,) and vector.dtype == np.float32
    assert np.isfinite(vector).all()
    np.testing.assert_allclose(judge_features(0.05 * audio, SR, SHORT), vector, rtol=1e-3, atol=1e-3)
    assert np.isfinite(judge_features(np.zeros(SR * 3, dtype=np.float32), SR, SHORT)).all()
    with pytest.raises(ValueError, match="too short"):
        judge_features(audio[:100], SR, SHORT)
    with pytest.raises(ValueError):
        JudgeFeatureSettings(n_mfcc=50)


def test_other_sample_rates_are_resampled():
    import soxr

    audio = synthetic_audio("clicks", 3.0, 1)
    at_44k = soxr.resample(audio, SR, 44100)
    names = feature_names(SHORT)
    a, b = judge_features(audio, SR, SHORT), judge_features(at_44k, 44100, SHORT)
    mfcc = [i for i, n in enumerate(names) if n.startswith("mfcc") and n.endswith("_mean")]
    np.testing.assert_allclose(a[mfcc], b[mfcc], atol=2.0)


def test_clearly_different_genres_are_told_apart(features):
    (x, y), validation, (test_x, test_y) = features["train"], features["validation"], features["test"]
    trained = train_judge(x, y, AUDIO_GENRES, validation, FAST)
    metrics = classification_metrics(
        test_y, predict(trained.model, test_x, trained.mean, trained.std), AUDIO_GENRES
    )
    assert metrics.accuracy >= 0.95
    again = train_judge(x, y, AUDIO_GENRES, validation, FAST)  # deterministic in the seed
    assert all(
        np.array_equal(a, b)
        for a, b in zip(trained.model.state_dict().values(), again.model.state_dict().values())
    )


def test_shuffled_labels_give_chance(features):
    (x, y), (test_x, test_y) = features["train"], features["test"]
    shuffled = np.random.default_rng(0).permutation(y)
    config = JudgeTrainConfig(epochs=60, architecture=JudgeArchitecture(hidden=16))
    trained = train_judge(x, shuffled, AUDIO_GENRES, None, config)
    accuracy = float((predict(trained.model, test_x, trained.mean, trained.std) == test_y).mean())
    assert accuracy < 0.6  # chance is 1/3


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("judge")
    corpus = write_audio_corpus(root / "corpus", {"train": 6, "validation": 2, "test": 3}, seconds=10.5)
    config = JudgeTrainConfig(epochs=80, architecture=JudgeArchitecture(hidden=0, dropout=0.0))
    return root, corpus, train_judge_folder(corpus, root / "judge", config=config)


def test_corpus_pipeline_tests_on_real_clips_and_writes_a_card(built):
    root, _, build = built
    assert build.test_split == "test" and build.test.clips == 9 and build.test.accuracy == 1.0
    folder = build.judge.path
    assert sorted(p.name for p in folder.iterdir()) == ["card.md", "judge.safetensors", "meta.json"]
    assert (folder / WEIGHTS_NAME).stat().st_size < 100_000
    card = (folder / "card.md").read_text()
    assert "clicks" in card and "recall" in card and "melodygan judge train" in card
    meta = build.judge.meta
    assert meta.genres == AUDIO_GENRES and meta.metrics["clips"]["train"] == {g: 6 for g in AUDIO_GENRES}
    assert meta.metrics["test"]["accuracy"] == 1.0 and len(meta.feature_mean) == 110


def test_saved_judge_predicts_like_the_trained_one(built):
    _, corpus, build = built
    loaded = load_judge(build.judge.path / META_NAME)
    audio = synthetic_audio("noise", 10.0, 999)
    vector = loaded.features(audio, SR)
    expected = predict(build.trained.model, vector[None], build.trained.mean, build.trained.std)
    assert loaded.predict(vector).tolist() == expected.tolist() == [AUDIO_GENRES.index("noise")]


def _rewrite(folder, **changes):
    data = json.loads((folder / META_NAME).read_text())
    data.update(changes)
    (folder / META_NAME).write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "melodygan-classifier"}, "not a MELodyGAN genre judge"),
        ({"format_version": 7}, "newer MELodyGAN"),
        ({"feature_names": ["a"]}, "feature_names"),
        ({"feature_std": [0.0] * 110}, "positive"),
        ({"feature_mean": [0.0] * 3}, "110 values"),
        ({"features": {"n_mfcc": 13}}, "feature_names"),
        ({"genres": ["a", "b"]}, "do not fit"),
        ({"sha256": "0" * 63}, "64 lower-case hex"),
    ],
)
def test_tampered_meta_is_refused(built, tmp_path, changes, message):
    _, _, build = built
    folder = save_judge(build.trained.model, build.judge.meta, tmp_path / "copy")
    _rewrite(folder, **changes)
    with pytest.raises(JudgeError, match=message):
        load_judge(folder)


def test_pickles_and_changed_weights_are_refused(built, tmp_path):
    _, _, build = built
    folder = save_judge(build.trained.model, build.judge.meta, tmp_path / "copy")
    payload = pickle.dumps({"layers.1.weight": [1.0]})
    (folder / WEIGHTS_NAME).write_bytes(payload)
    with pytest.raises(JudgeError, match="sha256 mismatch"):
        load_judge(folder)
    _rewrite(folder, sha256=hashlib.sha256(payload).hexdigest())
    with pytest.raises(JudgeError, match="pickle"):
        load_judge(folder)
    with pytest.raises(JudgeError, match="no such"):
        load_judge(tmp_path / "nowhere")
    with pytest.raises(JudgeError, match="feature or genre count"):
        save_judge(
            build.trained.model, meta_for(build.trained, ("a",), JudgeFeatureSettings()), tmp_path / "x"
        )


def test_cli_trains_and_refuses_to_overwrite(built, capsys):
    root, corpus, _ = built
    out = root / "cli-judge"
    args = [
        "judge",
        "train",
        str(corpus),
        "-o",
        str(out),
        "--epochs",
        "40",
        "--hidden",
        "8",
        "--threads",
        "1",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "test: accuracy" in printed and "wrote" in printed
    assert load_judge(out).meta.architecture.hidden == 8
    assert main(args) != 0
    assert "exists" in capsys.readouterr().err
