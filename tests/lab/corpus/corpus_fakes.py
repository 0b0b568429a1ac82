"""Fakes for the corpus builder tests: tiny tables, package trees and a fetcher (no network, no dpkg)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE = 22050

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Fake Game

Files: *
Copyright: 2020 Fake Game Team
License: GPL-2+

Files: data/music/cc_*
Copyright: 2019 Ada Composer
License: CC-BY-SA-3.0
 Long licence text that is not the short name.

Files: debian/*
Copyright: 2021 Debian Packager
License: GPL-2+
"""

PACKAGES_TSV = """# package\ttier\tlabel_hint\tlicense(music)\tregex
fakegame-music\tcore\telectronic\tGPL-2+\t.*/fakegame/music/.*\\.(wav|ogg)
fakepak-music\tcore\tambient\tCC-BY-3.0\t.*/_zip/music/.*\\.ogg
fakebig-music\textended\tclassical\tGPL-3+\t.*/fakebig/.*\\.wav
"""

GENRES_TSV = """# genre\tkind\tdisplay
electronic\trecorded\tElectronic
ambient\trecorded\tAmbient
classical\trecorded\tClassical
chiptune\trecorded\tChiptune
jazz\tarranged\tJazz (MMA)
reggae\tarranged\tReggae (MMA)
"""

GROOVES_TSV = """# genre\tlibrary\tgroove\ttempo\tvoices
jazz\tstdlib/swing\tSwing\t120-140\tTenorSax, Trumpet
reggae\tzoom/reggae\tREGG01\t70-80\tOrgan1, Piano1
reggae\tstdlib/ska\tSka\t70-80\tOrgan1
metal\tpflib/metal1\tmetal1A\t120-140\tDistortionGuitar
"""

OVERRIDES_TSV = """# package\tpattern\tlabel\treason
fakegame-music\tskip_*.wav\texclude\ttest: explicitly dropped
"""


def tone_audio(seconds: float, frequency: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    audio = 0.3 * np.sin(2 * np.pi * frequency * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    return (audio + 0.01 * rng.standard_normal(t.shape)).astype(np.float32)


def labels_tsv() -> str:
    folder = "fakegame-music\tusr/share/fakegame/music"
    rows = ["# package\tpath\tlabel\tkind\tseconds"]
    rows += [f"{folder}/elec{chr(97 + index)}.wav\telectronic\trecording\t6.0" for index in range(8)]
    rows += [f"{folder}/calm{index}.wav\tambient\trecording\t6.0" for index in range(3)]
    rows.append(f"{folder}/swing.wav\tjazz\trecording\t6.0")
    return "\n".join(rows) + "\n"


def _write(path: Path, audio: np.ndarray, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio, SAMPLE_RATE, **kwargs)


def build_fake_trees(root: Path) -> dict[str, Path]:
    """Extracted package trees as ``dpkg -x`` would leave them: audio, a .pk3 archive, copyright files."""
    trees = {}
    game = root / "fakegame-music"
    music = game / "usr/share/fakegame/music"
    for index in range(8):
        _write(music / f"elec{chr(97 + index)}.wav", tone_audio(6.0, 200 + 40 * index, seed=index))
    for index in range(3):
        _write(music / f"calm{index}.wav", tone_audio(6.0, 110 + 10 * index, seed=20 + index))
    _write(music / "swing.wav", tone_audio(6.0, 330, seed=40))  # tagged jazz: arranged-only genre
    _write(music / "skip_me.wav", tone_audio(6.0, 500, seed=41))  # dropped by the override table
    _write(music / "untagged.wav", tone_audio(6.0, 520, seed=42))  # no tag: package hint (electronic)
    _write(music / "cc_theme.wav", tone_audio(6.0, 540, seed=43))  # per-file licence stanza
    padded = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), tone_audio(6.0, 560, seed=44),
                             np.zeros(6 * SAMPLE_RATE, np.float32)])
    _write(music / "padded.wav", padded)  # silent ends: stored trimmed, as FLAC
    (music / "notes.txt").write_text("not music", encoding="utf-8")
    doc = game / "usr/share/doc/fakegame-music"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT, encoding="utf-8")
    trees["fakegame-music"] = game

    pak = root / "fakepak-music"
    base = pak / "usr/share/games/fakepak"
    base.mkdir(parents=True)
    scratch = root / "_scratch"
    for index in range(2):
        _write(scratch / f"drone{index}.ogg", tone_audio(6.0, 90 + 5 * index, seed=60 + index), format="OGG")
    # A byte-identical copy of an archived track: the builder must keep it only once.
    (music / "drone_copy.ogg").write_bytes((scratch / "drone0.ogg").read_bytes())
    with zipfile.ZipFile(base / "music.pk3", "w") as bundle:
        for index in range(2):
            bundle.write(scratch / f"drone{index}.ogg", f"music/drone{index}.ogg")
        bundle.write(music / "calm0.wav", "sounds/calm0.wav")
        bundle.writestr("../escape.ogg", b"not extracted")
    trees["fakepak-music"] = pak
    return trees


class FakeFetcher:
    """Stands in for ``apt-get download`` + ``dpkg -x``: hands out prepared trees and counts the calls."""

    def __init__(self, trees: dict[str, Path]) -> None:
        self.trees = trees
        self.fetched: list[str] = []
        self.released: list[str] = []

    def fetch(self, package: str) -> Path:
        self.fetched.append(package)
        if package not in self.trees:
            from melodygan_lab.corpus.errors import CorpusError

            raise CorpusError(f"downloading {package}: no such package")
        return self.trees[package]

    def release(self, package: str) -> None:
        """Like deleting an extraction: archive members opened in place disappear."""
        self.released.append(package)
        for opened in self.trees.get(package, Path("/nonexistent")).rglob("*.pk3.d"):
            shutil.rmtree(opened)




def write_tables(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("music_packages.tsv", PACKAGES_TSV), ("track_labels.tsv", labels_tsv()),
                       ("mma_grooves.tsv", GROOVES_TSV), ("genres.tsv", GENRES_TSV),
                       ("label_overrides.tsv", OVERRIDES_TSV)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder
