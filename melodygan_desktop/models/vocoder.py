"""A neural mel-to-audio network in the Vocos design, sized for the app's mel settings, and its critic.

``MelVocoder``: normalised log-mel ``(batch, n_mels, frames)`` in [0, 1] -> ConvNeXt blocks over time at
the frame rate -> per frame, the STFT magnitude (log domain) and phase of ``n_fft // 2 + 1`` bins -> an
inverse STFT with the mel's own window and hop. With ``prior`` (the default) the magnitude is predicted as a
correction of the mel's pseudo-inverse (the FreeV idea): at initialisation the network already outputs a
plausible magnitude and training spends its steps on phase and detail. Everything runs at the frame rate
(1 step per 512 samples), so a 10-s clip is 431 steps of small matrix products plus one iSTFT: far cheaper
than upsampling waveform vocoders, and the phase comes out consistent with the magnitude instead of being
iterated for.

``SpectrogramCritic``: 2-D convolutions over the log-magnitude STFT at several resolutions (the
multi-resolution discriminator of UnivNet / Vocos), for the adversarial part of training.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from melodygan_desktop.audio.fgla import polar_spectrum
from melodygan_desktop.audio.mel import mel_filterbank, reference_power
from melodygan_desktop.config import MelConfig

#: Magnitudes are predicted as logs; exp of more than this (about 22,000 on a 0-dBFS sine's ~500) is cut.
MAX_LOG_MAGNITUDE = 10.0


@dataclass(frozen=True)
class VocoderShape:
    """Constructor arguments of ``MelVocoder`` (stored in the vocoder's meta.json)."""

    n_mels: int = 128
    n_fft: int = 2048
    hop_length: int = 512
    width: int = 256
    depth: int = 6
    expansion: int = 3
    kernel: int = 7
    prior: bool = True

    def __post_init__(self) -> None:
        checks = {
            "n_mels": 8 <= self.n_mels <= 512,
            "n_fft": 64 <= self.n_fft <= 8192 and self.n_fft % 2 == 0,
            "hop_length": 16 <= self.hop_length <= self.n_fft,
            "width": 16 <= self.width <= 2048,
            "depth": 1 <= self.depth <= 32,
            "expansion": 1 <= self.expansion <= 8,
            "kernel": 1 <= self.kernel <= 31 and self.kernel % 2 == 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"vocoder shape out of range: {', '.join(bad)}")

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> VocoderShape:
        if not isinstance(data, dict) or set(data) != set(cls.__dataclass_fields__):
            raise ValueError(f"a vocoder shape has exactly the fields {sorted(cls.__dataclass_fields__)}")
        numbers = {name: value for name, value in data.items() if name != "prior"}
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in numbers.values()):
            raise ValueError("vocoder shape fields are integers")
        if not isinstance(data["prior"], bool):
            raise ValueError("vocoder shape field prior is true or false")
        return cls(**data)


