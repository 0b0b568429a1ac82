"""Exporting a checkpoint as a shareable model folder, and finding the installed models.

An exported model is ``<folder>/{generator.safetensors, meta.json[, card.md]}``: the resume state never
leaves the run folder.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from safetensors.torch import save_file

from melodygan_desktop.checkpoints.files import (
    TMP_SUFFIX,
    app_folder_problem,
    atomic_write_bytes,
    fsync_dir,
    fsync_file,
    make_tmp_folder,
    read_regular_bytes,
    sha256_file,
    swap_in_folder,
)
from melodygan_desktop.checkpoints.load import load_generator
from melodygan_desktop.checkpoints.meta import (
    CARD_NAME,
    FORMAT,
    META_NAME,
    WEIGHTS_NAME,
    CheckpointError,
    meta_json_bytes,
    read_meta,
)
from melodygan_desktop.checkpoints.store import STEP_PATTERN

_log = logging.getLogger(__name__)

#: A model name is a name, never a path: no separators, no leading dot, no control characters.
MAX_NAME_CHARS = 100
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f-\x9f]")


def check_model_name(name: str) -> str:
    """``name`` if it can be a model's folder name inside the models folder, else ``CheckpointError``.

    Names are names, never paths: ``../keep``, ``/abs/dir``, ``a/b``, ``.``, ``..``, hidden (``.x``) names,
    control characters and names over 100 characters are refused, so an export can only write inside the
    models folder.
    """
    from melodygan_desktop.paths import display_text

    stripped = name.strip()
    if (
        not stripped
        or stripped != name
        or len(name) > MAX_NAME_CHARS
        or name.startswith(".")
        or name.endswith(TMP_SUFFIX)
        or _BAD_NAME.search(name)
    ):
        raise CheckpointError(
            f"{display_text(name)!r} is not a model name: use a plain name (no '/', '\\', leading '.', "
            f"'.tmp' ending or control characters, at most {MAX_NAME_CHARS} characters)"
        )
    return name


def model_folder(models_dir: str | os.PathLike[str], name: str) -> Path:
    """The folder of the model ``name`` inside ``models_dir`` (``name`` checked by ``check_model_name``)."""
    return Path(models_dir).expanduser() / check_model_name(name)


#: How deep ``find_models`` looks below each folder (models/<name>/ and runs/<run>/step_X/ are 1-2 deep).
MAX_SEARCH_DEPTH = 3


@dataclass(frozen=True)
class ModelInfo:
    """An installed model as the pickers show it; ``card_markdown_path`` is ``card.md`` beside the weights."""

    path: Path
    name: str
    preset: str
    genres: tuple[str, ...]
    bundled: bool
    card_markdown_path: Path | None
    step: int = 0
    genre_kinds: dict[str, str] = dataclasses.field(default_factory=dict)  # "recorded" / "arranged"
    preferred: bool = False  # listed first among its kind (bundled or not): the default model


def export_checkpoint(
    src: str | os.PathLike[str],
    dst_dir: str | os.PathLike[str],
    card: str | None = None,
    *,
    name: str | None = None,
    overwrite: bool = False,
    card_fields: dict | None = None,
    half: bool = False,
) -> Path:
    """Copy generator + meta of ``src`` (a step, exported or run folder) into the model folder ``dst_dir``.

    ``src`` is fully validated first. ``card`` is Markdown written as ``card.md`` (else the source's card.md
    is copied); ``name`` sets the card name shown in model lists. An existing ``dst_dir`` is replaced only
    with ``overwrite``, and only when it is a model folder this app made (``files.app_folder_problem``):
    an ordinary folder of the user's files is never replaced. ``card_fields`` (plain JSON, e.g.
    ``genre_kinds``) are merged into meta.json's card; ``half`` stores the weights as float16 (half the
    size; loaded back into float32 networks).
    The copy is written beside ``dst_dir`` and renamed into place, so a failure (disk
    full, read-only folder) raises ``CheckpointError`` and leaves any previous model untouched.
    """
    loaded = load_generator(src)
    source, meta = loaded.path, loaded.meta
    dst = Path(dst_dir).expanduser()
    if dst.resolve() == source.resolve():
        raise CheckpointError(f"{dst}: export destination is the source checkpoint itself")
    if os.path.lexists(dst) and not (dst.is_dir() and not dst.is_symlink() and not any(dst.iterdir())):
        if not overwrite:
            raise CheckpointError(f"{dst}: already exists; choose another name or folder")
        problem = app_folder_problem(dst)
        if problem is not None:
            raise CheckpointError(
                f"{dst}: refusing to replace it: it {problem}, so it is not a model folder this app made "
                "(--force replaces only those); choose another name or folder"
            )
    if name or card_fields:
        fields = {**(card_fields or {}), **({"name": name} if name else {})}
        meta = dataclasses.replace(meta, card={**meta.card, **fields})
    card_text = card
    if card_text is None and (source / CARD_NAME).is_file():
        try:
            card_text = read_regular_bytes(source / CARD_NAME, 1 << 20).decode("utf-8", errors="replace")
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{source / CARD_NAME}: cannot be read ({exc})") from None
    tmp = None
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = make_tmp_folder(dst)  # a fresh name: never an existing folder of the user's
        if half:
            state = loaded.generator.state_dict()
            tensors = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
            save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp / WEIGHTS_NAME),
                      metadata={"format": FORMAT})
            fsync_file(tmp / WEIGHTS_NAME)
            meta = dataclasses.replace(meta, sha256=sha256_file(tmp / WEIGHTS_NAME))
        else:
            shutil.copyfile(source / WEIGHTS_NAME, tmp / WEIGHTS_NAME)
            if sha256_file(tmp / WEIGHTS_NAME) != meta.sha256:
                raise CheckpointError(f"{tmp / WEIGHTS_NAME}: copy does not match its sha256 (disk error?)")
        atomic_write_bytes(tmp / META_NAME, meta_json_bytes(meta))
        if card_text is not None:
            atomic_write_bytes(tmp / CARD_NAME, card_text.encode("utf-8"))
        fsync_dir(tmp)
        swap_in_folder(tmp, dst)
    except (OSError, RuntimeError, ValueError) as exc:  # safetensors reports a full disk as its own error
        from melodygan_desktop.checkpoints.store import is_disk_full

        full = "disk full: " if is_disk_full(exc, dst.parent) else ""  # before the clean-up frees space
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        reason = getattr(exc, "strerror", None) or str(exc).strip()[:200] or type(exc).__name__
        raise CheckpointError(f"{full}could not export to {dst}: {reason}") from exc
    except CheckpointError:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dst


def _candidate_folders(root: Path) -> Iterable[Path]:
    """Folders under ``root`` (itself included) holding a meta.json, depth-limited, no symlinked folders."""
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        if (folder / META_NAME).is_file() and (folder / WEIGHTS_NAME).is_file():
            yield folder
            continue
        if depth >= MAX_SEARCH_DEPTH:
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name, reverse=True)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name.endswith(TMP_SUFFIX):
                continue
            if entry.is_dir(follow_symlinks=depth == 0):
                stack.append((Path(entry.path), depth + 1))


def _display_name(folder: Path, card_name: str | None, step: int) -> str:
    if card_name:
        return card_name
    if STEP_PATTERN.match(folder.name):
        return f"{folder.parent.name} (step {step})"
    return folder.name


def _group(info: ModelInfo) -> str:
    """Sort key that keeps a run's step folders together (newest first after sorting by -step)."""
    return info.path.parent.name if STEP_PATTERN.match(info.path.name) else info.name


