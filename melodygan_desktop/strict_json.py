"""Strict JSON <-> frozen dataclass conversion: ``from_dict`` rejects unknown keys and wrong types, so a
typo in a config file or a tampered ``meta.json`` fails loudly instead of silently."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration dictionary does not describe a valid config (unknown key, wrong type, bad value)."""


def _check_type(name: str, value: Any, annotation: Any) -> Any:
    """Validate ``value`` against a (simple) type annotation; convert lists to tuples where asked."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arg in args:
            try:
                return _check_type(name, value, arg)
            except ConfigError as exc:
                errors.append((arg, str(exc)))
        real = [message for arg, message in errors if arg is not type(None)]
        if value is not None and len(real) == 1:  # "X | None" given an X that is wrong: say what is wrong
            raise ConfigError(real[0])
        raise ConfigError(f"{name}: {value!r} matches none of {annotation}")
    if annotation is type(None):
        if value is not None:
            raise ConfigError(f"{name}: expected null, got {type(value).__name__}")
        return None
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name}: expected a list, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_check_type(f"{name}[{i}]", v, args[0]) for i, v in enumerate(value))
        if len(args) != len(value):
            raise ConfigError(f"{name}: expected {len(args)} items, got {len(value)}")
        return tuple(_check_type(f"{name}[{i}]", v, a) for i, (v, a) in enumerate(zip(value, args)))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected an object, got {type(value).__name__}")
        return dict(value)
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        return from_dict(annotation, value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name}: expected a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ConfigError(f"{name}: expected a finite number, got {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: expected an integer, got {type(value).__name__}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: expected true/false, got {type(value).__name__}")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name}: expected a string, got {type(value).__name__}")
        return value
    raise ConfigError(f"{name}: unsupported annotation {annotation!r}")  # pragma: no cover


def from_dict(cls: type[T], data: Any) -> T:
    """Build dataclass ``cls`` from a plain dict; unknown keys and wrong types raise ``ConfigError``."""
    if not isinstance(data, dict):
        raise ConfigError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        shown = ", ".join(repr(key)[1:-1] for key in unknown[:10])  # repr: control characters escaped
        raise ConfigError(f"{cls.__name__}: unknown key(s) {shown[:400]}")
    kwargs = {key: _check_type(f"{cls.__name__}.{key}", value, hints[key]) for key, value in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise ConfigError(f"{cls.__name__}: {exc}") from None


def to_dict(obj: Any) -> dict[str, Any]:
    """Plain-JSON dict of a config dataclass (tuples become lists)."""
    return json_ready(dataclasses.asdict(obj))


def json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value
