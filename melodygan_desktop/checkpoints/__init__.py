"""Checkpoints: a folder of ``generator.safetensors`` + ``meta.json`` (+ ``training.pt`` for resuming).

Save atomically with keep-last-N, load with every field and tensor checked, export, and list models.
Nothing read from a checkpoint is ever unpickled into arbitrary objects.
"""

from melodygan_desktop.checkpoints.catalog import (
    ModelInfo,
    check_model_name,
    export_checkpoint,
    find_models,
    model_folder,
)
from melodygan_desktop.checkpoints.load import LoadedModel, build_generator, load_generator, read_weights
from melodygan_desktop.checkpoints.meta import (
    CARD_NAME,
    FORMAT,
    FORMAT_VERSION,
    META_NAME,
    TRAINING_NAME,
    WEIGHTS_NAME,
    CheckpointError,
    CheckpointMeta,
    meta_from_dict,
    meta_to_dict,
    read_meta,
)
from melodygan_desktop.checkpoints.store import (
    BEST_NAME,
    LATEST_NAME,
    best_checkpoint,
    latest_checkpoint,
    list_checkpoints,
    load_training_state,
    read_best,
    resolve_checkpoint_dir,
    save_checkpoint,
    step_folder_name,
    write_best,
)

__all__ = [
    "BEST_NAME",
    "CARD_NAME",
    "FORMAT",
    "FORMAT_VERSION",
    "LATEST_NAME",
    "META_NAME",
    "TRAINING_NAME",
    "WEIGHTS_NAME",
    "CheckpointError",
    "CheckpointMeta",
    "LoadedModel",
    "ModelInfo",
    "best_checkpoint",
    "build_generator",
    "check_model_name",
    "export_checkpoint",
    "find_models",
    "latest_checkpoint",
    "list_checkpoints",
    "load_generator",
    "load_training_state",
    "meta_from_dict",
    "meta_to_dict",
    "model_folder",
    "read_meta",
    "read_weights",
    "resolve_checkpoint_dir",
    "read_best",
    "save_checkpoint",
    "step_folder_name",
    "write_best",
]
