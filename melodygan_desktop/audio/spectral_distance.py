"""How far one waveform's spectrum is from another's: the vocoder's training loss and the measures that
compare mel-to-audio methods.

- ``multi_resolution_stft_loss``: spectral convergence plus mean |log magnitude| difference, averaged over
  three STFT resolutions (Yamamoto et al., Parallel WaveGAN). Differentiable; used to train the vocoder.
- ``spectral_convergence``: one figure for a round trip, over mel or linear STFT magnitudes.
- ``resynthesis_scores``: per clip, the same multi-resolution STFT distance, the log-spectral distance (dB),
  the mel-cepstral distortion (dB, 24 coefficients above c0 of the DCT of the log mel amplitude, as in
  Kubichek 1993) and the spectral convergence of the linear STFT. Lower is better for all four. Log-domain
  measures floor power at the mel's ``db_floor``: what the mel cannot hold is not held against a method.

Every function takes mono ``(samples,)`` or batched ``(batch, samples)`` audio at the same rate; the two
are cut to the shorter length first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from melodygan_desktop.audio.mel import MelFrontEnd, reference_power
from melodygan_desktop.audio.stft import StftPair
from melodygan_desktop.config import MelConfig

#: (n_fft, hop_length) of the multi-resolution STFT distance.
RESOLUTIONS: tuple[tuple[int, int], ...] = ((512, 128), (1024, 256), (2048, 512))
#: Mel-cepstral coefficients compared by ``mel_cepstral_distortion`` (c1..c24).
CEPSTRAL_COEFFICIENTS = 24
_EPS = 1e-7


def _pair(reference: torch.Tensor, estimate: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    length = min(reference.shape[-1], estimate.shape[-1])
    reference, estimate = reference[..., :length], estimate[..., :length]
    if reference.dim() == 1:
        reference, estimate = reference.unsqueeze(0), estimate.unsqueeze(0)
    return reference.float(), estimate.float()


def stft_magnitude(audio: torch.Tensor, n_fft: int, hop_length: int) -> torch.Tensor:
    """``(B, samples)`` -> ``(B, n_fft // 2 + 1, frames)`` magnitudes of a centred Hann STFT."""
    window = torch.hann_window(n_fft, device=audio.device)
    return torch.stft(audio, n_fft, hop_length, window=window, center=True, return_complex=True).abs()


def multi_resolution_stft_loss(
    reference: torch.Tensor, estimate: torch.Tensor, resolutions=RESOLUTIONS
) -> tuple[torch.Tensor, torch.Tensor]:
    """(spectral convergence, mean |ln magnitude difference|), each averaged over ``resolutions``; scalars
    that carry gradients to ``estimate``."""
    reference, estimate = _pair(reference, estimate)
    convergence = reference.new_zeros(())
    log_distance = reference.new_zeros(())
    for n_fft, hop in resolutions:
        ref = stft_magnitude(reference, n_fft, hop)
        est = stft_magnitude(estimate, n_fft, hop)
        convergence = convergence + torch.linalg.vector_norm(ref - est) / torch.linalg.vector_norm(ref).clamp(
            min=_EPS
        )
        log_distance = log_distance + (torch.log(ref + _EPS) - torch.log(est + _EPS)).abs().mean()
    return convergence / len(resolutions), log_distance / len(resolutions)


def _per_clip_mrstft(reference: torch.Tensor, estimate: torch.Tensor) -> np.ndarray:
    total = np.zeros(reference.shape[0])
    for n_fft, hop in RESOLUTIONS:
        ref = stft_magnitude(reference, n_fft, hop)
        est = stft_magnitude(estimate, n_fft, hop)
        convergence = torch.linalg.vector_norm(ref - est, dim=(1, 2)) / torch.linalg.vector_norm(
            ref, dim=(1, 2)
        ).clamp(min=_EPS)
        log_distance = (torch.log(ref + _EPS) - torch.log(est + _EPS)).abs().mean(dim=(1, 2))
        total += (convergence + log_distance).numpy()
    return total / len(RESOLUTIONS)


def _power_floor(mel: MelConfig) -> float:
    """The quietest power a normalised mel holds (its ``db_floor``): below it, nothing can be recovered, so
    differences there are not counted."""
    return reference_power(mel) * 10.0 ** (mel.db_floor / 10.0)


def _log_spectral_distance(reference: torch.Tensor, estimate: torch.Tensor, mel: MelConfig) -> np.ndarray:
    """Per clip: frame mean of the RMS over frequency of the dB power difference (both floored at the mel's
    ``db_floor``)."""
    ref = stft_magnitude(reference, mel.n_fft, mel.hop_length).pow(2)
    est = stft_magnitude(estimate, mel.n_fft, mel.hop_length).pow(2)
    floor = _power_floor(mel)
    difference = 10.0 * (torch.log10(ref.clamp(min=floor)) - torch.log10(est.clamp(min=floor)))
    return difference.pow(2).mean(dim=1).sqrt().mean(dim=1).numpy()


def _mel_cepstra(audio: torch.Tensor, front_end: MelFrontEnd) -> torch.Tensor:
    """``(B, frames, CEPSTRAL_COEFFICIENTS)``: orthonormal DCT-II of ln mel amplitude (floored at the mel's
    ``db_floor``), c1..c24."""
    power = front_end.power(audio).clamp(min=_power_floor(front_end.mel))
    log_amplitude = 0.5 * torch.log(power).transpose(1, 2)
    bands = log_amplitude.shape[-1]
    n = torch.arange(bands, dtype=torch.float64)
    k = torch.arange(1, CEPSTRAL_COEFFICIENTS + 1, dtype=torch.float64)
    basis = torch.cos(math.pi / bands * (n[None, :] + 0.5) * k[:, None]) * math.sqrt(2.0 / bands)
    return log_amplitude.double() @ basis.t()


def _mel_cepstral_distortion(reference: torch.Tensor, estimate: torch.Tensor, mel: MelConfig) -> np.ndarray:
    front_end = MelFrontEnd(mel)
    difference = _mel_cepstra(reference, front_end) - _mel_cepstra(estimate, front_end)
    per_frame = (10.0 / math.log(10.0)) * torch.sqrt(2.0 * difference.pow(2).sum(dim=-1))
    return per_frame.mean(dim=1).numpy()


def spectral_convergence(
    reference_audio: np.ndarray, estimate_audio: np.ndarray, mel: MelConfig, *, domain: str = "mel"
) -> float:
    """``||S_ref - S_est||_F / ||S_ref||_F`` over magnitudes (lower is better; 0 = identical).

    ``domain="mel"``: square roots of the mel power (what a mel round trip can recover);
    ``domain="linear"``: STFT magnitudes (also scores the detail the mel discards). Mono ``(samples,)`` or
    ``(batch, samples)`` at ``mel.sample_rate``; both are cut to the shorter length.
    """
    reference = torch.as_tensor(np.asarray(reference_audio, dtype=np.float32))
    estimate = torch.as_tensor(np.asarray(estimate_audio, dtype=np.float32))
    length = min(reference.shape[-1], estimate.shape[-1])
    reference, estimate = reference[..., :length], estimate[..., :length]
    with torch.inference_mode():
        if domain == "mel":
            front_end = MelFrontEnd(mel)
            reference_magnitude = front_end.power(reference).sqrt()
            estimate_magnitude = front_end.power(estimate).sqrt()
        elif domain == "linear":
            stft = StftPair(mel.n_fft, mel.hop_length)
            reference_magnitude = stft.forward(reference.reshape(-1, length)).abs()
            estimate_magnitude = stft.forward(estimate.reshape(-1, length)).abs()
        else:
            raise ValueError(f"domain must be 'mel' or 'linear', got {domain!r}")
    norm = float(torch.linalg.vector_norm(reference_magnitude))
    if norm == 0.0:
        raise ValueError("the reference audio is silent; spectral convergence is undefined")
    return float(torch.linalg.vector_norm(reference_magnitude - estimate_magnitude)) / norm


@dataclass(frozen=True)
class ResynthesisScores:
    """Per-clip arrays (lower is better): multi-resolution STFT distance, log-spectral distance (dB),
    mel-cepstral distortion (dB) and spectral convergence of the linear STFT."""

    mrstft: np.ndarray
    lsd_db: np.ndarray
    mcd_db: np.ndarray
    convergence: np.ndarray

    def means(self) -> dict[str, float]:
        return {name: float(np.mean(getattr(self, name))) for name in ("mrstft", "lsd_db", "mcd_db",
                                                                         "convergence")}


def resynthesis_scores(reference: np.ndarray, estimate: np.ndarray, mel: MelConfig) -> ResynthesisScores:
    """All four measures for each clip of ``estimate`` against ``reference`` (same shape, ``mel``'s rate)."""
    ref, est = _pair(torch.as_tensor(np.asarray(reference, np.float32)),
                     torch.as_tensor(np.asarray(estimate, np.float32)))
    if not torch.isfinite(ref).all() or not torch.isfinite(est).all():
        raise ValueError("audio with NaN or infinite samples cannot be scored")
    with torch.inference_mode():
        linear_ref = stft_magnitude(ref, mel.n_fft, mel.hop_length)
        linear_est = stft_magnitude(est, mel.n_fft, mel.hop_length)
        norms = torch.linalg.vector_norm(linear_ref, dim=(1, 2))
        if bool((norms == 0).any()):
            raise ValueError("a reference clip is silent; its distances are undefined")
        convergence = (torch.linalg.vector_norm(linear_ref - linear_est, dim=(1, 2)) / norms).numpy()
        return ResynthesisScores(
            mrstft=_per_clip_mrstft(ref, est),
            lsd_db=_log_spectral_distance(ref, est, mel),
            mcd_db=_mel_cepstral_distortion(ref, est, mel),
            convergence=convergence,
        )


__all__ = [
    "CEPSTRAL_COEFFICIENTS",
    "RESOLUTIONS",
    "ResynthesisScores",
    "multi_resolution_stft_loss",
    "resynthesis_scores",
    "spectral_convergence",
    "stft_magnitude",
]
