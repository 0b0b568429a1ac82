"""Live loss curves: every logged term in bounded buffers, redrawn at most ~30 times a second."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from melodygan_desktop.ui.series_buffer import DecimatingSeries, exponential_smoothing

#: Fixed colours for the main terms so G and D keep their colour from run to run.
KEY_COLOURS = {
    "d/loss": "#ff6b6b",
    "g/adv": "#4dabf7",
    "d/real": "#ffa94d",
    "d/fake": "#da77f2",
    "d/gp": "#69db7c",
    "d/r1": "#38d9a9",
    "g/diversity": "#f8f9fa",
}
#: What each term is, for its toggle's tooltip.
KEY_MEANINGS = {
    "d/loss": "Critic (discriminator) loss",
    "g/adv": "Generator's adversarial loss: how far the critic is from taking its clips for real",
    "d/real": "Mean critic score of real clips",
    "d/fake": "Mean critic score of generated clips",
    "d/gp": "Gradient penalty of the critic (WGAN-GP)",
    "d/r1": "R1 penalty: the critic's gradient on real clips",
    "g/diversity": "How far apart two takes of the same genres are, as a share of two real clips' distance "
    "(1 or more: as varied as real music; near 0: the generator draws one picture)",
    "d/grad_norm": "Size of the critic's gradient (a jump warns of divergence)",
    "g/grad_norm": "Size of the generator's gradient (a jump warns of divergence)",
}
_OTHER_COLOURS = ("#ffd43b", "#a9e34b", "#f783ac", "#66d9e8", "#e599f7", "#ced4da")


def colour_icon(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class LossView(QWidget):
    """``add(step, losses)`` buffers points; a 30 Hz timer redraws only when something new arrived.

    G and D (``"g/adv"``, ``"d/loss"``) are drawn bold. Beside the plot (never over the curves), one
    toggle per term in the curve's colour hides or shows it (gradient norms start hidden: their scale dwarfs
    the losses).
    """

    def __init__(self, parent: QWidget | None = None, capacity: int = 4096, redraw_hz: float = 30.0) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self.plot = pg.PlotWidget(background="#111")
        self.plot.setMenuEnabled(False)
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss")
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setClipToView(True)
        self.series: dict[str, DecimatingSeries] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.toggles: dict[str, QCheckBox] = {}
        self.toggle_panel = QWidget()
        self.toggle_layout = QVBoxLayout(self.toggle_panel)
        self.toggle_layout.setContentsMargins(4, 0, 0, 0)
        self.toggle_layout.setSpacing(2)
        self.toggle_layout.addStretch(1)
        self.toggle_panel.setToolTip("Show or hide a curve")
        self.dirty = False
        self.redraws = 0

        self.smooth_box = QCheckBox("Smooth")
        self.smooth_box.setChecked(True)
        self.strength = QDoubleSpinBox()
        self.strength.setRange(0.0, 0.99)
        self.strength.setSingleStep(0.05)
        self.strength.setValue(0.8)
        self.strength.setToolTip("Exponential smoothing of the curves (0 = raw values)")
        self.smooth_box.toggled.connect(self._mark_dirty)
        self.strength.valueChanged.connect(self._mark_dirty)
        self.latest = QLabel("")
        controls = QHBoxLayout()
        controls.addWidget(self.smooth_box)
        controls.addWidget(self.strength)
        controls.addStretch(1)
        controls.addWidget(self.latest)
        plot_row = QHBoxLayout()
        plot_row.setContentsMargins(0, 0, 0, 0)
        plot_row.addWidget(self.plot, 1)
        plot_row.addWidget(self.toggle_panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(plot_row, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(1000 / redraw_hz)))
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    def _mark_dirty(self, *args) -> None:
        self.dirty = True

    def clear(self) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        for toggle in self.toggles.values():
            self.toggle_layout.removeWidget(toggle)
            toggle.deleteLater()
        self.toggles.clear()
        self.series.clear()
        self.curves.clear()
        self.latest.setText("")
        self.dirty = False

    def add(self, step: int, losses: dict[str, float]) -> None:
        for key, value in losses.items():
            series = self.series.get(key)
            if series is None:
                series = self.series[key] = DecimatingSeries(self.capacity)
                colour = KEY_COLOURS.get(key, _OTHER_COLOURS[len(self.curves) % len(_OTHER_COLOURS)])
                curve = pg.PlotDataItem(
                    pen=pg.mkPen(colour, width=2 if key in ("d/loss", "g/adv") else 1),
                    name=key,
                    connect="finite",
                )
                self.plot.addItem(curve)
                self.curves[key] = curve
                # Gradient norms have another scale than the losses: shown when their toggle is ticked.
                self._add_toggle(key, colour, visible=not key.endswith("grad_norm"))
            series.append(step, value)
        shown = [f"{k} {losses[k]:.3g}" for k in ("g/adv", "d/loss") if k in losses]
        self.latest.setText("   ".join(shown))
        self.dirty = True

    def _add_toggle(self, key: str, colour: str, visible: bool) -> None:
        toggle = QCheckBox(key)
        toggle.setIcon(colour_icon(colour))
        toggle.setToolTip(KEY_MEANINGS.get(key, key))
        toggle.setChecked(visible)
        toggle.toggled.connect(self.curves[key].setVisible)
        self.curves[key].setVisible(visible)
        self.toggle_layout.insertWidget(self.toggle_layout.count() - 1, toggle)  # above the stretch
        self.toggles[key] = toggle

    def redraw(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        self.redraws += 1
        strength = self.strength.value() if self.smooth_box.isChecked() else 0.0
        for key, series in self.series.items():
            steps, values = series.arrays()
            self.curves[key].setData(steps, exponential_smoothing(values, strength))

    def points(self, key: str) -> int:
        return len(self.series[key]) if key in self.series else 0