def find_models(
    dirs: Iterable[str | os.PathLike[str]] | None = None,
    *,
    bundled_dirs: Iterable[str | os.PathLike[str]] | None = None,
) -> list[ModelInfo]:
    """Every exported or step folder with a valid ``meta.json`` under ``dirs``; bundled models first, and
    among each kind a model whose card says ``"preferred": true`` (the default) before the others.

    ``dirs`` None searches the bundled ``checkpoints/`` folder and the user's models folder. A folder is
    bundled when it is (or lies under) one of ``bundled_dirs`` (default: the app's ``checkpoints/``).
    Folders whose meta.json is invalid are left out (logged); weights are verified when a model is loaded.
    """
    from melodygan_desktop import paths

    if dirs is None:
        dirs = [paths.bundled_checkpoints_dir(), paths.user_models_dir()]
    bundled_roots = [Path(p).resolve() for p in (bundled_dirs or [paths.bundled_checkpoints_dir()])]
    found: list[tuple[int, ModelInfo]] = []
    seen: set[Path] = set()
    for order, root in enumerate(Path(d).expanduser() for d in dirs):
        if not root.is_dir():
            continue
        for folder in _candidate_folders(root):
            resolved = folder.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            try:
                meta = read_meta(folder)
            except CheckpointError as exc:
                _log.warning("skipping model folder: %s", exc)
                continue
            card = folder / CARD_NAME
            info = ModelInfo(
                path=folder,
                name=_display_name(folder, meta.name, meta.step),
                preset=meta.preset,
                genres=meta.genres,
                bundled=any(resolved == b or b in resolved.parents for b in bundled_roots),
                card_markdown_path=card if card.is_file() else None,
                step=meta.step,
                genre_kinds=meta.genre_kinds,
                preferred=meta.preferred,
            )
            found.append((order, info))
    found.sort(key=lambda item: (not item[1].bundled, not item[1].preferred, item[0], _group(item[1]).lower(),
                                 -item[1].step))
    return [info for _, info in found]
