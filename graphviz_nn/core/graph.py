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

from ..language.printer import array_text, format_number
from ..errors import GnnError, LimitError, MissingValueError, ParseError, ShapeError
from ..ops import CONSTANTS, OPS, format_shape
from ..language import values as values_mod
from .nodes import Nodes
from .formulas import node_formula, node_text  # re-exported: drawings and the CLI import them from here
from ..language.syntax import ArrayLit, Assign, Call, Const, Expr, Num, Program, Var

__all__ = ["build_graph", "build_nodes", "input_names", "MAX_NODES", "node_formula", "node_text"]

MAX_NODES = 200_000
"""Most nodes a graph may have."""

_CONST_LABEL = {"e": "e", "pi": "π"}
_NO_PARAMS: dict = {}  # shared by every leaf (never written: the graph gets a fresh dict per node)
_NO_ARGS: list = []


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
    """Walks the syntax tree once, appending nodes to a :class:`Nodes` table."""

    def __init__(self, program: Program, values: Mapping[str, Any], merge: bool, max_nodes: int):
        self.program = program
        self.values = values
        self.merge = merge
        self.max_nodes = max_nodes
        self.resolved: dict[tuple[int, int], str] = {}
        self.nodes = Nodes(program, self.resolved)
        self.keys: dict[tuple, int] = {}
        self.env: dict[str, int] = {}
        self.rows = self.nodes.rows  # one tuple per node while building
        self.rows_vectors: set[int] = set()  # 1-D nodes that stand for a row vector (xᵀ, xᵀA)
        self.intermediates = _intermediates(program)

    def error(self, cls: type[GnnError], message: str, span: tuple[int, int] | None) -> GnnError:
        return cls(message, span, self.program.source)

    def add_node(self, kind: str, op: str | None, shape: tuple[int, ...], span: Any,
                 params: dict = _NO_PARAMS, args: list[int] = _NO_ARGS) -> int:
        if len(self.rows) >= self.max_nodes:
            raise self.error(LimitError, f"the graph has more than {self.max_nodes:,} nodes", span)
        return self.nodes.add(kind, op, shape, span, params, args)

    def input_node(self, name: str, span: tuple[int, int]) -> int:
        inputs = self.nodes.inputs
        node = inputs.get(name)
        if node is None:
            value = self.values[name]
            shape = () if type(value) is float else tuple(np.shape(value))
            rows = self.rows
            node = len(rows)
            if node >= self.max_nodes:
                raise self.error(LimitError, f"the graph has more than {self.max_nodes:,} nodes", span)
            rows.append(("input", None, shape, span, _NO_PARAMS, _NO_ARGS, 0, True, True))  # as Nodes.add
            inputs[name] = node
            self.nodes.names[node] = name
        return node

    def constant(self, value: float | np.ndarray, label: str, span: tuple[int, int]) -> int:
        """A new node for this occurrence of a constant (equal constants are never one node)."""
        i = self.add_node("constant", None, () if type(value) is float else tuple(np.shape(value)), span)
        self.nodes.const[i] = value
        self.nodes.labels[i] = label
        return i

    def leaf(self, expr: Expr) -> int:
        if type(expr) is Var:
            name = expr.name
            i = self.env.get(name)
            if i is None:
                i = self.nodes.inputs.get(name)  # an input seen before (what input_node returns)
                if i is not None and name in self.intermediates:
                    i = None
            if i is not None:
                return i
            if name in self.intermediates or (name in self.program.defaults and name not in self.nodes.inputs):
                raise self.error(ParseError, f"'{name}' is used before it is assigned", expr.span)
            return self.input_node(name, expr.span)
        if isinstance(expr, Num):
            return self.constant(expr.value, format_number(expr.value), expr.span)
        if isinstance(expr, Const):
            return self.constant(CONSTANTS[expr.name], _CONST_LABEL[expr.name], expr.span)
        assert isinstance(expr, ArrayLit)
        text = array_text(expr.value)
        label = text if len(text) <= 24 else f"const {format_shape(expr.value.shape)}"
        return self.constant(expr.value, label, expr.span)

    def op_node(self, call: Call, args: list[int], fresh: bool = False) -> int:
        """The node of ``call`` over its operands' nodes; an identical unnamed one is reused
        unless ``fresh`` (the top of a named statement, which must stay its own node)."""
        rows = self.rows
        const = self.nodes.const
        if len(args) == 2 and not call.params and not (const and (args[0] in const or args[1] in const)):
            # two scalar operands, neither a constant, no parameters, a scalar result: what
            # :meth:`op_node_any` does for them, written out (every term of a sum of products)
            first, second = rows[args[0]], rows[args[1]]
            if not (first[2] or second[2]):
                op = call.op
                if op == "juxt":
                    op = self.resolved[call.span] = "mul"
                shape = _BINARY_SCALAR_SHAPES.get(op, _UNKNOWN)
                if shape is _UNKNOWN:
                    shape = _BINARY_SCALAR_SHAPES[op] = _scalar_shape(op, 2)
                if shape == () and not OPS[op].params:
                    key = None
                    if self.merge and not fresh:
                        key = (op, (args[0], args[1]), ())
                        found = self.keys.get(key)
                        if found is not None:
                            return found
                    node = len(rows)
                    if node >= self.max_nodes:
                        raise self.error(LimitError, f"the graph has more than {self.max_nodes:,} nodes", call.span)
                    rows.append(("op", op, shape, call.span, _NO_PARAMS, args,
                                 1 + (first[6] if first[6] > second[6] else second[6]), first[7] or second[7], True))
                    if key is not None:
                        self.keys[key] = node
                    return node
        return self.op_node_any(call, args, fresh)

    def op_node_any(self, call: Call, args: list[int], fresh: bool = False) -> int:
        """:meth:`op_node` for any operands."""
        rows = self.rows
        if len(args) == 2:  # most ops: the same as below, written out for two operands
            first, second = rows[args[0]], rows[args[1]]
            shapes = [first[2], second[2]]
            plain = not (first[2] or second[2])
            level = 1 + (first[6] if first[6] > second[6] else second[6])
            needs = first[7] or second[7]
        else:
            operands = [rows[a] for a in args]
            shapes = [r[2] for r in operands]
            plain = not any(shapes)
            level = 1 + max([r[6] for r in operands]) if args else 1
            needs = any([r[7] for r in operands])
        op = call.op
        if op == "juxt":
            op = _juxtaposition_op(shapes, args[0] in self.rows_vectors)
            self.resolved[call.span] = op
        shape = _SCALAR_SHAPES.get((op, len(args)), _UNKNOWN) if plain and not call.params else None
        if shape is _UNKNOWN:
            shape = _scalar_shape(op, len(args))
        if shape is None:
            shape = self.checked_shape(op, shapes, call)
        key = None
        if self.merge and not fresh:
            # a constant operand is this op's own node, so the key holds its value instead
            const = self.nodes.const
            key = (op, tuple([_const_key(self, a) if a in const else a for a in args]) if const else tuple(args),
                   call.params)
            found = self.keys.get(key)
            if found is not None:  # drop this occurrence's constants: the merged op has its own
                for a in reversed(args):
                    if a in const and a == len(rows) - 1:
                        rows.pop()
                        del const[a], self.nodes.labels[a]
                return found
        if len(rows) >= self.max_nodes:
            raise self.error(LimitError, f"the graph has more than {self.max_nodes:,} nodes", call.span)
        spec = OPS[op]
        params = {**dict(spec.params), **dict(call.params)} if spec.params or call.params else _NO_PARAMS
        node = len(rows)  # the row as Nodes.add makes it, written out: the hot path
        rows.append(("op", op, shape, call.span, params, args, level, needs, plain))
        if key is not None:
            self.keys[key] = node
        if shape and _is_row(op, args, shapes, shape, self.rows_vectors):
            self.rows_vectors.add(node)
        return node

    def checked_shape(self, op: str, shapes: list[tuple[int, ...]], call: Call) -> tuple[int, ...]:
        """``op``'s result shape by its shape rule; a :class:`ShapeError` when the operands do
        not fit, a :class:`LimitError` when the result would be too large."""
        spec = OPS[op]
        try:
            shape = spec.shape(shapes, dict(call.params))
        except ValueError as exc:
            raise self.error(ShapeError, f"shape mismatch in '{spec.text or spec.name}': {exc}", call.span) from None
        size = int(np.prod(shape)) if shape else 1
        if size > values_mod.MAX_ELEMENTS:
            raise self.error(LimitError, f"'{spec.text or spec.name}' would make {format_shape(shape)} = "
                                         f"{size:,} entries; the limit is {values_mod.MAX_ELEMENTS:,}", call.span)
        return shape

    def expression(self, expr: Expr, named: bool = False) -> int:
        """Post-order over the tree with an explicit stack, operands' nodes on a second stack;
        with ``named``, the top op is a new node that no later expression merges into."""
        done: list[int] = []
        stack: list[Any] = [expr]
        pop, push, extend = stack.pop, stack.append, stack.extend
        leaf, op_node = self.leaf, self.op_node
        while stack:
            item = pop()
            if type(item) is tuple:  # (call,): its operands are done
                call = item[0]
                n = len(call.args)
                args = done[-n:]
                del done[-n:]
                done.append(op_node(call, args, named and call is expr))
            elif type(item) is Call:
                operands = item.args
                if Call not in map(type, operands):  # operands are leaves (w*x): made here, in order
                    done.append(op_node(item, [leaf(a) for a in operands], named and item is expr))
                    continue
                # binary calls down the left operands whose right operand is a leaf or a call
                # of leaves (b + w1*x1 + w2*x2 + …): the bottom through the stack, then the
                # rest in one loop (the same nodes in the same order)
                spine, call = [], item
                while (len(operands) == 2 and type(operands[0]) is Call and
                       (type(operands[1]) is not Call or Call not in map(type, operands[1].args))):
                    spine.append(call)
                    call = operands[0]
                    operands = call.args
                if spine:
                    push(spine)
                    push(call)
                else:
                    push((item,))
                    extend(reversed(operands))
            elif type(item) is list:  # a spine whose bottom is done
                left = done.pop()
                for call in reversed(item):
                    right = call.args[1]
                    if type(right) is not Call:
                        right_node = leaf(right)
                    else:
                        operands = right.args
                        right_node = op_node(right, [leaf(operands[0]), leaf(operands[1])] if len(operands) == 2
                                             else [leaf(a) for a in operands])
                    left = op_node(call, [left, right_node], named and call is expr)
                done.append(left)
            else:
                done.append(leaf(item))
        return done[0]

    def build(self) -> Nodes:
        nodes, rows = self.nodes, self.rows
        for stmt in self.program.statements:
            if isinstance(stmt, Assign) and stmt.name in self.program.defaults:
                nodes.output, nodes.output_name = self.input_node(stmt.name, stmt.name_span), stmt.name
                continue
            if isinstance(stmt, Assign):
                node = self.expression(stmt.expr, named=True)
                if rows[node][0] != "op" or node in nodes.names:
                    node = self.add_node("op", "identity", rows[node][2], stmt.name_span, _NO_PARAMS, [node])
                nodes.names[node] = stmt.name
                self.env[stmt.name] = node
                nodes.output, nodes.output_name = node, stmt.name
            else:
                nodes.output, nodes.output_name = self.expression(stmt), None
        return nodes.finish()


