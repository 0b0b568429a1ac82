"""Phase-retrieval engine behind the fast inverters: a cached STFT pair, NNLS mel -> linear power,
a peak-locked initial phase and fast (momentum) Griffin-Lim, all batched in torch.

Layout inside this module is ``(batch, frames, freqs)`` so every FFT runs over contiguous memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

#: Keeps divisions finite where a bin or a band is exactly zero.
TINY = 1e-30


class StftPair:
    """Centred Hann STFT and its least-squares inverse with the window and its overlap envelope cached.

    Matches ``torch.stft(..., center=True, pad_mode="reflect", onesided=True)`` but returns
    ``(batch, frames, n_fft // 2 + 1)`` complex64 and skips the per-call window set-up of ``torch.istft``.
    """

    def __init__(self, n_fft: int, hop_length: int) -> None:
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = torch.hann_window(n_fft)
        self._inverse_envelope: dict[int, torch.Tensor] = {}
        # Scratch buffers keyed by (name, shape), reused across calls of one pair (one inversion): iterative
        # phase retrieval would otherwise map and fault in several fresh multi-MB arrays per iteration.
        self._scratch: dict[tuple[str, tuple[int, ...]], torch.Tensor] = {}

    def scratch(self, name: str, shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """An uninitialised buffer owned by this pair, the same one for every request of ``(name, shape)``."""
        key = (name, tuple(shape))
        buffer = self._scratch.get(key)
        if buffer is None or buffer.dtype != dtype:
            buffer = torch.empty(shape, dtype=dtype)
            self._scratch[key] = buffer
        return buffer

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` float32 -> ``(batch, samples // hop + 1, n_fft // 2 + 1)`` complex64."""
        half = self.n_fft // 2
        mode = "reflect" if wave.shape[-1] > half else "constant"
        padded = torch.nn.functional.pad(wave.unsqueeze(1), (half, half), mode=mode).squeeze(1)
        return self._analyse(padded)

    def _analyse(self, padded: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """Windowed rFFT of every frame of a padded ``(batch, span)`` signal (into ``out`` if given)."""
        frames = padded.unfold(-1, self.n_fft, self.hop_length)
        windowed = torch.mul(frames, self.window, out=self.scratch("frames", tuple(frames.shape)))
        return torch.fft.rfft(windowed, out=out)

    def inverse(self, spectrum: torch.Tensor) -> torch.Tensor:
        """``(batch, frames, freqs)`` complex -> ``(batch, (frames - 1) * hop)`` float32 (overlap-add)."""
        frames = spectrum.shape[1]
        start = self.n_fft // 2
        return self._padded_inverse(spectrum)[:, start : start + (frames - 1) * self.hop_length]

    def project(self, spectrum: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """``forward(inverse(spectrum))``: the nearest consistent spectrogram, same shape and dtype.

        The overlap-add buffer already holds the signal at the padded positions, so only the two
        ``n_fft / 2`` edges are refilled by reflection instead of cropping and re-padding the whole signal.
        ``out`` (complex, the shape of ``spectrum``, may be ``spectrum`` itself) receives the result.
        """
        frames = spectrum.shape[1]
        half = self.n_fft // 2
        length = (frames - 1) * self.hop_length
        if length <= half:  # too short to reflect: take the plain route
            rebuilt = self.forward(self.inverse(spectrum))
            return rebuilt if out is None else out.copy_(rebuilt)
        padded = self._padded_inverse(spectrum)
        padded[:, :half] = padded[:, half + 1 : 2 * half + 1].flip(-1)
        padded[:, half + length :] = padded[:, length - 1 : half + length - 1].flip(-1)
        return self._analyse(padded, out=out)

    def _padded_inverse(self, spectrum: torch.Tensor) -> torch.Tensor:
        """Overlap-added, envelope-normalised signal over the padded span ``(frames - 1) * hop + n_fft``."""
        batch, frames = spectrum.shape[0], spectrum.shape[1]
        buffer = self.scratch("frames", (batch, frames, self.n_fft))
        signal_frames = torch.fft.irfft(spectrum, n=self.n_fft, out=buffer)
        wave = self._overlap_add(signal_frames, self.window)
        return wave.mul_(self._envelope(frames))

    def _overlap_add(self, signal_frames: torch.Tensor, window: torch.Tensor | None = None) -> torch.Tensor:
        """Sum ``(batch, frames, width)`` frames, each multiplied by ``window`` (width,) if given, at hop
        spacing into a fresh ``(batch, (frames - 1) * hop + width)`` signal."""
        batch, frames, width = signal_frames.shape
        hop = self.hop_length
        total = (frames - 1) * hop + width
        if width % hop == 0:  # common case (hop = n_fft / 4): sum a few shifted views, no index maths
            ratio = width // hop
            blocks = signal_frames.reshape(batch, frames, ratio, hop)
            out = torch.empty(batch, frames + ratio - 1, hop, dtype=signal_frames.dtype)
            out[:, frames:].zero_()
            pieces = (window if window is not None else torch.ones(width)).reshape(ratio, hop)
            # The window product is fused into the sum, and the first block is written rather than added to
            # zeros: one pass over the frames in all.
            torch.mul(blocks[:, :, 0], pieces[0], out=out[:, :frames])
            for offset in range(1, ratio):
                out[:, offset : offset + frames].addcmul_(blocks[:, :, offset], pieces[offset])
            return out.reshape(batch, total)
        if window is not None:
            signal_frames = signal_frames * window
        folded = torch.nn.functional.fold(
            signal_frames.transpose(1, 2), output_size=(1, total), kernel_size=(1, width), stride=(1, hop)
        )
        return folded.reshape(batch, total)

    def _envelope(self, frames: int) -> torch.Tensor:
        """``1 / sum of squared windows`` over the padded signal, cached per frame count."""
        cached = self._inverse_envelope.get(frames)
        if cached is None:
            squared = self.window.square().expand(1, frames, self.n_fft).contiguous()
            envelope = self._overlap_add(squared)[0]
            inverse = 1.0 / envelope.clamp(min=1e-11)
            cached = torch.where(envelope > 1e-11, inverse, torch.zeros_like(envelope))
            self._inverse_envelope[frames] = cached
        return cached


def nnls_mel_to_linear(
    mel_power: torch.Tensor,
    filterbank: torch.Tensor,
    pseudo_inverse: torch.Tensor,
    iterations: int,
    *,
    over_relax: bool = True,
) -> torch.Tensor:
    """Non-negative linear power with ``power @ filterbank ~= mel_power``.

    ``mel_power`` (batch, frames, n_mels); ``filterbank`` (freqs, n_mels); ``pseudo_inverse`` (n_mels, freqs).
    Starts from the clamped pseudo-inverse (the least-norm solution) and runs multiplicative updates for the
    generalised KL divergence, which keep every bin non-negative and weigh each band by its relative error
    (what a dB image cares about). ``over_relax`` applies each update to the power 1.5 (as ``u * sqrt(u)``,
    ~10x cheaper than ``pow``), which reaches the same fit in about half the iterations.
    Returns (batch, frames, freqs) float32.
    """
    power = mel_power @ pseudo_inverse
    floor = (mel_power.amax(dim=-1, keepdim=True) * 1e-6).clamp(min=TINY)
    power = torch.maximum(power, floor, out=power)  # multiplicative updates cannot revive an exact zero
    inverse_band_weight = 1.0 / filterbank.sum(dim=1).clamp(min=TINY)  # (freqs,)
    # The per-bin normalisation folded into the transposed filterbank: one pass fewer per iteration.
    weighted_transpose = (filterbank * inverse_band_weight[:, None]).t()
    update = torch.empty_like(power)
    for _ in range(iterations):
        ratio = mel_power / (power @ filterbank).clamp_(min=TINY)
        torch.matmul(ratio, weighted_transpose, out=update)
        power.mul_(update)
        if over_relax:
            power.mul_(update.sqrt_())
    return power


def polar_spectrum(magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """``magnitude * exp(i phase)`` as complex64 via a real view (``torch.polar`` is slow on CPU)."""
    out = torch.empty(magnitude.shape + (2,), dtype=magnitude.dtype, device=magnitude.device)
    torch.mul(torch.cos(phase), magnitude, out=out[..., 0])
    torch.mul(torch.sin(phase), magnitude, out=out[..., 1])
    return torch.view_as_complex(out)


def peak_locked_phase(magnitude: torch.Tensor, hop_length: int, n_fft: int) -> torch.Tensor:
    """Initial phase from the magnitude alone, set as a phase-locked vocoder would.

    Each spectral peak's frequency comes from parabolic interpolation of the log-magnitude; the bins of its
    main lobe (two bins either side for Hann) take that frequency, every other bin its own centre. Phases
    advance by ``2 pi f hop / n_fft`` per frame from ``pi k`` (the centred-window term), so stationary
    partials start consistent across bins and frames and Griffin-Lim needs far fewer iterations.
    ``magnitude`` (batch, frames, freqs) -> phase in radians, same shape, float32.
    """
    freqs = magnitude.shape[-1]
    floor = magnitude.amax(dim=(-2, -1), keepdim=True) * 1e-5 + 1e-12  # -100 dB: silence has no peaks
    # The log-magnitude is written inside a buffer one bin wider on each side (edges at -1e9), so the
    # neighbours are plain views: no padding copies.
    padded = torch.empty(magnitude.shape[:-1] + (freqs + 2,), dtype=magnitude.dtype, device=magnitude.device)
    padded[..., 0] = -1e9
    padded[..., -1] = -1e9
    log_magnitude = torch.log(torch.add(magnitude, floor, out=padded[..., 1:-1]), out=padded[..., 1:-1])
    below, above = padded[..., :-2], padded[..., 2:]
    # A strict local maximum (silence, flat at the floor, has none); 0/1 floats rather than bools because
    # blending with lerp is several times faster than torch.where on CPU.
    is_peak = (log_magnitude > torch.maximum(below, above)).float()
    curvature = (below + above).sub_(log_magnitude, alpha=2.0).clamp_(max=-1e-6)
    bins = torch.arange(freqs, dtype=magnitude.dtype, device=magnitude.device)
    peak_frequency = (below - above).mul_(0.5).div_(curvature).clamp_(-0.5, 0.5).add_(bins)
    lobe = 2  # Hann main lobe half-width in bins
    frequency = bins.expand_as(magnitude).contiguous()
    for shift in (lobe, -lobe, 1, -1, 0):  # peaks up to ``lobe`` bins away; nearer ones come last and win
        # bin k takes the peak at k - shift: overlapping slices instead of padded copies
        start, stop = max(0, shift), freqs + min(0, shift)
        frequency[..., start:stop].lerp_(
            peak_frequency[..., start - shift : stop - shift], is_peak[..., start - shift : stop - shift]
        )
    # Advance between frames t-1 and t in cycles (mean frequency of the two), reduced mod 1 before the
    # running sum so float32 keeps the phase precise over long pieces.
    cycles = torch.empty_like(magnitude)
    cycles[:, :1] = 0.0
    step = frequency[:, 1:].add(frequency[:, :-1]).mul_(0.5 * hop_length / n_fft).frac_()
    torch.cumsum(step, dim=1, out=cycles[:, 1:])
    return cycles.add_(bins * 0.5).mul_(2.0 * math.pi)


def random_phase(shape: torch.Size, seed: int) -> torch.Tensor:
    """Uniform random phases in radians (float32), reproducible from ``seed`` without the global RNG."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=generator) * (2.0 * math.pi)


def _impose_magnitude(
    target: torch.Tensor, magnitude: torch.Tensor, scratch: torch.Tensor | None = None
) -> torch.Tensor:
    """``magnitude * target / |target|`` in place; ``target`` is a real view (..., 2) of a complex tensor.

    On CPU the modulus goes through NumPy, whose complex ``abs`` is vectorised (about 15x faster than
    torch's here); the arrays share memory, so nothing is copied. ``scratch`` (float32, the shape of
    ``magnitude``) holds the scale factors if given.
    """
    if target.device.type == "cpu" and magnitude.is_contiguous() and target.is_contiguous():
        values = torch.view_as_complex(target).numpy()
        scale = np.abs(values, out=scratch.numpy() if scratch is not None else None)
        np.maximum(scale, np.float32(1e-16), out=scale)
        np.divide(magnitude.numpy(), scale, out=scale)
        np.multiply(values, scale, out=values)
        return torch.view_as_complex(target)
    scale = torch.hypot(target[..., 0], target[..., 1]).clamp_(min=1e-16)
    return torch.view_as_complex(target.mul_(torch.div(magnitude, scale).unsqueeze_(-1)))


def fast_griffin_lim(
    magnitude: torch.Tensor,
    phase: torch.Tensor,
    stft: StftPair,
    n_iter: int,
    *,
    momentum: float = 0.99,
    progress: Callable[[float], None] | None = None,
) -> torch.Tensor:
    """FGLA (Perraudin et al. 2013) from ``magnitude`` and initial ``phase`` (radians), both (batch, frames,
    freqs) float32, to a (batch, (frames - 1) * hop) float32 waveform.

    Each iteration is one inverse + forward STFT; the accelerated target ``c + momentum (c - c_prev)`` is
    formed on real views in place, which avoids torch's slow complex elementwise kernels on CPU. Two
    spectrum buffers take turns (the projection is written over the spectrum it was computed from, the
    target over the previous projection), so no array is allocated inside the loop.
    """
    magnitude = magnitude.contiguous()
    spectrum = polar_spectrum(magnitude, phase)
    scale = torch.empty_like(magnitude) if n_iter else None
    previous: torch.Tensor | None = None
    for iteration in range(n_iter):
        rebuilt = torch.view_as_real(stft.project(spectrum, out=spectrum))
        if previous is None:
            target = rebuilt.clone()
        else:
            target = torch.lerp(previous, rebuilt, 1.0 + momentum, out=previous)  # c + momentum (c - c_prev)
        previous = rebuilt
        spectrum = _impose_magnitude(target, magnitude, scale)
        if progress is not None:
            progress((iteration + 1) / (n_iter + 1))
    return stft.inverse(spectrum)


__all__ = [
    "StftPair",
    "fast_griffin_lim",
    "nnls_mel_to_linear",
    "peak_locked_phase",
    "polar_spectrum",
    "random_phase",
]
