"""``melodygan-latent`` through the real entry points: codec training, data packs, train, resume, tuning."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from melodygan_desktop import checkpoints
from melodygan_desktop.checkpoints.codec_files import load_codec, save_codec
from melodygan_desktop.cli import main as cli_main
from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.data.pack import PackError, read_pack, write_pack
from melodygan_desktop.data.prepared import prepare_dataset
from melodygan_desktop.inference import generate
from melodygan_desktop.models.codec import CodecShape
from melodygan_desktop.training.codec_training import CodecRecipe, train_codec
from melodygan_desktop.training.errors import TrainingError
from melodygan_desktop.training.events import Finished, Preview, StepMetrics
from melodygan_desktop.training.loop import train

SHORT_MEL = MelConfig(clip_seconds=2.0)
TINY_CODEC = CodecShape(n_mels=128, latent_dim=8, width=32, blocks=1)


@pytest.fixture
def prepared(genre_folder, tmp_path):
    return prepare_dataset(genre_folder, SHORT_MEL, cache_dir=tmp_path / "cache", val_fraction=0.3)


@pytest.fixture
def codec_dir(prepared, tmp_path):
    progress = list(
        train_codec(
            prepared.train,
            prepared.val,
            SHORT_MEL,
            steps=3,
            shape=TINY_CODEC,
            recipe=CodecRecipe(batch=2, crop_frames=32),
        )
    )
    assert progress[-1].codec is not None and progress[-1].step == 3
    return save_codec(progress[-1].codec, tmp_path / "codec", SHORT_MEL, {"steps": 3})


def config_for(folder, tmp_path, **overrides) -> TrainConfig:
    values = dict(
        data_dir=str(folder),
        preset="melodygan-latent",
        steps=2,
        batch_size=2,
        mel=SHORT_MEL,
        threads=1,
        checkpoint_every=2,
        log_every=1,
        preview_every=2,
        preview_count=2,
        cache_dir=str(tmp_path / "cache"),
    )
    values.update(overrides)
    return TrainConfig(**values)


def test_codec_learns_to_reconstruct(prepared):
    shape = CodecShape(n_mels=128, latent_dim=16, width=32, blocks=1)
    errors = [
        p.val_db_error
        for p in train_codec(
            prepared.train,
            prepared.val,
            SHORT_MEL,
            steps=60,
            shape=shape,
            report_every=1,
            recipe=CodecRecipe(batch=4, crop_frames=32, lr=2e-3),
        )
        if p.val_db_error is not None
    ]
    assert errors[-1] < 0.7 * errors[0]


def test_train_generate_and_resume_exactly(genre_folder, codec_dir, tmp_path):
    config = config_for(genre_folder, tmp_path, codec=str(codec_dir), steps=4)
    whole = {e.step: e.losses for e in train(config, tmp_path / "whole") if isinstance(e, StepMetrics)}
    part = tmp_path / "part"
    events = list(train(config_for(genre_folder, tmp_path, codec=str(codec_dir)), part))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    preview = next(e for e in events if isinstance(e, Preview))
    assert (
        preview.mels.shape == (2, 128, SHORT_MEL.frames)
        and 0 <= preview.mels.min() <= preview.mels.max() <= 1
    )
    resumed = {e.step: e.losses for e in train(config, part) if isinstance(e, StepMetrics)}
    for step in (3, 4):
        assert resumed[step]["d/loss"] == pytest.approx(whole[step]["d/loss"], rel=1e-5, abs=1e-7)

    model = checkpoints.load_generator(part)
    assert model.meta.architecture["codec"] == TINY_CODEC.to_dict()
    assert model.meta.architecture["sequence"]["latent_dim"] == 8
    codec, _, _ = load_codec(codec_dir)
    for name, value in codec.state_dict().items():  # the run's codec is carried unchanged
        assert torch.equal(model.generator.codec.state_dict()[name], value)
    take = generate(model, {"rock": 0.5, "jazz": 0.5}, seed=3, seconds=7.0)
    assert take.mel.shape == (128, SHORT_MEL.frames_for_seconds(7.0)) and np.isfinite(take.audio).all()


def test_fine_tune_keeps_the_base_codec_and_adds_a_genre(genre_folder, codec_dir, tmp_path):
    list(train(config_for(genre_folder, tmp_path, codec=str(codec_dir)), tmp_path / "base"))
    more = tmp_path / "more" / "ambient"
    more.mkdir(parents=True)
    for source in (genre_folder / "jazz").iterdir():
        (more / source.name).write_bytes(source.read_bytes())
    config = config_for(more.parent, tmp_path, init_from=str(tmp_path / "base"))
    assert list(train(config, tmp_path / "tuned"))[-1].reason == "completed"
    base, tuned = (
        checkpoints.load_generator(tmp_path / "base"),
        checkpoints.load_generator(tmp_path / "tuned"),
    )
    assert tuned.meta.genres == ("jazz", "rock", "ambient")
    assert tuned.meta.architecture == base.meta.architecture
    assert torch.equal(
        tuned.generator.codec.decoder.output.weight, base.generator.codec.decoder.output.weight
    )


def test_a_new_run_needs_a_usable_codec(genre_folder, tmp_path):
    (tmp_path / "nocodec").mkdir()
    with pytest.raises(TrainingError, match="codec"):
        list(train(config_for(genre_folder, tmp_path, codec=str(tmp_path / "nocodec")), tmp_path / "run"))


def test_pack_round_trip_and_training_from_it(prepared, genre_folder, codec_dir, tmp_path):
    pack = write_pack(prepared, SHORT_MEL, tmp_path / "data.npz")
    data, mel = read_pack(pack)
    assert mel == SHORT_MEL and data.genres == prepared.genres
    assert (
        np.abs(data.train.mels.astype(np.float32) - prepared.train.mels.astype(np.float32)).max()
        <= 0.5 / 255 + 1e-3
    )
    assert np.array_equal(data.train.labels, prepared.train.labels) and len(data.val) == len(prepared.val)
    events = list(train(config_for(pack, tmp_path, codec=str(codec_dir)), tmp_path / "run"))
    assert events[-1].reason == "completed" and events[0].data.genres == ("jazz", "rock")


def test_pack_subset_is_even_per_genre(prepared, tmp_path):
    pack = write_pack(prepared, SHORT_MEL, tmp_path / "small.npz", max_clips=2)
    data, _ = read_pack(pack)
    assert sorted(data.train.labels.tolist()) == [0, 1]


@pytest.mark.parametrize("damage", ["pickle", "shape", "labels", "not-npz"])
def test_hostile_packs_are_refused(prepared, tmp_path, damage):
    path = write_pack(prepared, SHORT_MEL, tmp_path / "data.npz")
    arrays = dict(np.load(path))
    if damage == "pickle":
        arrays["train_labels"] = np.array([object()] * len(arrays["train_labels"]), dtype=object)
    elif damage == "shape":
        arrays["train_mels"] = arrays["train_mels"][:, :10]
    elif damage == "labels":
        arrays["train_labels"] = arrays["train_labels"] + 7
    if damage == "not-npz":
        path.write_bytes(b"\x80\x04not a zip at all")
    else:
        np.savez(path, **arrays)
    with pytest.raises(PackError, match="data.npz"):
        read_pack(path)


def test_a_pack_claiming_huge_arrays_is_refused_before_decompressing(prepared, tmp_path):
    import io
    import zipfile

    path = write_pack(prepared, SHORT_MEL, tmp_path / "data.npz")
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w") as out:
        for info in source.infolist():
            if info.filename == "train_mels.npy":
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    header, {"descr": "|u1", "fortran_order": False, "shape": (10**7, 128, 87)}
                )
                out.writestr(info.filename, header.getvalue())  # the header alone: no data follows
            else:
                out.writestr(info.filename, source.read(info.filename))
    with pytest.raises(PackError, match="larger than any pack|more than"):
        read_pack(bomb)


def test_cli_prepare_pack_then_codec_train(genre_folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MELODYGAN_HOME", str(tmp_path / "home"))
    pack = tmp_path / "p.npz"
    assert (
        cli_main(["prepare", str(genre_folder), "--pack", str(pack), "--threads", "1", "--clip-seconds", "2"])
        == 0
    )
    out = tmp_path / "codec"
    assert (
        cli_main(
            [
                "codec",
                "train",
                str(pack),
                "-o",
                str(out),
                "--steps",
                "2",
                "--batch-size",
                "2",
                "--width",
                "32",
                "--latent-dim",
                "8",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    meta = json.loads((out / "meta.json").read_text())
    assert meta["format"] == "melodygan-codec" and meta["metrics"]["steps"] == 2
    load_codec(out)
    weights = out / "codec.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(checkpoints.CheckpointError, match="sha256"):
        load_codec(out)
    assert cli_main(["codec", "train", str(tmp_path / "missing"), "-o", str(out)]) != 0
    assert "no such folder or data pack" in capsys.readouterr().err


def test_a_latent_model_can_lend_its_codec_to_a_new_run(genre_folder, codec_dir, tmp_path):
    list(train(config_for(genre_folder, tmp_path, codec=str(codec_dir)), tmp_path / "base"))
    base_step = checkpoints.latest_checkpoint(tmp_path / "base")
    events = list(train(config_for(genre_folder, tmp_path, codec=str(base_step)), tmp_path / "fresh"))
    assert events[-1].reason == "completed"
    fresh = checkpoints.load_generator(tmp_path / "fresh")
    assert fresh.meta.architecture["codec"] == TINY_CODEC.to_dict()


def test_a_new_run_uses_the_bundled_codec_by_default(genre_folder, tmp_path):
    from melodygan_desktop.checkpoints.codec_files import default_codec_dir

    events = list(train(config_for(genre_folder, tmp_path, steps=1, checkpoint_every=1), tmp_path / "run"))
    assert events[-1].reason == "completed"
    bundled, _, _ = load_codec(default_codec_dir())
    model = checkpoints.load_generator(tmp_path / "run")
    assert model.meta.architecture["codec"] == bundled.shape.to_dict()
    assert torch.equal(model.generator.codec.decoder.output.weight, bundled.decoder.output.weight)
