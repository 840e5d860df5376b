"""A built program as a table: one Python list per node attribute, node ``i`` is ``n{i}``.

:mod:`graphviz_nn.core.graph` builds a :class:`Nodes` table from the syntax tree; the compiled
schedule (:mod:`graphviz_nn.core.schedule`) reads it directly, and the networkx graph that the
drawing layers read is made from it only when something asks (:meth:`Nodes.to_graph`). The
printed forms of the text (``canonical``, ``reading``) are made on first read, too.

>>> from graphviz_nn.language.parser import parse
>>> from graphviz_nn.core.graph import build_nodes
>>> nodes = build_nodes(parse("a = x*y + x"), {"x": 2.0, "y": 3.0})
>>> nodes.kind, nodes.args, nodes.canonical
(['input', 'input', 'op', 'op'], [[], [], [0, 1], [2, 0]], 'a = ((x * y) + x)')
>>> g = nodes.to_graph()
>>> sorted(g.nodes["n3"]), g.graph["output"], list(g.edges(keys=True))
(['args', 'grad', 'kind', 'label', 'name', 'nonfinite', 'op', 'params', 'shape', 'span', 'value'], 'n3', [('n0', 'n2', 0), ('n0', 'n3', 1), ('n1', 'n2', 1), ('n2', 'n3', 0)])
"""

from __future__ import annotations

import gc
from typing import Any

import networkx as nx

from ..errors import ParseError
from ..language.printer import canonical, reading
from ..language.syntax import Call, Program

__all__ = ["Nodes"]


class Nodes:
    """Parallel per-node lists (``kind``, ``op``, ``name``, ``label``, ``shape``, ``span``,
    ``params``, ``args`` as operand indices, ``const``) and the program's facts (``inputs``:
    name -> node index, ``output``, ``output_name``)."""

    def __init__(self, program: Program, resolved: dict[int, str]):
        self.program = program
        self.resolved = resolved  # id(juxtaposition call) -> the op it became
        self.kind: list[str] = []
        self.op: list[str | None] = []
        self.name: list[str | None] = []
        self.label: list[str] = []
        self.shape: list[tuple[int, ...]] = []
        self.span: list[Any] = []
        self.params: list[dict] = []
        self.args: list[list[int]] = []
        self.const: dict[int, Any] = {}  # constant nodes' values
        self.inputs: dict[str, int] = {}
        self.output = 0
        self.output_name: str | None = None
        self._texts: dict[str, str] = {}
        self._ids: list[str] | None = None

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph) -> "Nodes":
        """The table of a built networkx graph (any node ids; its ``canonical`` and ``reading``
        are the graph's)."""
        table = cls(None, {})  # type: ignore[arg-type]
        data = list(graph.nodes(data=True))
        table._ids = [n for n, _ in data]
        index = {n: i for i, n in enumerate(table._ids)}
        for i, (_, d) in enumerate(data):
            kind = d["kind"]
            table.add(kind, d["op"], d["name"], d["label"], d["shape"], d.get("span"), d["params"],
                      [index[a] for a in d["args"]] if kind == "op" else [])
            if kind == "constant":
                table.const[i] = d["const"]
        table.inputs = {name: index[n] for name, n in graph.graph["inputs"].items()}
        table.output = index[graph.graph["output"]]
        table.output_name = graph.graph.get("output_name")
        table._texts = {k: graph.graph[k] for k in ("canonical", "reading") if k in graph.graph}
        return table

    def __len__(self) -> int:
        return len(self.kind)

    def add(self, kind: str, op: str | None, name: str | None, label: str, shape: tuple[int, ...],
            span: Any, params: dict, args: list[int]) -> int:
        """Append a node; return its index."""
        self.kind.append(kind)
        self.op.append(op)
        self.name.append(name)
        self.label.append(label)
        self.shape.append(shape)
        self.span.append(span)
        self.params.append(params)
        self.args.append(args)
        return len(self.kind) - 1

    def drop_last(self) -> None:
        """Remove the newest node (an operand constant of an op merged into an earlier one)."""
        for column in (self.kind, self.op, self.name, self.label, self.shape, self.span, self.params, self.args):
            column.pop()
        self.const.pop(len(self.kind), None)

    def _resolve(self, call: Call) -> str:
        return self.resolved.get(id(call), "mul")

    @property
    def canonical(self) -> str:
        """The fully bracketed reading of the text (made on first read)."""
        if "canonical" not in self._texts:
            self._texts["canonical"] = canonical(self.program, self._resolve)
        return self._texts["canonical"]

    @property
    def reading(self) -> str:
        """The reading with only the brackets precedence needs (made on first read)."""
        if "reading" not in self._texts:
            self._texts["reading"] = reading(self.program, self._resolve)
        return self._texts["reading"]

    @property
    def ids(self) -> list[str]:
        """Node ids, ``n0, n1, …`` (a graph's own ids for a table made from a graph)."""
        if self._ids is None or len(self._ids) != len(self.kind):
            self._ids = [f"n{i}" for i in range(len(self.kind))]
        return self._ids

    def graph_attributes(self) -> dict[str, Any]:
        """What ``graph.graph`` holds (see docs/ARCHITECTURE.md)."""
        program = self.program
        return dict(
            output=f"n{self.output}", output_name=self.output_name,
            inputs={name: f"n{i}" for name, i in self.inputs.items()}, source=program.source,
            canonical=self.canonical, reading=self.reading,
            notes=[ParseError(message, span, program.source).render() for message, span in program.notes])

    def to_graph(self) -> nx.MultiDiGraph:
        """The networkx DAG (node attributes as docs/ARCHITECTURE.md lists them, ``value`` and
        ``grad`` unset; one edge per operand, keyed and tagged with its position). Its adjacency
        dicts are made directly, as networkx's own constructors fill a graph, with the garbage
        collector paused (the new dicts hold no cycles)."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            graph = nx.MultiDiGraph()
            graph.graph.update(self.graph_attributes())
            ids = self.ids
            const = self.const
            node: dict[str, dict] = {}
            for i, (n, kind, op, name, label, shape, span, params, args) in enumerate(zip(
                    ids, self.kind, self.op, self.name, self.label, self.shape, self.span, self.params,
                    self.args)):
                attrs = {"value": None, "grad": None, "nonfinite": False, "kind": kind, "op": op,
                         "name": name, "label": label, "shape": shape, "span": span,
                         "params": params or {}, "args": [ids[a] for a in args]}
                if kind == "constant":
                    attrs["const"] = const[i]
                node[n] = attrs
            succ: dict[str, dict] = {n: {} for n in ids}
            pred: dict[str, dict] = {n: {} for n in ids}
            for t, args in enumerate(self.args):
                target = ids[t]
                incoming = pred[target]
                for position, s in enumerate(args):
                    source = ids[s]
                    keyed = incoming.get(source)
                    if keyed is None:
                        keyed = incoming[source] = succ[source][target] = {}
                    keyed[position] = {"arg": position}
            graph._node = node
            graph._succ = graph._adj = succ
            graph._pred = pred
        finally:
            if was_enabled:
                gc.enable()
        return graph
