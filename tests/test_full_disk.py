"""A real full disk: training with its run folder on a 30 MB tmpfs.

The checkpoint that does not fit ends the run with one clear line ("disk full: ... the last good checkpoint
is step N"), no traceback, nothing half-written left behind; a resume while the disk is still full says the
same instead of a bare Errno 28; once space is freed, the run resumes from the last good checkpoint.

Mounting needs root (CI runs as root); elsewhere the tests are skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from melodygan_desktop import checkpoints
from melodygan_desktop.cli import main

TRAIN = ["--preset", "melodygan-v3", "--batch-size", "2", "--clip-seconds", "2", "--threads", "1",
         "--device", "cpu", "--checkpoint-every", "2", "--log-every", "1", "--preview-every", "1000",
         "--keep-last", "5"]


@pytest.fixture
def small_disk(tmp_path):
    """A real 30 MB tmpfs mounted at ``tmp_path/disk`` (unmounted afterwards)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command: cannot create a real small file system here")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=30m", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {result.stderr.strip() or result.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder, leave_bytes: int) -> None:
    """Fill ``folder``'s file system with a real file until about ``leave_bytes`` are free."""
    free = shutil.disk_usage(folder).free
    with open(folder / f"filler-{len(list(folder.glob('filler-*')))}.bin", "wb") as handle:
        chunk = b"\0" * (1 << 20)
        remaining = max(0, free - leave_bytes)
        try:
            while remaining > 0:
                remaining -= handle.write(chunk[:min(len(chunk), remaining)])
            handle.flush()
            os.fsync(handle.fileno())
        except OSError:
            pass  # the disk filled up a little earlier than statvfs said


def leftovers(run):
    return sorted(p.name for p in run.iterdir() if p.name.endswith(".tmp"))


def folder_bytes(folder) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_a_full_disk_while_checkpointing_is_one_clear_message_and_resume_works(
    small_disk, genre_folder, tmp_path, capsys
):
    run = small_disk / "run"
    resume = ["train", "--resume", str(run), "--threads", "1", "--device", "cpu"]
    code = main(["train", str(genre_folder), "--run-dir", str(run), "--steps", "2",
                 "--cache-dir", str(tmp_path / "cache"), *TRAIN])
    assert code == 0
    step_bytes = folder_bytes(run / "step_00000002")
    fill(small_disk, leave_bytes=step_bytes // 3)  # the small files fit, a checkpoint does not
    capsys.readouterr()

    assert main([*resume, "--steps", "4"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "disk full: could not write checkpoint" in err and "No space left on device" in err, err[-600:]
    assert f"the last good checkpoint is step 2 ({run / 'step_00000002'})" in err
    assert leftovers(run) == []
    assert [p.name for p in checkpoints.list_checkpoints(run)] == ["step_00000002"]

    fill(small_disk, leave_bytes=0)  # now nothing fits: the resume itself says so, no bare Errno 28
    assert main([*resume, "--steps", "4"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "disk full: could not write" in err
    assert "the last good checkpoint is step 2" in err and "[Errno 28]" not in err
    assert leftovers(run) == []

    for filler in small_disk.glob("filler-*.bin"):
        filler.unlink()  # space freed: the run continues from the last good checkpoint
    assert main([*resume, "--steps", "4"]) == 0
    assert "from step 2" in capsys.readouterr().out
    assert checkpoints.load_generator(run).meta.step == 4
    assert checkpoints.load_training_state(run)["step"] == 4
    assert leftovers(run) == []


def test_a_full_disk_while_exporting_leaves_nothing_behind(small_disk, tmp_path, capsys):
    from test_checkpoints import save

    save(tmp_path / "run", 2)
    models = small_disk / "models"
    models.mkdir()
    fill(small_disk, leave_bytes=64 << 10)
    assert main(["export", str(tmp_path / "run"), str(models / "m")]) == 1
    err = capsys.readouterr().err
    assert "disk full: could not export to" in err and "Traceback" not in err
    assert list(models.iterdir()) == []
