"""``--smoke-test``: the real app generates a clip from a real (untrained) model and exits 0."""

from __future__ import annotations

from app_process import run_app
from real_models import make_model


def test_smoke_test_generates_a_clip_from_a_model(tmp_path):
    model = make_model(tmp_path / "models")
    result = run_app(["--smoke-test", "--model", str(model), "--seconds", "5"], tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "smoke test: ok: Test test-model" in result.stdout
