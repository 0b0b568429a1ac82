"""Crash safety: SIGKILL the real ``melodygan train`` at random moments, checkpoint writes included.

After every kill: the newest complete checkpoint loads (weights and resume state, same step), no
half-written folder is ever picked, ``train --resume`` continues from exactly that step, and at most one
checkpoint interval of logged work is lost. The commands run in processes forked from one warm interpreter
(``fork_runner.py``) so that each of the kills costs training time, not import time.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from melodygan_desktop import checkpoints

CHECKPOINT_EVERY = 2
KILLS = 21
TRAIN_ARGS = ["--preset", "melodygan-v3", "--steps", "100000", "--batch-size", "2", "--clip-seconds", "2",
              "--threads", "1", "--device", "cpu", "--checkpoint-every", str(CHECKPOINT_EVERY),
              "--keep-last", "2", "--log-every", "1", "--preview-every", "100000"]
TMP_STEP = re.compile(r"^step_\d{8}\.tmp$")
WAIT_SECONDS = 60.0

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


class Runner:
    """Client of ``fork_runner.py``: starts commands in forked processes and reaps them."""

    def __init__(self) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        script = Path(__file__).with_name("fork_runner.py")
        self.process = subprocess.Popen(
            [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        assert self._reply() == {"ready": True}

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        assert line, "the fork runner died"
        return json.loads(line)

    def _ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._reply()

    def start(self, argv: list[str], log: Path) -> int:
        return self._ask({"op": "run", "argv": argv, "log": str(log)})["pid"]

    def wait(self, pid: int) -> dict:
        return self._ask({"op": "wait", "pid": pid})

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def runner():
    started = Runner()
    yield started
    started.close()


def wait_for(condition, pid: int, what: str) -> None:
    """Poll ``condition`` every millisecond; fail if the run ends or nothing happens in time."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.001)


def fresh_tmp_folder(run: Path, since: float):
    """True once a ``step_X.tmp`` folder created after ``since`` exists (one a killed run left is older)."""
    def seen() -> bool:
        try:
            entries = list(os.scandir(run))
        except OSError:
            return False
        for entry in entries:
            try:
                if TMP_STEP.match(entry.name) and entry.stat().st_mtime >= since:
                    return True
            except OSError:
                continue  # renamed into place while we looked
        return False
    return seen


def read_latest_txt(run: Path) -> str | None:
    try:
        return (run / "latest.txt").read_text()
    except OSError:
        return None


def logged_steps(run: Path) -> list[int]:
    steps = []
    if (run / "metrics.jsonl").exists():
        for line in (run / "metrics.jsonl").read_text().splitlines():
            try:
                steps.append(json.loads(line)["step"])
            except ValueError:
                continue  # a line cut short by the kill
    return steps


def check_checkpoints(run: Path) -> int:
    """Every checkpoint a reader could pick is complete and consistent; returns the newest step (0: none)."""
    complete = checkpoints.list_checkpoints(run)
    latest = checkpoints.latest_checkpoint(run)
    assert latest == (complete[-1] if complete else None)
    for folder in complete:
        step = int(folder.name.split("_")[1])
        assert checkpoints.load_generator(folder).meta.step == step
        assert checkpoints.load_training_state(folder)["step"] == step
    return int(latest.name.split("_")[1]) if latest else 0


def test_sigkill_at_random_moments_never_loses_more_than_one_interval(runner, genre_folder, tmp_path):
    run = tmp_path / "run"
    cache = tmp_path / "cache"
    rng = random.Random(20240611)
    moments = ["during a checkpoint write", "just after latest.txt moved", "at a random time"] * (KILLS // 3)
    rng.shuffle(moments)
    latest, verified_resumes, max_lost, mid_write, tally = 0, 0, 0, 0, dict.fromkeys(moments, 0)
    for kill, moment in enumerate(moments):
        if (run / "config.json").exists():
            argv = ["train", "--resume", str(run), "--steps", "100000", "--threads", "1", "--device", "cpu"]
        else:
            argv = ["train", str(genre_folder), "--run-dir", str(run), "--cache-dir", str(cache), *TRAIN_ARGS]
        log = tmp_path / f"attempt_{kill:02d}.log"
        launched, latest_txt = time.time(), read_latest_txt(run)
        pid = runner.start(argv, log)
        if moment == "during a checkpoint write":
            wait_for(fresh_tmp_folder(run, launched), pid, "a checkpoint write")
            time.sleep(rng.uniform(0.0, 0.004))
        elif moment == "just after latest.txt moved":
            wait_for(lambda before=latest_txt: read_latest_txt(run) != before, pid, "a new latest.txt")
        else:
            time.sleep(rng.uniform(0.05, 1.5))
        os.kill(pid, signal.SIGKILL)
        assert runner.wait(pid) == {"signal": signal.SIGKILL}, log.read_text()

        output = log.read_text(errors="replace")
        resumed = re.search(r"resuming melodygan-v3 on cpu in .* from step (\d+)", output)
        if resumed:
            assert int(resumed.group(1)) == latest, output
            verified_resumes += 1
        else:
            assert latest == 0 or "Traceback" not in output and "training melodygan-v3" not in output, output
        mid_write += any(TMP_STEP.match(name) for name in os.listdir(run))  # killed inside save_checkpoint
        newest = check_checkpoints(run)
        assert newest >= latest  # a kill never takes a finished checkpoint away
        latest = newest
        lost = max(logged_steps(run), default=0) - latest
        assert 0 <= lost <= CHECKPOINT_EVERY, (moment, lost)
        max_lost = max(max_lost, lost)
        tally[moment] += 1

    assert latest > 0 and verified_resumes >= KILLS // 2, (latest, verified_resumes)
    assert mid_write >= 3, f"only {mid_write} kills landed inside a checkpoint write"
    final = latest + CHECKPOINT_EVERY
    pid = runner.start(["train", "--resume", str(run), "--steps", str(final), "--threads", "1",
                        "--device", "cpu"], tmp_path / "final.log")
    assert runner.wait(pid) == {"exit_code": 0}, (tmp_path / "final.log").read_text()
    output = (tmp_path / "final.log").read_text()
    assert f"from step {latest}" in output and f"completed at step {final}" in output
    assert check_checkpoints(run) == final
    assert logged_steps(run) == list(range(1, final + 1))  # no step lost from or repeated in the log
    assert not [p.name for p in run.iterdir() if p.name.startswith(("step_", "latest")) and ".tmp" in p.name]
    print(f"\n{KILLS} kills {tally}, {mid_write} inside a checkpoint write; {verified_resumes} resumes "
          f"checked; max lost steps {max_lost}; final step {final}")
