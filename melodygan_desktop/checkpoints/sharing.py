"""Managing installed models: what each one is, rename and delete.

Sharing one as a single ``.zip`` file (``export_model_zip``, ``import_model_zip``) is in
``checkpoints/model_zip.py``; its names are importable from here too.

Deleting and renaming go through the same guard as every other replacement in the app
(``files.app_folder_problem``): only a model folder the app made, inside the user's models folder.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path

from melodygan_desktop.checkpoints.files import (
    app_folder_problem,
    atomic_write_bytes,
    read_regular_bytes,
    remove_tree,
)
from melodygan_desktop.checkpoints.meta import CARD_NAME, META_NAME, meta_json_bytes, read_meta
from melodygan_desktop.checkpoints.model_card import (
    BASE_MODEL_ID_KEY,
    BASE_MODEL_KEY,
    DATA_FOLDER_KEY,
    TRAINING_KEY,
)
from melodygan_desktop.checkpoints.model_zip import (  # noqa: F401  (re-exported: sharing's names)
    MAX_CARD_BYTES,
    MAX_MEMBERS,
    MAX_WEIGHTS_BYTES,
    MEMBER_LIMITS,
    ZIP_SUFFIX,
    ModelShareError,
    export_model_zip,
    import_model_zip,
)
from melodygan_desktop.paths import display_text

MAX_DISPLAY_NAME_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class ModelDetails:
    """One line of the model manager. ``model_id`` is the folder name (what the CLI and the docs use);
    ``name`` the display name; ``size_bytes`` what the folder takes on disk; ``created`` an ISO date."""

    path: Path
    model_id: str
    name: str
    bundled: bool
    size_bytes: int
    genres: tuple[str, ...]
    preset: str
    step: int
    created: str
    base_model: str | None = None
    base_model_id: str | None = None
    data_folder: str | None = None
    steps: int | None = None


def folder_size(folder: Path) -> int:
    """Bytes of the regular files directly inside ``folder`` (symlinks and sub-folders not followed)."""
    total = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return total


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def model_details(folder: str | os.PathLike[str], *, bundled: bool = False) -> ModelDetails:
    """What the model manager shows for the model in ``folder`` (reads meta.json; ``CheckpointError`` when
    it is not a model folder)."""
    folder = Path(folder)
    meta = read_meta(folder)
    card = meta.card
    training = card.get(TRAINING_KEY) if isinstance(card.get(TRAINING_KEY), dict) else {}
    steps = training.get("steps")
    return ModelDetails(
        path=folder,
        model_id=folder.name,
        name=meta.name or folder.name,
        bundled=bundled,
        size_bytes=folder_size(folder),
        genres=meta.genres,
        preset=meta.preset,
        step=meta.step,
        created=meta.created,
        base_model=_text(card.get(BASE_MODEL_KEY)),
        base_model_id=_text(card.get(BASE_MODEL_ID_KEY)),
        data_folder=_text(card.get(DATA_FOLDER_KEY)),
        steps=steps if isinstance(steps, int) and not isinstance(steps, bool) else meta.step,
    )


# -- guards
def _check_user_model(folder: Path, models_dir: Path, what: str) -> Path:
    """``folder`` if it is a model folder the app made directly inside ``models_dir``, else an error."""
    folder = Path(folder)
    root = Path(models_dir).expanduser()
    try:
        inside = folder.parent.resolve() == root.resolve()
    except OSError:
        inside = False
    if not inside or folder.name in ("", ".", ".."):
        raise ModelShareError(
            f"{display_text(str(folder))}: cannot {what} it: only the models in your models folder "
            f"({display_text(str(root))}) can be changed here"
        )
    problem = app_folder_problem(folder)
    if problem is not None:
        raise ModelShareError(
            f"{display_text(str(folder))}: cannot {what} it: it {problem}, so it is not a model folder this "
            "app made"
        )
    return folder


def check_display_name(name: str) -> str:
    """``name`` stripped, if it can be a model's display name (1-200 characters, no control characters)."""
    stripped = name.strip()
    if not stripped or len(stripped) > MAX_DISPLAY_NAME_CHARS or _CONTROL.search(stripped):
        raise ModelShareError(
            f"{display_text(name[:MAX_DISPLAY_NAME_CHARS])!r} is not a model name: use 1 to "
            f"{MAX_DISPLAY_NAME_CHARS} characters without control characters"
        )
    return stripped


# -- rename and delete
def rename_model(folder: str | os.PathLike[str], models_dir: str | os.PathLike[str], name: str) -> str:
    """Give the user's model in ``folder`` the display name ``name`` (its id, the folder name, stays).

    meta.json is rewritten atomically (the weights and their hash are untouched); a card.md whose title
    line names the old name gets the new one. Returns the name set.
    """
    folder = _check_user_model(Path(folder), Path(models_dir), "rename")
    name = check_display_name(name)
    meta = read_meta(folder)
    old = meta.name or folder.name
    meta = dataclasses.replace(meta, card={**meta.card, "name": name})
    try:
        atomic_write_bytes(folder / META_NAME, meta_json_bytes(meta))
        card = folder / CARD_NAME
        if card.is_file() and not card.is_symlink():
            text = read_regular_bytes(card, MAX_CARD_BYTES).decode("utf-8", errors="replace")
            first, _, rest = text.partition("\n")
            if first.startswith("# ") and first[2:].startswith(old):
                atomic_write_bytes(card, f"# {name}{first[2 + len(old):]}\n{rest}".encode())
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ModelShareError(f"{display_text(str(folder))}: could not rename: {reason}") from exc
    return name


def delete_model(folder: str | os.PathLike[str], models_dir: str | os.PathLike[str]) -> None:
    """Delete the user's model in ``folder`` (two-phase ``files.remove_tree``; refused for anything that is
    not a model folder the app made inside ``models_dir``, bundled models included)."""
    folder = _check_user_model(Path(folder), Path(models_dir), "delete")
    try:
        remove_tree(folder)
    except OSError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ModelShareError(f"{display_text(str(folder))}: could not delete: {reason}") from exc
