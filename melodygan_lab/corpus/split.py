"""Choose which tracks enter the corpus and split them by track into train / validation / test.

Tracks are grouped first (numbered versions of one tune, all songs of one MMA groove), and a whole group
goes to one split, so no tune is heard on both sides. Choices are stable: a hash of the seed and the
track decides the order, and the assignment already written to ``splits.json`` is kept on a rerun.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "validation", "test")
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)


@dataclass(frozen=True)
class Candidate:
    """A track that can enter the corpus, before any audio is written. ``seconds`` may be an estimate."""

    track_id: str
    package: str
    genre: str
    kind: str  # "recorded" | "arranged"
    source_type: str  # "recording" | "tracker" | "midi" | "lmms" | "mma"
    source: str  # path inside the package, or the MMA song description
    seconds: float
    licence: str
    attribution: str
    group: str
    source_sha256: str = ""


def stable_hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


#: Stems that only number a package's tracks (``music005``, ``track3``): not versions of one tune.
GENERIC_STEMS = frozenset({"music", "track", "song", "theme", "level", "bgm", "mus", "tune", "audio", "game",
                           "menu", "ingame", "battle", "stage", "world", "loop", "sound"})


def family_of(package: str, file_name: str) -> str:
    """Group key for numbered versions of one tune: ``area1-game2.mod`` and ``area1-game.mod`` share one;
    generic numbered names (``music005.ogg``) stay apart."""
    stem = file_name.rsplit("/", 1)[-1].split(".", 1)[0].lower()
    base = re.sub(r"[^a-z0-9]*[0-9]+$", "", stem)
    if len(re.sub(r"[^a-z]", "", base)) < 3 or base in GENERIC_STEMS:
        base = stem
    return f"{package}:{base}"


def select(candidates: Iterable[Candidate], *, max_seconds_per_genre: float, seed: int) -> list[Candidate]:
    """Per genre, take tracks round-robin across packages (hash order inside each) up to the cap."""
    by_genre: dict[str, dict[str, list[Candidate]]] = defaultdict(lambda: defaultdict(list))
    for candidate in candidates:
        by_genre[candidate.genre][candidate.package].append(candidate)
    chosen: list[Candidate] = []
    for genre in sorted(by_genre):
        queues = [sorted(items, key=lambda c: stable_hash(seed, c.track_id))
                  for _package, items in sorted(by_genre[genre].items())]
        total = 0.0
        while total < max_seconds_per_genre and any(queues):
            for queue in queues:
                if queue and total < max_seconds_per_genre:
                    item = queue.pop(0)
                    chosen.append(item)
                    total += max(item.seconds, 1.0)
    return chosen


def assign_splits(candidates: list[Candidate], previous: dict[str, str], *, seed: int,
                  fractions: tuple[float, float, float] = DEFAULT_FRACTIONS) -> dict[str, str]:
    """Split id per track id: whole groups go to the split furthest below its share of the genre's seconds.

    Tracks already in ``previous`` keep their split; a new track of a known group joins that group, also
    when the group's other tracks carry another genre label.
    """
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"split fractions {fractions} must be three non-negative numbers summing to 1")
    result: dict[str, str] = {}
    groups: dict[str, dict[str, list[Candidate]]] = defaultdict(lambda: defaultdict(list))
    group_split: dict[str, str] = {}
    for candidate in candidates:
        groups[candidate.genre][candidate.group].append(candidate)
        if previous.get(candidate.track_id) in SPLITS:
            group_split.setdefault(candidate.group, previous[candidate.track_id])
    for genre in sorted(groups):
        total = sum(max(c.seconds, 1.0) for members in groups[genre].values() for c in members)
        assigned = dict.fromkeys(SPLITS, 0.0)
        pending = []
        for group, members in groups[genre].items():
            if group in group_split:
                for member in members:
                    result[member.track_id] = previous.get(member.track_id) or group_split[group]
                    assigned[result[member.track_id]] += max(member.seconds, 1.0)
            else:
                pending.append(group)
        for group in sorted(pending, key=lambda g: stable_hash(seed, genre, g)):
            members = groups[genre][group]
            deficits = {s: f * total - assigned[s] for s, f in zip(SPLITS, fractions, strict=True)}
            split = max(SPLITS, key=lambda s: (deficits[s], -SPLITS.index(s)))
            group_split[group] = split
            for member in members:
                result[member.track_id] = split
                assigned[split] += max(member.seconds, 1.0)
    return result


def load_splits(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if v in SPLITS}


def save_json(path: Path, data: object) -> None:
    """Write JSON atomically (temporary file in the same folder, then ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
