"""Worksheets on the app's page: the drawing with numbered blanks, checking typed answers, downloads.

These wrap :mod:`graphviz_nn.explain.worksheet` (which blanks, how they are drawn, how answers are
checked) around the page's evaluation cache (:mod:`graphviz_nn.page.view`): the same
(text, values, blank, nodes, sample, seed) always gives the same sheet on screen, in the
check and in the downloaded sheet and answer key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, Mapping

from .dispatch import bounded
from ..draw.options import RenderOptions
from .evaluations import Labels, ValuesArg, cached_evaluation, with_defaults
from .issues import Issue, issue_of

__all__ = ["WorksheetView", "worksheet_view", "check_worksheet", "worksheet_export", "sheet_caption"]


@dataclass(frozen=True)
class WorksheetView:
    """A worksheet on the page: the drawing with numbered blanks, what each blank asks for, and
    a caption that says only what the drawing shows."""

    svg: str = ""
    blanks: tuple[tuple[int, str], ...] = ()
    issue: Issue | None = None
    caption: str = ""


def sheet_caption(render_options: Any) -> str:
    """What the worksheet drawing drawn with ``render_options`` gives and asks for."""
    ask = "Fill in the numbered blanks (numbered as you read the drawing), then check."
    if render_options.edge_mode == "formula":
        return ask + " Edges show the local derivatives as formulas; the numbers are yours to find."
    return ask + (" Edges carry no labels: choose formulas under \"Edges show\" in the sidebar to see "
                  "each edge's local derivative.")


@functools.lru_cache(maxsize=32)
def _sheet(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, blank: str,
           nodes: tuple[str, ...], sample: int | None, seed: int, labels: Labels) -> Any:
    """The evaluation and its ``worksheet.Worksheet`` (which blanks, numbered in the order the
    drawing reads), as a pair (cached: the layout that orders the blanks runs once)."""
    from ..explain.worksheet import choose_blanks, in_reading_order, render_options
    from ..export.files import reading_order

    res = cached_evaluation(text, values, labels)
    sheet = choose_blanks(res, blank, list(nodes) or None, sample, seed)
    return res, in_reading_order(sheet, reading_order(res, render_options(sheet, replace(options, step=None))))


@functools.lru_cache(maxsize=32)
def _worksheet_view(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, blank: str,
                    nodes: tuple[str, ...], sample: int | None, seed: int, labels: Labels) -> WorksheetView:
    """The :class:`WorksheetView` for merged values (cached; raises GnnError)."""
    from ..export.files import export_bytes
    from ..explain.worksheet import render_options

    res, sheet = _sheet(text, values, options, blank, nodes, sample, seed, labels)
    drawn = render_options(sheet, replace(options, step=None))
    svg = export_bytes(res, "svg", drawn).decode("utf-8")
    return WorksheetView(svg=svg, blanks=tuple((b.number, b.label) for b in sheet.blanks), caption=sheet_caption(drawn))


@bounded(over=lambda err, text, *args, **kwargs: WorksheetView(issue=issue_of(err, text)))
def worksheet_view(text: str, values: ValuesArg | None, options: RenderOptions, blank: str = "grads",
                   nodes: tuple[str, ...] = (), sample: int | None = None, seed: int = 0,
                   labels: Labels = ()) -> WorksheetView:
    """The worksheet drawing and its blanks (``blank``: grads, values or both; ``nodes`` to
    restrict; ``sample`` random blanks by ``seed``). Never raises.

    >>> ws = worksheet_view("z = w x + b; L = z^2", {"w": "3", "x": "2", "b": "1"}, RenderOptions())
    >>> ws.blanks
    ((1, '∂L/∂w'), (2, '∂L/∂x'), (3, '∂L/∂b'), (4, '∂L/∂z'))
    """
    try:
        return _worksheet_view(text, with_defaults(text, values), options, blank, tuple(nodes), sample, seed,
                               tuple(labels))
    except Exception as exc:
        return WorksheetView(issue=issue_of(exc, text))


@bounded(over=lambda err, text, *args, **kwargs: ((), issue_of(err, text)))
def check_worksheet(text: str, values: ValuesArg | None, answers: Mapping[int, str], blank: str = "grads",
                    nodes: tuple[str, ...] = (), sample: int | None = None, seed: int = 0,
                    labels: Labels = (), options: RenderOptions | None = None) -> tuple[tuple[Any, ...], Issue | None]:
    """Check typed answers (blank number -> text): ``worksheet.Check`` rows (ok, expected, hint).
    ``options`` are the drawing's (the blanks are numbered as it reads).

    >>> rows, _ = check_worksheet("z = w x + b; L = z^2", {"w": "3", "x": "2", "b": "1"}, {1: "28", 2: "40"})
    >>> [(r.number, r.ok) for r in rows][:2], rows[1].hint
    ([(1, True), (2, False)], '∂L/∂x = ∂L/∂z · ∂z/∂x = ∂L/∂z · w')
    """
    from ..explain.worksheet import check_answers

    try:
        res, sheet = _sheet(text, with_defaults(text, values), options or RenderOptions(), blank, tuple(nodes), sample,
                            seed, tuple(labels))
        return tuple(check_answers(res, sheet, dict(answers))), None
    except Exception as exc:
        return (), issue_of(exc, text)


@bounded()
def worksheet_export(text: str, values: ValuesArg | None, options: RenderOptions, fmt: str, key: bool,
                     blank: str = "grads", nodes: tuple[str, ...] = (), sample: int | None = None,
                     seed: int = 0, labels: Labels = ()) -> bytes:
    """The worksheet (``key=False``) or its answer key as a file (svg, pdf, png, tex).
    Raises ``GnnError`` when the text does not evaluate."""
    from ..export.files import export_bytes
    from ..explain.worksheet import render_options

    res, sheet = _sheet(text, with_defaults(text, values), options, blank, tuple(nodes), sample, seed, tuple(labels))
    return export_bytes(res, fmt, render_options(sheet, replace(options, step=None), key=key))
