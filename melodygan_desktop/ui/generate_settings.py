"""The Generate tab's choices: remembered across restarts, filled from the catalog (methods, installed models)
and taken back from a take (Reuse settings)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from melodygan_desktop.services.generation import Take

if TYPE_CHECKING:
    from melodygan_desktop.ui.generate_tab import GenerateTab


#: The mel-to-audio method the user picked, kept only while it is not the default: a user who never changed
#: it follows the default when a better one ships.
METHOD_KEY = "generate/method_choice"
#: What version 0.1 stored on every exit, picked or not; its default then was nnls-fgla, which therefore
#: says nothing about a choice and is not carried over.
LEGACY_METHOD_KEY, LEGACY_DEFAULT = "generate/method", "nnls-fgla"


class GenerateSettings:
    """Keeps the tab's controls and the app settings in step; the tab owns one."""

    def __init__(self, tab: GenerateTab) -> None:
        self.tab = tab
        self.default_method: str | None = None

    def restore(self) -> None:
        settings, controls = self.tab.services.settings, self.tab.controls
        controls.seconds_spin.setValue(settings.value("generate/seconds", 10.0, float))
        controls.new_seed_box.setChecked(settings.value("generate/new_seed", True, bool))
        if not controls.new_seed_box.isChecked():
            controls.set_seed(settings.value("generate/seed", controls.seed(), int))

    def save(self) -> None:
        settings, controls = self.tab.services.settings, self.tab.controls
        choice = controls.current_choice()
        if choice is not None:
            settings.set_value("generate/choice", choice.key)
        settings.set_value("generate/seconds", controls.seconds_spin.value())
        settings.set_value("generate/new_seed", controls.new_seed_box.isChecked())
        settings.set_value("generate/seed", controls.seed())
        method = controls.method_combo.currentText()
        if method and self.default_method is not None:
            if method == self.default_method:
                settings.remove(METHOD_KEY)
            else:
                settings.set_value(METHOD_KEY, method)
            settings.remove(LEGACY_METHOD_KEY)

    def on_options(self, options) -> None:
        settings = self.tab.services.settings
        self.default_method = options.default_method
        legacy = settings.value(LEGACY_METHOD_KEY, None, str)
        picked = legacy if legacy != LEGACY_DEFAULT else None
        method = settings.value(METHOD_KEY, picked, str) or options.default_method
        self.tab.controls.set_methods(
            options.methods, method if method in options.methods else options.default_method
        )
        self.tab.update_generate_enabled()

    def on_models(self, choices) -> None:
        tab = self.tab
        tab.controls.set_choices(
            choices,
            keep_key=tab.services.settings.value("generate/choice", None, str)
            if tab.controls.current_choice() is None
            else None,
        )
        if not choices:
            tab.status_message.emit("No model installed: train one in the Train tab.")
        tab.update_generate_enabled()

    def reuse(self, take: Take) -> None:
        controls = self.tab.controls
        controls.new_seed_box.setChecked(False)
        controls.set_seed(take.request.seed)
        controls.seconds_spin.setValue(take.request.seconds)
        controls.method_combo.setCurrentText(take.request.method)
        genre = take.request.genre if isinstance(take.request.genre, str) else None
        if genre is not None:
            controls.select_key(f"{Path(take.request.model_path)}::{genre}")
        self.tab.status_message.emit(
            f"Seed {take.request.seed} and settings of take #{take.number} restored"
        )
