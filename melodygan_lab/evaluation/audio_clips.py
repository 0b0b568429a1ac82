"""Real clips as audio for the audio yardsticks (musicality, the genre judge): the tracks of a genre folder
(sub-folders = genres, as ``data.scan`` labels them) cut into non-overlapping clips the way training cuts
them (``data.clips``: trailing partial clip dropped, silent clips skipped), decoded to mono at a chosen
rate. Only one clip's audio is held at a time, so a folder of any size streams through.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from melodygan_desktop.data.clips import UnusableFileError, cut_clips, is_silent
from melodygan_desktop.data.scan import Track, scan_folder

#: ``progress(done, total)``: tracks read (``iter_clips``) or clips picked (``pick_clips``).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AudioClip:
    """One clip: mono float32 ``audio`` (samples,) at the requested rate, its genre name, the index of its
    track in the folder scan (clips of one track share it) and where it starts in the track (seconds)."""

    audio: np.ndarray
    genre: str
    track: int
    start_seconds: float


class ClipFolder:
    """The audio tracks of ``folder`` and the files refused on the way (``skipped``: (path, reason))."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        scan = scan_folder(folder)
        self.folder = str(folder)
        self.tracks: list[Track] = list(scan.tracks)
        self.genres: tuple[str, ...] = scan.genres
        self.skipped: list[tuple[str, str]] = list(scan.skipped)

    def iter_clips(
        self, sample_rate: int, clip_seconds: float, progress: Progress | None = None
    ) -> Iterator[AudioClip]:
        """Every non-silent clip of every track, in folder order; unreadable files are added to
        ``skipped``."""
        from melodygan_desktop.audio.io import AudioReadError, iter_audio_blocks

        clip_samples = int(round(clip_seconds * sample_rate))
        for index, track in enumerate(self.tracks):
            try:
                blocks = iter_audio_blocks(track.path, sample_rate, block_seconds=clip_seconds)
                for position, clip in enumerate(cut_clips(blocks, clip_samples)):
                    if not is_silent(clip):
                        yield AudioClip(clip.copy(), track.genre, index, position * clip_seconds)
            except (AudioReadError, UnusableFileError, OSError, RuntimeError, ValueError) as exc:
                self.skipped.append((str(track.path), getattr(exc, "reason", None) or str(exc)))
            if progress is not None:
                progress(index + 1, len(self.tracks))

    def pick_clips(
        self,
        per_genre: int,
        sample_rate: int,
        clip_seconds: float,
        *,
        seed: int = 0,
        genres: tuple[str, ...] | None = None,
        progress: Progress | None = None,
    ) -> Iterator[AudioClip]:
        """Up to ``per_genre`` non-silent clips of each genre (of ``genres``, default all), spread over the
        genre's tracks (one clip per track in turn, tracks and positions in seeded random order), decoding
        only the clips picked. Deterministic in ``seed``."""
        from melodygan_desktop.audio.io import AudioReadError, audio_info, read_audio

        rng = np.random.default_rng(seed)
        wanted = self.genres if genres is None else tuple(g for g in genres if g in self.genres)
        queues: dict[str, list[list[tuple[int, int]]]] = {g: [] for g in wanted}
        for index, track in enumerate(self.tracks):
            if track.genre not in queues:
                continue
            try:
                count = int(math.floor(audio_info(track.path).duration_seconds / clip_seconds + 1e-6))
            except (AudioReadError, OSError) as exc:
                self.skipped.append((str(track.path), getattr(exc, "reason", None) or str(exc)))
                continue
            if count > 0:
                queues[track.genre].append([(index, int(k)) for k in rng.permutation(count)])
        total, done = per_genre * len(wanted), 0
        for genre in wanted:
            tracks = [queues[genre][i] for i in rng.permutation(len(queues[genre]))]
            picked = 0
            while picked < per_genre and any(tracks):
                for positions in tracks:
                    if picked >= per_genre or not positions:
                        continue
                    index, position = positions.pop()
                    start = position * clip_seconds
                    try:
                        audio = read_audio(
                            self.tracks[index].path,
                            sample_rate,
                            start_seconds=start,
                            max_seconds=clip_seconds,
                        )
                    except (AudioReadError, OSError, RuntimeError, ValueError) as exc:
                        self.skipped.append((str(self.tracks[index].path), getattr(exc, "reason", str(exc))))
                        positions.clear()
                        continue
                    audio = audio[: int(round(clip_seconds * sample_rate))]
                    if audio.size < 0.99 * clip_seconds * sample_rate or is_silent(audio):
                        continue
                    picked += 1
                    done += 1
                    yield AudioClip(audio, genre, index, start)
                    if progress is not None:
                        progress(done, total)
            total -= per_genre - picked
