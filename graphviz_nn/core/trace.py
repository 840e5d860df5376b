"""One run of the compiled schedule: its arrays (:class:`Result`) and its trace (:class:`Trace`).

The run leaves every number in flat arrays (scalar nodes' values and gradients by slot, each
scalar backward step's local derivative, contribution and running sum by storage index); the
steps whose numbers are arrays are made again from the values and gradients when the trace or
the graph's edge attributes are first read (:func:`~graphviz_nn.core.run.tensor_steps`), so a
run over arrays keeps no array per edge. The
id-ordered and trace-ordered lists that the graph's attributes and the trace's steps hold are
made from them on first use, and a :class:`Trace` builds each step when it is read.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Callable

import networkx as nx
import numpy as np

from .engine import TraceStep, all_finite, tidy
from . import run

__all__ = ["Result", "Trace"]


class Result:
    """One run's arrays; the id-ordered and trace-ordered Python lists that the graph
    attributes and the trace hold are made on first use.

    A run block by block (:mod:`graphviz_nn.core.blocks`) keeps only the output's value and the
    inputs' gradients; ``complete`` then runs the level schedule for every other array, which
    :meth:`complete` does when something first reads one (the trace, the graph, the check for
    nan and inf), keeping the arrays already returned."""

    def __init__(self, schedule: Any, v, tv, gathered, grad, tgrad, contrib, local, after, objects, lazy,
                 complete: Callable[[], tuple] | None = None):
        self.schedule = schedule
        self._arrays = (v, tv, grad, tgrad, contrib, local, after)
        self._state = (v, tv, gathered, grad, tgrad, contrib, local, after, objects, lazy) if lazy else None
        self._nodes: tuple[list, list] | None = None
        self._edges: tuple[list, list, list] | None = None
        self._nonfinite: list[str] | None = None
        self._complete = complete
        self._lock = threading.Lock() if complete is not None else None

    def complete(self) -> None:
        """Every value and gradient, when the run kept only some (see the class): the level
        schedule's run, with the output's value and the inputs' gradients replaced by the
        arrays this result returned already (equal, bit for bit), wherever they appear."""
        if self._complete is None:
            return
        with self._lock:
            if self._complete is None:
                return
            v, tv, gathered, grad, tgrad, contrib, local, after, objects, lazy = self._complete()
            kept_values, kept_grads = self._arrays[1], self._arrays[3]
            for slot, kept in enumerate(kept_values):
                if kept is not None:
                    tv[slot] = kept
            for slot, kept in enumerate(kept_grads):
                if kept is not None:
                    made = tgrad[slot]
                    tgrad[:] = [kept if g is made else g for g in tgrad]
            self._arrays = (v, tv, grad, tgrad, contrib, local, after)
            self._state = (v, tv, gathered, grad, tgrad, contrib, local, after, objects, lazy) if lazy else None
            self._complete = None

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
            self.complete()
            s = self.schedule
            v, tv, grad, tgrad = self._arrays[:4]
            n = s.n_nodes
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
                        grads[i] = g if g is not None else tidy(np.zeros(np.shape(values[i])))
            for i in s.no_grad:  # a constant has no gradient (as the engine leaves it)
                grads[i] = None
            self._nodes = (values, grads)
        return self._nodes

    def _edge_lists(self) -> tuple[list, list, list]:
        if self._edges is None:
            self.complete()
            s = self.schedule
            contrib, local, after = self._arrays[4:]
            objects = run.tensor_steps(s, self._state) if self._state is not None else {}
            self._state = None
            order = s.store_arr
            locals_, contributions, totals = local[order].tolist(), contrib[order].tolist(), after[order].tolist()
            if objects:
                position = {k: t for t, k in enumerate(s.store_arr.tolist())}
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
        if s.scalar[i]:
            return float(self._arrays[0][s.slot[i]])
        if self._complete is not None and self._arrays[1][s.tslot[i]] is None:
            self.complete()
        return self._arrays[1][s.tslot[i]]

    def input_gradients(self) -> dict[str, Any]:
        """d output / d input by input name, in the graph's input order."""
        s = self.schedule
        if s.all_scalar:
            return dict(zip(s.input_names, self._arrays[2][s.input_id_slots].tolist()))
        if self._complete is not None:  # a run block by block: every input an array of the output's shape
            tgrad = self._arrays[3]
            return {name: _or_zeros(tgrad[s.tslot[i]], s.nodes.shape[i]) for name, i in zip(s.input_names, s.input_ids)}
        grads = self.grads
        return {name: grads[i] for name, i in zip(s.input_names, s.input_ids)}

    def nonfinite(self) -> list[str]:
        """Ids of nodes whose value, or gradient where an input reaches it, holds nan or inf
        (what :func:`engine.mark_nonfinite` flags; checked once)."""
        if self._nonfinite is None:
            self._nonfinite = self._check_finite()
        return list(self._nonfinite)

    def _check_finite(self) -> list[str]:
        self.complete()
        s = self.schedule
        v, tv, grad, tgrad = self._arrays[:4]
        with np.errstate(all="ignore"):  # a sum is finite only when every term is
            grads = grad if s.all_need else grad[s.needs_slots]
            if s.all_scalar and np.isfinite(np.add.reduce(v) + np.add.reduce(grads)):
                return []
        bad = set()
        if len(s.scalar_ids):
            values, grads = v[s.scalar_id_slots], grad[s.scalar_id_slots]
            mask = ~np.isfinite(values) | (~np.isfinite(grads) & s.scalar_needs)
            bad.update(s.scalar_ids[mask].tolist())
        if not s.all_scalar:
            values, grads = self.values, self.grads
            for i in range(s.n_nodes):
                if not s.scalar[i]:
                    g = grads[i] if s.needs[i] else None
                    if not (all_finite(values[i]) and all_finite(g)):
                        bad.add(i)
        return [s.ids[i] for i in sorted(bad)]

    def write_back(self, graph: nx.MultiDiGraph | None = None, nonfinite: list[str] | None = None) -> None:
        """Node ``value``/``grad`` and edge ``local``/``contribution``, as the engine sets them,
        on the compiled graph or on a copy of it (same ids and edge keys); with ``nonfinite``,
        also each node's ``nonfinite`` flag, as :func:`engine.mark_nonfinite` sets it."""
        s = self.schedule
        if graph is None:
            graph = s.graph
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


def _or_zeros(grad: Any, shape: tuple) -> Any:
    """A gradient, or zeros for a node no gradient reaches (as :meth:`Result.grads` gives it)."""
    return grad if grad is not None else tidy(np.zeros(shape))


class Trace(Sequence):
    """The trace of a compiled run: a read-only sequence of :class:`~engine.TraceStep` built on
    access (``trace[k]``, ``trace[:k]``, ``len``, iteration), equal step for step to the
    engine's list."""

    def __init__(self, result: Result):
        self._r = result
        s = result.schedule
        self._n = s.n_nodes
        self._len = self._n + 1 + len(s.step_src)

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
