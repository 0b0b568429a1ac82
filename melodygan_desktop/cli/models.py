"""Finding the model a command means: a folder path, an installed model's id (its folder name, as
``melodygan list`` shows it) or display name, or the first installed one that knows the genre."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import CliError


def model_dirs() -> list[Path]:
    """Where installed models live: the bundled ``checkpoints/`` first, then the user's models folder."""
    from .. import paths

    return [paths.bundled_checkpoints_dir(), paths.user_models_dir()]


def model_id(info: Any, roots: Iterable[Path] | None = None) -> str:
    """An installed model's id: its folder relative to the models folder holding it
    (``melodygan-cond-open13``; ``my-run/step_00002000`` for a step folder), else the folder's name."""
    path = Path(info.path)
    for root in roots if roots is not None else model_dirs():
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def model_label(info: Any, roots: Iterable[Path] | None = None) -> str:
    """``"id"``, or ``"id (display name)"`` when the two differ: how listings and errors name a model."""
    ident = model_id(info, roots)
    return ident if info.name == ident else f"{ident} ({info.name})"


def match_model(spec: str, models: list[Any], roots: Iterable[Path] | None = None) -> Any | None:
    """The model ``spec`` names: by id, then by display name, then either ignoring case; None if none."""
    roots = list(roots) if roots is not None else model_dirs()
    spec = spec.strip().rstrip("/")
    keys = (lambda info: model_id(info, roots), lambda info: info.name)
    for fold in (lambda text: text, str.casefold):
        for key in keys:
            for info in models:
                if fold(key(info)) == fold(spec):
                    return info
    return None


def resolve_model(spec: str | None, genre: str | Mapping[str, float] | None):
    """Load the model named or located by ``spec`` (a folder path, an installed model's id or display name);
    without one, the first installed model with ``genre``."""
    from ..checkpoints import find_models, load_generator

    if spec and Path(spec).expanduser().exists():
        return load_generator(Path(spec).expanduser())
    roots = model_dirs()
    models = find_models(roots)
    if spec:
        info = match_model(spec, models, roots)
        if info is not None:
            return load_generator(info.path)
        names = ", ".join(model_label(info, roots) for info in models) or "none installed"
        raise CliError(f"no model or folder named {spec!r} (installed: {names}; see 'melodygan list')")
    wanted = [genre] if isinstance(genre, str) else list(genre or {})
    for info in models:
        if all(name in info.genres for name in wanted):
            return load_generator(info.path)
    if not models:
        raise CliError("no models installed: pass --model FOLDER or train one with 'melodygan train'")
    known = sorted({g for info in models for g in info.genres})
    raise CliError(f"no installed model knows genre {', '.join(wanted)}; genres: {', '.join(known)}")
