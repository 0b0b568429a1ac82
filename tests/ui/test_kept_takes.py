"""Takes are kept across restarts (audio and settings in the user data folder) and can be cleared."""

from __future__ import annotations

import numpy as np

from melodygan_desktop import paths
from melodygan_desktop.services.settings import AppSettings


def _open_window(show_window, make_services, tmp_path):
    services = make_services(settings=AppSettings(tmp_path / "kept.ini"))
    window = show_window(services)
    return window


def _generate(qtbot, window):
    tab = window.generate_tab
    with qtbot.waitSignal(window.services.generation.take_ready, timeout=5000):
        tab.generate()
    qtbot.waitUntil(tab.generate_button.isEnabled, timeout=2000)
    return tab.current_take


def _kept():
    folder = paths.user_data_dir() / "takes"
    return sorted(p for p in folder.iterdir() if not p.name.endswith(".tmp")) if folder.is_dir() else []


def test_takes_are_kept_across_restarts_and_cleared_on_request(qtbot, make_services, show_window, tmp_path):
    first = _open_window(show_window, make_services, tmp_path)
    first.generate_tab.controls.select_row(2)  # jazz
    takes = [_generate(qtbot, first), _generate(qtbot, first)]
    qtbot.waitUntil(lambda: len(_kept()) == 2, timeout=5000)
    first.close()

    second = _open_window(show_window, make_services, tmp_path)
    history = second.generate_tab.history
    qtbot.waitUntil(lambda: history.list.count() == 2, timeout=5000)
    restored = history.takes()
    assert [t.number for t in restored] == [2, 1]  # newest on top
    assert [t.request for t in restored] == [takes[1].request, takes[0].request]  # the settings
    assert np.allclose(restored[0].audio, takes[1].audio, atol=1e-5)  # the audio
    history.list.setCurrentRow(1)
    assert second.generate_tab.current_take is restored[1]  # shown like any take
    new = _generate(qtbot, second)
    assert new.number == 3 and history.takes()[0] is new  # numbering goes on; new takes on top
    qtbot.waitUntil(lambda: len(_kept()) == 3, timeout=5000)

    asked = []
    second.generate_tab.confirm_clear_takes = lambda count: asked.append(count) or False
    history.clear_button.click()
    assert asked == [3] and history.list.count() == 3 and len(_kept()) == 3  # declined: nothing cleared
    second.generate_tab.confirm_clear_takes = lambda count: True
    history.clear_button.click()
    assert history.list.count() == 0 and not history.clear_button.isEnabled()
    qtbot.waitUntil(lambda: _kept() == [], timeout=5000)
    second.close()

    third = _open_window(show_window, make_services, tmp_path)
    qtbot.wait(200)
    assert third.generate_tab.history.list.count() == 0
    third.close()
