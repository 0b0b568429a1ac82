"""The frozen desktop bundle: what it carries, and that it starts, loads a model, generates and exits 0.

Opt-in, because building the bundle takes many minutes:

    MELODYGAN_TEST_FROZEN=1 .venv/bin/python -m pytest tests/packaging -q

Builds ``dist/melodygan-desktop`` with ``packaging/build.sh`` unless the bundle there is newer than every
source file; ``MELODYGAN_FROZEN_BUNDLE=<bundle folder>`` tests that bundle as it is, without building.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BUNDLE = ROOT / "dist" / "melodygan-desktop"
SOURCES = ("melodygan_desktop", "packaging", "resources", "checkpoints", "pyproject.toml", "scripts/setup.sh")
BUILD_TIMEOUT_SECONDS = 3600
RUN_TIMEOUT_SECONDS = 900
EXIT_OK, EXIT_NO_MODEL = 0, 3
TRAIN_ARGS = ["--preset", "melodygan-cond", "--steps", "2", "--batch-size", "2", "--clip-seconds", "2",
              "--threads", "1", "--checkpoint-every", "2", "--device", "cpu"]
# Import failures and Qt plugin failures, in the app's output or its log file.
LOAD_ERRORS = re.compile(
    r"ModuleNotFoundError|ImportError|No module named|cannot open shared object file|undefined symbol"
    r"|qt\.qpa\.plugin|Qt platform plugin|Cannot load library|This application failed to start"
    r"|Failed to execute script|\[PYI-\d+:ERROR\]"
)
EXCLUDED_QT = re.compile(r"libQt6(WebEngine|Quick|Qml|3D|Multimedia|Pdf|Designer|Charts|DataVisualization)")
CUDA_FILES = re.compile(r"libtorch_cuda|libc10_cuda|libcudart|libcublas|libcudnn|libnccl|(^|/)nvidia/")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("MELODYGAN_TEST_FROZEN") != "1",
        reason="builds the desktop bundle (many minutes): set MELODYGAN_TEST_FROZEN=1 to run",
    ),
]


def newest_source_mtime() -> float:
    newest = 0.0
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" not in file.parts:
                newest = max(newest, file.stat().st_mtime)
    return newest


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The bundle folder: the one named by ``MELODYGAN_FROZEN_BUNDLE``, or a fresh ``dist/`` build."""
    override = os.environ.get("MELODYGAN_FROZEN_BUNDLE")
    if override:
        return Path(override).resolve()
    info = DEFAULT_BUNDLE / "BUILD-INFO.txt"
    if not info.is_file() or info.stat().st_mtime < newest_source_mtime():
        result = subprocess.run(
            ["bash", str(ROOT / "packaging" / "build.sh"), "cpu"],
            cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS,
        )
        assert result.returncode == 0, f"build failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    return DEFAULT_BUNDLE


