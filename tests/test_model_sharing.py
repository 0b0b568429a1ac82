"""Model manager core: details, rename, delete (guarded), zip export/import with hostile zips refused, and
the card of a fine-tuned model written from what the run knows."""

from __future__ import annotations

import hashlib
import json
import pickle
import zipfile

import pytest
from test_checkpoints import save

from melodygan_desktop import checkpoints
from melodygan_desktop.checkpoints import CheckpointError, model_zip, sharing
from melodygan_desktop.checkpoints.files import sha256_file
from melodygan_desktop.checkpoints.model_card import TrainingRecord, card_fields, card_markdown
from melodygan_desktop.checkpoints.sharing import ModelShareError


def record(**changes) -> TrainingRecord:
    base = dict(
        preset="melodygan-cond",
        genres=("ambient", "techno", "tracks"),
        data_folder="/music/tracks",
        step=520,
        total_steps=2000,
        ended="stopped",
        base_model="Open corpus, 13 genres",
        base_model_id="melodygan-cond-open13",
        tracks=7,
        data_seconds=1260.0,
        clips_per_genre={"tracks": 120},
        seconds=3725.0,
        device="cuda:0",
        final_losses={"d/loss": 0.52, "g/adv": 1.25, "d/gp": float("nan")},
        finished_at="2026-12-04 18:00",
    )
    base.update(changes)
    return TrainingRecord(**base)


def install(tmp_path, model_id="mine", **card_extra):
    """A user model ``models/<model_id>`` made the way the app installs one (export_checkpoint)."""
    step = save(tmp_path / f"{model_id}-run", 3)
    fields = card_fields(record())
    fields.update(card_extra)
    return checkpoints.export_checkpoint(
        step, tmp_path / "models" / model_id, card=card_markdown(record(), "My tracks"), name="My tracks",
        card_fields=fields,
    )


def test_card_is_written_from_what_the_run_knows(tmp_path):
    fields = card_fields(record())
    assert fields["base_model"] == "Open corpus, 13 genres"
    assert fields["base_model_id"] == "melodygan-cond-open13"
    assert fields["data_folder"] == "/music/tracks"
    assert fields["data"] == {"tracks": 7, "minutes": 21.0, "clips_per_genre": {"tracks": 120}}
    training = fields["training"]
    assert training["steps"] == 520 and training["total_steps"] == 2000 and training["ended"] == "stopped"
    assert training["seconds"] == 3725.0 and training["device"] == "cuda:0"
    assert training["final_losses"] == {"d/loss": 0.52, "g/adv": 1.25}  # NaN left out: meta.json stays JSON
    json.dumps(fields, allow_nan=False)
    text = card_markdown(record(), "My tracks")
    for fact in (
        "Fine-tuned from **Open corpus, 13 genres** (`melodygan-cond-open13`)", "`/music/tracks`",
        "Tracks: 7",
        "Minutes of audio: 21.0", "| tracks | 120 |", "Steps: 520 of 2000 (stopped early)", "Time: 1 h 2 min",
        "Device: cuda:0", "| d/loss | 0.52 |",
    ):
        assert fact in text
    scratch = card_markdown(record(base_model=None, base_model_id=None), "x")
    assert "Trained from scratch" in scratch and "base_model" not in card_fields(record(base_model=None,
                                                                                        base_model_id=None))


def test_details_list_every_field(tmp_path):
    folder = install(tmp_path)
    details = sharing.model_details(folder)
    assert details.model_id == "mine" and details.name == "My tracks" and not details.bundled
    assert details.size_bytes == sum(p.stat().st_size for p in folder.iterdir()) > 0
    assert details.genres == ("ambient", "techno") and details.preset == "melodygan-cond"
    assert details.base_model == "Open corpus, 13 genres" and details.data_folder == "/music/tracks"
    assert details.steps == 520 and details.created


def test_rename_keeps_the_id_and_the_weights(tmp_path):
    folder = install(tmp_path)
    weights = sha256_file(folder / "generator.safetensors")
    assert sharing.rename_model(folder, tmp_path / "models", "  Night drive ") == "Night drive"
    assert folder.name == "mine" and checkpoints.read_meta(folder).name == "Night drive"
    assert (folder / "card.md").read_text().startswith("# Night drive (`melodygan-cond`)")
    assert sha256_file(folder / "generator.safetensors") == weights
    checkpoints.load_generator(folder)  # still loads: the hash covers the weights only
    with pytest.raises(ModelShareError, match="not a model name"):
        sharing.rename_model(folder, tmp_path / "models", "bad\x1bname")


def test_delete_only_app_made_user_models(tmp_path):
    folder = install(tmp_path)
    outside = install(tmp_path / "elsewhere")
    with pytest.raises(ModelShareError, match="only the models in your models folder"):
        sharing.delete_model(outside, tmp_path / "models")
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ModelShareError, match="not a file this app writes"):
        sharing.delete_model(folder, tmp_path / "models")
    assert (folder / "notes.txt").exists()
    (folder / "notes.txt").unlink()
    sharing.delete_model(folder, tmp_path / "models")
    assert not folder.exists() and not list((tmp_path / "models").iterdir())
    assert outside.exists()


