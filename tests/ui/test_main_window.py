"""Main window: remembered settings, closing during training, About, no-audio status, shortcuts."""

from __future__ import annotations

from melodygan_desktop import paths
from melodygan_desktop.services.settings import AppSettings
from melodygan_desktop.ui.dialogs import AboutDialog, model_card_markdown, resource_licence_files


def test_the_method_follows_the_default_unless_the_user_picked_another(make_services, show_window, tmp_path,
                                                                       fakes):
    """A method left at the default is not pinned: a better default that ships later is used. Version 0.1
    stored the method on every exit; its default then, nnls-fgla, says nothing about a choice."""
    import dataclasses

    def open_window(settings_path, default):
        options = dataclasses.replace(fakes.fake_options(), default_method=default)
        services = make_services(settings=AppSettings(settings_path), options_fn=lambda: options)
        window = show_window(services)
        return window

    old = tmp_path / "from-0.1.ini"
    legacy = AppSettings(old)
    legacy.set_value("generate/method", "nnls-fgla")
    legacy.sync()
    window = open_window(old, "fast-griffin-lim")  # a new default ships
    assert window.generate_tab.controls.method_combo.currentText() == "fast-griffin-lim"
    window.close()

    picked = tmp_path / "picked.ini"
    window = open_window(picked, "nnls-fgla")
    window.generate_tab.controls.method_combo.setCurrentText("griffin-lim")  # the user's own pick
    window.close()
    window = open_window(picked, "fast-griffin-lim")
    assert window.generate_tab.controls.method_combo.currentText() == "griffin-lim"  # kept
    window.generate_tab.controls.method_combo.setCurrentText("fast-griffin-lim")  # back to the default
    window.close()
    window = open_window(picked, "nnls-fgla")
    assert window.generate_tab.controls.method_combo.currentText() == "nnls-fgla"  # follows it again


def test_settings_are_remembered(make_services, show_window, tmp_path):
    settings_path = tmp_path / "remembered.ini"
    services = make_services(settings=AppSettings(settings_path))
    first = show_window(services)
    first.generate_tab.controls.select_row(3)  # rock
    first.generate_tab.controls.seconds_spin.setValue(42.0)
    first.generate_tab.controls.method_combo.setCurrentText("griffin-lim")
    first.train_tab.form.folder_edit.setText(str(tmp_path))
    first.tabs.setCurrentIndex(1)
    first.resize(first.minimumSizeHint().width() + 40, 560)
    size = first.size()
    first.close()
    assert settings_path.is_file()

    services = make_services(settings=AppSettings(settings_path))
    second = show_window(services)
    controls = second.generate_tab.controls
    assert second.tabs.currentIndex() == 1
    assert controls.seconds_spin.value() == 42.0
    assert controls.method_combo.currentText() == "griffin-lim"
    assert controls.current_choice().genre == "rock"
    assert second.train_tab.form.folder() == str(tmp_path)
    assert second.size() == size


def test_closing_during_training_asks_then_stops_cleanly(qtbot, make_services, tmp_path, fakes):
    from melodygan_desktop.ui.main_window import MainWindow

    services = make_services(train_fn=fakes.FakeTrain(steps=100000, step_seconds=0.005))
    answers = [False, True]
    window = MainWindow(services, show_dialogs=False, confirm_close_training=lambda: answers.pop(0))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(services.catalog.models_changed, timeout=5000):
        window.start_background_work()
    window.train_tab.form.set_folder(str(tmp_path))
    qtbot.waitUntil(window.train_tab.start_button.isEnabled, timeout=3000)
    window.train_tab.start()
    qtbot.waitUntil(lambda: window.train_tab.monitor.progress.value() > 2, timeout=3000)
    window.close()  # answered "no": keeps training
    assert window.isVisible() and services.training.is_active
    finishes = []
    services.training.finished.connect(finishes.append)
    window.close()  # answered "yes": stop, keep the checkpoint, then close
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    assert not services.training.is_active
    assert finishes[0].reason == "stopped" and finishes[0].checkpoint


def test_no_audio_device_is_said_in_the_status_bar(qtbot, make_services, fakes):
    from melodygan_desktop.ui.main_window import MainWindow

    services = make_services(player=fakes.FakePlayer(available=False, reason="no output device"))
    window = MainWindow(services, show_dialogs=False)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(services.playback.availability_changed, timeout=3000):
        window.start_background_work()
    assert "No audio output: no output device" in window.audio_label.text()
    qtbot.waitUntil(lambda: window.generate_tab.generate_button.isEnabled(), timeout=3000)
    with qtbot.waitSignal(services.generation.take_ready, timeout=3000):
        window.generate_tab.generate()  # everything else still works
    window.toggle_play()
    assert "No audio output" in window.statusBar().currentMessage()


def test_shortcuts_are_bound(window):
    assert {"Space", "Ctrl+G", "Ctrl+L", "Home", "Ctrl+1", "Ctrl+2"} <= set(window.shortcuts)
    window.shortcuts["Ctrl+2"].activated.emit()
    assert window.tabs.currentIndex() == 1
    window.shortcuts["Ctrl+L"].activated.emit()
    assert window.services.playback.loop and window.generate_tab.transport.loop_button.isChecked()


