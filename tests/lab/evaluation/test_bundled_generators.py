"""The bundled default generator against the first one (``melodygan-cond-open13``), heard as a listener
would: on the same seeds and genres (one take of each of its 13), its takes keep a steadier beat, sound
more pitched and less noisy (the musicality yardsticks)."""

from __future__ import annotations

import numpy as np

from melodygan_desktop import checkpoints
from melodygan_desktop.inference import generate
from melodygan_desktop.paths import bundled_checkpoints_dir
from melodygan_lab.evaluation.musicality import musicality


def yardsticks(model_name: str) -> dict[str, float]:
    """Mean musicality of one 10-s take of every genre of the model, on fixed seeds."""
    model = checkpoints.load_generator(bundled_checkpoints_dir() / model_name)
    found = []
    for index, genre in enumerate(model.meta.genres):
        take = generate(model, genre, seed=100 + index, seconds=10.0, method="nnls-fgla")
        found.append(musicality(take.audio, take.sample_rate))
    return {key: float(np.mean([getattr(m, key) for m in found])) for key in
            ("beat_regularity", "harmonic_share", "flatness")}


def test_the_default_generator_keeps_a_beat_the_previous_one_did_not():
    new, old = yardsticks("melodygan-groove-open13b"), yardsticks("melodygan-cond-open13")
    assert new["beat_regularity"] > old["beat_regularity"] + 0.2, (new, old)
    assert new["harmonic_share"] > old["harmonic_share"], (new, old)
    assert new["flatness"] < old["flatness"], (new, old)
