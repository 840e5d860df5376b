"""graphviz_nn: draw computation graphs, step through backprop, export the diagrams.

>>> import graphviz_nn as gnn
>>> res = gnn.evaluate("x^2 + 3xy", {"x": 2, "y": 1})
>>> res.value, res.gradients
(10.0, {'x': 7.0, 'y': 6.0})
"""

from __future__ import annotations

from typing import Any

from .core import api as _api
from .core.api import Evaluation, canonical, inputs, parse
from .core.prepared import Prepared, evaluate, prepare
from .errors import (GnnError, LayoutNotFoundError, LimitError, MissingValueError, ParseError,
                     RenderError, ShapeError, UnknownNameError, ValueInputError)
from .export.files import render_svg as _render_svg
from .export.player.notebook import notebook_html as _notebook_html

# An evaluation draws itself in Jupyter through the export layer (the drawing, and the step
# player beside it); the core only holds the hooks.
_api.DRAW_SVG = _render_svg
_api.DRAW_HTML = _notebook_html

__all__ = [
    "Evaluation", "evaluate", "prepare", "Prepared", "parse", "canonical", "inputs", "render", "gradient_check",
    "GnnError", "ParseError", "UnknownNameError", "MissingValueError", "ShapeError",
    "ValueInputError", "LimitError", "RenderError", "LayoutNotFoundError",
]
__version__ = "0.1.0"


def gradient_check(res: Evaluation, eps: float = 1e-6) -> dict[str, tuple[Any, Any, float]]:
    """Backprop gradients beside central finite differences, with the relative error."""
    return res.gradient_check(eps)


def render(res: Evaluation, **options: Any) -> str:
    """Draw an evaluation as SVG text (see :class:`graphviz_nn.draw.options.RenderOptions`)."""
    return _render_svg(res, **options)
