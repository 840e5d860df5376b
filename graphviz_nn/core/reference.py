"""The per-node reference engine run on a text: what the tests compare the one engine against.

:func:`graphviz_nn.core.prepared.evaluate` (``gnn.evaluate``) runs the compiled level schedule
(:mod:`graphviz_nn.core.schedule`). :func:`reference_evaluate` reads and builds the same graph
and runs :func:`engine.forward` and :func:`engine.backward` node by node and edge by edge: a
second, plain implementation of the same semantics, kept only to check the first.

>>> reference_evaluate("x^2 + 3xy", {"x": 2, "y": 1}).gradients
{'x': 7.0, 'y': 6.0}
"""

from __future__ import annotations

from typing import Any, Mapping

from . import engine
from .api import Evaluation, assigned_in, evaluation_warnings
from .graph import MAX_NODES, build_graph
from ..errors import GnnError
from ..language.parser import MAX_CHARS, MAX_DEPTH, parse
from ..language.values import normalize_values

__all__ = ["reference_evaluate"]


def reference_evaluate(text: str, values: Mapping[str, Any] | None = None, *, merge: bool = True,
             constant_grads: bool = False, max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS,
             max_nodes: int = MAX_NODES) -> Evaluation:
    """Parse, build the graph, run the per-node forward and backward passes (the reference).

    ``values`` maps input names (any spelling: ``α``, ``alpha``, ``\\alpha``) to numbers,
    nested lists, arrays or JSON text. Values given in the text (``x = 2``) are defaults that
    ``values`` overrides. Raises a :class:`~graphviz_nn.errors.GnnError` subclass on bad input.
    """
    given = normalize_values(values)
    try:
        program = parse(text, given, max_depth=max_depth, max_chars=max_chars)
        merged = {**program.defaults, **given}
        graph = build_graph(program, merged, merge=merge, max_nodes=max_nodes)
    except GnnError as err:
        raise err.with_source(text) from None
    used = {name: merged[name] for name in graph.graph["inputs"]}
    trace = engine.forward(graph, used)
    trace += engine.backward(graph, first_index=len(trace) + 1, constant_grads=constant_grads)
    nonfinite = engine.mark_nonfinite(graph)
    out = graph.graph["output"]
    inputs = graph.graph["inputs"]
    warnings = evaluation_warnings(graph.graph["notes"], nonfinite, set(given) - set(inputs) - assigned_in(program),
                         lambda: graph)
    return Evaluation(
        source=text, _canonical=graph.graph["canonical"], trace=trace,
        value=graph.nodes[out]["value"], _gradients={n: graph.nodes[i]["grad"] for n, i in inputs.items()},
        output=out, output_name=graph.graph["output_name"], _inputs=dict(inputs), values=used,
        _nonfinite=nonfinite, _warnings=warnings, _reading=graph.graph["reading"],
        n_nodes=graph.number_of_nodes(), _graph=graph)
