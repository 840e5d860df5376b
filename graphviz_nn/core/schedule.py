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

A sum written out term by term (``b + w1*x1 + w2*x2 + …``) is a chain of additions, one
level each; the compiler fuses such chains (:mod:`graphviz_nn.core.chains`): one cumulative
sum down a matrix of operands computes every partial sum, and every backward step of a chain
carries its upstream gradient (each addition's local derivative is 1).

Gradients must also be summed in the reference order (floating-point addition is not
associative): a node's contributions are added one by one in trace order,
``grad_after[k] = grad_after[k-1] + contribution[k]``, as one cumulative sum down the columns
of a matrix (a column per node) for all nodes of a level.

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
from itertools import chain
from operator import itemgetter
from typing import Any, Mapping

import networkx as nx
import numpy as np

from .engine import TraceStep
from .nodes import Nodes
from .chains import chain_storage, find_chains, sums
from .plan import ELEMENTWISE, EMPTY_LEVEL, Chain, Group, Level, elementwise, index_array, read_only, runs
from . import blocks, run
from .trace import Result, Trace
from ..ops import OPS

_ELEMENTWISE = ELEMENTWISE  # which ops a group may run in one call, by op name (a bounded table)
__all__ = ["Schedule", "Trace", "Result", "compile_schedule", "compiled_evaluate"]

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
        self.n_nodes = len(nodes)
        self.args = nodes.args
        self.scalar = [shape == () for shape in nodes.shape]
        self.output = nodes.output
        level, vec = self._levels()
        self._gradient_flow(level, constant_grads)
        leaves = self._slots(level, vec)
        self._storage(vec)
        self._accumulation()
        self._leaves(leaves)
        self._views()
        self.run_levels = [lv for lv in range(1, self.n_levels) if self.levels[lv] is not EMPTY_LEVEL]
        self.slot = self.slot_arr  # one array instead of a list of ints (read one node at a time)
        self.step_src, self.step_tgt, self.step_pos = (a.astype(np.int32) for a in (self.step_src, self.step_tgt,
                                                                                     self.step_pos))
        self.blocks = blocks.blocks_for(self)  # a batch of points run block by block, when the program allows

    # ------------------------------------------------------------------ compiling

    def _levels(self) -> tuple[list[int], list[bool]]:
        """Each node's level (from the table) and whether it may join a group: a scalar
        elementwise op over scalar operands."""
        nodes = self.nodes
        level, self.needs = nodes.level.tolist(), nodes.needs
        vec = [kind == "op" and plain and shape == () and elementwise(op)
               for kind, op, shape, plain in zip(nodes.kind, nodes.op, nodes.shape, nodes.plain)]
        self.adds = np.fromiter((v and op == "add" for v, op in zip(vec, nodes.op)), dtype=bool, count=len(vec))
        self.n_levels = max(level) + 1 if level else 1
        self.level = nodes.level
        return level, vec

    def _gradient_flow(self, level: list[int], constant_grads: bool) -> None:
        """Which nodes receive a gradient (the engine visits exactly these: the output and the
        operands of receiving ops that get a gradient at all, constants only when asked) and
        the backward steps in trace order (ops from the last, operands in order), as arrays
        ``step_src``, ``step_tgt``, ``step_pos``. Whole levels at a time, from the top: every
        consumer of a node is on a higher level."""
        n_nodes, args = self.n_nodes, self.args
        gets = np.ones(n_nodes, dtype=bool) if constant_grads else np.array(self.needs, dtype=bool)
        gets[self.output] = True
        self.gets = gets
        self.no_grad = np.flatnonzero(~gets).tolist()
        counts = np.fromiter(map(len, reversed(args)), dtype=np.intp, count=n_nodes)
        src = np.fromiter(chain.from_iterable(reversed(args)), dtype=np.intp, count=int(counts.sum()))
        tgt = np.repeat(np.arange(n_nodes - 1, -1, -1, dtype=np.intp), counts)
        pos = np.arange(len(src), dtype=np.intp) - np.repeat(np.cumsum(counts) - counts, counts)
        active = np.zeros(n_nodes, dtype=bool)
        active[self.output] = True
        level_arr = self.level
        by_level = np.argsort(level_arr[tgt], kind="stable")
        bounds = np.cumsum(np.bincount(level_arr[tgt], minlength=self.n_levels))
        for lv in range(self.n_levels - 1, 0, -1):
            edges = by_level[bounds[lv - 1]:bounds[lv]]
            s, t = src[edges], tgt[edges]
            active[s[active[t] & gets[s]]] = True
        flow = active[tgt] & gets[src]
        self.active = active
        self.edges = (src, tgt, pos)  # every edge, for finding chains of additions
        self.step_src, self.step_tgt, self.step_pos = src[flow], tgt[flow], pos[flow]
        self._steps: list[tuple[int, int, int]] | None = None

    @property
    def ids(self) -> list[str]:
        """Node ids (``n0, n1, …``, or the compiled graph's), made on first read."""
        return self.nodes.ids

    @property
    def steps(self) -> list[tuple[int, int, int]]:
        """The backward steps in trace order: (source, target, operand position)."""
        if self._steps is None:
            self._steps = list(zip(self.step_src.tolist(), self.step_tgt.tolist(), self.step_pos.tolist()))
        return self._steps

    def _slots(self, level: list[int], vec: list[bool]) -> list[int]:
        """A place for every node: scalar nodes in one flat array, leaves first, then level by
        level with each group contiguous; tensors in a list. Returns the leaves."""
        n_levels, scalar, args = self.n_levels, self.scalar, self.args
        kinds, ops, params = self.nodes.kind, self.nodes.op, self.nodes.params
        grouped: dict[tuple, list[int]] = {}  # (level, op, params) -> members
        singles: dict[int, list[int]] = {}
        leaves: list[int] = []
        chains: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}  # level -> (members, operands)
        chained = np.zeros(len(kinds), dtype=bool)
        for lv, members, operands in find_chains(self.adds, *self.edges, self.gets, self.output, self.level):
            chains.setdefault(lv, []).append((members, operands))
            chained[members] = True
        del self.edges
        in_chain = chained.tolist()
        for i, kind in enumerate(kinds):
            if kind != "op":
                leaves.append(i)
            elif in_chain[i]:
                continue
            elif vec[i]:
                key = (level[i], ops[i], tuple(sorted(params[i].items()))) if params[i] else (level[i], ops[i], ())
                grouped.setdefault(key, []).append(i)
            else:
                singles.setdefault(level[i], []).append(i)
        n_nodes = len(kinds)
        slot = [-1] * n_nodes
        tslot = [-1] * n_nodes
        counts = [0, 0]  # scalar slots, tensor slots

        def place(members: list[int], all_scalar: bool = False) -> None:
            if all_scalar:  # a group or a chain: scalars only, in a row
                first = counts[0]
                for k, i in enumerate(members, first):
                    slot[i] = k
                counts[0] = first + len(members)
                return
            for i in members:
                if scalar[i]:
                    slot[i] = counts[0]
                    counts[0] += 1
                else:
                    tslot[i] = counts[1]
                    counts[1] += 1

        place(leaves)
        by_level = sorted(grouped.items(), key=lambda item: item[0][0])  # stable: first use within a level
        at = 0
        self.levels = [EMPTY_LEVEL] * n_levels
        self.chains: list[tuple[Chain, np.ndarray]] = []
        for lv in range(1, n_levels):
            here: list[Group] = []
            while at < len(by_level) and by_level[at][0][0] == lv:
                (_, op, _), members = by_level[at]
                at += 1
                start = counts[0]
                place(members, True)
                here.append(Group(OPS[op], dict(params[members[0]]), start, counts[0],
                                   [index_array([slot[args[i][p]] for i in members])
                                    for p in range(len(args[members[0]]))], members))
            fused = []
            for members, operands in chains.get(lv, ()):
                start = counts[0]
                place(members.ravel().tolist(), True)
                fused.append(Chain(operands, start, counts[0], members.shape[1]))
                self.chains.append((fused[-1], members))
            alone = singles.get(lv, ())
            place(alone)
            if here or alone or fused:
                self.levels[lv] = Level(tuple(here), tuple(alone), tuple(fused))
        self.slot, self.tslot = slot, tslot
        self.slot_arr = np.array(slot, dtype=np.intp)
        for chain, _ in self.chains:  # the summed nodes' slots, now that every node has one
            chain.index = self.slot_arr[chain.index]
        self.n_scalar, self.n_tensor = counts
        return leaves

    def _storage(self, vec: list[bool]) -> None:
        """Where each backward step's numbers are stored: steps into the operands of a group
        first, contiguous per (group, operand), so a group writes its contributions with one
        slice assignment; then the rest in trace order."""
        n_steps = len(self.step_src)
        first_step = np.full(self.n_nodes, -1, dtype=np.intp)  # per op: trace index of its first step
        targets, firsts = np.unique(self.step_tgt, return_index=True)
        first_step[targets] = firsts
        store = np.full(n_steps, -1, dtype=np.intp)
        next_store = 0
        active, slot_arr, args = self.active, self.slot_arr, self.args
        for lv in range(self.n_levels - 1, 0, -1):
            for group in self.levels[lv].groups:
                members = np.array(group.members, dtype=np.intp)
                group.members = None
                live = active[members]
                n_live = int(live.sum())
                if not n_live:
                    continue
                if n_live != len(members):
                    group.active = np.flatnonzero(live)
                    group.active_slots = index_array(slot_arr[members[live]].tolist())
                operand = np.array([args[i] for i in members.tolist()], dtype=np.intp).reshape(len(members), -1)
                flows = live[:, None] & self.gets[operand]
                before = np.cumsum(flows, axis=1) - flows  # flowing operands ahead of each one
                operands = []
                for p in range(operand.shape[1]):
                    which = np.flatnonzero(flows[:, p])
                    if not len(which):
                        continue
                    first = next_store
                    next_store += len(which)
                    store[first_step[members[which]] + before[which, p]] = np.arange(first, next_store)
                    operands.append((p, first, next_store, None if len(which) == n_live else which))
                group.operands = tuple(operands)
        next_store, self.inner = chain_storage(self.chains, self.n_nodes, self.step_tgt, self.step_pos, store,
                                               next_store)
        self.chains = []
        rest = np.flatnonzero(store < 0)
        store[rest] = np.arange(next_store, next_store + len(rest))
        self.store_arr = store
        self.single_steps: dict[int, list[tuple[int, int, int]]] = {}
        vec_arr = np.array(vec, dtype=bool)
        for k in np.flatnonzero(~vec_arr[self.step_tgt]).tolist():
            self.single_steps.setdefault(int(self.step_tgt[k]), []).append(
                (int(self.step_pos[k]), int(self.step_src[k]), int(store[k])))
        scalar = self.scalar
        # whether a step may hold an array, which a run does not keep (run.tensor_steps makes it again)
        self.array_steps = any(not scalar[i] or not all(scalar[j] for j in self.args[i]) for i in self.single_steps)

    def _accumulation(self) -> None:
        """Per level, how its nodes' contributions are summed in trace order: nodes with one
        contribution copy it; the others add rank by rank; tensors one by one. Worked out for
        all nodes at once, then cut by level (only levels with something to sum get a plan)."""
        src, store = self.step_src, self.store_arr
        counts = np.bincount(src, minlength=self.n_nodes)
        order = np.argsort(src, kind="stable")  # each node's contributions together, in trace order
        starts = np.cumsum(counts) - counts
        has = counts > 0
        has[self.output] = False
        self.first_steps = np.sort(store[order[starts[has]]])
        scalar = np.array(self.scalar, dtype=bool)
        slot, level = self.slot_arr, self.level
        receiving = np.flatnonzero(counts > 0)
        if self.inner is not None:  # their chain sets them
            receiving = receiving[~self.inner[receiving]]
            self.inner = None
        receiving = receiving[np.argsort(level[receiving], kind="stable")]  # by level, then id
        for i in receiving[~scalar[receiving]].tolist():
            plan = self._plan(int(level[i]))
            plan.tensors += ((i, store[order[starts[i]:starts[i] + counts[i]]].tolist()),)
        one = receiving[scalar[receiving] & (counts[receiving] == 1)]
        one_steps = store[order[starts[one]]]
        for lv, first, last in runs(level[one]):
            plan = self._plan(lv)
            plan.one_slots = index_array(slot[one[first:last]].tolist())
            plan.one_steps = index_array(one_steps[first:last].tolist())
        multi_all = receiving[scalar[receiving] & (counts[receiving] >= 2)]
        stored = store[order]
        for lv, first, last in runs(level[multi_all]):
            self._plan(lv).sums = sums(multi_all[first:last], counts, starts, stored, slot, len(store))

    def _plan(self, lv: int) -> Level:
        """Level ``lv``'s own plan (a level sharing the empty one gets a new one)."""
        if self.levels[lv] is EMPTY_LEVEL:
            self.levels[lv] = Level()
        return self.levels[lv]

    def _leaves(self, leaves: list[int]) -> None:
        """Where the inputs' values go (one gather for the scalars) and the constants' values."""
        nodes, scalar, slot, tslot = self.nodes, self.scalar, self.slot, self.tslot
        inputs = [i for i in leaves if nodes.kind[i] == "input"]
        scalar_inputs = [i for i in inputs if scalar[i]]
        names = [nodes.names[i] for i in scalar_inputs]
        slots = [slot[i] for i in scalar_inputs]
        self.scalar_inputs = bool(scalar_inputs)
        self.input_slots = np.array(slots, dtype=np.intp)
        self.input_getter = itemgetter(*names or [None])
        self.input_slot = dict(zip(names, slots))
        self.n_leaf_slots = sum(scalar[i] for i in leaves)  # the scalar leaves come first
        self.tensor_inputs = [(nodes.names[i], tslot[i]) for i in inputs if not scalar[i]]
        consts = [i for i in leaves if nodes.kind[i] == "constant"]
        self.const_slots = np.array([slot[i] for i in consts if scalar[i]], dtype=np.intp)
        self.const_values = np.array([float(nodes.const[i]) for i in consts if scalar[i]])
        self.tensor_consts = [(tslot[i], read_only(nodes.const[i])) for i in consts if not scalar[i]]

    def _views(self) -> None:
        """Id-ordered views of the slots (for the graph's attributes) and what an evaluation
        reads without them: the inputs' gradients and the non-finite check."""
        scalar = np.array(self.scalar, dtype=bool)
        needs = np.array(self.needs, dtype=bool)
        self.scalar_ids = np.flatnonzero(scalar)
        self.scalar_id_slots = self.slot_arr[self.scalar_ids]
        self.all_scalar = len(self.scalar_ids) == self.n_nodes
        self.input_names = list(self.nodes.inputs)
        self.input_ids = list(self.nodes.inputs.values())
        self.input_id_slots = self.slot_arr[np.array(self.input_ids, dtype=np.intp)]
        self.scalar_needs = needs[self.scalar_ids]
        self.needs_slots = self.scalar_id_slots[self.scalar_needs]
        self.all_need = len(self.needs_slots) == self.n_scalar

    # ------------------------------------------------------------------ running

    def run(self, values: Mapping[str, Any], write: bool = True) -> Trace:
        """Forward and backward passes for ``values`` (input name -> value); returns the trace
        and, with ``write``, sets the compiled graph's node and edge attributes as the engine
        does (a schedule compiled from a graph only)."""
        result = self.compute(values)
        if write:
            result.write_back()
        return Trace(result)

    def compute(self, values: Mapping[str, Any], leaves: np.ndarray | None = None) -> Result:
        """Forward and backward passes for ``values`` (a batch of points block by block, when
        it may: :mod:`.blocks`), the numbers left in the run's arrays (no graph is touched;
        ``Trace(result)`` gives the trace). ``leaves``: the scalar leaves' values if made."""
        leaves = self.leaf_values(values) if leaves is None else leaves
        if self.blocks is not None and self.blocks.size > blocks.BLOCK:  # two blocks or more
            return self.blocks.result(self, values, leaves)
        with np.errstate(all="ignore"):
            state = run.backward(self, run.forward(self, values, leaves))
        return Result(self, *state)

    def leaf_values(self, values: Mapping[str, Any]) -> np.ndarray:
        """The values of the scalar inputs and constants, in slot order (the first slots)."""
        leaves = np.empty(self.n_leaf_slots)
        if self.scalar_inputs:  # values must have the shapes the graph was built with
            try:
                leaves[self.input_slots] = np.array(self.input_getter(values), dtype=float).reshape(-1)
            except (TypeError, ValueError):
                raise ValueError("a value compiled as a scalar is now an array; compile the graph again") from None
        leaves[self.const_slots] = self.const_values
        return leaves

    def gradients(self, values: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The output value and d output / d input for every input, leaving the graph alone
        (what a training loop needs from each step)."""
        result = self.compute(values)
        return result.node_value(self.output), result.input_gradients()


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
