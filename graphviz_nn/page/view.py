"""The one pure function behind the app: (text, values, options, step) -> everything the page shows.

:func:`build_view` parses and evaluates the text, draws the requested step with the same
renderer as the exports, and gathers the canonical form, the output value, the gradients,
the trace table and the step captions. It never raises for anything a user can type: errors
come back as an :class:`Issue` with the message (caret included) and an explanation in words.
All arguments are hashable, so the app can cache it with ``st.cache_data`` and tests can call
it without Streamlit.

Behind it sits the evaluation cache the other page modules share: one
:class:`~graphviz_nn.core.prepared.Prepared` kept per text and set of filled-in names
(:func:`_prepared_for`) and one evaluation per (text, values, labels) (:func:`_evaluate`).
The teaching panels read it from :mod:`graphviz_nn.page.teach`, the worksheets from
:mod:`graphviz_nn.page.worksheet`, the downloads from :mod:`graphviz_nn.page.downloads`;
the example problems load in :mod:`graphviz_nn.page.examples`.

>>> view = build_view("x^2 + 3xy", {"x": "2", "y": "1"}, draw=False)
>>> view.value, dict(view.gradients)
('10', {'x': '7', 'y': '6'})
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from .budget import OVER_BUDGET_ADVICE, OverBudget, memory_error_seen
from .dispatch import bounded
from ..explain.captions import Caption, all_captions, format_number, node_ref_text
from .keys import compact, expand
from ..errors import (
    GnnError,
    LimitError,
    MissingValueError,
    ParseError,
    RenderError,
    ShapeError,
    UnknownNameError,
    ValueInputError,
)

__all__ = [
    "DEFAULT_TEXT",
    "ViewOptions",
    "InputField",
    "Issue",
    "TraceRow",
    "View",
    "input_fields",
    "build_view",
    "inline_svg",
    "svg_size",
    "value_text",
    "APP_MAX_CHARS",
    "APP_MAX_NODES",
    "APP_MAX_PARAMETERS",
    "MAX_LATEX_PATHS",
    "MAX_EDGE_TERMS",
]

DEFAULT_TEXT = "x^2 + 3xy"
#: Values given to inputs the text does not define, in order of first use: distinct small
#: numbers, so every product and gradient on the page is easy to follow by hand.
DEFAULT_VALUES = ("2", "1", "3", "0.5", "-1", "1.5", "4", "-2")
ValuesArg = Mapping[str, str] | tuple[tuple[str, str], ...]
#: Display names drawn instead of input names (a spec's ``names``: ``W1`` drawn as ``α``).
Labels = tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class ViewOptions:
    """What the page's toggles choose; passed on to ``render.RenderOptions``."""

    theme: str = "lecture"
    background: str = "white"
    show_values: bool = True
    show_grads: bool = True
    edge_labels: bool = False
    rankdir: str = "LR"
    digits: int = 4
    color_by_sign: bool = False
    edge_text: str | None = None
    constant_grads: bool = False
    """Give constants a gradient and backward steps too (by default only what depends on an
    input gets one, as in PyTorch). It changes the evaluation, not the drawing options."""
    merge: bool = True
    """Identical subexpressions drawn once (``False``: a tree, the CLI's ``--no-merge``); this
    chooses the graph that is evaluated, so it is part of every cache key that holds one."""

    def render_kwargs(self, step: int | None) -> dict[str, Any]:
        """Keyword options of ``render.render_svg`` for drawing ``step`` (``None``: finished)."""
        return dict(theme=self.theme, background=self.background, show_values=self.show_values,
                    show_grads=self.show_grads, edge_labels=self.edge_labels,
                    rankdir=self.rankdir, step=step, digits=self.digits,
                    color_by_sign=self.color_by_sign, edge_text=self.edge_text)

    def render_options(self, step: int | None) -> Any:
        """The same as a ``render.RenderOptions`` (for ``export.export_bytes``)."""
        from ..draw.dot import RenderOptions

        return RenderOptions(**self.render_kwargs(step))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class InputField:
    """One value field: the input's canonical ``name``, its pretty ``label``, the default text."""

    name: str
    label: str
    default: str
    is_array: bool


