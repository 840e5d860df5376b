"""Syntax tree -> networkx DAG, with shapes checked and implicit products resolved.

Nodes are ``n0, n1, …`` in creation order, which is a topological order. Identical unnamed
subexpressions are merged (hash-consing) unless ``merge=False``; the same variable is always
one node. A named statement (``v = x*y``) always gets a node of its own, which nothing else
merges into, and every occurrence of a constant is its own node (the 2 of ``1/2`` and the
exponent of ``x^2`` play different roles), though identical unnamed subexpressions with
constants (``x^2 + x^2``) still merge whole. See docs/ARCHITECTURE.md for every attribute.
"""

from __future__ import annotations

from typing import Any, Mapping

import networkx as nx
import numpy as np

from ..language.printer import _array_text, canonical, format_number, reading
from ..errors import GnnError, LimitError, MissingValueError, ParseError, ShapeError
from ..language.names import display_label
from ..ops import CONSTANTS, OPS, format_shape
from ..language import values as values_mod
from ..language.syntax import ArrayLit, Assign, Call, Const, Expr, Num, Program, Var

__all__ = ["build_graph", "input_names", "MAX_NODES", "node_formula", "node_text"]

MAX_NODES = 200_000
"""Most nodes a graph may have."""

_CONST_LABEL = {"e": "e", "pi": "π"}


def input_names(program: Program) -> list[str]:
    """Input names in order of first appearance (definitions like ``x = 2`` count)."""
    intermediates = _intermediates(program)
    seen: dict[str, None] = {}
    for stmt in program.statements:
        if isinstance(stmt, Assign) and stmt.name in program.defaults:
            seen.setdefault(stmt.name, None)
            continue
        expr = stmt.expr if isinstance(stmt, Assign) else stmt
        for var in _variables(expr):
            if var.name not in intermediates:
                seen.setdefault(var.name, None)
    return list(seen)


def _intermediates(program: Program) -> set[str]:
    return {s.name for s in program.statements if isinstance(s, Assign) and s.name not in program.defaults}


def _variables(expr: Expr) -> list[Var]:
    """Variables of an expression in source order (iterative walk)."""
    found: list[Var] = []
    stack: list[Expr] = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, Var):
            found.append(item)
        elif isinstance(item, Call):
            stack.extend(reversed(item.args))
    return found


