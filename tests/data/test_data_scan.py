"""Scanning a data folder: genre labels from folder names, and entries refused before any decoding."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from datahelpers import make_genre_folder, tone, write_wav

from melodygan_desktop.data.prepared import DataFolderError, scan_folder
from melodygan_desktop.data.scan import check_file, label_tracks


def genres_of(result) -> dict[str, str]:
    return {track.relative: track.genre for track in result.tracks}


def test_gtzan_layout_works_from_either_level(tmp_path):
    data = tmp_path / "Data"
    make_genre_folder(data / "genres_original", {"blues": 2, "rock": 1}, seconds=0.1)
    (data / "images_original" / "blues").mkdir(parents=True)
    (data / "images_original" / "blues" / "blues00000.png").write_bytes(b"\x89PNG")
    (data / "features_30_sec.csv").write_text("filename,label\n")
    for root in (data, data / "genres_original"):
        result = scan_folder(root)
        assert result.genres == ("blues", "rock")
        assert len(result.tracks) == 3
        assert result.skipped == []
    assert scan_folder(data).ignored_files == 2


def test_flat_folder_is_one_label_named_after_the_folder(tmp_path):
    folder = tmp_path / "my jazz"
    for index in range(3):
        write_wav(folder / f"take{index}.wav", tone(0.1))
    result = scan_folder(folder)
    assert result.genres == ("my jazz",)
    assert {track.genre for track in result.tracks} == {"my jazz"}


def test_leading_common_folders_are_stripped_and_root_files_take_the_root_name(tmp_path):
    root = Path("/music")
    paths = [root / "collection" / "rock" / "a.wav", root / "collection" / "pop" / "live" / "b.wav"]
    assert [t.genre for t in label_tracks(root, paths)] == ["rock", "pop"]
    paths = [root / "collection" / "x.wav", root / "collection" / "ambient" / "y.wav"]
    assert [t.genre for t in label_tracks(root, paths)] == ["collection", "ambient"]
    paths = [root / "only" / "one" / "z.wav"]
    assert [t.genre for t in label_tracks(root, paths)] == ["one"]


def test_hidden_files_and_non_audio_files_are_ignored(tmp_path):
    write_wav(tmp_path / "a" / "x.wav", tone(0.1))
    (tmp_path / "a" / "._x.wav").write_bytes(b"\0\5\x16\7")  # macOS AppleDouble
    (tmp_path / ".cache").mkdir()
    write_wav(tmp_path / ".cache" / "y.wav", tone(0.1))
    (tmp_path / "a" / "notes.txt").write_text("hi")
    result = scan_folder(tmp_path)
    assert [t.relative for t in result.tracks] == ["a/x.wav"]
    assert result.ignored_files == 1


def test_bad_entries_are_reported_with_reasons(tmp_path):
    write_wav(tmp_path / "good.wav", tone(0.1))
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "folder.wav").mkdir()
    (tmp_path / "loop.wav").symlink_to(tmp_path / "loop.wav")
    (tmp_path / "broken.flac").symlink_to(tmp_path / "missing.flac")
    album = tmp_path / "album.mp3"  # a folder named like a file, holding real tracks: scanned
    write_wav(album / "t1.wav", tone(0.1))
    result = scan_folder(tmp_path)
    reasons = {Path(path).name: reason for path, reason in result.skipped}
    assert reasons["empty.wav"].startswith("empty file")
    assert "folder" in reasons["folder.wav"]
    assert reasons["loop.wav"] == "symlink loop"
    assert "broken symlink" in reasons["broken.flac"]
    assert sorted(t.relative for t in result.tracks) == ["album.mp3/t1.wav", "good.wav"]


def test_symlinked_folder_loop_is_scanned_once(tmp_path):
    write_wav(tmp_path / "rock" / "a.wav", tone(0.1))
    (tmp_path / "rock" / "again").symlink_to(tmp_path, target_is_directory=True)
    result = scan_folder(tmp_path)
    assert [t.relative for t in result.tracks] == ["rock/a.wav"]
    assert any("symlink loop" in reason for _, reason in result.skipped)


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    path = write_wav(tmp_path / "locked.wav", tone(0.1))
    if os.geteuid() != 0:  # root reads any file, so simulate the refusal there
        path.chmod(0)
    else:
        real_open = open

        def refusing_open(file, *args, **kwargs):
            if Path(file) == path:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr("builtins.open", refusing_open)
    try:
        assert check_file(path) == "permission denied"
    finally:
        path.chmod(0o644)


def test_unicode_and_very_long_names(tmp_path):
    long_name = ("ü" * 100) + "_音楽.wav"  # about 210 bytes in UTF-8, under the 255-byte limit
    write_wav(tmp_path / "Ωmega ♫" / long_name, tone(0.1))
    odd = os.fsencode(tmp_path / "Ωmega ♫") + b"/bad\xff\xfename.wav"
    with open(odd, "wb") as handle:
        handle.write(open(tmp_path / "Ωmega ♫" / long_name, "rb").read())
    result = scan_folder(tmp_path)
    assert len(result.tracks) == 2
    assert result.genres == ("Ωmega ♫",)


def test_missing_or_non_folder_data_dir_is_a_clear_error(tmp_path):
    with pytest.raises(DataFolderError, match="does not exist"):
        scan_folder(tmp_path / "nope")
    (tmp_path / "file.wav").write_bytes(b"x")
    with pytest.raises(DataFolderError, match="not a folder"):
        scan_folder(tmp_path / "file.wav")
