"""The Train tab when fine-tuning a model: preview genres, Open in Generate, resuming runs, installing a run
(on request, automatically, the best scored checkpoint)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

OPEN13 = tuple(
    "ambient blues chiptune classical country disco electronic hiphop jazz metal pop reggae rock".split()
)


@pytest.fixture
def fine_tune_window(qtbot, make_services, show_window, tmp_path, fakes):
    """The issue's case: fine-tuning a bundled 13-genre model on a folder ``tracks/`` of one genre."""
    name = "Open corpus, 13 genres"
    open13 = fakes.FakeModelInfo(tmp_path / "open13", name, "melodygan-cond", OPEN13, True)
    models = [open13]

    installs = []

    def install(checkpoint, name, display, card=None, fields=None):
        installs.append((checkpoint, name, display, card, fields))
        path = tmp_path / "models" / name
        models.append(fakes.FakeModelInfo(path, display, "melodygan-cond", OPEN13 + ("tracks",), False))
        return path

    train = fakes.FakeTrain(steps=20, genres=OPEN13 + ("tracks",))
    services = make_services(
        find_models_fn=lambda: list(models),
        train_fn=train,
        prepare_fn=lambda folder, mel_preset, progress: fakes.fake_summary(("tracks",)),
        export_model_fn=install,
    )
    window = show_window(services)
    tab = window.train_tab
    tab.form.init_combo.setCurrentIndex(1)  # fine-tune the 13-genre model
    tab.form.set_folder(str(tmp_path))
    qtbot.waitUntil(tab.start_button.isEnabled, timeout=3000)
    window.fake_train = train
    window.installs = installs
    return window


def test_previews_show_the_folder_genres_first_and_the_user_picks_them(qtbot, fine_tune_window):
    window = fine_tune_window
    tab = window.train_tab
    previews = tab.monitor.previews
    assert previews.genre_button.isEnabled()
    assert list(previews.genre_actions)[0] == "tracks"
    assert "your folder" in previews.genre_actions["tracks"].text()
    assert previews.chosen_genres() == ["tracks", "ambient", "blues", "chiptune"]  # the folder's first
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()
    config = window.fake_train.configs[-1]  # exactly the chosen genres, in the run's order
    assert config.preview_genres == ("ambient", "blues", "chiptune", "tracks") and config.preview_count == 4
    assert previews.shown_genres() == ["tracks", "ambient", "blues", "chiptune"]
    assert previews.buttons[0].text() == "Play tracks"

    for genre in ("ambient", "blues", "chiptune", "jazz"):  # the user picks tracks and jazz
        previews.genre_actions[genre].trigger()
    assert previews.chosen_genres() == ["tracks", "jazz"]
    assert previews.shown_genres() == ["tracks"]  # jazz was not drawn in this run: shown from the next one
    assert [b.text() for b in previews.buttons if b.isVisibleTo(previews)] == ["Play tracks"]
    previews.buttons[0].click()
    playback = window.services.playback
    assert playback.tag == "preview" and playback.state == "playing"
    assert np.array_equal(window.services.fake_player.audio, previews.preview.audio[3])  # the tracks preview
    playback.stop()

    qtbot.waitUntil(tab.start_button.isEnabled, timeout=3000)
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()  # the next run keeps the choice and draws just those two
    assert window.fake_train.configs[-1].preview_genres == ("jazz", "tracks")
    assert previews.shown_genres() == ["tracks", "jazz"]
    assert [b.text() for b in previews.buttons if b.isVisibleTo(previews)] == ["Play tracks", "Play jazz"]


def test_open_in_generate_selects_the_trained_genre(qtbot, fine_tune_window):
    window = fine_tune_window
    tab = window.train_tab
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()
    qtbot.waitUntil(tab.open_button.isEnabled, timeout=3000)
    with qtbot.waitSignal(window.services.catalog.models_changed, timeout=5000):
        tab.open_button.click()
    qtbot.wait(20)
    controls = window.generate_tab.controls
    choice = controls.current_choice()
    assert window.tabs.currentWidget() is window.generate_tab
    assert str(choice.model.path) == tab.trained_model and choice.genre == "tracks"
    # the user's models come first: the new model's heading, its 13 genres of the base model, then tracks
    assert controls.genre_combo.currentIndex() == 14
    heading = controls.genre_combo.itemText(0)
    assert heading.startswith(choice.model.name) and "(yours)" in heading
    assert window.generate_tab.generate_button.isEnabled()  # ready to Generate


