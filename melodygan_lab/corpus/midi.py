"""A minimal Standard MIDI File filter: keep the notes of some channels only (e.g. the guitars).

Used to render the guitar parts of an arrangement apart, so that they can be distorted before mixing.
"""

from __future__ import annotations

from pathlib import Path

from .errors import RenderError

GUITAR_PROGRAMS = frozenset(range(24, 32))  # General MIDI 25-32: nylon ... harmonics guitars
DRUM_CHANNEL = 9


def _read_varlen(data: bytes, position: int) -> tuple[int, int]:
    value = 0
    while True:
        byte = data[position]
        position += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, position


def _write_varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def _chunks(data: bytes, name: str) -> tuple[bytes, list[bytes]]:
    if data[:4] != b"MThd":
        raise RenderError(f"{name}: not a Standard MIDI File")
    header_length = int.from_bytes(data[4:8], "big")
    header = data[: 8 + header_length]
    tracks, position = [], 8 + header_length
    while position + 8 <= len(data):
        kind, length = data[position:position + 4], int.from_bytes(data[position + 4:position + 8], "big")
        if kind == b"MTrk":
            tracks.append(data[position + 8:position + 8 + length])
        position += 8 + length
    return header, tracks


def _events(track: bytes):
    """Yield (delta, raw event bytes with an explicit status) for one track, up to End of Track."""
    position, status = 0, 0
    while position < len(track):
        delta, position = _read_varlen(track, position)
        if track[position] & 0x80:
            status = track[position]
            position += 1
        if status == 0xFF:
            meta_type = track[position]
            length, data_start = _read_varlen(track, position + 1)
            yield delta, bytes([0xFF]) + track[position:data_start + length]
            position = data_start + length
            if meta_type == 0x2F:
                return
        elif status in (0xF0, 0xF7):
            length, data_start = _read_varlen(track, position)
            yield delta, bytes([status]) + track[position:data_start + length]
            position = data_start + length
        elif status & 0x80:
            size = 1 if status & 0xF0 in (0xC0, 0xD0) else 2
            yield delta, bytes([status]) + track[position:position + size]
            position += size
        else:
            raise RenderError("MIDI track has data before any status byte")


def channel_programs(data: bytes, name: str = "MIDI") -> dict[int, int]:
    """The first program set on each channel."""
    _header, tracks = _chunks(data, name)
    programs: dict[int, int] = {}
    for track in tracks:
        for _delta, event in _events(track):
            if event[0] & 0xF0 == 0xC0:
                programs.setdefault(event[0] & 0x0F, event[1])
    return programs


def split_channels(data: bytes, keep: set[int], name: str = "MIDI") -> bytes:
    """A copy of the file in which only channels in ``keep`` play notes (every other event is kept)."""
    header, tracks = _chunks(data, name)
    out = [header]
    for track in tracks:
        body, pending = bytearray(), 0
        for delta, event in _events(track):
            status = event[0]
            is_note = status < 0xF0 and status & 0xF0 in (0x80, 0x90, 0xA0)
            if is_note and (status & 0x0F) not in keep:
                pending += delta
                continue
            body += _write_varlen(delta + pending) + event
            pending = 0
        out.append(b"MTrk" + len(body).to_bytes(4, "big") + bytes(body))
    return b"".join(out)


def guitar_channels(path: Path) -> set[int]:
    """Channels whose first program is a General-MIDI guitar (never the drum channel)."""
    programs = channel_programs(path.read_bytes(), path.name)
    return {c for c, p in programs.items() if p in GUITAR_PROGRAMS and c != DRUM_CHANNEL}
