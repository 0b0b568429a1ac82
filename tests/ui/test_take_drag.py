"""Dragging a take out of the list: the drag carries a WAV file URL (what the desktop and DAWs accept)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from melodygan_desktop.audio.io import read_metadata
from melodygan_desktop.services import audio_jobs


def test_a_take_dragged_out_of_the_list_is_a_wav_file(qtbot, window, _isolated_home):
    tab = window.generate_tab
    window.services.write_audio_fn = audio_jobs.write_audio  # the real writer
    with qtbot.waitSignal(window.services.generation.take_ready, timeout=5000):
        tab.generate()
    take = tab.current_take
    listing = tab.history.list
    assert listing.dragEnabled() and listing.dragDropMode() == QAbstractItemView.DragDropMode.DragOnly
    assert listing.supportedDragActions() == Qt.DropAction.CopyAction
    data = listing.mimeData([listing.item(0)])  # what QListWidget.startDrag puts on the QDrag
    assert data is not None and data.hasUrls() and len(data.urls()) == 1
    path = Path(data.urls()[0].toLocalFile())
    assert path.name == f"{take.default_file_stem()}_take{take.number}.wav"
    assert path.is_relative_to(_isolated_home)  # the user cache, not the working folder
    audio, rate = soundfile.read(path, dtype="float32")
    assert rate == take.sample_rate and len(audio) == len(take.audio)
    assert np.allclose(audio, np.clip(take.audio, -1, 1), atol=1 / 2**14)  # 16-bit PCM
    assert read_metadata(path)["seed"] == str(take.request.seed)


def test_a_drag_that_cannot_write_carries_nothing_and_says_why(qtbot, window):
    tab = window.generate_tab

    def full_disk(path, audio, rate, metadata):
        raise OSError(28, "No space left on device")

    window.services.write_audio_fn = full_disk
    with qtbot.waitSignal(window.services.generation.take_ready, timeout=5000):
        tab.generate()
    with qtbot.waitSignal(tab.status_message, timeout=1000) as said:
        assert tab.history.list.mimeData([tab.history.list.item(0)]) is None
    assert "Could not drag take #1 out" in said.args[0] and "No space left" in said.args[0]


def test_old_dragged_files_are_pruned_at_the_next_drag_and_recent_ones_kept(qtbot, window, _isolated_home):
    from melodygan_desktop.paths import cache_dir
    from melodygan_desktop.ui.take_export import DRAGGED_KEEP_SECONDS

    folder = cache_dir() / "dragged"
    folder.mkdir(parents=True)
    old, recent, other = folder / "old_take1.wav", folder / "recent_take2.wav", folder / "notes.txt"
    for path in (old, recent, other):
        path.write_bytes(b"RIFF")
    long_ago = time.time() - DRAGGED_KEEP_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))  # not ours: never touched
    window.services.write_audio_fn = audio_jobs.write_audio
    with qtbot.waitSignal(window.services.generation.take_ready, timeout=5000):
        window.generate_tab.generate()
    data = window.generate_tab.history.list.mimeData([window.generate_tab.history.list.item(0)])
    assert data is not None and Path(data.urls()[0].toLocalFile()).is_file()
    assert not old.exists() and recent.exists() and other.exists()