def test_start_from_is_remembered(qtbot, make_services, show_window, tmp_path):
    from melodygan_desktop.services.settings import AppSettings

    def open_window():
        services = make_services(settings=AppSettings(tmp_path / "kept.ini"))
        window = show_window(services)
        qtbot.wait(50)
        return window

    first = open_window()
    first.train_tab.form.init_combo.setCurrentIndex(2)  # fine-tune "My techno"
    chosen = first.train_tab.form.init_from()
    assert chosen.endswith("mine")
    first.close()
    second = open_window()
    form = second.train_tab.form
    assert form.init_from() == chosen and form.preset().name == "techno-dcgan1"  # not back to "New model"
    second.close()


def test_unfinished_runs_are_listed_and_resumed(qtbot, make_services, show_window, tmp_path, fakes):
    from melodygan_desktop.services.core import RunInfo
    from melodygan_desktop.services.settings import AppSettings

    music = tmp_path / "music"
    music.mkdir()
    folder = tmp_path / "runs" / "20250101-120000-music-melodygan-cond"
    run = RunInfo(folder, str(music), "melodygan-cond", 520, 2000)
    resumed = []

    def resume_config(run_dir, steps, device, threads):
        resumed.append((run_dir, steps))
        return fakes.fake_resume_config(run_dir, steps, device, threads)

    train = fakes.FakeTrain(steps=30)
    services = make_services(
        settings=AppSettings(tmp_path / "runs.ini"),
        list_runs_fn=lambda: [run],
        resume_config_fn=resume_config,
        train_fn=train,
    )
    window = show_window(services)
    form = window.train_tab.form
    qtbot.waitUntil(lambda: form.init_combo.count() == 4, timeout=3000)  # new, the run, two models
    labels = [form.init_combo.itemText(i) for i in range(form.init_combo.count())]
    assert labels[1].startswith("Resume 20250101-120000-music-melodygan-cond · step 520 / 2000")
    form.init_combo.setCurrentIndex(1)
    assert form.resume_run() == run and form.init_from() is None
    assert form.folder() == str(music) and form.steps_spin.value() == 2000
    assert not form.preset_combo.isEnabled() and not form.folder_edit.isEnabled()
    tab = window.train_tab
    qtbot.waitUntil(tab.start_button.isEnabled, timeout=3000)
    with qtbot.waitSignal(services.training.finished, timeout=5000):
        tab.start_button.click()
    assert resumed == [(run.path, 2000)]
    assert services.training.run_dir == run.path  # the same folder: the core continues from its checkpoint
    window.close()
    assert services.settings.value("train/start_from", "", str) == f"run:{run.path}"


