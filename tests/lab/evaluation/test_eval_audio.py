"""The audio half of an evaluation: takes inverted to audio and real test audio, measured with the
musicality yardsticks and heard by the genre judge; and picking real clips from a folder."""

from __future__ import annotations

import numpy as np
import pytest
from evalhelpers import GENRES, TINY_MEL, synthetic_clipset, write_corpus

from melodygan_lab.evaluation.audio_clips import ClipFolder
from melodygan_lab.evaluation.audio_report import audio_measures, judge_section
from melodygan_lab.evaluation.judge import JudgeArchitecture, JudgeTrainConfig
from melodygan_lab.evaluation.judge_features import JudgeFeatureSettings
from melodygan_lab.evaluation.judge_pipeline import train_judge_folder
from melodygan_lab.evaluation.markdown import audio_markdown


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio-eval")
    corpus = write_corpus(root / "corpus", TINY_MEL, {"train": 4, "validation": 2, "test": 3})
    config = JudgeTrainConfig(epochs=60, architecture=JudgeArchitecture(hidden=0, dropout=0.0))
    build = train_judge_folder(
        corpus, root / "judge", settings=JudgeFeatureSettings(clip_seconds=1.0), config=config
    )
    return corpus, build.judge


def test_real_clips_are_picked_per_genre_across_tracks(setup):
    corpus, _ = setup
    folder = ClipFolder(corpus / "test")
    picks = list(folder.pick_clips(4, 22050, 1.0, seed=3))
    assert [clip.genre for clip in picks] == [GENRES[0]] * 4 + [GENRES[1]] * 4
    assert all(clip.audio.shape == (22050,) for clip in picks)
    assert len({clip.track for clip in picks[:4]}) == 3  # one clip per track in turn
    again = list(ClipFolder(corpus / "test").pick_clips(4, 22050, 1.0, seed=3))
    assert [(c.track, c.start_seconds) for c in again] == [(c.track, c.start_seconds) for c in picks]
    assert len(list(folder.pick_clips(50, 22050, 1.0, genres=(GENRES[1], "other")))) == 9  # all there are
    every = list(ClipFolder(corpus / "test").iter_clips(8000, 1.0))
    assert len(every) == 18 and every[0].audio.shape == (8000,)


def test_takes_and_real_audio_are_measured_and_judged(setup):
    corpus, judge = setup
    clips = synthetic_clipset(TINY_MEL, 3, seed=7)  # stands in for generated takes of each genre
    stages = set()
    audio = audio_measures(
        clips.mels.astype(np.float32), clips.labels, GENRES, TINY_MEL, corpus / "test",
        judge=judge, per_genre=4, progress=lambda stage, done, total: stages.add(stage),
    )  # fmt: skip
    assert stages == {"audio: generated takes", "audio: real clips"}
    assert audio["clips"] == {"real": {g: 4 for g in GENRES}, "generated": {g: 3 for g in GENRES}}
    verdict = audio["judge"]
    assert verdict["overall"]["real_accuracy"] >= 0.75
    assert verdict["overall"]["generated_accuracy"] >= 0.5  # clear genres survive mel -> audio
    assert np.array(verdict["confusion"]["counts"]).sum() == 6
    music = audio["musicality"]
    for side in ("real", "generated"):
        chords, bursts = music[side]["genres"][GENRES[0]], music[side]["genres"][GENRES[1]]
        assert chords["harmonic_share"] > bursts["harmonic_share"]
        assert chords["flatness"] < bursts["flatness"]
    text = audio_markdown(audio)
    assert "**overall**" in text and "harmonic share (real / gen)" in text and "judge" in text


def test_without_real_audio_or_judge_the_figures_say_so(setup):
    corpus, _ = setup
    clips = synthetic_clipset(TINY_MEL, 2, seed=8)
    audio = audio_measures(
        clips.mels.astype(np.float32), None, GENRES, TINY_MEL, None, judge=None, per_genre=2
    )
    assert audio["judge"] is None and audio["clips"]["generated"] == {"all": 4}
    assert audio["musicality"]["real"]["overall"]["flatness"] is None
    assert audio["musicality"]["generated"]["overall"]["flatness"] is not None
    assert any("no folder of real audio" in note for note in audio["notes"])
    assert "n/a" in audio_markdown(audio)


def test_genres_the_judge_does_not_know_score_none(setup):
    _, judge = setup
    features = np.zeros((2, len(judge.meta.feature_names)), dtype=np.float32)
    section = judge_section(
        judge, (GENRES[0], "polka"), (features, np.array([0, 1])), (features, np.array([0, 1]))
    )
    assert section["per_genre"]["polka"] == {"generated_accuracy": None, "real_accuracy": None}
    assert section["per_genre"][GENRES[0]]["real_accuracy"] in (0.0, 1.0)
