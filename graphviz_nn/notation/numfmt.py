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
>>> format_shape((2, 3)), format_shape(())
('2×3', '')

Arrays are written out (``[4, 12, 8]``, columns and ``bmatrix`` in LaTeX) up to
:data:`MAX_SHOWN_ELEMENTS` entries, by shape beyond; a drawing's label uses
:func:`format_tensor` (every entry up to 4 × 4, else the range).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..language.names import latex_text
from ..ops import format_shape as _format_shape

__all__ = [
    "MINUS",
    "GRID_MAX",
    "TensorText",
    "format_number",
    "format_shape",
    "format_tensor",
    "latex_number",
    "tensor_latex",
    "is_finite",
    "is_negative",
    "python_number",
    "python_literal",
    "MAX_SHOWN_ELEMENTS",
]

MINUS = "\u2212"
GRID_MAX = 4  # tensors up to GRID_MAX × GRID_MAX show every entry
_INT_LIMIT = 1e6  # integral values below this print exactly
_FIXED_LOW = 1e-4  # magnitudes below this go scientific
MAX_SHOWN_ELEMENTS = 12
"""Arrays with more entries than this are written by their shape (``array 20×20``)."""


PLAIN_MEMO = 8192
"""How many (number, digits) texts :func:`_plain` keeps: a player's build writes each value of
the pass many times (labels, caption, trace table, inspector); the same few thousand numbers."""


@functools.lru_cache(maxsize=PLAIN_MEMO)
def _plain(x: float, digits: int) -> str:
    """``x`` with ``digits`` significant digits, ASCII minus, no exponent marker rewriting.
    Memoized: equal floats give the same text (0.0 and -0.0 both ``0``, every NaN ``nan``)."""
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
    """A number as people write it (see the module docstring for the rules); an array as
    nested lists, or by its shape past :data:`MAX_SHOWN_ELEMENTS` entries; ``None`` as ``''``.

    >>> [format_number(v) for v in (3, 2.5, 1/3, -1e9, float("nan"), float("-inf"))]
    ['3', '2.5', '0.3333', '−1e9', 'nan', '−inf']
    >>> format_number(np.array([[4.0, 4, 8], [8, 8, 16]])), format_number(np.zeros((20, 20)))
    ('[[4, 4, 8], [8, 8, 16]]', 'array 20×20')
    """
    if not isinstance(x, float):  # a float or numpy float64 goes straight to the text
        if x is None:
            return ""
        arr = np.asarray(x)
        if arr.ndim:
            if arr.size > MAX_SHOWN_ELEMENTS:
                return "array " + format_shape(arr.shape)
            return "[" + ", ".join(format_number(row, digits) for row in arr) + "]"
        x = arr.item()
    return _plain(float(x), digits).replace("-", MINUS)


def latex_number(x: Any, digits: int = 4) -> str:
    """The same number for LaTeX math mode; a vector as a column and a matrix as a ``bmatrix``.

    >>> latex_number(-4.0), latex_number(1.5e-7), latex_number(float("inf"))
    ('-4', '1.5\\\\times 10^{-7}', '\\\\infty')
    >>> latex_number(np.array([1.0, 2.0]))
    '\\\\begin{bmatrix}1 \\\\\\\\ 2\\\\end{bmatrix}'
    """
    if type(x) is not float:
        if x is None:
            return ""
        arr = np.asarray(x)
        if arr.ndim:
            if arr.size > MAX_SHOWN_ELEMENTS or arr.ndim > 2:
                return r"\text{array } " + r" \times ".join(str(n) for n in arr.shape)
            rows = arr.reshape(-1, 1) if arr.ndim == 1 else arr  # vectors are columns
            body = r" \\ ".join(" & ".join(latex_number(v, digits) for v in row) for row in rows)
            return r"\begin{bmatrix}" + body + r"\end{bmatrix}"
        x = arr.item()
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
    """``(2, 3)`` -> ``'2×3'``, a scalar's empty shape ``''``: the registry's one spelling of a
    shape (:func:`graphviz_nn.ops.format_shape`) as a drawing's label writes it."""
    return _format_shape(shape, scalar="")


def is_negative(value: Any) -> bool:
    """True for a real number below zero (a formula brackets it: ``x·(−2)``)."""
    arr = np.asarray(value)
    return arr.ndim == 0 and bool(np.isreal(arr)) and float(arr) < 0


def tensor_latex(value: Any, digits: int = 4) -> str:
    r"""A value as a drawing's label writes it, in LaTeX: the number, every entry of a small
    tensor, else its shape and range (:func:`format_tensor`).

    >>> tensor_latex(-2.0), tensor_latex([1, 2]), tensor_latex(np.arange(30.0).reshape(5, 6))
    ('-2', '\\begin{bmatrix} 1 & 2 \\end{bmatrix}', '[5 \\times 6]\\ \\text{min 0, max 29}')
    """
    text = format_tensor(value, digits)
    if text.scalar is not None:
        return latex_number(value, digits)
    arr = np.asarray(value, dtype=float)
    if text.grid is not None:
        rows = arr.reshape(1, -1) if arr.ndim == 1 else arr
        body = r" \\ ".join(" & ".join(latex_number(v, digits) for v in row) for row in rows)
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"
    shape = r" \times ".join(str(n) for n in arr.shape)
    return rf"[{shape}]\ \text{{{latex_text(text.summary)}}}"


def python_number(value: float) -> str:
    """A float as Python source that runs: ``float('inf')``, ``float('-inf')``, ``float('nan')``
    for the numbers ``repr`` would spell as undefined names.

    >>> python_number(2.5), python_number(float("inf")), python_number(-float("inf")), python_number(float("nan"))
    ('2.5', "float('inf')", "float('-inf')", "float('nan')")
    """
    if math.isnan(value):
        return "float('nan')"
    if math.isinf(value):
        return "float('inf')" if value > 0 else "float('-inf')"
    return repr(float(value))


def python_literal(value: Any) -> str:
    """A number or a nested list of numbers as Python source (see :func:`python_number`), for exported code."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return python_number(float(arr))
    if np.all(np.isfinite(arr)):
        return repr(arr.tolist())
    return "[" + ", ".join(python_literal(item) for item in arr) + "]"


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
