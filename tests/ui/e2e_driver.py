"""Drives the real app in a real window (run it under Xvfb): pick a genre, generate, play, export a WAV,
look at the Train tab, and save screenshots of the Generate, Train and Models tabs.

    xvfb-run -a -s "-screen 0 1400x900x24" python tests/ui/e2e_driver.py --out OUT [--music DIR]
        [--train-steps N] [--screenshots docs/images]

Prints one JSON line with what happened; exits non-zero with the reason when a step fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def wait_for(app, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def drive(app, window, options: argparse.Namespace) -> dict:
    import numpy as np
    import soundfile as sf
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from melodygan_desktop.audio.io import read_metadata

    report: dict = {"platform": app.platformName()}
    window.resize(1360, 860)
    services, tab = window.services, window.generate_tab
    controls = tab.controls
    window.tabs.setCurrentWidget(tab)
    window.start_background_work()
    wait_for(
        app,
        lambda: controls.genre_combo.count() > 0 and tab.generate_button.isEnabled(),
        180,
        "the genre picker",
    )
    report["genres"] = [controls.genre_combo.itemText(i) for i in range(controls.genre_combo.count())]

    # select a genre, as a user does, with the keyboard: the user's model is listed first (its heading
    # cannot be picked), so Home lands on its first genre and Down on its second
    controls.genre_combo.setFocus()
    QTest.keyClick(controls.genre_combo, Qt.Key.Key_Home)
    QTest.keyClick(controls.genre_combo, Qt.Key.Key_Down)
    report["genre"] = controls.genre_combo.currentText()
    controls.seconds_spin.setValue(options.seconds)
    takes = []
    services.generation.take_ready.connect(takes.append)
    QTest.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    wait_for(app, lambda: takes and tab.generate_button.isEnabled(), 300, "the generated take")
    take = takes[-1]
    report["take"] = {"genre": take.genre_label, "seed": take.request.seed, "seconds": take.duration_seconds}

    QTest.mouseClick(tab.transport.play_button, Qt.MouseButton.LeftButton)
    settle(app, 1.2)
    report["audio_available"] = services.playback.available
    report["played_seconds"] = services.playback.position_seconds
    report["status"] = window.statusBar().currentMessage()
    report["audio_label"] = window.audio_label.text()
    if services.playback.available and services.playback.position_seconds <= 0:
        raise AssertionError("Play was pressed but the play position did not move")
    QTest.mouseClick(tab.transport.play_button, Qt.MouseButton.LeftButton)  # pause for the screenshot
    settle(app, 0.3)

    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    tab.ask_save_path = lambda default: out / default.name
    exported = []
    tab.exported.connect(exported.append)
    QTest.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    wait_for(app, lambda: exported, 60, "the export")
    audio, rate = sf.read(exported[0], dtype="float32")
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    if rms < 1e-3:
        raise AssertionError(f"the exported WAV is silent (rms {rms:.2e})")
    report["export"] = {"path": exported[0], "rms": rms, "rate": rate, "metadata": read_metadata(exported[0])}

    shots = Path(options.screenshots) if options.screenshots else out
    shots.mkdir(parents=True, exist_ok=True)
    settle(app, 0.3)
    window.grab().save(str(shots / "generate-tab.png"))

    window.tabs.setCurrentWidget(window.train_tab)
    train = window.train_tab
    if options.music:
        train.form.set_folder(str(Path(options.music).resolve()))
        wait_for(
            app,
            lambda: (
                train.summary.summary is not None
                or "red" in train.summary.label.styleSheet()
                or "#e03131" in train.summary.label.styleSheet()
            ),
            600,
            "the data summary",
        )
        report["summary"] = train.summary.label.text()
    if options.music and options.train_steps > 0:
        if options.fine_tune:
            form = train.form
            wanted = str(Path(options.fine_tune).resolve())
            index = next(
                i
                for i in range(form.init_combo.count())
                if form.init_combo.itemData(i) and str(Path(form.init_combo.itemData(i)).resolve()) == wanted
            )
            form.init_combo.setCurrentIndex(index)
        elif options.preset:
            train.form.preset_combo.setCurrentIndex(train.form.preset_combo.findData(options.preset))
        train.form.steps_spin.setValue(options.train_steps)
        if options.batch:
            train.form.batch_spin.setValue(options.batch)
        finished = []
        services.training.finished.connect(finished.append)
        train.auto_install_box.setChecked(True)  # install the completed run as a model
        wait_for(app, train.start_button.isEnabled, 60, "the Start button")
        QTest.mouseClick(train.start_button, Qt.MouseButton.LeftButton)
        wait_for(app, lambda: finished, options.train_timeout, "the training run")
        wait_for(app, lambda: train.trained_model is not None, 60, "the trained model")
        settle(app, 0.5)
        report["training"] = {
            "reason": finished[0].reason,
            "message": train.monitor.message.text(),
            "model": train.trained_model,
        }
    settle(app, 0.3)
    window.grab().save(str(shots / "train-tab.png"))
    if options.music and options.train_steps > 0:
        open_trained_model(app, window, report, shots)
    window.tabs.setCurrentWidget(window.models_tab)  # the model manager
    wait_for(app, lambda: window.models_tab.table.rowCount() > 0, 60, "the model list")
    settle(app, 0.3)
    window.grab().save(str(shots / "models-tab.png"))
    report["models"] = [d.model_id for d in window.models_tab.details]
    report["screenshots"] = sorted(str(p) for p in shots.glob("*-tab.png"))
    return report


def open_trained_model(app, window, report: dict, shots: Path) -> None:
    """Open in Generate, generate from the new model, and take the Generate screenshot again."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    train, tab = window.train_tab, window.generate_tab
    QTest.mouseClick(train.open_button, Qt.MouseButton.LeftButton)
    trained = Path(train.trained_model).resolve()

    def selected() -> bool:
        choice = tab.controls.current_choice()
        return choice is not None and Path(choice.model.path).resolve() == trained

    wait_for(app, selected, 60, "the trained model in the genre picker")
    model = tab.controls.current_choice().model
    tab.controls.select_key(f"{Path(model.path)}::{model.genres[-1]}")  # its last genre
    takes = []
    window.services.generation.take_ready.connect(takes.append)
    QTest.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    wait_for(app, lambda: takes and tab.generate_button.isEnabled(), 300, "a take of the trained model")
    report["trained_take"] = {"genre": takes[-1].genre_label, "model": takes[-1].model_name}
    tab.seek(takes[-1].duration_seconds * 0.4)  # a playhead inside the take for the picture
    settle(app, 0.5)
    window.grab().save(str(shots / "generate-tab.png"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--screenshots")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--music")
    parser.add_argument("--preset")
    parser.add_argument("--fine-tune", help="an installed model to start the training run from")
    parser.add_argument("--batch", type=int, default=0)
    parser.add_argument("--train-steps", type=int, default=0)
    parser.add_argument("--train-timeout", type=float, default=1800)
    parser.add_argument("--seconds", type=float, default=8.0)
    options = parser.parse_args()

    from melodygan_desktop.ui.app import close_window, create_window, parse_args

    app_args = parse_args(["--model", str(options.model)] if options.model else [])
    app, window = create_window(app_args, show_dialogs=False)
    try:
        report = drive(app, window, options)
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}", "reported": window.errors.reported}))
        close_window(window)
        return 1
    report["errors_reported"] = window.errors.reported
    close_window(window)
    print(json.dumps(report, default=str))
    return 0 if not report["errors_reported"] else 1


if __name__ == "__main__":
    sys.exit(main())
