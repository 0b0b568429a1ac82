"""Checkpoint folders: layout, atomic save, keep-last-N, resume state, export and the model list."""

from __future__ import annotations

import dataclasses
import errno
import json

import numpy as np
import pytest
import torch

from melodygan_desktop import checkpoints
from melodygan_desktop.checkpoints import CheckpointError, CheckpointMeta
from melodygan_desktop.config import MEL_PRESETS
from melodygan_desktop.models.presets import get_preset

PRESET = "melodygan-cond"
MEL = MEL_PRESETS["paper002-5s"]
GENRES = ("ambient", "techno")


def make_generator(seed: int = 0, preset: str = PRESET, genres=GENRES):
    torch.manual_seed(seed)
    return get_preset(preset).build_generator(MEL, len(genres))


def make_meta(preset: str = PRESET, genres=GENRES, **card) -> CheckpointMeta:
    return CheckpointMeta(preset=preset, mel=MEL, genres=tuple(genres), card=dict(card))


def save(run_dir, step, seed=0, training_state=None, keep_last=3, **kwargs):
    generator = make_generator(seed)
    return checkpoints.save_checkpoint(
        run_dir, step, generator.state_dict(), make_meta(**kwargs), training_state=training_state,
        keep_last=keep_last,
    )


def assert_same_weights(module_a, module_b):
    state_b = module_b.state_dict()
    for name, tensor in module_a.state_dict().items():
        assert torch.equal(tensor, state_b[name]), name


def test_layout_and_round_trip(tmp_path):
    run = tmp_path / "run"
    folder = save(run, 1200, training_state={"step": 1200, "lr": [0.1, 0.2]})
    assert folder == run / "step_00001200"
    assert sorted(p.name for p in folder.iterdir()) == ["generator.safetensors", "meta.json", "training.pt"]
    assert (run / "latest.txt").read_text().strip() == "step_00001200"
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["format"] == "melodygan-generator" and meta["format_version"] == 2
    assert meta["step"] == 1200 and len(meta["sha256"]) == 64 and meta["created"]
    assert meta["mel"]["clip_seconds"] == 5.0 and meta["genres"] == list(GENRES)
    for where in (folder, run, folder / "meta.json", folder / "generator.safetensors"):
        loaded = checkpoints.load_generator(where)
        assert loaded.path == folder and loaded.meta.step == 1200 and not loaded.generator.training
        assert loaded.meta.mel == MEL and loaded.meta.genres == GENRES
        assert_same_weights(loaded.generator, make_generator(0))
    assert checkpoints.load_training_state(folder) == {"step": 1200, "lr": [0.1, 0.2]}
    assert checkpoints.load_training_state(run)["step"] == 1200


def test_resume_state_round_trips_optimisers_and_rng(tmp_path):
    generator = make_generator()
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    sum(parameter.square().sum() for parameter in generator.parameters()).backward()
    optimizer.step()
    state = {"step": 7, "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state(),
             "numpy_rng": np.random.default_rng(3).bit_generator.state, "genres": list(GENRES)}
    folder = checkpoints.save_checkpoint(tmp_path, 7, generator.state_dict(), make_meta(),
                                         training_state=state)
    loaded = checkpoints.load_training_state(folder)
    assert torch.equal(loaded["rng"], state["rng"]) and loaded["numpy_rng"] == state["numpy_rng"]
    fresh = torch.optim.Adam(generator.parameters(), lr=1e-3)
    fresh.load_state_dict(loaded["optimizer"])
    assert fresh.state_dict()["param_groups"][0]["betas"] == (0.5, 0.999)


def test_keep_last_and_latest(tmp_path):
    for step in (100, 200, 300, 400, 500):
        save(tmp_path, step, keep_last=2)
    assert [p.name for p in checkpoints.list_checkpoints(tmp_path)] == ["step_00000400", "step_00000500"]
    assert checkpoints.latest_checkpoint(tmp_path) == tmp_path / "step_00000500"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_saving_the_same_step_again_replaces_it(tmp_path):
    save(tmp_path, 10, seed=1)
    folder = save(tmp_path, 10, seed=2)
    assert_same_weights(checkpoints.load_generator(folder).generator, make_generator(2))


