"""A compiled engine: the DAG as a level schedule, whole levels of same-op nodes per numpy call.

:func:`compiled_evaluate` gives exactly what :func:`engine.forward` + :func:`engine.backward`
give (node ``value``/``grad``, edge ``local``/``contribution``, and the trace: same steps, same
order, same numbers), only faster on large scalar graphs such as an MLP written out neuron by
neuron.

How it works. :func:`compile_schedule` walks the graph once and sorts the nodes into levels
(a leaf is level 0, an op one more than its deepest operand). Scalar elementwise ops on one
level with the same op and parameters form a *group*: the forward pass gathers each operand
of the whole group from one flat value array and calls the registry's numpy forward once;
the backward pass, level by level in reverse, calls the registry's ``local`` once per operand
and multiplies by the group's upstream gradients. Every other node (tensors, reductions,
structural ops) runs alone, exactly as in :mod:`engine`. The registry's functions are numpy
ufunc-style, so a group's results equal the per-node results bit for bit.

Gradients must also be summed in the reference order (floating-point addition is not
associative): a node's contributions are added one by one in trace order, so rank by rank,
``grad_after[k] = grad_after[k-1] + contribution[k]``, vectorised over all nodes of a level.

Compiling reads the built program's node table (:class:`~graphviz_nn.core.nodes.Nodes`, or a
networkx graph turned into one) in named passes (:class:`Schedule`); running it is
:mod:`graphviz_nn.core.run`, and the run's arrays are read through :mod:`graphviz_nn.core.trace`:
the trace is a lazy :class:`Trace` sequence whose steps are built from the arrays when indexed,
so evaluation does not pay for ~3 Python objects per edge.

>>> from graphviz_nn.language.parser import parse
>>> from graphviz_nn.core.graph import build_graph
>>> g = build_graph(parse("a = x*y + x; b = relu(a)*y"), {"x": 2.0, "y": 3.0})
>>> trace = compiled_evaluate(g, {"x": 2.0, "y": 3.0})
>>> len(trace), trace[-1].edge, trace[-1].grad_after
(14, ('n1', 'n2', 1), 14.0)
>>> g.nodes["n0"]["grad"], g.nodes["n1"]["grad"]
(12.0, 14.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Mapping

import networkx as nx
import numpy as np

from .engine import TraceStep
from .nodes import Nodes
from . import run
from .trace import Result, Trace
from ..ops import OPS, OpSpec

__all__ = ["Schedule", "Trace", "Result", "compile_schedule", "compiled_evaluate"]

_ELEMENTWISE: dict[str, bool] = {}


_UNGROUPED = frozenset({"pow"})
"""Ops whose numpy result depends on how the operands are passed: ``np.power`` takes shortcuts
for a scalar exponent (x², √x, 1/x) that an array of exponents does not, so a grouped x^2
could differ from the engine's in the last digit. They run one node at a time."""


def _elementwise(op: str) -> bool:
    """An op a group may evaluate in one call: it has a local derivative and keeps its
    operands' shape (reductions such as ``sum`` map a vector to a scalar)."""
    if op not in _ELEMENTWISE:
        spec = OPS[op]
        ok = spec.local is not None and spec.arity is not None and op not in _UNGROUPED
        if ok:
            try:
                ok = tuple(spec.shape([(2,)] * spec.arity, {})) == (2,)
            except ValueError:
                ok = False
        _ELEMENTWISE[op] = ok
    return _ELEMENTWISE[op]


def _read_only(value: Any) -> Any:
    """A tensor every run shares, as a read-only array: an in-place change by a caller fails
    instead of changing every later run."""
    array = np.array(value, dtype=float)  # a copy: the graph's own constant stays as it was
    array.setflags(write=False)
    return array


def _index_array(positions: list[int]) -> np.ndarray | slice:
    """Positions as an index: a slice when they are consecutive (a view, no gather)."""
    first = positions[0]
    if positions == list(range(first, first + len(positions))):
        return slice(first, first + len(positions))
    return np.array(positions, dtype=np.intp)


@dataclass
class _Group:
    """Scalar nodes of one level with one elementwise op: slots ``start:stop`` of the values."""

    spec: OpSpec
    params: dict
    start: int
    stop: int
    args: list[np.ndarray | slice]  # per operand: slots of that operand for every member
    members: list[int] = field(default_factory=list)  # node indices, in slot order
    # Backward (only members that receive a gradient; ``active`` indexes into the group):
    active: np.ndarray | None = None  # None: every member
    active_slots: np.ndarray | slice | None = None
    operands: list[tuple[int, int, int, np.ndarray | None]] = field(default_factory=list)
    """(operand position, first and last storage index of its steps, and which members have
    a step for it: ``None`` for every active member, else their positions in the group; a
    member whose operand is a constant has none)."""


