"""Waveform clips of a folder of tracks, for training the vocoder (which learns audio, not mels).

Same rules as the mel pipeline: the folder is scanned with ``scan_folder``, tracks are split into training
and validation by ``split_tracks`` (whole tracks, so no clip leaks across), each file is decoded to mono at
the mel's sample rate and cut into clips of ``mel.clip_seconds``; silent clips are dropped and a file that
cannot be used is skipped with its reason. Clips are held as int16 (2 bytes a sample: 551 minutes of audio
take 1.4 GiB), at most ``max_clips_per_track`` from each track, spread evenly over it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from melodygan_desktop.config import MelConfig
from melodygan_desktop.data.clips import UnusableFileError, cut_clips, decode_reason, is_silent
from melodygan_desktop.data.prepared import split_tracks
from melodygan_desktop.data.scan import NoUsableAudioError, Track, scan_folder

Progress = Callable[[int, int], None]


@dataclass
class AudioClips:
    """``clips`` int16 ``(N, mel.clip_samples)``; ``track_ids`` which track each came from."""

    clips: np.ndarray
    track_ids: np.ndarray

    def __len__(self) -> int:
        return int(self.clips.shape[0])

    def as_float(self, index) -> np.ndarray:
        return self.clips[index].astype(np.float32) * np.float32(1.0 / 32767.0)


@dataclass
class AudioData:
    train: AudioClips
    val: AudioClips
    genres: tuple[str, ...]
    sample_rate: int
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def minutes(self) -> float:
        return (self.train.clips.size + self.val.clips.size) / 60.0 / self.sample_rate


def _track_clips(track: Track, mel: MelConfig, limit: int) -> np.ndarray | str:
    """int16 ``(n, clip_samples)`` of ``track`` (at most ``limit``, evenly spaced), or why it is unusable."""
    from melodygan_desktop.audio import io as audio_io

    try:
        blocks = audio_io.iter_audio_blocks(track.path, mel.sample_rate, block_seconds=10.0)
        kept = [
            np.clip(np.round(clip * 32767.0), -32767, 32767).astype(np.int16)
            for clip in cut_clips(blocks, mel.clip_samples)
            if not is_silent(clip)
        ]
    except UnusableFileError as exc:
        return exc.reason
    except (audio_io.AudioReadError, OSError, RuntimeError, ValueError, EOFError) as exc:
        return decode_reason(exc, track.path)
    if not kept:
        return f"no non-silent clip of {mel.clip_seconds:g} s"
    if len(kept) > limit:
        kept = [kept[int(i)] for i in np.linspace(0, len(kept) - 1, limit).round()]
    return np.stack(kept)


def _assemble(parts: list[tuple[np.ndarray, int]], samples: int) -> AudioClips:
    if not parts:
        return AudioClips(np.zeros((0, samples), np.int16), np.zeros(0, np.int64))
    clips = np.concatenate([part for part, _ in parts])
    ids = np.concatenate([np.full(len(part), track_id, np.int64) for part, track_id in parts])
    return AudioClips(clips, ids)


def load_audio_clips(
    folder: str | os.PathLike[str],
    mel: MelConfig,
    *,
    val_fraction: float = 0.05,
    seed: int = 0,
    max_clips_per_track: int = 64,
    workers: int = 1,
    progress: Progress | None = None,
) -> AudioData:
    """Decode ``folder`` (sub-folders = genres, or a flat folder) into training and validation clips.

    Raises ``NoUsableAudioError`` (naming every skipped file and why) when nothing is usable.
    """
    scan = scan_folder(Path(folder))
    is_val = split_tracks(scan.tracks, val_fraction, seed)
    skipped = list(scan.skipped)
    train: list[tuple[np.ndarray, int]] = []
    val: list[tuple[np.ndarray, int]] = []
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="audio-clips") as pool:
        results = pool.map(lambda track: _track_clips(track, mel, max_clips_per_track), scan.tracks)
        for index, (track, result) in enumerate(zip(scan.tracks, results)):
            if isinstance(result, str):
                skipped.append((str(track.path), result))
            else:
                (val if is_val[index] else train).append((result, index))
            if progress is not None:
                progress(index + 1, len(scan.tracks))
    if not train:
        note = "every track was skipped" if scan.tracks else "no audio files found"
        raise NoUsableAudioError(folder, skipped, note=note)
    return AudioData(_assemble(train, mel.clip_samples), _assemble(val, mel.clip_samples), scan.genres,
                     mel.sample_rate, skipped)


__all__ = ["AudioClips", "AudioData", "load_audio_clips"]
