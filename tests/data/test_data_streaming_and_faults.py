"""Data that is huge or goes away: a real hour-long file is prepared in bounded memory; files or the whole
data folder vanishing during preparation are skipped with a reason; a folder deleted during training does
not stop the run (the clips are in memory), and resuming it later without the folder is one clear error."""

from __future__ import annotations

import shutil
import tracemalloc

import numpy as np
import soundfile as sf
from datahelpers import TINY_MEL, make_genre_folder

from melodygan_desktop import checkpoints
from melodygan_desktop.cli import main
from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.data.prepared import prepare_dataset
from melodygan_desktop.training.events import Finished, Started
from melodygan_desktop.training.loop import train


def write_long_file(path, hours: float, rate: int) -> None:
    """A real file of ``hours`` (mono PCM-16), written as one minute of tone and noise repeated in chunks."""
    t = np.arange(60 * rate) / rate
    minute = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * np.random.default_rng(0).standard_normal(t.size)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sf.SoundFile(path, "w", rate, 1, "PCM_16") as out:
        for _ in range(int(hours * 60)):
            out.write(minute.astype(np.float32))


def test_a_real_hour_long_file_is_prepared_in_bounded_memory(tmp_path):
    rate, hours = 8000, 1.0  # the lowest accepted rate keeps the file at 58 MB and the test at a few seconds
    mel = MelConfig(sample_rate=rate, n_fft=256, hop_length=256, n_mels=16, clip_seconds=10.0)
    write_long_file(tmp_path / "data" / "one_hour.wav", hours, rate)
    tracemalloc.start()
    try:
        prepared = prepare_dataset(tmp_path / "data", mel, cache_dir=tmp_path / "cache", val_fraction=0.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert prepared.summary.clips == 360 and prepared.summary.seconds == hours * 3600
    assert prepared.train.mels.shape == (360, 16, mel.frames) and not prepared.summary.skipped
    decoded = hours * 3600 * rate * 4  # the whole file as float32: 115 MB
    # Mostly the prepared clips themselves (held twice while they are assembled).
    assert peak < decoded / 8, f"peak {peak / 1e6:.1f} MB of Python/NumPy memory while streaming"


def test_files_vanishing_during_preparation_are_skipped(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 2, "b": 2}, seconds=1.2)

    def delete_everything_after_the_first_file(done: int, total: int, path: str) -> None:
        if done == 1:
            shutil.rmtree(data)

    prepared = prepare_dataset(  # one worker: no other file is in flight when the folder goes
        data, TINY_MEL, cache_dir=tmp_path / "cache", progress=delete_everything_after_the_first_file,
        workers=1,
    )
    assert prepared.summary.tracks == 1
    reasons = dict(prepared.summary.skipped)
    assert len(reasons) == 3
    assert all("not found" in reason or "vanished" in reason for reason in reasons.values()), reasons


def test_training_goes_on_when_the_data_folder_disappears(genre_folder, tmp_path, capsys):
    run = tmp_path / "run"
    config = TrainConfig(
        data_dir=str(genre_folder), preset="melodygan-v3", steps=3, batch_size=2,
        mel=MelConfig(clip_seconds=2.0), threads=1, checkpoint_every=1, log_every=1, preview_every=100,
        cache_dir=str(tmp_path / "cache"),
    )
    finished = None
    for event in train(config, run):
        if isinstance(event, Started):
            shutil.rmtree(genre_folder)  # the clips are already in memory
        finished = event
    assert isinstance(finished, Finished) and finished.reason == "completed" and finished.step == 3
    assert checkpoints.load_generator(run).meta.step == 3

    code = main(["train", "--resume", str(run), "--steps", "5", "--threads", "1", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"Data folder {genre_folder} does not exist" in err
    assert checkpoints.load_generator(run).meta.step == 3
