"""Plot views and their buffers: mel axis in Hz, fixed levels, peak envelope, bounded loss curves."""

from __future__ import annotations

import numpy as np
import pytest

from melodygan_desktop.ui.envelope import PeakEnvelope, zigzag
from melodygan_desktop.ui.series_buffer import DecimatingSeries, exponential_smoothing
from melodygan_desktop.ui.spectrogram_view import mel_axis_ticks


def test_mel_axis_ticks_sit_on_the_bands():
    band_hz = np.geomspace(30.0, 11000.0, 128)  # log-spaced: every round value is far enough apart
    ticks = dict((label, position) for position, label in mel_axis_ticks(band_hz))
    assert list(ticks) == ["50", "100", "200", "500", "1k", "2k", "4k", "8k"]
    crowded = [label for _, label in mel_axis_ticks(np.linspace(30.0, 11000.0, 128))]
    assert crowded == ["200", "1k", "2k", "4k", "8k"]  # labels that would overlap are dropped
    expected = np.interp(1000.0, band_hz, np.arange(128)) + 0.5
    assert ticks["1k"] == pytest.approx(expected)
    positions = list(ticks.values())
    assert positions == sorted(positions)


def test_spectrogram_view_uses_fixed_levels_and_seconds(qtbot):
    from melodygan_desktop.ui.spectrogram_view import SpectrogramView

    view = SpectrogramView()
    qtbot.addWidget(view)
    mel = np.full((128, 431), 0.25, dtype=np.float32)
    view.set_mel(mel, 512 / 22050, np.geomspace(30, 11000, 128))
    assert tuple(view.image.levels) == (0.0, 1.0)  # not auto-levelled: takes compare honestly
    assert view.duration_seconds == pytest.approx(431 * 512 / 22050)
    assert view.image.mapRectToParent(view.image.boundingRect()).width() == pytest.approx(
        view.duration_seconds
    )
    seeks = []
    view.seek_requested.connect(seeks.append)
    view.set_position(2.0)
    assert view.playhead.value() == 2.0
    with pytest.raises(ValueError):
        view.set_mel(np.zeros(10), 0.01, np.zeros(128))


@pytest.mark.parametrize("kind", ["spectrogram", "waveform"])
def test_empty_views_show_positive_seconds_and_return_to_that_when_cleared(qtbot, kind):
    from melodygan_desktop.ui.spectrogram_view import SpectrogramView
    from melodygan_desktop.ui.time_plot import EMPTY_SECONDS
    from melodygan_desktop.ui.waveform_view import WaveformView

    view = SpectrogramView() if kind == "spectrogram" else WaveformView()
    qtbot.addWidget(view)

    def assert_empty() -> None:
        (x0, x1), _ = view.view_box.viewRange()
        assert (x0, x1) == pytest.approx((0.0, EMPTY_SECONDS))
        assert view.loaded_seconds() is None and not view.playhead.isVisible()
        if kind == "spectrogram":  # no frequency labels until a take says which bands it has
            assert view.plot.getPlotItem().getAxis("left")._tickLevels == [[]]

    assert_empty()
    if kind == "spectrogram":
        view.set_mel(np.full((128, 862), 0.5, np.float32), 512 / 22050, np.geomspace(30, 11000, 128))
    else:
        view.set_audio(np.zeros(22050 * 20, np.float32), 22050)
    assert view.view_box.viewRange()[0][1] == pytest.approx(view.loaded_seconds(), rel=1e-3)
    view.clear()
    assert_empty()


def test_peak_envelope_keeps_peaks_at_every_zoom():
    rate = 22050
    audio = np.zeros(rate * 60, dtype=np.float32)
    audio[rate * 30 + 17] = 0.9  # a single-sample click in a minute of silence
    audio[rate * 45 + 3] = -0.8
    envelope = PeakEnvelope(audio, rate)
    times, lows, highs = envelope.window(0, 60, 1000)
    assert len(times) <= 1000
    assert highs.max() == pytest.approx(0.9) and lows.min() == pytest.approx(-0.8)
    times, lows, highs = envelope.window(29.99, 30.01, 1000)  # zoomed in: raw samples
    assert lows is highs and highs.max() == pytest.approx(0.9)
    times, lows, highs = envelope.window(29.0, 31.0, 2000)  # between levels
    assert highs.max() == pytest.approx(0.9) and len(times) <= 2000
    xs, ys = zigzag(np.array([0.0, 1.0]), np.array([-1.0, -2.0]), np.array([1.0, 2.0]))
    assert xs.tolist() == [0.0, 0.0, 1.0, 1.0] and ys.tolist() == [-1.0, 1.0, 2.0, -2.0]


