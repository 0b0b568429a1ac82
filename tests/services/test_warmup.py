"""The start-up warm-up imports what a training run needs, off the calling thread, then freezes the heap."""

from __future__ import annotations

import gc
import sys

from melodygan_desktop.services import warmup


def test_warm_up_imports_the_training_modules_on_a_helper_thread():
    thread = warmup.warm_up_in_background()
    assert thread.name == "warm-up" and thread.daemon
    thread.join(120)
    assert not thread.is_alive()
    assert all(name in sys.modules for name in warmup.MODULES)
    try:
        assert gc.get_freeze_count() > 10_000  # torch and its imports no longer walked by full collections
    finally:
        gc.unfreeze()


def test_a_failing_import_does_not_escape(monkeypatch):
    monkeypatch.setattr(warmup, "MODULES", ("melodygan_desktop.no_such_module", "json"))
    try:
        warmup._import_all()  # logs and goes on
    finally:
        gc.unfreeze()
    assert "json" in sys.modules