def _const_key(builder: _Builder, i: int) -> tuple:
    """What identifies a constant inside a merge key: its value, not its node."""
    value = builder.nodes.const[i]
    if type(value) is float:  # its bits, as the array's bytes below (0.0 and -0.0 differ)
        return ("const", (), value.hex())
    shape = builder.rows[i][2]
    if shape == ():
        return ("const", (), float(value).hex())
    return ("const", shape, np.asarray(value, dtype=float).tobytes())


def _juxtaposition_op(shapes: list[tuple[int, ...]], left_is_row: bool) -> str:
    """``W x`` is a matrix product when both operands are arrays and one is a matrix, or the left
    is a row vector (``xᵀy``, and ``xᵀA x`` = (xᵀA) x, a number); otherwise juxtaposition
    multiplies elementwise, so two batches of points (1-D arrays) multiply point by point."""
    if all(len(s) > 0 for s in shapes) and (any(len(s) >= 2 for s in shapes) or left_is_row):
        return "matmul"
    return "mul"


_SCALAR_SHAPES: dict[tuple[str, int], tuple | None] = {}
_BINARY_SCALAR_SHAPES: dict[str, tuple | None] = {}  # op -> _scalar_shape(op, 2)
_UNKNOWN = object()  # an op and arity not yet in _SCALAR_SHAPES