class _Builder:
    def __init__(self, program: Program, values: Mapping[str, Any], merge: bool, max_nodes: int):
        self.program = program
        self.values = values
        self.merge = merge
        self.max_nodes = max_nodes
        self.graph = nx.MultiDiGraph()
        self.keys: dict[tuple, str] = {}
        self.env: dict[str, str] = {}
        self.inputs: dict[str, str] = {}
        self.resolved: dict[int, str] = {}
        self.rows: set[str] = set()  # 1-D nodes that stand for a row vector (xᵀ, xᵀA)
        self.intermediates = _intermediates(program)

    def error(self, cls: type[GnnError], message: str, span: tuple[int, int] | None) -> GnnError:
        return cls(message, span, self.program.source)

    def add_node(self, key: tuple | None, **attrs: Any) -> str:
        if key is not None and key in self.keys:
            return self.keys[key]
        if self.graph.number_of_nodes() >= self.max_nodes:
            raise self.error(LimitError, f"the graph has more than {self.max_nodes:,} nodes", attrs.get("span"))
        node = f"n{self.graph.number_of_nodes()}"
        attrs.setdefault("name", None)
        attrs.setdefault("params", {})
        attrs.setdefault("args", [])
        self.graph.add_node(node, value=None, grad=None, nonfinite=False, **attrs)
        for position, source in enumerate(attrs["args"]):
            self.graph.add_edge(source, node, key=position, arg=position)
        if key is not None:
            self.keys[key] = node
        return node

    def input_node(self, name: str, span: tuple[int, int]) -> str:
        if name not in self.inputs:
            value = self.values[name]
            self.inputs[name] = self.add_node(
                ("input", name), kind="input", op=None, name=name, label=display_label(name),
                shape=tuple(np.shape(value)), span=span)
        return self.inputs[name]

    def constant(self, value: float | np.ndarray, label: str, span: tuple[int, int]) -> str:
        """A new node for this occurrence of a constant (equal constants are never one node)."""
        return self.add_node(None, kind="constant", op=None, label=label, shape=tuple(np.shape(value)),
                             span=span, const=value)

    def leaf(self, expr: Expr) -> str:
        if isinstance(expr, Num):
            return self.constant(expr.value, format_number(expr.value), expr.span)
        if isinstance(expr, Const):
            return self.constant(CONSTANTS[expr.name], _CONST_LABEL[expr.name], expr.span)
        if isinstance(expr, ArrayLit):
            text = _array_text(expr.value)
            label = text if len(text) <= 24 else f"const {format_shape(expr.value.shape)}"
            return self.constant(expr.value, label, expr.span)
        assert isinstance(expr, Var)
        if expr.name in self.env:
            return self.env[expr.name]
        if expr.name in self.intermediates or (expr.name in self.program.defaults and expr.name not in self.inputs):
            raise self.error(ParseError, f"'{expr.name}' is used before it is assigned", expr.span)
        return self.input_node(expr.name, expr.span)

    def op_node(self, call: Call, args: list[str], fresh: bool = False) -> str:
        """The node of ``call`` over its operands' nodes; an identical unnamed one is reused
        unless ``fresh`` (the top of a named statement, which must stay its own node)."""
        nodes = self.graph.nodes
        shapes = [nodes[a]["shape"] for a in args]
        op = call.op
        if op == "juxt":
            op = _juxtaposition_op(shapes, args[0] in self.rows)
            self.resolved[id(call)] = op
        spec = OPS[op]
        try:
            shape = spec.shape(shapes, dict(call.params))
        except ValueError as exc:
            raise self.error(ShapeError, f"shape mismatch in '{spec.text or spec.name}': {exc}", call.span) from None
        size = int(np.prod(shape)) if shape else 1
        if size > values_mod.MAX_ELEMENTS:
            raise self.error(LimitError, f"'{spec.text or spec.name}' would make {format_shape(shape)} = {size:,} "
                                         f"entries; the limit is {values_mod.MAX_ELEMENTS:,}", call.span)
        params = {**dict(spec.params), **dict(call.params)}  # defaults visible to the renderer
        key = None
        if self.merge and not fresh:
            # a constant operand is this op's own node, so the key holds its value instead
            key = ("op", op, tuple(_const_key(nodes[a]) if nodes[a]["kind"] == "constant" else a for a in args),
                   call.params)
            found = self.keys.get(key)
            if found is not None:  # drop this occurrence's constants: the merged op has its own
                for a in reversed(args):
                    if nodes[a]["kind"] == "constant" and self.graph.out_degree(a) == 0:
                        assert a == f"n{self.graph.number_of_nodes() - 1}", "only the newest nodes are dropped"
                        self.graph.remove_node(a)
                return found
        node = self.add_node(key, kind="op", op=op, label=spec.symbol, shape=shape, params=params,
                             span=call.span, args=list(args))
        if _is_row(op, args, shapes, shape, self.rows):
            self.rows.add(node)
        return node

    def expression(self, expr: Expr, named: bool = False) -> str:
        """Post-order over the tree with an explicit stack; with ``named``, the top op is a new
        node that no later expression merges into."""
        done: dict[int, str] = {}
        stack: list[tuple[Expr, bool]] = [(expr, False)]
        while stack:
            item, expanded = stack.pop()
            if not isinstance(item, Call):
                done[id(item)] = self.leaf(item)
            elif expanded:
                done[id(item)] = self.op_node(item, [done[id(a)] for a in item.args], named and item is expr)
            else:
                stack.append((item, True))
                stack.extend((a, False) for a in reversed(item.args))
        return done[id(expr)]

    def build(self) -> nx.MultiDiGraph:
        output = None
        output_name = None
        for stmt in self.program.statements:
            if isinstance(stmt, Assign) and stmt.name in self.program.defaults:
                output, output_name = self.input_node(stmt.name, stmt.name_span), stmt.name
                continue
            if isinstance(stmt, Assign):
                node = self.expression(stmt.expr, named=True)
                attrs = self.graph.nodes[node]
                if attrs["kind"] != "op" or attrs["name"] is not None:
                    node = self.add_node(None, kind="op", op="identity", label=OPS["identity"].symbol,
                                         shape=attrs["shape"], span=stmt.name_span, args=[node])
                self.graph.nodes[node]["name"] = stmt.name
                self.graph.nodes[node]["label"] = display_label(stmt.name)
                self.env[stmt.name] = node
                output, output_name = node, stmt.name
            else:
                output, output_name = self.expression(stmt), None
        g = self.graph

        def resolve(call: Call) -> str:
            return self.resolved.get(id(call), "mul")

        g.graph.update(
            output=output,
            output_name=output_name,
            inputs=dict(self.inputs),
            source=self.program.source,
            canonical=canonical(self.program, resolve),
            reading=reading(self.program, resolve),
            notes=[ParseError(message, span, self.program.source).render() for message, span in self.program.notes],
        )
        return g


