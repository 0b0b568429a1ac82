"""Export loop… on the real widgets: the tempo estimated off the GUI thread pre-fills the dialog, the file
dialog (patched) picks a name, and the WAV written holds whole bars and its smpl loop."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog

from melodygan_desktop.audio.io import read_metadata
from melodygan_desktop.audio.loops import read_loop_points
from melodygan_desktop.ui.loop_dialog import LoopExportDialog

SR = 22050


def click_track(bpm: float, seconds: float, offset: float = 0.0) -> np.ndarray:
    audio = np.zeros(int(seconds * SR), dtype=np.float32)
    n = int(0.02 * SR)
    burst = np.sin(2 * np.pi * 1000 * np.arange(n) / SR) * np.exp(-np.arange(n) / (0.004 * SR))
    beat = offset
    while beat * SR + n < audio.size:
        start = int(round(beat * SR))
        audio[start : start + n] += 0.8 * burst
        beat += 60.0 / bpm
    return audio


def _click_take(qtbot, window, seconds=12.0):
    tab = window.generate_tab
    with qtbot.waitSignal(window.services.generation.take_ready, timeout=5000):
        tab.generate()
    take = dataclasses.replace(tab.current_take, audio=click_track(120.0, seconds), sample_rate=SR)
    tab.show_take(take)
    return take


def test_export_loop_action_writes_whole_bars_with_loop_points(qtbot, window, tmp_path, monkeypatch):
    take = _click_take(qtbot, window)
    seen = {}

    def exec_dialog(dialog: LoopExportDialog) -> int:
        seen["bpm"], seen["start"] = dialog.bpm_spin.value(), dialog.start_spin.value()
        seen["bars"], seen["note"] = dialog.bars_spin.value(), dialog.bpm_note.text()
        dialog.bars_spin.setValue(40)  # 80 s: does not fit the 12-s take, Export is off
        seen["too_long"] = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
        dialog.bars_spin.setValue(4)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(LoopExportDialog, "exec", exec_dialog)
    asked = []
    target = tmp_path / "my loop"  # no suffix: .wav is added

    def save_dialog(parent, title, default, filters):
        asked.append((title, default, filters))
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    assert window.export_loop_action.shortcut().toString() == "Ctrl+Shift+E"
    with qtbot.waitSignal(window.generate_tab.exported, timeout=10000) as exported:
        window.export_loop_action.trigger()
    path = tmp_path / "my loop.wav"
    assert exported.args == [str(path)]
    assert seen["bpm"] == 120.0 and seen["start"] < 0.03 and seen["note"] == "estimated from the take"
    assert seen["bars"] == 4 and seen["too_long"] is False  # 4 bars of 2 s fit into 12 s; 5 do too, 8 not
    title, default, filters = asked[-1]
    assert title == "Export loop" and filters == "WAV audio (*.wav)"
    assert default.endswith(f"{take.default_file_stem()}_4bars_120bpm.wav")

    import soundfile

    audio, rate = soundfile.read(path)
    assert rate == SR and len(audio) == 8 * SR  # 4 bars at 120 BPM: exactly 8.0 s
    assert read_loop_points(path) == [(0, 8 * SR - 1)]
    tags = read_metadata(path)
    assert tags["bpm"] == "120" and tags["loop_bars"] == "4" and tags["seed"] == str(take.request.seed)
    assert "Exported loop" in window.statusBar().currentMessage()
    assert window.generate_tab.export_loop_button.isEnabled()


def test_export_loop_without_a_beat_offers_a_tempo_to_enter_and_cancel_writes_nothing(
    qtbot, window, tmp_path, monkeypatch
):
    written = []
    window.services.write_loop_fn = lambda *args: written.append(args)
    window.services.estimate_tempo_fn = lambda audio, rate: None
    _click_take(qtbot, window)
    offered = []
    window.generate_tab.ask_loop_choice = lambda seconds, bpm, first: offered.append((seconds, bpm, first))
    assert window.generate_tab.export_loop()
    qtbot.waitUntil(lambda: bool(offered), timeout=5000)
    assert offered[-1] == (12.0, None, 0.0)
    qtbot.wait(50)
    assert written == []

    dialog = LoopExportDialog(12.0, None, 0.0)
    qtbot.addWidget(dialog)
    assert dialog.bpm_spin.value() == 120.0 and "enter the tempo" in dialog.bpm_note.text()
    dialog.bpm_spin.setValue(90.0)
    dialog.beats_spin.setValue(3)
    choice = dialog.choice()
    assert choice.bars == 4 and abs(choice.seconds - 8.0) < 1e-9 and dialog.fits()
    dialog.start_spin.setValue(5.0)  # 7 s left: 3 bars of 2 s
    assert not dialog.fits() and "room for 3 bar(s)" in dialog.summary.text()
