"""Finite-difference check of backprop, bounded in work.

Each checked entry costs two forward passes of the whole graph, so a full check of a
10,000-entry input is 20,000 passes. The check spends at most :data:`CHECK_WORK` entry
evaluations (a forward pass costs the number of entries over all nodes, plus a little per
node): inputs that fit are checked entry by entry; a larger input gets an evenly spread sample
of its entries, and :class:`CheckEntry` says which were checked. Inputs past the budget are
left out of the report (callers say "not checked").

>>> import graphviz_nn as gnn
>>> res = gnn.evaluate("sum(x^2)", {"x": [i / 1000 for i in range(1000)]})
>>> entry = gradient_check(res.graph, res.values, work=200_000)["x"]
>>> entry.checked is not None, len(entry.checked) < 1000, entry[2] < 1e-6
(True, True, True)
"""

from __future__ import annotations

from typing import Any, Mapping

import networkx as nx
import numpy as np

from .engine import tidy, forward_output

__all__ = ["CheckEntry", "gradient_check", "CHECK_WORK", "forward_cost"]

CHECK_WORK = 20_000_000
"""Entry evaluations one gradient check may spend (about a second of NumPy work)."""
_NODE_COST = 64  # a node's Python overhead, counted in entries


class CheckEntry(tuple):
    """``(backprop, numeric, max relative error)`` of one input, unpacking like a 3-tuple.

    ``checked`` is ``None`` when every entry was checked; otherwise the flat indices of the
    sampled entries, and ``backprop`` / ``numeric`` hold those entries only (1-D). ``size`` is
    the input's number of entries.
    """

    checked: tuple[int, ...] | None
    size: int

    def __new__(cls, backprop: Any, numeric: Any, error: float, checked: tuple[int, ...] | None = None,
                size: int = 1) -> "CheckEntry":
        entry = super().__new__(cls, (backprop, numeric, error))
        entry.checked = checked
        entry.size = size
        return entry


def forward_cost(graph: nx.MultiDiGraph) -> int:
    """Entries one forward pass computes (plus a per-node overhead), the unit of :data:`CHECK_WORK`."""
    return sum(int(np.size(d.get("value", 0))) + _NODE_COST for _, d in graph.nodes(data=True))


def _sample(size: int, count: int) -> np.ndarray:
    """``count`` flat indices spread evenly over ``size`` entries, first and last included."""
    if count >= size:
        return np.arange(size)
    return np.unique(np.linspace(0, size - 1, max(count, 1)).round().astype(int))


def gradient_check(graph: nx.MultiDiGraph, values: Mapping[str, Any], eps: float = 1e-6,
                   max_entries: int = 10_000, work: int | None = None) -> dict[str, CheckEntry]:
    """Central differences of the summed output against backprop, for every input.

    Returns ``name -> CheckEntry(backprop, numeric, max relative error)``. An input with more
    than ``max_entries`` entries, or more than its share of ``work`` (default
    :data:`CHECK_WORK`), is checked at a sample of its entries; once the work is spent the
    remaining inputs are left out.
    """
    budget = CHECK_WORK if work is None else int(work)
    per_pass = max(1, forward_cost(graph))
    report: dict[str, CheckEntry] = {}
    base = {k: (np.array(v, dtype=float) if np.ndim(v) else float(v)) for k, v in values.items()}
    inputs = list(graph.graph["inputs"].items())
    for position, (name, node) in enumerate(inputs):
        entries_left = budget // (2 * per_pass)
        if entries_left < 1:
            break
        share = max(1, entries_left // (len(inputs) - position))
        value = np.array(base[name], dtype=float)
        analytic = np.asarray(graph.nodes[node]["grad"], dtype=float).reshape(-1)
        indices = _sample(value.size, min(share, max_entries))
        numeric = np.empty(len(indices))
        for i, j in enumerate(indices):
            h = eps * max(1.0, abs(value.reshape(-1)[j]))
            plus, minus = value.copy(), value.copy()
            plus.reshape(-1)[j] += h
            minus.reshape(-1)[j] -= h
            f_plus = np.sum(forward_output(graph, {**base, name: tidy(plus)}))
            f_minus = np.sum(forward_output(graph, {**base, name: tidy(minus)}))
            numeric[i] = (f_plus - f_minus) / (2 * h)
        budget -= 2 * per_pass * len(indices)
        picked = analytic[indices]
        diff = np.abs(picked - numeric)
        scale = np.maximum(np.maximum(np.abs(picked), np.abs(numeric)), 1e-8)
        error = float(np.max(diff / scale)) if diff.size else 0.0
        if len(indices) == value.size:
            shaped = tidy(numeric.reshape(value.shape))
            report[name] = CheckEntry(graph.nodes[node]["grad"], shaped, error, None, value.size)
        else:
            report[name] = CheckEntry(picked, numeric, error, tuple(int(j) for j in indices), value.size)
    return report