def test_export_import_round_trip(tmp_path):
    folder = install(tmp_path)
    shared = sharing.export_model_zip(folder, tmp_path / "share" / "night")
    assert shared.name == "night.zip"
    with zipfile.ZipFile(shared) as archive:
        assert sorted(archive.namelist()) == ["card.md", "generator.safetensors", "meta.json"]
    target = tmp_path / "other-home" / "models"
    installed = sharing.import_model_zip(shared, target)
    assert installed == target / "night"
    loaded = checkpoints.load_generator(installed)
    assert loaded.meta.name == "My tracks" and (installed / "card.md").read_text().startswith("# My tracks")
    again = sharing.import_model_zip(shared, target)  # never replaces: a second id
    assert again == target / "night-2"
    assert sorted(p.name for p in target.iterdir()) == ["night", "night-2"]


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _model_bytes(tmp_path):
    folder = tmp_path / "models" / "source"
    if not folder.exists():
        install(tmp_path, "source")
    return {name: (folder / name).read_bytes() for name in ("generator.safetensors", "meta.json")}


@pytest.mark.parametrize(
    "member, reason",
    [
        ("../evil.txt", "path traversal"),
        ("/etc/evil", "path traversal"),
        ("sub/meta.json", "inside a folder"),
        ("training.pt", "not a model file"),
    ],
)
def test_hostile_member_names_are_refused(tmp_path, member, reason):
    members = _model_bytes(tmp_path)
    members[member] = b"x"
    target = tmp_path / "target"
    with pytest.raises(ModelShareError, match=reason) as caught:
        sharing.import_model_zip(_zip(tmp_path / "hostile.zip", members), target)
    assert str(caught.value).startswith("hostile.zip: refused: ")
    assert not (tmp_path / "evil.txt").exists()
    assert not target.exists() or not list(target.iterdir())  # nothing left behind


def test_a_pickle_in_place_of_safetensors_is_refused_without_being_loaded(tmp_path):
    members = _model_bytes(tmp_path)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            import os

            return (os.system, (f"touch '{marker}'",))

    members["generator.safetensors"] = pickle.dumps(Payload())
    data = json.loads(members["meta.json"])
    data["sha256"] = hashlib.sha256(members["generator.safetensors"]).hexdigest()
    members["meta.json"] = json.dumps(data).encode()
    target = tmp_path / "target"
    with pytest.raises(ModelShareError, match="pickle") as caught:
        sharing.import_model_zip(_zip(tmp_path / "pickled.zip", members), target)
    assert "generator.safetensors: is a Python pickle" in str(caught.value)
    assert ".tmp" not in str(caught.value)  # the member is named, not the temporary folder
    assert not marker.exists() and not list(target.iterdir())


def test_oversized_members_are_refused_by_what_is_extracted(tmp_path, monkeypatch):
    members = _model_bytes(tmp_path)
    members["card.md"] = b"# card\n" + b"x" * 5000
    monkeypatch.setitem(sharing.MEMBER_LIMITS, "card.md", 4096)
    with pytest.raises(ModelShareError, match="oversized"):
        sharing.import_model_zip(_zip(tmp_path / "big.zip", members), tmp_path / "target")
    # the extracted bytes are counted too (not only the size the zip claims)
    infos = []
    real_check = model_zip._check_members
    monkeypatch.setattr(model_zip, "_check_members", lambda path, archive: infos or real_check(path, archive))
    with zipfile.ZipFile(tmp_path / "big.zip") as archive:
        infos.extend(archive.infolist())
    with pytest.raises(ModelShareError, match="over 4096 bytes extracted"):
        sharing.import_model_zip(tmp_path / "big.zip", tmp_path / "target")
    assert not list((tmp_path / "target").iterdir())


def test_damaged_or_incomplete_zips_are_refused(tmp_path):
    (tmp_path / "not.zip").write_bytes(b"hello")
    with pytest.raises(ModelShareError, match="not a zip file"):
        sharing.import_model_zip(tmp_path / "not.zip", tmp_path / "target")
    members = _model_bytes(tmp_path)
    del members["meta.json"]
    with pytest.raises(ModelShareError, match="no meta.json"):
        sharing.import_model_zip(_zip(tmp_path / "half.zip", members), tmp_path / "target")
    members = _model_bytes(tmp_path)
    members["generator.safetensors"] = members["generator.safetensors"][:-10]
    with pytest.raises(ModelShareError, match="sha256 mismatch"):
        sharing.import_model_zip(_zip(tmp_path / "cut.zip", members), tmp_path / "target")


def test_bundled_or_outside_models_are_not_changed(tmp_path):
    folder = install(tmp_path)
    with pytest.raises(CheckpointError, match="only the models in your models folder"):
        sharing.rename_model(folder, tmp_path / "somewhere-else", "x")
