"""Fault injection for the training loop, shared by the loop and CLI tests."""

from __future__ import annotations


def nan_from_step(monkeypatch, first_bad_step: int) -> None:
    """Make the training loop's step report a NaN generator loss from ``first_bad_step`` (0-based) on."""
    from melodygan_desktop.training import loop

    real_step = loop.train_step

    def failing_step(state, next_batch, step, context):
        values = real_step(state, next_batch, step, context)
        if step >= first_bad_step:
            values["g/adv"] = float("nan")
        return values

    monkeypatch.setattr(loop, "train_step", failing_step)
