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

The trace is a lazy :class:`Trace` sequence: steps are built from stored lists when indexed,
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

from .engine import TraceStep, _finite, _tidy, gets_gradient, requires_grad
from ..ops import OPS, OpSpec, local_derivative, vjp

__all__ = ["Schedule", "Trace", "compile_schedule", "compiled_evaluate"]

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
    """A graph compiled for repeated evaluation; :meth:`run` evaluates it for given values."""

    def __init__(self, graph: nx.MultiDiGraph, constant_grads: bool = False):
        self.graph = graph
        data = list(graph.nodes(data=True))
        self.ids = [n for n, _ in data]
        self.node_dicts = [d for _, d in data]
        index = {n: i for i, n in enumerate(self.ids)}
        n_nodes = len(data)
        args = [[index[a] for a in d["args"]] if d["kind"] == "op" else [] for d in self.node_dicts]
        scalar = [d["shape"] == () for d in self.node_dicts]
        self.args = args
        self.scalar = scalar
        self.output = index[graph.graph["output"]]
        level = [0] * n_nodes
        vec = [False] * n_nodes
        for i, d in enumerate(self.node_dicts):
            if d["kind"] == "op":
                a = args[i]
                level[i] = 1 + max(level[j] for j in a) if a else 1
                vec[i] = scalar[i] and _elementwise(d["op"]) and all(scalar[j] for j in a)
        # Which nodes receive a gradient (the engine visits exactly these): the output and the
        # operands of receiving ops that get a gradient at all (constants only when asked).
        gets = gets_gradient(graph, constant_grads)
        gets_list = [gets[n] for n in self.ids]
        self.no_grad = [i for i in range(n_nodes) if not gets_list[i]]
        active = [False] * n_nodes
        active[self.output] = True
        steps: list[tuple[int, int, int]] = []  # (source, target, arg) in trace order
        incoming: list[list[int]] = [[] for _ in range(n_nodes)]  # trace indices per source
        step_of: dict[tuple[int, int], int] = {}  # (receiving op, operand position) -> trace index
        for i in range(n_nodes - 1, -1, -1):
            if not active[i] or not args[i]:
                continue
            for position, j in enumerate(args[i]):
                if not gets_list[j]:
                    continue
                active[j] = True
                incoming[j].append(len(steps))
                step_of[i, position] = len(steps)
                steps.append((j, i, position))
        self.active = active
        self.steps = steps
        n_levels = max(level) + 1 if n_nodes else 1

        # Slots: scalar nodes get a place in one flat array, level by level, groups contiguous.
        by_level: list[dict[tuple, list[int]]] = [dict() for _ in range(n_levels)]
        singles: list[list[int]] = [[] for _ in range(n_levels)]
        leaves: list[int] = []
        for i, d in enumerate(self.node_dicts):
            if d["kind"] != "op":
                leaves.append(i)
            elif vec[i]:
                key = (d["op"], tuple(sorted(d["params"].items())))
                by_level[level[i]].setdefault(key, []).append(i)
            else:
                singles[level[i]].append(i)
        slot = [-1] * n_nodes
        tslot = [-1] * n_nodes
        n_scalar = 0
        n_tensor = 0

        def place(i: int) -> None:
            nonlocal n_scalar, n_tensor
            if scalar[i]:
                slot[i] = n_scalar
                n_scalar += 1
            else:
                tslot[i] = n_tensor
                n_tensor += 1

        for i in leaves:
            place(i)
        self.levels = [_Level() for _ in range(n_levels)]
        for lv in range(n_levels):
            for (op, _), members in by_level[lv].items():
                start = n_scalar
                for i in members:
                    place(i)
                d = self.node_dicts[members[0]]
                group = _Group(OPS[op], dict(d["params"]), start, n_scalar,
                               [_index_array([slot[args[i][p]] for i in members])
                                for p in range(len(args[members[0]]))])
                group.members = members  # type: ignore[attr-defined]
                self.levels[lv].groups.append(group)
            for i in singles[lv]:
                place(i)
            self.levels[lv].singles = singles[lv]
        self.slot, self.tslot = slot, tslot
        self.n_scalar, self.n_tensor = n_scalar, n_tensor

        # Storage of backward steps: those into scalar sources of a group first, contiguous per
        # (group, operand), so a group writes its contributions with one slice assignment.
        n_steps = len(steps)
        store = [-1] * n_steps
        next_store = 0
        for lv in range(n_levels - 1, 0, -1):
            for group in self.levels[lv].groups:
                members = group.members  # type: ignore[attr-defined]
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
        for k, (s, t, p) in enumerate(steps):
            if not vec[t]:
                self.single_steps.setdefault(t, []).append((p, s, store[k]))

        # Accumulation plans per level (source nodes' contributions in trace order).
        is_first = np.zeros(n_steps, dtype=bool)
        for i in range(n_nodes):
            got = incoming[i]
            if not got or i == self.output:
                continue
            is_first[store[got[0]]] = True
        self.first_steps = np.flatnonzero(is_first)
        for lv in range(n_levels):
            one_slots, one_steps, multi = [], [], []
            for i in self._nodes_at(lv, level, leaves):
                got = incoming[i]
                if not got:
                    continue
                if not scalar[i]:
                    self.levels[lv].tensors.append((i, [store[k] for k in got]))
                elif len(got) == 1:
                    one_slots.append(slot[i])
                    one_steps.append(store[got[0]])
                else:
                    multi.append(i)
            plan = self.levels[lv]
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
        self.n_levels = n_levels
        inputs = [i for i in leaves if self.node_dicts[i]["kind"] == "input"]
        self.scalar_inputs = [(self.node_dicts[i]["name"], slot[i]) for i in inputs if scalar[i]]
        self.input_slots = np.array([s for _, s in self.scalar_inputs], dtype=np.intp)
        self.input_getter = itemgetter(*[name for name, _ in self.scalar_inputs] or [None])
        self.tensor_inputs = [(self.node_dicts[i]["name"], tslot[i]) for i in inputs if not scalar[i]]
        consts = [i for i in leaves if self.node_dicts[i]["kind"] == "constant"]
        self.const_slots = np.array([slot[i] for i in consts if scalar[i]], dtype=np.intp)
        self.const_values = np.array([float(self.node_dicts[i]["const"]) for i in consts if scalar[i]])
        self.tensor_consts = [(tslot[i], _read_only(self.node_dicts[i]["const"])) for i in consts if not scalar[i]]
        # Id-ordered views for write-back.
        self.scalar_ids = np.array([i for i in range(n_nodes) if scalar[i]], dtype=np.intp)
        self.scalar_id_slots = np.array([slot[i] for i in range(n_nodes) if scalar[i]], dtype=np.intp)
        self.all_scalar = len(self.scalar_ids) == n_nodes
        # What the evaluation reads without the id-ordered lists: input gradients, non-finite flags.
        self.input_names = list(graph.graph["inputs"])
        self.input_ids = [index[n] for n in graph.graph["inputs"].values()]
        self.input_id_slots = np.array([slot[i] for i in self.input_ids], dtype=np.intp)
        requires = requires_grad(graph)  # depends on an input
        needs = self.needs = [requires[n] for n in self.ids]
        self.scalar_needs = np.array([needs[i] for i in range(n_nodes) if scalar[i]], dtype=bool)
        self.needs_slots = np.array([slot[i] for i in range(n_nodes) if scalar[i] and needs[i]], dtype=np.intp)
        succ = getattr(graph, "_succ", None) or graph.succ  # the edge data dicts themselves
        ids = self.ids
        self.edge_dicts = [succ[ids[s]][ids[t]][p] for s, t, p in steps]

    def _nodes_at(self, lv: int, level: list[int], leaves: list[int]) -> list[int]:
        if lv == 0:
            return leaves
        plan = self.levels[lv]
        return [i for g in plan.groups for i in g.members] + plan.singles  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ running

    def run(self, values: Mapping[str, Any], write: bool = True) -> "Trace":
        """Forward and backward passes for ``values`` (input name -> value); returns the trace
        and, with ``write``, sets the graph's node and edge attributes as the engine does."""
        result = self.compute(values)
        if write:
            result.write_back()
        return Trace(result)

    def compute(self, values: Mapping[str, Any]) -> "_Result":
        """Forward and backward passes for ``values``, the numbers left in the run's arrays
        (the graph is not touched; ``Trace(result)`` gives the trace)."""
        with np.errstate(all="ignore"):
            state = self._backward(self._forward(values))
        return _Result(self, *state)

    def gradients(self, values: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The output value and d output / d input for every input, leaving the graph alone
        (what a training loop needs from each step)."""
        result = self.compute(values)
        return result.node_value(self.output), result.input_gradients()

    def _operand(self, j: int, v: np.ndarray, tv: list) -> Any:
        return float(v[self.slot[j]]) if self.scalar[j] else tv[self.tslot[j]]

    def _forward(self, values: Mapping[str, Any]) -> tuple:
        v = np.empty(self.n_scalar)
        tv: list[Any] = [None] * self.n_tensor
        if self.scalar_inputs:  # values must have the shapes the graph was built with
            try:
                v[self.input_slots] = np.array(self.input_getter(values), dtype=float).reshape(-1)
            except (TypeError, ValueError):
                raise ValueError("a value compiled as a scalar is now an array; compile the graph again") from None
        v[self.const_slots] = self.const_values
        for name, s in self.tensor_inputs:
            tv[s] = _tidy(values[name])
        for s, value in self.tensor_consts:
            tv[s] = value
        gathered: dict[int, list] = {}
        dicts = self.node_dicts
        for lv in range(1, self.n_levels):
            plan = self.levels[lv]
            for group in plan.groups:
                operands = [v[a] for a in group.args]
                v[group.start:group.stop] = group.spec.forward(*operands, **group.params)
                gathered[id(group)] = operands
            for i in plan.singles:
                d = dicts[i]
                out = _tidy(OPS[d["op"]].forward(*[self._operand(j, v, tv) for j in self.args[i]], **d["params"]))
                if self.scalar[i]:
                    v[self.slot[i]] = out
                else:
                    tv[self.tslot[i]] = out
        return v, tv, gathered

    def _backward(self, state: tuple) -> tuple:
        v, tv, gathered = state
        n_steps = len(self.steps)
        grad = np.zeros(self.n_scalar)
        tgrad: list[Any] = [None] * self.n_tensor
        contrib = np.empty(n_steps)
        local = np.empty(n_steps)
        after = np.empty(n_steps)
        objects: dict[int, tuple] = {}  # storage index -> (local, contribution, grad after) overrides
        out = self.output
        if self.scalar[out]:
            grad[self.slot[out]] = 1.0
        else:
            tgrad[self.tslot[out]] = np.broadcast_to(np.float64(1.0), np.shape(tv[self.tslot[out]]))  # as the engine seeds
        state += (grad, tgrad, contrib, local, after, objects)
        for lv in range(self.n_levels - 1, 0, -1):
            plan = self.levels[lv]
            self._gather_grads(plan, grad, tgrad, contrib, after, objects)
            for group in plan.groups:
                if not group.operands:
                    continue
                operands = gathered[id(group)]
                if group.active is None:
                    g = grad[group.start:group.stop]
                    result = v[group.start:group.stop]
                else:
                    g = grad[group.active_slots]
                    result = v[group.active_slots]
                    operands = [a[group.active] for a in operands]
                spec, params = group.spec, group.params
                for p, first, last, which in group.operands:
                    if which is None:
                        g_p, result_p, operands_p = g, result, operands
                    else:  # only the members whose operand p gets a gradient
                        slots = group.start + which
                        g_p, result_p = grad[slots], v[slots]
                        operands_p = [a[which] for a in gathered[id(group)]]
                    loc = spec.local(p, result_p, *operands_p, **params)
                    if type(loc) is float and loc == 1.0:
                        contrib[first:last] = g_p
                    else:  # straight into the contributions, no temporary
                        np.multiply(g_p, loc, out=contrib[first:last])
                    local[first:last] = loc
            for i in plan.singles:
                if i in self.single_steps:
                    self._single_backward(i, v, tv, grad, tgrad, contrib, local, objects)
        self._gather_grads(self.levels[0], grad, tgrad, contrib, after, objects)
        after[self.first_steps] = contrib[self.first_steps]
        return state

    def _single_backward(self, i: int, v, tv, grad, tgrad, contrib, local, objects) -> None:
        d = self.node_dicts[i]
        spec = OPS[d["op"]]
        params = d["params"]
        operands = [self._operand(j, v, tv) for j in self.args[i]]
        result = self._operand(i, v, tv)
        g = float(grad[self.slot[i]]) if self.scalar[i] else tgrad[self.tslot[i]]
        for p, source, k in self.single_steps[i]:
            loc = _tidy(local_derivative(spec, p, result, operands, params))
            if type(loc) is float and loc == 1.0 and np.shape(g) == np.shape(operands[p]):
                flow = g  # g × 1, already shaped like the operand
            else:
                flow = _tidy(vjp(spec, p, g, result, operands, params, loc))
            if self.scalar[source] and type(loc) is float:
                contrib[k] = flow
                local[k] = loc
            elif self.scalar[source]:
                contrib[k] = flow
                objects[k] = (loc, None, None)
            else:
                objects[k] = (loc, flow, None)

    def _gather_grads(self, plan: _Level, grad, tgrad, contrib, after, objects) -> None:
        """Sum each node's contributions, in trace order, into its gradient."""
        if plan.one_slots is not None:
            grad[plan.one_slots] = contrib[plan.one_steps]
        for now, before, first in plan.ranks:
            after[now] = (contrib if first else after)[before] + contrib[now]
        if plan.multi_slots is not None:
            grad[plan.multi_slots] = after[plan.multi_last]
        for i, stored in plan.tensors:
            total = None
            for k in stored:
                loc, flow, _ = objects[k]
                total = flow if total is None else _tidy(total + flow)
                objects[k] = (loc, flow, total)
            tgrad[self.tslot[i]] = total


class _Result:
    """One run's arrays; the id-ordered and trace-ordered Python lists that the graph
    attributes and the trace hold are made on first use."""

    def __init__(self, schedule: Schedule, v, tv, gathered, grad, tgrad, contrib, local, after, objects):
        self.schedule = schedule
        self._arrays = (v, tv, grad, tgrad, contrib, local, after, objects)
        self._nodes: tuple[list, list] | None = None
        self._edges: tuple[list, list, list] | None = None

    @property
    def values(self) -> list:
        return self._node_lists()[0]

    @property
    def grads(self) -> list:
        return self._node_lists()[1]

    @property
    def locals(self) -> list:
        return self._edge_lists()[0]

    @property
    def contributions(self) -> list:
        return self._edge_lists()[1]

    @property
    def after(self) -> list:
        return self._edge_lists()[2]

    def _node_lists(self) -> tuple[list, list]:
        if self._nodes is None:
            s = self.schedule
            v, tv, grad, tgrad = self._arrays[:4]
            n = len(s.ids)
            if s.all_scalar:
                values = v[s.scalar_id_slots].tolist()
                grads = grad[s.scalar_id_slots].tolist()
            else:
                values, grads = [None] * n, [None] * n
                for i, value, g in zip(s.scalar_ids.tolist(), v[s.scalar_id_slots].tolist(),
                                       grad[s.scalar_id_slots].tolist()):
                    values[i], grads[i] = value, g
                for i in range(n):
                    if not s.scalar[i]:
                        values[i] = tv[s.tslot[i]]
                        g = tgrad[s.tslot[i]]
                        grads[i] = g if g is not None else _tidy(np.zeros(np.shape(values[i])))
            for i in s.no_grad:  # a constant has no gradient (as the engine leaves it)
                grads[i] = None
            self._nodes = (values, grads)
        return self._nodes

    def _edge_lists(self) -> tuple[list, list, list]:
        if self._edges is None:
            s = self.schedule
            contrib, local, after, objects = self._arrays[4:]
            order = s.store_arr
            locals_, contributions, totals = local[order].tolist(), contrib[order].tolist(), after[order].tolist()
            if objects:
                position = {k: t for t, k in enumerate(s.store)}
                for k, (loc, flow, total) in objects.items():
                    t = position[k]
                    locals_[t] = loc
                    if flow is not None:
                        contributions[t] = flow
                        totals[t] = total
            self._edges = (locals_, contributions, totals)
        return self._edges

    def node_value(self, i: int) -> Any:
        """Node ``i``'s value (a float or an array) without building the id-ordered lists."""
        s = self.schedule
        return float(self._arrays[0][s.slot[i]]) if s.scalar[i] else self._arrays[1][s.tslot[i]]

    def input_gradients(self) -> dict[str, Any]:
        """d output / d input by input name, in the graph's input order."""
        s = self.schedule
        if s.all_scalar:
            return dict(zip(s.input_names, self._arrays[2][s.input_id_slots].tolist()))
        grads = self.grads
        return {name: grads[i] for name, i in zip(s.input_names, s.input_ids)}

    def nonfinite(self) -> list[str]:
        """Ids of nodes whose value, or gradient where an input reaches it, holds nan or inf
        (what :func:`engine.mark_nonfinite` flags)."""
        s = self.schedule
        v, tv, grad, tgrad = self._arrays[:4]
        with np.errstate(all="ignore"):
            if np.isfinite(v.sum()) and np.isfinite(grad[s.needs_slots].sum()) and s.all_scalar:
                return []
        bad = set()
        if len(s.scalar_ids):
            values, grads = v[s.scalar_id_slots], grad[s.scalar_id_slots]
            mask = ~np.isfinite(values) | (~np.isfinite(grads) & s.scalar_needs)
            bad.update(s.scalar_ids[mask].tolist())
        if not s.all_scalar:
            values, grads = self.values, self.grads
            for i in range(len(s.ids)):
                if not s.scalar[i]:
                    g = grads[i] if s.needs[i] else None
                    if not (_finite(values[i]) and _finite(g)):
                        bad.add(i)
        return [s.ids[i] for i in sorted(bad)]

    def write_back(self, graph: nx.MultiDiGraph | None = None, nonfinite: list[str] | None = None) -> None:
        """Node ``value``/``grad`` and edge ``local``/``contribution``, as the engine sets them,
        on the compiled graph or on a copy of it (same ids and edge keys); with ``nonfinite``,
        also each node's ``nonfinite`` flag, as :func:`engine.mark_nonfinite` sets it."""
        s = self.schedule
        if graph is None:
            node_dicts, edge_dicts = s.node_dicts, s.edge_dicts
        else:
            node_dicts = [graph._node[n] for n in s.ids]
            succ, ids = graph._succ, s.ids
            edge_dicts = [succ[ids[a]][ids[b]][p] for a, b, p in s.steps]
        for d, value, grad in zip(node_dicts, self.values, self.grads):
            d["value"] = value
            d["grad"] = grad
        for d, local, contribution in zip(edge_dicts, self.locals, self.contributions):
            d["local"] = local
            d["contribution"] = contribution
        if nonfinite is not None:
            flagged = set(nonfinite)
            for n, d in zip(s.ids, node_dicts):
                d["nonfinite"] = n in flagged


class Trace(Sequence):
    """The trace of a compiled run: a read-only sequence of :class:`~engine.TraceStep` built on
    access (``trace[k]``, ``trace[:k]``, ``len``, iteration), equal step for step to the
    engine's list."""

    def __init__(self, result: _Result):
        self._r = result
        s = result.schedule
        self._n = len(s.ids)
        self._len = self._n + 1 + len(s.steps)

    def __len__(self) -> int:
        return self._len

    def _step(self, k: int) -> TraceStep:
        r, s, n = self._r, self._r.schedule, self._n
        if k < n:
            return TraceStep(k + 1, "forward", s.ids[k], value=r.values[k])
        if k == n:
            seed = r.grads[s.output]
            return TraceStep(k + 1, "backward", s.ids[s.output], contribution=seed, grad_after=seed)
        t = k - n - 1
        source, target, position = s.steps[t]
        node = s.ids[target]
        return TraceStep(k + 1, "backward", node, (s.ids[source], node, position), upstream=r.grads[target],
                         local=r.locals[t], contribution=r.contributions[t], grad_after=r.after[t])

    def __getitem__(self, k):  # type: ignore[override]
        if isinstance(k, slice):
            return [self._step(i) for i in range(*k.indices(self._len))]
        k = int(k)
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError("trace index out of range")
        return self._step(k)

    def __iter__(self):
        return (self._step(k) for k in range(self._len))

    def __add__(self, other):
        return list(self) + list(other)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, Trace)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self) -> str:
        return f"<Trace of {self._len} steps>"


def compile_schedule(graph: nx.MultiDiGraph, constant_grads: bool = False) -> Schedule:
    """Compile a built graph (:func:`graph.build_graph`) once; ``run`` it for any values of
    the same shapes (``constant_grads``: as :func:`engine.backward` takes it)."""
    return Schedule(graph, constant_grads)


def compiled_evaluate(graph: nx.MultiDiGraph, values: Mapping[str, Any], *,
                      constant_grads: bool = False) -> Sequence[TraceStep]:
    """Drop-in for ``engine.forward(graph, values) + engine.backward(graph, ...)``: sets the
    same attributes and returns an equal trace (a lazy :class:`Trace`)."""
    return compile_schedule(graph, constant_grads).run(values)
