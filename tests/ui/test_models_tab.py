"""Models tab on real model folders: the list's fields, rename, delete with confirmation, export/import round
trip, hostile zips refused with the reason, and the genre list grouped with the user's models first."""

from __future__ import annotations

import hashlib
import json
import pickle
import zipfile
from pathlib import Path

import pytest
from real_models import make_model

from melodygan_desktop import paths


@pytest.fixture
def models_window(qtbot, make_services, tmp_path):
    """A main window over the real core's model list: one bundled model and one of the user's, fine-tuned
    from it (its card says so)."""
    from melodygan_desktop import checkpoints
    from melodygan_desktop.services.core import ModelStore
    from melodygan_desktop.ui.main_window import MainWindow

    bundled_dir, models_dir = tmp_path / "bundled", paths.user_models_dir()
    make_model(bundled_dir, "open2", genres=("ambient", "techno"))
    mine = make_model(models_dir, "run-20261204", genres=("ambient", "techno"))
    meta = json.loads((mine / "meta.json").read_text())
    meta["card"].update(
        name="My tracks", base_model="Test open2", base_model_id="open2", data_folder="/music/tracks",
        training={"steps": 520, "total_steps": 2000, "ended": "stopped"},
    )
    (mine / "meta.json").write_text(json.dumps(meta))
    services = make_services(
        find_models_fn=lambda: checkpoints.find_models([bundled_dir, models_dir], bundled_dirs=[bundled_dir]),
        model_store=ModelStore(models_dir),
    )
    window = MainWindow(services, show_dialogs=False)
    qtbot.addWidget(window)
    window.show()
    tab = window.models_tab
    with qtbot.waitSignal(services.catalog.models_changed, timeout=10000):
        window.start_background_work()
    qtbot.waitUntil(lambda: len(tab.details) == 2, timeout=5000)
    window.tabs.setCurrentWidget(tab)
    window.mine = mine
    return window


def _row(tab, row):
    return [tab.table.item(row, column).text() for column in range(tab.table.columnCount())]


def _after_change(qtbot, window, action):
    """Run ``action`` and wait until the model list and the Models tab show its result."""
    tab = window.models_tab
    with qtbot.waitSignal(window.services.catalog.models_changed, timeout=10000):
        action()
    qtbot.waitUntil(lambda: len(tab.details) == len(window.services.catalog.models), timeout=5000)
    qtbot.wait(50)


def test_the_list_shows_every_field_the_users_models_first(models_window):
    tab = models_window.models_tab
    headers = [tab.table.horizontalHeaderItem(c).text() for c in range(tab.table.columnCount())]
    assert headers == ["Name", "Id", "Size", "Genres", "Preset", "Base model", "Data folder", "Steps", "Date"]
    name, model_id, size, genres, preset, base, data, steps, date = _row(tab, 0)
    assert name == "My tracks  (yours)" and model_id == "run-20261204"
    assert size.endswith(("KB", "MB")) and genres == "ambient, techno" and preset == "melodygan-cond"
    assert base == "Test open2" and data == "/music/tracks" and steps == "520" and date[:2] == "20"
    bundled = _row(tab, 1)
    assert bundled[0] == "Test open2" and bundled[1] == "open2" and bundled[5] == "" and bundled[7] == "1"
    # bundled models can be exported, not renamed or deleted
    tab.table.selectRow(1)
    assert tab.export_button.isEnabled()
    assert not tab.rename_button.isEnabled() and not tab.delete_button.isEnabled()
    tab.table.selectRow(0)
    assert tab.rename_button.isEnabled() and tab.delete_button.isEnabled()
    # the genre list groups by model, the user's first
    combo = models_window.generate_tab.controls.genre_combo
    assert combo.itemText(0) == "My tracks  (yours)" and combo.itemText(3) == "Test open2"


def test_rename_changes_the_name_and_keeps_the_id(qtbot, models_window):
    tab = models_window.models_tab
    tab.ask_name = lambda current: "Night drive" if current == "My tracks" else None
    tab.table.selectRow(0)
    _after_change(qtbot, models_window, tab.rename_button.click)
    assert _row(tab, 0)[:2] == ["Night drive  (yours)", "run-20261204"]
    assert (models_window.mine / "meta.json").is_file() and models_window.mine.name == "run-20261204"
    combo = models_window.generate_tab.controls.genre_combo
    assert combo.itemText(0) == "Night drive  (yours)"
    assert combo.itemText(1) == "ambient  —  Night drive  (yours)"
    assert "Renamed run-20261204 to Night drive" in models_window.statusBar().currentMessage()


