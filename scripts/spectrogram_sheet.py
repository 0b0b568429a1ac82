"""Render generated and real log-mels side by side, one row per genre, into a PNG (for model cards).

Usage: python scripts/spectrogram_sheet.py MODEL CORPUS_SPLIT_DIR OUT.png [--audio-dir DIR]
``CORPUS_SPLIT_DIR`` is a genre folder such as ``corpus/test``; the first clip of the first track of each
genre is shown. With ``--audio-dir``, two generated takes per genre are also written as WAV for listening.
Needs matplotlib (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from melodygan_desktop.audio.io import SUPPORTED_EXTENSIONS, read_audio, write_audio  # noqa: E402
from melodygan_desktop.audio.mel import waveform_to_mel  # noqa: E402
from melodygan_desktop.inference import generate, load_model  # noqa: E402


def real_mel(folder: Path, mel_config) -> np.ndarray | None:
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in SUPPORTED_EXTENSIONS:
            audio = read_audio(path, mel_config.sample_rate, start_seconds=20.0,
                               max_seconds=mel_config.clip_seconds)
            if len(audio) < mel_config.clip_samples:
                audio = read_audio(path, mel_config.sample_rate, max_seconds=mel_config.clip_seconds)
            return waveform_to_mel(audio[: mel_config.clip_samples], mel_config)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("real_dir")
    parser.add_argument("output")
    parser.add_argument("--audio-dir")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_model(args.model)
    mel_config = model.meta.mel
    genres = list(model.meta.genres)
    fig, axes = plt.subplots(len(genres), 3, figsize=(13, 1.6 * len(genres)), squeeze=False)
    for row, genre in enumerate(genres):
        real = real_mel(Path(args.real_dir) / genre, mel_config)
        seconds = mel_config.clip_seconds
        takes = [generate(model, genre, seed=args.seed + k, seconds=seconds) for k in range(2)]
        panels = [(real, f"{genre}: real"), (takes[0].mel, "generated"), (takes[1].mel, "generated")]
        for col, (image, title) in enumerate(panels):
            axis = axes[row][col]
            if image is not None:
                axis.imshow(image, origin="lower", aspect="auto", cmap="magma", vmin=0, vmax=1)
            axis.set_title(title, fontsize=8, loc="left")
            axis.set_xticks([])
            axis.set_yticks([])
        if args.audio_dir:
            out = Path(args.audio_dir)
            out.mkdir(parents=True, exist_ok=True)
            for take in takes:
                write_audio(out / f"{genre}_seed{take.seed}.wav", take.audio, take.sample_rate,
                            metadata=take.metadata)
    fig.tight_layout()
    fig.savefig(args.output, dpi=80)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
