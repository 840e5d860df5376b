"""The one pure function behind the app: (text, values, options, step) -> everything the page shows.

:func:`build_view` parses and evaluates the text, draws the requested step with the same
renderer as the exports, and gathers the canonical form, the output value, the gradients,
the trace table and the step captions. It never raises for anything a user can type: errors
come back as an :class:`~graphviz_nn.page.issues.Issue` with the message (caret included) and
an explanation in words. All arguments are hashable (the options are the one
:class:`~graphviz_nn.draw.options.RenderOptions`), so the app can cache it with
``st.cache_data`` and tests can call it without Streamlit.

Behind it sits the evaluation cache the other page modules share
(:mod:`graphviz_nn.page.evaluations`). The teaching panels read it from
:mod:`graphviz_nn.page.teach`, the worksheets from :mod:`graphviz_nn.page.worksheet`, the
downloads from :mod:`graphviz_nn.page.downloads`; the example problems load in
:mod:`graphviz_nn.page.examples`; SVG is made ready for the page in
:mod:`graphviz_nn.page.svgtext`.

>>> view = build_view("x^2 + 3xy", {"x": "2", "y": "1"}, draw=False)
>>> view.value, dict(view.gradients)
('10', {'x': '7', 'y': '6'})
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from ..draw.options import RenderOptions
from ..explain.captions import Caption, all_captions, format_number, node_ref_text
from .dispatch import bounded
from .evaluations import InputField, Labels, ValuesArg, cached_evaluation, normalise_values, input_fields
from .issues import Issue, issue_of
from .svgtext import inline_svg, svg_size

__all__ = [
    "DEFAULT_TEXT",
    "TraceRow",
    "Tables",
    "View",
    "build_view",
    "inline_svg",
    "svg_size",
    "MAX_LATEX_PATHS",
    "MAX_EDGE_TERMS",
]

DEFAULT_TEXT = "x^2 + 3xy"
#: Paths written out in the chain-rule equations (the factor table lists them all).
MAX_LATEX_PATHS = 6
#: Edges listed in the edge-formula panel.
MAX_EDGE_TERMS = 80


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TraceRow:
    """One row of the trace table."""

    step: int
    phase: str
    node: str
    formula: str
    value: str
    gradient: str


@dataclass(frozen=True)
class View:
    """Everything the page shows for one (text, values, options, step)."""

    text: str
    fields: tuple[InputField, ...] = ()
    issue: Issue | None = None
    canonical: str = ""
    reading: str = ""
    output: str = "f"
    value: str = ""
    number: float | None = None
    gradients: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    nonfinite: str = ""
    n_steps: int = 0
    n_forward: int = 0
    step: int = 0
    rows: tuple[TraceRow, ...] = ()
    captions: tuple[Caption, ...] = ()
    svg: str = ""
    seconds: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        """True when the text evaluated (the graph can be drawn)."""
        return self.issue is None

    @property
    def caption(self) -> Caption | None:
        """The caption of the current step."""
        return self.captions[self.step] if self.captions else None


# --------------------------------------------------------------------------- the pipeline


@dataclass(frozen=True)
class Tables:
    """What the page lists for every step, whichever step is drawn: the trace table's rows and
    the step captions (``captions[k]`` describes step ``k``; 0 is the bare graph)."""

    rows: tuple[TraceRow, ...]
    captions: tuple[Caption, ...]


@functools.lru_cache(maxsize=32)
def _tables(text: str, values: tuple[tuple[str, str], ...], digits: int,
            labels: Labels = (), constant_grads: bool = False, merge: bool = True) -> Tables:
    """Trace rows and captions for every step (independent of the drawn step)."""
    res = cached_evaluation(text, values, labels, constant_grads, merge)
    captions = tuple(all_captions(res, digits))
    rows = []
    for k, step in enumerate(res.trace, start=1):
        # what the caption's title names (by name or formula; on an edge in the gradient's
        # direction), without its counter and without "(use 2 of 3)"
        who = captions[k].title.split(": ", 1)[-1].split(" (use ")[0].split(" (operand ")[0]
        if step.edge is None and step.phase == "backward":
            who = node_ref_text(res.graph, step.node, digits)  # the seed: the output
        if step.phase == "forward":
            value, gradient = format_number(step.value, digits), ""
        else:
            value = format_number(step.contribution, digits)
            gradient = format_number(step.grad_after, digits)
        rows.append(TraceRow(step=k, phase=step.phase, node=who, formula=captions[k].plain, value=value,
                             gradient=gradient))
    return Tables(rows=tuple(rows), captions=captions)


def _scalar(value: Any) -> float | None:
    """The output as a float when it is one number (a network's loss), else ``None``.

    >>> _scalar(8), _scalar([1.0, 2.0])
    (8.0, None)
    """
    import numpy as np

    arr = np.asarray(value)
    return float(arr) if arr.ndim == 0 and np.isrealobj(arr) else None


def _output_label(graph: Any) -> str:
    data = graph.nodes.get(graph.graph.get("output"), {})
    return str(data.get("label") or "f") if data.get("name") else "f"


def _nonfinite_text(res: Any) -> str:
    graph = res.graph
    bad = [n for n, d in graph.nodes(data=True) if d.get("nonfinite")]
    if not bad and not getattr(res, "nonfinite", None):
        return ""
    from ..core.graph import node_text

    labels = [node_text(graph, n) for n in bad[:6]]
    where = f" at {'; '.join(labels)}" if labels else ""
    return (f"Some values or gradients are not finite (nan or ∞){where}. This happens for log of 0 "
            "or of a negative number, division by zero, the square root of a negative number, or "
            "when exp overflows. Change the values to move away from these points.")


@bounded(over=lambda err, text, *args, **kwargs: View(text=text, issue=issue_of(err, text)))
def build_view(text: str, values: ValuesArg | None = None, options: RenderOptions | None = None,
               step: int | None = None, *, draw: bool = True, labels: Labels = ()) -> View:
    """Everything the page shows, for ``text`` with the fields' ``values`` at ``step``.

    ``values`` maps input names to the text of their fields; missing names take the defaults
    of :func:`~graphviz_nn.page.evaluations.input_fields`. ``options`` are the picture's (their
    ``step`` is not read: ``step`` counts trace steps, 0: the bare graph; ``None`` or anything
    past the end: the finished graph). With ``draw=False`` no SVG is made, and neither the
    trace table's rows nor the step captions (the page reads only the numbers of such a view;
    the player has its own): for a long pass they are most of the work.
    ``labels`` draws inputs under display names (``(("W1", "alpha"),)``: W1 drawn as α).
    While the app's worker pool runs (:func:`graphviz_nn.page.dispatch.start`) the call runs in a
    worker within the budget; past it the view carries a ``limit`` issue saying so.
    """
    import time

    options = options or RenderOptions()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        fields = input_fields(text)
    except Exception as exc:  # the page must never show a traceback
        return View(text=text, issue=issue_of(exc, text), seconds={"parse": time.perf_counter() - t0})
    given = dict(normalise_values(values))
    merged = normalise_values({f.name: given.get(f.name, f.default) for f in fields})
    try:
        res = cached_evaluation(text, merged, labels, options.constant_grads, options.merge)
        seconds["evaluate"] = time.perf_counter() - t0
        tables = (_tables(text, merged, options.digits, labels, options.constant_grads, options.merge)
                  if draw else Tables((), ()))
    except Exception as exc:
        return View(text=text, fields=fields, issue=issue_of(exc, text), seconds=seconds)
    n_steps = len(res.trace)
    k = n_steps if step is None else max(0, min(int(step), n_steps))
    graph = res.graph
    inputs = graph.graph.get("inputs", {})
    view = View(
        text=text, fields=fields, canonical=str(res.canonical),
        reading=str(getattr(res, "reading", "") or res.canonical), output=_output_label(graph),
        value=format_number(res.value, options.digits), number=_scalar(res.value),
        gradients=tuple((name, format_number(grad, options.digits)) for name, grad in res.gradients.items()),
        labels=tuple((name, str(graph.nodes[nid].get("label") or name)) for name, nid in inputs.items()),
        warnings=tuple(str(w) for w in (res.warnings or ())), nonfinite=_nonfinite_text(res), n_steps=n_steps,
        n_forward=sum(1 for s in res.trace if s.phase == "forward"), step=k, rows=tables.rows,
        captions=tables.captions, seconds=seconds)
    if not draw:
        return view
    t1 = time.perf_counter()
    try:
        svg = _draw(text, merged, replace(options, step=k), labels)
    except Exception as exc:
        return replace(view, issue=issue_of(exc, text))
    seconds["render"] = time.perf_counter() - t1
    seconds["total"] = time.perf_counter() - t0
    return replace(view, svg=svg)


@functools.lru_cache(maxsize=128)
def _draw(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, labels: Labels = ()) -> str:
    """The SVG of the evaluation of ``text`` with ``values`` drawn with ``options`` (cached: the
    options are the key, step included)."""
    from ..export.files import export_bytes

    res = cached_evaluation(text, values, labels, options.constant_grads, options.merge)
    return export_bytes(res, "svg", options).decode("utf-8")
