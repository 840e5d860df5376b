"""Numbers and tensors formatted for people.

One set of rules for every picture and export:

* ``digits`` significant digits (default 4), trailing zeros dropped;
* integers without ``.0`` (``4``, not ``4.0``), up to a million;
* one minus sign everywhere (U+2212 ``−``), and never ``-0``;
* very large or small magnitudes in a short scientific form (``1.235e6``);
* ``nan``, ``inf`` and ``−inf`` spelled out.

>>> format_number(10.345912)
'10.35'
>>> format_number(-4.0)
'−4'
>>> format_number(-0.0)
'0'
>>> format_number(0.000012345)
'1.234e−5'
>>> format_shape((2, 3))
'2×3'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ops import format_shape as ops_format_shape

__all__ = [
    "MINUS",
    "GRID_MAX",
    "TensorText",
    "format_number",
    "format_shape",
    "format_tensor",
    "latex_number",
    "is_finite",
]

MINUS = "\u2212"
GRID_MAX = 4  # tensors up to GRID_MAX × GRID_MAX show every entry
_INT_LIMIT = 1e6  # integral values below this print exactly
_FIXED_LOW = 1e-4  # magnitudes below this go scientific


def _plain(x: float, digits: int) -> str:
    """``x`` with ``digits`` significant digits, ASCII minus, no exponent marker rewriting."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    ax = abs(x)
    if ax < _INT_LIMIT and float(x).is_integer():
        return str(int(x))
    if _FIXED_LOW <= ax < _INT_LIMIT:
        decimals = max(0, digits - 1 - math.floor(math.log10(ax)))
        text = f"{x:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "0") else text
    mantissa, exponent = f"{x:.{max(digits - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def format_number(x: Any, digits: int = 4) -> str:
    """A scalar as people write it (see the module docstring for the rules).

    >>> [format_number(v) for v in (3, 2.5, 1/3, -1e9, float("nan"), float("-inf"))]
    ['3', '2.5', '0.3333', '−1e9', 'nan', '−inf']
    """
    return _plain(float(x), digits).replace("-", MINUS)


def latex_number(x: Any, digits: int = 4) -> str:
    """The same number for LaTeX math mode.

    >>> latex_number(-4.0), latex_number(1.5e-7), latex_number(float("inf"))
    ('-4', '1.5\\\\times 10^{-7}', '\\\\infty')
    """
    text = _plain(float(x), digits)
    if text == "nan":
        return r"\mathrm{NaN}"
    if text.endswith("inf"):
        return text.replace("inf", r"\infty")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa}\times 10^{{{exponent}}}"
    return text


def format_shape(shape: tuple[int, ...]) -> str:
    """``(2, 3)`` -> ``'2×3'`` (the op registry's spelling); a scalar's empty shape gives ``''``."""
    return "" if not shape else ops_format_shape(tuple(int(n) for n in shape))


def is_finite(value: Any) -> bool:
    """True when every entry of a scalar or array is finite."""
    if type(value) is float:  # the common case, without numpy's per-call overhead
        return math.isfinite(value)
    return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))


@dataclass(frozen=True)
class TensorText:
    """A value ready for a label.

    ``scalar`` is set for 0-d values; ``grid`` holds rows of formatted entries for small
    tensors (a 1-d vector is one row); ``summary`` (``'min −1, max 3'``) for larger ones.
    """

    shape: tuple[int, ...]
    scalar: str | None = None
    grid: tuple[tuple[str, ...], ...] | None = None
    summary: str | None = None

    @property
    def shape_text(self) -> str:
        """The shape as ``2×3`` (empty for scalars)."""
        return format_shape(self.shape)

    def one_line(self) -> str:
        """A single-line rendering: the scalar, ``[1, 2; 3, 4]`` for grids, or the summary."""
        if self.scalar is not None:
            return self.scalar
        if self.grid is not None:
            return "[" + "; ".join(", ".join(row) for row in self.grid) + "]"
        return self.summary or ""


def format_tensor(value: Any, digits: int = 4, grid_max: int = GRID_MAX) -> TensorText:
    """Format a scalar or array: every entry when it fits ``grid_max`` × ``grid_max``.

    >>> format_tensor(2.0).scalar
    '2'
    >>> format_tensor([[1, 2], [3, -4.5]]).grid
    (('1', '2'), ('3', '−4.5'))
    >>> format_tensor(np.arange(30.0).reshape(5, 6)).summary
    'min 0, max 29'
    """
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return TensorText(shape=(), scalar=format_number(arr.item(), digits))
    shape = tuple(int(n) for n in arr.shape)
    if arr.ndim <= 2 and all(n <= grid_max for n in shape) and arr.size > 0:
        rows = arr.reshape(1, -1) if arr.ndim == 1 else arr
        grid = tuple(tuple(format_number(v, digits) for v in row) for row in rows)
        return TensorText(shape=shape, grid=grid)
    if arr.size == 0:
        return TensorText(shape=shape, summary="empty")
    finite = arr[np.isfinite(arr)]
    bad = arr.size - finite.size
    if finite.size == 0:
        return TensorText(shape=shape, summary="no finite entries")
    summary = f"min {format_number(finite.min(), digits)}, max {format_number(finite.max(), digits)}"
    if bad:
        summary += f", {bad} non-finite"
    return TensorText(shape=shape, summary=summary)
