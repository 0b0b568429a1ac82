"""Entry point of the ``melodygan-desktop`` app: the window first, heavy imports (torch) afterwards.

``--smoke-test`` starts the real app, generates a short clip from the first installed (or ``--model``) model
through the Generate tab and exits 0 when the audio is finite and not silent (used by packaging checks).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
from pathlib import Path

log = logging.getLogger("melodygan_desktop.ui.app")

EXIT_OK, EXIT_FAILED, EXIT_TIMEOUT, EXIT_NO_MODEL = 0, 1, 2, 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="melodygan-desktop", description="MELodyGAN Desktop")
    parser.add_argument("--model", type=Path, help="also list this model folder (exported or checkpoint)")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="generate a short clip through the GUI, check it, and exit (0 = success)",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the smoke-test clip")
    parser.add_argument("--timeout", type=float, default=300.0, help="smoke-test time limit in seconds")
    parser.add_argument(
        "--measure-startup",
        action="store_true",
        help="print when the window is shown and when models are listed, then exit",
    )
    args, _qt_args = parser.parse_known_args(argv)
    return args


def _install_excepthook(window) -> None:
    """Unexpected exceptions in slots go to the log file and an error dialog instead of stderr only."""

    def hook(kind, value, trace) -> None:
        details = "".join(traceback.format_exception(kind, value, trace))
        from melodygan_desktop.services.errors import user_message

        window.errors.report("Unexpected error", user_message(value), details)

    sys.excepthook = hook


def _run_smoke_test(app, window, args: argparse.Namespace, started: float) -> None:
    """Select the first genre, generate ``args.seconds`` s, check the take, then quit with an exit code."""
    import numpy as np
    from PySide6.QtCore import QTimer

    tab = window.generate_tab
    state = {"generated": False}

    def finish(code: int, message: str) -> None:
        print(f"smoke test: {message}", flush=True)
        app.exit(code)

    def on_models(choices) -> None:
        if state["generated"]:
            return
        if not choices:
            finish(EXIT_NO_MODEL, "no model found (bundled checkpoints/ folder or user models folder)")
            return
        if tab.controls.method_combo.count() == 0:
            return  # options arrive with the first model list; wait for them
        state["generated"] = True
        if args.model is not None:
            target = args.model.resolve()
            for choice in choices:
                if Path(choice.model.path).resolve() == target:
                    tab.controls.select_key(choice.key)
                    break
        tab.controls.seconds_spin.setValue(max(args.seconds, tab.controls.seconds_spin.minimum()))
        if not tab.generate():
            finish(EXIT_FAILED, "could not start a generation")

    def on_take(take) -> None:
        audio = np.asarray(take.audio)
        rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
        if not np.all(np.isfinite(audio)) or rms < 1e-4:
            finish(EXIT_FAILED, f"generated audio is not usable (rms {rms:.2e})")
            return
        finish(
            EXIT_OK,
            f"ok: {take.model_name}, {take.genre_label}, seed {take.request.seed}, "
            f"{take.duration_seconds:.2f} s, rms {rms:.4f}, {time.perf_counter() - started:.1f} s total",
        )

    window.services.catalog.models_changed.connect(on_models)
    window.services.generation.take_ready.connect(on_take)
    window.services.generation.failed.connect(lambda message, details: finish(EXIT_FAILED, message))
    window.services.catalog.failed.connect(lambda message, details: finish(EXIT_FAILED, message))
    QTimer.singleShot(
        int(args.timeout * 1000), lambda: finish(EXIT_TIMEOUT, f"timed out after {args.timeout} s")
    )


def create_window(args: argparse.Namespace, *, show_dialogs: bool = True):
    """QApplication, services over the real core and the main window, shown: ``(app, window)``."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from melodygan_desktop import __version__, paths
    from melodygan_desktop.services import core
    from melodygan_desktop.services.container import build_services
    from melodygan_desktop.services.logging_setup import configure_logging
    from melodygan_desktop.ui.main_window import MainWindow

    log_path = configure_logging()
    log.info("MELodyGAN Desktop %s starting", __version__)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("MELodyGAN Desktop")
    app.setOrganizationName("MELodyGAN")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("melodygan-desktop")  # matches packaging/melodygan-desktop.desktop
    icon_path = paths.resources_dir() / "icons" / "melodygan.png"
    if icon_path.is_file():
        app.setWindowIcon(QIcon(str(icon_path)))
    extra = [args.model] if args.model is not None else []
    find_models = (lambda: core.find_models(core.model_folders() + extra)) if extra else None
    services = build_services(app, find_models_fn=find_models)
    window = MainWindow(services, log_path=log_path, show_dialogs=show_dialogs)
    _install_excepthook(window)
    window.show()
    app.processEvents()
    return app, window


def close_window(window) -> None:
    """Close through the normal path (saves settings, stops training, waits for jobs), then shut down."""
    if window.isVisible():
        window.confirm_close_training = lambda: True
        window.close()
    window.services.shutdown()


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(sys.argv[1:] if argv is None else argv)

    from PySide6.QtCore import QTimer

    headless = args.smoke_test or args.measure_startup
    app, window = create_window(args, show_dialogs=not headless)
    shown = time.perf_counter() - started
    log.info("window shown %.2f s after start", shown)
    if args.measure_startup:
        print(f"window shown: {shown:.3f} s (torch imported: {'torch' in sys.modules})", flush=True)

        def listed(choices) -> None:
            print(
                f"models listed: {time.perf_counter() - started:.3f} s ({len(choices)} genre choices)",
                flush=True,
            )
            app.exit(EXIT_OK)

        window.services.catalog.models_changed.connect(listed)
        window.services.catalog.failed.connect(lambda message, details: app.exit(EXIT_FAILED))
    if args.smoke_test:
        _run_smoke_test(app, window, args, started)
    QTimer.singleShot(0, window.start_background_work)
    code = app.exec()
    close_window(window)
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
