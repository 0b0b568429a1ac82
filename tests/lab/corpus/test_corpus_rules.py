"""Tables, label policy, copyright lookup, selection and the split by track (no audio, no tools)."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_fakes import COPYRIGHT

from melodygan_lab.corpus.copyright import CopyrightInfo
from melodygan_lab.corpus.errors import CorpusError
from melodygan_lab.corpus.fetch import SourceFile
from melodygan_lab.corpus.labels import decide_label, genres_of_package
from melodygan_lab.corpus.split import SPLITS, Candidate, assign_splits, family_of, select
from melodygan_lab.corpus.tables import load_tables, track_key


def test_bundled_tables_load_and_cover_every_genre():
    tables = load_tables()  # resources/corpus
    assert len(tables.packages) == 42
    assert len(tables.labels) > 900
    assert {"blues", "country", "disco", "hiphop", "jazz", "pop", "reggae"} <= set(tables.genres)
    arranged = {g for g, entry in tables.genres.items() if entry.kind == "arranged"}
    assert arranged <= {g.genre for g in tables.grooves}, "every arranged genre needs MMA grooves"
    assert all(p.pattern.pattern.startswith(".*/") for p in tables.packages)
    assert len(tables.packages_for_tier("core")) < len(tables.packages_for_tier("extended"))
    with pytest.raises(CorpusError, match="unknown tier"):
        tables.packages_for_tier("huge")


def test_track_key_matches_rendered_names():
    assert track_key("rendered:area1-game.mod.wav") == "area1-game.mod"
    assert track_key("rendered:Alf42red-Mauiwowi.wav") == "alf42red-mauiwowi"
    assert track_key("usr/share/x/Battle.ogg") == "battle.ogg"


def _source(package: str, relative: str, kind: str = "recording") -> SourceFile:
    return SourceFile(package, relative, Path("/nonexistent") / relative, kind)


def test_label_rules_in_order():
    tables = load_tables()
    # A tracker module tagged rock by the first pass is chiptune: the format decides.
    decision = decide_label(_source("pingus-data", "usr/share/pingus/data/music/pingus-1.it", "tracker"),
                            tables, "chiptune")
    assert decision.label == "chiptune" and decision.rule == "format"
    # MIDI is kept only through an override naming its genre, and is an arrangement (General MIDI).
    blues = decide_label(_source("simutrans-data", "usr/share/games/simutrans/music/13-Stephenson-blues.mid",
                                 "midi"), tables, "midi(mixed)")
    assert (blues.label, blues.kind, blues.rule) == ("blues", "arranged", "override")
    other = decide_label(_source("simutrans-data", "usr/share/games/simutrans/music/05-Boring-afternoon.mid",
                                 "midi"), tables, "midi(mixed)")
    assert other.label is None
    # A recording tagged with an arranged-only genre is left out.
    untagged_key = next(k for (p, k), v in tables.labels.items() if p == "enigma-data" and v.label == "jazz")
    jazz = decide_label(_source("enigma-data", f"usr/share/enigma/music/{untagged_key}"), tables, "classical")
    assert jazz.label is None and jazz.rule == "kind"
    # Unknown tracks take a plain-genre package hint; "mixed" hints give nothing.
    assert decide_label(_source("wesnoth-1.16-music", "a/new.ogg"), tables, "classical").label == "classical"
    assert decide_label(_source("hedgewars-data", "a/new.ogg"), tables, "mixed(rock)").label is None


def test_genres_of_package_predicts_contribution():
    tables = load_tables()
    assert "metal" in genres_of_package("marsshooter-data", "metal", tables)
    assert genres_of_package("tecnoballz-data", "chiptune", tables) == {"chiptune"}
    assert "blues" in genres_of_package("openttd-openmsx", "midi(jazz/blues/ragtime)", tables)


def test_copyright_stanzas_last_match_wins_and_source_root_may_differ():
    info = CopyrightInfo(COPYRIGHT, "fallback", "fakegame-music")
    assert info.machine_readable
    themed = info.lookup("usr/share/fakegame/music/cc_theme.wav")
    assert themed.licence == "CC-BY-SA-3.0" and themed.attribution == "2019 Ada Composer"
    plain = info.lookup("usr/share/fakegame/music/other.wav")
    assert plain.licence == "GPL-2+" and plain.attribution == "2020 Fake Game Team"
    stanza = "Format: x\n\nFiles: base/music/a.ogg\nCopyright: Ann\nLicense: CC-BY-3.0\n"
    archived = CopyrightInfo(stanza, "F", "p")
    assert archived.lookup("usr/share/games/p/base/0music.pk3.d/_zip/music/a.ogg").licence == "CC-BY-3.0"
    assert archived.lookup("usr/share/games/p/base/0music.pk3.d/_zip/music/b.ogg").licence == "F"
    free_form = CopyrightInfo("This is a game.\nCopyright (C) 2001 Jane Doe\n", "GPL-2", "old")
    assert free_form.lookup("x/y.ogg").licence == "GPL-2"
    assert "Jane Doe" in free_form.lookup("x/y.ogg").attribution


def _candidate(track_id: str, genre: str, package: str, seconds: float,
               group: str | None = None) -> Candidate:
    return Candidate(track_id, package, genre, "recorded", "recording", track_id, seconds, "GPL-2+", "A",
                     group or track_id)


def test_select_caps_minutes_round_robin_across_packages():
    candidates = [_candidate(f"a{i}", "rock", "pkg-a", 60) for i in range(10)]
    candidates += [_candidate(f"b{i}", "rock", "pkg-b", 60) for i in range(10)]
    chosen = select(candidates, max_seconds_per_genre=6 * 60, seed=0)
    assert len(chosen) == 6
    assert sum(c.package == "pkg-a" for c in chosen) == 3
    assert chosen == select(list(reversed(candidates)), max_seconds_per_genre=6 * 60, seed=0)


def test_split_is_by_group_deterministic_and_stable_on_resume():
    candidates = [_candidate(f"t{i}", "pop", "p", 100) for i in range(17)]
    candidates += [_candidate(f"v{i}", "pop", "p", 100, group="tune-v") for i in range(3)]
    splits = assign_splits(candidates, {}, seed=3)
    assert set(splits.values()) == set(SPLITS)
    assert len({splits[f"v{i}"] for i in range(3)}) == 1, "a group stays in one split"
    counts = {s: sum(v == s for v in splits.values()) for s in SPLITS}
    assert counts["train"] >= 12 and counts["validation"] >= 2 and counts["test"] >= 2
    assert splits == assign_splits(list(reversed(candidates)), {}, seed=3)
    # A rerun with an extra track keeps every earlier assignment.
    grown = candidates + [_candidate("new", "pop", "p", 100)]
    again = assign_splits(grown, splits, seed=3)
    assert all(again[k] == v for k, v in splits.items())
    with pytest.raises(ValueError):
        assign_splits(candidates, {}, seed=0, fractions=(0.5, 0.5, 0.5))


def test_family_groups_numbered_versions():
    assert family_of("p", "a/area1-game2.mod") == family_of("p", "b/area1-game.mod")
    assert family_of("p", "area1-game.mod") != family_of("p", "area2-game.mod")
    assert family_of("p", "music005.ogg") != family_of("p", "music006.ogg")
    assert family_of("p", "track3.ogg") != family_of("p", "track24.ogg")


def test_a_group_keeps_one_split_across_genre_labels():
    candidates = [_candidate(f"a{i}", "ambient", "p", 100) for i in range(10)]
    candidates += [_candidate(f"r{i}", "rock", "p", 100) for i in range(10)]
    candidates += [_candidate("x-ambient", "ambient", "p", 100, group="tune-x"),
                   _candidate("x-rock", "rock", "p", 100, group="tune-x")]
    splits = assign_splits(candidates, {}, seed=0)
    assert splits["x-ambient"] == splits["x-rock"]
