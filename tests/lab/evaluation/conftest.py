"""Shared by the evaluation tests: a tiny generated corpus, a classifier and a genre judge trained on it,
and a briefly trained generator (package scope: built once for all the files that ask)."""

from __future__ import annotations

import pytest
from evalhelpers import TINY_MEL, write_corpus

from melodygan_desktop.config import TrainConfig
from melodygan_desktop.training.loop import train
from melodygan_lab.evaluation.classifier_pipeline import train_classifier_folder
from melodygan_lab.evaluation.train_classifier import ClassifierTrainConfig

FAST = ClassifierTrainConfig(epochs=5, batch_size=8, learning_rate=3e-3, crop_frames=32, patience=3)


@pytest.fixture(scope="package")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluation")
    corpus = write_corpus(root / "corpus", TINY_MEL, {"train": 4, "validation": 2, "test": 3})
    return root, corpus


@pytest.fixture(scope="package")
def classifier(workspace):
    root, corpus = workspace
    build = train_classifier_folder(
        corpus, root / "classifier", mel=TINY_MEL, config=FAST, cache_dir=root / "cache"
    )
    return build


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
def judge(workspace):
    from melodygan_lab.evaluation.judge import JudgeArchitecture, JudgeTrainConfig
    from melodygan_lab.evaluation.judge_features import JudgeFeatureSettings
    from melodygan_lab.evaluation.judge_pipeline import train_judge_folder

    root, corpus = workspace
    config = JudgeTrainConfig(epochs=60, architecture=JudgeArchitecture(hidden=0, dropout=0.0))
    settings = JudgeFeatureSettings(clip_seconds=1.0)
    return train_judge_folder(corpus, root / "judge", settings=settings, config=config).judge
