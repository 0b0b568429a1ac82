"""Playback: the callback contract (copy, count, loop, seek), the no-PortAudio / no-device states, and a
real PortAudio -> ALSA run captured to a file by an ``.asoundrc``-style ``type file`` PCM."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tracemalloc
import types
from pathlib import Path

import numpy as np
import pytest

from melodygan_desktop.audio.playback import Player, list_output_devices

REPO = Path(__file__).resolve().parents[2]


class FakeStream:
    def __init__(self, callback, **settings):
        self.callback, self.settings = callback, settings
        self.active, self.stopped, self.closed = False, True, False

    def start(self):
        self.active, self.stopped = True, False

    def stop(self):
        self.active, self.stopped = False, True

    def abort(self):
        self.stop()

    def close(self, ignore_errors=True):
        self.closed = True


def fake_sounddevice(streams: list) -> types.ModuleType:
    module = types.ModuleType("fake_sounddevice")

    class CallbackStop(Exception):
        pass

    def output_stream(callback, **settings):
        streams.append(FakeStream(callback, **settings))
        return streams[-1]

    module.CallbackStop = CallbackStop
    module.OutputStream = output_stream
    module.query_devices = lambda device=None, kind=None: (
        {"name": "fake"} if kind else [{"name": "fake", "hostapi": 0, "max_output_channels": 2,
                                        "default_samplerate": 48000.0}])
    module.query_hostapis = lambda: [{"name": "Fake API"}]
    module.default = types.SimpleNamespace(device=[-1, 0])
    return module


def pull(stream: FakeStream, frames: int, channels: int = 1) -> np.ndarray:
    out = np.full((frames, channels), 9.0, np.float32)
    stream.callback(out, frames, None, None)
    return out


def test_callback_copies_counts_and_stops_at_the_end():
    streams: list[FakeStream] = []
    sounddevice = fake_sounddevice(streams)
    player = Player(loader=lambda: sounddevice)
    clip = np.arange(1000, dtype=np.float32) / 1000
    player.load(clip, 1000)
    assert player.available and player.unavailable_reason is None
    assert player.play() and player.is_playing
    stream = streams[0]
    assert stream.settings["samplerate"] == 1000 and stream.settings["channels"] == 1
    np.testing.assert_array_equal(pull(stream, 256)[:, 0], clip[:256])
    assert player.position_seconds == pytest.approx(0.256)
    player.seek(0.9)
    block = np.full((256, 1), 9.0, np.float32)
    with pytest.raises(sounddevice.CallbackStop):  # the last, partly filled block is still played
        stream.callback(block, 256, None, None)
    np.testing.assert_array_equal(block[:100, 0], clip[900:])
    assert np.all(block[100:] == 0.0)
    assert player.position_seconds == pytest.approx(1.0)
    stream.active = False  # PortAudio would now report the stream finished
    assert not player.is_playing
    assert player.play()  # from the top again
    assert player.position_seconds == 0.0 and stream.stopped is False


def test_loop_wraps_even_across_short_clips():
    streams: list[FakeStream] = []
    player = Player(loader=lambda: fake_sounddevice(streams))
    clip = np.array([[1.0, -1.0], [2.0, -2.0], [3.0, -3.0]], np.float32) / 4
    player.load(clip, 100)
    player.loop = True
    player.play()
    block = pull(streams[0], 8, channels=2)
    np.testing.assert_array_equal(block, np.concatenate([clip, clip, clip[:2]]))
    assert player.position_seconds == pytest.approx(0.02)


def test_pause_stop_seek_and_close():
    streams: list[FakeStream] = []
    player = Player(loader=lambda: fake_sounddevice(streams))
    player.load(np.zeros(48000, np.float32), 48000)
    assert player.duration_seconds == 1.0
    player.play()
    pull(streams[0], 4800)
    player.pause()
    assert not player.is_playing and player.position_seconds == pytest.approx(0.1)
    player.seek(5.0)
    assert player.position_seconds == 1.0
    player.seek(-1)
    assert player.position_seconds == 0.0
    player.play()
    player.seek(0.5)  # while playing: applied by the callback, or by pause if it never ran
    player.pause()
    assert player.position_seconds == 0.5
    player.stop()
    assert player.position_seconds == 0.0
    player.close()
    assert streams[0].closed


def test_callback_allocates_nothing_per_block():
    streams: list[FakeStream] = []
    player = Player(loader=lambda: fake_sounddevice(streams))
    player.load(np.random.default_rng(0).uniform(-1, 1, 10 * 48000).astype(np.float32), 48000)
    player.play()
    out = np.zeros((512, 1), np.float32)
    callback = streams[0].callback
    callback(out, 512, None, None)
    tracemalloc.start()
    for _ in range(500):
        callback(out, 512, None, None)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4096, peak  # views and ints only, never a block-sized buffer (2 KiB)


def test_without_portaudio_or_device_it_says_why_and_never_crashes():
    def missing_library():
        raise OSError("PortAudio library not found")

    player = Player(loader=missing_library)
    player.load(np.zeros(100, np.float32), 22050)
    assert not player.available
    assert "PortAudio" in player.unavailable_reason
    assert player.play() is False and not player.is_playing
    player.pause(), player.stop(), player.seek(1.0), player.close()
    assert list_output_devices(loader=missing_library) == []

    no_device = fake_sounddevice([])

    def query_devices(device=None, kind=None):
        raise RuntimeError("Error querying device -1")

    no_device.query_devices = query_devices
    player = Player(loader=lambda: no_device)
    assert not player.available and "no audio output device" in player.unavailable_reason


def test_list_output_devices_with_a_backend():
    devices = list_output_devices(loader=lambda: fake_sounddevice([]))
    summary = [(d.name, d.host_api, d.channels, d.is_default) for d in devices]
    assert summary == [("fake", "Fake API", 2, True)]


PLAY_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from melodygan_desktop.audio.playback import Player, list_output_devices
    player = Player()
    if not player.available:
        print("UNAVAILABLE", player.unavailable_reason)
        sys.exit(0)
    print("DEVICES", len(list_output_devices()))
    clip = np.load(sys.argv[1])
    player.load(clip, 22050)
    assert player.play(), player.unavailable_reason
    deadline = time.monotonic() + 20
    while player.is_playing and time.monotonic() < deadline:
        time.sleep(0.02)
    print("POSITION", player.position_seconds)
    player.close()
""")