@dataclass
class _Level:
    groups: list[_Group] = field(default_factory=list)
    singles: list[int] = field(default_factory=list)  # node indices run one at a time
    # Gradient accumulation for the scalar nodes of this level:
    one_slots: np.ndarray | None = None  # nodes with exactly one contribution
    one_steps: np.ndarray | None = None
    ranks: list[tuple[np.ndarray, np.ndarray, bool]] = field(default_factory=list)
    """Per rank k >= 2: (storage index of the k-th contribution, of the (k-1)-th, whether the
    (k-1)-th is a first contribution, read from the contributions rather than the sums)."""
    multi_slots: np.ndarray | None = None
    multi_last: np.ndarray | None = None
    tensors: list[tuple[int, list[int]]] = field(default_factory=list)
    """Tensor nodes receiving a gradient: (node, storage indices of contributions in order)."""


class Schedule:
    """A program compiled for repeated evaluation; :meth:`run` evaluates it for given values.

    Compiling is a sequence of passes over the node table, each named for what it decides:
    :meth:`_levels`, :meth:`_gradient_flow`, :meth:`_slots`, :meth:`_storage`,
    :meth:`_accumulation`, :meth:`_leaves` and :meth:`_views`.
    """

    def __init__(self, source: nx.MultiDiGraph | Nodes, constant_grads: bool = False):
        if isinstance(source, Nodes):
            self.graph, nodes = None, source
        else:
            self.graph, nodes = source, Nodes.from_graph(source)
        self.nodes = nodes
        self.ids = nodes.ids
        self.args = nodes.args
        self.scalar = [shape == () for shape in nodes.shape]
        self.output = nodes.output
        level, vec = self._levels()
        incoming, step_of = self._gradient_flow(constant_grads)
        leaves = self._slots(level, vec)
        self._storage(step_of, vec)
        self._accumulation(incoming, leaves)
        self._leaves(leaves)
        self._views()

    # ------------------------------------------------------------------ compiling

    def _levels(self) -> tuple[list[int], list[bool]]:
        """Each node's level (a leaf 0, an op one more than its deepest operand) and whether it
        may join a group (a scalar elementwise op over scalar operands)."""
        n_nodes = len(self.ids)
        level = [0] * n_nodes
        vec = [False] * n_nodes
        scalar, kinds, ops = self.scalar, self.nodes.kind, self.nodes.op
        for i, a in enumerate(self.args):
            if kinds[i] == "op":
                level[i] = 1 + max([level[j] for j in a]) if a else 1
                vec[i] = scalar[i] and _elementwise(ops[i]) and all([scalar[j] for j in a])
        self.n_levels = max(level) + 1 if n_nodes else 1
        return level, vec

    def _gradient_flow(self, constant_grads: bool) -> tuple[list[list[int]], dict[tuple[int, int], int]]:
        """Which nodes receive a gradient (the engine visits exactly these: the output and the
        operands of receiving ops that get a gradient at all, constants only when asked) and
        the backward steps in trace order; per node, the trace indices of its contributions,
        and the trace index of each (receiving op, operand position)."""
        n_nodes = len(self.ids)
        args = self.args
        self.needs = needs = _depends_on_input(self.nodes)
        gets = [True] * n_nodes if constant_grads else list(needs)
        gets[self.output] = True
        self.no_grad = [i for i in range(n_nodes) if not gets[i]]
        active = [False] * n_nodes
        active[self.output] = True
        steps: list[tuple[int, int, int]] = []  # (source, target, arg) in trace order
        incoming: list[list[int]] = [[] for _ in range(n_nodes)]
        step_of: dict[tuple[int, int], int] = {}
        for i in range(n_nodes - 1, -1, -1):
            if not active[i] or not args[i]:
                continue
            for position, j in enumerate(args[i]):
                if not gets[j]:
                    continue
                active[j] = True
                incoming[j].append(len(steps))
                step_of[i, position] = len(steps)
                steps.append((j, i, position))
        self.active = active
        self.steps = steps
        return incoming, step_of

    def _slots(self, level: list[int], vec: list[bool]) -> list[int]:
        """A place for every node: scalar nodes in one flat array, leaves first, then level by
        level with each group contiguous; tensors in a list. Returns the leaves."""
        n_levels, scalar, args = self.n_levels, self.scalar, self.args
        kinds, ops, params = self.nodes.kind, self.nodes.op, self.nodes.params
        by_level: list[dict[tuple, list[int]]] = [dict() for _ in range(n_levels)]
        singles: list[list[int]] = [[] for _ in range(n_levels)]
        leaves: list[int] = []
        for i, kind in enumerate(kinds):
            if kind != "op":
                leaves.append(i)
            elif vec[i]:
                key = (ops[i], tuple(sorted(params[i].items()))) if params[i] else (ops[i], ())
                by_level[level[i]].setdefault(key, []).append(i)
            else:
                singles[level[i]].append(i)
        n_nodes = len(kinds)
        slot = [-1] * n_nodes
        tslot = [-1] * n_nodes
        counts = [0, 0]  # scalar slots, tensor slots

        def place(members: list[int]) -> None:
            for i in members:
                if scalar[i]:
                    slot[i] = counts[0]
                    counts[0] += 1
                else:
                    tslot[i] = counts[1]
                    counts[1] += 1

        place(leaves)
        self.levels = [_Level() for _ in range(n_levels)]
        for lv in range(n_levels):
            for (op, _), members in by_level[lv].items():
                start = counts[0]
                place(members)
                group = _Group(OPS[op], dict(params[members[0]]), start, counts[0],
                               [_index_array([slot[args[i][p]] for i in members])
                                for p in range(len(args[members[0]]))], members)
                self.levels[lv].groups.append(group)
            place(singles[lv])
            self.levels[lv].singles = singles[lv]
        self.slot, self.tslot = slot, tslot
        self.n_scalar, self.n_tensor = counts
        return leaves

    def _storage(self, step_of: dict[tuple[int, int], int], vec: list[bool]) -> None:
        """Where each backward step's numbers are stored: steps into the operands of a group
        first, contiguous per (group, operand), so a group writes its contributions with one
        slice assignment; then the rest in trace order."""
        active, slot = self.active, self.slot
        n_steps = len(self.steps)
        store = [-1] * n_steps
        next_store = 0
        for lv in range(self.n_levels - 1, 0, -1):
            for group in self.levels[lv].groups:
                members = group.members
                live = [m for m, i in enumerate(members) if active[i]]
                if live and len(live) != len(members):
                    group.active = np.array(live, dtype=np.intp)
                    group.active_slots = _index_array([slot[members[m]] for m in live])
                if not live:
                    continue
                for p in range(len(group.args)):
                    flowing = [m for m in live if (members[m], p) in step_of]
                    if not flowing:
                        continue
                    first = next_store
                    for m in flowing:
                        store[step_of[members[m], p]] = next_store
                        next_store += 1
                    which = None if len(flowing) == len(live) else np.array(flowing, dtype=np.intp)
                    group.operands.append((p, first, next_store, which))
        for k in range(n_steps):
            if store[k] < 0:
                store[k] = next_store
                next_store += 1
        self.store = store
        self.store_arr = np.array(store, dtype=np.intp)
        self.single_steps: dict[int, list[tuple[int, int, int]]] = {}
        for k, (s, t, p) in enumerate(self.steps):
            if not vec[t]:
                self.single_steps.setdefault(t, []).append((p, s, store[k]))

    def _accumulation(self, incoming: list[list[int]], leaves: list[int]) -> None:
        """Per level, how its nodes' contributions are summed in trace order: nodes with one
        contribution copy it; the others add rank by rank; tensors one by one."""
        store, scalar, slot = self.store, self.scalar, self.slot
        is_first = np.zeros(len(self.steps), dtype=bool)
        for i, got in enumerate(incoming):
            if got and i != self.output:
                is_first[store[got[0]]] = True
        self.first_steps = np.flatnonzero(is_first)
        for lv, plan in enumerate(self.levels):
            one_slots, one_steps, multi = [], [], []
            members = leaves if lv == 0 else [i for g in plan.groups for i in g.members] + plan.singles
            for i in members:
                got = incoming[i]
                if not got:
                    continue
                if not scalar[i]:
                    plan.tensors.append((i, [store[k] for k in got]))
                elif len(got) == 1:
                    one_slots.append(slot[i])
                    one_steps.append(store[got[0]])
                else:
                    multi.append(i)
            if one_slots:
                plan.one_slots = _index_array(one_slots)
                plan.one_steps = np.array(one_steps, dtype=np.intp)
            if multi:
                top = max(len(incoming[i]) for i in multi)
                for r in range(1, top):
                    have = [i for i in multi if len(incoming[i]) > r]
                    plan.ranks.append((np.array([store[incoming[i][r]] for i in have], dtype=np.intp),
                                       np.array([store[incoming[i][r - 1]] for i in have], dtype=np.intp),
                                       r == 1))
                plan.multi_slots = np.array([slot[i] for i in multi], dtype=np.intp)
                plan.multi_last = np.array([store[incoming[i][-1]] for i in multi], dtype=np.intp)

    def _leaves(self, leaves: list[int]) -> None:
        """Where the inputs' values go (one gather for the scalars) and the constants' values."""
        nodes, scalar, slot, tslot = self.nodes, self.scalar, self.slot, self.tslot
        inputs = [i for i in leaves if nodes.kind[i] == "input"]
        self.scalar_inputs = [(nodes.name[i], slot[i]) for i in inputs if scalar[i]]
        self.input_slots = np.array([s for _, s in self.scalar_inputs], dtype=np.intp)
        self.input_getter = itemgetter(*[name for name, _ in self.scalar_inputs] or [None])
        self.tensor_inputs = [(nodes.name[i], tslot[i]) for i in inputs if not scalar[i]]
        consts = [i for i in leaves if nodes.kind[i] == "constant"]
        self.const_slots = np.array([slot[i] for i in consts if scalar[i]], dtype=np.intp)
        self.const_values = np.array([float(nodes.const[i]) for i in consts if scalar[i]])
        self.tensor_consts = [(tslot[i], _read_only(nodes.const[i])) for i in consts if not scalar[i]]

    def _views(self) -> None:
        """Id-ordered views of the slots (for the graph's attributes) and what an evaluation
        reads without them: the inputs' gradients and the non-finite check."""
        n_nodes, scalar, slot, needs = len(self.ids), self.scalar, self.slot, self.needs
        scalar_ids = [i for i in range(n_nodes) if scalar[i]]
        self.scalar_ids = np.array(scalar_ids, dtype=np.intp)
        self.scalar_id_slots = np.array([slot[i] for i in scalar_ids], dtype=np.intp)
        self.all_scalar = len(scalar_ids) == n_nodes
        self.input_names = list(self.nodes.inputs)
        self.input_ids = list(self.nodes.inputs.values())
        self.input_id_slots = np.array([slot[i] for i in self.input_ids], dtype=np.intp)
        self.scalar_needs = np.array([needs[i] for i in scalar_ids], dtype=bool)
        self.needs_slots = np.array([slot[i] for i in scalar_ids if needs[i]], dtype=np.intp)

    # ------------------------------------------------------------------ running

    def run(self, values: Mapping[str, Any], write: bool = True) -> Trace:
        """Forward and backward passes for ``values`` (input name -> value); returns the trace
        and, with ``write``, sets the compiled graph's node and edge attributes as the engine
        does (a schedule compiled from a graph only)."""
        result = self.compute(values)
        if write:
            result.write_back()
        return Trace(result)

    def compute(self, values: Mapping[str, Any]) -> Result:
        """Forward and backward passes for ``values``, the numbers left in the run's arrays
        (no graph is touched; ``Trace(result)`` gives the trace)."""
        with np.errstate(all="ignore"):
            state = run.backward(self, run.forward(self, values))
        return Result(self, *state)

    def gradients(self, values: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The output value and d output / d input for every input, leaving the graph alone
        (what a training loop needs from each step)."""
        result = self.compute(values)
        return result.node_value(self.output), result.input_gradients()


def _depends_on_input(nodes: Nodes) -> list[bool]:
    """Per node, whether it depends on an input (what :func:`engine.requires_grad` says)."""
    result: list[bool] = []
    append = result.append
    for kind, args in zip(nodes.kind, nodes.args):
        append(kind == "input" or (kind == "op" and any([result[s] for s in args])))
    return result


def compile_schedule(graph: nx.MultiDiGraph | Nodes, constant_grads: bool = False) -> Schedule:
    """Compile a built graph (:func:`graph.build_graph`) or node table
    (:func:`graph.build_nodes`) once; ``run`` it for any values of the same shapes
    (``constant_grads``: as :func:`engine.backward` takes it)."""
    return Schedule(graph, constant_grads)


def compiled_evaluate(graph: nx.MultiDiGraph, values: Mapping[str, Any], *,
                      constant_grads: bool = False) -> Sequence[TraceStep]:
    """Drop-in for ``engine.forward(graph, values) + engine.backward(graph, ...)``: sets the
    same attributes and returns an equal trace (a lazy :class:`Trace`)."""
    return compile_schedule(graph, constant_grads).run(values)