def test_interrupted_write_leaves_previous_checkpoint_loadable(tmp_path):
    save(tmp_path, 100)
    stale = tmp_path / "step_00000200.tmp"  # what a kill during the write leaves behind
    stale.mkdir()
    (stale / "generator.safetensors").write_bytes(b"half")
    assert checkpoints.latest_checkpoint(tmp_path) == tmp_path / "step_00000100"
    assert checkpoints.load_generator(tmp_path).meta.step == 100
    (tmp_path / "latest.txt").write_text("step_00000200\n")  # even if latest.txt got ahead somehow
    assert checkpoints.load_generator(tmp_path).meta.step == 100
    save(tmp_path, 300)
    assert not stale.exists()
    assert checkpoints.load_generator(tmp_path).meta.step == 300


def test_latest_txt_cannot_point_outside_the_run(tmp_path):
    save(tmp_path / "other", 5)
    save(tmp_path / "run", 1)
    (tmp_path / "run" / "latest.txt").write_text("../other/step_00000005")
    assert checkpoints.latest_checkpoint(tmp_path / "run") == tmp_path / "run" / "step_00000001"


def test_failed_write_raises_and_keeps_previous(tmp_path, monkeypatch):
    save(tmp_path, 100)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(CheckpointError, match="No space left"):
        save(tmp_path, 200, training_state={"step": 200})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.txt", "step_00000100"]
    assert checkpoints.load_generator(tmp_path).meta.step == 100


def test_unsupported_state_is_refused_before_writing(tmp_path):
    with pytest.raises(CheckpointError, match="ndarray"):
        save(tmp_path, 1, training_state={"noise": np.zeros(3)})
    with pytest.raises(CheckpointError, match="not a named tensor"):
        checkpoints.save_checkpoint(tmp_path, 1, {"w": [1.0]}, make_meta())
    assert checkpoints.latest_checkpoint(tmp_path) is None


def test_export_copies_generator_meta_and_card_only(tmp_path):
    save(tmp_path / "run", 50, training_state={"step": 50})
    out = checkpoints.export_checkpoint(tmp_path / "run", tmp_path / "models" / "ambient-v1",
                                        card="# Ambient v1\n", name="Ambient v1")
    assert sorted(p.name for p in out.iterdir()) == ["card.md", "generator.safetensors", "meta.json"]
    loaded = checkpoints.load_generator(out)
    assert loaded.meta.name == "Ambient v1" and loaded.name == "Ambient v1" and loaded.meta.step == 50
    with pytest.raises(CheckpointError, match="already exists"):
        checkpoints.export_checkpoint(tmp_path / "run", out)
    save(tmp_path / "run", 60, seed=3)
    checkpoints.export_checkpoint(tmp_path / "run", out, overwrite=True)
    assert checkpoints.load_generator(out).meta.step == 60
    assert not (out / "card.md").exists()


def test_half_export_is_smaller_and_generates_the_same(tmp_path):
    save(tmp_path / "run", 5)
    full = checkpoints.export_checkpoint(tmp_path / "run", tmp_path / "full")
    half = checkpoints.export_checkpoint(tmp_path / "run", tmp_path / "half", half=True)
    size = lambda folder: (folder / "generator.safetensors").stat().st_size  # noqa: E731
    assert size(half) < 0.6 * size(full)
    a, b = checkpoints.load_generator(full), checkpoints.load_generator(half)
    assert next(b.generator.parameters()).dtype == torch.float32
    z = torch.randn(1, *a.generator.latent_shape(MEL.frames))
    with torch.no_grad():
        same = a.generator(z, torch.ones(1, len(a.meta.genres)), frames=MEL.frames)
        close = b.generator(z, torch.ones(1, len(b.meta.genres)), frames=MEL.frames)
    assert torch.allclose(same, close, atol=2e-3)


