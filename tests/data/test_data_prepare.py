"""prepare_dataset: clips and labels, the on-disk cache, the split by track, and the batch sampler."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import torch
from datahelpers import TINY_MEL, make_genre_folder, tone, write_wav

from melodygan_desktop.audio.mel import MelFrontEnd
from melodygan_desktop.config import MelConfig
from melodygan_desktop.data import clips as clips_module
from melodygan_desktop.data.prepared import (
    ClipSampler,
    PreparationCancelled,
    prepare_dataset,
    split_tracks,
)
from melodygan_desktop.data.scan import Track


def prepare(folder, cache, **kwargs):
    kwargs.setdefault("val_fraction", 0.25)
    return prepare_dataset(folder, TINY_MEL, cache_dir=cache, seed=0, **kwargs)


def test_clips_labels_and_summary(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"ambient": 4, "techno": 4}, seconds=3.5)
    prepared = prepare(data, tmp_path / "cache")
    assert prepared.genres == ("ambient", "techno")
    summary = prepared.summary
    assert (summary.tracks, summary.clips, summary.seconds) == (8, 24, 24.0)  # 3 whole clips a track
    assert summary.clips_per_genre == {"ambient": 12, "techno": 12}
    assert summary.skipped == () and summary.cache_hits == 0
    for split in (prepared.train, prepared.val):
        assert split.mels.dtype == np.float16 and split.labels.dtype == np.int64
        assert split.mels.shape[1:] == (TINY_MEL.n_mels, TINY_MEL.frames)
        assert 0.0 <= float(split.mels.min()) and float(split.mels.max()) <= 1.0
    assert (len(prepared.train), len(prepared.val)) == (18, 6)
    assert set(prepared.train.track_ids).isdisjoint(prepared.val.track_ids)  # split by track
    assert sorted(np.unique(prepared.val.labels)) == [0, 1]  # stratified: one val track per genre
    for index, track in enumerate(prepared.tracks):
        rows = np.concatenate([prepared.train.labels[prepared.train.track_ids == index],
                               prepared.val.labels[prepared.val.track_ids == index]])
        assert set(rows) == {prepared.genres.index(track.genre)}


def test_default_mel_gives_paper_shape(tmp_path, chord):
    write_wav(tmp_path / "data" / "song.wav", chord(21.0), sample_rate=22050)
    prepared = prepare_dataset(tmp_path / "data", MelConfig(), cache_dir=tmp_path / "cache", val_fraction=0.1)
    assert prepared.train.mels.shape == (2, 128, 431)
    assert len(prepared.val) == 0


def test_second_prepare_hits_the_cache_and_changes_invalidate_it(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 2, "b": 2}, seconds=2.2)
    write_wav(data / "a" / "quiet.wav", np.zeros(20000, np.float32))
    first = prepare(data, tmp_path / "cache")
    second = prepare(data, tmp_path / "cache")
    assert first.summary.cache_hits == 0
    assert second.summary.cache_hits == 5  # the silent file's refusal is cached too
    np.testing.assert_array_equal(first.train.mels, second.train.mels)
    assert first.summary.skipped == second.summary.skipped
    changed = data / "a" / "a.00000.wav"
    write_wav(changed, tone(3.3, seed=9))
    third = prepare(data, tmp_path / "cache")
    assert third.summary.cache_hits == 4 and third.summary.clips == first.summary.clips + 1
    other_mel = dataclasses.replace(TINY_MEL, n_mels=24)
    fourth = prepare_dataset(data, other_mel, cache_dir=tmp_path / "cache", val_fraction=0.25)
    assert fourth.summary.cache_hits == 0 and fourth.train.mels.shape[1] == 24


def test_damaged_cache_entry_is_recomputed(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 1}, seconds=2.2)
    first = prepare(data, tmp_path / "cache")
    for npy in (tmp_path / "cache").glob("*.npy"):
        npy.write_bytes(b"\x93NUMPY garbage")
    again = prepare(data, tmp_path / "cache")
    assert again.summary.cache_hits == 0
    np.testing.assert_array_equal(first.train.mels, again.train.mels)


def test_unwritable_cache_does_not_stop_preparation(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 1}, seconds=1.5)
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("x")
    prepared = prepare(data, blocker / "sub")
    assert prepared.summary.clips == 1


def test_split_is_deterministic_stratified_and_keeps_a_train_track_per_genre():
    tracks = [Track(path=f"/d/{g}/{i}.wav", genre=g, relative=f"{g}/{i}.wav") for g, n in
              (("big", 20), ("small", 2), ("single", 1)) for i in range(n)]
    is_val = split_tracks(tracks, 0.2, seed=3)
    assert is_val == split_tracks(tracks, 0.2, seed=3)
    assert is_val != split_tracks(tracks, 0.2, seed=4)
    pairs = list(zip(tracks, is_val, strict=True))
    val_by_genre = {g: sum(v for t, v in pairs if t.genre == g) for g in ("big", "small", "single")}
    assert val_by_genre == {"big": 4, "small": 0, "single": 0}  # 2 * 0.2 rounds to 0: both stay in train
    assert split_tracks(tracks[-1:], 0.5, seed=0) == [False]
    assert split_tracks(tracks[20:22], 0.5, seed=0).count(False) >= 1
    tiny = [Track(path=f"/d/{i}.wav", genre=f"g{i}", relative=f"{i}.wav") for i in range(3)]
    assert split_tracks(tiny, 0.1, seed=0) == [False] * 3  # one track per genre: nothing to hold out


@pytest.mark.parametrize("count", [1, 2])
def test_tiny_folders_still_train(tmp_path, count):
    data = make_genre_folder(tmp_path / "data", {"solo": count}, seconds=1.2)
    prepared = prepare(data, tmp_path / "cache", val_fraction=0.1)
    assert len(prepared.train) == count and len(prepared.val) == 0
    mels, labels = next(ClipSampler(prepared.train, batch_size=4, seed=0))
    assert mels.shape == (4, 1, TINY_MEL.n_mels, TINY_MEL.frames) and labels.tolist() == [0] * 4


def test_long_files_are_streamed_in_blocks_and_cut_continuously(tmp_path, monkeypatch):
    audio = tone(12.5, seed=1)
    path = write_wav(tmp_path / "data" / "long.wav", audio)
    from melodygan_desktop.audio import io as audio_io

    calls = []
    real_blocks = audio_io.iter_audio_blocks

    def spy(*args, **kwargs):
        calls.append(kwargs.get("block_seconds"))
        yield from real_blocks(*args, **kwargs)

    monkeypatch.setattr(audio_io, "iter_audio_blocks", spy)
    front_end = clips_module.make_front_end(TINY_MEL)
    streamed = clips_module.file_to_mels(path, TINY_MEL, front_end, block_seconds=0.7)
    assert calls == [0.7] and streamed.mels.shape[0] == 12
    whole = MelFrontEnd(TINY_MEL)(torch.from_numpy(audio[: 12 * 8000].reshape(12, 8000))).numpy()
    np.testing.assert_allclose(streamed.mels.astype(np.float32), whole, atol=2e-3)


def test_progress_reports_every_file_and_should_stop_cancels(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 3}, seconds=1.1)
    seen = []
    prepare(data, tmp_path / "cache", progress=lambda done, total, path: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(PreparationCancelled):
        prepare(data, tmp_path / "cache", should_stop=lambda: True)


def test_sampler_resumes_exactly_from_its_state(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 2, "b": 1}, seconds=3.2)
    train = prepare(data, tmp_path / "cache", val_fraction=0.0).train
    assert len(train) == 9
    first = ClipSampler(train, batch_size=4, seed=7)
    for _ in range(3):
        next(first)
    state = first.state_dict()
    resumed = ClipSampler(train, batch_size=4, seed=0)
    resumed.load_state_dict(state)
    for _ in range(4):
        (m1, l1), (m2, l2) = next(first), next(resumed)
        assert torch.equal(m1, m2) and torch.equal(l1, l2)
    assert m1.dtype == torch.float32 and l1.dtype == torch.int64


def test_sampler_epochs_cover_all_clips(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 3}, seconds=3.2)
    train = prepare(data, tmp_path / "cache", val_fraction=0.0).train
    sampler = ClipSampler(train, batch_size=3, seed=1)
    drawn = np.concatenate([sampler.next_indices() for _ in range(6)])  # two epochs of 9 clips
    assert sorted(drawn[:9]) == list(range(9)) and sorted(drawn[9:]) == list(range(9))
    assert not np.array_equal(drawn[:9], drawn[9:])
    assert sampler.epoch == 2


def test_cache_files_are_float16_npy_per_file(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 2}, seconds=2.1)
    prepare(data, tmp_path / "cache")
    entries = sorted((tmp_path / "cache").glob("*.npy"))
    assert len(entries) == 2
    loaded = np.load(entries[0], allow_pickle=False)
    assert loaded.dtype == np.float16 and loaded.shape == (2, TINY_MEL.n_mels, TINY_MEL.frames)
    assert not [p for p in os.listdir(tmp_path / "cache") if p.endswith(".tmp")]


def test_two_hour_file_is_streamed_with_bounded_memory(tmp_path, monkeypatch):
    import tracemalloc
    from types import SimpleNamespace

    from melodygan_desktop.audio import io as audio_io

    mel = MelConfig(sample_rate=8000, n_fft=256, hop_length=256, n_mels=16, clip_seconds=10.0)
    hours = 2.0

    def blocks(path, sample_rate, block_seconds=30.0):
        noise = (0.1 * np.random.default_rng(0).standard_normal(int(block_seconds * sample_rate)))
        for _ in range(int(hours * 3600 / block_seconds)):
            yield noise.astype(np.float32)  # a fresh array per block, as a decoder would return

    monkeypatch.setattr(audio_io, "audio_info", lambda path: SimpleNamespace(duration_seconds=hours * 3600))
    monkeypatch.setattr(audio_io, "iter_audio_blocks", blocks)
    front_end = clips_module.make_front_end(mel)
    tracemalloc.start()
    try:
        result = clips_module.file_to_mels(tmp_path / "two_hours.wav", mel, front_end)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.mels.shape == (720, 16, mel.frames)
    whole_file = hours * 3600 * 8000 * 4  # bytes of the decoded file as float32: 230 MB
    assert peak < whole_file / 8, f"peak {peak / 1e6:.0f} MB"


@pytest.mark.parametrize("known_duration", [True, False])
def test_clip_store_fits_the_duration_or_grows_when_it_is_unknown(tmp_path, monkeypatch, known_duration):
    from types import SimpleNamespace

    from melodygan_desktop.audio import io as audio_io

    audio = tone(20.5, seed=3)  # 20 whole clips of TINY_MEL
    path = write_wav(tmp_path / "long.wav", audio)
    if not known_duration:
        monkeypatch.setattr(audio_io, "audio_info", lambda path: SimpleNamespace(duration_seconds=None))
    result = clips_module.file_to_mels(path, TINY_MEL, clips_module.make_front_end(TINY_MEL))
    assert result.mels.shape == (20, TINY_MEL.n_mels, TINY_MEL.frames) and result.mels.flags.c_contiguous
    expected = MelFrontEnd(TINY_MEL)(torch.from_numpy(audio[: 20 * 8000].reshape(20, 8000))).numpy()
    np.testing.assert_allclose(result.mels.astype(np.float32), expected, atol=2e-3)


def test_parallel_decoding_gives_the_same_data_as_one_worker(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"ambient": 5, "techno": 4}, seconds=2.5)
    (data / "techno" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    one = prepare(data, tmp_path / "cache-1", workers=1)
    four = prepare(data, tmp_path / "cache-4", workers=4)
    assert one.tracks == four.tracks and one.summary == four.summary
    for name in ("train", "val"):
        a, b = getattr(one, name), getattr(four, name)
        np.testing.assert_array_equal(a.mels, b.mels)
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_array_equal(a.track_ids, b.track_ids)
    assert [path for path, _ in four.summary.skipped] == [str(data / "techno" / "broken.wav")]


def test_stop_while_decoding_in_parallel_keeps_finished_files_cached(tmp_path):
    data = make_genre_folder(tmp_path / "data", {"a": 6}, seconds=1.1)
    calls = {"n": 0}

    def stop_at_the_first_finished_file() -> bool:
        calls["n"] += 1
        return calls["n"] > 6  # six checks while reading the (empty) cache, then the first finished file

    # Two files are in flight when the first finishes (or both finish together): both are completed.
    with pytest.raises(PreparationCancelled, match=r"stopped after 2 of 6 files"):
        prepare(data, tmp_path / "cache", should_stop=stop_at_the_first_finished_file, workers=2)
    again = prepare(data, tmp_path / "cache", workers=2)
    assert again.summary.cache_hits == 2  # what was decoded before the stop was kept


def test_silence_check_matches_the_plain_trimmed_rms_around_the_threshold():
    def reference(clip: np.ndarray) -> bool:  # the definition, in float64, without shortcuts
        power = np.sort((clip.astype(np.float64) - clip.mean(dtype=np.float64)) ** 2)
        kept = power.size - power.size // 100
        return float(np.sqrt(power[:kept].mean())) < 10 ** (clips_module.SILENCE_DBFS / 20)

    rng = np.random.default_rng(0)
    decisions = []
    for level in np.geomspace(1e-5, 1e-2, 60):  # across -100 .. -40 dBFS
        for variant in ("noise", "clicks", "dc"):
            clip = (rng.standard_normal(22050) * level).astype(np.float32)
            if variant == "clicks":
                clip[::300] = 0.9  # 0.3 % loud samples: left out of the RMS
            if variant == "dc":
                clip += 0.25
            decisions.append(clips_module.is_silent(clip))
            assert decisions[-1] == reference(clip), (level, variant)
    assert any(decisions) and not all(decisions)
    assert clips_module.is_silent(np.zeros(0, dtype=np.float32))