def test_delete_asks_first_and_removes_only_the_users_model(qtbot, models_window):
    tab = models_window.models_tab
    asked = []
    tab.confirm_delete = lambda details: asked.append(details.model_id) or False
    tab.table.selectRow(0)
    tab.delete_button.click()
    assert asked == ["run-20261204"] and models_window.mine.is_dir()  # declined: nothing deleted
    tab.confirm_delete = lambda details: True
    _after_change(qtbot, models_window, tab.delete_button.click)
    assert not models_window.mine.exists()
    assert [d.model_id for d in tab.details] == ["open2"] and tab.table.rowCount() == 1
    assert "(yours)" not in models_window.generate_tab.controls.genre_combo.itemText(0)


def test_export_then_import_round_trip(qtbot, models_window, tmp_path):
    tab = models_window.models_tab
    shared = tmp_path / "share" / "night.zip"
    shared.parent.mkdir()
    tab.ask_export_path = lambda default: shared
    tab.table.selectRow(0)
    with qtbot.waitSignal(tab.status_message, timeout=10000) as blocker:
        tab.export_button.click()
    assert blocker.args[0].startswith("Exported My tracks to") and shared.is_file()
    with zipfile.ZipFile(shared) as archive:
        assert sorted(archive.namelist()) == ["card.md", "generator.safetensors", "meta.json"]
    tab.ask_import_path = lambda: shared
    _after_change(qtbot, models_window, tab.import_button.click)
    imported = paths.user_models_dir() / "night"
    assert (imported / "generator.safetensors").is_file()
    ids = [d.model_id for d in tab.details]
    assert ids[-1] == "open2" and set(ids[:2]) == {"night", "run-20261204"}  # the user's first
    assert tab.selected().model_id == "night"  # the imported model is selected
    assert "Imported night.zip as night" in models_window.statusBar().currentMessage()
    keys = [c.key for c in models_window.services.catalog.choices]
    assert f"{imported}::ambient" in keys


def _hostile_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_hostile_zips_are_refused_with_the_reason(qtbot, models_window, tmp_path, monkeypatch):
    from melodygan_desktop.checkpoints import sharing

    tab = models_window.models_tab
    mine = models_window.mine
    good = {name: (mine / name).read_bytes() for name in ("generator.safetensors", "meta.json")}
    pickled = dict(good, **{"generator.safetensors": pickle.dumps({"weights": [1, 2, 3]})})
    meta = json.loads(good["meta.json"])
    meta["sha256"] = hashlib.sha256(pickled["generator.safetensors"]).hexdigest()
    pickled["meta.json"] = json.dumps(meta).encode()
    monkeypatch.setitem(sharing.MEMBER_LIMITS, "card.md", 1000)
    cases = {
        "traversal.zip": (dict(good, **{"../../escape.txt": b"x"}), "path traversal"),
        "pickle.zip": (pickled, "generator.safetensors: is a Python pickle"),
        "huge.zip": (dict(good, **{"card.md": b"#" * 5000}), "oversized"),
    }
    before = sorted(p.name for p in paths.user_models_dir().iterdir())
    for name, (members, reason) in cases.items():
        hostile = _hostile_zip(tmp_path / name, members)
        tab.ask_import_path = lambda path=hostile: path
        with qtbot.waitSignal(tab.status_message, timeout=10000) as blocker:
            tab.import_button.click()
        title, message = models_window.errors.reported[-1]
        assert title == "Could not import the model"
        assert message.startswith(f"{name}: refused: ") and reason in message
        assert blocker.args[0] == f"Could not import the model: {message}"
    assert sorted(p.name for p in paths.user_models_dir().iterdir()) == before  # nothing installed or left
    assert not (tmp_path.parent / "escape.txt").exists()


def test_file_menu_opens_the_model_manager(qtbot, models_window):
    window = models_window
    window.tabs.setCurrentIndex(0)
    window.shortcuts["Ctrl+3"].activated.emit()
    assert window.tabs.currentWidget() is window.models_tab
    titles = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "&Manage models" in titles and "&Import model…" in titles


def test_a_trained_model_is_installed_with_its_card(qtbot, models_window, tmp_path):
    """The real install path: the run's checkpoint exported with the card written from the run's facts."""
    from melodygan_desktop.checkpoints import read_meta
    from melodygan_desktop.services import core

    facts = dict(
        preset="melodygan-cond", genres=("ambient", "techno"), data_folder="/music/tracks", step=1,
        total_steps=10, ended="stopped", base_model="Test open2", base_model_id="open2", tracks=3,
        data_seconds=90.0, clips_per_genre={"techno": 9}, seconds=12.0, device="cpu",
        final_losses={"d/loss": 0.5},
    )
    card, fields = core.training_card(facts, "Fresh")
    installed = core.export_trained_model(models_window.mine, "fresh-run", "Fresh", card, fields)
    meta = read_meta(installed)
    assert meta.name == "Fresh" and meta.card["base_model_id"] == "open2"
    assert meta.card["data"]["clips_per_genre"] == {"techno": 9}
    text = (installed / "card.md").read_text()
    assert "Fine-tuned from **Test open2**" in text and "Steps: 1 of 10 (stopped early)" in text
