"""Live view of a training run: progress with steps/s and ETA, loss curves with a one-line training health
under them, previews, messages."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSplitter, QVBoxLayout, QWidget

from melodygan_desktop.training.events import Finished, Preview, Started, StepMetrics
from melodygan_desktop.training.health import WAITING, Health, HealthMonitor
from melodygan_desktop.ui.elided_label import ElidedLabel
from melodygan_desktop.ui.loss_view import LossView
from melodygan_desktop.ui.preview_strip import PreviewStrip


def format_duration(seconds: float) -> str:
    """``3725 -> "1 h 02 min"``, ``95 -> "1 min 35 s"``, ``inf -> "—"``."""
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def finished_message(event: Finished) -> tuple[str, bool]:
    """What to tell the user when a run ends, and whether it is an error."""
    where = f" Checkpoint: {event.checkpoint}" if event.checkpoint else ""
    if event.reason == "completed":
        return f"Training completed at step {event.step}.{where}", False
    if event.reason == "stopped":
        return f"Training stopped at step {event.step}; the newest checkpoint is kept.{where}", False
    if event.reason == "diverged":
        detail = f" ({event.message})" if event.message else ""
        return (
            f"Training diverged at step {event.step}{detail}. The last good checkpoint is kept: try a lower "
            f"learning rate, a smaller batch, or another preset.{where}",
            True,
        )
    return f"Training failed at step {event.step}: {event.message or 'see the log file'}.{where}", True


def finished_status(event: Finished, total_steps: int, elapsed_seconds: float) -> str:
    """The one-line status once a run has ended (it replaces the step / rate / ETA line)."""
    saved = "checkpoint saved" if event.checkpoint else "no checkpoint saved"
    elapsed = f"elapsed {format_duration(elapsed_seconds)}"
    where = f"step {event.step} / {total_steps}"
    if event.reason == "completed":
        why = f" ({event.message})" if event.message else ""
        return f"Completed at {where}{why} · {saved} · {elapsed}"
    if event.reason == "stopped":
        return f"Stopped at {where} · {saved} · {elapsed}"
    if event.reason == "diverged":
        kept = "last good checkpoint kept" if event.checkpoint else "no checkpoint saved"
        return f"Diverged at {where} · {kept} · {elapsed}"
    return f"Failed at {where} · {'last checkpoint kept' if event.checkpoint else saved} · {elapsed}"


#: Dot colour per health level.
HEALTH_COLOURS = {"good": "#40c057", "info": "#868e96", "warning": "#fd7e14", "error": "#e03131"}


class _HealthText(ElidedLabel):
    """The health line's text: elided when narrow; its tooltip always holds the full line and the why."""

    why = ""

    def _refresh(self) -> None:
        super()._refresh()
        tip = f"{self.text()}\n\n{self.why}" if self.why else self.text()
        if self.toolTip() != tip:
            self.setToolTip(tip)


class HealthLine(QWidget):
    """A coloured dot and the plain-language training state; the tooltip says why, with the numbers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dot = QLabel("●")
        self.label = _HealthText("")
        self.health: Health | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.dot)
        layout.addWidget(self.label, 1)
        self.show_health(WAITING)

    def show_health(self, health: Health) -> None:
        if health == self.health:
            return
        self.health = health
        self.dot.setStyleSheet(f"color: {HEALTH_COLOURS.get(health.level, HEALTH_COLOURS['info'])};")
        self.label.why = health.why
        self.label.setText(health.text)
        self.dot.setToolTip(self.label.toolTip())

    def text(self) -> str:
        return self.label.text()


class TrainMonitor(QWidget):
    """Progress, the live status line (step, rate, ETA; after the end: how it ended and the time taken),
    loss curves with the training health line under them (``training.health``: learning, critic winning,
    collapsed, diverged...) and previews. ``set_paused`` keeps paused time out of the elapsed time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._began: float | None = None
        self._paused_at: float | None = None
        self._paused_seconds = 0.0
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("No training run yet")
        self.rate_label = ElidedLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.losses = LossView()
        self.losses.timer.stop()  # redraws only while a run is live: no idle wake-ups
        self.health = HealthMonitor()
        self.health_line = HealthLine()
        self.previews = PreviewStrip()
        plot_pane = QWidget()
        plot_layout = QVBoxLayout(plot_pane)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.setSpacing(0)
        plot_layout.addWidget(self.losses, 1)
        plot_layout.addWidget(self.health_line)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(plot_pane)
        splitter.addWidget(self.previews)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([480, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.rate_label)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

    def reset(self, total_steps: int) -> None:
        self.progress.setFormat("%v / %m steps")
        self.losses.clear()
        self.losses.timer.start()
        self.previews.clear()
        self.health = HealthMonitor()
        self.health_line.show_health(self.health.health)
        self.progress.setRange(0, max(1, total_steps))
        self.progress.setValue(0)
        self.rate_label.setText("Preparing data and model…")
        self.show_message("")
        self._began, self._paused_at, self._paused_seconds = time.monotonic(), None, 0.0

    def set_paused(self, paused: bool) -> None:
        now = time.monotonic()
        if paused and self._paused_at is None:
            self._paused_at = now
        elif not paused and self._paused_at is not None:
            self._paused_seconds += now - self._paused_at
            self._paused_at = None

    def elapsed_seconds(self) -> float:
        """Training time since Start, pauses left out."""
        if self._began is None:
            return 0.0
        now = time.monotonic()
        paused = self._paused_seconds + (now - self._paused_at if self._paused_at is not None else 0.0)
        return max(0.0, now - self._began - paused)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #e03131; font-weight: bold;" if error else "")
        self.message.setText(text)

    def on_started(self, event: Started) -> None:
        self.progress.setRange(0, max(1, event.total_steps))
        self.progress.setValue(event.start_step)
        resumed = f", resumed at step {event.start_step}" if event.resumed else ""
        self.rate_label.setText(f"Training {event.preset} on {event.device}{resumed}…")
        self.health_line.show_health(self.health.feed(event))

    def on_metrics(self, event: StepMetrics) -> None:
        self.losses.add(event.step, event.losses)
        self.health_line.show_health(self.health.feed(event))
        self.progress.setMaximum(max(1, event.total_steps))
        self.progress.setValue(min(event.step, event.total_steps))
        waiting = (
            f" · {event.data_wait_fraction:.0%} waiting for data" if event.data_wait_fraction > 0.2 else ""
        )
        self.rate_label.setText(
            f"step {event.step} / {event.total_steps} · {event.steps_per_second:.2f} steps/s · "
            f"ETA {format_duration(event.eta_seconds)}{waiting}"
        )

    def on_preview(self, event: Preview) -> None:
        self.previews.set_preview(event)
        self.health_line.show_health(self.health.feed(event))

    def on_finished(self, event: Finished) -> None:
        self.set_paused(False)
        self.health_line.show_health(self.health.feed(event))
        text, error = finished_message(event)
        self.show_message(text, error)
        self.rate_label.setText(finished_status(event, self.progress.maximum(), self.elapsed_seconds()))
        if event.reason == "completed":
            self.progress.setValue(self.progress.maximum())
        self.losses.redraw()
        self.losses.timer.stop()
