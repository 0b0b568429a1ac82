"""The mel-to-audio methods section of an evaluation: real clips through each method (a tiny untrained
vocoder among them), measured against the originals, timed, and heard by the classifier and the judge."""

from __future__ import annotations

import json

import numpy as np
import pytest
from evalhelpers import GENRES, SYNTHS, TINY_MEL, write_corpus

from melodygan_desktop.audio import inversion
from melodygan_desktop.checkpoints.vocoder_files import save_vocoder
from melodygan_desktop.checkpoints.vocoder_method import VOCODER_METHOD
from melodygan_desktop.models.vocoder import MelVocoder, VocoderShape
from melodygan_lab.evaluation.classifier_pipeline import train_classifier_folder
from melodygan_lab.evaluation.markdown import methods_markdown
from melodygan_lab.evaluation.methods_report import (
    BASELINE,
    DISTANCES,
    measure_methods,
    methods_measures,
    register_vocoders,
)
from melodygan_lab.evaluation.report_helpers import default_methods
from melodygan_lab.evaluation.train_classifier import ClassifierTrainConfig

FAST = ClassifierTrainConfig(epochs=5, batch_size=8, learning_rate=3e-3, crop_frames=32, patience=3)
TINY_VOCODER = VocoderShape(n_mels=TINY_MEL.n_mels, n_fft=TINY_MEL.n_fft, hop_length=TINY_MEL.hop_length,
                            width=32, depth=2)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from melodygan_lab.evaluation.judge import JudgeArchitecture, JudgeTrainConfig
    from melodygan_lab.evaluation.judge_features import JudgeFeatureSettings
    from melodygan_lab.evaluation.judge_pipeline import train_judge_folder

    root = tmp_path_factory.mktemp("methods")
    corpus = write_corpus(root / "corpus", TINY_MEL, {"train": 4, "validation": 2, "test": 3})
    classifier = train_classifier_folder(
        corpus, root / "classifier", mel=TINY_MEL, config=FAST, cache_dir=root / "cache"
    ).classifier
    judge = train_judge_folder(
        corpus, root / "judge", settings=JudgeFeatureSettings(clip_seconds=1.0),
        config=JudgeTrainConfig(epochs=60, architecture=JudgeArchitecture(hidden=0, dropout=0.0)),
    ).judge  # fmt: skip
    vocoder = save_vocoder(MelVocoder(TINY_VOCODER), root / "vocoder", TINY_MEL, {"steps": 0})
    return corpus, classifier, judge, vocoder


@pytest.fixture
def plugged(setup):
    """The tiny vocoder registered as "vocoder" for one test."""
    before = inversion.available_methods()
    assert register_vocoders(setup[3])
    yield setup
    if VOCODER_METHOD not in before:
        inversion.unregister_inverter(VOCODER_METHOD)


def test_every_method_is_measured_on_real_clips(plugged):
    corpus, classifier, judge, _ = plugged
    assert default_methods() == ("griffin-lim", "fast-griffin-lim", "nnls-fgla", VOCODER_METHOD)
    stages = set()
    section = methods_measures(
        corpus / "test", TINY_MEL, ["griffin-lim", VOCODER_METHOD], GENRES, classifier=classifier,
        judge=judge, per_genre=3, progress=lambda stage, done, total: stages.add(stage),
    )  # fmt: skip
    assert stages == {"methods: real clips", "methods: resynthesising"}
    assert section["methods"] == ["griffin-lim", VOCODER_METHOD, BASELINE]  # the baseline is always there
    assert section["clips"] == {g: 3 for g in GENRES} and len(section["clip_list"]) == 6
    original = section["original"]
    assert original["classifier"]["overall"] >= 0.5 and original["judge"]["overall"] >= 0.5
    for method in section["methods"]:
        entry = section["per_method"][method]
        assert entry["used"] == method and entry["cpu_seconds_per_10s"] > 0 and entry["realtime"] > 0
        for figures in [entry["overall"], *entry["genres"].values()]:
            assert all(np.isfinite(figures[d]) and figures[d] >= 0 for d in DISTANCES)
            assert 0 <= figures["wins_mrstft"] <= figures["clips"]
            assert 0 <= figures["wins_mcd"] <= figures["clips"]
            for who in ("classifier", "judge"):
                assert 0 <= figures[f"{who}_accuracy"] <= 1 and figures[f"{who}_ratio"] is not None
        assert entry["overall"]["clips"] == 6 and all(len(v) == 6 for v in entry["per_clip"].values())
    baseline = section["per_method"][BASELINE]["overall"]
    assert baseline["wins_mrstft"] == baseline["wins_mcd"] == 0 and baseline["classifier_ratio"] is not None
    json.dumps(section, allow_nan=False)
    text = methods_markdown(section)
    assert "wins vs nnls-fgla (MR-STFT / MCD)" in text and "judge: original -> resynth" in text
    assert "vocoder: MR-STFT / MCD / classifier" in text


def test_identical_audio_scores_zero_and_keeps_every_accuracy(setup):
    """An inverter that hands back the very audio a mel came from: zero distance, wins on every clip."""
    from melodygan_desktop.audio.mel import MelFrontEnd, waveform_to_mel

    _, classifier, judge, _ = setup
    samples = TINY_MEL.samples_for_frames(TINY_MEL.frames)
    clips = [SYNTHS[g](1.0, TINY_MEL.sample_rate, 40 + i) for g in GENRES for i in range(3)]
    front_end = MelFrontEnd(TINY_MEL)
    known = {waveform_to_mel(c[:samples], TINY_MEL, front_end=front_end).tobytes(): c[:samples]
             for c in clips}

    def oracle(mel_unit, mel, *, n_iter, seed, progress):
        return np.stack([known[np.ascontiguousarray(m).tobytes()] for m in mel_unit])

    inversion.register_inverter("oracle", oracle)
    try:
        section = measure_methods(clips, np.repeat([0, 1], 3), GENRES, TINY_MEL, ["oracle"],
                                  classifier=classifier, judge=judge)
    finally:
        inversion.unregister_inverter("oracle")
    exact = section["per_method"]["oracle"]["overall"]
    assert all(exact[d] == pytest.approx(0.0, abs=1e-6) for d in DISTANCES)
    assert exact["wins_mrstft"] == exact["wins_mcd"] == 6
    assert exact["classifier_ratio"] == pytest.approx(1.0) and exact["judge_ratio"] == pytest.approx(1.0)
    assert section["per_method"][BASELINE]["overall"]["mrstft"] > 0.01


def test_an_absent_vocoder_is_not_offered(tmp_path):
    assert not register_vocoders(tmp_path / "nothing")
