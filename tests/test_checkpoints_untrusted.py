"""Untrusted checkpoints: pickles that would run code, corrupted files and tampered meta.json are refused."""

from __future__ import annotations

import json
import os
import pickle
import random
import signal
import time

import pytest
import torch
from safetensors.torch import save_file
from test_checkpoints import GENRES, MEL, make_generator, make_meta, save

from melodygan_desktop import checkpoints
from melodygan_desktop.checkpoints import CheckpointError
from melodygan_desktop.checkpoints.files import sha256_file


class Payload:
    """Unpickling this creates ``marker``: proof that a loader executed code from the file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def rewrite_meta(folder, **changes):
    data = json.loads((folder / "meta.json").read_text())
    for key, value in changes.items():
        if value is KeyError:
            data.pop(key)
        else:
            data[key] = value
    (folder / "meta.json").write_text(json.dumps(data))


def reseal(folder):
    """Update meta.json's sha256 to the current weights, as an attacker who edits both files would."""
    rewrite_meta(folder, sha256=sha256_file(folder / "generator.safetensors"))


def test_the_payload_really_runs_code_when_unpickled(tmp_path):
    marker = tmp_path / "control"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()  # so its absence below proves the loaders never unpickled it


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_training_state_that_would_run_code_is_refused(tmp_path, writer):
    folder = save(tmp_path / "run", 1, training_state={"step": 1})
    marker = tmp_path / "pwned"
    with open(folder / "training.pt", "wb") as handle:
        if writer == "torch.save":
            torch.save({"step": 1, "evil": Payload(marker)}, handle)
        else:
            pickle.dump({"evil": Payload(marker)}, handle, protocol=2)
    with pytest.raises(CheckpointError, match="refused") as caught:
        checkpoints.load_training_state(folder)
    assert "training.pt" in str(caught.value)
    assert not marker.exists()


def test_generator_weights_replaced_by_a_pickle_are_refused(tmp_path):
    folder = save(tmp_path / "run", 1)
    marker = tmp_path / "pwned"
    torch.save({"weight": Payload(marker)}, folder / "generator.safetensors")
    with pytest.raises(CheckpointError, match="sha256 mismatch"):
        checkpoints.load_generator(folder)
    reseal(folder)
    with pytest.raises(CheckpointError, match="pickle") as caught:
        checkpoints.load_generator(folder)
    assert "generator.safetensors" in str(caught.value)
    with open(folder / "generator.safetensors", "wb") as handle:
        pickle.dump(Payload(marker), handle)
    reseal(folder)
    with pytest.raises(CheckpointError, match="pickle"):
        checkpoints.load_generator(folder)
    assert not marker.exists()


