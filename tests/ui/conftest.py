"""Offscreen Qt and a main window wired to fakes (no torch model, no sound card, no dialogs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "services"))

import gui_fakes  # noqa: E402


@pytest.fixture
def fakes():
    return gui_fakes


@pytest.fixture
def make_services(qtbot, tmp_path):
    """Build ``AppServices`` with fakes; keyword arguments replace single fakes."""
    from melodygan_desktop.services.container import build_services
    from melodygan_desktop.services.settings import AppSettings

    built = []

    def build(**overrides):
        player = overrides.pop("player", None) or gui_fakes.FakePlayer()
        arguments = dict(
            settings=AppSettings(tmp_path / "settings.ini"),
            player_factory=lambda: player,
            generate_fn=gui_fakes.FakeGenerator(),
            train_fn=gui_fakes.FakeTrain(),
            thread_cap=lambda threads: None,
            find_models_fn=lambda: gui_fakes.fake_models(tmp_path),
            options_fn=gui_fakes.fake_options,
            prepare_fn=lambda folder, mel_preset, progress: gui_fakes.fake_summary(),
            write_audio_fn=lambda path, audio, rate, metadata: None,
            export_model_fn=lambda checkpoint, name, display, card=None, fields=None: (
                tmp_path / "models" / name
            ),
            invert_preview_fn=lambda mel, mel_preset: gui_fakes.tone(1.0),
            list_runs_fn=lambda: [],
            resume_config_fn=gui_fakes.fake_resume_config,
        )
        arguments.update(overrides)
        services = build_services(**arguments)
        services.fake_player = player
        built.append(services)
        return services

    yield build
    for services in built:
        services.shutdown(5000)


@pytest.fixture
def show_window(qtbot):
    """``show_window(services) -> MainWindow``: shown, without dialogs, once its models are listed."""
    from melodygan_desktop.ui.main_window import MainWindow

    def show(services):
        main = MainWindow(services, show_dialogs=False)
        qtbot.addWidget(main)
        main.show()
        with qtbot.waitSignal(services.catalog.models_changed, timeout=5000):
            main.start_background_work()
        return main

    return show


@pytest.fixture
def window(qtbot, make_services, tmp_path):
    """A shown main window over fakes, with models and options loaded."""
    from melodygan_desktop.ui.main_window import MainWindow

    services = make_services()
    exported = []
    main = MainWindow(
        services,
        show_dialogs=False,
        confirm_close_training=lambda: True,
        ask_save_path=lambda default: exported.append(default) or tmp_path / default.name,
    )
    main.asked_paths = exported
    qtbot.addWidget(main)
    main.show()
    with qtbot.waitSignal(services.catalog.models_changed, timeout=5000):
        main.start_background_work()
    return main
