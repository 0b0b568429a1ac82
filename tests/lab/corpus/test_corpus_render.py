"""Renderers: the size/time guard, lenient WAV reading, the MIDI channel filter, and (when mma and
fluidsynth are installed) real MMA arrangements, metal with distorted guitars, reggae with added skank."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melodygan_lab.corpus import build_corpus
from melodygan_lab.corpus.arrange import mma_text, plan_songs
from melodygan_lab.corpus.errors import RenderError
from melodygan_lab.corpus.midi import channel_programs, split_channels
from melodygan_lab.corpus.render import SAMPLE_RATE, Tools, read_lenient, run_limited, tidy
from melodygan_lab.corpus.songs import render_song
from melodygan_lab.corpus.tables import load_tables

TOOLS = Tools.detect()
needs_mma = pytest.mark.skipif(
    not (TOOLS.mma and TOOLS.fluidsynth and TOOLS.soundfont), reason="mma, fluidsynth or GM soundfont missing"
)


def test_run_limited_stops_runaway_output_and_hung_tools(tmp_path):
    output = tmp_path / "grows.raw"
    writer = f"import sys\nwith open({str(output)!r}, 'wb') as f:\n    while True: f.write(b'x' * 65536)"
    finished = run_limited([sys.executable, "-c", writer], output, timeout=30, max_bytes=400_000, what="grow")
    assert finished is False and output.stat().st_size > 65536
    with pytest.raises(RenderError, match="no usable output"):
        run_limited([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "none.wav",
                    timeout=0.3, max_bytes=10, what="hang")
    with pytest.raises(RenderError, match="exited with 3"):
        run_limited([sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "x", timeout=10, max_bytes=10,
                    what="fail")


def test_read_lenient_recovers_a_killed_wav_and_tidy_trims(tmp_path):
    audio = np.concatenate([np.zeros(SAMPLE_RATE), 0.5 * np.ones(SAMPLE_RATE), np.zeros(SAMPLE_RATE)])
    path = tmp_path / "cut.wav"
    sf.write(str(path), np.stack([audio, audio], axis=1).astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[4:8] = b"\xff\xff\xff\xff"  # a header never finished by a killed renderer
    start = data.find(b"data")
    data[start + 4:start + 8] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    mono, rate = read_lenient(path)
    assert rate == SAMPLE_RATE and len(mono) == len(audio)
    trimmed = tidy(mono, rate, max_seconds=60)
    assert abs(len(trimmed) / rate - 1.0) < 0.11
    assert len(tidy(mono, rate, max_seconds=0.5)) == rate // 2


def _smf(events: list[bytes]) -> bytes:
    track = b"".join(b"\x00" + e for e in events) + b"\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + bytes([0, 1, 0, 1]) + (96).to_bytes(2, "big")
    return header + b"MTrk" + len(track).to_bytes(4, "big") + track


def test_split_channels_keeps_only_selected_notes():
    data = _smf([bytes([0xC0, 30]), bytes([0xC1, 0]), bytes([0x90, 60, 100]), bytes([0x91, 64, 100]),
                 bytes([0x80, 60, 0]), bytes([0x81, 64, 0])])
    assert channel_programs(data) == {0: 30, 1: 0}
    guitars = split_channels(data, {0})
    notes = [guitars[i:i + 3] for i in range(len(guitars) - 2) if guitars[i] in (0x90, 0x91)]
    assert notes == [bytes([0x90, 60, 100])]
    assert channel_programs(guitars) == {0: 30, 1: 0}, "program changes stay in both halves"


def test_arrangements_are_deterministic_and_varied():
    tables = load_tables()
    jazz = [g for g in tables.grooves if g.genre == "jazz"]
    songs = plan_songs("jazz", jazz, 12, seed=7, seconds=60)
    again = plan_songs("jazz", jazz, 12, seed=7, seconds=60)
    assert [mma_text(s) for s in songs] == [mma_text(s) for s in again]
    assert len({s.groove.name for s in songs}) == len(jazz[:12])
    assert len({(s.tempo, s.transpose, s.lead_voice) for s in songs}) > 6
    reggae = [g for g in tables.grooves if g.genre == "reggae" and g.library.startswith("zoom")]
    text = mma_text(plan_songs("reggae", reggae, 1, seed=0, seconds=20)[0])
    assert "Chord-Skank" in text and "Bass-Reggae" in text


@needs_mma
@pytest.mark.parametrize("genre, groove", [("reggae", "REGG01"), ("metal", "metal1A"), ("jazz", "Swing")])
def test_render_real_mma_song(tmp_path, genre, groove):
    if genre == "metal" and TOOLS.sox is None:
        pytest.skip("sox missing")
    grooves = [g for g in load_tables().grooves if g.genre == genre and g.name == groove]
    spec = plan_songs(genre, grooves, 1, seed=1, seconds=8)[0]
    audio = render_song(spec, tmp_path / "work", TOOLS, max_seconds=30)
    assert 6 < len(audio) / SAMPLE_RATE < 30
    assert 0.01 < float(np.sqrt(np.mean(audio**2))) and float(np.max(np.abs(audio))) <= 1.0
    if genre == "metal":
        assert (tmp_path / "work" / "guitars.mid").is_file(), "metal guitars are rendered apart"


@needs_mma
def test_build_arranged_genre_end_to_end(tmp_path):
    from corpus_fakes import FakeFetcher, write_tables

    tables = load_tables(write_tables(tmp_path / "tables"))
    out = tmp_path / "corpus"
    result = build_corpus(out, tables=tables, fetcher=FakeFetcher({}), tools=TOOLS, genres=["reggae"],
                          songs_per_genre=3, song_seconds=6, split_fractions=(0.34, 0.33, 0.33))
    assert len(result.records) == 3 and {r.kind for r in result.records} == {"arranged"}
    splits_by_groove = {}
    for record in result.records:
        splits_by_groove.setdefault(record.group, set()).add(record.split)
    assert len(splits_by_groove) == 2 and all(len(s) == 1 for s in splits_by_groove.values())
    for record in result.records:
        assert Path(out / record.file).suffix == ".flac" and record.seconds > 4
        assert "MMA" in record.attribution and "FluidR3_GM" in record.attribution
    assert len(list((out / "arrangements" / "reggae").glob("*.mma"))) == 3