@dataclass(frozen=True)
class Issue:
    """Something the user should fix, ready to show.

    ``kind`` is one of ``syntax``, ``missing``, ``value``, ``shape``, ``limit``, ``render``,
    ``internal``; ``message`` is the full message (with the source line and a caret when the
    error has a position); ``explanation`` says in words what to do; ``names`` lists inputs
    that lack values.
    """

    kind: str
    message: str
    explanation: str
    column: int | None = None
    names: tuple[str, ...] = ()


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


# --------------------------------------------------------------------------- errors -> words

_EXPLAIN = {
    "syntax": "The text could not be read. The caret marks where reading stopped; fix the text "
              "there. Write products as x*y or xy, powers as x^2, functions as sin(x).",
    "missing": "Give every input a value in its field below the expression.",
    "value": "A value must be a number such as 2 or -0.5, or a JSON array such as [1, 2] "
             "(a vector) or [[1, 2], [3, 4]] (a 2×2 matrix).",
    "shape": "The shapes of the operands do not fit this operation. Check the array values: "
             "a matrix product needs the inner sizes to agree, elementwise operations need "
             "equal (or broadcastable) shapes.",
    "limit": "The problem is larger than this tool draws; make it smaller.",
    "render": "The graph was computed but could not be drawn.",
    "internal": "Something went wrong inside graphviz_nn. Please report the text and values "
                "that caused it.",
}


def _issue(exc: BaseException, text: str) -> Issue:
    """An exception as an :class:`Issue` (message with caret, explanation in words)."""
    if isinstance(exc, OverBudget):
        return Issue("limit", exc.message, OVER_BUDGET_ADVICE)
    if isinstance(exc, MemoryError):
        return Issue("limit", memory_error_seen(), OVER_BUDGET_ADVICE)
    if isinstance(exc, GnnError):
        exc.with_source(text)
        loc = exc.location
        if isinstance(exc, MissingValueError):
            names = tuple(exc.names)
            return Issue("missing", exc.render(), f"Give a value for {', '.join(names)} in the "
                         "field" + ("s" if len(names) > 1 else "") + " below the expression.",
                         None, names)
        kind = ("syntax" if isinstance(exc, (ParseError, UnknownNameError)) else
                "value" if isinstance(exc, ValueInputError) else
                "shape" if isinstance(exc, ShapeError) else
                "limit" if isinstance(exc, LimitError) else
                "render" if isinstance(exc, RenderError) else "syntax")
        return Issue(kind, exc.render(), _EXPLAIN[kind], loc.column if loc else None)
    return Issue("internal", f"{type(exc).__name__}: {exc}", _EXPLAIN["internal"])


# --------------------------------------------------------------------------- the pipeline


def value_text(value: Any) -> str:
    """A program default or user value as the text of its field (JSON for arrays).

    >>> value_text(2.0), value_text([[1.0, 0.5]])
    ('2', '[[1, 0.5]]')
    """
    if value is None:
        return ""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        number = float(arr)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return json.dumps(arr.tolist()).replace(".0,", ",").replace(".0]", "]")


APP_MAX_CHARS = 20_000
"""Longest text the app evaluates (the API and CLI allow 2,000,000): a hosted app serves a class."""
APP_MAX_NODES = 50_000
"""Largest graph the app builds (the API and CLI allow 200,000)."""
APP_MAX_PARAMETERS = 100_000
"""Most weights and biases a layer network may have in the app (the API and CLI allow
10,000,000): every parameter travels through the page's caches as the text of a value field."""
#: Paths written out in the chain-rule equations (the factor table lists them all).
MAX_LATEX_PATHS = 6
#: Edges listed in the edge-formula panel.
MAX_EDGE_TERMS = 80


