"""The mel-to-audio methods section of an evaluation: real clips through each method (a tiny untrained
vocoder among them), measured against the originals, timed, and heard by the classifier and the judge; and
generated takes through each method, measured by what the method keeps of their mel."""

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
from melodygan_lab.evaluation.markdown import generated_methods_markdown, methods_markdown
from melodygan_lab.evaluation.methods_generated import (
    CONSISTENCY,
    measure_generated,
    mel_consistency,
    methods_section,
)
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


def _tonal_takes(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Mels of both synthetic genres (``count`` each), as a generator's takes asked for those genres."""
    from melodygan_desktop.audio.mel import MelFrontEnd, waveform_to_mel

    front_end = MelFrontEnd(TINY_MEL)
    mels = [waveform_to_mel(SYNTHS[g](1.0, TINY_MEL.sample_rate, 70 + i), TINY_MEL, front_end=front_end)
            for g in GENRES for i in range(count)]
    return np.stack([m[:, : TINY_MEL.frames] for m in mels]), np.repeat(np.arange(len(GENRES)), count)


def test_every_method_is_measured_on_generated_takes(plugged):
    _, classifier, judge, _ = plugged
    takes, asked = _tonal_takes(3)
    stages = set()
    part = measure_generated(takes, asked, GENRES, TINY_MEL, default_methods(), classifier=classifier,
                             judge=judge, per_genre=2, progress=lambda stage, *_: stages.add(stage))
    assert stages == {"methods: generated takes"} and part["takes"] == {g: 2 for g in GENRES}
    assert part["methods"] == ["griffin-lim", "fast-griffin-lim", BASELINE, VOCODER_METHOD]
    for method in part["methods"]:
        entry = part["per_method"][method]
        for figures in [entry["overall"], *entry["genres"].values()]:
            assert all(np.isfinite(figures[c]) and figures[c] >= 0 for c in CONSISTENCY)
            assert 0 <= figures["classifier_accuracy"] <= 1 and 0 <= figures["judge_accuracy"] <= 1
        music = entry["overall"]["musicality"]
        assert all(np.isfinite(music[f]) for f in ("harmonic_share", "tonal_clarity", "flatness"))
    json.dumps(part, allow_nan=False)
    text = generated_methods_markdown(part)
    assert "### Mel-to-audio methods on generated takes (4 takes)" in text and "tonal clarity" in text
    assert "vocoder: mel dB / classifier / judge" in text


def test_mel_consistency_favours_the_method_that_keeps_the_mel(setup):
    take = _tonal_takes(1)[0][:1]
    assert mel_consistency(take[0], take[0], TINY_MEL) == (0.0, 0.0)
    shift, distortion = mel_consistency(take[0], take[0] + 0.05, TINY_MEL)  # 5 dB louder everywhere
    assert shift == pytest.approx(5.0, rel=1e-5) and distortion == pytest.approx(0.0, abs=1e-4)
    part = measure_generated(take, np.zeros(1, dtype=np.int64), GENRES, TINY_MEL, ["griffin-lim", BASELINE],
                             classifier=setup[1], with_musicality=False)
    mine = {m: part["per_method"][m]["overall"] for m in part["methods"]}
    assert mine[BASELINE]["mel_db"] < mine["griffin-lim"]["mel_db"]
    assert mine[BASELINE]["mcd_db"] < mine["griffin-lim"]["mcd_db"]
    assert mine[BASELINE]["judge_accuracy"] is None and 0 <= mine[BASELINE]["classifier_accuracy"] <= 1
    assert mine[BASELINE]["musicality"] is None and part["takes"] == {"lowchords": 1, "noisebursts": 0}
    assert part["per_method"][BASELINE]["genres"]["noisebursts"]["mel_db"] is None


def test_methods_section_without_real_audio_and_older_reports(setup):
    _, classifier, _, _ = setup
    takes, _ = _tonal_takes(1)
    section = methods_section(None, takes, None, GENRES, TINY_MEL, ["griffin-lim"], classifier=classifier,
                              with_musicality=False, per_genre=1)
    assert section["methods"] == ["griffin-lim", BASELINE] and "original" not in section
    part = section["generated"]
    assert part["takes"] == {"all": 2} and part["per_method"][BASELINE]["genres"] == dict.fromkeys(GENRES)
    assert part["per_method"][BASELINE]["overall"]["classifier_accuracy"] is None
    text = methods_markdown(section)
    assert text.startswith("- no folder of real audio") and "on generated takes (2 takes)" in text
    assert "mel dB / classifier" not in text  # no per-genre table for an unconditional model
    older = methods_measures(setup[0] / "test", TINY_MEL, [BASELINE], GENRES, classifier=classifier,
                             per_genre=1)  # format_version 3: no generated part
    assert "on generated takes" not in methods_markdown(older)
