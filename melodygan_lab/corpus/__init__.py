"""The open genre corpus builder: Debian music packages and MMA arrangements -> split genre folders.

Qt-free; external tools (apt-get, dpkg, openmpt123, fluidsynth, mma, sox) run as subprocesses. Names are
imported on first use so that ``melodygan --help`` stays fast. The commands (``corpus build``,
``corpus deps``) are in ``melodygan_lab.cli.corpus``.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "TIER_SETTINGS": "builder", "CorpusResult": "builder", "build_corpus": "builder",
    "CorpusError": "errors", "MissingToolError": "errors", "RenderError": "errors",
    "TrackRecord": "manifest", "read_manifest": "manifest", "load_tables": "tables",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