def run_player(tmp_path: Path, alsa_config: str, clip: np.ndarray) -> subprocess.CompletedProcess:
    """Play ``clip`` in a fresh process whose ALSA reads only ``alsa_config`` (PortAudio reads it once)."""
    pytest.importorskip("sounddevice", reason="sounddevice or libportaudio2 missing")
    (tmp_path / "asound.conf").write_text(alsa_config)
    np.save(tmp_path / "clip.npy", clip)
    (tmp_path / "play.py").write_text(PLAY_SCRIPT)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(tmp_path / "asound.conf"), HOME=str(tmp_path),
               PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, str(tmp_path / "play.py"), str(tmp_path / "clip.npy")], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.audio_device
def test_plays_the_exact_samples_through_alsa(tmp_path):
    capture = tmp_path / "capture.raw"
    config = textwrap.dedent(f"""
        pcm.!default {{
            type file
            slave.pcm {{ type null }}
            file "{capture}"
            format "raw"
        }}
    """)
    t = np.arange(11025) / 22050
    clip = (0.25 + 0.5 * np.sin(2 * np.pi * 440 * t) * np.exp(-t)).astype(np.float32)  # starts non-zero
    result = run_player(tmp_path, config, clip)
    assert result.returncode == 0, result.stderr
    assert "DEVICES" in result.stdout, result.stdout + result.stderr
    raw = capture.read_bytes()
    # PortAudio picks float32 when the device takes it (null does); fall back to 16-bit if it chose that.
    captured = np.frombuffer(raw[: len(raw) // 4 * 4], np.float32)
    tolerance = 0.0
    if not np.any(np.abs(captured - clip[0]) < 1e-7):
        captured = np.frombuffer(raw[: len(raw) // 2 * 2], np.int16).astype(np.float32) / 32768
        tolerance = 3 / 32768  # quantisation plus PortAudio's dither
    start = int(np.argmax(np.abs(captured) > 0))  # PortAudio primes the device with silence first
    np.testing.assert_allclose(captured[start : start + len(clip)], clip, atol=tolerance)
    assert not np.any(captured[start + len(clip) :])  # silence after the clip, no repeats
    assert "POSITION 0.5" in result.stdout


@pytest.mark.audio_device
def test_a_system_without_output_devices_is_reported(tmp_path):
    alsa_conf = Path("/usr/share/alsa/alsa.conf")
    if not alsa_conf.exists():
        pytest.skip("no ALSA configuration on this system")
    config = f"<{alsa_conf}>\npcm.!default {{ type hw card 97 }}\n"  # a card that does not exist
    result = run_player(tmp_path, config, np.zeros(100, np.float32))
    assert result.returncode == 0, result.stderr
    if "DEVICES" in result.stdout:
        pytest.skip("this machine has real sound cards besides the missing default")
    assert "UNAVAILABLE no audio output device" in result.stdout
