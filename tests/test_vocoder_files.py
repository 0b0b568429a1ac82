"""The vocoder on disk and as the "vocoder" mel-to-audio method: load checks, registry, fallback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from melodygan_desktop.audio import inversion
from melodygan_desktop.checkpoints.meta import CheckpointError
from melodygan_desktop.checkpoints.vocoder_files import VOCODER_WEIGHTS, load_vocoder, save_vocoder
from melodygan_desktop.checkpoints.vocoder_method import VOCODER_METHOD, register_vocoder_method
from melodygan_desktop.config import MelConfig
from melodygan_desktop.models.vocoder import MelVocoder, VocoderShape

MEL = MelConfig(clip_seconds=2.0)
TINY = VocoderShape(width=32, depth=2)


@pytest.fixture
def vocoder_dir(tmp_path):
    return save_vocoder(MelVocoder(TINY), tmp_path / "vocoder", MEL, {"steps": 0})


@pytest.fixture
def registered(vocoder_dir):
    before = inversion.available_methods()
    assert register_vocoder_method(vocoder_dir)
    yield vocoder_dir
    if VOCODER_METHOD in before:  # the app's own vocoder back, as it was
        register_vocoder_method()
    else:
        inversion.unregister_inverter(VOCODER_METHOD)


def test_round_trip_and_half_precision(vocoder_dir, tmp_path):
    vocoder, mel, meta = load_vocoder(vocoder_dir)
    assert vocoder.shape == TINY and mel == MEL and meta["metrics"] == {"steps": 0}
    half = save_vocoder(vocoder, tmp_path / "half", mel, half=True)
    assert (half / VOCODER_WEIGHTS).stat().st_size < 0.6 * (vocoder_dir / VOCODER_WEIGHTS).stat().st_size
    assert load_vocoder(half)[0].embed.weight.dtype.is_floating_point


def test_tampered_or_mismatched_files_are_refused(vocoder_dir, tmp_path):
    weights = vocoder_dir / VOCODER_WEIGHTS
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_vocoder(vocoder_dir)
    other = save_vocoder(MelVocoder(TINY), tmp_path / "other", MEL)
    meta = json.loads((other / "meta.json").read_text())
    meta["shape"]["width"] = 64
    (other / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="do not fit"):
        load_vocoder(other)
    meta["shape"]["n_fft"] = 1024
    (other / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="mel settings"):
        load_vocoder(other)


def test_a_users_folder_is_never_written_into(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        save_vocoder(MelVocoder(TINY), folder, MEL)
    assert (folder / "notes.txt").read_text() == "keep me"


def test_registered_method_inverts_and_is_listed(registered):
    assert VOCODER_METHOD in inversion.available_methods()
    mel = np.random.default_rng(0).random((128, 30), dtype=np.float32)
    audio = inversion.invert(mel, MEL, VOCODER_METHOD)
    assert audio.shape == (29 * MEL.hop_length,) and np.isfinite(audio).all()


def test_other_mel_settings_fall_back_with_a_note(registered):
    assert inversion.resolve_method(VOCODER_METHOD, MelConfig(clip_seconds=5.0)) == (VOCODER_METHOD, "")
    other = MelConfig(clip_seconds=2.0, n_mels=80)
    used, note = inversion.resolve_method(VOCODER_METHOD, other)
    assert used == inversion.FALLBACK_METHOD and "n_mels 80 (trained for 128)" in note
    audio = inversion.invert(np.full((80, 12), 0.5, np.float32), other, VOCODER_METHOD)
    assert audio.shape == (11 * other.hop_length,)


def test_generation_records_the_fallback(registered, tmp_path):
    """A model with mels the vocoder was not trained for: the take says which method made it, and why."""
    import dataclasses

    import torch

    from melodygan_desktop import checkpoints
    from melodygan_desktop.checkpoints import CheckpointMeta
    from melodygan_desktop.inference import generate, load_model
    from melodygan_desktop.models.presets import get_preset

    mel = dataclasses.replace(MEL, n_mels=64)
    torch.manual_seed(0)
    generator = get_preset("melodygan-cond").build_generator(mel, 2)
    meta = CheckpointMeta(preset="melodygan-cond", mel=mel, genres=("a", "b"))
    step = checkpoints.save_checkpoint(tmp_path / "run", 1, generator.state_dict(), meta)
    take = generate(load_model(step), "a", seed=1, seconds=1.0, method=VOCODER_METHOD)
    assert take.method == inversion.FALLBACK_METHOD and "n_mels 64" in take.metadata["note"]


def test_a_preferred_vocoder_becomes_the_default_method(vocoder_dir):
    bundled = VOCODER_METHOD in inversion.available_methods()
    if bundled:  # start from no vocoder at all (the app's own is preferred when it is registered)
        inversion.unregister_inverter(VOCODER_METHOD)
    assert inversion.default_method() == inversion.DEFAULT_METHOD
    try:
        assert register_vocoder_method(vocoder_dir, preferred=True)
        assert inversion.default_method() == VOCODER_METHOD
        register_vocoder_method(vocoder_dir)  # registered again, not preferred
        assert inversion.default_method() == inversion.DEFAULT_METHOD
    finally:
        inversion.unregister_inverter(VOCODER_METHOD)
    assert inversion.default_method() == inversion.DEFAULT_METHOD
    if bundled:
        register_vocoder_method()


def test_absent_vocoder_is_not_offered(tmp_path):
    assert not register_vocoder_method(tmp_path / "nothing-here")


def test_the_bundled_vocoder_beats_nnls_fgla_on_music():
    """The shipped weights, as the method runs them (network, then fitted to the mel): closer to the
    original than nnls-fgla on a loop with chords and drums, by a clear margin on both distances."""
    from music_folders import make_music

    from melodygan_desktop.audio.mel import waveform_to_mel
    from melodygan_desktop.audio.spectral_distance import resynthesis_scores

    before = inversion.available_methods()
    assert register_vocoder_method()  # the bundled one
    try:
        mel = MelConfig()
        for seed in (0, 1):
            audio = make_music(6.0, seed=seed)
            unit = waveform_to_mel(audio, mel)
            scores = {}
            for method in (inversion.DEFAULT_METHOD, VOCODER_METHOD):
                out = inversion.invert(unit, mel, method)
                scores[method] = resynthesis_scores(audio[: len(out)], out, mel)
            ours, baseline = scores[VOCODER_METHOD], scores[inversion.DEFAULT_METHOD]
            assert float(ours.mrstft[0]) < float(baseline.mrstft[0]) - 0.05  # measured 1.00 vs 1.10
            assert float(ours.mcd_db[0]) < float(baseline.mcd_db[0]) - 2.0  # measured 6.0 vs 9.7 dB
    finally:
        if VOCODER_METHOD not in before:
            inversion.unregister_inverter(VOCODER_METHOD)
