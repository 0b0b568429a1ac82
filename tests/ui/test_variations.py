"""Generate N variations on the real widgets: one job over fakes, thumbnails side by side with Play (Stop and
a playhead while playing, Space stops), Use this makes one the current take."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest


def _generate_variations(qtbot, window, count=4):
    tab = window.generate_tab
    tab.variations_count.setValue(count)
    assert tab.variations_button.text() == f"Generate {count} variations"
    with qtbot.waitSignal(window.services.generation.variations_ready, timeout=10000):
        qtbot.mouseClick(tab.variations_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(tab.variations_button.isEnabled, timeout=2000)
    return tab.variations


def test_four_variations_side_by_side_play_and_pick(qtbot, window):
    tab = window.generate_tab
    controls = tab.controls
    controls.select_row(2)  # jazz
    controls.seconds_spin.setValue(6.0)
    controls.new_seed_box.setChecked(False)
    controls.set_seed(100)
    strip = _generate_variations(qtbot, window)
    requests = window.services.generation._generate_fn.requests
    assert [r.seed for r in requests] == [100, 101, 102, 103]  # same settings, four seeds
    assert {(r.genre, r.seconds, r.method) for r in requests} == {("jazz", 6.0, "nnls-fgla")}
    assert strip.isVisible() and len(strip.takes) == 4
    shown = [v for v in strip.views if v.isVisible()]
    assert len(shown) == 4 and all(view.image is not None for view in shown)
    xs = [view.mapTo(strip, view.rect().topLeft()).x() for view in shown]
    assert xs == sorted(xs) and len(set(xs)) == 4  # side by side
    assert [label.text() for label in strip.labels[:4]] == ["seed 100", "seed 101", "seed 102", "seed 103"]
    assert tab.history.list.count() == 0 and tab.current_take is None  # nothing picked yet

    # Play: that one plays, its button says Stop and a playhead runs; a second click stops it
    playback = window.services.playback
    qtbot.mouseClick(strip.play_buttons[2], Qt.MouseButton.LeftButton)
    assert playback.tag == "variation" and playback.state == "playing"
    assert np.array_equal(window.services.fake_player.audio, strip.takes[2].audio)
    assert strip.play_buttons[2].text() == "Stop" and strip.play_buttons[0].text() == "Play"
    qtbot.waitUntil(lambda: (strip.views[2].playhead or 0) > 0, timeout=3000)
    assert strip.views[0].playhead is None
    qtbot.mouseClick(strip.play_buttons[2], Qt.MouseButton.LeftButton)
    assert playback.state != "playing" and strip.play_buttons[2].text() == "Play"
    assert strip.views[2].playhead is None
    # Space stops a playing variation (instead of loading the current take)
    qtbot.mouseClick(strip.play_buttons[1], Qt.MouseButton.LeftButton)
    assert playback.state == "playing"
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert playback.state != "playing" and playback.tag == "variation"

    # Use this: the current take, numbered, in the list, shown and loaded; its seed in the seed field
    with qtbot.waitSignal(window.services.generation.take_ready, timeout=2000):
        qtbot.mouseClick(strip.pick_buttons[3], Qt.MouseButton.LeftButton)
    take = tab.current_take
    assert take is not None and take.request.seed == 103 and take.number == 1
    assert np.array_equal(take.audio, strip.takes[3].audio)
    assert tab.history.list.count() == 1 and tab.history.selected() is take
    assert playback.tag == "generate" and tab.export_button.isEnabled()
    assert controls.seed() == 103 and not controls.new_seed_box.isChecked()
    assert strip.pick_buttons[3].text() == "In the list" and not strip.pick_buttons[3].isEnabled()
    strip.pick_buttons[3].click()  # already picked: nothing more
    assert tab.history.list.count() == 1

    # another batch with a fresh seed each time; fewer variations hide the extra slots; Hide hides
    controls.new_seed_box.setChecked(True)
    strip = _generate_variations(qtbot, window, count=2)
    seeds = [r.seed for r in requests[-2:]]
    assert seeds[1] == seeds[0] + 1 and seeds[0] != 100
    assert sum(view.isVisible() for view in strip.views) == 2
    assert strip.pick_buttons[0].isEnabled()  # a new batch: nothing picked
    strip.hide_button.click()
    assert not strip.isVisible()


def test_variations_fail_like_a_take_and_wait_for_a_running_generation(qtbot, window, fakes):
    tab = window.generate_tab
    window.services.generation._generate_fn = fakes.FakeGenerator(delay=0.3)
    assert tab.generate()
    assert not tab.generate_variations() and not tab.variations_button.isEnabled()  # busy: refused
    qtbot.waitUntil(tab.variations_button.isEnabled, timeout=5000)
    window.services.generation._generate_fn = fakes.FakeGenerator(error=RuntimeError("weights corrupt"))
    with qtbot.waitSignal(window.services.generation.failed, timeout=3000):
        assert tab.generate_variations()
    assert window.errors.reported[-1] == ("Generation failed", "weights corrupt")
    qtbot.waitUntil(tab.variations_button.isEnabled, timeout=2000)
    assert not tab.variations.isVisible()
