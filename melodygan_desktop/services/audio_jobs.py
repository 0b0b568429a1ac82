"""The core's audio jobs as the app's services call them: export a take, write a loop, estimate its tempo,
turn a training preview into sound. Each imports the heavy core module on first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from melodygan_desktop.config import MelConfig


def write_audio(path: Path, audio: np.ndarray, sample_rate: int, metadata: dict[str, str]) -> None:
    """Write an exported take (format from the extension, metadata in the file's tags)."""
    from melodygan_desktop.audio.io import write_audio as core_write

    core_write(Path(path), audio, sample_rate, metadata=metadata)


def estimate_tempo(audio: np.ndarray, sample_rate: int) -> Any:
    """The take's tempo and first beat (``evaluation.tempo.TempoEstimate``), or None when no beat is found."""
    from melodygan_desktop.evaluation.tempo import estimate_tempo as core_estimate

    return core_estimate(audio, sample_rate)


def write_loop(path: Path, audio: np.ndarray, sample_rate: int, spec: Any, metadata: dict[str, str]) -> Path:
    """Write the take cut to ``spec`` (anything with ``bpm``, ``bars``, ``beats_per_bar`` and
    ``start_seconds``: ``audio.loops.LoopSpec``, the dialog's ``LoopChoice``) as a WAV with loop points."""
    from melodygan_desktop.audio.loops import LoopSpec, write_loop_wav

    spec = LoopSpec(float(spec.bpm), int(spec.bars), int(spec.beats_per_bar), float(spec.start_seconds))
    return write_loop_wav(Path(path), audio, sample_rate, spec, metadata=metadata)


def invert_preview(mels: np.ndarray, mel: MelConfig) -> np.ndarray:
    """Training preview mel (n_mels, frames) in [0, 1] under the preview's ``mel`` -> audio float32 (samples,)
    by fast Griffin-Lim."""
    from melodygan_desktop.audio.inversion import METHODS, invert

    method = "fast-griffin-lim" if "fast-griffin-lim" in METHODS else next(iter(METHODS))
    return np.asarray(invert(mels, mel, method), dtype=np.float32)
