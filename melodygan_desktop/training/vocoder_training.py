"""Training the vocoder: random segments of real audio -> their mel -> the vocoder -> back to audio,
scored against the original. Resumable and time-boxed like every run.

Losses (generator): 45 x L1 of the log mel amplitude (floored at the mel's ``db_floor``), plus the
multi-resolution STFT loss (spectral convergence + log magnitude at three resolutions); from
``adversarial_from`` on, also the least-squares adversarial loss of a multi-resolution spectrogram critic
and 2 x its feature matching (the HiFi-GAN / Vocos weighting). The reconstruction-only warm-up gets a CPU run
to intelligible audio quickly; the critic then sharpens what the L1 losses blur.

``train_vocoder`` yields ``VocoderProgress`` as it goes and checkpoints into ``run_dir`` every
``checkpoint_every`` steps, at the end and when stopped; pointing it at a run folder with checkpoints
continues from the newest, with the recipe, shape and mel settings stored there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..audio.mel import MelFrontEnd, reference_power
from ..audio.spectral_distance import multi_resolution_stft_loss
from ..checkpoints.store import load_training_state
from ..checkpoints.vocoder_files import save_vocoder_checkpoint, vocoder_checkpoints
from ..config import MelConfig, from_dict, to_dict
from ..data.audio_clips import AudioData
from ..models.vocoder import MelVocoder, SpectrogramCritic, VocoderShape

MEL_WEIGHT = 45.0
FEATURE_WEIGHT = 2.0


@dataclass(frozen=True)
class VocoderRecipe:
    """``batch`` segments of ``segment_frames`` mel frames each step, AdamW at ``lr`` for both networks,
    random gain in ``gain`` (amplitude) so the vocoder hears every level, critic from ``adversarial_from``."""

    batch: int = 8
    segment_frames: int = 32
    lr: float = 3e-4
    adversarial_from: int = 4000
    gain: tuple[float, float] = (0.2, 1.0)
    seed: int = 0


@dataclass
class VocoderProgress:
    step: int
    total: int
    losses: dict[str, float]
    seconds: float
    val: dict[str, float] = field(default_factory=dict)
    checkpoint: Path | None = None


class _Budget:
    """Seconds of wall or process CPU time spent, summed over resumes."""

    def __init__(self, clock: str, spent: dict[str, float]) -> None:
        if clock not in ("wall", "cpu"):
            raise ValueError(f"budget clock must be 'wall' or 'cpu', got {clock!r}")
        self.clock, self.before = clock, dict(spent)
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def spent(self) -> dict[str, float]:
        return {
            "wall": self.before.get("wall", 0.0) + time.perf_counter() - self.wall0,
            "cpu": self.before.get("cpu", 0.0) + time.process_time() - self.cpu0,
        }

    def used(self) -> float:
        return self.spent()[self.clock]


def _segments(data: AudioData, samples: int, recipe: VocoderRecipe, rng: np.random.Generator) -> torch.Tensor:
    clips = data.train.clips
    index = rng.integers(0, clips.shape[0], recipe.batch)
    starts = rng.integers(0, clips.shape[1] - samples + 1, recipe.batch)
    batch = np.stack([clips[i, s : s + samples] for i, s in zip(index.tolist(), starts.tolist())])
    gain = rng.uniform(*recipe.gain, size=(recipe.batch, 1)) / 32767.0
    return torch.from_numpy((batch * gain).astype(np.float32))


def _log_amplitude(power: torch.Tensor, mel: MelConfig) -> torch.Tensor:
    floor = reference_power(mel) * 10.0 ** (mel.db_floor / 10.0)
    return 0.5 * torch.log(power.clamp(min=floor))


@torch.no_grad()
def validate(vocoder: MelVocoder, data: AudioData, mel: MelConfig, clips: int = 8) -> dict[str, float]:
    """Mean multi-resolution STFT distance and mel error (dB) of whole held-out clips (training clips when
    the folder was too small to hold any out)."""
    source = data.val if len(data.val) else data.train
    if not len(source):
        return {}
    picked = np.linspace(0, len(source) - 1, min(clips, len(source))).round().astype(int)
    device = next(vocoder.parameters()).device
    audio = torch.from_numpy(source.as_float(picked)).to(device)
    front_end = MelFrontEnd(mel).to(device)
    was = vocoder.training
    vocoder.eval()
    out = vocoder(front_end(audio))
    vocoder.train(was)
    convergence, log_distance = multi_resolution_stft_loss(audio, out)
    target = front_end(audio[:, : out.shape[-1]])
    mel_db = (front_end(out) - target).abs().mean() * (mel.db_ceil - mel.db_floor)
    return {"mrstft": float(convergence + log_distance), "mel_db": float(mel_db)}


def _state(step, vocoder, critic, optimizers, rng, budget, recipe, mel) -> dict:
    return {
        "step": step,
        "vocoder": vocoder.state_dict(),
        "critic": critic.state_dict(),
        "opt_g": optimizers[0].state_dict(),
        "opt_d": optimizers[1].state_dict(),
        "rng": {"numpy": rng.bit_generator.state, "torch": torch.get_rng_state()},
        "spent": budget.spent(),
        "recipe": {**asdict(recipe), "gain": list(recipe.gain)},
        "shape": vocoder.shape.to_dict(),
        "mel": to_dict(mel),
    }


def train_vocoder(
    data: AudioData,
    mel: MelConfig,
    run_dir: str | Path,
    *,
    steps: int,
    shape: VocoderShape | None = None,
    recipe: VocoderRecipe | None = None,
    device: str | torch.device = "cpu",
    max_minutes: float | None = None,
    budget_clock: str = "wall",
    checkpoint_every: int = 500,
    keep_last: int = 3,
    report_every: int = 50,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[VocoderProgress]:
    """Train (or resume, when ``run_dir`` holds checkpoints) until ``steps``, the time budget or a stop."""
    run_dir, device = Path(run_dir), torch.device(device)
    resume = vocoder_checkpoints(run_dir)
    state = load_training_state(resume[-1]) if resume else None
    if state is not None:  # the run's own settings win: a resumed run continues the same experiment
        recipe = VocoderRecipe(**{**state["recipe"], "gain": tuple(state["recipe"]["gain"])})
        shape = VocoderShape.from_dict(state["shape"])
        mel = from_dict(MelConfig, state["mel"])
    recipe, shape = recipe or VocoderRecipe(), shape or VocoderShape(mel.n_mels, mel.n_fft, mel.hop_length)
    samples = recipe.segment_frames * mel.hop_length
    if data.train.clips.shape[1] < samples:
        length = data.train.clips.shape[1]
        raise ValueError(f"clips of {length} samples are shorter than a segment ({samples})")
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    vocoder = MelVocoder(shape, mel).to(device).train()
    critic = SpectrogramCritic().to(device).train()
    opt_g = torch.optim.AdamW(vocoder.parameters(), lr=recipe.lr, betas=(0.8, 0.99), weight_decay=0.01)
    opt_d = torch.optim.AdamW(critic.parameters(), lr=recipe.lr, betas=(0.8, 0.99), weight_decay=0.01)
    step, spent = 0, {}
    if state is not None:
        vocoder.load_state_dict(state["vocoder"])
        critic.load_state_dict(state["critic"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        rng.bit_generator.state = state["rng"]["numpy"]
        torch.set_rng_state(state["rng"]["torch"])
        step, spent = int(state["step"]), dict(state["spent"])
    budget = _Budget(budget_clock, spent)
    front_end = MelFrontEnd(mel).to(device)
    limit = None if max_minutes is None else max_minutes * 60.0
    totals: dict[str, float] = {}
    counted = 0
    saved_at = step if state is not None else -1

    def checkpoint(val: dict[str, float]) -> Path:
        metrics = {"steps": step, **{f"val_{k}": round(v, 4) for k, v in val.items()},
                   "seconds": {k: round(v, 1) for k, v in budget.spent().items()}}
        state_now = _state(step, vocoder, critic, (opt_g, opt_d), rng, budget, recipe, mel)
        return save_vocoder_checkpoint(run_dir, step, vocoder, mel, state_now, metrics, keep_last)

    while True:
        out_of_time = limit is not None and budget.used() >= limit
        stop = step >= steps or out_of_time or should_stop()
        if not stop:
            audio = _segments(data, samples, recipe, rng).to(device)
            with torch.no_grad():
                target_power = front_end.power(audio)
                mel_in = front_end(audio)
            out = vocoder(mel_in)
            adversarial = step >= recipe.adversarial_from
            losses = {}
            if adversarial:
                real_scores = critic(audio)
                real_features = [[f.detach() for f in features] for _, features in real_scores]
                fake_scores = critic(out.detach())
                d_loss = sum(((r - 1) ** 2).mean() + (f**2).mean() for (r, _), (f, _) in zip(real_scores,
                                                                                          fake_scores))
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                losses["d"] = float(d_loss.detach())
            convergence, log_distance = multi_resolution_stft_loss(audio, out)
            out_log = _log_amplitude(front_end.power(out), mel)
            mel_l1 = (out_log - _log_amplitude(target_power, mel)).abs().mean()
            g_loss = MEL_WEIGHT * mel_l1 + convergence + log_distance
            losses.update(mel=float(mel_l1.detach()), sc=float(convergence.detach()),
                          logmag=float(log_distance.detach()))
            if adversarial:
                fake_scores = critic(out)
                adv = sum(((f - 1) ** 2).mean() for f, _ in fake_scores)
                matching = sum(
                    (a - b).abs().mean()
                    for (_, fake), real in zip(fake_scores, real_features)
                    for a, b in zip(fake, real)
                )
                g_loss = g_loss + adv + FEATURE_WEIGHT * matching
                losses.update(adv=float(adv.detach()), fm=float(matching.detach()))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            torch.nn.utils.clip_grad_norm_(vocoder.parameters(), 100.0)
            opt_g.step()
            step += 1
            for name, value in losses.items():
                totals[name] = totals.get(name, 0.0) + value
            counted += 1
        due = (stop or step % checkpoint_every == 0) and step != saved_at
        if due or (not stop and step % report_every == 0):
            path, val = None, {}
            if due:
                val = validate(vocoder, data, mel)
                path = checkpoint(val)
                saved_at = step
            means = {name: value / max(1, counted) for name, value in totals.items()}
            yield VocoderProgress(step, steps, means, budget.used(), val, path)
            totals, counted = {}, 0
        if stop:
            return


__all__ = ["VocoderProgress", "VocoderRecipe", "train_vocoder", "validate"]