def test_waveform_view_draws_a_bounded_number_of_points(qtbot):
    from melodygan_desktop.ui.waveform_view import WaveformView

    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(800, 200)
    view.set_audio(np.random.default_rng(0).uniform(-1, 1, 22050 * 300).astype(np.float32), 22050)
    assert 0 < view.visible_points() <= 2 * 4000
    view.view_box.setXRange(10.0, 10.01, padding=0)
    assert view.visible_points() <= 2 * 4000


def test_decimating_series_stays_bounded_and_covers_the_run():
    series = DecimatingSeries(capacity=64)
    for step in range(1, 10001):
        series.append(step, 1.0)
    steps, values = series.arrays()
    assert len(series) <= 64 and series.total == 10000
    assert steps[0] < 200 and steps[-1] > 9000  # the whole run, not the last 64 points
    assert np.all(values == 1.0)
    with pytest.raises(ValueError):
        DecimatingSeries(capacity=3)


def test_smoothing_is_debiased_and_survives_nan():
    values = np.array([2.0, 2.0, np.nan, 2.0, 4.0])
    smoothed = exponential_smoothing(values, 0.5)
    assert smoothed[0] == pytest.approx(2.0) and np.isnan(smoothed[2])
    assert 2.0 < smoothed[4] < 4.0
    assert np.array_equal(exponential_smoothing(values[:2], 0.0), values[:2])


def test_loss_view_redraws_on_its_timer_only_when_needed(qtbot):
    from melodygan_desktop.ui.loss_view import LossView

    view = LossView(capacity=128)
    qtbot.addWidget(view)
    view.timer.stop()
    for step in range(1, 5001):  # a flood of steps costs no redraw by itself
        view.add(step, {"d/loss": 1.0 / step, "g/adv": 0.7, "d/r1": 0.1})
    assert view.redraws == 0 and view.points("d/loss") <= 128
    view.redraw()
    view.redraw()
    assert view.redraws == 1
    xs, ys = view.curves["g/adv"].getData()
    assert len(xs) <= 128 and xs[-1] > 4900
    assert "g/adv 0.7" in view.latest.text()
    view.smooth_box.setChecked(False)
    view.redraw()
    assert view.redraws == 2
    view.clear()
    assert view.points("d/loss") == 0


def test_mel_thumbnail_draws_low_bands_at_the_bottom_with_fixed_levels(qtbot):
    from PySide6.QtGui import QColor

    from melodygan_desktop.ui.mel_thumbnail import MelThumbnail, colour_lookup

    view = MelThumbnail()
    qtbot.addWidget(view)
    view.resize(200, 128)
    mel = np.zeros((128, 50), dtype=np.float32)
    mel[64:] = 1.0  # the upper half of the bands loud, the lower half silent
    view.set_mel(mel, 0.2, np.geomspace(30.0, 11000.0, 128))
    assert view.duration_seconds == pytest.approx(10.0) and "10.0 s" in view.toolTip()
    labels = [label for _, label in view.ticks]
    assert labels == ["100", "500", "2k", "8k"]  # a fifth of the height apart: fewer than the full-size view
    picture = view.grab().toImage()
    lut = colour_lookup()
    top, bottom = QColor(picture.pixel(100, 20)), QColor(picture.pixel(100, 110))
    assert (top.red(), top.green(), top.blue()) == (lut[255, 2], lut[255, 1], lut[255, 0])
    assert (bottom.red(), bottom.green(), bottom.blue()) == (lut[0, 2], lut[0, 1], lut[0, 0])
    view.clear()
    assert view.image is None
    with pytest.raises(ValueError, match="n_mels, frames"):
        view.set_mel(np.zeros(5), 0.1, np.arange(5.0))


