"""The Train tab takes its defaults and cadence from the core, and plays a preview with the preview's own mel
settings (never the form's guess)."""

from __future__ import annotations

import numpy as np

from melodygan_desktop.config import DEFAULT_PRESET, DEFAULT_STEPS, MelConfig, cadence_for
from melodygan_desktop.training.events import Preview


def test_the_form_starts_at_the_core_defaults(window):
    tab = window.train_tab
    assert tab.form.steps_spin.value() == DEFAULT_STEPS
    assert tab.form.preset().name == DEFAULT_PRESET


def test_a_run_saves_logs_and_previews_at_the_core_cadence(window):
    tab = window.train_tab
    for steps in (10, 120, DEFAULT_STEPS, 100_000):
        tab.form.steps_spin.setValue(steps)
        config = tab.training_config()
        assert {name: getattr(config, name) for name in cadence_for(steps)} == cadence_for(steps)


def test_a_preview_without_audio_is_inverted_with_its_own_mel_settings(qtbot, window, fakes):
    tab = window.train_tab
    asked = []
    window.services.invert_preview_fn = lambda mels, mel: asked.append((mels.shape, mel)) or fakes.tone(1.0)
    mel = MelConfig(sample_rate=16000, hop_length=256, n_mels=64, clip_seconds=2.0)  # no preset has these
    preview = Preview(7, np.zeros((2, mel.n_mels, mel.frames), np.float32), ("blues", "jazz"), mel)
    tab.monitor.previews.set_preview(preview)
    tab.play_preview(1)
    qtbot.waitUntil(lambda: window.services.playback.tag == "preview", timeout=3000)
    assert asked == [((mel.n_mels, mel.frames), mel)]
    assert window.services.fake_player.sample_rate == 16000
    window.services.playback.stop()
