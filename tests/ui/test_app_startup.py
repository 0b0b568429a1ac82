"""Start-up of the real app: the window shows before torch is imported; no model is explained."""

from __future__ import annotations

import time

from app_process import REPO, run_app


def test_window_shows_before_torch_is_imported(tmp_path):
    began = time.monotonic()
    result = run_app(["--measure-startup"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "window shown:" in result.stdout and "(torch imported: False)" in result.stdout
    assert "models listed:" in result.stdout
    shown = float(result.stdout.split("window shown:")[1].split("s")[0])
    assert shown < 10.0, result.stdout
    assert time.monotonic() - began < 60
    assert (tmp_path / "logs" / "melodygan-desktop.log").is_file()


def test_smoke_test_without_any_model_says_so(tmp_path):
    result = run_app(["--smoke-test"], tmp_path)
    if (REPO / "checkpoints").is_dir() and any((REPO / "checkpoints").iterdir()):
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]  # a bundled model is used
    else:
        assert result.returncode == 3 and "no model found" in result.stdout
