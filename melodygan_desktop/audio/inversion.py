"""Normalised log-mel -> waveform, by method name. Built in (``builtin_methods``): the papers' torchaudio
Griffin-Lim, fast Griffin-Lim and NNLS + peak-locked fast Griffin-Lim; other inverters (neural vocoders) plug
in by name.

Every inverter has the signature ``fn(mel_unit, mel, *, n_iter, seed, progress) -> audio`` with ``mel_unit``
float32 ``(batch, n_mels, frames)`` in [0, 1] and ``audio`` float32 ``(batch, (frames - 1) * hop_length)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from melodygan_desktop.audio.builtin_methods import (
    BASELINE_ITERATIONS,
    NNLS_FGLA_ITERATIONS,
    Progress,
    fast_griffin_lim_method,
    griffin_lim,
    nnls_fgla,
)
from melodygan_desktop.config import MelConfig

Inverter = Callable[..., np.ndarray]

DEFAULT_METHOD = "nnls-fgla"
#: Built-in method names; ``available_methods()`` also lists inverters added with ``register_inverter``.
METHODS: tuple[str, ...] = ("nnls-fgla", "fast-griffin-lim", "griffin-lim")


class UnknownMethodError(ValueError):
    """``invert`` was asked for a method name nobody registered."""


def default_inverters() -> dict[str, Inverter]:
    """A fresh name -> inverter table holding the built-in methods."""
    return {"nnls-fgla": nnls_fgla, "fast-griffin-lim": fast_griffin_lim_method, "griffin-lim": griffin_lim}


# The plug-in table. Mutated only through register_inverter / unregister_inverter.
_INVERTERS: dict[str, Inverter] = default_inverters()
#: Per plugged-in method, what it can invert: ``accepts(mel) -> None`` or why it cannot.
_ACCEPTS: dict[str, Callable[[MelConfig], str | None]] = {}
#: What a method that cannot invert a mel's settings falls back to.
FALLBACK_METHOD = "nnls-fgla"
#: A plugged-in method registered as ``preferred`` (the bundled vocoder) replaces DEFAULT_METHOD as default.
_PREFERRED: list[str] = []


def register_inverter(
    name: str,
    inverter: Inverter,
    *,
    replace: bool = False,
    accepts: Callable[[MelConfig], str | None] | None = None,
    preferred: bool = False,
) -> None:
    """Make ``inverter`` available to ``invert(..., method=name)`` (signature in the module docstring).

    ``accepts(mel)`` tells which mel settings it handles (``None``) and why not otherwise; for those,
    ``invert`` uses ``FALLBACK_METHOD`` instead (``resolve_method`` says so beforehand). ``preferred`` makes
    it the default method (``default_method``)."""
    if not name or not isinstance(name, str):
        raise ValueError("an inverter needs a non-empty name")
    if name in _INVERTERS and not replace:
        raise ValueError(f"an inverter named {name!r} is already registered (pass replace=True)")
    _INVERTERS[name] = inverter
    _ACCEPTS.pop(name, None)
    if accepts is not None:
        _ACCEPTS[name] = accepts
    if name in _PREFERRED:
        _PREFERRED.remove(name)
    if preferred:
        _PREFERRED.append(name)


def unregister_inverter(name: str) -> None:
    """Remove a plugged-in inverter; built-in methods cannot be removed."""
    if name in METHODS:
        raise ValueError(f"{name!r} is built in and cannot be unregistered")
    _INVERTERS.pop(name, None)
    _ACCEPTS.pop(name, None)
    if name in _PREFERRED:
        _PREFERRED.remove(name)


def default_method() -> str:
    """The method takes are made with unless one is chosen: the last plugged-in method registered as
    preferred, else ``DEFAULT_METHOD``."""
    return _PREFERRED[-1] if _PREFERRED else DEFAULT_METHOD


def resolve_method(method: str, mel: MelConfig) -> tuple[str, str]:
    """``(method actually used, note)`` for ``method`` on mels of ``mel``: the method itself and an empty
    note, or ``FALLBACK_METHOD`` and why (a vocoder trained for other mel settings)."""
    if method not in _INVERTERS:
        names = ", ".join(_INVERTERS)
        raise UnknownMethodError(f"unknown inversion method {method!r}; choose one of {names}")
    accepts = _ACCEPTS.get(method)
    reason = accepts(mel) if accepts is not None else None
    if reason:
        return FALLBACK_METHOD, f"{method} cannot invert these mels ({reason}); used {FALLBACK_METHOD}"
    return method, ""


def available_methods() -> tuple[str, ...]:
    """Built-in methods first, then registered ones in registration order."""
    return tuple(_INVERTERS)


def invert(
    mel_unit: np.ndarray,
    mel: MelConfig,
    method: str = DEFAULT_METHOD,
    *,
    n_iter: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> np.ndarray:
    """Normalised mel ``(n_mels, frames)`` or ``(batch, n_mels, frames)`` in [0, 1] -> float32 waveform
    ``(samples,)`` or ``(batch, samples)`` at ``mel.sample_rate``, ``samples = (frames - 1) * hop_length``.

    ``n_iter`` overrides the method's iteration count; ``progress`` receives fractions in [0, 1], ending at 1.
    """
    method, _note = resolve_method(method, mel)
    inverter = _INVERTERS[method]
    values = np.asarray(mel_unit, dtype=np.float32)
    single = values.ndim == 2
    if single:
        values = values[None]
    if values.ndim != 3 or values.shape[1] != mel.n_mels:
        raise ValueError(f"expected a mel of shape ({mel.n_mels}, frames) or (batch, {mel.n_mels}, frames), "
                         f"got {np.shape(mel_unit)}")
    if values.shape[2] < 2:
        raise ValueError("a mel needs at least 2 frames to become audio")
    if n_iter is not None and n_iter < 0:
        raise ValueError(f"n_iter must be >= 0, got {n_iter}")
    if not np.isfinite(values).all():
        raise ValueError("the mel contains NaN or infinite values")
    values = np.ascontiguousarray(np.clip(values, 0.0, 1.0))
    with torch.inference_mode():
        audio = inverter(values, mel, n_iter=n_iter, seed=seed, progress=progress)
    audio = np.asarray(audio, dtype=np.float32)
    expected = (values.shape[0], mel.samples_for_frames(values.shape[2]))
    if audio.shape != expected:
        raise ValueError(f"inverter {method!r} returned audio of shape {audio.shape}, expected {expected}")
    if progress is not None:
        progress(1.0)
    return audio[0] if single else audio


__all__ = [
    "BASELINE_ITERATIONS",
    "DEFAULT_METHOD",
    "FALLBACK_METHOD",
    "METHODS",
    "NNLS_FGLA_ITERATIONS",
    "Inverter",
    "UnknownMethodError",
    "available_methods",
    "default_inverters",
    "default_method",
    "invert",
    "register_inverter",
    "resolve_method",
    "unregister_inverter",
]
