"""The playback controller through a real ALSA device: an ``.asoundrc`` whose default PCM is ``type file``
over ``null`` captures what PortAudio played; the captured samples must be exactly the clip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]

PLAY_SCRIPT = """
import sys, time
import numpy as np
from PySide6.QtCore import QCoreApplication
from melodygan_desktop.services.playback import PlaybackController

app = QCoreApplication([])
controller = PlaybackController()
clip = np.load(sys.argv[1])
controller.load(clip, 22050, tag="test")
if not controller.play():
    print("unavailable:", controller.unavailable_reason)
    sys.exit(3)
deadline = time.monotonic() + 10
while controller.state == "playing" and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
print("final state:", controller.state, "position:", controller.position_seconds)
controller.close()
"""


@pytest.mark.audio_device
def test_played_samples_reach_the_device_unchanged(tmp_path):
    pytest.importorskip("sounddevice")
    capture = tmp_path / "capture.raw"
    (tmp_path / ".asoundrc").write_text(
        f'pcm.!default {{\n  type file\n  slave.pcm "null"\n  file "{capture}"\n  format "raw"\n}}\n'
    )
    rate = 22050
    t = np.arange(int(0.6 * rate)) / rate
    clip = (0.4 * np.sin(2 * np.pi * 440 * t) * np.linspace(0, 1, t.size)).astype(np.float32)
    np.save(tmp_path / "clip.npy", clip)
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    env.pop("ALSA_CONFIG_PATH", None)
    result = subprocess.run(
        [sys.executable, "-c", PLAY_SCRIPT, str(tmp_path / "clip.npy")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode == 3:
        pytest.skip(f"no ALSA output here: {result.stdout.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "final state: stopped" in result.stdout  # the controller noticed the end of the clip
    captured = np.fromfile(capture, dtype=np.float32)
    # PortAudio may prime the device with silence: align on the first sound, then compare sample by sample.
    start = int(np.flatnonzero(captured)[0]) - int(np.flatnonzero(clip)[0])
    assert start >= 0 and captured.size >= start + clip.size
    np.testing.assert_array_equal(captured[start : start + clip.size], clip)
    assert np.all(captured[:start] == 0.0) and np.all(captured[start + clip.size :] == 0.0)