def test_corrupted_and_truncated_files_are_refused(tmp_path):
    folder = save(tmp_path / "run", 1, training_state={"step": 1, "w": torch.ones(1000)})
    weights = folder / "generator.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256 mismatch"):
        checkpoints.load_generator(folder)
    weights.write_bytes(bytes(data[: len(data) // 2]))
    reseal(folder)
    with pytest.raises(CheckpointError, match="safetensors"):
        checkpoints.load_generator(folder)
    state = folder / "training.pt"
    state.write_bytes(state.read_bytes()[:300])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        checkpoints.load_training_state(folder)
    state.unlink()
    with pytest.raises(CheckpointError, match="no resume state"):
        checkpoints.load_training_state(folder)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"step": "10"}, "expected an integer"),
        ({"genres": "rock"}, "expected a list"),
        ({"format_version": 3}, "newer MELodyGAN"),
        ({"format_version": 0}, "unknown format_version"),
        ({"format_version": "1"}, "format_version must be an integer"),
        ({"format": "something-else"}, "not a MELodyGAN generator"),
        ({"preset": "gpt-17"}, "unknown preset 'gpt-17'"),
        ({"sha256": "0" * 64}, "sha256 mismatch"),
        ({"sha256": "abc"}, "64 lower-case hex"),
        ({"extra": 1}, "unknown key"),
        ({"step": KeyError}, "missing field"),
        ({"mel": {"n_fft": -5}}, "MelConfig"),
        ({"mel": {"n_mels": 64.5}}, "n_mels"),
        ({"genres": []}, "at least one genre"),
        ({"genres": ["a", "a"]}, "distinct"),
        ({"card": {"name": {"nested": object}}}, None),
    ],
)
def test_tampered_meta_is_refused_with_the_problem_named(tmp_path, changes, message):
    folder = save(tmp_path / "run", 1)
    if message is None:  # not representable in JSON: check the in-memory validator instead
        with pytest.raises(CheckpointError, match="plain JSON"):
            checkpoints.save_checkpoint(tmp_path / "x", 1, {}, make_meta(name=object()))
        return
    rewrite_meta(folder, **changes)
    with pytest.raises(CheckpointError, match=message) as caught:
        checkpoints.load_generator(folder)
    assert "meta.json" in str(caught.value) or "generator.safetensors" in str(caught.value)


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe", b"{" * 100000, b" " * (2 << 20)])
def test_unparseable_meta_is_refused(tmp_path, content):
    folder = save(tmp_path / "run", 1)
    (folder / "meta.json").write_bytes(content)
    with pytest.raises(CheckpointError, match="meta.json"):
        checkpoints.load_generator(folder)


def test_weights_that_do_not_fit_the_preset_are_refused(tmp_path):
    folder = save(tmp_path / "run", 1)
    state = make_generator(0, genres=("a", "b", "c")).state_dict()  # one more genre: embedding shapes differ
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "generator.safetensors"))
    reseal(folder)
    with pytest.raises(CheckpointError, match="shape"):
        checkpoints.load_generator(folder)
    other = make_generator(0, preset="melodygan-v3").state_dict()
    save_file({k: v.contiguous() for k, v in other.items()}, str(folder / "generator.safetensors"))
    reseal(folder)
    with pytest.raises(CheckpointError, match="missing tensors"):
        checkpoints.load_generator(folder)
    good = {k: v.contiguous().clone() for k, v in make_generator(0).state_dict().items()}
    next(iter(good.values())).view(-1)[0] = float("nan")
    save_file(good, str(folder / "generator.safetensors"))
    reseal(folder)
    with pytest.raises(CheckpointError, match="NaN"):
        checkpoints.load_generator(folder)


def test_missing_or_empty_folders_are_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint folder"):
        checkpoints.load_generator(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no complete checkpoint"):
        checkpoints.load_generator(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CheckpointError, match="expected a checkpoint folder"):
        checkpoints.load_generator(tmp_path / "notes.txt")


def _write_forever(run, step, state) -> None:  # runs in a forked child until it is killed
    try:
        while True:
            step += 1
            checkpoints.save_checkpoint(
                run, step, state, make_meta(), training_state={"step": step}, keep_last=2
            )
    finally:
        os._exit(1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_killing_the_writer_at_random_moments_never_breaks_the_latest_checkpoint(tmp_path):
    run = tmp_path / "run"
    save(run, 0, training_state={"step": 0})
    state = make_generator(0).state_dict()
    rng = random.Random(0)
    kills = 0
    # 10 random kills; on a loaded machine, extra rounds with longer windows until saves got through
    while kills < 10 or (checkpoints.load_generator(run).meta.step == 0 and kills < 20):
        before = checkpoints.load_generator(run).meta.step
        pid = os.fork()
        if pid == 0:
            _write_forever(run, before, state)
        time.sleep(rng.uniform(0.005, 0.15) * (1 if kills < 10 else 10))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kills += 1
        loaded = checkpoints.load_generator(run)
        assert loaded.meta.step >= before
        assert checkpoints.load_training_state(run)["step"] == loaded.meta.step
    assert loaded.meta.step > 0  # the writer did get checkpoints through between kills
    save(run, 10_000)
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]
    assert 2 <= len(checkpoints.list_checkpoints(run)) <= 3
    assert GENRES == checkpoints.load_generator(run).meta.genres and MEL == loaded.meta.mel
