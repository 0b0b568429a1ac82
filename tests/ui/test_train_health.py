"""The Train tab's health line under the loss plot, fed by the fake training's events."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from melodygan_desktop.training.events import Preview, StepMetrics
from melodygan_desktop.ui.train_monitor import HEALTH_COLOURS


def _scripted(fakes, losses_at, mels_at=None, **options):
    """The fake training's event stream with its losses (and preview mels) replaced by a script."""
    base = fakes.FakeTrain(**options)

    def train(config, run_dir, should_stop):
        for event in base(config, run_dir, should_stop):
            if isinstance(event, StepMetrics):
                event = replace(event, losses=losses_at(event.step))
            elif isinstance(event, Preview) and mels_at is not None:
                event = replace(event, mels=mels_at(event.step, event.mels))
            yield event

    train.configs = base.configs
    return train


def _hinge(real, fake, d_grad=1.0):
    return {
        "d/real": real,
        "d/fake": fake,
        "d/loss": max(0.0, 1 - real) + max(0.0, 1 + fake),
        "g/adv": -fake,
        "d/grad_norm": d_grad,
        "g/grad_norm": 1.0,
    }


def _run(qtbot, window, tmp_path, train):
    music = tmp_path / "music"
    (music / "blues").mkdir(parents=True, exist_ok=True)
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.form.set_folder(str(music))
    qtbot.waitUntil(lambda: tab.summary.summary is not None, timeout=3000)
    qtbot.waitUntil(tab.start_button.isEnabled, timeout=2000)
    window.services.training._train_fn = train
    line = tab.monitor.health_line
    seen = []

    def record(event):
        state = line.health.state
        if not seen or seen[-1] != state:
            seen.append(state)

    window.services.training.metrics.connect(record)
    window.services.training.preview.connect(record)
    window.services.training.finished.connect(record)
    with qtbot.waitSignal(window.services.training.finished, timeout=10000):
        tab.start()
    assert line.isVisible() and tab.monitor.losses.isVisible()
    return line, seen


def _dot_colour(line):
    return line.dot.styleSheet().split("color:")[1].strip(" ;")


def test_health_line_goes_from_learning_to_collapsed(qtbot, window, tmp_path, fakes):
    def mels(step, mels):
        if step <= 30:
            return np.repeat(np.repeat(np.random.default_rng(step).random((len(mels), 16, 24)), 8, 1), 9, 2)
        return np.repeat(mels[:1], len(mels), axis=0)  # every seed and genre gives the same clip

    train = _scripted(fakes, lambda step: _hinge(0.5 + 0.05 * np.sin(step), -0.4), mels, steps=60)
    line, seen = _run(qtbot, window, tmp_path, train)
    assert seen[0] == "waiting" and "learning" in seen and seen[-1] == "collapsed"
    assert line.text() == "Collapsed: the previews all look alike"
    assert _dot_colour(line) == HEALTH_COLOURS["error"]
    assert "Preview spread" in line.label.toolTip() and "step 60" in line.label.toolTip()


def test_health_line_shows_the_critic_winning_then_a_divergence(qtbot, window, tmp_path, fakes):
    def losses(step):
        if step < 15:
            return _hinge(0.4, -0.4)
        return _hinge(1.8, -1.5 - 0.05 * step, d_grad=0.1)  # past the hinge margin, g/adv climbing

    train = _scripted(fakes, losses, steps=60, preview_every=1000)
    line, seen = _run(qtbot, window, tmp_path, train)
    assert "learning" in seen and seen[-1] == "critic_winning"
    assert line.text() == "The critic is winning: previews may stop improving"
    assert _dot_colour(line) == HEALTH_COLOURS["warning"]
    assert "hinge" in line.label.toolTip() and "g/adv" in line.label.toolTip()

    qtbot.waitUntil(window.train_tab.start_button.isEnabled, timeout=2000)
    window.services.training._train_fn = fakes.FakeTrain(steps=50, diverge_at=12)
    with qtbot.waitSignal(window.services.training.finished, timeout=5000):
        window.train_tab.start()
    assert line.text() == "Diverged: training stopped, last good checkpoint kept"
    assert _dot_colour(line) == HEALTH_COLOURS["error"] and "d/loss is nan" in line.label.toolTip()


def test_a_new_run_starts_from_waiting(qtbot, window):
    monitor = window.train_tab.monitor
    monitor.health_line.show_health(monitor.health.feed(StepMetrics(1, 10, {"d/loss": float("inf")}, 1, 1)))
    assert monitor.health_line.health.state == "diverged"
    monitor.reset(100)
    assert monitor.health_line.text().startswith("Starting")
    assert _dot_colour(monitor.health_line) == HEALTH_COLOURS["info"]
