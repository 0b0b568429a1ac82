"""``meta.json``: what a generator checkpoint is (preset, MelConfig, genres, step, weights hash).

Every field is type-checked, unknown keys and unknown format versions are refused, and the preset must be
one this app can build; each refusal is a ``CheckpointError`` naming the file and the problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from melodygan_desktop import __version__
from melodygan_desktop.checkpoints.files import NotRegularFileError, read_regular_bytes
from melodygan_desktop.config import ConfigError, MelConfig, from_dict, to_dict
from melodygan_desktop.paths import display_text

FORMAT = "melodygan-generator"
FORMAT_VERSION = 2  # 2 adds "architecture"; version-1 files (no architecture) still load
META_NAME = "meta.json"
WEIGHTS_NAME = "generator.safetensors"
TRAINING_NAME = "training.pt"
CARD_NAME = "card.md"
#: A meta.json larger than this is not one we wrote.
MAX_META_BYTES = 1 << 20

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Sane bounds for what a meta.json may describe (checked before anything is built or allocated).
MAX_GENRES = 1024
MAX_GENRE_CHARS = 100
MAX_STEP = 10**12
#: Sub-objects of ``architecture`` and the ints each holds (range-checked by the shapes' own from_dict).
#: melodygan-latent's shapes, then melodygan-cond's widths and sizes (integers or lists of integers).
_ARCHITECTURE_KEYS = (
    "codec", "sequence", "channels", "critic_channels", "z_dim", "embed_dim",
    "noise_from", "voices", "pitch_sharpness", "critic_group",  # melodygan-harmonic
    "critic_views", "clock_pulses", "clock_gain", "style_gain", "context",  # melodygan-groove
    "timbres", "loudness_gain", "voice_start", "voice_floor",  # melodygan-voices (+ voices, pitch_sharpness)
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


class CheckpointError(Exception):
    """A checkpoint cannot be written, found, or trusted; the message names the file and the reason."""


@dataclass(frozen=True)
class CheckpointMeta:
    """Everything inference needs besides the weights. ``sha256`` is the hex digest of
    ``generator.safetensors``; ``card`` holds model-card fields (``name``, ``description``, ...);
    ``architecture`` the constructor arguments of the networks (empty for presets whose shape the code
    fixes), so a later change of a preset's defaults never orphans a saved model."""

    preset: str
    mel: MelConfig
    genres: tuple[str, ...]
    step: int = 0
    sha256: str = ""
    created: str = ""
    card: dict[str, Any] = field(default_factory=dict)
    architecture: dict[str, Any] = field(default_factory=dict)
    app_version: str = __version__
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def name(self) -> str | None:
        """The card's display name, if it has one."""
        name = self.card.get("name")
        return name if isinstance(name, str) and name.strip() else None

    @property
    def preferred(self) -> bool:
        """The card marks this model as the one to offer first (the app's default among bundled models)."""
        return self.card.get("preferred") is True

    @property
    def genre_kinds(self) -> dict[str, str]:
        """Per-genre note from the card, e.g. ``{"jazz": "arranged", "metal": "recorded"}`` (may be empty)."""
        kinds = self.card.get("genre_kinds")
        if not isinstance(kinds, dict):
            return {}
        return {g: str(k) for g, k in kinds.items() if g in self.genres and isinstance(k, str)}


def meta_to_dict(meta: CheckpointMeta) -> dict[str, Any]:
    data = to_dict(meta)
    data["mel"] = to_dict(meta.mel)
    return data


def preset_names() -> tuple[str, ...]:
    """Names of the presets this app can build (``models.presets.PRESETS``)."""
    from melodygan_desktop.models.presets import PRESETS

    return tuple(PRESETS)


