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
from typing import Any, Callable

import networkx as nx
import numpy as np

from ..errors import ParseError
from ..language.names import display_label
from ..language.printer import canonical, reading
from ..ops import OPS
from ..language.syntax import Call, Program

__all__ = ["Nodes"]


class Nodes:
    """Per-node columns (``kind``, ``op``, ``shape``, ``span``, ``params``, ``args`` as operand
    indices; ``level``: a leaf 0, an op one more than its deepest operand; ``needs``: depends
    on an input; ``plain``: every operand is a scalar; ``name`` and ``label``, made on first read; ``const``: constant nodes' values) and
    the program's facts (``inputs``: name -> node index, ``output``, ``output_name``).

    The builder appends one row per node (:meth:`add`) and :meth:`finish` turns the rows into
    the columns."""

    def __init__(self, program: Program, resolved: dict[tuple[int, int], str]):
        self.program: Program | None = program
        self.resolved = resolved  # span of each juxtaposition call -> the op it became
        self.source = program.source if program is not None else ""
        self.notes = program.notes if program is not None else []
        self._reread: Callable[[], Program] | None = None
        self.rows: list[tuple] = []  # (kind, op, shape, span, params, args, level, needs, plain) while building
        self.names: dict[int, str] = {}  # inputs' and named statements' names
        self.labels: dict[int, str] = {}  # constants' labels
        self.const: dict[int, Any] = {}
        self.inputs: dict[str, int] = {}
        self.output = 0
        self.output_name: str | None = None
        self._texts: dict[str, str] = {}
        self._ids: list[str] | None = None
        self._name: list[str | None] | None = None
        self._label: list[str] | None = None

    def add(self, kind: str, op: str | None, shape: tuple[int, ...], span: Any, params: dict,
            args: list[int]) -> int:
        """Append a node's row; return its index. Besides what it is given, a row holds the
        node's level, whether it depends on an input and whether its operands are all scalars."""
        rows = self.rows
        if args:
            operands = [rows[a] for a in args]
            rows.append((kind, op, shape, span, params, args, 1 + max([r[6] for r in operands]),
                         any([r[7] for r in operands]), not any([r[2] for r in operands])))
        else:
            rows.append((kind, op, shape, span, params, args, int(kind == "op"), kind == "input", True))
        return len(rows) - 1

    def drop_last(self) -> None:
        """Remove the newest node (an operand constant of an op merged into an earlier one)."""
        self.rows.pop()
        self.const.pop(len(self.rows), None)
        self.labels.pop(len(self.rows), None)

    def finish(self) -> "Nodes":
        """Turn the rows into columns (once the build is done)."""
        columns = list(zip(*self.rows)) if self.rows else [()] * 9
        (self.kind, self.op, self.shape, self.span, self.params, self.args, self.level, self.needs,
         self.plain) = map(list, columns)
        self.level = np.array(self.level, dtype=np.intp)  # an array: one int object per node costs 28 bytes
        del self.rows
        return self

    @property
    def name(self) -> list[str | None]:
        """Each node's name (inputs and named statements) or ``None``."""
        if self._name is None:
            names = self.names
            self._name = [names.get(i) for i in range(len(self.kind))] if names else [None] * len(self.kind)
        return self._name

    @property
    def label(self) -> list[str]:
        """What a drawing writes in each node: a name as :func:`display_label` spells it, a
        constant's value, an op's symbol."""
        if self._label is None:
            labels, names = self.labels, self.names
            spelled: dict[str, str] = {}
            out = []
            for i, (kind, op) in enumerate(zip(self.kind, self.op)):
                name = names.get(i)
                if name is not None:
                    if name not in spelled:
                        spelled[name] = display_label(name)
                    out.append(spelled[name])
                elif kind == "constant":
                    out.append(labels[i])
                else:
                    out.append(OPS[op].symbol)
            self._label = out
        return self._label

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
            table.add(kind, d["op"], d["shape"], d.get("span"), d["params"],
                      [index[a] for a in d["args"]] if kind == "op" else [])
            if kind == "constant":
                table.const[i] = d["const"]
        table.finish()
        table._name = [d["name"] for _, d in data]
        table.names = {i: name for i, name in enumerate(table._name) if name is not None}
        table._label = [d["label"] for _, d in data]
        table.inputs = {name: index[n] for name, n in graph.graph["inputs"].items()}
        table.output = index[graph.graph["output"]]
        table.output_name = graph.graph.get("output_name")
        table._texts = {k: graph.graph[k] for k in ("canonical", "reading") if k in graph.graph}
        return table

    def __len__(self) -> int:
        return len(self.kind)

    def _resolve(self, call: Call) -> str:
        return self.resolved.get(call.span, "mul")

    def forget_program(self, reread: Callable[[], Program]) -> None:
        """Let the syntax tree go once the table is built; ``reread`` parses the text again
        (the same text with the same names gives the same tree) if ``canonical`` or
        ``reading`` is ever read. A kept tree is tens of thousands of objects that the garbage
        collector would otherwise walk, for two strings most callers never read."""
        self.program, self._reread = None, reread

    def _program(self) -> Program:
        return self.program if self.program is not None else self._reread()  # type: ignore[misc]

    @property
    def canonical(self) -> str:
        """The fully bracketed reading of the text (made on first read)."""
        if "canonical" not in self._texts:
            self._texts["canonical"] = canonical(self._program(), self._resolve)
        return self._texts["canonical"]

    @property
    def reading(self) -> str:
        """The reading with only the brackets precedence needs (made on first read)."""
        if "reading" not in self._texts:
            self._texts["reading"] = reading(self._program(), self._resolve)
        return self._texts["reading"]

    @property
    def ids(self) -> list[str]:
        """Node ids, ``n0, n1, …`` (a graph's own ids for a table made from a graph)."""
        if self._ids is None or len(self._ids) != len(self.kind):
            self._ids = [f"n{i}" for i in range(len(self.kind))]
        return self._ids

    def graph_attributes(self) -> dict[str, Any]:
        """What ``graph.graph`` holds (see docs/ARCHITECTURE.md)."""
        return dict(
            output=f"n{self.output}", output_name=self.output_name,
            inputs={name: f"n{i}" for name, i in self.inputs.items()}, source=self.source,
            canonical=self.canonical, reading=self.reading,
            notes=[ParseError(message, span, self.source).render() for message, span in self.notes])

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
