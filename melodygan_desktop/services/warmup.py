"""Imports a first training run would otherwise pay for on its own thread, done as the window shows.

``torch.optim``'s first optimiser imports ``torch._dynamo`` (1-2 s of imports on a small machine, parts of
which hold the GIL for ~100 ms at a time) and preparing a folder loads libsoxr: paid while a run starts,
that shows as a frozen window. Paid on a helper thread while the user is still looking at the first screen,
nobody notices.

The objects those imports create (several hundred thousand: torch, sympy, dynamo) live as long as the app.
Afterwards they are moved out of the garbage collector's sight (``gc.freeze``): a full collection holds the
GIL while it walks every tracked object, ~100 ms over these, and would otherwise freeze the window whenever
a training thread happened to trigger one.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading

log = logging.getLogger(__name__)

MODULES = ("torch._dynamo", "melodygan_desktop.training.loop", "melodygan_desktop.audio.io")


def _import_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # a warm-up must never break the app: the real use reports the error
            log.debug("warm-up import of %s failed", name, exc_info=True)
    gc.freeze()


def warm_up_in_background() -> threading.Thread:
    thread = threading.Thread(target=_import_all, name="warm-up", daemon=True)
    thread.start()
    return thread
