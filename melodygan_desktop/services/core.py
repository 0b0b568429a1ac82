"""Adapters from the GUI services to the Qt-free core, imported lazily so the window opens before torch loads.

Each function here is the *default* of a dependency that services take as a constructor argument; tests
pass fakes with the same signatures instead.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from melodygan_desktop import paths
from melodygan_desktop.config import TrainConfig
from melodygan_desktop.data.summary import DataSummary
from melodygan_desktop.training.events import Event

Progress = Callable[..., None]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PresetInfo:
    """What the Train tab shows and pre-fills for one model preset (plain values, no torch)."""

    name: str
    paper: str
    summary: str
    mel_preset: str
    conditional: bool
    batch_size: int
    lr_g: float
    lr_d: float
    loss: str = ""


@dataclass(frozen=True)
class CoreOptions:
    """Choices offered by the core: mel-to-audio methods and model presets."""

    methods: tuple[str, ...]
    default_method: str
    presets: dict[str, PresetInfo]
    band_hz: dict[str, np.ndarray] = field(default_factory=dict)  # mel preset -> (n_mels,) band centres


@dataclass(frozen=True)
class RunInfo:
    """An unfinished training run that can be resumed: its folder, what it trains and how far it got."""

    path: Path
    data_dir: str
    preset: str
    step: int
    steps: int
    init_from: str | None = None

    @property
    def label(self) -> str:
        return f"{self.path.name} · step {self.step} / {self.steps}"


def core_available(module: str = "melodygan_desktop.inference") -> bool:
    """True when ``module`` of the core can be imported (used to pick real defaults or explain why not)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def load_core_options() -> CoreOptions:
    """Import the inversion methods and presets (pulls in torch: call it off the GUI thread)."""
    from melodygan_desktop.audio import inversion
    from melodygan_desktop.audio.mel import mel_band_hz
    from melodygan_desktop.checkpoints.vocoder_method import register_vocoder_method
    from melodygan_desktop.config import MEL_PRESETS
    from melodygan_desktop.models.presets import PRESETS

    register_vocoder_method()  # the bundled vocoder, when installed, is one of the methods

    presets = {
        name: PresetInfo(
            name=name,
            paper=str(preset.paper),
            summary=str(preset.summary),
            mel_preset=str(preset.mel_preset),
            conditional=bool(preset.conditional),
            batch_size=int(preset.batch_size),
            lr_g=float(preset.lr_g),
            lr_d=float(preset.lr_d),
            loss=str(preset.loss),
        )
        for name, preset in PRESETS.items()
    }
    methods = tuple(inversion.available_methods())  # built-in and registered methods alike
    default = inversion.default_method()  # the bundled vocoder when it is the preferred method
    band_hz = {name: np.asarray(mel_band_hz(mel), dtype=np.float64) for name, mel in MEL_PRESETS.items()}
    return CoreOptions(methods=methods, default_method=default, presets=presets, band_hz=band_hz)


def model_folders() -> list[Path]:
    """Where models are looked for: bundled ones first, then the user's own."""
    return [paths.bundled_checkpoints_dir(), paths.user_models_dir()]


def find_models(folders: Iterable[Path] | None = None) -> list[Any]:
    """``checkpoints.find_models`` over ``folders`` (default ``model_folders()``), bundled models first."""
    from melodygan_desktop import checkpoints

    return list(checkpoints.find_models([Path(f) for f in (folders or model_folders())]))


def unfinished_runs(runs_dir: Path | None = None) -> list[RunInfo]:
    """Runs under ``runs_dir`` (default the user's) with a checkpoint short of their step count, newest
    first. Folders that are not readable runs are left out (logged)."""
    from melodygan_desktop.checkpoints import latest_checkpoint
    from melodygan_desktop.training.run_folder import read_run_config

    root = Path(runs_dir) if runs_dir is not None else paths.runs_dir()
    if not root.is_dir():
        return []
    found: list[tuple[float, RunInfo]] = []
    for folder in root.iterdir():
        if not folder.is_dir() or not (folder / "config.json").is_file():
            continue
        try:
            stored = read_run_config(folder)
            latest = latest_checkpoint(folder)
            if stored is None or latest is None:
                continue
            step = int(latest.name.rsplit("_", 1)[-1])
            modified = latest.stat().st_mtime
        except Exception:  # an unreadable folder is not offered; the others still are
            log.warning("not offering %s for resuming", folder, exc_info=True)
            continue
        if step < stored.steps:
            info = RunInfo(folder, stored.data_dir, stored.preset, step, stored.steps, stored.init_from)
            found.append((modified, info))
    return [info for _, info in sorted(found, key=lambda item: -item[0])]


def resume_config(run_dir: Path, steps: int, device: str, threads: int) -> TrainConfig:
    """The stored settings of ``run_dir`` with this machine's device and threads and ``steps`` in all."""
    from melodygan_desktop.training.run_folder import read_run_config

    stored = read_run_config(Path(run_dir))
    if stored is None:
        raise ValueError(f"{run_dir}: not a run folder (no config.json)")
    return dataclasses.replace(stored, steps=int(steps), device=device, threads=int(threads))


