"""Imports a first training run would otherwise pay for on its own thread, done as the window shows.

``torch.optim``'s first optimiser imports ``torch._dynamo`` (1-2 s of imports on a small machine, parts of
which hold the GIL for ~100 ms at a time): paid while a run starts, that shows as a frozen window. Paid on a
helper thread while the user is still looking at the first screen, nobody notices.
"""

from __future__ import annotations

import importlib
import logging
import threading

log = logging.getLogger(__name__)

MODULES = ("torch._dynamo", "melodygan_desktop.training.loop")


def _import_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # a warm-up must never break the app: the real use reports the error
            log.debug("warm-up import of %s failed", name, exc_info=True)


def warm_up_in_background() -> threading.Thread:
    thread = threading.Thread(target=_import_all, name="warm-up", daemon=True)
    thread.start()
    return thread
