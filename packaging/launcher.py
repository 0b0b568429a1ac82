"""Entry script of the frozen app: the same ``main`` as the ``melodygan-desktop`` command.

One extra flag for the bundle only: ``--check-libraries`` prints where the native libraries (libsndfile,
PortAudio, torch, Qt) were loaded from and exits 0 when the required ones load (PortAudio is optional: the
app runs without sound output). Attach its output to a problem report about the desktop bundle.
"""

from __future__ import annotations

import multiprocessing
import sys


def check_libraries() -> int:
    """Load each native library the app needs and print its version and origin; 1 if a required one fails."""
    failures = 0
    print(f"bundle: {getattr(sys, '_MEIPASS', '(not frozen)')}")
    try:
        import soundfile

        origin = getattr(soundfile, "_full_path", None) or getattr(soundfile, "_libname", "?")
        print(f"libsndfile: {soundfile.__libsndfile_version__} from {origin}")
    except (ImportError, OSError) as exc:
        failures += 1
        print(f"libsndfile: FAILED: {type(exc).__name__}: {exc}")
    try:
        import sounddevice

        origin = getattr(sounddevice, "_libname", "?")
        print(f"PortAudio: {sounddevice.get_portaudio_version()[1]} from {origin}")
    except (ImportError, OSError) as exc:  # optional: the app reports "no audio output" and runs on
        print(f"PortAudio: unavailable ({type(exc).__name__}: {exc})")
    try:
        import torch
        import torchaudio

        mel = torchaudio.transforms.MelSpectrogram(n_fft=1024, n_mels=64)(torch.zeros(4096))
        print(f"torch: {torch.__version__} (CUDA {torch.version.cuda or 'none'}), "
              f"torchaudio: {torchaudio.__version__}, mel {tuple(mel.shape)}")
    except (ImportError, OSError) as exc:
        failures += 1
        print(f"torch: FAILED: {type(exc).__name__}: {exc}")
    try:
        from PySide6.QtCore import QLibraryInfo, qVersion

        plugins = QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)
        print(f"Qt: {qVersion()}, plugins in {plugins}")
    except ImportError as exc:
        failures += 1
        print(f"Qt: FAILED: {type(exc).__name__}: {exc}")
    return 1 if failures else 0


def run(argv: list[str]) -> int:
    if "--check-libraries" in argv:
        return check_libraries()
    from melodygan_desktop.app import main

    return main(argv)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must run its task, not a second window
    sys.exit(run(sys.argv[1:]))
