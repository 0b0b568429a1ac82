"""Write one corpus file: copy a recording, or render a module / MIDI score / LMMS project / MMA song.

Files land in ``<corpus>/<split>/<genre>/`` under a name made from the package and the source file;
every write is atomic, and the finished record (with size and sha256) is what makes a rerun skip it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from .arrange import SongSpec
from .errors import RenderError
from .manifest import TrackRecord, sha256_of
from .render import (
    SAMPLE_RATE,
    Tools,
    loud_bounds,
    render_lmms,
    render_midi,
    render_tracker,
    tidy,
    write_flac,
)
from .songs import render_song
from .split import Candidate

MINIMUM_SECONDS = 5.0
SILENCE_KEPT_SECONDS = 5.0  # recordings with more silence at their ends are stored trimmed (FLAC)


def safe_name(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("._")
    return cleaned[:120] or "track"


def output_relative(candidate: Candidate, split: str) -> str:
    name = candidate.source.rsplit("/", 1)[-1]
    if candidate.source_type == "recording":
        stem, _, extension = name.rpartition(".")
        file_name = f"{safe_name(candidate.package)}__{safe_name(stem)}.{extension.lower()}"
    elif candidate.source_type == "mma":
        file_name = f"{safe_name(name.rsplit('.', 1)[0])}.flac"
    else:
        file_name = f"{safe_name(candidate.package)}__{safe_name(name)}.flac"
    return f"{split}/{candidate.genre}/{file_name}"


def _finish(candidate: Candidate, split: str, corpus_dir: Path, relative: str, seconds: float) -> TrackRecord:
    path = corpus_dir / relative
    return TrackRecord(
        file=relative, package=candidate.package, licence=candidate.licence,
        attribution=candidate.attribution,
        label=candidate.genre, kind=candidate.kind, seconds=round(seconds, 2), sha256=sha256_of(path),
        split=split, track_id=candidate.track_id, source=candidate.source, source_type=candidate.source_type,
        group=candidate.group, size=path.stat().st_size,
    )


def _store_recording(source: Path, target: Path) -> tuple[Path, float]:
    """Copy a recording as it is, or, when it has over 5 s of silence at its ends, write the loud part
    as FLAC (same rate and channels). Returns the written path and its length in seconds."""
    try:
        audio, rate = soundfile.read(str(source), dtype="int16", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise RenderError(f"{source.name}: not readable as audio ({exc})") from exc
    mono = np.zeros(len(audio), dtype=np.float32)
    for channel in range(audio.shape[1]):
        mono += audio[:, channel] / (32768.0 * audio.shape[1])
    bounds = loud_bounds(mono, rate)
    seconds = 0.0 if bounds is None else (bounds[1] - bounds[0]) / rate
    if seconds < MINIMUM_SECONDS:
        raise RenderError(f"{source.name}: only {seconds:.1f} s of sound")
    target.parent.mkdir(parents=True, exist_ok=True)
    if len(audio) / rate - seconds <= SILENCE_KEPT_SECONDS:
        temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return target, len(audio) / rate
    trimmed = target.with_suffix(".flac")
    temporary = trimmed.with_name(f".{trimmed.name}.{os.getpid()}.part")
    try:
        soundfile.write(str(temporary), audio[bounds[0]:bounds[1]], rate, format="FLAC", subtype="PCM_16")
        os.replace(temporary, trimmed)
    finally:
        temporary.unlink(missing_ok=True)
    return trimmed, seconds


def _write_rendered(audio, target: Path, name: str) -> float:
    seconds = len(audio) / SAMPLE_RATE
    if seconds < MINIMUM_SECONDS:
        raise RenderError(f"{name}: rendered only {seconds:.1f} s of sound")
    write_flac(target, audio, SAMPLE_RATE)
    return seconds


def produce_track(candidate: Candidate, split: str, source: Path, corpus_dir: Path, scratch_dir: Path,
                  tools: Tools, *, max_render_seconds: float) -> TrackRecord:
    """Copy or render one packaged file into the corpus and describe it. Raises RenderError on failure."""
    relative = output_relative(candidate, split)
    target = corpus_dir / relative
    if candidate.source_type == "recording":
        written, seconds = _store_recording(source, target)
        return _finish(candidate, split, corpus_dir, written.relative_to(corpus_dir).as_posix(), seconds)
    scratch_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="render-") as folder:
        work = Path(folder)
        if candidate.source_type == "tracker":
            audio = render_tracker(source, work, tools, max_seconds=max_render_seconds)
        elif candidate.source_type == "midi":
            audio = render_midi(source, work, tools, max_seconds=max_render_seconds)
        elif candidate.source_type == "lmms":
            audio = render_lmms(source, work, tools, max_seconds=max_render_seconds)
        else:
            raise RenderError(f"{source.name}: no renderer for {candidate.source_type!r}")
        audio = tidy(audio, SAMPLE_RATE, max_seconds=max_render_seconds)
        seconds = _write_rendered(audio, target, source.name)
    return _finish(candidate, split, corpus_dir, relative, seconds)


def produce_song(candidate: Candidate, spec: SongSpec, split: str, corpus_dir: Path, scratch_dir: Path,
                 tools: Tools, *, max_render_seconds: float) -> TrackRecord:
    """Arrange, render and write one MMA song (its .mma source is kept beside the manifest for reference)."""
    relative = output_relative(candidate, split)
    scratch_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix="song-") as folder:
        audio = render_song(spec, Path(folder), tools, max_seconds=max_render_seconds)
        sources = corpus_dir / "arrangements" / spec.genre
        sources.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(folder) / f"{spec.file_stem}.mma", sources / f"{spec.file_stem}.mma")
        seconds = _write_rendered(audio, corpus_dir / relative, spec.file_stem)
    return _finish(candidate, split, corpus_dir, relative, seconds)
