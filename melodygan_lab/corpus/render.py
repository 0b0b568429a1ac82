"""Render tracker modules, MIDI scores and LMMS projects to audio with external tools, safely.

Every tool runs under a wall-clock limit and an output-size limit (some MIDI files with sustained notes
never end); output is read leniently so a render stopped at the size limit still gives its first minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from .errors import MissingToolError, RenderError

SAMPLE_RATE = 22050
SOUNDFONT_CANDIDATES = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2")


@dataclass(frozen=True)
class Tools:
    """Paths of the external renderers (None where missing) and the General-MIDI soundfont."""

    openmpt123: str | None = None
    fluidsynth: str | None = None
    timidity: str | None = None
    mma: str | None = None
    sox: str | None = None
    lmms: str | None = None
    soundfont: str | None = None

    @classmethod
    def detect(cls) -> Tools:
        soundfont = next((p for p in SOUNDFONT_CANDIDATES if Path(p).is_file()), None)
        return cls(*(shutil.which(n) for n in ("openmpt123", "fluidsynth", "timidity", "mma", "sox", "lmms")),
                   soundfont=soundfont)

    def missing(self) -> list[str]:
        names = [n for n in ("openmpt123", "fluidsynth", "mma", "sox") if getattr(self, n) is None]
        return names + ([] if self.soundfont else ["fluid-soundfont-gm"])

    def require(self, *names: str) -> None:
        absent = [n for n in names if getattr(self, n) is None]
        if absent:
            raise MissingToolError(f"{', '.join(absent)} not installed: `melodygan corpus deps --install`")


def run_limited(command: list[str], output: Path, *, timeout: float, max_bytes: int, what: str,
                env: dict[str, str] | None = None) -> bool:
    """Run ``command``; stop it when it exceeds ``timeout`` seconds or ``output`` grows past ``max_bytes``.

    Returns True when the tool finished on its own, False when it was stopped at the size limit (the
    partial output is kept). Raises RenderError on failure, timeout with no output, or a missing tool.
    """
    if shutil.which(command[0]) is None and not Path(command[0]).is_file():
        raise MissingToolError(f"{what}: `{command[0]}` is not installed")
    started = time.monotonic()
    with tempfile.TemporaryFile() as log, subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})}
    ) as process:
        while process.poll() is None:
            time.sleep(0.05)
            size = output.stat().st_size if output.exists() else 0
            if size > max_bytes or time.monotonic() - started > timeout:
                process.kill()
                process.wait()
                if size > 65536:
                    return False
                elapsed = time.monotonic() - started
                raise RenderError(f"{what}: stopped after {elapsed:.0f} s with no usable output")
        log.seek(0)
        errors = log.read().decode(errors="replace")
    if process.returncode != 0:
        tail = " / ".join(errors.strip().splitlines()[-2:])
        raise RenderError(f"{what}: `{Path(command[0]).name}` exited with {process.returncode}: {tail}")
    if not output.exists() or output.stat().st_size == 0:
        raise RenderError(f"{what}: `{Path(command[0]).name}` wrote no audio")
    return True


def read_lenient(path: Path, raw_channels: int = 2) -> tuple[np.ndarray, int]:
    """Read a WAV (or raw s16 at 22050 Hz) as float32 mono, tolerating headers left unfinished by a kill."""
    if path.suffix != ".raw":
        try:
            audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
            if len(audio):
                return audio.mean(axis=1), rate
        except (RuntimeError, soundfile.LibsndfileError):
            pass
    payload = path.read_bytes()
    offset, channels, rate = 0, raw_channels, SAMPLE_RATE
    if payload[:4] == b"RIFF":
        fmt = payload.find(b"fmt ")
        if fmt >= 0:
            channels = int.from_bytes(payload[fmt + 10:fmt + 12], "little") or raw_channels
            rate = int.from_bytes(payload[fmt + 12:fmt + 16], "little") or SAMPLE_RATE
        data = payload.find(b"data")
        offset = data + 8 if data >= 0 else 44
    usable = (len(payload) - offset) // (2 * channels) * 2 * channels
    samples = np.frombuffer(payload, dtype="<i2", count=usable // 2, offset=offset)
    return samples.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768.0, rate


def loud_bounds(mono: np.ndarray, sample_rate: int, threshold_db: float = -60.0) -> tuple[int, int] | None:
    """(first, end) sample of the part louder than ``threshold_db`` dBFS in 50 ms windows; None if silent."""
    window = max(1, sample_rate // 20)
    frames = len(mono) // window
    if frames == 0:
        return None
    blocks = mono[: frames * window].reshape(frames, window).astype(np.float32)
    rms = np.sqrt(np.mean(blocks**2, axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(rms) > threshold_db)
    if len(loud) == 0:
        return None
    return int(loud[0] * window), int(min(len(mono), (loud[-1] + 1) * window))


def tidy(audio: np.ndarray, sample_rate: int, *, max_seconds: float,
         threshold_db: float = -60.0) -> np.ndarray:
    """Trim leading/trailing silence (50 ms windows under ``threshold_db``), cap the length, no clipping."""
    bounds = loud_bounds(audio, sample_rate, threshold_db)
    if bounds is None:
        return audio[:0]
    trimmed = audio[bounds[0]:bounds[1]][: int(max_seconds * sample_rate)]
    peak = float(np.max(np.abs(trimmed)))
    return (trimmed / peak * 0.98).astype(np.float32) if peak > 0.98 else trimmed.astype(np.float32)


def write_flac(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write mono 16-bit FLAC atomically (temporary file in the same folder, then ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        soundfile.write(str(temporary), audio, sample_rate, format="FLAC", subtype="PCM_16")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _bytes_for(seconds: float, channels: int = 2) -> int:
    return int(seconds * SAMPLE_RATE * channels * 2) + 65536


def render_tracker(source: Path, work: Path, tools: Tools, *, max_seconds: float) -> np.ndarray:
    """A .mod/.xm/.it/.s3m module through openmpt123 -> float32 mono at 22050 Hz."""
    tools.require("openmpt123")
    output = work / "module.wav"
    run_limited([tools.openmpt123, "--batch", "--quiet", "--samplerate", str(SAMPLE_RATE), "--force",
                 "-o", str(output), str(source)], output, timeout=max(60.0, max_seconds),
                max_bytes=_bytes_for(max_seconds * 1.5), what=f"rendering {source.name}")
    return read_lenient(output)[0]


def render_midi(source: Path, work: Path, tools: Tools, *, max_seconds: float,
                gain: float = 0.7) -> np.ndarray:
    """A MIDI file through fluidsynth (timidity as the fallback) -> float32 mono at 22050 Hz."""
    errors = []
    limit = _bytes_for(max_seconds * 1.2)
    if tools.fluidsynth and tools.soundfont:
        output = work / "midi.raw"
        try:
            run_limited([tools.fluidsynth, "-ni", "-q", "-g", str(gain), "-r", str(SAMPLE_RATE), "-T", "raw",
                         "-F", str(output), tools.soundfont, str(source)], output,
                        timeout=max(60.0, max_seconds), max_bytes=limit, what=f"fluidsynth {source.name}")
            return read_lenient(output)[0]
        except RenderError as exc:
            errors.append(str(exc))
    if tools.timidity:
        output = work / "midi.wav"
        run_limited([tools.timidity, "-Ow", "-s", str(SAMPLE_RATE), "-o", str(output), str(source)], output,
                    timeout=max(60.0, max_seconds), max_bytes=limit, what=f"timidity {source.name}")
        return read_lenient(output)[0]
    raise RenderError(f"rendering {source.name}: " + ("; ".join(errors) or "neither fluidsynth nor timidity"))


def render_lmms(source: Path, work: Path, tools: Tools, *, max_seconds: float) -> np.ndarray:
    """An LMMS project through ``lmms render`` (headless) -> float32 mono at its own rate, resampled later."""
    tools.require("lmms")
    output = work / "project.wav"
    run_limited([tools.lmms, "--allowroot", "render", str(source), "-f", "wav", "-o", str(output)], output,
                timeout=max(120.0, 3 * max_seconds), max_bytes=_bytes_for(max_seconds * 4),
                what=f"lmms {source.name}", env={"QT_QPA_PLATFORM": "offscreen"})
    audio, rate = read_lenient(output)
    if rate != SAMPLE_RATE:
        positions = np.arange(0, len(audio) * SAMPLE_RATE / rate) * rate / SAMPLE_RATE
        audio = np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)
    return audio


def sox_effect(audio: np.ndarray, tools: Tools, effect: list[str]) -> np.ndarray:
    """Pass mono float audio at 22050 Hz through ``sox`` with an effect chain (e.g. overdrive)."""
    tools.require("sox")
    with tempfile.TemporaryDirectory(prefix="melodygan-sox-") as folder:
        source, target = Path(folder) / "in.wav", Path(folder) / "out.wav"
        soundfile.write(str(source), audio, SAMPLE_RATE, subtype="FLOAT")
        command = [tools.sox, str(source), str(target), *effect]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RenderError(f"sox {' '.join(effect)}: {result.stderr.strip()}")
        processed, _ = soundfile.read(str(target), dtype="float32", always_2d=True)
    return processed.mean(axis=1)
