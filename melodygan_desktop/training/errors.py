"""Errors the training loop raises; each message says what went wrong and what to do about it."""


class TrainingError(RuntimeError):
    """Training cannot start or continue (bad settings, unavailable device, incompatible run folder)."""
