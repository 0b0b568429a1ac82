"""Frozen, JSON-serialisable configuration: the single source of truth for mel settings and training runs.

Every dataclass here round-trips through ``to_dict`` / ``from_dict``; ``from_dict`` rejects unknown keys
and wrong types so a typo in a config file or a tampered ``meta.json`` fails loudly instead of silently.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# The strict dict conversion every config uses (kept importable from here, where callers import it).
from melodygan_desktop.strict_json import ConfigError, from_dict, json_ready, to_dict  # noqa: F401

#: Sane ranges, checked when a config is built (from code, a preset, config.json or meta.json).
SAMPLE_RATE_RANGE = (8_000, 192_000)
N_FFT_RANGE = (16, 16_384)
N_MELS_RANGE = (1, 512)
MAX_CLIP_SECONDS = 60.0
DB_RANGE = (-300.0, 100.0)
#: Mel values in one clip (n_mels x frames): 60-s clips at the paper's settings are 330 k.
MAX_CLIP_VALUES = 4_000_000
MAX_STEPS = 100_000_000
MAX_BATCH_SIZE = 1024
MAX_EVERY = 100_000_000
MAX_KEEP_LAST = 10_000
MAX_PREVIEWS = 64
MAX_THREADS = 4096
MAX_MINUTES = 10_000_000.0
MAX_SEED = 2**63 - 1


def _in_range(
    name: str, value: float, low: float, high: float, *, unit: str = "", low_open: bool = False
) -> None:
    """Raise ``ConfigError`` naming the bounds unless ``low <= value <= high`` (``low < value`` if open)."""
    ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        def show(number: float) -> str:
            return str(number) if isinstance(number, int) else f"{number:g}"

        bound = f"above {show(low)}" if low_open else f"at least {show(low)}"
        raise ConfigError(f"{name} must be {bound} and at most {show(high)}{unit}, got {show(value)}{unit}")


@dataclass(frozen=True)
class MelConfig:
    """Every setting that turns a waveform into the model's log-mel image and back.

    Defaults are paper 000 (MELodyGAN): 22050 Hz, n_fft 2048, hop 512, 128 HTK mels, 10-s clips, which
    gives ``1 x 128 x 431`` frames (centred STFT: ``clip_samples // hop + 1``).

    Log compression and normalisation (documented in docs/AUDIO.md):
    ``db = 10 * log10(max(mel_power / ref_power, 1e-10))`` with ``ref_power = (sum(hann(n_fft)) / 2) ** 2``
    so that a full-scale sine reads about 0 dB in its band, then ``x = clip((db - db_floor) /
    (db_ceil - db_floor), 0, 1)``. The model sees ``x`` in [0, 1]; 0 is silence.
    """

    sample_rate: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    f_min: float = 0.0
    f_max: float | None = None
    clip_seconds: float = 10.0
    db_floor: float = -90.0
    db_ceil: float = 10.0

    def __post_init__(self) -> None:
        # Ranges first: a tampered meta.json or preset must fail here, before anything is allocated.
        if self.sample_rate <= 0 or self.n_fft <= 0 or self.hop_length <= 0 or self.n_mels <= 0:
            raise ConfigError("MelConfig: sample_rate, n_fft, hop_length and n_mels must be positive")
        _in_range("MelConfig.sample_rate", self.sample_rate, *SAMPLE_RATE_RANGE, unit=" Hz")
        _in_range("MelConfig.n_fft", self.n_fft, *N_FFT_RANGE)
        _in_range("MelConfig.hop_length", self.hop_length, 1, self.n_fft)
        _in_range("MelConfig.n_mels", self.n_mels, *N_MELS_RANGE)
        _in_range("MelConfig.clip_seconds", self.clip_seconds, 0.0, MAX_CLIP_SECONDS, unit=" s",
                  low_open=True)
        _in_range("MelConfig.db_floor", self.db_floor, *DB_RANGE)
        _in_range("MelConfig.db_ceil", self.db_ceil, *DB_RANGE)
        if self.n_mels * self.frames > MAX_CLIP_VALUES:
            raise ConfigError(
                f"MelConfig: one clip would be {self.n_mels} x {self.frames} mel values, more than "
                f"{MAX_CLIP_VALUES:,} (raise hop_length or lower clip_seconds)"
            )
        if self.db_ceil <= self.db_floor:
            raise ConfigError("MelConfig: db_ceil must be above db_floor")
        top = self.sample_rate / 2
        if not 0 <= self.f_min < (self.f_max if self.f_max is not None else top) <= top:
            raise ConfigError("MelConfig: need 0 <= f_min < f_max <= sample_rate / 2")

    @property
    def clip_samples(self) -> int:
        return int(round(self.clip_seconds * self.sample_rate))

    @property
    def frames(self) -> int:
        """Mel frames in one clip (centred STFT)."""
        return self.frames_for_samples(self.clip_samples)

    def frames_for_samples(self, samples: int) -> int:
        return samples // self.hop_length + 1

    def samples_for_frames(self, frames: int) -> int:
        return (frames - 1) * self.hop_length

    def frames_for_seconds(self, seconds: float) -> int:
        return self.frames_for_samples(int(round(seconds * self.sample_rate)))

    @property
    def top_hz(self) -> float:
        return self.f_max if self.f_max is not None else self.sample_rate / 2

    def with_clip_seconds(self, seconds: float) -> MelConfig:
        return dataclasses.replace(self, clip_seconds=seconds)


#: Named mel settings: paper 000's 10-s clips and paper 002's 5-s clips.
MEL_PRESETS: dict[str, MelConfig] = {
    "paper000-10s": MelConfig(),
    "paper002-5s": MelConfig(clip_seconds=5.0),
}


BUDGET_CLOCKS = ("wall", "cpu")

#: What a new run trains unless told otherwise (the CLI's ``--preset``, the app's first choice):
#: genre-conditional, one model for every genre, with morphing.
DEFAULT_PRESET = "melodygan-cond"
#: Steps of a new run unless told otherwise: a few minutes per hundred steps on a laptop CPU, enough to hear a
#: small folder's style.
DEFAULT_STEPS = 2000


def cadence_for(steps: int) -> dict[str, int]:
    """How often a run of ``steps`` saves, logs and previews (``TrainConfig`` fields; the CLI and the app use
    it for a new run): a checkpoint each quarter, at most 500 steps apart; a logged loss each hundredth, at
    most 10 apart; a preview each tenth, at most 250 apart; checkpoints and previews at least 10 apart."""
    return {
        "checkpoint_every": max(10, min(500, steps // 4)),
        "log_every": max(1, min(10, steps // 100)),
        "preview_every": max(10, min(250, steps // 10)),
    }


_DEFAULT_CADENCE = cadence_for(DEFAULT_STEPS)


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Optional numbers left ``None`` take the preset's recipe value.

    ``init_from`` fine-tunes from an inference checkpoint folder (generator weights only);
    resuming an interrupted run is done by pointing ``train`` at the existing run folder instead.
    ``max_minutes`` ends the run early (with a checkpoint) once that much training time has been spent, summed
    over every resume; ``budget_clock`` says whether that is wall-clock time or the process's CPU time (the
    fair measure when runs share a machine).
    """

    data_dir: str
    preset: str = DEFAULT_PRESET
    steps: int = DEFAULT_STEPS
    batch_size: int | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    mel: MelConfig | None = None
    device: str = "auto"
    threads: int = 1
    seed: int = 0
    init_from: str | None = None
    checkpoint_every: int = _DEFAULT_CADENCE["checkpoint_every"]  # cadence_for(steps) for other step counts
    keep_last: int = 3
    log_every: int = _DEFAULT_CADENCE["log_every"]
    preview_every: int = _DEFAULT_CADENCE["preview_every"]
    preview_count: int = 4
    preview_genres: tuple[str, ...] = ()  # preview these genres (those the run has); empty: the first ones
    cache_dir: str | None = None  # mel cache folder; None: the user cache (paths.cache_dir(), as prepare)
    val_fraction: float = 0.1
    max_grad_norm: float = 1e4
    max_minutes: float | None = None
    budget_clock: str = "wall"
    codec: str | None = None  # melodygan-latent: the mel codec folder of a new run (None: the bundled one)

    def __post_init__(self) -> None:
        _in_range("TrainConfig: steps", self.steps, 1, MAX_STEPS)
        if self.batch_size is not None:
            _in_range("TrainConfig: batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if value is not None:
                _in_range(f"TrainConfig: {name}", value, 0.0, 1.0, low_open=True)
        _in_range("TrainConfig: threads", self.threads, 0, MAX_THREADS)
        _in_range("TrainConfig: seed", self.seed, -MAX_SEED, MAX_SEED)
        _in_range("TrainConfig: keep_last", self.keep_last, 1, MAX_KEEP_LAST)
        _in_range("TrainConfig: preview_count", self.preview_count, 1, MAX_PREVIEWS)
        for name in ("checkpoint_every", "log_every", "preview_every"):
            _in_range(f"TrainConfig: {name}", getattr(self, name), 1, MAX_EVERY)
        if self.max_grad_norm <= 0:
            raise ConfigError("TrainConfig: max_grad_norm must be positive")
        if self.max_minutes is not None:
            _in_range("TrainConfig: max_minutes", self.max_minutes, 0.0, MAX_MINUTES, low_open=True)
        if self.device not in ("auto", "cpu", "cuda", "mps") and not self.device.startswith("cuda:"):
            raise ConfigError(f"TrainConfig: unknown device {self.device!r} (auto, cpu, cuda, mps)")
        if not 0 <= self.val_fraction < 1:
            raise ConfigError("TrainConfig: val_fraction must be in [0, 1)")
        if self.budget_clock not in BUDGET_CLOCKS:
            raise ConfigError(
                f"TrainConfig: unknown budget_clock {self.budget_clock!r} ({', '.join(BUDGET_CLOCKS)})"
            )


def field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


__all__ = [
    "BUDGET_CLOCKS",
    "DEFAULT_PRESET",
    "DEFAULT_STEPS",
    "MAX_BATCH_SIZE",
    "MAX_CLIP_SECONDS",
    "SAMPLE_RATE_RANGE",
    "ConfigError",
    "MEL_PRESETS",
    "MelConfig",
    "TrainConfig",
    "cadence_for",
    "field_names",
    "from_dict",
    "json_ready",
    "to_dict",
]
