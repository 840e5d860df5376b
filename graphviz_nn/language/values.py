"""User-supplied values -> floats and numpy arrays, with clear errors.

A value is a number, a (nested) list of numbers, a numpy array, or text holding a number or a
JSON array (as typed in ``--at x=[1, 2]`` or an app field). JSON is parsed with :mod:`json`,
never ``eval``.

>>> to_value("2.5"), to_value("[1, 2]").tolist(), to_value([[1, 2], [3, 4]]).shape
(2.5, [1.0, 2.0], (2, 2))
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping, NoReturn

import numpy as np

from ..errors import LimitError, ValueInputError
from .names import canonical_name

__all__ = ["to_value", "normalize_values", "owned_values", "parse_assignment", "MAX_ELEMENTS"]

MAX_ELEMENTS = 10_000_000
"""Largest number of entries one value may have."""

_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "pi": math.pi, "e": math.e}


def to_value(raw: Any, name: str = "value") -> float | np.ndarray:
    """Convert one user value; scalars become ``float``, everything else a float ndarray."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.lower() in _WORDS:
            return _WORDS[text.lower()]
        try:
            raw = json.loads(text, parse_int=lambda digits: _whole_number(digits, name))
        except json.JSONDecodeError:
            raise ValueInputError(
                f"value of {name} must be a number or a JSON array like [1, 2], got {_short(raw)}") from None
        except RecursionError:
            raise LimitError(f"value of {name} is nested too deeply to read") from None
    if raw is None:
        raise ValueInputError(f"value of {name} must be a number, got null")
    if isinstance(raw, bool):
        raise ValueInputError(f"value of {name} must be a number, got {raw!r}")
    if isinstance(raw, (list, tuple)) and _has_non_number(raw):
        raise ValueInputError(f"value of {name} must be a number or a rectangular (nested) list of numbers")
    if isinstance(raw, np.ma.MaskedArray):
        raise ValueInputError(f"value of {name} is a masked array; fill or drop the masked entries first "
                              "(a.filled(value) or a.compressed())")
    if isinstance(raw, (complex, np.complexfloating)) or (isinstance(raw, np.ndarray) and np.iscomplexobj(raw)):
        raise ValueInputError(f"value of {name} is complex; give real numbers (np.real(a), np.abs(a), …)")
    if isinstance(raw, int):
        try:
            return float(raw)
        except OverflowError:
            digits = len(str(abs(raw))) if raw.bit_length() < 14_000 else int(raw.bit_length() * math.log10(2)) + 1
            _too_large(digits, name)
    if isinstance(raw, (float, np.integer, np.floating)):
        return float(raw)
    try:
        array = np.asarray(raw, dtype=float)
    except OverflowError:
        raise ValueInputError(f"value of {name} holds a whole number too large for a float "
                              f"(the largest is about {_LARGEST:.1e})") from None
    except (TypeError, ValueError, RecursionError):
        raise ValueInputError(
            f"value of {name} must be a number or a rectangular (nested) list of numbers") from None
    if array.size > MAX_ELEMENTS:
        raise LimitError(f"value of {name} has {array.size:,} entries; the limit is {MAX_ELEMENTS:,}")
    if array.ndim == 0:
        return float(array)
    if array.size == 0:
        raise ValueInputError(f"value of {name} is empty")
    return array


_LARGEST = float(np.finfo(float).max)


def _whole_number(digits: str, name: str) -> float:
    """A whole number as a float; one beyond the float range is refused (not made ``inf``)."""
    value = float(digits)
    if not math.isfinite(value):
        _too_large(len(digits.lstrip("+-")), name)
    return value


def _too_large(digits: int, name: str) -> NoReturn:
    raise ValueInputError(f"value of {name} holds a {digits:,}-digit whole number, too large for a float "
                          f"(the largest is about {_LARGEST:.1e})")


def _short(raw: Any) -> str:
    """``repr`` of a user's text, cut to 60 characters."""
    text = repr(raw)
    return text if len(text) <= 60 else text[:50] + "…" + text[-9:]


def _has_non_number(items: list | tuple) -> bool:
    """True when a nested list holds null, true/false or text (numpy would coerce them)."""
    stack = list(items)
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif item is None or isinstance(item, (bool, str, complex)):
            return True
    return False


def normalize_values(values: Mapping[str, Any] | None) -> dict[str, float | np.ndarray]:
    """Canonical names (``α`` -> ``alpha``) and converted values."""
    result: dict[str, float | np.ndarray] = {}
    for key, raw in (values or {}).items():
        name = canonical_name(str(key))
        result[name] = raw if type(raw) is float else to_value(raw, name)  # floats pass as they are
    return result


def owned_values(values: Mapping[str, Any] | None) -> dict[str, float | np.ndarray]:
    """:func:`normalize_values`, with every array read-only and holding no memory of the
    caller's: an array the caller passed as float64 is copied; one made while converting (from
    a list, text or another dtype) is already new and is kept as it is (no second copy)."""
    result: dict[str, float | np.ndarray] = {}
    for key, raw in (values or {}).items():
        name = canonical_name(str(key))
        value = raw if type(raw) is float else to_value(raw, name)
        if isinstance(value, np.ndarray):
            if not _made_here(value, raw):
                value = value.copy()
            value.setflags(write=False)
        result[name] = value
    return result


def _made_here(value: np.ndarray, raw: Any) -> bool:
    """Whether converting ``raw`` made ``value`` as a new array that nothing else holds: from
    nested lists or text, or from a plain ndarray of another dtype (never for other array-like
    objects, whose ``__array__`` may hand out their own memory)."""
    if value is raw or value.base is not None:
        return False
    return isinstance(raw, (list, tuple, str)) or (type(raw) is np.ndarray and raw.dtype != np.float64)


def parse_assignment(text: str) -> tuple[str, float | np.ndarray]:
    """``"x=[1, 2]"`` -> ``("x", array([1., 2.]))`` (the CLI's ``--at``)."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ValueInputError(f"--at takes NAME=VALUE, got {text!r}")
    key = canonical_name(name.strip())
    return key, to_value(raw, key)
