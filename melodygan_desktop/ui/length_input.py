"""The take-length input: a seconds spin box that says when a typed length was set to a limit."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox


def format_length(seconds: float) -> str:
    """``600 -> "10 min"``, ``90 -> "1 min 30 s"``, ``5 -> "5 s"``."""
    minutes, rest = divmod(round(float(seconds), 1), 60.0)
    if not minutes:
        return f"{rest:g} s"
    return f"{int(minutes)} min" + (f" {rest:g} s" if rest else "")


class LengthSpinBox(QDoubleSpinBox):
    """Seconds. A number typed outside the range is let through while typing (999 is not cut to 99) and,
    when entered, set to the nearest limit with ``limit_hit(asked, limit)`` emitted, so it can be said."""

    limit_hit = Signal(float, float)

    def _typed_number(self, text: str) -> float | None:
        text = text.strip()
        if self.suffix() and text.endswith(self.suffix().strip()):
            text = text[: -len(self.suffix().strip())]
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return None

    def validate(self, text: str, pos: int) -> object:
        state, fixed, fixed_pos = super().validate(text, pos)
        if state == QValidator.State.Invalid:
            number = self._typed_number(text)
            if number is not None and number > self.maximum():
                return QValidator.State.Intermediate, text, pos
        return state, fixed, fixed_pos

    def fixup(self, text: str) -> str:
        number = self._typed_number(text)
        if number is not None and not self.minimum() <= number <= self.maximum():
            limit = min(max(number, self.minimum()), self.maximum())
            self.limit_hit.emit(number, limit)
            return self.textFromValue(limit) + self.suffix()
        return super().fixup(text)
