"""Sharing a model as a single ``.zip`` file: export one, and import one without trusting it.

A shared model is a zip of exactly the files of a model folder at its top level: ``generator.safetensors``,
``meta.json`` and (optionally) ``card.md``. Importing trusts nothing in it: members are only those names
(no folders, no paths, no links, no duplicates), each size-limited as it is extracted (the sizes the zip
claims are not believed), and the extracted folder must pass ``load_generator``'s checks (meta.json fields,
sha256, a real safetensors file, tensors that fit the preset) before it is moved under its own name into
the models folder. Each refusal is a ``ModelShareError`` naming the file and the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from pathlib import Path

from melodygan_desktop.checkpoints.catalog import check_model_name
from melodygan_desktop.checkpoints.files import (
    TMP_SUFFIX,
    create_exclusive,
    fsync_dir,
    make_tmp_folder,
    open_regular,
    unique_tmp_path,
)
from melodygan_desktop.checkpoints.load import load_generator
from melodygan_desktop.checkpoints.meta import (
    CARD_NAME,
    MAX_META_BYTES,
    META_NAME,
    WEIGHTS_NAME,
    CheckpointError,
)
from melodygan_desktop.paths import display_text

#: The only members a shared model may hold, and the most bytes each may extract to.
MAX_WEIGHTS_BYTES = 1 << 30
MAX_CARD_BYTES = 1 << 20
MEMBER_LIMITS = {WEIGHTS_NAME: MAX_WEIGHTS_BYTES, META_NAME: MAX_META_BYTES, CARD_NAME: MAX_CARD_BYTES}
#: A zip with more entries than this is not a shared model (checked before any entry is looked at).
MAX_MEMBERS = 16
ZIP_SUFFIX = ".zip"
_CHUNK = 1 << 20


class ModelShareError(CheckpointError):
    """A model cannot be renamed, deleted, exported or imported; the message says which file and why."""


# -- export
def export_model_zip(folder: str | os.PathLike[str], destination: str | os.PathLike[str]) -> Path:
    """Write the model in ``folder`` as one zip file ``destination`` (``.zip`` added when missing).

    The model is validated first (``load_generator``), so a damaged model is never shared. The zip is
    written under a fresh temporary name beside ``destination`` and renamed into place.
    """
    loaded = load_generator(folder)
    source = loaded.path
    destination = Path(destination).expanduser()
    if destination.suffix.lower() != ZIP_SUFFIX:
        destination = destination.with_name(destination.name + ZIP_SUFFIX)
    if destination.is_dir():
        raise ModelShareError(f"{display_text(str(destination))}: is a folder; choose a file name")
    members = [name for name in (WEIGHTS_NAME, META_NAME, CARD_NAME) if (source / name).is_file()]
    tmp = unique_tmp_path(destination)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        with create_exclusive(tmp) as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in members:
                with open_regular(source / name) as src, archive.open(name, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
        os.replace(tmp, destination)
        fsync_dir(destination.parent)
    except OSError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ModelShareError(f"could not write {display_text(str(destination))}: {reason}") from exc
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    return destination


# -- import
def _refuse(zip_path: Path, reason: str) -> ModelShareError:
    return ModelShareError(f"{display_text(zip_path.name)}: refused: {reason}")


def _check_members(zip_path: Path, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(zip_path, f"it holds {len(infos)} entries; a shared model holds at most 3 files")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        shown = display_text(name[:120])
        if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) or re.match(r"^[A-Za-z]:", name):
            raise _refuse(zip_path, f"member {shown!r} points outside the model folder (path traversal)")
        if "/" in name or "\\" in name or info.is_dir():
            raise _refuse(
                zip_path, f"member {shown!r} is inside a folder; a shared model holds its files at the top"
            )
        if name not in MEMBER_LIMITS:
            raise _refuse(
                zip_path,
                f"member {shown!r} is not a model file (only {WEIGHTS_NAME}, {META_NAME} and {CARD_NAME})",
            )
        if name in seen:
            raise _refuse(zip_path, f"member {shown!r} appears twice")
        seen.add(name)
        mode = info.external_attr >> 16
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            raise _refuse(zip_path, f"member {shown!r} is not a regular file (a link or a device)")
        if info.flag_bits & 0x1:
            raise _refuse(zip_path, f"member {shown!r} is encrypted")
        if info.file_size > MEMBER_LIMITS[name]:
            raise _refuse(
                zip_path,
                f"member {shown!r} is oversized ({info.file_size} bytes, at most {MEMBER_LIMITS[name]})",
            )
    for required in (WEIGHTS_NAME, META_NAME):
        if required not in seen:
            raise _refuse(zip_path, f"it has no {required}: not a shared MELodyGAN model")
    return infos


def _extract(zip_path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path) -> None:
    """Copy one member into ``folder``, counting the bytes really extracted against its limit."""
    limit = MEMBER_LIMITS[info.filename]
    written = 0
    with archive.open(info) as src, create_exclusive(folder / info.filename) as dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise _refuse(
                    zip_path, f"member {info.filename!r} is oversized (over {limit} bytes extracted)"
                )
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())


def _free_id(models_dir: Path, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``, ... when a model already has that id."""
    candidate, number = wanted, 1
    while os.path.lexists(models_dir / candidate):
        number += 1
        candidate = check_model_name(f"{wanted[:90]}-{number}")
    return candidate


def import_model_zip(
    zip_path: str | os.PathLike[str], models_dir: str | os.PathLike[str], model_id: str | None = None
) -> Path:
    """Install the shared model ``zip_path`` into ``models_dir`` and return its folder.

    The id (folder name) is ``model_id`` or the zip's name without ``.zip``, with ``-2``, ``-3``, ...
    added when a model already has it: an import never replaces an installed model.
    """
    zip_path = Path(zip_path).expanduser()
    models_dir = Path(models_dir).expanduser()
    stem = zip_path.name[: -len(ZIP_SUFFIX)] if zip_path.name.lower().endswith(ZIP_SUFFIX) else zip_path.name
    try:
        wanted = check_model_name((model_id or stem).strip() or "model")
    except CheckpointError:
        wanted = "imported-model"
    tmp: Path | None = None
    try:
        with open_regular(zip_path) as handle:
            try:
                archive = zipfile.ZipFile(handle)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
                raise _refuse(zip_path, "not a zip file (or a damaged one)") from None
            with archive:
                infos = _check_members(zip_path, archive)
                models_dir.mkdir(parents=True, exist_ok=True)
                tmp = make_tmp_folder(models_dir / wanted)
                for info in infos:
                    try:
                        _extract(zip_path, archive, info, tmp)
                    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
                            NotImplementedError, RuntimeError) as exc:
                        damage = f"member {info.filename!r} is damaged ({str(exc)[:120]})"
                        raise _refuse(zip_path, damage) from None
        fsync_dir(tmp)
        try:
            load_generator(tmp)  # the same checks as loading: meta, sha256, safetensors, shapes, values
        except CheckpointError as exc:
            reason = str(exc).replace(f"{tmp}{os.sep}", "").replace(str(tmp), "the model")
            raise _refuse(zip_path, reason) from None
        final = models_dir / _free_id(models_dir, wanted)
        os.rename(tmp, final)
        tmp = None
        fsync_dir(models_dir)
        return final
    except ModelShareError:
        raise
    except OSError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ModelShareError(f"{display_text(zip_path.name)}: could not import: {reason}") from exc
    finally:
        if tmp is not None and tmp.name.endswith(TMP_SUFFIX) and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
