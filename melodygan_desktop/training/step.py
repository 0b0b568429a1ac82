"""One adversarial optimisation step for any preset: critic update(s), generator update, EMA.

Kept apart from the loop so the benchmark's bare reference loop and the real loop time the same maths.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ..models.augment import augment
from ..models.presets import Preset
from . import losses
from .distributed import DistContext, average_gradients

BatchFn = Callable[[], tuple[torch.Tensor, torch.Tensor]]

#: R1 is applied lazily every this many steps with its weight scaled up to match (StyleGAN2).
R1_INTERVAL = 16


@dataclass
class GanState:
    """Networks and optimisers of one run; inference uses ``generator_ema`` (the raw G when there is none)."""

    preset: Preset
    generator: nn.Module
    discriminator: nn.Module
    generator_ema: nn.Module | None
    optimizer_g: torch.optim.Optimizer
    optimizer_d: torch.optim.Optimizer
    n_genres: int
    exported: nn.Module | None = None  # latent presets: the model that wraps the EMA generator and the codec

    @property
    def inference_generator(self) -> nn.Module:
        return self.generator_ema if self.generator_ema is not None else self.generator

    @property
    def export_generator(self) -> nn.Module:
        """What is saved and previewed: mels out (for latent presets, the generator behind the codec)."""
        return self.exported if self.exported is not None else self.inference_generator

    def architecture(self) -> dict:
        describe = getattr(self.export_generator, "architecture", None)
        return describe() if callable(describe) else {}


def make_optimizer(preset: Preset, params, lr: float) -> torch.optim.Optimizer:
    if preset.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(preset.betas))
    if preset.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    raise ValueError(f"preset {preset.name}: unknown optimizer {preset.optimizer!r}")


def build_state(
    preset: Preset, mel, n_genres: int, lr_g: float, lr_d: float, device, codec: nn.Module | None = None,
    architecture: dict | None = None,
) -> GanState:
    """Fresh networks and optimisers. Latent presets train their sequence generator (``generator``) against
    a latent critic; ``codec`` (required for them) goes into the exported model unchanged."""
    full = preset.make_generator(mel, n_genres, architecture)
    generator = (full.sequence if preset.latent else full).to(device)
    discriminator = preset.make_discriminator(mel, n_genres, architecture).to(device)
    ema = None
    if preset.ema_beta > 0:
        ema = copy.deepcopy(generator).eval()
        ema.requires_grad_(False)
    exported = None
    if preset.latent:
        if codec is None:
            raise ValueError(f"preset {preset.name} needs a mel codec")
        full.codec.load_state_dict(codec.state_dict())
        exported = type(full)(
            full.codec.shape, full.shape, n_genres, frames=mel.frames, sequence=ema or generator,
            codec=full.codec.to(device).eval(),
        )
    return GanState(
        preset=preset,
        generator=generator,
        discriminator=discriminator,
        generator_ema=ema,
        optimizer_g=make_optimizer(preset, generator.parameters(), lr_g),
        optimizer_d=make_optimizer(preset, discriminator.parameters(), lr_d),
        n_genres=n_genres,
        exported=exported,
    )


def sample_latent(generator: nn.Module, batch: int, frames: int, device, rng: torch.Generator | None = None):
    shape = (batch, *generator.latent_shape(frames))
    return torch.randn(shape, generator=rng, device="cpu" if rng is not None else device).to(device)


def run_generator(generator: nn.Module, z: torch.Tensor, weights: torch.Tensor | None, frames: int):
    """Forward that asks fully convolutional generators for exactly ``frames`` frames."""
    if generator.fixed_frames is None:
        return generator(z, weights, frames=frames)
    return generator(z, weights)


def genre_weights(labels: torch.Tensor, n_genres: int, conditional: bool) -> torch.Tensor | None:
    if not conditional:
        return None
    return torch.nn.functional.one_hot(labels, n_genres).float()


def _grad_norm(params) -> torch.Tensor:
    """Total L2 norm of the gradients as a 0-dim tensor (no host sync): one fused per-tensor norm kernel
    (``_foreach_norm``, what ``clip_grad_norm_`` uses) instead of one op per parameter."""
    grads = [p.grad.detach() for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def _to_floats(terms: dict[str, torch.Tensor]) -> dict[str, float]:
    """0-dim tensors -> floats with a single device-to-host copy for the whole step."""
    if not terms:
        return {}
    device = next(iter(terms.values())).device
    values = torch.stack([term.detach().to(device, torch.float32) for term in terms.values()]).tolist()
    return dict(zip(terms, values))


def train_step(state: GanState, next_batch: BatchFn, step: int, context: DistContext) -> dict[str, float]:
    """Run ``n_critic`` critic updates then one generator update; returns loss terms as floats.

    ``next_batch()`` gives real mels (B, 1, n_mels, frames) in the model's range and int64 genre labels (B,).
    Returned keys: ``d/loss``, ``d/real``, ``d/fake``, ``g/adv``, optional ``d/gp``, ``d/r1``,
    ``g/diversity`` (takes' spread over real clips', presets with a diversity term), and the
    gradient norms ``d/grad_norm``, ``g/grad_norm`` (used for divergence detection).
    """
    preset = state.preset
    generator, discriminator = state.generator, state.discriminator
    conditional = preset.conditional
    metrics: dict[str, torch.Tensor] = {}  # converted once, at the end
    real = labels = None
    for _ in range(preset.n_critic):
        real, labels = next_batch()
        frames = real.shape[-1]
        with torch.no_grad():
            z = sample_latent(generator, real.shape[0], frames, real.device)
            fake = run_generator(generator, z, genre_weights(labels, state.n_genres, conditional), frames)
        real_in, fake_in = (augment(real), augment(fake)) if preset.augment else (real, fake)
        d_labels = labels if conditional else None
        real_logits = discriminator(real_in, d_labels)
        fake_logits = discriminator(fake_in, d_labels)
        d_loss = losses.discriminator_loss(preset.loss, real_logits, fake_logits)
        metrics["d/real"] = real_logits.detach().mean()
        metrics["d/fake"] = fake_logits.detach().mean()
        if preset.loss == "wgan-gp":
            gp = losses.gradient_penalty(discriminator, real, fake, d_labels)
            d_loss = d_loss + preset.gp_lambda * gp
            metrics["d/gp"] = gp.detach()
        if preset.r1_gamma > 0 and step % R1_INTERVAL == 0:
            r1 = losses.r1_penalty(discriminator, real, d_labels)
            d_loss = d_loss + (preset.r1_gamma / 2) * R1_INTERVAL * r1
            metrics["d/r1"] = r1.detach()
        state.optimizer_d.zero_grad(set_to_none=True)
        d_loss.backward()
        average_gradients(discriminator.parameters(), context)
        metrics["d/grad_norm"] = _grad_norm(discriminator.parameters())
        state.optimizer_d.step()
        if preset.loss == "wgan-clip":
            with torch.no_grad():
                for param in discriminator.parameters():
                    param.clamp_(-preset.clip_value, preset.clip_value)
        metrics["d/loss"] = d_loss.detach()

    assert real is not None and labels is not None
    diverse = preset.diversity > 0 and real.shape[0] >= 2
    if diverse:  # two halves with the same conditions, different noise
        half = real.shape[0] // 2
        labels = torch.cat([labels[:half], labels[:half], labels[2 * half :]])
    z = sample_latent(generator, real.shape[0], real.shape[-1], real.device)
    fake = run_generator(generator, z, genre_weights(labels, state.n_genres, conditional), real.shape[-1])
    fake_in = augment(fake) if preset.augment else fake
    discriminator.requires_grad_(False)
    try:
        g_loss = losses.generator_loss(preset.loss, discriminator(fake_in, labels if conditional else None))
    finally:
        discriminator.requires_grad_(True)
    metrics["g/adv"] = g_loss.detach()
    if diverse:
        hinge, metrics["g/diversity"] = losses.diversity_hinge(fake, real)
        g_loss = g_loss + preset.diversity * hinge
    state.optimizer_g.zero_grad(set_to_none=True)
    g_loss.backward()
    average_gradients(generator.parameters(), context)
    metrics["g/grad_norm"] = _grad_norm(generator.parameters())
    state.optimizer_g.step()
    if state.generator_ema is not None:
        update_ema(state.generator_ema, generator, preset.ema_decay(step + 1))
    return _to_floats(metrics)


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, beta: float) -> None:
    """``ema <- beta * ema + (1 - beta) * model`` for every parameter, buffers copied. One fused call for all
    parameters (``_foreach_lerp_``) instead of one kernel each: on a GPU the per-tensor launches cost more
    than the arithmetic."""
    ema_params = list(ema.parameters())
    params = [p.detach() for p in model.parameters()]
    if ema_params:
        torch._foreach_lerp_(ema_params, params, 1.0 - beta)
    for ema_buffer, buffer in zip(ema.buffers(), model.buffers()):
        ema_buffer.copy_(buffer)
