"""Generate-tab choices: genre (and its model card), seed, length, mel-to-audio method and genre morph."""

from __future__ import annotations

import secrets

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QToolButton,
    QWidget,
)

from melodygan_desktop.services.catalog import GenreChoice
from melodygan_desktop.services.generation import GenerationRequest
from melodygan_desktop.ui.length_input import LengthSpinBox, format_length

MAX_SEED = 2**31 - 1
MIN_SECONDS, MAX_SECONDS = 5.0, 600.0
CHOICE_ROLE = Qt.ItemDataRole.UserRole + 1  # genre lines hold their index in ``choices``; headings none


def random_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


class GenerateControls(QWidget):
    """Emits ``card_requested(model_info)``, ``choice_changed()``, ``seed_typed(seed)`` (a typed seed
    turned "New seed each time" off) and ``length_limited(message)`` (a typed length was out of range and
    set to the limit); ``request()`` builds a generation."""

    card_requested = Signal(object)
    choice_changed = Signal()
    seed_typed = Signal(int)
    length_limited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices: list[GenreChoice] = []
        self.genre_combo = QComboBox()
        self.genre_combo.setMinimumContentsLength(16)
        self.genre_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.genre_combo.setPlaceholderText("Loading models…")
        self.card_button = QPushButton("Model card…")
        self.card_button.setToolTip("Training data, licence and metrics of the selected model")
        genre_row = QHBoxLayout()
        genre_row.addWidget(self.genre_combo, 1)
        genre_row.addWidget(self.card_button)

        self.seed_edit = QLineEdit(str(random_seed()))
        self.seed_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{1,10}")))
        self.seed_edit.setToolTip("The same seed, genre and length always give the same take")
        self.new_seed_box = QCheckBox("New seed each time")
        self.new_seed_box.setChecked(True)
        self.new_seed_box.setToolTip(
            "Untick to keep the seed shown (re-generate with another method or length)"
        )
        self.dice_button = QToolButton()
        self.dice_button.setText("New")
        self.dice_button.setToolTip("Pick a new random seed now")
        self.dice_button.clicked.connect(lambda: self.set_seed(random_seed()))
        # Typing a seed means "use this seed": the box unticks (visibly), so Generate keeps it.
        self.seed_edit.textEdited.connect(self._on_seed_typed)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_edit, 1)
        seed_row.addWidget(self.dice_button)

        self.seconds_spin = LengthSpinBox()
        self.seconds_spin.setRange(MIN_SECONDS, MAX_SECONDS)
        self.seconds_spin.setDecimals(1)
        self.seconds_spin.setSingleStep(5.0)
        self.seconds_spin.setValue(10.0)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.setToolTip(
            f"{format_length(MIN_SECONDS)} to {format_length(MAX_SECONDS)}; "
            "long takes are generated seamlessly"
        )
        self.length_note = QLabel(f"{format_length(MIN_SECONDS)} – {format_length(MAX_SECONDS)}")
        self.length_note.setEnabled(False)  # greyed: a hint until a typed length is out of range
        self.seconds_spin.limit_hit.connect(self._on_length_limit)
        self.seconds_spin.lineEdit().textEdited.connect(self._reset_length_note)
        length_row = QHBoxLayout()
        length_row.addWidget(self.seconds_spin, 1)
        length_row.addWidget(self.length_note)

        self.method_combo = QComboBox()
        self.method_combo.setToolTip("How the mel image becomes audio (slower methods sound cleaner)")

        self.morph_box = QCheckBox("Blend with")
        self.morph_combo = QComboBox()
        self.morph_combo.setMinimumContentsLength(8)
        self.morph_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.morph_slider = QSlider(Qt.Orientation.Horizontal)
        self.morph_slider.setRange(0, 100)
        self.morph_slider.setValue(50)
        self.morph_slider.setMinimumWidth(60)
        self.morph_label = QLabel("50 %")
        self.morph_label.setMinimumWidth(40)
        self.morph_slider.valueChanged.connect(lambda value: self.morph_label.setText(f"{value} %"))
        self.morph_box.toggled.connect(self._update_morph_enabled)
        morph_row = QHBoxLayout()
        morph_row.addWidget(self.morph_box)
        morph_row.addWidget(self.morph_combo, 1)
        morph_row.addWidget(self.morph_slider, 1)
        morph_row.addWidget(self.morph_label)

        left, right = QFormLayout(), QFormLayout()
        left.addRow("Genre", genre_row)
        left.addRow("Genre morph", morph_row)
        left.addRow("Mel to audio", self.method_combo)
        right.addRow("Seed", seed_row)
        right.addRow("", self.new_seed_box)
        right.addRow("Length", length_row)
        columns = QHBoxLayout(self)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addLayout(left, 3)
        columns.addSpacing(16)
        columns.addLayout(right, 2)

        self.genre_combo.currentIndexChanged.connect(self._on_genre_changed)
        self.card_button.clicked.connect(self._request_card)
        self._on_genre_changed()

    # -- choices
    def set_methods(self, methods: tuple[str, ...], default: str) -> None:
        self.method_combo.clear()
        self.method_combo.addItems(list(methods))
        if default in methods:
            self.method_combo.setCurrentText(default)

    def set_choices(self, choices: list[GenreChoice], keep_key: str | None = None) -> None:
        """Fill the genre picker grouped by model (a heading line per model, which cannot be picked); keeps
        the current (or ``keep_key``) selection when it still exists, else selects the first genre."""
        key = keep_key or (self.current_choice().key if self.current_choice() else None)
        self.choices = list(choices)
        self.genre_combo.blockSignals(True)
        self.genre_combo.clear()
        model = QStandardItemModel(self.genre_combo)
        group = None
        first = -1
        for number, choice in enumerate(self.choices):
            path = str(choice.model.path)
            if path != group:
                group = path
                origin = "" if choice.model.bundled else "  (yours)"
                heading = QStandardItem(f"{choice.model.name}{origin}")
                heading.setFlags(Qt.ItemFlag.NoItemFlags)
                font = heading.font()
                font.setBold(True)
                heading.setFont(font)
                heading.setToolTip(path)
                model.appendRow(heading)
            item = QStandardItem(choice.label)
            item.setData(choice.key, Qt.ItemDataRole.UserRole)
            item.setData(number, CHOICE_ROLE)
            item.setToolTip(path)
            model.appendRow(item)
            if first < 0:
                first = model.rowCount() - 1
        self.genre_combo.setModel(model)
        self.genre_combo.setPlaceholderText("No model installed" if not choices else "")
        index = self.genre_combo.findData(key) if key else -1
        self.genre_combo.setCurrentIndex(index if index >= 0 else first)
        self.genre_combo.blockSignals(False)
        self._on_genre_changed()

    def genre_rows(self) -> list[int]:
        """Rows of the picker that are genres (not model headings), top to bottom."""
        combo = self.genre_combo
        return [i for i in range(combo.count()) if combo.itemData(i, CHOICE_ROLE) is not None]

    def select_row(self, number: int) -> None:
        """Select the ``number``-th genre line (0-based, headings not counted)."""
        self.genre_combo.setCurrentIndex(self.genre_rows()[number])

    def select_key(self, key: str) -> bool:
        index = self.genre_combo.findData(key)
        if index >= 0:
            self.genre_combo.setCurrentIndex(index)
        return index >= 0

    def current_choice(self) -> GenreChoice | None:
        number = self.genre_combo.currentData(CHOICE_ROLE)
        return self.choices[number] if isinstance(number, int) and 0 <= number < len(self.choices) else None

    def _on_genre_changed(self, *args) -> None:
        choice = self.current_choice()
        self.card_button.setEnabled(choice is not None)
        self.morph_combo.clear()
        if choice is not None and choice.conditional:
            self.morph_combo.addItems([g for g in choice.model.genres if g != choice.genre])
        can_morph = self.morph_combo.count() > 0
        self.morph_box.setEnabled(can_morph)
        self.morph_box.setToolTip(
            "" if can_morph else "Blending needs a genre-conditional model with 2+ genres"
        )
        if not can_morph:
            self.morph_box.setChecked(False)
        self._update_morph_enabled()
        self.choice_changed.emit()

    def _update_morph_enabled(self, *args) -> None:
        on = self.morph_box.isChecked() and self.morph_box.isEnabled()
        self.morph_combo.setEnabled(on)
        self.morph_slider.setEnabled(on)

    def _on_length_limit(self, asked: float, limit: float) -> None:
        which = "longest" if asked > limit else "shortest"
        text = f"{asked:g} s is out of range: the {which} take is {format_length(limit)}"
        self.length_note.setText(f"{which} is {format_length(limit)}")
        self.length_note.setEnabled(True)
        self.length_note.setStyleSheet("color: #e8590c;")
        self.length_note.setToolTip(text)
        self.length_limited.emit(text)

    def _reset_length_note(self, *args) -> None:
        if self.length_note.isEnabled():
            self.length_note.setText(f"{format_length(MIN_SECONDS)} – {format_length(MAX_SECONDS)}")
            self.length_note.setEnabled(False)
            self.length_note.setStyleSheet("")
            self.length_note.setToolTip("")

    def _request_card(self) -> None:
        choice = self.current_choice()
        if choice is not None:
            self.card_requested.emit(choice.model)

    # -- seed and request
    def seed(self) -> int:
        text = self.seed_edit.text().strip()
        return min(int(text), MAX_SEED) if text else 0

    def set_seed(self, seed: int) -> None:
        self.seed_edit.setText(str(int(seed)))

    def _on_seed_typed(self, text: str) -> None:
        if text.strip() and self.new_seed_box.isChecked():
            self.new_seed_box.setChecked(False)
            self.seed_typed.emit(self.seed())

    def genre_value(self) -> str | dict[str, float] | None:
        choice = self.current_choice()
        if choice is None:
            return None
        first = (
            choice.genre
            if choice.genre is not None
            else (choice.model.genres[0] if choice.model.genres else "")
        )
        if self.morph_combo.isEnabled() and self.morph_combo.currentText():
            weight = self.morph_slider.value() / 100.0
            return {first: round(1.0 - weight, 4), self.morph_combo.currentText(): round(weight, 4)}
        return first

    def request(self) -> GenerationRequest | None:
        """The generation these controls describe (a fresh seed first, if asked), or None without a model."""
        choice = self.current_choice()
        genre = self.genre_value()
        if choice is None or genre is None or not self.method_combo.currentText():
            return None
        if self.new_seed_box.isChecked():
            self.set_seed(random_seed())
        return GenerationRequest(
            model_path=str(choice.model.path),
            genre=genre,
            seed=self.seed(),
            seconds=float(self.seconds_spin.value()),
            method=self.method_combo.currentText(),
        )
