"""``melodygan codec train DATA -o DIR``: train the mel codec that ``melodygan-latent`` models build on."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..paths import display_text
from . import arguments as bounded
from .errors import CliError
from .progress import Bar


def add_codec(sub) -> None:
    codec = sub.add_parser("codec", help="the mel codec behind melodygan-latent models")
    actions = codec.add_subparsers(dest="codec_command", metavar="ACTION", required=True)
    p = actions.add_parser(
        "train",
        help="train a mel codec on a folder of tracks or a data pack",
        description="Train the autoencoder that maps log-mels to the latent sequence melodygan-latent "
        "generates. Reconstruction loss only; writes codec.safetensors + meta.json into -o DIR.",
    )
    p.add_argument("data", help="folder of tracks (sub-folders = genres) or a data pack (.npz)")
    p.add_argument("-o", "--output", required=True, help="codec folder to write")
    p.add_argument("--steps", type=bounded.STEPS, default=20000, help="optimiser steps (default 20000)")
    p.add_argument("--max-minutes", type=bounded.MINUTES, help="stop after this many minutes (wall clock)")
    p.add_argument("--batch-size", type=bounded.CODEC_BATCH, default=32, help="clips per step, 1-4096 (32)")
    p.add_argument("--latent-dim", type=bounded.LATENT_DIM, default=64,
                   help="latent values per 4 frames, 4-512 (default 64)")
    p.add_argument("--width", type=bounded.CODEC_WIDTH, default=256,
                   help="channels of the codec's layers, 16-1024 (default 256)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=bounded.THREADS, default=0,
                   help="torch CPU threads (default: half the cores; at most 4 per core)")
    p.add_argument("--cache-dir", help="mel cache folder (default: the user cache)")
    p.add_argument("--seed", type=bounded.SEED, default=0)
    p.set_defaults(handler=cmd_codec_train)


def cmd_codec_train(args) -> int:
    from .. import paths
    from ..checkpoints.codec_files import save_codec
    from ..checkpoints.files import check_replaceable
    from ..config import MEL_PRESETS
    from ..data.pack import is_pack, read_pack
    from ..data.prepared import prepare_dataset
    from ..models.codec import CodecShape
    from ..threads import set_torch_threads
    from ..training.codec_training import CodecRecipe, train_codec
    from ..training.distributed import resolve_device

    try:  # before any training: the output must be new, empty, or a codec folder this app wrote
        check_replaceable(Path(args.output))
    except FileExistsError as exc:
        raise CliError(str(exc.strerror)) from None
    set_torch_threads(args.threads)
    if is_pack(args.data):
        data, mel = read_pack(args.data)
    elif Path(args.data).is_dir():
        mel = MEL_PRESETS["paper000-10s"]
        cache = Path(args.cache_dir) if args.cache_dir else paths.cache_dir()
        data = prepare_dataset(args.data, mel, cache_dir=cache, val_fraction=0.1, seed=args.seed)
    else:
        raise CliError(f"{args.data}: no such folder or data pack")
    device = resolve_device(args.device)
    shape = CodecShape(n_mels=mel.n_mels, latent_dim=args.latent_dim, width=args.width)
    print(f"{len(data.train)} training clips, {len(data.val)} validation clips, device {device}")
    seconds = args.max_minutes * 60 if args.max_minutes else None
    last = None
    with Bar(total=args.steps, desc="codec", unit="step") as bar:
        for progress in train_codec(
            data.train,
            data.val,
            mel,
            steps=args.steps,
            shape=shape,
            device=device,
            max_seconds=seconds,
            recipe=CodecRecipe(batch=args.batch_size, seed=args.seed),
        ):
            bar.update_to(progress.step)
            val = "" if progress.val_db_error is None else f" val {progress.val_db_error:.2f} dB"
            bar.set_postfix_str(f"loss {progress.loss:.4f}{val}")
            last = progress
    assert last is not None and last.codec is not None
    metrics = {
        "steps": last.step,
        "seconds": round(last.seconds, 1),
        "train_loss": last.loss,
        "val_db_error": None
        if last.val_db_error is None or math.isnan(last.val_db_error)
        else round(last.val_db_error, 3),
        "train_clips": len(data.train),
        "device": str(device),
    }
    out = save_codec(last.codec, args.output, mel, metrics)
    print(display_text(f"codec written to {out}: {json.dumps(metrics)}"))
    return 0