def train(config: TrainConfig, run_dir: Path, should_stop: Callable[[], bool]) -> Iterator[Event]:
    """The core training iterator (``training.loop.train``), scoring checkpoints on held-out clips with the
    bundled genre classifier so that a "best so far" checkpoint is kept (when the folder has enough
    tracks)."""
    from melodygan_desktop.evaluation.checkpoint_score import HeldOutScorer
    from melodygan_desktop.training.loop import train as core_train

    return core_train(config, run_dir, should_stop=should_stop, scorer=HeldOutScorer())


def prepare_summary(data_dir: Path, mel_preset: str, progress: Progress) -> DataSummary:
    """Scan and prepare ``data_dir`` (fills the mel cache the training run reuses) and return its summary.

    ``progress(fraction, message)`` is called per file. Raises the core's ``NoUsableAudioError`` when no
    file gives a clip.
    """
    from melodygan_desktop.config import MEL_PRESETS
    from melodygan_desktop.data.prepared import prepare_dataset

    def per_file(done: int, total: int, path: str) -> None:
        progress(done / max(total, 1), f"{done}/{total}  {Path(path).name}")

    prepared = prepare_dataset(
        Path(data_dir),
        MEL_PRESETS[mel_preset],
        cache_dir=paths.cache_dir(),
        val_fraction=0.1,
        seed=0,
        progress=per_file,
    )
    return prepared.summary


def export_trained_model(
    checkpoint: Path,
    folder_name: str,
    display_name: str | None = None,
    card: str | None = None,
    card_fields: dict | None = None,
) -> Path:
    """Copy a run's inference checkpoint to ``<user models>/<folder_name>`` so the genre picker lists it
    (as ``display_name`` when given, with the Markdown ``card`` and meta.json ``card_fields`` when given).
    Installing the same run again replaces its earlier install (only a model folder the app made)."""
    from melodygan_desktop import checkpoints
    from melodygan_desktop.checkpoints.catalog import model_folder

    destination = model_folder(paths.user_models_dir(), folder_name)  # a name, never a path
    checkpoints.export_checkpoint(
        Path(checkpoint), destination, card=card, name=display_name, card_fields=card_fields, overwrite=True
    )
    return destination


def training_card(facts: dict[str, Any], name: str) -> tuple[str, dict]:
    """The card Markdown and meta.json card fields of a model named ``name`` trained as ``facts`` say
    (the fields of ``checkpoints.model_card.TrainingRecord``)."""
    from melodygan_desktop.checkpoints.model_card import TrainingRecord, card_fields, card_markdown

    record = TrainingRecord(**facts)
    return card_markdown(record, name), card_fields(record)


class ModelStore:
    """The model manager's operations on the user's models folder (default ``paths.user_models_dir()``):
    details of listed models, rename, delete, export as one .zip file and import one. Each may raise the
    core's ``CheckpointError`` with a message for the user; all of them are meant for a background job."""

    def __init__(self, models_dir: Path | None = None) -> None:
        self._models_dir = Path(models_dir) if models_dir is not None else None

    @property
    def models_dir(self) -> Path:
        return self._models_dir if self._models_dir is not None else paths.user_models_dir()

    def details(self, models: Iterable[Any]) -> list[Any]:
        """``sharing.ModelDetails`` of each listed model (``ModelInfo``), the user's first; a model whose
        folder cannot be read is shown with what the list knows."""
        from melodygan_desktop.checkpoints import sharing

        found = []
        for info in models:
            try:
                found.append(sharing.model_details(Path(info.path), bundled=bool(info.bundled)))
            except Exception as exc:  # a folder gone or changed since it was listed
                log.warning("no details for %s: %s", info.path, exc)
                found.append(
                    sharing.ModelDetails(
                        Path(info.path), Path(info.path).name, str(info.name), bool(info.bundled),
                        sharing.folder_size(Path(info.path)), tuple(info.genres), str(info.preset),
                        int(getattr(info, "step", 0)), "",
                    )
                )
        return sorted(found, key=lambda details: details.bundled)

    def rename(self, folder: Path, name: str) -> str:
        from melodygan_desktop.checkpoints import sharing

        return sharing.rename_model(folder, self.models_dir, name)

    def delete(self, folder: Path) -> None:
        from melodygan_desktop.checkpoints import sharing

        sharing.delete_model(folder, self.models_dir)

    def export(self, folder: Path, destination: Path) -> Path:
        from melodygan_desktop.checkpoints import sharing

        return sharing.export_model_zip(folder, destination)

    def import_file(self, zip_path: Path) -> Path:
        from melodygan_desktop.checkpoints import sharing

        return sharing.import_model_zip(zip_path, self.models_dir)


def cap_torch_threads(threads: int) -> None:
    """Limit torch's intra-op threads for the training thread (on 2 cores, 2 busy threads can run 10x slower
    than 1, and the GUI and the audio callback need a core)."""
    from melodygan_desktop.threads import set_torch_threads

    set_torch_threads(max(1, int(threads)))
