"""Training the vocoder on real files: losses, checkpoints, exact resume, bad files, the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import torch

from melodygan_desktop.checkpoints.vocoder_files import load_vocoder, vocoder_checkpoints
from melodygan_desktop.config import MelConfig
from melodygan_desktop.data.audio_clips import load_audio_clips
from melodygan_desktop.data.scan import NoUsableAudioError
from melodygan_desktop.models.vocoder import VocoderShape
from melodygan_desktop.training.vocoder_training import VocoderRecipe, train_vocoder, validate

SHORT_MEL = MelConfig(clip_seconds=2.0)
TINY = VocoderShape(width=32, depth=2)
RECIPE = VocoderRecipe(batch=2, segment_frames=8, adversarial_from=2)


@pytest.fixture
def audio_data(genre_folder):
    return load_audio_clips(genre_folder, SHORT_MEL, val_fraction=0.3)


def run(data, run_dir, steps, **kwargs):
    options = dict(steps=steps, shape=TINY, recipe=RECIPE, checkpoint_every=2, report_every=1)
    return list(train_vocoder(data, SHORT_MEL, run_dir, **{**options, **kwargs}))


def test_clips_come_from_whole_tracks_and_bad_files_are_named(genre_folder, tmp_path):
    (genre_folder / "rock" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    soundfile.write(genre_folder / "jazz" / "silence.flac", np.zeros(22050 * 3, np.float32), 22050)
    data = load_audio_clips(genre_folder, SHORT_MEL, val_fraction=0.3)
    assert data.train.clips.dtype == np.int16 and data.train.clips.shape[1] == SHORT_MEL.clip_samples
    assert len(data.val) > 0 and not set(data.train.track_ids) & set(data.val.track_ids)
    skipped = dict(data.skipped)
    assert str(genre_folder / "rock" / "broken.wav") in skipped
    assert "silent" in skipped[str(genre_folder / "jazz" / "silence.flac")]
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoUsableAudioError):
        load_audio_clips(tmp_path / "empty", SHORT_MEL)


def test_trains_adversarially_and_checkpoints_a_loadable_vocoder(audio_data, tmp_path):
    progress = run(audio_data, tmp_path / "run", 4)
    steps = [p for p in progress if p.losses]
    assert "adv" not in steps[0].losses and {"adv", "fm", "d"} <= set(steps[-1].losses)
    assert [p.name for p in vocoder_checkpoints(tmp_path / "run")][-1] == "step_00000004"
    assert progress[-1].val["mrstft"] > 0 and (tmp_path / "run" / "latest.txt").read_text().strip()
    vocoder, mel, meta = load_vocoder(tmp_path / "run")
    assert vocoder.shape == TINY and mel == SHORT_MEL and meta["metrics"]["steps"] == 4


def test_resume_continues_exactly(audio_data, tmp_path):
    run(audio_data, tmp_path / "straight", 6)
    run(audio_data, tmp_path / "split", 4)
    # The run's own recipe wins over the one passed in.
    resumed = run(audio_data, tmp_path / "split", 6, recipe=VocoderRecipe(batch=7))
    assert resumed[0].step == 5
    straight, _, _ = load_vocoder(tmp_path / "straight")
    split, _, _ = load_vocoder(tmp_path / "split")
    for (name, a), (_, b) in zip(straight.state_dict().items(), split.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_time_budget_and_stop_request_end_with_a_checkpoint(audio_data, tmp_path):
    progress = run(audio_data, tmp_path / "stopped", 1000, should_stop=lambda: True)
    assert progress[-1].step == 0 and progress[-1].checkpoint is not None
    budget = run(audio_data, tmp_path / "budget", 1000, max_minutes=1e-9, budget_clock="cpu")
    assert budget[-1].step <= 1 and budget[-1].checkpoint is not None


def test_reconstruction_improves_with_training(audio_data, tmp_path):
    torch.manual_seed(0)
    from melodygan_desktop.models.vocoder import MelVocoder

    before = validate(MelVocoder(TINY), audio_data, SHORT_MEL)["mrstft"]
    recipe = VocoderRecipe(batch=4, segment_frames=16, adversarial_from=10_000, lr=2e-3)
    progress = run(audio_data, tmp_path / "learn", 150, recipe=recipe, checkpoint_every=150)
    assert progress[-1].val["mrstft"] < 0.85 * before  # 2.05 -> 1.59 on this machine


def test_cli_trains_resumes_and_exports(genre_folder, tmp_path, capsys):
    from melodygan_desktop.cli import main

    run_dir = tmp_path / "cli-run"
    common = ["vocoder", "train", str(genre_folder), "--run-dir", str(run_dir), "--batch-size", "2",
              "--segment-frames", "8", "--threads", "1", "--checkpoint-every", "1"]
    assert main([*common, "--steps", "1"]) == 0
    assert main([*common, "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "step_00000002" in out and "resuming the vocoder run" in out and "step_00000001" in out
    assert main(["vocoder", "export", str(run_dir), "-o", str(tmp_path / "out"), "--half"]) == 0
    vocoder, _, meta = load_vocoder(tmp_path / "out")
    assert meta["metrics"]["steps"] == 2 and vocoder.shape.width == 256
    assert main(["vocoder", "train", str(tmp_path / "nowhere")]) != 0
    assert "nowhere" in capsys.readouterr().err