def _const_key(attrs: dict) -> tuple:
    """What identifies a constant inside a merge key: its value, not its node."""
    return ("const", attrs["shape"], np.asarray(attrs["const"], dtype=float).tobytes())


def _juxtaposition_op(shapes: list[tuple[int, ...]], left_is_row: bool) -> str:
    """``W x`` is a matrix product when both operands are arrays and one is a matrix, or the left
    is a row vector (``xᵀy``, and ``xᵀA x`` = (xᵀA) x, a number); otherwise juxtaposition
    multiplies elementwise, so two batches of points (1-D arrays) multiply point by point."""
    if all(len(s) > 0 for s in shapes) and (any(len(s) >= 2 for s in shapes) or left_is_row):
        return "matmul"
    return "mul"


_SCALING = frozenset({"mul", "div", "neg", "identity"})


def _is_row(op: str, args: list[str], shapes: list[tuple[int, ...]], shape: tuple[int, ...],
            rows: set[str]) -> bool:
    """Whether a 1-D result is a row vector: the transpose of a vector, a row times a matrix
    (``xᵀA``), or a row scaled by numbers (``2xᵀ``, ``-xᵀ``)."""
    if len(shape) != 1:
        return False
    if op == "transpose":
        return len(shapes[0]) == 1
    if op == "matmul":
        return args[0] in rows
    if op in _SCALING:
        arrays = [a for a, s in zip(args, shapes) if s]
        return len(arrays) == 1 and arrays[0] in rows
    return False


def build_graph(program: Program, values: Mapping[str, Any], *, merge: bool = True,
                max_nodes: int = MAX_NODES) -> nx.MultiDiGraph:
    """Build the DAG. ``values`` must hold every input (see :func:`input_names`)."""
    missing = [n for n in input_names(program) if n not in values]
    if missing:
        hints = [f"'{word}' is read as {'·'.join(pieces)}; give {word} a value to use it as one name"
                 for word, pieces in program.split_words.items()
                 if len(pieces) >= 3 and set(pieces) & set(missing)]  # xy is meant as x·y; loss may not be
        raise MissingValueError(missing, _first_use(program, missing[0]), program.source, "; ".join(hints))
    return _Builder(program, values, merge, max_nodes).build()


def _first_use(program: Program, name: str) -> tuple[int, int] | None:
    for stmt in program.statements:
        expr = stmt.expr if isinstance(stmt, Assign) else stmt
        for var in _variables(expr):
            if var.name == name:
                return var.span
    return None


def node_formula(graph: nx.MultiDiGraph, node: str) -> str:
    """A one-line formula for a node in terms of its operands, e.g. ``a = x × y``; unnamed
    operands are written out (``sin(x × y)``), never by an internal id."""
    attrs = graph.nodes[node]
    if attrs["kind"] != "op":
        return attrs["kind"]
    body = _op_text(graph, node, _FORMULA_DEPTH)
    return f"{attrs['label']} = {body}" if attrs["name"] else body


#: How many levels of unnamed operations a formula writes out before ``…``.
_FORMULA_DEPTH = 4


def node_text(graph: nx.MultiDiGraph, node: str, depth: int = _FORMULA_DEPTH) -> str:
    """A node as a user knows it: its name or label (``x``, ``a1``, ``2``), or for an unnamed
    operation its formula (``sin(x × y)``), ``depth`` levels deep and ``…`` below."""
    attrs = graph.nodes[node]
    if attrs["kind"] != "op" or attrs["name"]:
        return str(attrs["label"])
    return _op_text(graph, node, depth)


def _op_text(graph: nx.MultiDiGraph, node: str, depth: int) -> str:
    attrs = graph.nodes[node]
    spec = OPS[attrs["op"]]

    def operand(arg: str) -> str:
        data = graph.nodes[arg]
        if data["kind"] != "op" or data["name"]:
            return str(data["label"])
        if depth <= 1:
            return "…"
        text = _op_text(graph, arg, depth - 1)
        bracket = OPS[data["op"]].infix or data["op"] == "neg"
        return f"({text})" if bracket and (spec.infix or attrs["op"] in ("neg", "transpose")) else text

    names = [operand(a) for a in attrs["args"]]
    if spec.infix:
        return f" {spec.symbol} ".join(names)
    if attrs["op"] == "neg":
        return f"−{names[0]}"
    if attrs["op"] == "identity":
        return names[0]
    if attrs["op"] == "transpose":
        return f"{names[0]}ᵀ"
    extra = [format_number(v) for v in attrs["params"].values()]
    return f"{spec.text}({', '.join(names + extra)})"
