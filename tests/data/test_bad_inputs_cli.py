"""The bad-input matrix where users see it: ``melodygan prepare`` output, ``melodygan train`` output and the
run folder's ``skipped.json`` name every bad file with its reason; good files are still used."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from test_data_bad_inputs import build_matrix, write_good_variants

from melodygan_desktop.cli import main
from melodygan_desktop.training.run_folder import read_skipped

PREPARE = ["--preset", "melodygan-v3", "--clip-seconds", "1"]
#: Extra kinds beyond ``build_matrix``: file name -> accepted reason words.
EXTRA = {
    "locked.wav": ("permission denied",),
    "dangling.flac": ("broken symlink", "vanished"),
    "pipe.wav": ("not a regular file",),
}


def add_extra_kinds(folder: Path, monkeypatch) -> None:
    """A permission-denied file (simulated: root reads anything), a dangling link and a named pipe."""
    bad = folder / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    locked = bad / "locked.wav"
    locked.write_bytes((folder / "good" / "plain.wav").read_bytes())
    (bad / "dangling.flac").symlink_to(bad / "gone.flac")
    os.mkfifo(bad / "pipe.wav")
    real_open = open

    def refusing_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == os.fspath(locked):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)


def reason_lines(output: str) -> dict[str, str]:
    """File name -> the reason on its line of the printed skip list (``  <path>: <reason>``)."""
    found = {}
    for line in output.splitlines():
        if line.startswith("  /"):
            path, _, reason = line.strip().partition(": ")
            found[Path(path).name] = reason.lower()
    return found


def test_prepare_names_every_bad_file_with_its_reason(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    expect = {**build_matrix(data), **EXTRA}
    good = write_good_variants(data)
    add_extra_kinds(data, monkeypatch)
    code = main(["prepare", str(data), *PREPARE, "--cache-dir", str(tmp_path / "cache")])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = reason_lines(out)
    assert len(expect) >= 13
    for name, words in expect.items():
        assert name in lines, f"{name} missing from:\n{out}"
        assert any(word in lines[name] for word in words), lines[name]
    # Every unusual but valid file is used, the one whose name is not valid UTF-8 included.
    assert f"{len(good)} tracks" in out and f"skipped {len(expect)} file(s)" in out


def test_a_folder_of_only_bad_files_is_one_clear_error(tmp_path, capsys):
    expect = build_matrix(tmp_path / "data")
    code = main(["prepare", str(tmp_path / "data"), *PREPARE, "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"No usable audio in {tmp_path / 'data'}" in err
    for name in expect:
        assert name in err


@pytest.mark.parametrize("kind", ["empty folder", "no audio files"])
def test_train_on_a_folder_without_audio_is_one_clear_error(tmp_path, capsys, kind):
    (tmp_path / "data").mkdir()
    if kind == "no audio files":
        (tmp_path / "data" / "cover.jpg").write_bytes(b"\xff\xd8")
    code = main(["train", str(tmp_path / "data"), "--run-dir", str(tmp_path / "run"), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1 and "no audio files found" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "step_00000001").exists()


def test_training_reports_skipped_files_and_the_run_folder_keeps_them(genre_folder, tmp_path, capsys):
    expect = build_matrix(genre_folder / "jazz" / "extras")
    run = tmp_path / "run"
    code = main(["train", str(genre_folder), "--run-dir", str(run), "--preset", "melodygan-v3",
                 "--steps", "1", "--batch-size", "2", "--clip-seconds", "2", "--threads", "1",
                 "--device", "cpu", "--cache-dir", str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert code == 0 and "4 tracks" in out
    lines = reason_lines(out)
    logged = {Path(path).name: reason.lower() for path, reason in read_skipped(run)}
    assert sorted(logged) == sorted(expect)
    for name, words in expect.items():
        assert any(word in lines[name] for word in words) and any(word in logged[name] for word in words)
