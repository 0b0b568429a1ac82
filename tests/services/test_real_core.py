"""The services over the real core: data summary, a 2-step training run in the QThread, then generation
from the model it installed (train -> "Open in Generate" without the widgets)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from melodygan_desktop import paths
from melodygan_desktop.checkpoints import CheckpointError
from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.services import core
from melodygan_desktop.services.generation import CoreGenerator, GenerationRequest
from melodygan_desktop.services.training_session import TrainingSession
from melodygan_desktop.training.events import StepMetrics


def _music(root, seconds: float = 10.5):
    rate = 22050
    t = np.arange(int(seconds * rate)) / rate
    for genre_index, genre in enumerate(("jazz", "rock")):
        for track in range(2):
            tone = np.sin(2 * np.pi * (220 + 50 * genre_index + 7 * track) * t) * np.exp(-2 * (t % 0.5))
            (root / genre).mkdir(parents=True, exist_ok=True)
            sf.write(str(root / genre / f"{genre}{track}.wav"), (0.4 * tone).astype(np.float32), rate)
    (root / "rock" / "notes.wav").write_bytes(b"not audio")
    return root


def test_prepare_summary_reports_tracks_and_skipped_files(tmp_path):
    folder = _music(tmp_path / "music")
    messages = []
    summary = core.prepare_summary(
        folder, "paper000-10s", lambda fraction, message="": messages.append(message)
    )
    assert summary.tracks == 4 and summary.genres == ("jazz", "rock") and summary.clips == 4
    assert [path.endswith("notes.wav") for path, _ in summary.skipped] == [True]
    assert messages and "/" in messages[-1]


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, CUDA])])
def test_train_in_the_session_then_generate_from_the_installed_model(qtbot, tmp_path, device):
    folder = _music(tmp_path / "music", seconds=4.5)
    config = TrainConfig(
        data_dir=str(folder),
        preset="melodygan-cond",
        steps=2,
        batch_size=2,
        mel=MelConfig(clip_seconds=2.0),
        threads=1,
        checkpoint_every=2,
        log_every=1,
        preview_every=2,
        preview_count=2,
        device=device,
        cache_dir=str(tmp_path / "cache"),
    )
    session = TrainingSession()  # the real core.train, torch threads capped in the training thread
    metrics = []
    session.metrics.connect(metrics.append)
    with qtbot.waitSignal(session.finished, timeout=60000) as blocker:
        session.start(config, tmp_path / "runs" / "run1")
    finished = blocker.args[0]
    assert finished.reason == "completed" and finished.checkpoint, finished
    assert [m.step for m in metrics if isinstance(m, StepMetrics)] == [1, 2]

    installed = core.export_trained_model(finished.checkpoint, "run1", "music · melodygan-cond · step 2")
    assert installed == paths.user_models_dir() / "run1"
    for bad in ("../outside", "/abs/dir", "a/b"):  # names are names: never a path out of the models folder
        with pytest.raises(CheckpointError):
            core.export_trained_model(finished.checkpoint, bad)
    assert not (paths.user_models_dir().parent / "outside").exists()
    listed = [(model.name, model.genres) for model in core.find_models() if model.path == installed]
    assert listed == [("music · melodygan-cond · step 2", ("jazz", "rock"))]

    progress = []
    take = CoreGenerator()(
        GenerationRequest(str(installed), {"jazz": 0.5, "rock": 0.5}, 4, 5.0, "nnls-fgla"),
        lambda fraction, message=None: progress.append(fraction),
    )
    assert take.audio.dtype == np.float32 and np.isfinite(take.audio).all()
    assert abs(take.duration_seconds - 5.0) < 0.05 and take.mel.shape[0] == len(take.band_hz) == 128
    assert take.band_hz[0] < take.band_hz[-1] and abs(take.frame_seconds - 512 / 22050) < 1e-9
    assert progress[-1] == 1.0 and take.metadata["seed"] == "4"


def test_unfinished_runs_are_found_and_their_settings_kept_for_resuming(tmp_path):
    from melodygan_desktop.training.run_folder import write_run_config

    runs = tmp_path / "runs"

    def run(name: str, steps: int, saved: int) -> None:
        folder = runs / name
        write_run_config(folder, TrainConfig(data_dir=str(tmp_path / "music"), steps=steps, batch_size=3), {})
        step = folder / f"step_{saved:08d}"
        step.mkdir(parents=True)
        (step / "generator.safetensors").write_bytes(b"")
        (step / "meta.json").write_text("{}")

    run("stopped", 2000, 520)
    run("done", 100, 100)
    (runs / "not-a-run").mkdir()
    found = core.unfinished_runs(runs)
    assert [(info.path.name, info.step, info.steps) for info in found] == [("stopped", 520, 2000)]
    assert found[0].label == "stopped · step 520 / 2000" and found[0].data_dir == str(tmp_path / "music")
    config = core.resume_config(found[0].path, 3000, "cpu", 1)
    assert (config.steps, config.device, config.batch_size) == (3000, "cpu", 3)
