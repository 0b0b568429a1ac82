"""Genre arrangements written as MMA files: groove, tempo, key, chord progression and lead voice per song.

Every choice comes from a random generator seeded with (seed, genre, song index), so the same seed
writes the same songs. The lead melody is an MMA ``Aria`` track (a melody that follows the chords).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .tables import Groove

# Chord progressions in C, one chord per bar (MMA chord names); the song loops its progression and
# MMA ``Transpose`` moves it to the song's key.
PROGRESSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "blues": {
        "12-bar": ("C7", "C7", "C7", "C7", "F7", "F7", "C7", "C7", "G7", "F7", "C7", "G7"),
        "quick-change": ("C7", "F7", "C7", "C7", "F7", "F7", "C7", "C7", "G7", "F7", "C7", "G7"),
        "minor 12-bar": ("Cm7", "Cm7", "Cm7", "Cm7", "Fm7", "Fm7", "Cm7", "Cm7", "Ab7", "G7", "Cm7", "G7"),
    },
    "jazz": {
        "ii-V-I": ("Dm7", "G7", "Cmaj7", "Cmaj7"),
        "turnaround": ("Cmaj7", "A7", "Dm7", "G7"),
        "minor ii-V-i": ("Dm7b5", "G7", "Cm7", "Cm7"),
        "rhythm changes A": ("Cmaj7", "A7", "Dm7", "G7", "Em7", "A7", "Dm7", "G7"),
        "autumn cycle": ("Dm7", "G7", "Cmaj7", "Fmaj7", "Bm7b5", "E7", "Am", "Am"),
    },
    "country": {
        "I-IV-V": ("C", "C", "F", "F", "G", "G", "C", "C"),
        "I-V-IV": ("C", "G", "F", "C"),
        "two-step": ("C", "F", "C", "G", "C", "F", "G", "C"),
    },
    "disco": {
        "minor vamp": ("Am7", "Am7", "Dm7", "Dm7"),
        "four chords": ("Am", "F", "C", "G"),
        "dorian": ("Dm7", "G", "Dm7", "G"),
    },
    "hiphop": {
        "minor loop": ("Am7", "Fmaj7", "Cmaj7", "G"),
        "two chords": ("Cm7", "Cm7", "Fm7", "Fm7"),
        "dark loop": ("Am", "Am", "F", "E7"),
    },
    "pop": {
        "I-V-vi-IV": ("C", "G", "Am", "F"),
        "vi-IV-I-V": ("Am", "F", "C", "G"),
        "I-vi-IV-V": ("C", "Am", "F", "G"),
        "I-IV-vi-V": ("C", "F", "Am", "G"),
    },
    "reggae": {
        "I-IV": ("C", "C", "F", "F"),
        "I-V": ("C", "G", "C", "G"),
        "ii-V": ("Dm", "G", "Dm", "G"),
        "i-iv": ("Am", "Dm", "Am", "Dm"),
    },
    "rock": {
        "I-IV-V": ("C", "F", "G", "F"),
        "I-bVII-IV": ("C", "Bb", "F", "C"),
        "i-bVI-bVII": ("Am", "F", "G", "Am"),
    },
    "metal": {
        "i-bVI-bVII": ("Em", "C", "D", "Em"),
        "i-bII": ("Em", "F", "Em", "F"),
        "i-iv-bVI-V": ("Em", "Am", "C", "B"),
    },
    "electronic": {
        "minor four": ("Am", "F", "C", "G"),
        "i-bVII": ("Am", "G", "Am", "G"),
        "i-bVI-bIII-bVII": ("Am", "F", "C", "G"),
    },
    "ambient": {
        "two maj7": ("Cmaj7", "Cmaj7", "Fmaj7", "Fmaj7"),
        "suspended": ("Csus2", "Csus2", "Am7", "Fmaj7"),
    },
}
DEFAULT_PROGRESSIONS = {"I-IV-V": ("C", "F", "G", "C")}

# Aria rhythms: (offset, duration, velocity) per note; "1 2 90" is a half note on beat 1.
MELODY_RHYTHMS = (
    "{1 4 90; 2 4 80; 3 4. 90; 4.5 8 80}",
    "{1 8 90; 1.5 8 70; 2 4 80; 3 8 90; 3.5 8 70; 4 4 80}",
    "{1 2 90; 3 4 80; 4 4 70}",
    "{1 4 90; 2.5 8 80; 3 2 90}",
    "{1 1 80}",
    "{1.5 8 80; 2 8 80; 2.5 4 90; 4 8 80; 4.5 8 70}",
)
WALTZ_RHYTHMS = ("{1 4 90; 2 4 80; 3 4 80}", "{1 2 90; 3 4 80}", "{1 2. 80}")
DIRECTIONS = ("1 1 -1", "1 -1", "0 1 -1 0", "r", "1 1 -1 -1 0")
# zoom/reggae grooves are drums only: these tracks add the off-beat skank and the bass line.
REGGAE_SKANKS = ("{2 8 80; 4 8 80}", "{1.5 8 80; 2.5 8 80; 3.5 8 80; 4.5 8 80}")
REGGAE_BASS = (
    "{1 4. 1 100; 2.5 8 5 90; 3 4 3 90; 4 8 1 80}",
    "{1 8 1 100; 1.5 4 1 90; 3 4. 5 90; 4.5 8 1 80}",
)


@dataclass(frozen=True)
class SongSpec:
    """Everything that makes one arranged song; ``track_id`` names it in the manifest and the split."""

    genre: str
    index: int
    groove: Groove
    tempo: int
    transpose: int
    progression: str
    chords: tuple[str, ...]
    lead_voice: str
    rhythms: tuple[str, ...]
    direction: str
    bars: int
    seed: int
    drums_only: bool

    @property
    def track_id(self) -> str:
        return f"mma:{self.genre}:{self.index:03d}"

    @property
    def file_stem(self) -> str:
        groove = "".join(ch if ch.isalnum() else "-" for ch in self.groove.name)
        return f"mma-{self.genre}-{self.index:03d}-{groove}"

    @property
    def description(self) -> str:
        return (f"groove {self.groove.library}/{self.groove.name}, {self.tempo} bpm, "
                f"transpose {self.transpose:+d}, progression {self.progression}, lead {self.lead_voice}")


def beats_per_bar(groove: Groove) -> int:
    return 3 if "waltz" in groove.name.lower() else 4


def song_spec(genre: str, index: int, grooves: list[Groove], *, seed: int, seconds: float = 75.0) -> SongSpec:
    """The ``index``-th song of ``genre``: groove, tempo, key, progression and lead drawn from the seed."""
    rng = random.Random(f"{seed}:{genre}:{index}")
    groove = grooves[index % len(grooves)]
    tempo = rng.randint(groove.tempo_min, groove.tempo_max)
    progressions = PROGRESSIONS.get(genre, DEFAULT_PROGRESSIONS)
    name = rng.choice(sorted(progressions))
    beats = beats_per_bar(groove)
    bars = max(4, round(seconds * tempo / 60.0 / beats))
    rhythms = WALTZ_RHYTHMS if beats == 3 else MELODY_RHYTHMS
    return SongSpec(
        genre=genre, index=index, groove=groove, tempo=tempo, transpose=rng.randint(-5, 6),
        progression=name, chords=progressions[name],
        lead_voice=rng.choice(groove.lead_voices) if groove.lead_voices else "Piano1",
        rhythms=tuple(rng.sample(rhythms, 2)), direction=rng.choice(DIRECTIONS), bars=bars,
        seed=rng.randrange(1, 2**31), drums_only=groove.library.startswith("zoom/reggae"),
    )


def plan_songs(genre: str, grooves: list[Groove], count: int, *, seed: int, seconds: float) -> list[SongSpec]:
    """``count`` songs for one genre, cycling through every groove before repeating any."""
    if not grooves:
        return []
    return [song_spec(genre, i, grooves, seed=seed, seconds=seconds) for i in range(count)]


def mma_text(spec: SongSpec) -> str:
    """The MMA source of one song: settings, extra tracks where the groove needs them, then the bars."""
    rng = random.Random(spec.seed)
    lines = [
        f"// {spec.genre} arrangement {spec.index}: {spec.description}",
        f"Tempo {spec.tempo}",
        f"Use {spec.groove.library}",
        f"Groove {spec.groove.name}",
        f"RndSeed {spec.seed}",
        f"Transpose {spec.transpose}",
    ]
    if spec.drums_only:
        lines += [
            "Begin Chord-Skank", " Voice CleanGuitar", " Octave 5", " Articulate 40", " Volume mf",
            f" Sequence {rng.choice(REGGAE_SKANKS)}", "End",
            "Begin Bass-Reggae", " Voice FingeredBass", " Octave 3", " Volume f",
            f" Sequence {rng.choice(REGGAE_BASS)}", "End",
        ]
    lines += [
        "Begin Aria", f" Voice {spec.lead_voice}", f" Octave {5 if 'Bass' not in spec.lead_voice else 4}",
        " Volume f", " Articulate 90", f" Sequence {' '.join(spec.rhythms)}", f" Direction {spec.direction}",
        "End",
    ]
    for bar in range(spec.bars):
        chord = spec.chords[bar % len(spec.chords)]
        lines.append(f"{bar + 1} {chord}")
    return "\n".join(lines) + "\n"
