"""Waveform -> normalised log-mel image (the model's input space), built from one ``MelConfig``.

Normalisation (``MelConfig`` docstring): ``db = 10 log10(max(power / ref_power, 1e-10))`` with
``ref_power = (sum(hann(n_fft)) / 2) ** 2``, then
``unit = clip((db - db_floor) / (db_ceil - db_floor), 0, 1)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torchaudio

from melodygan_desktop.config import MelConfig

#: Smallest power ratio kept before the log (-100 dB); below ``db_floor`` anyway for every sane config.
POWER_EPSILON = 1e-10


def reference_power(mel: MelConfig) -> float:
    """Power of a full-scale sine's STFT peak: ``(sum(hann(n_fft)) / 2) ** 2`` (periodic Hann, as in STFT)."""
    window_sum = float(torch.hann_window(mel.n_fft, dtype=torch.float64).sum())
    return (window_sum / 2.0) ** 2


def mel_filterbank(mel: MelConfig) -> torch.Tensor:
    """HTK triangular filters without area normalisation, float32 ``(n_fft // 2 + 1, n_mels)``."""
    return torchaudio.functional.melscale_fbanks(
        n_freqs=mel.n_fft // 2 + 1,
        f_min=mel.f_min,
        f_max=mel.top_hz,
        n_mels=mel.n_mels,
        sample_rate=mel.sample_rate,
        norm=None,
        mel_scale="htk",
    )


def mel_band_hz(mel: MelConfig) -> np.ndarray:
    """Centre frequency of each mel band in Hz, float64 ``(n_mels,)`` (for plot axes)."""

    def hz_to_mel(hz: float) -> float:
        return 2595.0 * math.log10(1.0 + hz / 700.0)

    points = np.linspace(hz_to_mel(mel.f_min), hz_to_mel(mel.top_hz), mel.n_mels + 2)
    return 700.0 * (10.0 ** (points[1:-1] / 2595.0) - 1.0)


def power_to_unit(power: torch.Tensor, mel: MelConfig) -> torch.Tensor:
    """Mel power (any shape, linear units of squared sample amplitude) -> normalised [0, 1]."""
    ratio = torch.clamp(power / reference_power(mel), min=POWER_EPSILON)
    db = 10.0 * torch.log10(ratio)
    return torch.clamp((db - mel.db_floor) / (mel.db_ceil - mel.db_floor), 0.0, 1.0)


def unit_to_power(unit: torch.Tensor, mel: MelConfig) -> torch.Tensor:
    """Normalised [0, 1] (any shape) -> mel power; the inverse of ``power_to_unit`` inside the dB window.

    Exactly 0 means silence and maps to zero power (not to ``db_floor``), so silent stretches of a
    generated mel come out silent instead of as a -60 dBFS noise floor.
    """
    unit = unit.clamp(0.0, 1.0)
    db = unit * (mel.db_ceil - mel.db_floor) + mel.db_floor
    power = reference_power(mel) * torch.pow(10.0, db / 10.0)
    return torch.where(unit > 0.0, power, torch.zeros_like(power))


class MelFrontEnd(torch.nn.Module):
    """``forward(wave (B, samples) or (samples,), float in [-1, 1]) -> (B, n_mels, frames)`` in [0, 1].

    ``frames = samples // hop_length + 1`` (centred STFT, reflect padding). Inputs shorter than
    ``n_fft // 2 + 1`` samples are zero-padded for the STFT and cropped back to that frame count.
    """

    def __init__(self, mel: MelConfig) -> None:
        super().__init__()
        self.mel = mel
        self.spectrogram = torchaudio.transforms.MelSpectrogram(
            sample_rate=mel.sample_rate,
            n_fft=mel.n_fft,
            hop_length=mel.hop_length,
            f_min=mel.f_min,
            f_max=mel.top_hz,
            n_mels=mel.n_mels,
            power=2.0,
            center=True,
            pad_mode="reflect",
            norm=None,
            mel_scale="htk",
        )

    def power(self, wave: torch.Tensor) -> torch.Tensor:
        """Mel power before the log: ``(B, samples)`` or ``(samples,)`` -> ``(B, n_mels, frames)`` float32."""
        if wave.dim() == 1:
            wave = wave.unsqueeze(0)
        if wave.dim() != 2:
            shape = tuple(wave.shape)
            raise ValueError(f"expected a waveform of shape (samples,) or (batch, samples), got {shape}")
        samples = wave.shape[-1]
        if samples == 0:
            raise ValueError("cannot compute a mel spectrogram of an empty waveform")
        frames = self.mel.frames_for_samples(samples)
        minimum = self.mel.n_fft // 2 + 1  # reflect padding needs more samples than the pad width
        if samples < minimum:
            wave = torch.nn.functional.pad(wave, (0, minimum - samples))
        power = self.spectrogram(wave.to(torch.float32))
        return power[..., :frames]

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return power_to_unit(self.power(wave), self.mel)


