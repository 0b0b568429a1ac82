"""Playback through PortAudio (``sounddevice``, imported on first use): a ``Player`` whose audio callback
only copies from a preallocated buffer and advances an integer position, and a no-device state that
explains itself instead of crashing. The GUI polls ``position_seconds`` on a timer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

SoundDeviceLoader = Callable[[], ModuleType]


def _import_sounddevice() -> ModuleType:
    return importlib.import_module("sounddevice")


def _load_backend(loader: SoundDeviceLoader) -> tuple[ModuleType | None, str | None]:
    """``(sounddevice, None)``, or ``(None, reason)`` when PortAudio or an output device is missing."""
    try:
        backend = loader()
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
        return None, f"PortAudio is not installed (install libportaudio2): {exc}"
    except ImportError as exc:
        return None, f"the sounddevice package is not installed: {exc}"
    try:
        backend.query_devices(kind="output")
    except Exception as exc:  # PortAudioError or ValueError: no default output device
        return None, f"no audio output device found ({exc})"
    return backend, None


@dataclass(frozen=True)
class OutputDevice:
    """One PortAudio output device as offered in the settings."""

    index: int
    name: str
    host_api: str
    channels: int
    default_sample_rate: float
    is_default: bool


def list_output_devices(loader: SoundDeviceLoader = _import_sounddevice) -> list[OutputDevice]:
    """Every device that can play audio; empty when PortAudio or devices are missing."""
    backend, _ = _load_backend(loader)
    if backend is None:
        return []
    default_output = backend.default.device[1]
    host_apis = backend.query_hostapis()
    devices = []
    for index, device in enumerate(backend.query_devices()):
        if device["max_output_channels"] > 0:
            devices.append(OutputDevice(
                index=index,
                name=device["name"],
                host_api=host_apis[device["hostapi"]]["name"],
                channels=device["max_output_channels"],
                default_sample_rate=float(device["default_samplerate"]),
                is_default=index == default_output,
            ))
    return devices


class Player:
    """Plays one float32 clip at a time; safe to call from the GUI thread.

    The PortAudio thread and the caller share only ``_audio`` (replaced, never resized, while stopped),
    the integer ``_position`` and an immutable ``(serial, frame)`` seek request, so no lock is needed.
    """

    def __init__(self, device: int | str | None = None, *, loader: SoundDeviceLoader = _import_sounddevice):
        self._device = device
        self._loader = loader
        self._backend: ModuleType | None = None
        self._unavailable_reason: str | None = None
        self._checked = False
        self._audio = np.zeros((0, 1), dtype=np.float32)
        self._sample_rate = 0
        self._position = 0
        self._seek_request: tuple[int, int] = (0, 0)
        self._applied_seek = 0
        self._loop = False
        self._stream: Any = None

    # -- availability -------------------------------------------------------------------------------
    def _ensure_backend(self) -> ModuleType | None:
        if not self._checked:
            self._backend, self._unavailable_reason = _load_backend(self._loader)
            self._checked = True
        return self._backend

    @property
    def available(self) -> bool:
        """Whether PortAudio and an output device were found (checked once, on first use)."""
        return self._ensure_backend() is not None

    @property
    def unavailable_reason(self) -> str | None:
        """Why playback is impossible, in words for the status bar; None when ``available``."""
        self._ensure_backend()
        return self._unavailable_reason

    # -- state --------------------------------------------------------------------------------------
    @property
    def duration_seconds(self) -> float:
        return self._audio.shape[0] / self._sample_rate if self._sample_rate else 0.0

    @property
    def position_seconds(self) -> float:
        return self._position / self._sample_rate if self._sample_rate else 0.0

    @property
    def is_playing(self) -> bool:
        return self._stream is not None and bool(self._stream.active)

    @property
    def loop(self) -> bool:
        return self._loop

    @loop.setter
    def loop(self, value: bool) -> None:
        self._loop = bool(value)

    # -- control ------------------------------------------------------------------------------------
    def load(self, audio: np.ndarray, sample_rate: int) -> None:
        """Replace the clip (``(samples,)`` or ``(samples, channels)`` float in [-1, 1]); stops playback."""
        samples = np.asarray(audio, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[:, None]
        if samples.ndim != 2 or sample_rate <= 0:
            raise ValueError(f"expected (samples,) or (samples, channels) audio and a positive rate, "
                             f"got {np.shape(audio)} at {sample_rate} Hz")
        self._close_stream()
        self._audio = np.ascontiguousarray(np.clip(samples, -1.0, 1.0))
        self._sample_rate = int(sample_rate)
        self._position = 0

    def play(self) -> bool:
        """Start or resume; from the top when at the end. False (and nothing else) when unavailable."""
        backend = self._ensure_backend()
        if backend is None or self._audio.shape[0] == 0:
            return False
        if self._stream is not None and self._stream.active:
            return True
        if self._position >= self._audio.shape[0]:
            self._position = 0
        try:
            if self._stream is None:
                self._stream = backend.OutputStream(
                    samplerate=self._sample_rate,
                    channels=self._audio.shape[1],
                    dtype="float32",
                    device=self._device,
                    callback=self._callback,
                )
            elif not self._stream.stopped:  # finished by CallbackStop: PortAudio wants a stop first
                self._stream.stop()
            self._stream.start()
        except Exception as exc:  # PortAudioError: device vanished, format refused...
            self._close_stream()
            self._unavailable_reason = f"cannot open the audio output: {exc}"
            return False
        return True

    def pause(self) -> None:
        """Stop the sound and keep the position."""
        if self._stream is not None and not self._stream.stopped:
            self._stream.stop()
        serial, frame = self._seek_request
        if serial != self._applied_seek:  # a seek the callback did not reach before stopping
            self._applied_seek = serial
            self._position = frame

    def stop(self) -> None:
        """Stop the sound and go back to the start."""
        self.pause()
        self._position = 0

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` (clamped to the clip); takes effect at the next audio block while playing."""
        frame = min(max(int(round(seconds * self._sample_rate)), 0), self._audio.shape[0])
        if self.is_playing:
            self._seek_request = (self._seek_request[0] + 1, frame)
        else:
            self._position = frame

    def close(self) -> None:
        """Release the audio device; the player can be used again after ``load``."""
        self._close_stream()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
            except Exception:  # already closed or the device is gone: nothing left to release
                pass
            stream.close(ignore_errors=True)

    # -- PortAudio thread ---------------------------------------------------------------------------
    def _callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        """Copy the next ``frames`` from the clip into ``outdata`` and count; nothing else."""
        audio = self._audio
        total = audio.shape[0]
        serial, frame = self._seek_request
        position = self._position
        if serial != self._applied_seek:
            self._applied_seek = serial
            position = frame
        written = min(frames, total - position)
        outdata[:written] = audio[position : position + written]
        position += written
        while written < frames and self._loop and total:
            count = min(frames - written, total)
            outdata[written : written + count] = audio[:count]
            written += count
            position = count
        if written < frames:
            outdata[written:] = 0.0
            self._position = total
            raise self._backend.CallbackStop  # type: ignore[union-attr]
        self._position = position


__all__ = ["OutputDevice", "Player", "list_output_devices"]
