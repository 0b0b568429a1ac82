"""Render one arranged song: MMA -> MIDI -> fluidsynth, with distorted guitars for the genres that want them.

For metal the guitar channels (General MIDI programs 25-32) are rendered apart, passed through
``sox overdrive`` and mixed back over the rest of the band.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from . import midi
from .arrange import SongSpec, mma_text
from .errors import RenderError
from .render import SAMPLE_RATE, Tools, render_midi, sox_effect, tidy

#: sox effect chains applied to the guitar channels, per genre.
GUITAR_EFFECTS: dict[str, list[str]] = {
    "metal": ["overdrive", "25", "20", "gain", "-8"],
}


def compile_mma(spec: SongSpec, work: Path, tools: Tools, timeout: float = 120.0) -> Path:
    """Write the song's ``.mma`` file and compile it with ``mma -f OUT.mid IN.mma``."""
    tools.require("mma")
    source, target = work / f"{spec.file_stem}.mma", work / f"{spec.file_stem}.mid"
    source.write_text(mma_text(spec), encoding="utf-8")
    try:
        result = subprocess.run([tools.mma, "-f", str(target), str(source)], capture_output=True, text=True,
                                timeout=timeout, cwd=work)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"mma {source.name}: took longer than {timeout:.0f} s") from exc
    errors = [line for line in (result.stdout + result.stderr).splitlines() if "Error" in line]
    if result.returncode != 0 or not target.is_file() or errors:
        detail = " / ".join(errors[-2:] or (result.stderr or result.stdout).strip().splitlines()[-2:])
        raise RenderError(f"mma {source.name}: {detail or 'no MIDI file written'}")
    return target


def _mix(parts: list[np.ndarray]) -> np.ndarray:
    length = max(len(p) for p in parts)
    mixed = np.zeros(length, dtype=np.float32)
    for part in parts:
        mixed[: len(part)] += part
    return mixed


def render_song(spec: SongSpec, work: Path, tools: Tools, *, max_seconds: float) -> np.ndarray:
    """The song as float32 mono at 22050 Hz, silence trimmed, at most ``max_seconds`` long."""
    work.mkdir(parents=True, exist_ok=True)
    midi_path = compile_mma(spec, work, tools)
    effect = GUITAR_EFFECTS.get(spec.genre)
    guitars = midi.guitar_channels(midi_path) if effect else set()
    if not guitars:
        audio = render_midi(midi_path, work, tools, max_seconds=max_seconds)
        return tidy(audio, SAMPLE_RATE, max_seconds=max_seconds)
    data = midi_path.read_bytes()
    guitar_path, band_path = work / "guitars.mid", work / "band.mid"
    guitar_path.write_bytes(midi.split_channels(data, guitars, midi_path.name))
    band_path.write_bytes(midi.split_channels(data, set(range(16)) - guitars, midi_path.name))
    guitar_dir, band_dir = work / "guitars", work / "band"
    guitar_dir.mkdir(exist_ok=True)
    band_dir.mkdir(exist_ok=True)
    guitar_audio = render_midi(guitar_path, guitar_dir, tools, max_seconds=max_seconds)
    band_audio = render_midi(band_path, band_dir, tools, max_seconds=max_seconds)
    distorted = sox_effect(guitar_audio, tools, effect)
    return tidy(_mix([band_audio, distorted]), SAMPLE_RATE, max_seconds=max_seconds)