@functools.lru_cache(maxsize=64)
def input_fields(text: str) -> tuple[InputField, ...]:
    """The value fields for ``text``: every input in first-use order with a default value.

    Program lines ``x = 2`` give the default; other inputs get distinct small numbers
    (:data:`DEFAULT_VALUES`) so a new expression draws at once. Raises ``GnnError`` when the
    text cannot be read.
    """
    from ..core.api import inputs
    from ..language.names import display_label

    found = inputs(text, max_chars=APP_MAX_CHARS)
    fields = []
    spare = iter(DEFAULT_VALUES * 8)
    for name, value in found.items():
        default = value_text(value) if value is not None else next(spare, "1")
        fields.append(InputField(name, display_label(name), default, np.ndim(value) > 0))
    return tuple(fields)


def _normalise(values: ValuesArg | None) -> tuple[tuple[str, str], ...]:
    """Sorted (name, text) pairs; long texts as digest keys (:mod:`graphviz_nn.page.keys`)."""
    items = values.items() if isinstance(values, Mapping) else (values or ())
    return tuple(sorted((str(k), compact(str(v))) for k, v in items))


KEEP_PREPARED = 16
"""How many texts (each with its set of filled-in names) stay read, built and compiled."""
_PREPARED: OrderedDict[tuple[str, frozenset[str], bool, bool], Any] = OrderedDict()
_PREPARED_LOCK = threading.Lock()  # Streamlit serves sessions from several threads


def _prepared_for(text: str, given: dict[str, str], constant_grads: bool = False, merge: bool = True) -> Any:
    """The text read, built and compiled once per set of filled-in names, so that changing a
    value only runs the compiled schedule. Raises ``GnnError`` (and keeps nothing) when the
    text or the values are bad."""
    from ..core.prepared import prepare

    key = (text, frozenset(given), constant_grads, merge)
    with _PREPARED_LOCK:
        found = _PREPARED.get(key)
        if found is not None:
            _PREPARED.move_to_end(key)
            return found
    made = prepare(text, given, max_chars=APP_MAX_CHARS, max_nodes=APP_MAX_NODES,
                   constant_grads=constant_grads, merge=merge)
    with _PREPARED_LOCK:
        _PREPARED[key] = made
        while len(_PREPARED) > KEEP_PREPARED:
            _PREPARED.popitem(last=False)
    return made


@functools.lru_cache(maxsize=32)
def _evaluate(text: str, values: tuple[tuple[str, str], ...], labels: Labels = (),
              constant_grads: bool = False, merge: bool = True) -> Any:
    """Evaluate with the fields' values (program defaults fill the rest); inputs named in
    ``labels`` are drawn with their display names; ``merge=False`` keeps the graph a tree.
    Cached: pure. Exactly ``gnn.evaluate``'s result, from a
    :class:`~graphviz_nn.core.prepared.Prepared` kept per text, filled-in names and merge."""
    from ..language.names import display_label

    given = {name: expand(raw) for name, raw in values if raw.strip() != ""}
    res = _prepared_for(text, given, constant_grads, merge).evaluate(given)
    for name, shown in labels:
        node = res.graph.graph["inputs"].get(name)
        if node is not None:
            res.graph.nodes[node]["label"] = display_label(shown)
    return res


@functools.lru_cache(maxsize=32)
def _tables(text: str, values: tuple[tuple[str, str], ...], digits: int,
            labels: Labels = (), constant_grads: bool = False,
            merge: bool = True) -> tuple[tuple[TraceRow, ...], tuple[Caption, ...]]:
    """Trace rows and captions for every step (independent of the drawn step)."""
    res = _evaluate(text, values, labels, constant_grads, merge)
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
        rows.append(TraceRow(k, step.phase, who, captions[k].plain, value, gradient))
    return tuple(rows), captions


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


def _merged(text: str, values: ValuesArg | None) -> tuple[tuple[str, str], ...]:
    """The fields' values with the defaults of :func:`input_fields` filled in (raises GnnError)."""
    given = dict(_normalise(values))
    return _normalise({f.name: given.get(f.name, f.default) for f in input_fields(text)})


