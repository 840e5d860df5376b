"""Plots of a one-variable expression and of its derivative, both computed by the engine.

The expression is evaluated once on an array of points (batch mode: no Python loop per point);
the derivative is the engine's backprop gradient, not a finite difference. Drawing uses
matplotlib (Agg backend), chosen because it writes SVG, PNG and PDF with pip alone and is what
course notebooks already use; the app can show the same figure.

>>> data = sample("relu(x)", "x", -1, 1, 5)
>>> data.x.tolist(), data.y.tolist(), data.dy.tolist()
([-1.0, -0.5, 0.0, 0.5, 1.0], [0.0, 0.0, 0.0, 0.5, 1.0], [0.0, 0.0, 0.0, 1.0, 1.0])
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..core.api import inputs
from ..core.prepared import evaluate
from ..errors import RenderError, ValueInputError
from ..language.names import canonical_name

__all__ = ["PlotData", "sample", "plot_bytes", "ACTIVATIONS", "PLOT_FORMATS"]

ACTIVATIONS = {
    "ReLU": "relu(x)",
    "LeakyReLU (slope 0.01)": "leaky_relu(x, 0.01)",
    "Softplus (beta 1)": "softplus(x)",
    "GELU": "gelu(x)",
    "sigmoid": "sigmoid(x)",
    "tanh": "tanh(x)",
}
"""The activations a homework asks students to plot (ReLU, LeakyReLU, Softplus, GELU) and two more, ready to plot."""

PLOT_FORMATS = ("svg", "png", "pdf")


@dataclass(frozen=True)
class PlotData:
    """Points of f and f′ over a grid."""

    text: str
    variable: str
    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray


def sample(text: str, variable: str | None = None, lo: float = -3.0, hi: float = 3.0, points: int = 601,
           values: Mapping[str, Any] | None = None) -> PlotData:
    """Evaluate ``text`` and its derivative on ``points`` evenly spaced values of ``variable``.

    The variable defaults to the only input without a value. Other inputs take ``values``.
    """
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueInputError(f"the plot range must be two finite numbers with lo < hi, got {lo} and {hi}")
    if not 2 <= points <= 1_000_000:
        raise ValueInputError(f"points must be between 2 and 1,000,000, got {points}")
    given = {canonical_name(k): v for k, v in (values or {}).items()}
    needed = [n for n, default in inputs(text, given).items() if default is None and n not in given]
    if variable is None:
        if len(needed) != 1:
            raise ValueInputError("say which variable to plot: the expression has "
                                  + (f"inputs {', '.join(needed)} without values" if needed else "no free input"))
        variable = needed[0]
    variable = canonical_name(variable)
    grid = np.linspace(lo, hi, points)
    res = evaluate(text, {**given, variable: grid})
    if variable not in res.gradients:
        raise ValueInputError(f"{variable} does not appear in {text!r}")
    y = np.broadcast_to(np.asarray(res.value, dtype=float), grid.shape)
    dy = np.broadcast_to(np.asarray(res.gradients[variable], dtype=float), grid.shape)
    return PlotData(text, variable, grid, np.array(y), np.array(dy))


def plot_bytes(data: PlotData, fmt: str = "svg", title: str | None = None) -> bytes:
    """The plot of f and f′ in ``fmt`` (svg, png or pdf)."""
    if fmt not in PLOT_FORMATS:
        raise RenderError(f"unknown plot format {fmt!r}; choose one of: {', '.join(PLOT_FORMATS)}")
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.plot(data.x, data.y, color="#1f4e79", linewidth=2.2, label=f"f({data.variable})")
    ax.plot(data.x, data.dy, color="#c0392b", linewidth=1.6, linestyle="--", label=f"f′({data.variable}) (backprop)")
    ax.set_xlabel(data.variable)
    ax.set_title(title if title is not None else _short_title(data), fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata=_metadata(fmt))
    return buffer.getvalue()


TITLE_CHARS = 70
"""Longest default title: a whole program as the title would squeeze the axes to nothing."""


def _short_title(data: PlotData) -> str:
    """``f(x) = <text>`` on one line without comments, cut to :data:`TITLE_CHARS` with an ellipsis."""
    text, depth = "", 0
    for line in data.text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if text:  # a new statement, or the same one going on inside brackets
            text += " " if depth > 0 else "; "
        text += line
        depth += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
    title = f"f({data.variable}) = {text}"
    return title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1] + "…"


def _metadata(fmt: str) -> dict[str, Any] | None:
    """Reproducible files: no creation date in SVG/PDF."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return None