def test_data_summary_shows_file_names_that_are_not_utf8(qtbot):
    from melodygan_desktop.data.summary import DataSummary
    from melodygan_desktop.ui.data_summary_view import DataSummaryView

    undecodable = b"caf\xe9.wav".decode("utf-8", "surrogateescape")  # a Latin-1 name on a UTF-8 system
    view = DataSummaryView()
    qtbot.addWidget(view)
    genre = "m\udce9tal"
    summary = DataSummary(tracks=1, seconds=20.0, clips=2, genres=(genre,), clips_per_genre={genre: 2},
                          skipped=((f"/music/{undecodable}", "silent"),), cache_hits=0)
    view.show_summary(summary)
    item = view.skipped.topLevelItem(0)
    assert item.text(0) == "/music/caf\ufffd.wav" and item.text(1) == "silent"
    assert "m\ufffdtal (2 clips)" in view.label.text()


@pytest.mark.parametrize("width", [800, 920, 1001])
def test_waveform_envelope_has_no_undrawn_pixel_columns(qtbot, width):
    """Loud noise fills every column of the envelope: no dark hairlines where bins straddle pixels."""
    from melodygan_desktop.ui.waveform_view import WaveformView

    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(width, 210)
    view.show()
    view.set_audio(np.random.default_rng(1).uniform(-0.5, 0.5, 22050 * 10).astype(np.float32), 22050)
    qtbot.wait(10)
    image = view.grab().toImage()
    box = view.view_box.sceneBoundingRect()
    middle = int(box.center().y())
    undrawn = [x for x in range(int(box.left()) + 3, int(box.right()) - 3)
               if image.pixelColor(x, middle).green() < 100]
    assert undrawn == []


def test_loss_curves_are_toggled_beside_the_plot_not_over_it(qtbot):
    from PySide6.QtCore import QRect

    from melodygan_desktop.ui.loss_view import LossView

    view = LossView(capacity=128)
    qtbot.addWidget(view)
    view.resize(700, 360)
    view.show()
    for step in range(1, 50):
        view.add(step, {"d/loss": 1.0 / step, "g/adv": 0.7, "d/grad_norm": 300.0})
    view.redraw()
    qtbot.wait(20)
    assert view.plot.getPlotItem().legend is None  # no legend box drawn over the curves
    assert list(view.toggles) == ["d/loss", "g/adv", "d/grad_norm"]
    plot_rect = QRect(view.plot.mapTo(view, view.plot.rect().topLeft()), view.plot.size())
    for toggle in view.toggles.values():
        assert toggle.isVisible()
        rect = QRect(toggle.mapTo(view, toggle.rect().topLeft()), toggle.size())
        assert not rect.intersects(plot_rect)
    assert view.toggles["g/adv"].isChecked() and view.curves["g/adv"].isVisible()
    assert not view.toggles["d/grad_norm"].isChecked() and not view.curves["d/grad_norm"].isVisible()
    view.toggles["g/adv"].click()
    assert not view.curves["g/adv"].isVisible()
    view.toggles["d/grad_norm"].click()
    assert view.curves["d/grad_norm"].isVisible()
    tips = {key: toggle.toolTip() for key, toggle in view.toggles.items()}
    assert "Critic" in tips["d/loss"] and "gradient" in tips["d/grad_norm"]
    view.add(50, {"g/diversity": 0.4, "x/new": 1.0})  # a term of a later version: named as it is
    assert "two takes" in view.toggles["g/diversity"].toolTip() and view.toggles["x/new"].toolTip() == "x/new"
    view.clear()
    assert view.toggles == {} and view.curves == {}


def test_error_dialogs_show_control_characters_escaped(qtbot):
    from melodygan_desktop.ui.errors import ErrorReporter

    reporter = ErrorReporter(show_dialogs=True)
    reporter.report("Cannot read \x1b]0;owned\x07", "/music/\x1b[2Jtrack.wav: not audio")
    (box,) = reporter.open_dialogs()
    assert "\x1b" not in box.text() and "\\x1b[2Jtrack.wav" in box.text()
    assert "\x1b" not in box.windowTitle() and "\x07" not in box.windowTitle()
    box.done(0)
