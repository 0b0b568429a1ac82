"""``melodygan evaluate`` and ``melodygan classifier train`` on the tiny corpus of ``conftest.py``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from evalhelpers import GENRES, TINY_MEL

from melodygan_desktop.cli import main
from melodygan_desktop.evaluation.classifier_files import load_classifier


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
    from melodygan_desktop.checkpoints.vocoder_method import register_vocoder_method
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
    finally:  # the app's own vocoder back, as it was
        if "vocoder" in before:
            register_vocoder_method()
        else:
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