def test_a_run_is_installed_when_asked_with_a_card_of_what_it_knows(qtbot, fine_tune_window):
    window = fine_tune_window
    tab = window.train_tab
    assert not tab.auto_install_box.isChecked()  # default: ask
    assert not tab.install_button.isEnabled()
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()
    qtbot.waitUntil(tab.install_button.isEnabled, timeout=3000)
    assert window.installs == [] and tab.trained_model is None  # nothing installed without asking
    asked = []
    tab.ask_model_name = lambda default: asked.append(default) or None  # cancelled: still nothing
    tab.install_button.click()
    assert asked and asked[0].endswith("step 20") and window.installs == []
    tab.ask_model_name = lambda default: "Tracks, fine-tuned"
    with qtbot.waitSignal(window.services.catalog.models_changed, timeout=5000):
        tab.install_button.click()
    qtbot.waitUntil(lambda: tab.trained_model is not None, timeout=3000)
    checkpoint, folder_name, display, card, fields = window.installs[-1]
    assert display == "Tracks, fine-tuned" and folder_name == window.services.training.run_dir.name
    assert fields["base_model"] == "Open corpus, 13 genres" and fields["base_model_id"] == "open13"
    assert fields["data_folder"] == str(window.train_tab.form.folder())
    clips = {"blues": 6, "jazz": 6}  # as the run reported its data (the fake's Started event)
    assert fields["data"] == {"tracks": 4, "minutes": 2.0, "clips_per_genre": clips}
    training = fields["training"]
    assert training["steps"] == 20 and training["total_steps"] == 20 and training["ended"] == "completed"
    assert training["device"] == "cpu" and set(training["final_losses"]) == {"d/loss", "g/adv", "d/gp"}
    assert "seconds" in training
    assert card.startswith("# Tracks, fine-tuned (`melodygan-cond`)")
    assert "Fine-tuned from **Open corpus, 13 genres** (`open13`)" in card and "| jazz | 6 |" in card
    assert not tab.install_button.isEnabled()  # installed once
    assert tab.open_button.isEnabled()


def test_install_and_open_take_the_best_scored_checkpoint(qtbot, fine_tune_window, fakes):
    window = fine_tune_window
    tab = window.train_tab
    run_steps = fakes.FakeTrain(steps=20, genres=window.fake_train.genres, scores=(3.0, 1.25, 2.0, 4.0))
    window.services.training._train_fn = run_steps
    messages = []
    tab.status_message.connect(messages.append)
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()
    assert any(m.startswith("best checkpoint: scored on") for m in messages)
    assert "Checkpoint saved at step 20 · best so far: step 10 (FD 1.25)" in messages
    qtbot.waitUntil(tab.install_button.isEnabled, timeout=3000)
    assert "best so far: step 10 (FD 1.25)" in window.statusBar().currentMessage()
    run_dir = window.services.training.run_dir
    assert tab.finished_checkpoint == run_dir / "step_00000010"
    asked = []
    tab.ask_model_name = lambda default: asked.append(default) or "Best tracks"
    with qtbot.waitSignal(window.services.catalog.models_changed, timeout=5000):
        tab.install_button.click()
    qtbot.waitUntil(lambda: tab.trained_model is not None, timeout=3000)
    assert asked[0].endswith("step 10")
    checkpoint, _folder, display, _card, fields = window.installs[-1]
    assert Path(checkpoint) == run_dir / "step_00000010" and fields["training"]["steps"] == 10

    # Open in Generate on a run not installed yet installs its best checkpoint first
    qtbot.waitUntil(tab.start_button.isEnabled, timeout=3000)
    window.services.training._train_fn = fakes.FakeTrain(
        steps=20, genres=window.fake_train.genres, scores=(0.5, 2.0)
    )
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()
    qtbot.waitUntil(tab.open_button.isEnabled, timeout=3000)
    with qtbot.waitSignal(tab.open_in_generate, timeout=5000):
        tab.open_button.click()
    assert Path(window.installs[-1][0]) == window.services.training.run_dir / "step_00000010"


def test_auto_install_setting_installs_completed_runs_only(qtbot, fine_tune_window, fakes):
    window = fine_tune_window
    tab = window.train_tab
    tab.auto_install_box.setChecked(True)
    assert window.services.settings.value("train/auto_install", False, bool)
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()
    qtbot.waitUntil(lambda: tab.trained_model is not None, timeout=3000)
    assert len(window.installs) == 1 and window.installs[0][4]["training"]["ended"] == "completed"
    # a stopped run is never installed without asking
    window.services.training._train_fn = fakes.FakeTrain(steps=100000, step_seconds=0.005)
    qtbot.waitUntil(tab.start_button.isEnabled, timeout=3000)
    tab.start()
    qtbot.waitUntil(lambda: tab.monitor.progress.value() > 3, timeout=3000)
    with qtbot.waitSignal(window.services.training.finished, timeout=3000):
        tab.stop_button.click()
    qtbot.waitUntil(tab.install_button.isEnabled, timeout=3000)
    assert len(window.installs) == 1 and tab.trained_model is None