def test_failed_export_leaves_previous_model_intact(tmp_path, monkeypatch):
    save(tmp_path / "run", 1)
    out = checkpoints.export_checkpoint(tmp_path / "run", tmp_path / "models" / "m")
    save(tmp_path / "run", 2, seed=5)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("shutil.copyfile", read_only)
    with pytest.raises(CheckpointError, match="Read-only"):
        checkpoints.export_checkpoint(tmp_path / "run", out, overwrite=True)
    assert checkpoints.load_generator(out).meta.step == 1
    assert sorted(p.name for p in out.parent.iterdir()) == ["m"]


def test_find_models_lists_bundled_first_with_names_and_cards(tmp_path):
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    save(tmp_path / "run", 5)
    checkpoints.export_checkpoint(tmp_path / "run", bundled / "house", card="# House\n", name="House Demo")
    checkpoints.export_checkpoint(tmp_path / "run", user / "mine")
    save(user / "runs" / "long-run", 10)
    save(user / "runs" / "long-run", 20)
    (user / "broken").mkdir()
    (user / "broken" / "meta.json").write_text("{not json")
    (user / "broken" / "generator.safetensors").write_bytes(b"x")
    (user / "half.tmp").mkdir()
    models = checkpoints.find_models([bundled, user], bundled_dirs=[bundled])
    names = [(m.name, m.bundled) for m in models]
    assert names == [("House Demo", True), ("long-run (step 20)", False), ("long-run (step 10)", False),
                     ("mine", False)]
    house = models[0]
    assert house.card_markdown_path == bundled / "house" / "card.md"
    assert house.preset == PRESET and house.genres == GENRES
    assert models[-1].card_markdown_path is None
    assert checkpoints.find_models([tmp_path / "missing"]) == []
    checkpoints.export_checkpoint(tmp_path / "run", bundled / "zz-new", name="Newer default",
                                  card_fields={"preferred": True})
    models = checkpoints.find_models([bundled, user], bundled_dirs=[bundled])
    assert [m.name for m in models][:2] == ["Newer default", "House Demo"] and models[0].preferred


def test_a_model_rebuilds_from_its_stored_architecture_not_todays_defaults(tmp_path):
    architecture = {"channels": [96, 64, 32], "z_dim": 16, "embed_dim": 24}
    generator = get_preset("melodygan-cond").make_generator(MEL, len(GENRES), architecture)
    meta = dataclasses.replace(make_meta(), architecture=generator.architecture())
    checkpoints.save_checkpoint(tmp_path / "run", 3, generator.state_dict(), meta)
    loaded = checkpoints.load_generator(tmp_path / "run")
    assert loaded.generator.architecture() == architecture and loaded.generator.z_dim == 16
    stored = json.loads((tmp_path / "run" / "step_00000003" / "meta.json").read_text())
    assert stored["format_version"] == 2 and stored["architecture"] == architecture


def test_bundled_models_of_both_formats_load():
    from melodygan_desktop.paths import bundled_checkpoints_dir

    old = checkpoints.load_generator(bundled_checkpoints_dir() / "melodygan-cond-open13")
    assert old.meta.architecture == {} and old.meta.preset == "melodygan-cond"  # format 1: the defaults
    assert old.generator.architecture()["channels"] == [192, 160, 128, 64]


def test_the_bundled_groove_model_is_the_default_and_the_previous_one_stays_loadable():
    from melodygan_desktop.inference import generate
    from melodygan_desktop.paths import bundled_checkpoints_dir

    bundled = bundled_checkpoints_dir()
    first, *others = checkpoints.find_models([bundled])
    assert first.path.name == "melodygan-groove-open13b" and first.preferred and first.bundled
    assert "melodygan-cond-open13" in [info.path.name for info in others]
    new = checkpoints.load_generator(first.path)
    assert new.meta.preset == "melodygan-groove" and new.meta.genres == checkpoints.load_generator(
        bundled / "melodygan-cond-open13").meta.genres
    assert new.meta.architecture["clock_gain"] == 10 and new.meta.architecture["critic_views"] == 3
    take = generate(new, "disco", seed=1, seconds=4.0, method="nnls-fgla")
    assert take.mel.shape == (128, new.meta.mel.frames_for_seconds(4.0)) and np.isfinite(take.audio).all()
