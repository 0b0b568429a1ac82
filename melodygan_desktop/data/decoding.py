"""Cache misses of ``prepare_dataset``: one file decoded into a cache entry, and a pool of threads doing that
for many files (libsndfile, libsoxr and torch release the GIL, so threads use every core)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from melodygan_desktop.config import MelConfig
from melodygan_desktop.data.cache import CacheEntry, ClipCache
from melodygan_desktop.data.clips import FrontEnd, UnusableFileError, file_to_mels
from melodygan_desktop.data.scan import Track

_log = logging.getLogger(__name__)


class DecodingStopped(Exception):
    """``should_stop`` said so; the files in flight were finished (and cached) first."""


def decode_track(
    track: Track, mel: MelConfig, cache: ClipCache, key: str | None, front_end: FrontEnd
) -> CacheEntry:
    """Cache miss: decode ``track`` into an entry (mels or a refusal reason) and store what is reusable."""
    try:
        clips = file_to_mels(track.path, mel, front_end)
    except UnusableFileError as exc:
        entry = CacheEntry(mels=None, seconds=0.0, reason=exc.reason)
        if exc.cacheable and key:
            cache.store(key, track.path, entry)
        return entry
    except Exception as exc:  # a bug or an unforeseen decoder error must not end a long preparation
        _log.exception("unexpected error while reading %s", track.path)
        return CacheEntry(mels=None, seconds=0.0, reason=f"unexpected error: {type(exc).__name__}: {exc}")
    entry = CacheEntry(mels=clips.mels, seconds=clips.seconds, silent_clips=clips.silent_clips)
    if key:
        cache.store(key, track.path, entry)
    return entry


def decode_in_parallel(
    misses: list[tuple[int, Track, str | None]],
    mel: MelConfig,
    cache: ClipCache,
    front_end: FrontEnd,
    workers: int,
    should_stop: Callable[[], bool] | None,
) -> Iterator[tuple[int, Track, CacheEntry]]:
    """Yield ``(index, track, entry)`` for each miss as it completes, ``workers`` files in flight.

    ``should_stop`` is asked before each file starts; when it says so, the files in flight finish (their
    entries are cached) and ``DecodingStopped`` is raised.
    """
    queue = misses[::-1]  # popped from the end: files start in folder order
    running: dict = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prepare") as pool:

        def fill() -> None:
            while queue and len(running) < workers:
                index, track, key = queue.pop()
                running[pool.submit(decode_track, track, mel, cache, key, front_end)] = (index, track)

        fill()
        while running:
            completed, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in completed:
                index, track = running.pop(future)
                yield index, track, future.result()
            if should_stop is not None and should_stop():
                for future in list(running):
                    index, track = running.pop(future)
                    yield index, track, future.result()
                raise DecodingStopped
            fill()
