"""Finding the model a command means: a folder path, an installed model's name, or the first fitting one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .errors import CliError


def model_dirs() -> list[Path]:
    """Where installed models live: the bundled ``checkpoints/`` first, then the user's models folder."""
    from .. import paths

    return [paths.bundled_checkpoints_dir(), paths.user_models_dir()]


def resolve_model(spec: str | None, genre: str | Mapping[str, float] | None):
    """Load the model named or located by ``spec``; without one, the first installed model with ``genre``."""
    from ..checkpoints import find_models, load_generator

    if spec and Path(spec).exists():
        return load_generator(spec)
    models = find_models(model_dirs())
    if spec:
        for info in models:
            if info.name == spec:
                return load_generator(info.path)
        names = ", ".join(info.name for info in models) or "none installed"
        raise CliError(f"no model or folder named {spec!r} (installed: {names})")
    wanted = [genre] if isinstance(genre, str) else list(genre or {})
    for info in models:
        if all(name in info.genres for name in wanted):
            return load_generator(info.path)
    if not models:
        raise CliError("no models installed: pass --model FOLDER or train one with 'melodygan train'")
    known = sorted({g for info in models for g in info.genres})
    raise CliError(f"no installed model knows genre {', '.join(wanted)}; genres: {', '.join(known)}")
