"""The "best so far" checkpoint: scored on held-out clips, named by best.txt, kept by pruning and resume."""

from __future__ import annotations

import json

import numpy as np
from music_folders import write_genre_folder

from melodygan_desktop import checkpoints
from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.evaluation.checkpoint_score import HeldOutScorer
from melodygan_desktop.training.events import CheckpointSaved, Started
from melodygan_desktop.training.loop import train

SHORT_MEL = MelConfig(clip_seconds=2.0)


class FakeScorer:
    """Binds to any run and returns the given scores in order."""

    def __init__(self, scores):
        self.scores = list(scores)
        self.asked: list[tuple] = []

    def bind(self, mel, genres, val_mels, val_labels, val_tracks):
        def score(mels, genre_indices):
            self.asked.append((mels.shape, None if genre_indices is None else tuple(genre_indices)))
            return self.scores.pop(0)

        return score


def config_for(folder, tmp_path, **overrides) -> TrainConfig:
    values = dict(
        data_dir=str(folder), preset="melodygan-cond", steps=4, batch_size=2, mel=SHORT_MEL, threads=1,
        checkpoint_every=1, log_every=1, preview_every=100, preview_count=1, keep_last=1,
        cache_dir=str(tmp_path / "cache"), val_fraction=0.5,
    )
    values.update(overrides)
    return TrainConfig(**values)


def val_scores(run) -> dict[int, float]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {row["step"]: row["val_fd"] for row in rows if "val_fd" in row}


def test_best_is_named_kept_by_pruning_and_resumed(tmp_path):
    folder = write_genre_folder(tmp_path / "music", tracks=4)
    run = tmp_path / "run"
    scorer = FakeScorer([5.0, 2.0, 3.0, 4.0])
    events = list(train(config_for(folder, tmp_path), run, scorer=scorer))
    assert events[0].scoring.startswith("best checkpoint")
    saved = [e for e in events if isinstance(e, CheckpointSaved)]
    assert [(e.step, e.score, e.best) for e in saved] == [
        (1, 5.0, True), (2, 2.0, True), (3, 3.0, False), (4, 4.0, False)
    ]
    # a fixed set of generated clips: four per validation genre, of the run's clip length
    assert scorer.asked[0][0] == (8, 128, SHORT_MEL.frames) and scorer.asked[0] == scorer.asked[-1]
    assert (run / "best.txt").read_text().splitlines() == ["step_00000002", "2.0"]
    assert checkpoints.best_checkpoint(run) == run / "step_00000002"
    # keep_last=1 keeps the newest and the best, nothing else
    assert [p.name for p in checkpoints.list_checkpoints(run)] == ["step_00000002", "step_00000004"]
    assert val_scores(run) == {1: 5.0, 2: 2.0, 3: 3.0, 4: 4.0}

    # resume: 2.5 does not beat the stored 2.0; 1.0 does
    events = list(train(config_for(folder, tmp_path, steps=6), run, scorer=FakeScorer([2.5, 1.0])))
    assert [(e.step, e.best) for e in events if isinstance(e, CheckpointSaved)] == [(5, False), (6, True)]
    assert checkpoints.best_checkpoint(run) == run / "step_00000006"
    assert [p.name for p in checkpoints.list_checkpoints(run)] == ["step_00000006"]

    events = list(train(config_for(folder, tmp_path, steps=7), run, scorer=FakeScorer([9.0])))
    assert [(e.step, e.best) for e in events if isinstance(e, CheckpointSaved)] == [(7, False)]
    assert [p.name for p in checkpoints.list_checkpoints(run)] == ["step_00000006", "step_00000007"]


def test_best_checkpoint_falls_back_to_the_newest(genre_folder, tmp_path):
    run = tmp_path / "run"
    list(train(config_for(genre_folder, tmp_path, steps=2), run))
    assert not (run / "best.txt").exists()
    assert checkpoints.best_checkpoint(run) == checkpoints.latest_checkpoint(run) == run / "step_00000002"
    (run / "best.txt").write_text("step_00000001\n1.0\n")  # pruned away: not trusted
    assert checkpoints.best_checkpoint(run) == run / "step_00000002"


def test_held_out_scorer_on_a_tiny_folder(tmp_path):
    folder = write_genre_folder(tmp_path / "music", tracks=4)
    run = tmp_path / "run"
    events = list(train(config_for(folder, tmp_path, steps=2), run, scorer=HeldOutScorer()))
    started = events[0]
    assert isinstance(started, Started) and started.scoring.startswith("best checkpoint"), started.scoring
    saved = [e for e in events if isinstance(e, CheckpointSaved)]
    assert all(e.score is not None and np.isfinite(e.score) and e.score >= 0 for e in saved)
    assert saved[0].best
    best = min(saved, key=lambda e: e.score)
    assert checkpoints.best_checkpoint(run) == run / f"step_{best.step:08d}"
    assert set(val_scores(run)) == {1, 2}


def test_scoring_is_skipped_when_mel_settings_differ(tmp_path):
    folder = write_genre_folder(tmp_path / "music", tracks=4)
    run = tmp_path / "run"
    mel = MelConfig(clip_seconds=2.0, db_floor=-80.0)  # the classifier was trained on -90 dB
    events = list(train(config_for(folder, tmp_path, steps=2, mel=mel), run, scorer=HeldOutScorer()))
    assert "no best-checkpoint scoring" in events[0].scoring and "db_floor" in events[0].scoring
    assert all(e.score is None and not e.best for e in events if isinstance(e, CheckpointSaved))
    assert not (run / "best.txt").exists()
    assert checkpoints.best_checkpoint(run) == run / "step_00000002"


def test_scoring_is_skipped_without_enough_held_out_tracks(genre_folder, tmp_path):
    run = tmp_path / "run"
    events = list(train(config_for(genre_folder, tmp_path, steps=1), run, scorer=HeldOutScorer()))
    assert "no best-checkpoint scoring: the validation split has" in events[0].scoring
    assert not (run / "best.txt").exists()
