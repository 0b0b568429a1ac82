"""One training process per run folder: a second one is refused with a clear message, a dead holder is not."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from melodygan_desktop.config import TrainConfig
from melodygan_desktop.training.loop import train
from melodygan_desktop.training.run_lock import RunFolderBusyError, run_folder_lock


def test_a_second_holder_is_refused_and_the_lock_is_free_again_after(tmp_path):
    run_dir = tmp_path / "run"
    with run_folder_lock(run_dir):
        with pytest.raises(RunFolderBusyError, match=r"another training process is using this run folder"):
            with run_folder_lock(run_dir):
                pass
    with run_folder_lock(run_dir):  # released on exit
        pass


def test_training_refuses_a_run_folder_another_process_holds(tmp_path):
    run_dir = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from pathlib import Path
            from melodygan_desktop.training.run_lock import run_folder_lock
            with run_folder_lock(Path({str(run_dir)!r})):
                print("locked", flush=True)
                sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        config = TrainConfig(data_dir=str(tmp_path / "no-data-needed"), preset="melodygan-cond", steps=1)
        with pytest.raises(RunFolderBusyError, match=rf"\(process {holder.pid}\)"):
            next(train(config, run_dir))
        assert not (run_dir / "config.json").exists()  # nothing was touched
    finally:
        holder.kill()
        holder.wait()
    with run_folder_lock(run_dir):  # a killed holder leaves no stale lock
        pass
