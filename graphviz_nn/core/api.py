"""What an evaluation returns (:class:`Evaluation`) and how a text is read without values.

:func:`graphviz_nn.core.prepared.evaluate` (``gnn.evaluate``) makes an :class:`Evaluation`:

>>> from graphviz_nn import evaluate
>>> res = evaluate("sin(xy)/z + e^<xz>/(xy)", {"x": 1, "y": 2, "z": 3})
>>> round(res.value, 4), res.canonical
(10.3459, '((sin((x * y)) / z) + (exp((x * z)) / (x * y)))')
>>> {k: round(v, 4) for k, v in res.gradients.items()}
{'x': 19.8081, 'y': -5.1601, 'z': 9.9417}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import networkx as nx
import numpy as np

from . import engine
from ..language.printer import canonical as _canonical
from ..errors import GnnError
from .graph import input_names, node_text
from ..language.parser import MAX_CHARS, parse
from ..language.syntax import Assign, Program

__all__ = ["Evaluation", "parse", "canonical", "inputs", "to_jsonable", "assigned_in", "evaluation_warnings"]


#: How an evaluation draws itself (``_repr_svg_``, Jupyter): the package sets this to
#: :func:`graphviz_nn.export.files.render_svg` when it is imported, so the core never imports
#: the drawing layers above it.
DRAW_SVG: Callable[["Evaluation"], str] | None = None
#: The step player as a Jupyter ``text/html`` output (``None`` when it cannot be made): the
#: package sets this to :func:`graphviz_nn.export.player.notebook.notebook_html`.
DRAW_HTML: Callable[["Evaluation"], str | None] | None = None


@dataclass(eq=False, repr=False)
class Evaluation:
    """An evaluated computation graph: values, gradients, the graph itself and the trace.

    ``graph`` carries every node's ``value``/``grad`` and every edge's ``local``/``contribution``
    as attributes. An evaluation from :class:`~graphviz_nn.core.prepared.Prepared` keeps them in the
    compiled schedule's arrays and fills the graph on first access.
    """

    source: str
    _canonical: str | Callable[[], str] = field(repr=False)
    trace: Sequence[engine.TraceStep]
    value: Any
    _gradients: dict[str, Any] | Callable[[], dict[str, Any]] = field(repr=False)
    output: str
    output_name: str | None
    _inputs: dict[str, str] | Callable[[], dict[str, str]] = field(repr=False)
    values: dict[str, Any]
    _nonfinite: list[str] | Callable[[], list[str]] = field(repr=False)
    _warnings: list[str] | Callable[[], list[str]] = field(repr=False)
    _reading: str | Callable[[], str] = field(repr=False)
    n_nodes: int
    _graph: nx.MultiDiGraph | Callable[[], nx.MultiDiGraph] = field(repr=False)

    def __repr__(self) -> str:
        shown = {name: self.gradients[name] for name in list(self.inputs)[:8]}
        more = ", …" if len(self.inputs) > 8 else ""
        grads = repr(shown)[:-1] + more + "}"
        notes = f", warnings={self.warnings!r}" if self.warnings else ""
        reading = self.reading if len(self.reading) <= 80 else self.reading[:79] + "…"
        return (f"Evaluation(reading={reading!r}, value={self.value!r}, gradients={grads}, "
                f"nodes={self.n_nodes}, steps={len(self.trace)}{notes})")

    @property
    def nonfinite(self) -> list[str]:
        """Ids of the nodes whose value, or gradient where an input reaches it, holds nan or
        inf (checked on first read)."""
        if not isinstance(self._nonfinite, list):
            self._nonfinite = self._nonfinite()
        return self._nonfinite

    @property
    def warnings(self) -> list[str]:
        """Notes on how the text was read, non-finite nodes, values the text does not use
        (made on first read)."""
        if not isinstance(self._warnings, list):
            self._warnings = self._warnings()
        return self._warnings

    @property
    def inputs(self) -> dict[str, str]:
        """Input name -> node id, in order of first use (made on first read)."""
        if not isinstance(self._inputs, dict):
            self._inputs = self._inputs()
        return self._inputs

    @property
    def canonical(self) -> str:
        """How the text was read, fully bracketed (``((x ^ 2) + ((3 * x) * y))``)."""
        if not isinstance(self._canonical, str):
            self._canonical = self._canonical()
        return self._canonical

    @property
    def reading(self) -> str:
        """How the text was read, with only the brackets precedence needs (``x^2 + 3·x·y``)."""
        if not isinstance(self._reading, str):
            self._reading = self._reading()
        return self._reading

    @property
    def gradients(self) -> dict[str, Any]:
        """d output / d input for every input name (made from the schedule's arrays on first access)."""
        if not isinstance(self._gradients, dict):
            self._gradients = self._gradients()
        return self._gradients

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The evaluated networkx graph (filled from the schedule's arrays on first access)."""
        if not isinstance(self._graph, nx.MultiDiGraph):
            self._graph = self._graph()
        return self._graph

    @property
    def forward_steps(self) -> int:
        """How many trace steps belong to the forward pass (one per node)."""
        return self.n_nodes

    def state_at(self, k: int) -> engine.StepState:
        """The state after ``k`` trace steps (0 = bare graph, ``len(trace)`` = all done)."""
        return engine.state_at(self.trace, k)

    def gradient_check(self, eps: float = 1e-6) -> dict[str, tuple[Any, Any, float]]:
        """Backprop against central differences: ``name -> (backprop, numeric, relative error)``;
        bounded in work, so a large input is checked at a sample of its entries
        (:class:`graphviz_nn.core.gradcheck.CheckEntry` says which)."""
        from .gradcheck import gradient_check

        return gradient_check(self.graph, self.values, eps)

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON object (arrays as nested lists, non-finite numbers as strings)."""
        g = self.graph
        return {
            "canonical": self.canonical,
            "reading": self.reading,
            "output": {"name": self.output_name or "output", "id": self.output,
                       "value": to_jsonable(self.value)},
            "gradients": {k: to_jsonable(v) for k, v in self.gradients.items()},
            "nodes": [
                {"id": n, "label": a["label"], "kind": a["kind"], "op": a["op"], "name": a["name"],
                 "value": to_jsonable(a["value"]), "grad": to_jsonable(a["grad"]),
                 "shape": list(a["shape"]), "nonfinite": a["nonfinite"]}
                for n, a in g.nodes(data=True)
            ],
            "edges": [
                {"source": s, "target": t, "arg": d["arg"], "local": to_jsonable(d.get("local")),
                 "contribution": to_jsonable(d.get("contribution"))}
                for s, t, d in g.edges(data=True)
            ],
            "warnings": list(self.warnings),
        }

    def _repr_svg_(self) -> str:
        """The evaluated graph as SVG (needs a layout program)."""
        if DRAW_SVG is None:
            raise GnnError("drawing is not available: import graphviz_nn to set graphviz_nn.core.api.DRAW_SVG")
        return DRAW_SVG(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """What Jupyter shows: the step player (HTML) with the drawing as SVG beside it for
        front ends without HTML, or (no layout program, bad option) the reason in words beside
        a text summary, never a traceback."""
        summary = f"Evaluation({self.reading} = {self.value!r})"
        try:
            bundle = {"image/svg+xml": self._repr_svg_(), "text/plain": summary}
        except GnnError as err:
            return {"text/plain": f"{summary}\n(not drawn: {err.render()})"}
        player = DRAW_HTML(self) if DRAW_HTML is not None else None
        if player is not None:
            bundle["text/html"] = player
        return bundle


def to_jsonable(value: Any) -> Any:
    """Floats stay floats (non-finite ones become ``"nan"``, ``"inf"``, ``"-inf"``); arrays
    become nested lists."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()] if value.ndim else to_jsonable(float(value))
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def assigned_in(program: Program) -> set[str]:
    """The names the program's lines assign (``a = x*y`` assigns ``a``)."""
    return {s.name for s in program.statements if isinstance(s, Assign)}


def evaluation_warnings(notes: Iterable[str], nonfinite: list[str], unused: set[str],
                        graph: Callable[[], nx.MultiDiGraph]) -> list[str]:
    """The evaluation's warnings: ``notes`` on how the text was read (w^1 as a power),
    non-finite nodes (the first ten, by name or formula, read from ``graph()``) and values given
    for names the text does not use."""
    notes = list(notes)
    if nonfinite:
        g = graph()
        shown = "; ".join(node_text(g, n) for n in nonfinite[:10])
        more = f" and {len(nonfinite) - 10} more" if len(nonfinite) > 10 else ""
        notes.append(f"non-finite values (nan or inf) at {shown}{more}")
    if unused:
        notes.append("values given for names the text does not use: " + ", ".join(sorted(unused)))
    return notes


def canonical(text: str, known: Iterable[str] = ()) -> str:
    """How the text was read, without values (all inputs taken as scalars).

    >>> canonical("3x^2y")
    '((3 * (x ^ 2)) * y)'
    """
    try:
        return _canonical(parse(text, known))
    except GnnError as err:
        raise err.with_source(text) from None


def inputs(text: str, known: Iterable[str] = (), *, max_chars: int = MAX_CHARS) -> dict[str, Any]:
    """The inputs a text needs, in order of first use, with the value the text gives each
    (``x = 2``) or ``None``.

    >>> inputs("a = 2; b = a*x + y")
    {'a': 2.0, 'x': None, 'y': None}
    """
    try:
        program = parse(text, known, max_chars=max_chars)
    except GnnError as err:
        raise err.with_source(text) from None
    return {name: program.defaults.get(name) for name in input_names(program)}