class ClipAnalyser:
    """Normalised log-mels of equal-length clips, one clip per call, computed in work buffers kept between
    calls (folder preparation: no multi-MB temporaries per clip, so the heap does not fragment).

    Same definition as ``MelFrontEnd`` (centred Hann STFT with reflect padding, HTK filters, the dB
    window of ``power_to_unit``); one clip at a time keeps the working set in the CPU caches, which is
    faster than batching. Not thread-safe: give each thread its own.
    """

    def __init__(self, mel: MelConfig, samples: int) -> None:
        half = mel.n_fft // 2
        if samples <= half:
            raise ValueError(f"clips of {samples} samples are too short to reflect-pad for n_fft {mel.n_fft}")
        self.mel = mel
        self.samples = samples
        self.frames = mel.frames_for_samples(samples)
        freqs = half + 1
        self._padded = torch.empty(samples + 2 * half)
        self._windowed = torch.empty(self.frames, mel.n_fft)
        self._spectrum = torch.empty(self.frames, freqs, dtype=torch.complex64)
        # The power spectrum reuses the windowed frames' memory: they are dead once transformed.
        self._power = self._windowed.view(-1)[: self.frames * freqs].view(self.frames, freqs)
        self._mel = torch.empty(self.frames, mel.n_mels)
        self._window = torch.hann_window(mel.n_fft)
        self._filters = mel_filterbank(mel).contiguous()
        self._scale = 1.0 / reference_power(mel)

    def unit(self, clip: np.ndarray) -> torch.Tensor:
        """``clip`` (samples,) float32 -> float32 ``(n_mels, frames)`` in [0, 1]: a view of a work buffer,
        valid until the next call."""
        if clip.shape != (self.samples,):
            raise ValueError(f"expected a clip of shape ({self.samples},), got {clip.shape}")
        half, samples, mel = self.mel.n_fft // 2, self.samples, self.mel
        padded = self._padded
        padded[half : half + samples] = torch.from_numpy(np.asarray(clip, dtype=np.float32))
        padded[:half] = padded[half + 1 : 2 * half + 1].flip(0)
        padded[half + samples :] = padded[samples - 1 : samples + half - 1].flip(0)
        frames = padded.unfold(0, mel.n_fft, mel.hop_length)
        torch.mul(frames, self._window, out=self._windowed)
        spectrum = torch.view_as_real(torch.fft.rfft(self._windowed, out=self._spectrum))
        real, imaginary = spectrum[..., 0], spectrum[..., 1]
        power = torch.mul(real, real, out=self._power).addcmul_(imaginary, imaginary)
        unit = torch.matmul(power, self._filters, out=self._mel)
        unit.mul_(self._scale).clamp_(min=POWER_EPSILON).log10_().mul_(10.0)
        unit.sub_(mel.db_floor).div_(mel.db_ceil - mel.db_floor).clamp_(0.0, 1.0)
        return unit.t()

    def __call__(self, clip: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``clip`` (samples,) float32 -> float16 ``(n_mels, frames)`` in [0, 1], written into ``out`` when
        given (a float16 array of that shape), else into a new array."""
        unit = self.unit(clip)
        if out is None:
            return unit.to(torch.float16, memory_format=torch.contiguous_format).numpy()
        torch.from_numpy(out).copy_(unit)
        return out


def waveform_to_mel(audio: np.ndarray, mel: MelConfig, *, front_end: MelFrontEnd | None = None) -> np.ndarray:
    """Mono float waveform ``(samples,)`` at ``mel.sample_rate`` -> float32 ``(n_mels, frames)`` in [0, 1].

    Pass a ``front_end`` built once to skip rebuilding the filterbank on repeated calls.
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio of shape (samples,), got {audio.shape}")
    module = front_end if front_end is not None else MelFrontEnd(mel)
    with torch.no_grad():
        unit = module(torch.from_numpy(audio))
    return unit[0].numpy()


__all__ = [
    "POWER_EPSILON",
    "ClipAnalyser",
    "MelFrontEnd",
    "mel_band_hz",
    "mel_filterbank",
    "power_to_unit",
    "reference_power",
    "unit_to_power",
    "waveform_to_mel",
]
