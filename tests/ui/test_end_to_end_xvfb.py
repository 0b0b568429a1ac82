"""End to end in a real X window (Xvfb): select a genre, generate, play through ALSA, export a non-silent
WAV with its settings in the tags, read a music folder in the Train tab, and save screenshots of both tabs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from app_process import REPO
from real_models import make_model


@pytest.mark.slow
def test_generate_play_export_in_a_real_window(tmp_path):
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed")
    home = tmp_path / "home"
    make_model(home / "models", "demo")
    music = tmp_path / "music" / "jazz"
    music.mkdir(parents=True)
    rate = 22050
    t = np.arange(int(10.5 * rate)) / rate
    sf.write(str(music / "tune.wav"), (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate)
    capture = tmp_path / "capture.raw"
    (tmp_path / ".asoundrc").write_text(
        f'pcm.!default {{\n  type file\n  slave.pcm "null"\n  file "{capture}"\n  format "raw"\n}}\n'
    )
    env = dict(
        os.environ, MELODYGAN_HOME=str(home), HOME=str(tmp_path), QT_QPA_PLATFORM="xcb", PYTHONPATH=str(REPO)
    )
    command = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1400x900x24",
        sys.executable,
        str(REPO / "tests" / "ui" / "e2e_driver.py"),
        "--out",
        str(tmp_path / "out"),
        "--music",
        str(tmp_path / "music"),
        "--seconds",
        "6",
    ]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    if "could not be initialized" in result.stderr or "xcb-cursor0" in result.stderr:
        pytest.skip("Qt's xcb plugin cannot load: install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["platform"] == "xcb" and report["errors_reported"] == []
    assert report["genre"].startswith("techno") and report["take"]["seconds"] > 5.9
    export = report["export"]
    assert export["rms"] > 1e-3 and export["rate"] == 22050
    assert (
        export["metadata"]["seed"] == str(report["take"]["seed"]) and export["metadata"]["genre"] == "techno"
    )
    assert "1 track(s)" in report["summary"]
    assert report["models"][0] == "demo"  # the user's model first in the model manager
    for name in ("generate-tab.png", "train-tab.png", "models-tab.png"):
        assert (tmp_path / "out" / name).stat().st_size > 10_000
    if report["audio_available"]:  # PortAudio reached the capture device: the take was played
        played = np.fromfile(capture, dtype=np.float32)
        assert np.count_nonzero(played) > rate
    else:
        assert "No audio output" in report["audio_label"]