def _scalar_shape(op: str, arity: int) -> tuple | None:
    """The shape ``op`` gives ``arity`` scalar operands and no parameters (``None`` when its
    shape rule refuses them): a shape rule depends on shapes and parameters only, so each
    op and arity is asked once."""
    key = (op, arity)
    if key not in _SCALAR_SHAPES:
        try:
            _SCALAR_SHAPES[key] = tuple(OPS[op].shape([()] * arity, {}))
        except ValueError:
            _SCALAR_SHAPES[key] = None
    return _SCALAR_SHAPES[key]


def _is_row(op: str, args: list[int], shapes: list[tuple[int, ...]], shape: tuple[int, ...],
            rows: set[int]) -> bool:
    """Whether a 1-D result is a row vector: the transpose of a vector, a row times a matrix
    (``xᵀA``), or a row scaled by numbers (``2xᵀ``, ``-xᵀ``)."""
    if len(shape) != 1:
        return False
    if op == "transpose":
        return len(shapes[0]) == 1
    if op == "matmul":
        return args[0] in rows
    if OPS[op].scaling:
        arrays = [a for a, s in zip(args, shapes) if s]
        return len(arrays) == 1 and arrays[0] in rows
    return False


def build_graph(program: Program, values: Mapping[str, Any], *, merge: bool = True,
                max_nodes: int = MAX_NODES) -> nx.MultiDiGraph:
    """Build the DAG. ``values`` must hold every input (see :func:`input_names`)."""
    return build_nodes(program, values, merge=merge, max_nodes=max_nodes).to_graph()


