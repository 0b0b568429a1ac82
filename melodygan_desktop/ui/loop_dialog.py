"""Export loop dialog: bars, tempo (pre-filled with the estimate, editable), beats per bar and start, with
what the loop will be and whether it fits the take."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

#: Bounds of the fields (the core's LoopSpec checks the same).
MIN_BPM, MAX_BPM = 20.0, 320.0
MAX_BARS = 256
MAX_BEATS_PER_BAR = 16
#: Tempo offered when none was estimated.
FALLBACK_BPM = 120.0


@dataclass(frozen=True)
class LoopChoice:
    """What the user picked; ``services.audio_jobs.write_loop`` turns it into the core's ``LoopSpec``."""

    bpm: float
    bars: int
    beats_per_bar: int = 4
    start_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.bars * self.beats_per_bar * 60.0 / self.bpm


def bars_that_fit(seconds: float, bpm: float, beats_per_bar: int) -> int:
    return max(0, int(math.floor(seconds * bpm / (60.0 * beats_per_bar) + 1e-9)))


class LoopExportDialog(QDialog):
    """``duration_seconds``: the take's length; ``bpm`` and ``first_beat_seconds``: the estimate (``bpm``
    None: no beat was found)."""

    def __init__(
        self,
        duration_seconds: float,
        bpm: float | None,
        first_beat_seconds: float = 0.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export loop")
        self.duration_seconds = duration_seconds
        self.bpm_spin = QDoubleSpinBox()
        self.bpm_spin.setRange(MIN_BPM, MAX_BPM)
        self.bpm_spin.setDecimals(1)
        self.bpm_spin.setSuffix(" BPM")
        self.bpm_spin.setValue(bpm if bpm is not None else FALLBACK_BPM)
        self.bpm_note = QLabel(
            "estimated from the take" if bpm is not None else "no beat found: enter the tempo"
        )
        self.beats_spin = QSpinBox()
        self.beats_spin.setRange(1, MAX_BEATS_PER_BAR)
        self.beats_spin.setValue(4)
        self.start_spin = QDoubleSpinBox()
        self.start_spin.setRange(0.0, max(0.0, duration_seconds))
        self.start_spin.setDecimals(3)
        self.start_spin.setSuffix(" s")
        self.start_spin.setValue(min(max(0.0, first_beat_seconds), duration_seconds))
        self.start_spin.setToolTip("Where the loop starts: the first beat found, or 0")
        self.bars_spin = QSpinBox()
        self.bars_spin.setRange(1, MAX_BARS)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Bars:", self.bars_spin)
        form.addRow("Tempo:", self.bpm_spin)
        form.addRow("", self.bpm_note)
        form.addRow("Beats per bar:", self.beats_spin)
        form.addRow("Start at:", self.start_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)

        fit = self.bars_fit()
        self.bars_spin.setValue(max(1, 2 ** int(math.log2(fit))) if fit >= 1 else 1)  # 1, 2, 4, 8... that fit
        for spin in (self.bpm_spin, self.beats_spin, self.start_spin, self.bars_spin):
            spin.valueChanged.connect(self._update)
        self._update()

    def bars_fit(self) -> int:
        room = self.duration_seconds - self.start_spin.value()
        return bars_that_fit(room, self.bpm_spin.value(), self.beats_spin.value())

    def choice(self) -> LoopChoice:
        return LoopChoice(
            bpm=self.bpm_spin.value(),
            bars=self.bars_spin.value(),
            beats_per_bar=self.beats_spin.value(),
            start_seconds=self.start_spin.value(),
        )

    def fits(self) -> bool:
        return 1 <= self.bars_spin.value() <= self.bars_fit()

    def _update(self) -> None:
        choice = self.choice()
        fit = self.bars_fit()
        text = (
            f"{choice.bars} bar(s) = {choice.seconds:.2f} s, from {choice.start_seconds:.2f} s; "
            f"the take has room for {fit} bar(s) there."
        )
        if not self.fits():
            text += " Fewer bars, a faster tempo or an earlier start make it fit."
        self.summary.setText(text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.fits())


def ask_loop_choice(
    parent: QWidget | None, duration_seconds: float, bpm: float | None, first_beat_seconds: float
) -> LoopChoice | None:
    """The loop export dialog, modal; None when cancelled."""
    dialog = LoopExportDialog(duration_seconds, bpm, first_beat_seconds, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.choice()
