"""Bytes of a picture in every export format.

========  ====================================================================
``svg``   laid out by ``dot`` or ``graphviz-pure``
``png``   laid out by ``dot`` or ``graphviz-pure`` (150 dpi)
``pdf``   ``dot -Tpdf``; with graphviz-pure, its drawing operations written as
          vector PDF by :mod:`graphviz_nn.layout.pdf` (no extra dependency)
``dot``   the DOT source (no binary)
``json``  the evaluation as JSON (``res.to_json()``; no binary)
``tex``   a standalone TikZ picture at the Graphviz layout positions
``html``  the step player: every step of the pass in one self-contained page
          (:mod:`graphviz_nn.export.player`)
========  ====================================================================

>>> format_for_path("figure.SVG")
'svg'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..layout import program as layout
from ..errors import RenderError
from ..draw.dot import RenderOptions, to_dot
from ..draw.neurons import NeuronOptions, neuron_dot
from ..draw.tikz import placement_dot, tikz_document
from ..layout import kept
from ..layout.steady import step_source
from .writing import write_bytes

__all__ = ["FORMATS", "PNG_DPI", "dot_bytes", "export_bytes", "export_file", "format_for_path", "render_svg",
           "neuron_svg", "tikz_text", "fixed_pdf_dates", "reading_order"]

_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate) ?\(D:)\d{14}")
FORMATS = ("svg", "png", "pdf", "dot", "json", "tex", "html")
PNG_DPI = 150


def format_for_path(path: str | Path) -> str:
    """The export format named by a file's suffix; unknown suffixes raise RenderError."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "gv":
        suffix = "dot"
    if suffix not in FORMATS:
        raise RenderError(f"cannot tell the format of {str(path)!r}; use one of: "
                          + ", ".join(f".{f}" for f in FORMATS))
    return suffix


def _json_bytes(res: Any) -> bytes:
    to_json = getattr(res, "to_json", None)
    if to_json is None:
        raise RenderError("JSON export needs an evaluation result (gnn.evaluate(...))")
    text = to_json()
    if isinstance(text, bytes):
        return text
    if not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False, indent=2, allow_nan=False)
    return text.encode("utf-8")


def export_bytes(res: Any, fmt: str, options: RenderOptions | None = None) -> bytes:
    """The picture (or data) of ``res`` in format ``fmt``, one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise RenderError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    opts = options if options is not None else RenderOptions()
    if fmt == "json":
        return _json_bytes(res)
    if fmt == "tex":
        return tikz_text(res, opts).encode("utf-8")
    if fmt == "html":  # the step player: every step in one page
        from .player import player_html

        return player_html(res, opts).encode("utf-8")
    if fmt == "dot":  # the plain source: whoever runs dot on it lays it out
        return to_dot(res, opts).encode("utf-8")
    source, extra = step_source(res, opts)
    return dot_bytes(source, fmt, opts.layout_program, opts.timeout, extra)


def dot_bytes(source: str, fmt: str, layout_program: str = "auto", timeout: float = layout.DEFAULT_TIMEOUT,
              extra: tuple[str, ...] = ()) -> bytes:
    """Any DOT source (a computation graph, the neuron view) as svg, png, pdf or dot bytes;
    ``extra`` are more layout arguments (:data:`steady.PIN_ARGS` for a pinned step)."""
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt not in ("svg", "png", "pdf"):
        raise RenderError(f"a drawing exports as svg, png, pdf or dot, not {fmt!r}")
    program = layout.find_program(layout_program)
    if fmt == "png":
        return layout.run_layout(source, "png", program, timeout, (f"-Gdpi={PNG_DPI}", *extra))
    if fmt == "pdf" and "pdf" not in program.formats:
        from ..layout.pdf import xdot_json_to_pdf

        return xdot_json_to_pdf(layout.run_layout(source, "json", program, timeout, extra))
    if fmt == "svg":  # a kept process: no start of the program per drawing
        return kept.run_kept([source], fmt, program, timeout, extra)[0]
    data = layout.run_layout(source, fmt, program, timeout, extra)
    return fixed_pdf_dates(data) if fmt == "pdf" else data


def fixed_pdf_dates(pdf: bytes) -> bytes:
    """The PDF with its creation and modification dates set to 1970-01-01, so the same drawing
    gives the same bytes every run (the dates keep their length: offsets stay valid).

    >>> fixed_pdf_dates(b"/CreationDate (D:20261128102616Z)")
    b'/CreationDate (D:19700101000000Z)'
    """
    return _PDF_DATE.sub(lambda m: m.group(1) + b"19700101000000", pdf)


def export_file(res: Any, path: str | Path, options: RenderOptions | None = None, fmt: str | None = None) -> Path:
    """Write ``res`` to ``path`` in ``fmt`` (default: from the suffix); returns the path."""
    target = Path(path)
    return write_bytes(target, export_bytes(res, fmt or format_for_path(target), options))


def render_svg(res: Any, **options: Any) -> str:
    """SVG text of the picture (this is ``gnn.render``); options as in :class:`RenderOptions`."""
    return export_bytes(res, "svg", RenderOptions.from_kwargs(**options)).decode("utf-8")


def tikz_text(res: Any, options: RenderOptions | None = None) -> str:
    """The standalone TikZ document of ``res``: laid out once, nodes placed at those positions."""
    opts = options if options is not None else RenderOptions()
    geometry = layout.layout_geometry(placement_dot(res, opts), opts.layout_program, opts.timeout)
    return tikz_document(res, opts, geometry.positions, geometry.routes)


def neuron_svg(net: Any, res: Any = None, options: NeuronOptions | None = None, timeout: float = 60.0) -> str:
    """The neuron-level view as SVG text (runs the layout program)."""
    return layout.run_layout(neuron_dot(net, res, options), "svg", timeout=timeout).decode("utf-8")


def reading_order(res: Any, options: RenderOptions | None = None) -> list[str]:
    """The graph's nodes in the order a reader meets them in the drawing: column by column from
    the left and top to bottom in a column (``rankdir=LR``), or row by row from the top and
    left to right in a row (``TB``). Runs the layout program once."""
    opts = options if options is not None else RenderOptions()
    positions = layout.node_positions(to_dot(res, opts), opts.layout_program, opts.timeout)
    across = opts.rankdir == "LR"

    def place(node: str) -> tuple[float, float]:
        x, y = positions[node]
        return (round(x, 1), -y) if across else (round(-y, 1), x)

    return sorted((n for n in res.graph.nodes if n in positions), key=place)
