"""What a value field takes: a number, a vector or matrix, or a batch (a column of points).

Each input's field has a kind. A scalar input gets a number field; an input whose value is an
array gets a vector/matrix field (JSON, e.g. ``[[1, 2], [0, -1]]``, with its shape shown); a
batch field takes one number a line (or separated by commas or spaces) and means a 1-D array of
points. The kind comes from the value unless the user picked one, so a scalar input can become
a matrix by choosing "vector/matrix" and typing one.

:func:`read_entry` turns what was typed into the value text the page computes with, or raises a
:class:`~graphviz_nn.errors.ValueInputError` whose span points into the typed text (rendered
with a caret). Nothing is coerced: a matrix typed where a number is asked for, a number where a
matrix is asked for, a ragged matrix, or a word are refused, never made into something else.

>>> read_entry("W1", "[[1, 2], [0, -1]]", "array")
'[[1, 2], [0, -1]]'
>>> read_entry("x", "1\\n2.5\\n-3", "batch")
'[1, 2.5, -3]'
>>> print(entry_error("W1", "[[1, 2], [0, -1]", "array"))
W1: the matrix is not closed: a ] is missing at column 17
  [[1, 2], [0, -1]
                  ^
>>> describe("[[1, 2, 3], [4, 5, 6]]"), describe("2"), describe("[1, 2]", "batch")
('2×3 matrix', 'number', 'batch of 2 points')
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from ..errors import GnnError, ValueInputError
from ..language.values import to_value
from .evaluations import value_text

__all__ = ["KINDS", "KIND_LABELS", "field_kind", "describe", "read_entry", "entry_error", "batch_lines"]

KINDS = ("number", "array", "batch")
"""The kinds of value field."""
KIND_LABELS = {"number": "number", "array": "vector/matrix", "batch": "batch (points)"}
"""How the kind menu names each kind."""

_TOKEN = re.compile(r"[^\s,;]+")


def is_number(text: str) -> bool:
    """Whether ``text`` reads as one float (what a number field can show).

    >>> is_number("2.5"), is_number("1e-3"), is_number("[1]"), is_number("x")
    (True, True, False, False)
    """
    try:
        float(text)
    except ValueError:
        return False
    return True


def _ndim(raw: str) -> int | None:
    """The number of dimensions of a value text, or None when it is not a value."""
    try:
        return int(np.ndim(to_value(raw)))
    except GnnError:
        return None


def field_kind(raw: str, chosen: str | None = None) -> str:
    """The kind of field for an input holding ``raw``: the user's choice, unless the value is
    an array and a number field was chosen (a number field cannot show it), or the value is a
    matrix and a batch was chosen.

    >>> field_kind("2"), field_kind("[1, 2]"), field_kind("2", "array"), field_kind("[[1]]", "number")
    ('number', 'array', 'array', 'array')
    """
    ndim = _ndim(raw)
    if chosen in KINDS:
        if chosen == "number" and ndim:
            return "array"
        if chosen == "batch" and ndim is not None and ndim > 1:
            return "array"
        return chosen
    return "array" if ndim else "number"


def kind_refused(raw: str, chosen: str | None) -> str | None:
    """Why the kind the user chose for an input holding ``raw`` is not the kind its field shows
    (``None`` when it is): a number field cannot hold an array, a batch cannot hold a matrix.

    >>> kind_refused("[1, 2]", "number")
    'A number field cannot hold the vector of 2 this input has: type a number into the field to make it a number.'
    >>> kind_refused("2", "number") is None, kind_refused("[1, 2]", None) is None
    (True, True)
    """
    if chosen not in KINDS or field_kind(raw, chosen) == chosen:
        return None
    what = "A number field" if chosen == "number" else "A batch (one number a point)"
    return (f"{what} cannot hold the {describe(raw)} this input has: type a number into the field "
            f"to make it a number.")


def describe(raw: str, kind: str | None = None) -> str:
    """The shape of a value text in words: ``number``, ``vector of 3``, ``2×3 matrix``,
    ``batch of 5 points``, ``2×2×2 array`` (or ``not a value``)."""
    try:
        value = to_value(raw)
    except GnnError:
        return "not a value"
    shape = np.shape(value)
    if not shape:
        return "number"
    if len(shape) == 1:
        if kind == "batch":
            return f"batch of {shape[0]} point" + ("s" if shape[0] != 1 else "")
        return f"vector of {shape[0]}"
    return "×".join(str(n) for n in shape) + (" matrix" if len(shape) == 2 else " array")


def batch_lines(raw: str) -> str:
    """A 1-D value text as the batch field shows it: one number a line.

    >>> batch_lines("[1, 2.5, -3]")
    '1\\n2.5\\n-3'
    """
    try:
        value = to_value(raw)
    except GnnError:
        return raw
    if np.ndim(value) != 1:
        return raw
    return "\n".join(value_text(float(v)) for v in np.asarray(value))


def _error(name: str, message: str, raw: str, start: int, end: int | None = None) -> ValueInputError:
    start = max(0, min(start, len(raw)))
    end = start + 1 if end is None else max(start + 1, end)
    return ValueInputError(f"{name}: {message}", (start, end), raw)


def _number(name: str, raw: str) -> str:
    text = raw.strip()
    lead = len(raw) - len(raw.lstrip())
    try:
        value = float(text)
    except ValueError:
        if text.startswith("["):
            raise _error(name, "a number field takes one number; for a vector or matrix choose "
                               "“vector/matrix” as its kind", raw, lead, lead + len(text)) from None
        raise _error(name, "not a number", raw, lead, lead + len(text)) from None
    return value_text(value) if math.isfinite(value) else text


def _ragged_at(text: str) -> int | None:
    """Where a JSON array's rows stop having the same length: the index of the ``]`` that
    closes a row of another length, or of a ``[`` where a number was expected (or the reverse)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    lengths, probe = [], data
    while isinstance(probe, list) and probe:
        lengths.append(len(probe))
        probe = probe[0]
    depth, counts, seen_value = 0, [], []
    for i, ch in enumerate(text):
        if ch == "[":
            if depth >= len(lengths):
                return i  # a list where the first rows have numbers
            if counts:
                counts[-1] += 1
            depth += 1
            counts.append(0)
            seen_value.append(False)
        elif ch == "]":
            count = counts.pop() + (1 if seen_value.pop() else 0)
            if count != lengths[depth - 1]:
                return i
            depth -= 1
        elif ch == ",":
            if seen_value and seen_value[-1]:
                counts[-1] += 1
                seen_value[-1] = False
        elif not ch.isspace() and seen_value and not seen_value[-1]:
            if depth < len(lengths):
                return i  # a number where the first rows have a list
            seen_value[-1] = True
    return None


def _array(name: str, raw: str) -> str:
    text = raw.strip()
    lead = len(raw) - len(raw.lstrip())
    if not text.startswith("["):
        what = "a number" if _ndim(text) == 0 else "not a vector or matrix"
        raise _error(name, f"{what}: a vector/matrix field takes [1, 2] or [[1, 2], [0, -1]] "
                           "(for one number choose “number” as its kind)", raw, lead, lead + max(1, len(text)))
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        at = lead + err.pos
        if err.pos >= len(text):
            depth = text.count("[") - text.count("]")
            why = f"the matrix is not closed: a ] is missing" if depth > 0 else "the text ends too soon"
        else:
            why = f"cannot read this as a vector or matrix ({err.msg.lower()})"
        raise _error(name, why, raw, at) from None
    except RecursionError:
        raise _error(name, "nested too deeply to read", raw, lead) from None
    ragged = _ragged_at(text)
    if ragged is not None:
        raise _error(name, "the rows do not all have the same length (a matrix is rectangular)", raw, lead + ragged)
    try:
        value = to_value(text, name)
    except GnnError as err:
        raise _error(name, err.message.replace(f"value of {name} ", ""), raw, lead, lead + len(text)) from None
    if not np.all(np.isfinite(value)):
        bad = re.search(r"nan|inf", text, re.IGNORECASE)
        raise _error(name, "entries must be finite numbers", raw, lead + (bad.start() if bad else 0))
    return value_text(value)


def _batch(name: str, raw: str) -> str:
    if raw.strip().startswith("["):
        canonical = _array(name, raw)
        if _ndim(canonical) != 1:
            raise _error(name, "a batch is one column of points: [1, 2, 3] or one number a line",
                         raw, len(raw) - len(raw.lstrip()))
        return canonical
    points = []
    for match in _TOKEN.finditer(raw):
        try:
            value = float(match.group())
        except ValueError:
            raise _error(name, "not a number (a batch takes one number a line)", raw,
                         match.start(), match.end()) from None
        if not math.isfinite(value):
            raise _error(name, "points must be finite numbers", raw, match.start(), match.end())
        points.append(value)
    if not points:
        raise _error(name, "the batch is empty: type one number a line", raw, 0)
    return value_text(points)


def read_entry(name: str, raw: str, kind: str) -> str:
    """The value text the page computes with, from ``raw`` typed into ``name``'s field of
    ``kind``. Raises ``ValueInputError`` with a span into ``raw``."""
    if kind == "number":
        return _number(name, raw)
    if kind == "batch":
        return _batch(name, raw)
    return _array(name, raw)


def entry_error(name: str, raw: str, kind: str) -> str | None:
    """Why ``raw`` is not a value for ``name``'s field of ``kind`` (message, the typed text and a
    caret), or None when it is."""
    try:
        read_entry(name, raw, kind)
    except ValueInputError as err:
        return err.render()
    return None