class ConvNeXtBlock(nn.Module):
    """Depthwise temporal convolution, LayerNorm, pointwise expansion with GELU, scaled residual."""

    def __init__(self, width: int, expansion: int, kernel: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(width, width, kernel, padding=kernel // 2, groups=width)
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.expand = nn.Linear(width, width * expansion)
        self.project = nn.Linear(width * expansion, width)
        self.scale = nn.Parameter(torch.full((width,), 0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, width, T)
        y = self.depthwise(x).transpose(1, 2)
        y = self.project(torch.nn.functional.gelu(self.expand(self.norm(y))))
        return x + (self.scale * y).transpose(1, 2)


class MelVocoder(nn.Module):
    """Normalised mel ``(B, n_mels, T)`` -> waveform ``(B, (T - 1) * hop_length)`` (centred STFT frames)."""

    def __init__(self, shape: VocoderShape | None = None, mel: MelConfig | None = None) -> None:
        super().__init__()
        self.shape = shape = shape or VocoderShape()
        mel = mel or MelConfig(n_mels=shape.n_mels, n_fft=shape.n_fft, hop_length=shape.hop_length)
        if (mel.n_mels, mel.n_fft, mel.hop_length) != (shape.n_mels, shape.n_fft, shape.hop_length):
            raise ValueError("the vocoder's shape and its mel settings disagree on n_mels, n_fft or hop")
        # unit -> ln mel power is ``unit * scale + offset``; the prior is ln of the least-norm linear power.
        to_log_power = math.log(10.0) / 10.0
        self._scale = (mel.db_ceil - mel.db_floor) * to_log_power
        self._offset = mel.db_floor * to_log_power + math.log(reference_power(mel))
        self._floor_power = math.exp(self._offset)
        pseudo_inverse = torch.linalg.pinv(mel_filterbank(mel).double()).float() if shape.prior else None
        self.register_buffer("pseudo_inverse", pseudo_inverse, persistent=False)
        self.embed = nn.Conv1d(shape.n_mels, shape.width, shape.kernel, padding=shape.kernel // 2)
        self.embed_norm = nn.LayerNorm(shape.width, eps=1e-6)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(shape.width, shape.expansion, shape.kernel) for _ in range(shape.depth)
        )
        self.out_norm = nn.LayerNorm(shape.width, eps=1e-6)
        self.head = nn.Linear(shape.width, 2 * shape.bins)
        if shape.prior:  # start exactly at the prior: the magnitude half of the head begins at zero
            with torch.no_grad():
                self.head.weight[: shape.bins].zero_()
                self.head.bias[: shape.bins].zero_()
        self.register_buffer("window", torch.hann_window(shape.n_fft), persistent=False)

    @torch.no_grad()
    def prior_log_magnitude(self, mel_unit: torch.Tensor) -> torch.Tensor:
        """``(B, T, bins)``: ln of the pseudo-inverse's linear magnitude, floored at the mel's db_floor."""
        power = torch.exp(mel_unit.transpose(1, 2).float() * self._scale + self._offset)
        linear = (power @ self.pseudo_inverse).clamp(min=self._floor_power)
        return 0.5 * torch.log(linear)

    def magnitude_phase(self, mel_unit: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The STFT the network predicts for ``mel_unit``: linear magnitude and phase (an unwrapped angle in
        radians), each ``(B, T, bins)``."""
        x = self.embed(mel_unit * 2.0 - 1.0)
        x = self.embed_norm(x.transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        log_magnitude, phase = self.head(self.out_norm(x.transpose(1, 2))).float().chunk(2, dim=-1)
        if self.pseudo_inverse is not None:
            log_magnitude = log_magnitude + self.prior_log_magnitude(mel_unit)
        return torch.exp(log_magnitude.clamp(max=MAX_LOG_MAGNITUDE)), phase

    def spectrum(self, mel_unit: torch.Tensor) -> torch.Tensor:
        """Complex STFT ``(B, bins, T)`` the network predicts for ``mel_unit``."""
        magnitude, phase = self.magnitude_phase(mel_unit)
        # Phase as an angle: cos/sin of an unbounded value wrap it for free (the Vocos parametrisation).
        # Without autograd, the engine's real-view polar (about 4x faster than torch.polar on a CPU).
        polar = torch.polar if torch.is_grad_enabled() else polar_spectrum
        return polar(magnitude, phase).transpose(1, 2)

    def forward(self, mel_unit: torch.Tensor) -> torch.Tensor:
        frames = mel_unit.shape[-1]
        return torch.istft(
            self.spectrum(mel_unit),
            n_fft=self.shape.n_fft,
            hop_length=self.shape.hop_length,
            window=self.window,
            center=True,
            length=(frames - 1) * self.shape.hop_length,
        )


class _ResolutionCritic(nn.Module):
    """2-D convolutions over one resolution's log-magnitude spectrogram; returns logits and features."""

    def __init__(self, n_fft: int, hop_length: int, channels: int) -> None:
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        norm = nn.utils.parametrizations.weight_norm
        # Strided along frequency from the first layer: the full-resolution grids are large on a CPU.
        self.layers = nn.ModuleList([
            norm(nn.Conv2d(1, channels, (3, 9), stride=(1, 2), padding=(1, 4))),
            norm(nn.Conv2d(channels, channels, (3, 9), stride=(1, 2), padding=(1, 4))),
            norm(nn.Conv2d(channels, channels, (3, 9), stride=(1, 2), padding=(1, 4))),
            norm(nn.Conv2d(channels, channels, (3, 3), padding=(1, 1))),
        ])
        self.out = norm(nn.Conv2d(channels, 1, (3, 3), padding=(1, 1)))

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spec = torch.stft(audio.float(), self.n_fft, self.hop_length, window=self.window, center=True,
                          return_complex=True).abs()
        x = torch.log(spec.clamp(min=1e-5)).transpose(1, 2).unsqueeze(1)  # (B, 1, T, F)
        features = []
        for layer in self.layers:
            x = torch.nn.functional.leaky_relu(layer(x), 0.1)
            features.append(x)
        return self.out(x).flatten(1), features


class SpectrogramCritic(nn.Module):
    """Multi-resolution spectrogram critic: one small 2-D network per STFT resolution."""

    RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))

    def __init__(self, channels: int = 16) -> None:
        super().__init__()
        self.critics = nn.ModuleList(_ResolutionCritic(n, h, channels) for n, h in self.RESOLUTIONS)

    def forward(self, audio: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        return [critic(audio) for critic in self.critics]


__all__ = ["MAX_LOG_MAGNITUDE", "MelVocoder", "SpectrogramCritic", "VocoderShape"]
