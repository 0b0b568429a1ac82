"""Generate tab over fakes: genre picker, seed, generation off the GUI thread, views, playback, export."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import Qt


def _generate(qtbot, window):
    tab = window.generate_tab
    with qtbot.waitSignal(window.services.generation.take_ready, timeout=5000):
        qtbot.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(tab.generate_button.isEnabled, timeout=2000)
    return tab.current_take


def test_picker_groups_by_model_with_the_users_models_first(window):
    combo = window.generate_tab.controls.genre_combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert labels == [
        "My techno  (yours)",  # a heading per model, the user's first
        "My techno: all genres (techno)  (yours)",
        "Bundled conditional",
        "blues  —  Bundled conditional",
        "jazz  —  Bundled conditional",
        "rock  —  Bundled conditional",
    ]
    headings = [i for i in range(combo.count()) if not combo.model().item(i).isEnabled()]
    assert headings == [0, 2]  # headings cannot be picked
    assert combo.currentIndex() == 1
    assert window.generate_tab.controls.current_choice().model.name == "My techno"
    methods = window.generate_tab.controls.method_combo
    assert methods.currentText() == "nnls-fgla" and methods.count() == 3


def test_generate_shows_the_take_and_seed_is_reusable(qtbot, window):
    tab = window.generate_tab
    controls = tab.controls
    controls.select_row(2)  # jazz
    controls.seconds_spin.setValue(6.0)
    take = _generate(qtbot, window)
    generator = window.services.generation._generate_fn
    request = generator.requests[-1]
    assert request.genre == "jazz" and request.seconds == 6.0 and request.method == "nnls-fgla"
    assert controls.seed() == request.seed  # the seed used is shown
    assert take is not None and take.number == 1
    assert tab.spectrogram.mel is not None and tab.spectrogram.duration_seconds > 5.9
    assert tab.waveform.visible_points() > 0
    assert window.services.playback.tag == "generate"
    assert tab.history.list.count() == 1 and tab.export_button.isEnabled()

    # keep the seed: the same request again
    controls.new_seed_box.setChecked(False)
    _generate(qtbot, window)
    assert generator.requests[-1].seed == request.seed
    # reuse seed from the history restores an older take's settings
    controls.set_seed(5)
    tab.reuse_settings(take)
    assert controls.seed() == request.seed and not controls.new_seed_box.isChecked()


def test_generation_runs_off_the_gui_thread_with_progress(qtbot, window, fakes):
    seen_threads = []
    slow = fakes.FakeGenerator(delay=0.3)

    def generate(request, progress):
        seen_threads.append(threading.current_thread() is threading.main_thread())
        return slow(request, progress)

    window.services.generation._generate_fn = generate
    tab = window.generate_tab
    with qtbot.waitSignal(window.services.generation.progress, timeout=3000):
        tab.generate()
    assert tab.progress.isVisible() and not tab.generate_button.isEnabled()
    qtbot.waitUntil(lambda: tab.current_take is not None, timeout=3000)
    assert seen_threads == [False]
    qtbot.waitUntil(lambda: tab.generate_button.isEnabled(), timeout=1000)
    assert not tab.progress.isVisible()


def test_genre_morph_blends_two_genres(qtbot, window):
    controls = window.generate_tab.controls
    controls.select_row(1)  # blues of the conditional model
    assert controls.morph_box.isEnabled()
    controls.morph_box.setChecked(True)
    controls.morph_combo.setCurrentText("rock")
    controls.morph_slider.setValue(30)
    take = _generate(qtbot, window)
    assert take.request.genre == {"blues": 0.7, "rock": 0.3}
    assert take.default_file_stem().startswith("blues-rock30_seed")
    controls.select_row(0)  # unconditional model: no morph
    assert not controls.morph_box.isEnabled() and not controls.morph_box.isChecked()


def test_space_toggles_playback_and_clicks_seek(qtbot, window):
    tab = window.generate_tab
    _generate(qtbot, window)
    playback = window.services.playback
    window.toggle_play()
    assert playback.state == "playing"
    qtbot.waitUntil(lambda: tab.spectrogram.playhead.value() > 0, timeout=3000)
    window.toggle_play()
    assert playback.state == "paused"
    tab.spectrogram.seek_requested.emit(3.0)
    assert abs(playback.position_seconds - 3.0) < 1e-6
    assert abs(tab.waveform.playhead.value() - 3.0) < 1e-6
    tab.waveform.seek_requested.emit(1.5)
    assert abs(tab.spectrogram.playhead.value() - 1.5) < 1e-6


def test_compare_switches_takes_at_the_same_moment(qtbot, window):
    tab = window.generate_tab
    first = _generate(qtbot, window)
    second = _generate(qtbot, window)
    assert tab.history.takes() == [second, first]
    tab.seek(2.0)
    tab.history.list.setCurrentRow(1)  # clicking another take keeps the moment
    assert tab.current_take is first
    assert abs(window.services.playback.position_seconds - 2.0) < 1e-6
    tab.history.play_button.click()  # Play starts it from the top
    assert window.services.playback.state == "playing"
    assert window.services.playback.position_seconds < 0.5


def test_export_uses_a_default_name_and_writes_metadata(qtbot, window, make_services, tmp_path):
    written = []
    window.services.write_audio_fn = lambda path, audio, rate, metadata: written.append(
        (path, audio, rate, metadata)
    )
    take = _generate(qtbot, window)
    with qtbot.waitSignal(window.generate_tab.exported, timeout=3000):
        window.generate_tab.export_take()
    default = window.asked_paths[-1]
    assert default.name == f"{take.genre_label}_seed{take.request.seed}.wav"
    path, audio, rate, metadata = written[-1]
    assert path == tmp_path / default.name and rate == 22050
    assert np.array_equal(audio, take.audio)
    assert metadata["seed"] == str(take.request.seed) and metadata["method"] == take.request.method


def test_export_cancel_writes_nothing(qtbot, window):
    written = []
    window.services.write_audio_fn = lambda *args: written.append(args)
    window.generate_tab.ask_save_path = lambda default: None
    _generate(qtbot, window)
    window.generate_tab.export_take()
    qtbot.wait(50)
    assert written == []


def test_errors_are_reported_not_raised(qtbot, window, fakes):
    window.services.generation._generate_fn = fakes.FakeGenerator(error=RuntimeError("weights corrupt"))
    with qtbot.waitSignal(window.services.generation.failed, timeout=3000):
        window.generate_tab.generate()
    assert window.errors.reported[-1] == ("Generation failed", "weights corrupt")  # no class name
    qtbot.waitUntil(lambda: window.generate_tab.generate_button.isEnabled(), timeout=1000)


def test_model_card_opens(qtbot, window):
    window.generate_tab.controls.select_row(1)  # blues of the bundled model
    window.generate_tab.controls.card_button.click()
    dialog = window.generate_tab._card_dialog
    assert dialog is not None and dialog.isVisible()
    assert "Bundled conditional" in dialog.browser.toPlainText()
    dialog.close()


def test_a_typed_seed_is_used_and_unticks_new_seed_each_time(qtbot, window):
    tab = window.generate_tab
    controls = tab.controls
    assert controls.new_seed_box.isChecked()  # the default
    messages = []
    tab.status_message.connect(messages.append)
    controls.seed_edit.selectAll()
    qtbot.keyClicks(controls.seed_edit, "7")
    assert not controls.new_seed_box.isChecked()  # visibly off: the typed seed wins
    assert messages and "New seed each time" in messages[-1]
    take = _generate(qtbot, window)
    assert take.request.seed == 7 and controls.seed() == 7
    assert window.services.generation._generate_fn.requests[-1].seed == 7
    controls.dice_button.click()  # the dice picks a seed; it does not untick or tick anything
    assert not controls.new_seed_box.isChecked()
    controls.new_seed_box.setChecked(True)
    controls.set_seed(7)  # a seed set by the app (not typed) leaves the option as it is
    assert controls.new_seed_box.isChecked()


def test_a_length_over_the_limit_is_set_to_the_limit_and_said(qtbot, window):
    from PySide6.QtCore import Qt

    controls = window.generate_tab.controls
    messages = []
    window.generate_tab.status_message.connect(messages.append)
    spin = controls.seconds_spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "999")
    assert spin.text().startswith("999")  # the third 9 is not swallowed (it used to become 99.0 s)
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 600.0  # the real limit: 10 minutes
    assert "10 min" in controls.length_note.text() and controls.length_note.isEnabled()
    assert messages and "999" in messages[-1] and "10 min" in messages[-1]
    take = _generate(qtbot, window)
    assert take.request.seconds == 600.0
    spin.selectAll()
    qtbot.keyClicks(spin, "2")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 5.0 and "5 s" in messages[-1]
    spin.selectAll()
    qtbot.keyClicks(spin, "120")  # typing again clears the note; a length in range is taken as typed
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 120.0 and not controls.length_note.isEnabled()


def test_take_entries_fit_the_list_at_1280_px(qtbot, window):
    window.resize(1280, 820)
    tab = window.generate_tab
    for _ in range(30):  # enough for a vertical scroll bar
        _generate(qtbot, window)
    qtbot.wait(50)
    history = tab.history.list
    assert history.verticalScrollBar().isVisible()
    assert not history.horizontalScrollBar().isVisible()
    metrics = history.fontMetrics()
    for row in range(history.count()):
        item = history.item(row)
        rect = history.visualItemRect(item)
        assert rect.right() <= history.viewport().width()
        for line in item.text().splitlines():
            assert metrics.horizontalAdvance(line) <= rect.width()


def test_a_method_that_fell_back_is_named_with_its_reason(qtbot, window, monkeypatch):
    """The vocoder cannot invert a model with other mel settings: the take names the method that made it
    and the status line says why."""
    import gui_fakes

    make_take = gui_fakes.make_take

    def fell_back(request):
        take = make_take(request)
        note = "vocoder cannot invert these mels (n_mels 64); used nnls-fgla"
        take.metadata.update(method="nnls-fgla", note=note)
        return take

    monkeypatch.setattr(gui_fakes, "make_take", fell_back)
    messages = []
    window.generate_tab.status_message.connect(messages.append)
    window.generate_tab.controls.method_combo.setCurrentText("griffin-lim")
    _generate(qtbot, window)
    assert "nnls-fgla" in window.generate_tab.take_title.text()
    assert "griffin-lim" not in window.generate_tab.take_title.text()
    assert "used nnls-fgla" in messages[-1]
