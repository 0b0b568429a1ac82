"""Centred Hann STFT and its least-squares inverse for iterative phase retrieval, with the window, the
overlap envelope and the large work buffers kept between calls.

Layout is ``(batch, frames, freqs)`` so every FFT runs over contiguous memory.
"""

from __future__ import annotations

import functools

import torch


class StftPair:
    """Centred Hann STFT and its least-squares inverse; the overlap envelope is memoised per geometry.

    Matches ``torch.stft(..., center=True, pad_mode="reflect", onesided=True)`` but returns
    ``(batch, frames, n_fft // 2 + 1)`` complex64 and skips the per-call window set-up of ``torch.istft``.
    """

    def __init__(self, n_fft: int, hop_length: int) -> None:
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = torch.hann_window(n_fft)
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
        folded = self._folded_envelope(frames)
        if folded is None:
            return self._overlap_add(signal_frames, self.window).mul_(self._envelope(frames))
        scaled_window, head, tail = folded
        wave = self._overlap_add(signal_frames, scaled_window)
        wave[:, : head.shape[0]].mul_(head)
        wave[:, wave.shape[1] - tail.shape[0] :].mul_(tail)
        return wave

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

    def _folded_envelope(self, frames: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """``(window * gain, head, tail)`` when the envelope is flat (``gain``) wherever all overlapping
        frames meet, as for Hann at hop n_fft / 4: the gain rides on the synthesis window and only the two
        ``n_fft - hop`` edges need their own factors, which saves a pass over the signal. None otherwise."""
        return _envelopes(self.n_fft, self.hop_length, frames)[1]

    def _envelope(self, frames: int) -> torch.Tensor:
        """``1 / sum of squared windows`` over the padded signal ``(frames - 1) * hop + n_fft``."""
        return _envelopes(self.n_fft, self.hop_length, frames)[0]


@functools.lru_cache(maxsize=16)
def _envelopes(
    n_fft: int, hop_length: int, frames: int
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None]:
    """The inverse overlap envelope of ``frames`` Hann windows and its folded form (see
    ``StftPair._folded_envelope``); memoised per geometry and read-only. The squared window is summed in
    ``hop``-long pieces, never as a ``(frames, n_fft)`` array."""
    window = torch.hann_window(n_fft)
    pieces = -(-n_fft // hop_length)
    squared = torch.nn.functional.pad(window.square(), (0, pieces * hop_length - n_fft))
    squared = squared.reshape(pieces, hop_length)
    sums = torch.zeros(frames + pieces - 1, hop_length)
    for offset in range(pieces):
        sums[offset : offset + frames] += squared[offset]
    envelope = sums.reshape(-1)[: (frames - 1) * hop_length + n_fft]
    inverse = torch.where(envelope > 1e-11, 1.0 / envelope.clamp(min=1e-11), torch.zeros_like(envelope))
    edge = n_fft - hop_length
    interior = inverse[edge : inverse.shape[0] - edge]
    if interior.numel() > 0:
        gain = float(interior.mean())
        if gain > 0 and float((interior - gain).abs().max()) <= 1e-6 * gain:
            head, tail = inverse[:edge] / gain, inverse[inverse.shape[0] - edge :] / gain
            return inverse, (window * gain, head, tail)
    return inverse, None


__all__ = ["StftPair"]
