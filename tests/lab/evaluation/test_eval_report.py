"""End to end on a tiny generated corpus: classifier from folders, a briefly trained generator, the
evaluation report (API and ``melodygan evaluate``), and ``melodygan classifier train``."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from evalhelpers import GENRES, TINY_MEL, write_corpus

from melodygan_desktop.cli import main
from melodygan_desktop.config import TrainConfig
from melodygan_desktop.evaluation.classifier_files import load_classifier
from melodygan_desktop.training.loop import train
from melodygan_lab.evaluation.classifier_pipeline import train_classifier_folder
from melodygan_lab.evaluation.data import is_split_corpus, load_split, load_splits
from melodygan_lab.evaluation.markdown import report_markdown
from melodygan_lab.evaluation.report import EvaluationError, check_compatible, evaluate_model
from melodygan_lab.evaluation.train_classifier import ClassifierTrainConfig

FAST = ClassifierTrainConfig(epochs=5, batch_size=8, learning_rate=3e-3, crop_frames=32, patience=3)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluation")
    corpus = write_corpus(root / "corpus", TINY_MEL, {"train": 4, "validation": 2, "test": 3})
    return root, corpus


@pytest.fixture(scope="module")
def classifier(workspace):
    root, corpus = workspace
    build = train_classifier_folder(
        corpus, root / "classifier", mel=TINY_MEL, config=FAST, cache_dir=root / "cache"
    )
    return build


@pytest.fixture(scope="module")
def generator_run(workspace):
    root, corpus = workspace
    config = TrainConfig(
        data_dir=str(corpus / "train"), preset="melodygan-cond", steps=2, batch_size=4, mel=TINY_MEL,
        threads=1, checkpoint_every=2, log_every=1, preview_every=2, preview_count=1,
        cache_dir=str(root / "cache"),
    )  # fmt: skip
    events = list(train(config, root / "run"))
    assert events[-1].reason == "completed"
    return root / "run"


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


def test_evaluate_command_writes_json(workspace, classifier, generator_run, capsys):
    root, corpus = workspace
    out = root / "report.json"
    code = main([
        "evaluate", str(generator_run), "--data", str(corpus),
        "--classifier", str(classifier.classifier.path), "--per-genre", "3", "--method", "griffin-lim",
        "--json", str(out), "--cache-dir", str(root / "cache"), "--threads", "1", "--no-judge",
        "--no-musicality",
    ])  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    assert report["format"] == "melodygan-evaluation" and report["settings"]["n_per_genre"] == 3
    assert report["format_version"] == 4 and report["audio"] is None
    assert report["methods"]["generated"]["musicality"] is False  # --no-musicality holds here too
    assert np.isfinite(report["overall"]["fd_generated"])
    assert "| **overall** |" in capsys.readouterr().out


def test_evaluate_command_can_keep_to_some_genres(workspace, classifier, generator_run, capsys):
    root, corpus = workspace
    args = [
        "evaluate", str(generator_run), "--data", str(corpus),
        "--classifier", str(classifier.classifier.path), "--per-genre", "2", "--no-resynthesis",
        "--cache-dir", str(root / "cache"), "--threads", "1", "--no-judge", "--no-musicality",
    ]  # fmt: skip
    out = root / "one-genre.json"
    assert main([*args, "--genre", GENRES[1], "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert list(report["genres"]) == [GENRES[1]]
    table = capsys.readouterr().out.split("| asked \\ heard")[1]
    rows = [line.split(" | ")[0] for line in table.splitlines()[2:] if line.startswith("| ")]
    assert rows == [f"| {GENRES[1]}"]  # asked for that genre only (the classifier may still hear others)
    assert main([*args, "--genre", "polka"]) == 2
    err = capsys.readouterr().err
    assert "cannot evaluate polka" in err and GENRES[0] in err


def test_evaluate_command_errors(workspace, generator_run, capsys, monkeypatch):
    root, corpus = workspace
    monkeypatch.setattr(
        "melodygan_desktop.evaluation.classifier_files.bundled_classifier_path",
        lambda: root / "no-classifier",
    )
    assert main(["evaluate", str(generator_run), "--data", str(root / "missing")]) == 2
    assert main(["evaluate", str(generator_run), "--data", str(corpus)]) == 2  # no bundled classifier here
    assert "classifier train" in capsys.readouterr().err


def test_classifier_train_command(workspace, capsys):
    root, corpus = workspace
    out = root / "cli-classifier"
    args = ["classifier", "train", str(corpus), "-o", str(out), "--epochs", "1", "--batch-size", "8",
            "--crop-frames", "32", "--clip-seconds", "1", "--cache-dir", str(root / "cache"),
            "--threads", "1"]  # fmt: skip
    assert main(args) == 0
    assert "accuracy" in capsys.readouterr().out
    assert load_classifier(out).genres == GENRES
    assert main(args) == 2  # refuses to replace without --force
    assert main([*args, "--force"]) == 0


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


@pytest.fixture(scope="module")
def judge(workspace):
    from melodygan_lab.evaluation.judge import JudgeArchitecture, JudgeTrainConfig
    from melodygan_lab.evaluation.judge_features import JudgeFeatureSettings
    from melodygan_lab.evaluation.judge_pipeline import train_judge_folder

    root, corpus = workspace
    config = JudgeTrainConfig(epochs=60, architecture=JudgeArchitecture(hidden=0, dropout=0.0))
    settings = JudgeFeatureSettings(clip_seconds=1.0)
    return train_judge_folder(corpus, root / "judge", settings=settings, config=config).judge


def test_evaluate_command_listens_with_the_judge(workspace, generator_run, classifier, judge, monkeypatch):
    root, corpus = workspace
    monkeypatch.setattr(
        "melodygan_lab.evaluation.judge_files.bundled_judge_path", lambda: judge.path
    )  # the bundled judge is the default
    out = root / "report-judge.json"
    code = main([
        "evaluate", str(generator_run), "--data", str(corpus),
        "--classifier", str(classifier.classifier.path), "--per-genre", "3", "--no-resynthesis",
        "--json", str(out), "--markdown", str(root / "report.md"),
        "--cache-dir", str(root / "cache"), "--threads", "1",
    ])  # fmt: skip
    assert code == 0
    written = json.loads(out.read_text())
    audio = written["audio"]
    assert written["methods"] is None  # --no-resynthesis
    assert audio["judge"]["path"] == str(judge.path) and audio["real_source"] == str(corpus / "test")
    overall = audio["judge"]["overall"]
    assert overall["real_accuracy"] >= 0.8  # two clearly different genres
    assert overall["accuracy_ratio"] == pytest.approx(
        overall["generated_accuracy"] / overall["real_accuracy"]
    )
    assert audio["musicality"]["real"]["overall"]["flatness"] is not None
    text = (root / "report.md").read_text()
    assert "judge: heard as asked (real / gen)" in text and "of its accuracy on real test clips" in text
    missing = root / "no-judge"
    assert main(["evaluate", str(generator_run), "--data", str(corpus), "--judge", str(missing)]) == 2


def test_evaluate_command_measures_a_vocoder_beside_every_method(workspace, classifier, generator_run, judge,
                                                                  monkeypatch):
    from melodygan_desktop.audio import inversion
    from melodygan_desktop.checkpoints.vocoder_files import save_vocoder
    from melodygan_desktop.models.vocoder import MelVocoder, VocoderShape

    root, corpus = workspace
    shape = VocoderShape(n_mels=TINY_MEL.n_mels, n_fft=TINY_MEL.n_fft, hop_length=TINY_MEL.hop_length,
                         width=32, depth=2)
    vocoder = save_vocoder(MelVocoder(shape), root / "vocoder", TINY_MEL)
    monkeypatch.setattr("melodygan_lab.evaluation.judge_files.bundled_judge_path", lambda: judge.path)
    before = inversion.available_methods()
    out = root / "report-methods.json"
    try:
        code = main([
            "evaluate", str(generator_run), "--data", str(corpus), "--classifier",
            str(classifier.classifier.path), "--per-genre", "2", "--method-clips", "2", "--vocoder",
            str(vocoder), "--no-musicality", "--json", str(out), "--cache-dir", str(root / "cache"),
            "--threads", "1",
        ])  # fmt: skip
    finally:
        if "vocoder" not in before:
            inversion.unregister_inverter("vocoder")
    assert code == 0
    report = json.loads(out.read_text())
    everything = ["griffin-lim", "fast-griffin-lim", "nnls-fgla", "vocoder"]
    assert report["settings"]["methods"] == everything and list(report["overall"]["fd_resynth"]) == everything
    section = report["methods"]
    assert section["methods"] == everything and section["clips"] == {g: 2 for g in GENRES}
    for entry in section["per_method"].values():
        assert entry["overall"]["judge_accuracy"] is not None and entry["overall"]["mcd_db"] >= 0
    generated = section["generated"]  # and the generated takes through each, judged too
    assert generated["methods"] == everything and generated["takes"] == {g: 2 for g in GENRES}
    for entry in generated["per_method"].values():
        assert 0 <= entry["overall"]["judge_accuracy"] <= 1 and entry["overall"]["musicality"] is None
    assert main(["evaluate", str(generator_run), "--data", str(corpus), "--classifier",
                 str(classifier.classifier.path), "--vocoder", str(root / "no-vocoder")]) == 2