@bounded(over=lambda err, text, *args, **kwargs: View(text, issue=_issue(err, text)))
def build_view(text: str, values: ValuesArg | None = None, options: ViewOptions | None = None,
               step: int | None = None, *, draw: bool = True, labels: Labels = ()) -> View:
    """Everything the page shows, for ``text`` with the fields' ``values`` at ``step``.

    ``values`` maps input names to the text of their fields; missing names take the defaults
    of :func:`input_fields`. ``step`` counts trace steps (0: the bare graph; ``None`` or
    anything past the end: the finished graph). With ``draw=False`` no SVG is made.
    ``labels`` draws inputs under display names (``(("W1", "alpha"),)``: W1 drawn as α).
    While the app's worker pool runs (:func:`graphviz_nn.page.dispatch.start`) the call runs in a
    worker within the budget; past it the view carries a ``limit`` issue saying so.
    """
    import time

    options = options or ViewOptions()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        fields = input_fields(text)
    except Exception as exc:  # the page must never show a traceback
        return View(text, issue=_issue(exc, text), seconds={"parse": time.perf_counter() - t0})
    given = dict(_normalise(values))
    merged = _normalise({f.name: given.get(f.name, f.default) for f in fields})
    try:
        res = _evaluate(text, merged, labels, options.constant_grads, options.merge)
        seconds["evaluate"] = time.perf_counter() - t0
        rows, captions = _tables(text, merged, options.digits, labels, options.constant_grads, options.merge)
    except Exception as exc:
        return View(text, fields, issue=_issue(exc, text), seconds=seconds)
    n_steps = len(res.trace)
    k = n_steps if step is None else max(0, min(int(step), n_steps))
    graph = res.graph
    inputs = graph.graph.get("inputs", {})
    shown = tuple((name, str(graph.nodes[nid].get("label") or name)) for name, nid in inputs.items())
    gradients = tuple((name, format_number(grad, options.digits)) for name, grad in res.gradients.items())
    view = View(
        text, fields, None, str(res.canonical), str(getattr(res, "reading", "") or res.canonical),
        _output_label(graph),
        format_number(res.value, options.digits), gradients,
        shown, tuple(str(w) for w in (res.warnings or ())), _nonfinite_text(res), n_steps,
        sum(1 for s in res.trace if s.phase == "forward"), k, rows, captions, "", seconds)
    if not draw:
        return view
    t1 = time.perf_counter()
    try:
        svg = _draw(text, merged, options, k, labels)
    except Exception as exc:
        return replace(view, issue=_issue(exc, text))
    seconds["render"] = time.perf_counter() - t1
    seconds["total"] = time.perf_counter() - t0
    return replace(view, svg=svg)


@functools.lru_cache(maxsize=128)
def _draw(text: str, values: tuple[tuple[str, str], ...], options: ViewOptions, step: int,
          labels: Labels = ()) -> str:
    from ..export.files import render_svg

    res = _evaluate(text, values, labels, options.constant_grads, options.merge)
    return render_svg(res, **options.render_kwargs(step))



def inline_svg(svg: str, zoom: int = 100) -> str:
    """SVG text ready to sit inside HTML: no XML prolog, DOCTYPE or comments, scaled to ``zoom`` %.

    >>> inline_svg('<?xml version="1.0"?><!-- c --><svg width="10pt" height="20pt"><g/></svg>', 200)
    '<svg width="20pt" height="40pt"><g/></svg>'
    """
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    size = svg_size(body)
    if size is not None and zoom != 100:
        width, height = (f"{v * zoom / 100:.4g}pt" for v in size)
        tag = re.match(r"<svg\b[^>]*>", body)
        if tag:
            head = re.sub(r'\swidth="[^"]*"', f' width="{width}"', tag.group(0), count=1)
            head = re.sub(r'\sheight="[^"]*"', f' height="{height}"', head, count=1)
            body = head + body[tag.end():]
    return body.strip()


def svg_size(svg: str) -> tuple[float, float] | None:
    """Width and height in points from the root ``<svg>`` element, when given in pt or px."""
    match = re.search(r"<svg\b[^>]*>", svg)
    if not match:
        return None
    tag = match.group(0)
    width = re.search(r'\bwidth="([\d.]+)(pt|px)?"', tag)
    height = re.search(r'\bheight="([\d.]+)(pt|px)?"', tag)
    if not width or not height:
        return None
    return float(width.group(1)), float(height.group(1))

