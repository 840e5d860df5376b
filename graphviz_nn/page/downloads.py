"""The files behind the app's download buttons: the current step in one format, or every step.

:data:`EXPORT_FORMATS` and :data:`STEP_EXPORTS` list what the buttons offer (format, file
extension, MIME type, label); :func:`export` and :func:`steps_export` make the bytes from the
page's evaluation cache (:mod:`graphviz_nn.page.view`) with the same renderer as the page.

>>> from graphviz_nn.draw.options import RenderOptions
>>> export("x^2 + 3xy", {"x": "2", "y": "1"}, RenderOptions(), None, "dot").startswith(b"digraph")
True
"""

from __future__ import annotations

from dataclasses import replace
from .dispatch import bounded
from ..draw.options import RenderOptions
from .evaluations import Labels, ValuesArg, cached_evaluation, with_defaults

__all__ = ["EXPORT_FORMATS", "export", "STEP_EXPORTS", "steps_export", "steps_heading"]

#: Download formats: (format for ``export_bytes``, file extension, MIME type, button label).
EXPORT_FORMATS: tuple[tuple[str, str, str, str], ...] = (
    ("svg", "svg", "image/svg+xml", "SVG"),
    ("png", "png", "image/png", "PNG"),
    ("pdf", "pdf", "application/pdf", "PDF"),
    ("dot", "dot", "text/vnd.graphviz", "DOT"),
    ("tex", "tex", "application/x-tex", "TikZ"),
)


def steps_heading(last: int) -> str:
    """The heading of the every-step downloads, counted as the step slider counts (0 to
    ``last``): ``Download steps 0–23 (24 frames)``."""
    from ..export.frames import steps_text

    return f"Download {steps_text(last)}"


@bounded()
def export(text: str, values: ValuesArg | None, options: RenderOptions, step: int | None, fmt: str,
           labels: Labels = ()) -> bytes:
    """The current view as a file: ``fmt`` is one of :data:`EXPORT_FORMATS` (svg, png, pdf, dot, tex).

    Raises ``GnnError`` when the text does not evaluate or the drawing fails.
    """
    from ..export.files import export_bytes

    res = cached_evaluation(text, with_defaults(text, values), labels, options.constant_grads, options.merge)
    k = len(res.trace) if step is None else max(0, min(int(step), len(res.trace)))
    return export_bytes(res, fmt, replace(options, step=k))



#: Step-sequence downloads: (format, file extension, MIME type, button label).
STEP_EXPORTS: tuple[tuple[str, str, str, str], ...] = (
    ("zip", "zip", "application/zip", "SVG frames (zip)"),
    ("gif", "gif", "image/gif", "GIF"),
    ("pdf", "pdf", "application/pdf", "PDF (a step a page)"),
    ("html", "html", "text/html", "Interactive HTML"),
)


@bounded()
def steps_export(text: str, values: ValuesArg | None, options: RenderOptions, fmt: str,
                 labels: Labels = ()) -> bytes:
    """Every step as one file: ``fmt`` is ``zip`` (numbered SVGs), ``gif``, ``pdf`` or ``html``
    (the step player: one page, no network needed). Raises ``GnnError`` (too many steps, no
    layout program, …)."""
    from ..export.frames import steps_bytes

    if fmt == "html":
        from ..export.player import player_page
        from .player import player_json

        return player_page(_player_data(player_json(text, values, options, labels))).encode("utf-8")
    res = cached_evaluation(text, with_defaults(text, values), labels, options.constant_grads, options.merge)
    return steps_bytes(res, fmt, replace(options, step=None))


def _player_data(text: str) -> dict:
    import json

    return json.loads(text)

