"""End to end on a tiny generated corpus: classifier from folders, a briefly trained generator and the
evaluation report's API (the commands: ``test_eval_command.py``; the shared fixtures: ``conftest.py``)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from evalhelpers import GENRES, TINY_MEL

from melodygan_desktop.evaluation.classifier_files import load_classifier
from melodygan_lab.evaluation.data import is_split_corpus, load_split, load_splits
from melodygan_lab.evaluation.markdown import report_markdown
from melodygan_lab.evaluation.report import EvaluationError, check_compatible, evaluate_model


def test_corpus_splits_are_read_by_folder(workspace):
    root, corpus = workspace
    assert is_split_corpus(corpus) and not is_split_corpus(corpus / "train")
    splits = load_splits(corpus, TINY_MEL, cache_dir=root / "cache")
    assert splits.layout == "corpus" and splits.genres == GENRES
    assert splits.test is not None and set(splits.test.counts().values()) == {9}
    assert len(splits.train) == 24 and len(splits.validation) == 12
    folder = load_splits(corpus / "train", TINY_MEL, cache_dir=root / "cache", val_fraction=0.25)
    assert folder.layout == "folder" and folder.test is None and len(folder.validation) > 0


def test_classifier_from_folders_is_tested_and_carded(classifier):
    assert classifier.test_split == "test" and classifier.test.accuracy > 0.9
    folder = classifier.classifier.path
    card = (folder / "card.md").read_text()
    assert "lowchords" in card and "recall" in card and "ceiling" in card
    meta = load_classifier(folder).meta
    assert meta.metrics["test"]["accuracy"] == pytest.approx(classifier.test.accuracy)
    assert meta.metrics["clips"]["test"] == {"lowchords": 9, "noisebursts": 9}


def test_evaluate_model_report(workspace, classifier, generator_run):
    root, corpus = workspace
    real = load_split(corpus, TINY_MEL, "test", cache_dir=root / "cache")
    stages = set()
    report = evaluate_model(
        generator_run, classifier.classifier, real, n_per_genre=4, method="griffin-lim",
        progress=lambda stage, done, total: stages.add(stage),
    )  # fmt: skip
    assert stages == {
        "generating", "resynthesising griffin-lim", "embedding", "audio: generated takes",
        "audio: real clips", "methods: real clips", "methods: resynthesising", "methods: generated takes",
    }  # fmt: skip
    assert set(report["genres"]) == set(GENRES)
    for values in report["genres"].values():
        assert 0 <= values["generated_accuracy"] <= 1 and values["real_accuracy"] > 0.5
        assert values["fd_floor"] >= 0 and values["fd_generated"] >= 0
        assert values["fd_resynth"]["griffin-lim"] >= 0
        assert values["kid_generated"] > values["kid_floor"] and "griffin-lim" in values["kid_resynth"]
        assert (
            values["clips"]["generated"] == 4 and values["clips"]["floor"] + values["clips"]["reference"] == 9
        )
    overall = report["overall"]
    assert overall["fd_generated"] > overall["fd_floor"]  # two training steps do not make music
    assert overall["kid_generated"] > overall["kid_floor"]
    audio = report["audio"]
    assert audio["judge"] is None and audio["clips"]["generated"] == {g: 4 for g in GENRES}
    assert set(audio["clips"]["real"].values()) == {4}  # real test audio, not resynthesis
    real_music = audio["musicality"]["real"]["genres"]
    assert real_music["lowchords"]["harmonic_share"] > real_music["noisebursts"]["harmonic_share"]
    assert audio["musicality"]["generated"]["overall"]["flatness"] is not None
    assert sum(map(sum, report["confusion"]["counts"])) == 8
    json.dumps(report, allow_nan=False)
    text = report_markdown(report)
    assert "**overall**" in text and "FD / KID griffin-lim" in text and "harmonic share (real / gen)" in text
    methods = report["methods"]  # real test audio through griffin-lim, beside the baseline
    assert methods["methods"] == ["griffin-lim", "nnls-fgla"] and set(methods["clips"].values()) == {4}
    assert "Mel-to-audio methods on 8 real test clips" in text
    generated = methods["generated"]  # the same methods on the model's takes, 4 per genre
    assert generated["methods"] == methods["methods"] and generated["takes"] == {g: 4 for g in GENRES}
    for entry in generated["per_method"].values():
        assert np.isfinite(entry["overall"]["mel_db"]) and 0 <= entry["overall"]["classifier_accuracy"] <= 1
        assert entry["overall"]["musicality"]["flatness"] is not None
    assert "Mel-to-audio methods on generated takes (8 takes)" in text


def test_unknown_method_is_refused_before_any_work(workspace, classifier, generator_run):
    root, corpus = workspace
    real = load_split(corpus, TINY_MEL, "test", cache_dir=root / "cache")
    with pytest.raises(EvaluationError, match="unknown inversion method"):
        evaluate_model(generator_run, classifier.classifier, real, n_per_genre=2, method="wavenet")


def test_mismatched_settings_are_refused(classifier):
    with pytest.raises(EvaluationError, match="n_mels"):
        check_compatible(classifier.classifier.mel, dataclasses.replace(TINY_MEL, n_mels=64), "model")
    check_compatible(classifier.classifier.mel, TINY_MEL.with_clip_seconds(2.0), "model")  # length is free


def test_unconditional_model_gets_overall_distance_only(workspace, classifier):
    from melodygan_desktop.checkpoints import CheckpointMeta, save_checkpoint
    from melodygan_desktop.models.presets import get_preset

    root, corpus = workspace
    generator = get_preset("melodygan-v3").build_generator(TINY_MEL, len(GENRES))
    meta = CheckpointMeta(preset="melodygan-v3", mel=TINY_MEL, genres=GENRES)
    folder = save_checkpoint(root / "unconditional", 0, generator.state_dict(), meta)
    real = load_split(corpus, TINY_MEL, "test", cache_dir=root / "cache")
    report = evaluate_model(folder, classifier.classifier, real, n_per_genre=3, method=[])
    assert not report["model"]["conditional"] and report["overall"]["generated_accuracy"] is None
    assert report["overall"]["fd_generated"] > 0 and report["overall"]["fd_resynth"] == {}
    assert all(v["fd_generated"] is None for v in report["genres"].values())
    assert report["overall"]["kid_generated"] is not None
    assert all(v["kid_generated"] is None for v in report["genres"].values())
    generated_music = report["audio"]["musicality"]["generated"]
    assert generated_music["genres"] == {g: None for g in GENRES} and generated_music["overall"]["flatness"]
    assert "does not apply" in report_markdown(report)


def test_single_genre_unconditional_model_is_asked_for_its_genre(workspace, classifier):
    """One unconditional model per genre (both papers' set-up): its clips are judged as that genre."""
    from melodygan_desktop.checkpoints import CheckpointMeta, save_checkpoint
    from melodygan_desktop.models.presets import get_preset

    root, corpus = workspace
    genre = GENRES[1]
    generator = get_preset("melodygan-v3").build_generator(TINY_MEL, 1)
    meta = CheckpointMeta(preset="melodygan-v3", mel=TINY_MEL, genres=(genre,))
    folder = save_checkpoint(root / "single-genre", 0, generator.state_dict(), meta)
    real = load_split(corpus, TINY_MEL, "test", cache_dir=root / "cache")
    report = evaluate_model(folder, classifier.classifier, real, n_per_genre=4, method=[])
    assert report["model"]["asks_genre"] and list(report["genres"]) == [genre]
    counts = np.array(report["confusion"]["counts"])
    assert counts.shape == (1, len(GENRES)) and counts.sum() == 4
    heard_as_asked = counts[0, list(report["confusion"]["heard"]).index(genre)] / 4
    assert report["genres"][genre]["generated_accuracy"] == pytest.approx(heard_as_asked)
    assert report["genres"][genre]["fd_generated"] > 0
    assert "heard as asked" in report_markdown(report) and "does not apply" not in report_markdown(report)
