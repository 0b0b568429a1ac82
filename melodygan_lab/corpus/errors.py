"""Errors raised by the corpus builder; each message names the package or file and the reason."""

from __future__ import annotations


class CorpusError(RuntimeError):
    """The corpus cannot be built as asked (bad table, missing tool, failed download or render)."""


class MissingToolError(CorpusError):
    """A renderer or packaging tool (apt-get, dpkg, mma, fluidsynth, openmpt123 ...) is not installed."""


class RenderError(CorpusError):
    """One file could not be rendered; the build records the reason and goes on with the next file."""
