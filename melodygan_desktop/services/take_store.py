"""Takes kept across restarts: each take's audio, mel and settings in ``<user data>/takes/``.

One folder per take, named so that names sort by creation (``<nanoseconds>-<number>``), holding
``audio.flac`` (24-bit), ``mel.npy`` (float16) and ``take.json`` (the request, labels and the file tags).
A folder is written under a ``.tmp`` name and renamed when complete, so a crash never leaves half a take;
reading trusts nothing (no pickles, sizes bounded, a damaged take is skipped and logged). Only folders that
hold nothing but these files are ever deleted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from melodygan_desktop import paths
from melodygan_desktop.services.generation import GenerationRequest, Take

log = logging.getLogger(__name__)

FORMAT = "melodygan-take"
TAKE_FILES = frozenset({"take.json", "audio.flac", "mel.npy"})
MAX_JSON_BYTES = 1 << 20
MAX_MEL_VALUES = 512 * 60_000  # 512 bands, about 10 min at any hop the presets use
_NAME = re.compile(r"^\d{20}-\d{1,9}$")
DEFAULT_CAPACITY = 30


def _own_folder(folder: Path) -> bool:
    """A real folder named like a kept take, holding only the files of one (or a leftover ``.tmp``)."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    name = folder.name[: -len(".tmp")] if folder.name.endswith(".tmp") else folder.name
    if not _NAME.match(name):
        return False
    try:
        return all(
            entry.name in TAKE_FILES and entry.is_file(follow_symlinks=False) for entry in os.scandir(folder)
        )
    except OSError:
        return False


class TakeStore:
    """Saves, lists and clears the kept takes (newest ``capacity`` of them). Meant for background jobs."""

    def __init__(self, folder: Path | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        self._folder = Path(folder) if folder is not None else None
        self.capacity = capacity

    @property
    def folder(self) -> Path:
        return self._folder if self._folder is not None else paths.user_data_dir() / "takes"

    def _folders(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if _NAME.match(p.name) and _own_folder(p))

    def save(self, take: Take) -> Path:
        """Keep ``take``; the oldest kept takes beyond ``capacity`` are deleted."""
        import soundfile as sf

        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{time.time_ns():020d}-{int(take.number)}"
        tmp = final.with_name(final.name + ".tmp")
        tmp.mkdir()
        try:
            audio = np.clip(np.asarray(take.audio, dtype=np.float32), -1.0, 1.0)
            sf.write(str(tmp / "audio.flac"), audio, int(take.sample_rate), format="FLAC", subtype="PCM_24")
            np.save(tmp / "mel.npy", np.asarray(take.mel, dtype=np.float16), allow_pickle=False)
            request = take.request
            data = {
                "format": FORMAT,
                "version": 1,
                "number": int(take.number),
                "sample_rate": int(take.sample_rate),
                "frame_seconds": float(take.frame_seconds),
                "band_hz": [float(v) for v in np.asarray(take.band_hz, dtype=np.float64)],
                "genre_label": str(take.genre_label),
                "model_name": str(take.model_name),
                "metadata": {str(k): str(v) for k, v in take.metadata.items()},
                "request": {
                    "model_path": str(request.model_path),
                    "genre": request.genre if isinstance(request.genre, str) else dict(request.genre),
                    "seed": int(request.seed),
                    "seconds": float(request.seconds),
                    "method": str(request.method),
                },
            }
            (tmp / "take.json").write_text(json.dumps(data, ensure_ascii=False, allow_nan=False))
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.prune()
        return final

    def prune(self) -> None:
        folders = self._folders()
        for folder in folders[: max(0, len(folders) - self.capacity)]:
            shutil.rmtree(folder, ignore_errors=True)

    def load(self) -> list[Take]:
        """The kept takes, oldest first; damaged ones are skipped (logged)."""
        takes = []
        for folder in self._folders()[-self.capacity:]:
            try:
                takes.append(self._read(folder))
            except Exception as exc:  # one damaged take never hides the others
                log.warning("skipping kept take %s: %s", folder, exc)
        return takes

    def _read(self, folder: Path) -> Take:
        import soundfile as sf

        from melodygan_desktop.checkpoints.files import open_regular, read_regular_bytes

        data: Any = json.loads(read_regular_bytes(folder / "take.json", MAX_JSON_BYTES).decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != 1:
            raise ValueError("not a kept take of this app")
        request = data["request"]
        genre = request["genre"]
        if isinstance(genre, dict):
            genre = {str(k): float(v) for k, v in genre.items()}
        elif not isinstance(genre, str):
            raise ValueError("bad genre")
        with open_regular(folder / "mel.npy") as handle:
            mel = np.load(handle, allow_pickle=False)
        if mel.ndim != 2 or mel.size > MAX_MEL_VALUES:
            raise ValueError(f"mel of shape {mel.shape}")
        with open_regular(folder / "audio.flac") as handle:
            audio, rate = sf.read(handle, dtype="float32")
        if audio.ndim != 1 or int(rate) != int(data["sample_rate"]):
            raise ValueError("audio does not match its settings")
        band_hz = np.asarray([float(v) for v in data["band_hz"]], dtype=np.float64)
        return Take(
            mel=mel.astype(np.float32),
            audio=audio,
            sample_rate=int(rate),
            band_hz=band_hz,
            frame_seconds=float(data["frame_seconds"]),
            request=GenerationRequest(
                model_path=str(request["model_path"]), genre=genre, seed=int(request["seed"]),
                seconds=float(request["seconds"]), method=str(request["method"]),
            ),
            genre_label=str(data["genre_label"]),
            model_name=str(data["model_name"]),
            metadata={str(k): str(v) for k, v in dict(data.get("metadata", {})).items()},
            number=int(data["number"]),
        )

    def clear(self) -> int:
        """Delete every kept take (and leftovers of interrupted writes); returns how many were deleted."""
        if not self.folder.is_dir():
            return 0
        count = 0
        for folder in list(self.folder.iterdir()):
            if _own_folder(folder):
                shutil.rmtree(folder, ignore_errors=True)
                count += not folder.name.endswith(".tmp")
        return count