def run_frozen(bundle: Path, home: Path, *args: str) -> tuple[int, str]:
    """Run the frozen app offscreen with its own user data folder: ``(exit code, output + log file)``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "LD_", "QT_", "MELODYGAN_"))}
    env.update(QT_QPA_PLATFORM="offscreen", MELODYGAN_HOME=str(home), OMP_NUM_THREADS="1")
    result = subprocess.run(
        [str(bundle / "melodygan-desktop"), "--smoke-test", "--seconds", "3", "--timeout", "600", *args],
        cwd=home, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
    )
    log_file = home / "logs" / "melodygan-desktop.log"
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.is_file() else ""
    return result.returncode, f"{result.stdout}\n{result.stderr}\n--- log file ---\n{log}"


def assert_no_load_errors(output: str) -> None:
    bad = [line for line in output.splitlines() if LOAD_ERRORS.search(line)]
    assert not bad, "import or Qt plugin errors:\n" + "\n".join(bad) + f"\n\nfull output:\n{output[-8000:]}"


def test_bundle_carries_app_data_and_native_libraries(bundle):
    internal = bundle / "_internal"
    assert (bundle / "melodygan-desktop").is_file() and os.access(bundle / "melodygan-desktop", os.X_OK)
    assert (internal / "resources" / "icons" / "melodygan.png").is_file()
    assert (internal / "checkpoints").is_dir()
    assert list((internal / "_soundfile_data").glob("libsndfile*")), "libsndfile is missing"
    if sys.platform.startswith("linux"):
        assert (internal / "libportaudio.so.2").is_file(), "PortAudio is missing"
        assert not list(internal.glob("libasound.so*")), "ALSA must come from the system"
    files = [p.relative_to(internal).as_posix() for p in internal.rglob("*") if p.is_file()]
    assert not [f for f in files if EXCLUDED_QT.search(f)], "unused Qt modules were bundled"
    if "flavour: cpu" in (bundle / "BUILD-INFO.txt").read_text():
        assert not [f for f in files if CUDA_FILES.search(f)], "a CPU bundle carries CUDA libraries"


def test_bundle_leaves_the_lab_out(bundle):
    """The app's modules are in the executable's archive (their names are stored uncompressed in its table of
    contents); the lab's are neither there nor beside it."""
    internal = bundle / "_internal"
    archive = (bundle / "melodygan-desktop").read_bytes()
    assert b"melodygan_desktop.cli.plugins" in archive, "the app's modules were not found: cannot check"
    assert b"melodygan_lab" not in archive, "the executable carries lab modules"
    assert not (internal / "melodygan_lab").exists()
    assert not (internal / "checkpoints" / "genre-judge").exists(), "the lab's genre judge was bundled"


def test_native_libraries_load_from_the_bundle(bundle, tmp_path):
    """libsndfile, torch and Qt load (libsndfile from the bundle); PortAudio loads or is reported missing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "LD_", "QT_"))}
    result = subprocess.run([str(bundle / "melodygan-desktop"), "--check-libraries"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "FAILED" not in output, output
    assert re.search(r"libsndfile: .* from .*_internal", output), output
    assert "PortAudio: " in output and "torch: " in output and "Qt: " in output, output


@pytest.mark.skipif(not shutil.which("ldd"), reason="needs ldd")
def test_qt_plugins_find_their_qt_libraries(bundle):
    """A Qt library left out of the bundle while a shipped plugin needs it would only show at run time."""
    internal = bundle / "_internal"
    qt = internal / "PySide6" / "Qt"
    env = dict(os.environ, LD_LIBRARY_PATH=f"{internal}:{qt / 'lib'}")
    missing = []
    for plugin in sorted((qt / "plugins").rglob("*.so")):
        listing = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, env=env).stdout
        missing += [f"{plugin.relative_to(qt)}: {line.strip()}" for line in listing.splitlines()
                    if "libQt6" in line and "not found" in line]
    assert not missing, "\n".join(missing)


def test_smoke_with_the_bundled_models(bundle, tmp_path):
    """Exit 0 with a bundled model; the documented 'no model' code 3 while checkpoints/ is empty."""
    has_models = any((bundle / "_internal" / "checkpoints").rglob("meta.json"))
    code, output = run_frozen(bundle, tmp_path)
    assert_no_load_errors(output)
    assert code == (EXIT_OK if has_models else EXIT_NO_MODEL), output[-8000:]


def test_smoke_with_a_model_trained_by_the_cli(bundle, genre_folder, tmp_path):
    """A tiny model from the real ``melodygan train`` + ``export``, loaded by the bundle with ``--model``."""
    from melodygan_desktop.cli import main

    run, model = tmp_path / "run", tmp_path / "tiny-model"
    assert main(["train", str(genre_folder), "--run-dir", str(run), *TRAIN_ARGS]) == 0
    assert main(["export", str(run), str(model), "--name", "tiny-model"]) == 0
    home = tmp_path / "home"
    home.mkdir()
    code, output = run_frozen(bundle, home, "--model", str(model))
    assert_no_load_errors(output)
    assert code == EXIT_OK, output[-8000:]
    assert "smoke test: ok" in output and "tiny-model" in output
