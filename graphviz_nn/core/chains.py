"""Where a compiled schedule sums many terms at once: chains of scalar additions and nodes with
many gradient contributions, found for whole graphs with numpy (no Python work per node).

A sum of n terms written out, ``b + w1*x1 + w2*x2 + …``, is n - 1 addition nodes, each one
level above the last, so a level schedule would run it one level and a few numpy calls per
term. :func:`find_chains` finds such chains (an addition whose only use is as the left operand
of the next addition), so that one cumulative sum computes all their partial sums;
:func:`sums` plans the cumulative sums that add each node's gradient contributions in trace
order. Both add in the same order as the per-node engine, so every number stays the same.

>>> adds = np.array([False, False, False, True, True, False, True])
>>> # n3 = n0 + n1, n4 = n3 + n2, n6 = n4 + n5: one chain of three additions
>>> src, tgt, pos = np.array([0, 1, 3, 2, 4, 5]), np.array([3, 3, 4, 4, 6, 6]), np.array([0, 1, 0, 1, 0, 1])
>>> [(lv, m.tolist(), o.tolist()) for lv, m, o in find_chains(adds, src, tgt, pos, np.ones(7, bool), 6,
...                                                            np.array([0, 0, 0, 1, 2, 0, 3]))]
[(3, [[3], [4], [6]], [[0], [1], [2], [5]])]
"""

from __future__ import annotations

import numpy as np

from .plan import Chain, Sums, index_array, runs

__all__ = ["find_chains", "chain_storage", "sums"]


def find_chains(adds: np.ndarray, src: np.ndarray, tgt: np.ndarray, pos: np.ndarray, gets: np.ndarray,
                output: int, level: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Chains of at least two scalar additions (``adds``: which nodes may join one) given every
    edge (``src`` -> ``tgt`` at operand ``pos``): each addition but the last is used once, as
    the left operand of the next, is not the output and receives a gradient (``gets``).
    Returns (level of the chain's last addition, members, operands) per set of chains with the
    same level and length K, by level: ``members`` (K, m) node indices rank by rank, ``operands``
    (K + 1, m) the summed nodes (the first addition's left operand, then each right operand)."""
    n = len(adds)
    if not adds.any():
        return []
    uses = np.bincount(src, minlength=n)
    once = uses[src] == 1
    consumer = np.zeros(n, dtype=np.intp)
    consumer[src[once]] = tgt[once]
    left = np.zeros(n, dtype=bool)
    left[src[once]] = pos[once] == 0
    link = adds & gets & left
    link[output] = False
    link &= adds[consumer]
    links = np.flatnonzero(link)
    if not len(links):
        return []
    last = np.arange(n)
    last[links] = consumer[links]
    while True:  # follow each link to the end of its chain, doubling the stride each round
        further = last[last]
        if np.array_equal(further, last):
            break
        last = further
    members = np.concatenate([links, np.unique(last[links])])
    members = members[np.lexsort((members, last[members]))]  # chain by chain, each in order
    bounds = runs(last[members])
    starts = np.array([first for _, first, _ in bounds], dtype=np.intp)
    lengths = np.array([end - first for _, first, end in bounds], dtype=np.intp)
    ends = members[starts + lengths - 1]
    order = np.lexsort((ends, lengths, level[ends]))
    operand = np.zeros((2, n), dtype=np.intp)  # the additions' left and right operands
    two = adds[tgt]
    operand[pos[two], tgt[two]] = src[two]
    found = []
    for (lv, k), first, end in runs_of_pairs(level[ends[order]], lengths[order]):
        chosen = starts[order[first:end]]
        matrix = members[chosen[None, :] + np.arange(k)[:, None]]
        found.append((lv, matrix, np.concatenate([operand[0][matrix[:1]], operand[1][matrix]])))
    return found


def chain_storage(chains: list[tuple[Chain, np.ndarray]], n_nodes: int, step_tgt: np.ndarray,
                  step_pos: np.ndarray, store: np.ndarray, next_store: int) -> tuple[int, np.ndarray | None]:
    """Storage for the backward steps into the additions of ``chains`` ((chain, members) each):
    contiguous per :class:`Chain` from ``next_store`` on (rank by rank when every chain has all
    its steps), written into ``store`` (trace position -> storage index). Returns the next free
    storage index and which nodes get their gradient from their chain (all but the last
    addition of each), ``None`` without chains."""
    if not chains:
        return next_store, None
    rank = np.full(n_nodes, -1, dtype=np.intp)
    column = np.zeros(n_nodes, dtype=np.intp)
    which = np.zeros(n_nodes, dtype=np.intp)
    inner = np.zeros(n_nodes, dtype=bool)
    for c, (_, members) in enumerate(chains):
        rank[members] = np.arange(len(members))[:, None]
        column[members] = np.arange(members.shape[1])
        which[members] = c
        inner[members[:-1]] = True
    steps = np.flatnonzero(rank[step_tgt] >= 0)
    t = step_tgt[steps]
    steps = steps[np.lexsort((column[t], step_pos[steps], rank[t], which[t]))]
    t = step_tgt[steps]
    for c, first, end in runs(which[t]):
        chain, members = chains[c]
        chain.first, chain.last = next_store + first, next_store + end
        if end - first != 2 * members.size:
            chain.owner = column[t[first:end]]
    store[steps] = np.arange(next_store, next_store + len(steps))
    return next_store + len(steps), inner


def runs_of_pairs(a: np.ndarray, b: np.ndarray) -> list[tuple[tuple[int, int], int, int]]:
    """Runs of equal (a, b) pairs in arrays sorted by (a, b)."""
    if not len(a):
        return []
    cuts = np.flatnonzero((a[1:] != a[:-1]) | (b[1:] != b[:-1])) + 1
    firsts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(a)]])
    return [((x, y), f, e) for x, y, f, e in zip(a[firsts].tolist(), b[firsts].tolist(), firsts.tolist(),
                                                  ends.tolist())]


def sums(nodes: np.ndarray, counts: np.ndarray, starts: np.ndarray, stored: np.ndarray, slot: np.ndarray,
         spare: int) -> tuple[Sums, ...]:
    """Cumulative sums for ``nodes`` (one level's scalar nodes with two or more contributions,
    ``counts`` each; node i's contributions are ``stored[starts[i]:starts[i] + counts[i]]`` in
    trace order). Nodes with similar counts share one sum (a column at most half padding)."""
    number = counts[nodes]
    order = np.argsort(number, kind="stable")
    nodes, number = nodes[order], number[order]
    plans = []
    at = 0
    while at < len(nodes):
        end = int(np.searchsorted(number, 2 * number[at], side="right"))
        group, have = nodes[at:end], number[at:end]
        rows = np.arange(int(have[-1]))[:, None]
        inside = rows < have[None, :]
        index = np.where(inside, stored[starts[group][None, :] + np.minimum(rows, have - 1)], spare)
        last = None if have[0] == have[-1] else (have - 1, np.arange(len(group)))
        slots = index_array(slot[group].tolist())
        plans.append(Sums(index, slice(slots, slots + 1) if type(slots) is int else slots, last))
        at = end
    return tuple(plans)