def test_about_lists_versions_models_and_licences(qtbot, tmp_path, fakes):
    resources = tmp_path / "resources"
    (resources / "corpus").mkdir(parents=True)
    (resources / "corpus" / "LICENSES.md").write_text("# Training music\n\nwesnoth: GPL-2+\n")
    (resources / "icon.png").write_bytes(b"")
    card = tmp_path / "card.md"
    card.write_text("# Bundled conditional\n\nLicence: CC-BY-SA-4.0\n")
    models = fakes.fake_models(tmp_path)
    models[0] = fakes.FakeModelInfo(
        models[0].path, models[0].name, models[0].preset, models[0].genres, True, card
    )
    assert resource_licence_files(resources) == [resources / "corpus" / "LICENSES.md"]
    dialog = AboutDialog(models, resources)
    qtbot.addWidget(dialog)
    texts = [dialog.tabs.widget(i).toPlainText() for i in range(dialog.tabs.count())]
    assert "PySide6" in texts[0] and "numpy" in texts[0]
    assert "CC-BY-SA-4.0" in texts[1] and "My techno" not in texts[1]  # bundled models only
    assert "GPL-2+" in texts[2]
    assert dialog.tabs.count() == 3  # no other bundled networks given: no tab for them

    shipped = AboutDialog(models, resources, checkpoints_dir=paths.bundled_checkpoints_dir())
    qtbot.addWidget(shipped)
    count = shipped.tabs.count()
    tabs = {shipped.tabs.tabText(i): shipped.tabs.widget(i).toPlainText() for i in range(count)}
    helpers = tabs["Vocoder and helpers"]  # the repo's own cards, in order; the lab's judge is not the app's
    assert helpers.index("Mel vocoder") < helpers.index("Mel codec") < helpers.index("Genre classifier")
    judge_title = (paths.bundled_checkpoints_dir() / "genre-judge" / "card.md").read_text().splitlines()[0]
    assert judge_title.lstrip("# ") not in helpers
    assert "techno-dcgan1" in model_card_markdown(models[1])  # no card.md: built from the model's facts


def test_the_device_error_is_said_once_without_a_class_name(qtbot, make_services, fakes):
    from melodygan_desktop.ui.main_window import MainWindow

    reason = "no audio output device found (Error querying device -1)"
    services = make_services(player=fakes.FakePlayer(available=False, reason=reason))
    window = MainWindow(services, show_dialogs=False)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(services.playback.availability_changed, timeout=3000):
        window.start_background_work()
    qtbot.waitUntil(lambda: window.generate_tab.generate_button.isEnabled(), timeout=3000)
    with qtbot.waitSignal(services.generation.take_ready, timeout=3000):
        window.generate_tab.generate()
    window.toggle_play()

    def shown() -> str:
        return window.statusBar().currentMessage() + "\n" + window.audio_label.text()

    assert shown().count("Error querying device -1") == 1
    assert shown().lower().count("no audio output") == 2  # the note, and what Play answered
    assert "no audio output: no audio output" not in shown().lower()


def _drawn(label) -> str:
    return label.shown_text() if hasattr(label, "shown_text") else label.text()


def _assert_not_cut(label) -> None:
    """The label's text fits, or it is visibly shortened with an ellipsis and the tooltip holds it all."""
    drawn = _drawn(label)
    assert label.fontMetrics().horizontalAdvance(drawn) <= label.contentsRect().width()
    if drawn != label.text():
        assert drawn.endswith("…") and label.toolTip() == label.text()


def test_no_text_is_cut_silently_in_a_small_window(qtbot, window, fakes, tmp_path):
    from melodygan_desktop.training.events import Started, StepMetrics

    window.resize(1000, 700)
    window.tabs.setCurrentWidget(window.train_tab)
    monitor = window.train_tab.monitor
    monitor.reset(2000)
    monitor.on_started(Started(str(tmp_path), "melodygan-cond", "cpu", 0, 2000, False, fakes.fake_summary()))
    monitor.on_metrics(StepMetrics(522, 2000, {"d/loss": 0.5, "g/adv": 0.7}, 0.85, 1764.0, 0.35))
    window.statusBar().showMessage(
        "Training melodygan-cond in /home/someone/.local/share/MELodyGAN/runs/"
        "20250101-120000-a-rather-long-folder-name-melodygan-cond with a long message" * 2
    )
    splitter = monitor.parentWidget()
    splitter.setSizes([900, 100])  # the monitor squeezed as far as it goes
    qtbot.wait(50)
    assert "step 522 / 2000" in monitor.rate_label.text()
    for label in (monitor.rate_label, monitor.previews.title):
        _assert_not_cut(label)
    assert _drawn(monitor.rate_label).startswith("step 5") and _drawn(monitor.rate_label).endswith("…")
    message = getattr(window.statusBar(), "message_label", None)
    assert message is not None  # status messages are drawn by a label that elides
    _assert_not_cut(message)
    assert _drawn(message).endswith("…")