def build_nodes(program: Program, values: Mapping[str, Any], *, merge: bool = True,
                max_nodes: int = MAX_NODES) -> Nodes:
    """Build the DAG as a :class:`~graphviz_nn.core.nodes.Nodes` table (what
    :func:`build_graph` turns into networkx). ``values`` must hold every input."""
    try:
        return _Builder(program, values, merge, max_nodes).build()
    except (GnnError, KeyError):  # a missing value is the error to report, wherever it is
        missing = [n for n in input_names(program) if n not in values]
        if missing:
            _missing(program, missing)
        raise


def _missing(program: Program, missing: list[str]) -> None:
    """Raise the error for inputs given no value."""
    hints = [f"'{word}' is read as {'·'.join(pieces)}; give {word} a value to use it as one name"
             for word, pieces in program.split_words.items()
             if len(pieces) >= 3 and set(pieces) & set(missing)]  # xy is meant as x·y; loss may not be
    raise MissingValueError(missing, _first_use(program, missing[0]), program.source, "; ".join(hints))


def _first_use(program: Program, name: str) -> tuple[int, int] | None:
    for stmt in program.statements:
        expr = stmt.expr if isinstance(stmt, Assign) else stmt
        for var in _variables(expr):
            if var.name == name:
                return var.span
    return None
