"""Train tab over fakes: preset defaults, data summary off the GUI thread, start/pause/stop, live view."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent


def _choose_folder(qtbot, window, tmp_path):
    music = tmp_path / "music"
    (music / "blues").mkdir(parents=True, exist_ok=True)
    tab = window.train_tab
    tab.form.set_folder(str(music))
    qtbot.waitUntil(lambda: tab.summary.summary is not None, timeout=3000)
    qtbot.waitUntil(tab.start_button.isEnabled, timeout=2000)
    return music


def test_presets_fill_their_defaults(window):
    form = window.train_tab.form
    names = [form.preset_combo.itemData(i) for i in range(form.preset_combo.count())]
    assert names == ["melodygan-cond", "techno-dcgan1"]
    form.preset_combo.setCurrentIndex(1)
    assert form.batch_spin.value() == 64 and abs(form.lr_d_spin.value() - 0.0001) < 1e-9
    form.batch_spin.setValue(3)
    form.defaults_button.click()
    assert form.batch_spin.value() == 64
    assert "paper 002" in form.preset_combo.currentText()


def test_fine_tune_fixes_the_preset(window):
    form = window.train_tab.form
    assert form.init_combo.count() == 3  # scratch + the two installed models
    form.init_combo.setCurrentIndex(2)  # "My techno"
    assert form.preset().name == "techno-dcgan1" and not form.preset_combo.isEnabled()
    assert form.init_from().endswith("mine")
    form.init_combo.setCurrentIndex(0)
    assert form.preset_combo.isEnabled() and form.init_from() is None


def test_data_summary_is_prepared_off_the_gui_thread(qtbot, window, make_services, tmp_path, fakes):
    threads = []

    def prepare(folder, mel_preset, progress):
        threads.append(threading.current_thread() is threading.main_thread())
        progress(0.5, "1/2 a.wav")
        return fakes.fake_summary()

    window.services.prepare_fn = prepare
    tab = window.train_tab
    assert not tab.start_button.isEnabled()  # no summary yet
    _choose_folder(qtbot, window, tmp_path)
    assert threads == [False]
    text = tab.summary.label.text()
    assert "4 track(s)" in text and "2.0 min" in text and "blues (6 clips)" in text
    assert tab.summary.skipped.topLevelItemCount() == 1
    assert tab.summary.skipped.topLevelItem(0).text(1) == "unreadable: not an audio file"


def test_a_folder_without_usable_audio_is_explained(qtbot, window, tmp_path):
    def prepare(folder, mel_preset, progress):
        raise ValueError(f"{folder}: no usable audio (3 files skipped: too short)")

    window.services.prepare_fn = prepare
    tab = window.train_tab
    tab.form.set_folder(str(tmp_path))
    qtbot.waitUntil(lambda: "no usable audio" in tab.summary.label.text(), timeout=3000)
    qtbot.wait(50)
    assert not tab.start_button.isEnabled()


def test_drop_a_folder(qtbot, window, tmp_path):
    folder = tmp_path / "dropped"
    folder.mkdir()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.train_tab.dropEvent(event)
    assert window.train_tab.form.folder() == str(folder)


def test_training_runs_with_live_losses_previews_and_open_in_generate(qtbot, window, tmp_path):
    tab = window.train_tab
    _choose_folder(qtbot, window, tmp_path)
    tab.form.steps_spin.setValue(50)
    opened = []
    tab.open_in_generate.connect(lambda path, genre: opened.append(path))
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
        assert not tab.start_button.isEnabled() and tab.stop_button.isEnabled()
    config = window.services.training._train_fn.configs[-1]
    assert config.steps == 50 and config.preset == "melodygan-cond" and config.batch_size == 16
    qtbot.waitUntil(tab.open_button.isEnabled, timeout=3000)
    assert tab.trained_model is None and tab.install_button.isEnabled()  # installed only when asked
    monitor = tab.monitor
    monitor.losses.redraw()
    assert monitor.losses.points("g/adv") == 50 and monitor.losses.points("d/gp") == 50
    assert monitor.progress.value() == 50
    assert "completed" in monitor.message.text()
    assert monitor.previews.preview is not None and monitor.previews.preview.step == 50
    assert tab.open_button.isEnabled()
    tab.open_button.click()  # installs the run under its default name, then opens it
    qtbot.waitUntil(lambda: bool(opened), timeout=3000)
    assert opened[0].endswith(tab.trained_model.split("/")[-1])
    assert not tab.install_button.isEnabled()
    assert window.tabs.currentWidget() is window.generate_tab


def test_preview_plays_through_the_shared_player(qtbot, window, tmp_path):
    tab = window.train_tab
    _choose_folder(qtbot, window, tmp_path)
    tab.form.steps_spin.setValue(20)
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()
    tab.monitor.previews.buttons[1].click()
    assert window.services.playback.tag == "preview" and window.services.playback.state == "playing"
    window.services.playback.stop()


def test_pause_resume_stop_buttons(qtbot, window, tmp_path, fakes):
    window.services.training._train_fn = fakes.FakeTrain(steps=100000, step_seconds=0.005)
    tab = window.train_tab
    _choose_folder(qtbot, window, tmp_path)
    tab.start()
    qtbot.waitUntil(lambda: tab.monitor.progress.value() > 3, timeout=3000)
    tab.pause_button.click()
    assert tab.pause_button.text() == "Resume"
    tab.pause_button.click()
    assert tab.pause_button.text() == "Pause"
    began = time.monotonic()
    with qtbot.waitSignal(window.services.training.finished, timeout=1000) as blocker:
        tab.stop_button.click()
    assert time.monotonic() - began < 1.0
    assert "stopped" in tab.monitor.message.text()
    qtbot.waitUntil(tab.start_button.isEnabled, timeout=1000)
    # the step / rate / ETA line makes way for how the run ended
    status = tab.monitor.rate_label.text()
    step = blocker.args[0].step
    assert status.startswith(f"Stopped at step {step} / 100000")
    assert "checkpoint saved" in status and "elapsed" in status and "ETA" not in status
    assert window.statusBar().currentMessage().startswith(status)
    assert "Install as model" in window.statusBar().currentMessage()  # a stopped run waits to be asked


def test_divergence_and_errors_are_shown_clearly(qtbot, window, tmp_path, fakes):
    tab = window.train_tab
    _choose_folder(qtbot, window, tmp_path)
    window.services.training._train_fn = fakes.FakeTrain(steps=50, diverge_at=4)
    with qtbot.waitSignal(window.services.training.finished, timeout=3000):
        tab.start()
    assert "diverged at step 4" in tab.monitor.message.text() and "lower" in tab.monitor.message.text()
    qtbot.waitUntil(tab.start_button.isEnabled, timeout=1000)
    window.services.training._train_fn = fakes.FakeTrain(steps=50, fail_at=3)
    with qtbot.waitSignal(window.services.training.finished, timeout=3000):
        tab.start()
    assert "failed" in tab.monitor.message.text()
    assert window.errors.reported[-1][0] == "Training failed"


def test_a_folder_error_reads_without_the_exception_class(qtbot, window, tmp_path):
    class NoUsableAudioError(ValueError):
        pass

    def prepare(folder, mel_preset, progress):
        raise NoUsableAudioError(f"{folder}: no usable audio (2 files skipped: too short)")

    window.services.prepare_fn = prepare
    tab = window.train_tab
    tab.form.set_folder(str(tmp_path))
    qtbot.waitUntil(lambda: "no usable audio" in tab.summary.label.text(), timeout=3000)
    assert tab.summary.label.text().startswith(str(tmp_path))
    assert "NoUsableAudioError" not in tab.summary.label.text()


def test_a_preview_plays_like_a_take_play_becomes_stop_with_a_playhead(qtbot, window, tmp_path):
    tab = window.train_tab
    _choose_folder(qtbot, window, tmp_path)
    tab.form.steps_spin.setValue(20)
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        tab.start()
    previews = tab.monitor.previews
    playback = window.services.playback
    qtbot.mouseClick(previews.buttons[1], Qt.MouseButton.LeftButton)
    assert playback.state == "playing" and previews.buttons[1].text() == "Stop"
    assert previews.buttons[0].text() == "Play blues"
    qtbot.waitUntil(lambda: (previews.views[1].playhead or 0) > 0.05, timeout=3000)  # the playhead runs
    assert previews.views[0].playhead is None
    qtbot.mouseClick(previews.buttons[1], Qt.MouseButton.LeftButton)  # Stop stops it
    assert playback.state == "stopped" and previews.buttons[1].text() == "Play jazz"
    assert previews.views[1].playhead is None

    qtbot.mouseClick(previews.buttons[0], Qt.MouseButton.LeftButton)
    assert playback.state == "playing" and previews.buttons[0].text() == "Stop"
    window.tabs.setCurrentWidget(tab)
    window.shortcuts["Space"].activated.emit()  # Space stops a playing preview
    assert playback.state == "stopped" and previews.buttons[0].text() == "Play blues"