def _check_json_plain(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CheckpointError(f"{where}: card keys must be strings")
            _check_json_plain(item, where)
    elif isinstance(value, list):
        for item in value:
            _check_json_plain(item, where)
    elif not isinstance(value, (str, int, float, bool, type(None))):
        raise CheckpointError(f"{where}: card values must be plain JSON, got {type(value).__name__}")


def meta_from_dict(data: Any, where: str = META_NAME, *, require_sha: bool = True) -> CheckpointMeta:
    """Validate a parsed ``meta.json``; ``where`` names the file in error messages."""
    if not isinstance(data, dict):
        raise CheckpointError(f"{where}: expected a JSON object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        found = data.get("format")
        raise CheckpointError(f"{where}: not a MELodyGAN generator checkpoint (format {found!r})")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"{where}: format_version must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{where}: format_version {version} was written by a newer MELodyGAN; this one reads "
            f"up to {FORMAT_VERSION} (update the app)"
        )
    if version < 1:
        raise CheckpointError(f"{where}: unknown format_version {version}")
    required = {"preset", "mel", "genres", "step", "sha256", "created", "card", "app_version"}
    missing = sorted(required - set(data))
    if missing:
        raise CheckpointError(f"{where}: missing field(s) {', '.join(missing)}")
    try:
        meta = from_dict(CheckpointMeta, data)
    except ConfigError as exc:
        raise CheckpointError(f"{where}: {exc}") from None
    return validate_meta(meta, where, require_sha=require_sha)


def validate_meta(meta: CheckpointMeta, where: str, *, require_sha: bool = True) -> CheckpointMeta:
    """Value checks beyond types: known preset, genre list, step, hash format, plain-JSON card."""
    names = preset_names()
    if meta.preset not in names:
        raise CheckpointError(f"{where}: unknown preset {meta.preset!r} (this app knows {', '.join(names)})")
    if not meta.genres:
        raise CheckpointError(f"{where}: genres must list at least one genre")
    if len(meta.genres) > MAX_GENRES:
        raise CheckpointError(f"{where}: {len(meta.genres)} genres, at most {MAX_GENRES} are allowed")
    if any(not genre.strip() for genre in meta.genres) or len(set(meta.genres)) != len(meta.genres):
        shown = display_text(repr(list(meta.genres))[:300])
        raise CheckpointError(f"{where}: genres must be distinct, non-empty names, got {shown}")
    for genre in meta.genres:
        if len(genre) > MAX_GENRE_CHARS or _CONTROL.search(genre):
            raise CheckpointError(
                f"{where}: genre name {display_text(genre[:MAX_GENRE_CHARS])} is not a plain name "
                f"(control characters, or over {MAX_GENRE_CHARS} characters)"
            )
    name = meta.card.get("name")
    if isinstance(name, str) and (len(name) > 200 or _CONTROL.search(name)):
        raise CheckpointError(f"{where}: card name {display_text(name[:200])} holds control characters")
    if not 0 <= meta.step <= MAX_STEP:
        raise CheckpointError(f"{where}: step must be in 0..{MAX_STEP}, got {meta.step}")
    if (require_sha or meta.sha256) and not _SHA256.match(meta.sha256):
        raise CheckpointError(f"{where}: sha256 must be 64 lower-case hex digits, got {meta.sha256!r}")
    _check_json_plain(meta.card, where)
    _check_json_plain(meta.architecture, where)
    check_architecture(meta.architecture, where)
    return meta


def check_architecture(architecture: dict[str, Any], where: str) -> None:
    """Only known keys: ``codec`` / ``sequence`` objects of integers, each within the shape's own bounds;
    the conditional model's sizes as integers (or up to 6 of them) in 1..1024; the harmonic model's
    ``noise_from`` (lowest noise bin) in 0..1024, ``voices`` in 0..16, ``pitch_sharpness`` and
    ``critic_group`` in 0..64; the groove model's ``critic_views`` in 0..4, ``clock_pulses`` 0 or 1,
    ``clock_gain`` and ``style_gain`` in 0..100, ``context`` in 0..8; the voices model's ``timbres`` in
    0..4, ``loudness_gain`` in 0..100, ``voice_start`` and ``voice_floor`` in 0..200."""
    from melodygan_desktop.models.codec import CodecShape
    from melodygan_desktop.models.latent import SequenceShape

    unknown = sorted(set(architecture) - set(_ARCHITECTURE_KEYS))
    if unknown:
        raise CheckpointError(f"{where}: unknown architecture key(s) {display_text(', '.join(unknown))}")
    for key in ("channels", "critic_channels", "z_dim", "embed_dim"):
        if key not in architecture:
            continue
        value = architecture[key]
        values = value if isinstance(value, list) else [value]
        if not 1 <= len(values) <= 6 or not all(
            isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1024 for v in values
        ):
            raise CheckpointError(f"{where}: architecture.{key} must be 1-6 integers in 1..1024")
    for key, top in (("noise_from", 1024), ("voices", 16), ("pitch_sharpness", 64), ("critic_group", 64),
                       ("critic_views", 4), ("clock_pulses", 1), ("clock_gain", 100),
                       ("style_gain", 100), ("context", 8), ("timbres", 4), ("loudness_gain", 100),
                       ("voice_start", 200), ("voice_floor", 200)):
        value = architecture.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            raise CheckpointError(f"{where}: architecture.{key} must be an integer in 0..{top}")
    for key, shape in (("codec", CodecShape), ("sequence", SequenceShape)):
        if key not in architecture:
            continue
        value = architecture[key]
        if not isinstance(value, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()
        ):
            raise CheckpointError(f"{where}: architecture.{key} must be an object of integers")
        try:
            shape.from_dict(value)
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{where}: architecture.{key}: {display_text(str(exc))}") from None


def read_format_meta(folder: str | Path, fmt: str, version: int, kind: str) -> tuple[Path, dict[str, Any]]:
    """``(path, dict)`` of ``folder/meta.json`` for the app's non-generator files (codec, vocoder): valid
    JSON of at most ``MAX_META_BYTES``, ``format`` ``fmt`` at ``format_version`` ``version``, a ``sha256``
    string; ``CheckpointError`` naming the file otherwise (``kind`` says what the folder should be)."""
    path = Path(folder) / META_NAME
    try:
        if not path.exists():
            raise CheckpointError(f"{Path(folder)}: no {META_NAME}: not a {kind} folder")
        data = json.loads(read_regular_bytes(path, MAX_META_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{path}: not valid JSON ({exc})") from None
    except ValueError:
        raise CheckpointError(f"{path}: too large for a meta.json") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise CheckpointError(f"{path}: not a MELodyGAN {kind}")
    if data.get("format_version") != version:
        raise CheckpointError(f"{path}: unknown {kind} format_version {data.get('format_version')!r}")
    if not isinstance(data.get("sha256"), str):
        raise CheckpointError(f"{path}: sha256 missing")
    return path, data


def read_meta(folder: str | Path) -> CheckpointMeta:
    """Read and validate ``folder/meta.json`` (does not touch the weights)."""
    path = Path(folder) / META_NAME
    try:
        data = json.loads(read_regular_bytes(path, MAX_META_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{Path(folder)}: no {META_NAME}: not a MELodyGAN checkpoint folder") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: not valid JSON ({exc})") from None
    except NotRegularFileError as exc:
        raise CheckpointError(f"{path}: {exc.strerror}: refused") from None
    except ValueError:
        raise CheckpointError(f"{path}: over {MAX_META_BYTES} bytes, too large for a meta.json") from None
    except RecursionError:
        raise CheckpointError(f"{path}: JSON nested too deeply") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return meta_from_dict(data, str(path))


def meta_json_bytes(meta: CheckpointMeta) -> bytes:
    return (json.dumps(meta_to_dict(meta), indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()
