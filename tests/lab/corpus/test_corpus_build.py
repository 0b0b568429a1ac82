"""``build_corpus`` end to end on fake packages: discovery, archives, labels, split, manifest, resume."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import soundfile as sf
from corpus_fakes import FakeFetcher

from melodygan_lab.cli.corpus import add_corpus_subparser, run_corpus_command
from melodygan_lab.corpus import build_corpus, read_manifest
from melodygan_lab.corpus.errors import CorpusError, MissingToolError
from melodygan_lab.corpus.render import Tools
from melodygan_lab.corpus.tables import load_tables

NO_TOOLS = Tools()


def _build(out: Path, tables_dir: Path, fetcher, **kwargs):
    return build_corpus(out, tables=load_tables(tables_dir), fetcher=fetcher, tools=NO_TOOLS,
                        genres=["electronic", "ambient"], **kwargs)


def test_build_discovers_labels_splits_and_writes_manifest(tmp_path, tables_dir, fake_trees):
    out = tmp_path / "corpus"
    events = []
    result = _build(out, tables_dir, FakeFetcher(fake_trees), progress=lambda *e: events.append(e))
    by_source = {r.source.rsplit("/", 1)[-1]: r for r in result.records}

    # Recordings are copied as they are; the .pk3 member was found through the _zip path.
    assert set(by_source) >= {"eleca.wav", "untagged.wav", "cc_theme.wav", "calm1.wav", "drone1.ogg"}
    assert by_source["untagged.wav"].label == "electronic"  # package hint
    assert by_source["drone1.ogg"].label == "ambient"
    assert "swing.wav" not in by_source and "skip_me.wav" not in by_source and "notes.txt" not in by_source
    # The byte-identical copy is kept once.
    assert ("drone_copy.ogg" in by_source) != ("drone0.ogg" in by_source)
    assert by_source["cc_theme.wav"].licence == "CC-BY-SA-3.0"
    assert by_source["eleca.wav"].file.endswith(".wav") and by_source["padded.wav"].file.endswith(".flac")
    assert by_source["eleca.wav"].attribution == "2020 Fake Game Team"

    # Each file sits in <split>/<genre>/, is readable, and its sha256/size are recorded.
    for record in result.records:
        split, genre, _name = record.file.split("/")
        assert (split, genre) == (record.split, record.label)
        assert record.kind == "recorded" and record.seconds == pytest.approx(6.0, abs=0.05)
        assert sf.info(str(out / record.file)).duration > 5
    electronic = [r for r in result.records if r.label == "electronic"]
    assert {r.split for r in electronic} == {"train", "validation", "test"}
    assert len({r.track_id for r in result.records}) == len(result.records)

    # Manifest TSV and JSON agree; attribution, licences and the excluded list are written.
    rows = read_manifest(out)
    assert sorted(r.file for r in rows) == sorted(r.file for r in result.records)
    document = json.loads((out / "manifest.json").read_text())
    assert document["format"] == "melodygan-corpus" and len(document["tracks"]) == len(rows)
    electronic_minutes = sum(r.seconds for r in electronic) / 60
    assert document["minutes"]["electronic"]["total"] == pytest.approx(electronic_minutes, abs=0.1)
    header = (out / "manifest.tsv").read_text().splitlines()[0].split("\t")
    assert header[:9] == ["file", "package", "licence", "attribution", "label", "kind", "seconds", "sha256",
                          "split"]
    attribution = (out / "ATTRIBUTION.md").read_text()
    assert "Ada Composer" in attribution and "cc_theme.wav" in attribution
    assert (out / "licences" / "fakegame-music.copyright").read_text().startswith("Format:")
    excluded = (out / "excluded.tsv").read_text()
    assert "swing.wav" in excluded and "skip_me.wav" in excluded and "duplicate of" in excluded
    assert not list(out.rglob("*.part")) and not (out / "fakepak-music").exists()
    assert {e[0] for e in events} >= {"scan", "render", "write"}
    assert not (fake_trees["fakepak-music"] / "usr/share/games/fakepak/music.pk3.d/_zip/sounds").exists()


def test_rerun_resumes_without_fetching_or_rewriting(tmp_path, tables_dir, fake_trees):
    out = tmp_path / "corpus"
    first = _build(out, tables_dir, FakeFetcher(fake_trees))
    stamps = {r.file: (out / r.file).stat().st_mtime_ns for r in first.records}
    # Interrupt-like state: one output vanished (a member of a .pk3 archive, so the rerun must unpack
    # the package and its archive again); the rerun redoes that one only.
    lost = next(r for r in first.records if "_zip/" in r.source)
    (out / lost.file).unlink()
    fetcher = FakeFetcher(fake_trees)
    second = _build(out, tables_dir, fetcher)
    assert fetcher.fetched == [lost.package]
    assert sorted(r.file for r in second.records) == sorted(stamps)
    for record in second.records:
        if record.file != lost.file:
            assert (out / record.file).stat().st_mtime_ns == stamps[record.file]
    assert {r.track_id: r.split for r in second.records} == {r.track_id: r.split for r in first.records}


def test_edited_label_table_invalidates_the_cached_scan(tmp_path, tables_dir, fake_trees):
    out = tmp_path / "corpus"
    first = _build(out, tables_dir, FakeFetcher(fake_trees))
    assert any(r.source.endswith("elecb.wav") for r in first.records)
    with open(tables_dir / "label_overrides.tsv", "a", encoding="utf-8") as handle:
        handle.write("fakegame-music\telecb.wav\texclude\ttest: dropped later\n")
    fetcher = FakeFetcher(fake_trees)
    second = _build(out, tables_dir, fetcher)
    assert "fakegame-music" in fetcher.fetched and "fakepak-music" not in fetcher.fetched
    assert not any(r.source.endswith("elecb.wav") for r in second.records)
    assert not list((out / "train").rglob("*elecb*")) and not list((out / "test").rglob("*elecb*"))


def test_rerun_moves_a_file_whose_planned_split_changed(tmp_path, tables_dir, fake_trees):
    out = tmp_path / "corpus"
    first = _build(out, tables_dir, FakeFetcher(fake_trees))
    moved = next(r for r in first.records if r.split == "train")
    plan_path = out / ".work" / "splits.json"
    plan = json.loads(plan_path.read_text())
    plan[moved.track_id] = "test"
    plan_path.write_text(json.dumps(plan))
    second = _build(out, tables_dir, FakeFetcher(fake_trees))
    now = next(r for r in second.records if r.track_id == moved.track_id)
    assert now.split == "test" and now.file.startswith("test/")
    assert not (out / moved.file).exists() and (out / now.file).is_file()


def test_cap_and_missing_package_are_reported_not_fatal(tmp_path, tables_dir, fake_trees):
    fetcher = FakeFetcher({"fakegame-music": fake_trees["fakegame-music"]})
    result = _build(tmp_path / "c", tables_dir, fetcher, max_minutes_per_genre=0.25)
    electronic = [r for r in result.records if r.label == "electronic"]
    assert 2 <= len(electronic) <= 3  # 15 s cap with 6 s tracks
    assert any(package == "fakepak-music" for package, _source, _reason in result.failed)


def test_bad_requests_fail_early_with_clear_messages(tmp_path, tables_dir, fake_trees):
    tables = load_tables(tables_dir)
    with pytest.raises(CorpusError, match="unknown genre"):
        build_corpus(tmp_path / "c", tables=tables, fetcher=FakeFetcher(fake_trees), tools=NO_TOOLS,
                     genres=["polka"])
    with pytest.raises(MissingToolError, match="mma"):
        build_corpus(tmp_path / "c", tables=tables, fetcher=FakeFetcher(fake_trees), tools=NO_TOOLS,
                     genres=["jazz"])
    with pytest.raises(CorpusError, match="unknown tier"):
        build_corpus(tmp_path / "c", tables=tables, fetcher=FakeFetcher(fake_trees), tools=NO_TOOLS,
                     tier="everything")


def test_cli_parser_and_deps(capsys):
    parser = argparse.ArgumentParser(prog="melodygan")
    add_corpus_subparser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["corpus", "build", "/tmp/x", "--tier", "extended", "--only", "jazz", "rock",
                              "--jobs", "2", "--split", "0.8,0.1,0.1"])
    assert args.handler is run_corpus_command
    assert (args.tier, args.genres, args.jobs) == ("extended", ["jazz", "rock"], 2)
    assert args.split == (0.8, 0.1, 0.1)
    with pytest.raises(SystemExit):
        parser.parse_args(["corpus", "build", "/tmp/x", "--split", "0.8,0.8,0.1"])
    code = run_corpus_command(parser.parse_args(["corpus", "deps"]))
    assert code in (0, 1)
    assert "apt-get install" in capsys.readouterr().out
