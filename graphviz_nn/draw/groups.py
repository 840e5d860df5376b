"""Large graphs: cluster by named intermediate (or depth layer) and draw each cluster as one box.

A program's statements give natural clusters: walking nodes in creation order, the unnamed
operations created before a named result belong to that result (``a = x*y + z`` puts ``×`` and
``+`` in cluster ``a``). A plain expression has no names, so its operations are clustered into
bands of equal depth instead. Each cluster is drawn as a single box: the named result with its
value and gradient and a line saying what it stands for (``5 ops: tanh, ×, +; inputs w3, b3``).
Inputs used by one cluster only are folded into it; shared inputs and the output stay
visible; constants shared by several clusters are left out. :attr:`Grouping.notes` says all
of this in words, for the picture.

Graphviz's ``dot`` becomes very slow (minutes) on hundreds of ``subgraph cluster`` blocks,
so clusters are collapsed rather than drawn as frames.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Mapping

import networkx as nx

from .context import op_symbol

__all__ = ["Group", "Grouping", "group_nodes", "MAX_BANDS", "MAX_SHARED_EDGES"]

MAX_BANDS = 60  # depth layers used for a graph without named intermediates
MAX_SHARED_EDGES = 8  # an input feeding more boxes than this is listed in each box, not drawn


@dataclass(frozen=True)
class Group:
    """One cluster: the DOT node drawn for it, its title, members and a one-line summary."""

    rep: str
    title: str
    members: tuple[str, ...]
    summary: str

    @property
    def named(self) -> bool:
        """True when the box is the cluster's named result itself (a DAG node id)."""
        return self.rep in self.members


@dataclass(frozen=True)
class Grouping:
    """How a large graph is drawn: clusters, which DOT node stands for each DAG node, edges."""

    groups: tuple[Group, ...]
    rep_of: Mapping[str, str]  # DAG node -> DOT node drawn for it (absent: left out)
    edges: tuple[tuple[str, str, int], ...]  # (source DOT id, target DOT id, DAG edges merged)
    notes: tuple[str, ...]


def _by_statement(graph: nx.MultiDiGraph) -> list[tuple[str | None, str, list[str]]]:
    """(named result, title, op members) per statement, in creation order."""
    groups: list[tuple[str | None, str, list[str]]] = []
    pending: list[str] = []
    output = graph.graph.get("output")
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "op":
            continue
        pending.append(node)
        if data.get("name") or node == output:
            groups.append((node, str(data.get("label", node)), pending))
            pending = []
    if pending:
        groups.append((None, "unused operations", pending))
    return groups


def _by_depth(graph: nx.MultiDiGraph) -> list[tuple[str | None, str, list[str]]]:
    depth: dict[str, int] = {}
    for node in graph.nodes:  # creation order is a topological order
        depth[node] = max((depth[p] + 1 for p in graph.predecessors(node)), default=0)
    output = graph.graph.get("output")
    ops = [n for n, d in graph.nodes(data=True) if d.get("kind") == "op" and n != output]
    out: list[tuple[str | None, str, list[str]]] = []
    if ops:
        deepest = max(depth[n] for n in ops)
        band = max(1, math.ceil((deepest + 1) / MAX_BANDS))
        bands: dict[int, list[str]] = {}
        for node in ops:
            bands.setdefault(depth[node] // band, []).append(node)
        for index in sorted(bands):
            lo, hi = index * band, min(index * band + band - 1, deepest)
            out.append((None, f"depth {lo}" if lo == hi else f"depths {lo}–{hi}", bands[index]))
    if output in graph:
        out.append((output, str(graph.nodes[output].get("label", output)), [output]))
    return out


def _summary(graph: nx.MultiDiGraph, ops: list[str], folded: list[str]) -> str:
    counts = Counter(op_symbol(graph.nodes[n].get("op")) for n in ops)
    shown = ", ".join(sym for sym, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:4])
    parts = [f"{len(ops)} op{'s' if len(ops) != 1 else ''}: {shown}{', …' if len(counts) > 4 else ''}"] if ops else []
    names = [str(graph.nodes[n].get("label", n)) for n in folded if graph.nodes[n].get("kind") == "input"]
    if names:
        parts.append("inputs " + ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else ""))
    return "; ".join(parts)


def group_nodes(graph: nx.MultiDiGraph) -> Grouping:
    """Cluster and collapse a large graph (see the module docstring)."""
    clusters = _by_statement(graph)
    how = "named intermediate"
    if sum(1 for named, _, _ in clusters if named is not None) < 3:
        clusters = _by_depth(graph)
        how = "depth layer"
    owner: dict[str, int] = {n: i for i, (_, _, members) in enumerate(clusters) for n in members}
    rep_of: dict[str, str] = {}
    reps = [named if named is not None else f"g{i}" for i, (named, _, _) in enumerate(clusters)]
    for node in owner:
        rep_of[node] = reps[owner[node]]
    folded: dict[int, list[str]] = {}
    left_out = 0
    widely_shared: list[str] = []
    output = graph.graph.get("output")
    for node, data in graph.nodes(data=True):
        if node in owner:
            continue
        users = {owner[v] for v in graph.successors(node) if v in owner}
        if len(users) == 1 and node != output:
            (index,) = users
            rep_of[node] = reps[index]
            folded.setdefault(index, []).append(node)
        elif data.get("kind") == "constant" and users:
            left_out += 1
        elif len(users) > MAX_SHARED_EDGES and node != output:
            # A weight shared by every layer would draw edges across the whole picture, and dot
            # takes minutes to route them: list it inside each box that uses it instead.
            widely_shared.append(node)
            for index in users:
                folded.setdefault(index, []).append(node)
        else:
            rep_of[node] = node  # shared input (or an unused one): drawn on its own
    groups = []
    for i, (named, title, members) in enumerate(clusters):
        ops = [n for n in members if n != named]
        extra = folded.get(i, [])
        summary = _summary(graph, ops, extra) if ops or extra else ""
        groups.append(Group(rep=reps[i], title=title, members=tuple(members) + tuple(extra), summary=summary))
    counts: Counter[tuple[str, str]] = Counter()
    for u, v in graph.edges():
        if u in rep_of and v in rep_of and rep_of[u] != rep_of[v]:
            counts[(rep_of[u], rep_of[v])] += 1
    drawn = len(set(rep_of.values()))
    notes = [
        f"large graph: {graph.number_of_nodes():,} nodes and {graph.number_of_edges():,} edges drawn as "
        f"{drawn:,} boxes, one per {how}",
        "each box shows its result's value and gradient and lists the operations and inputs folded into it",
    ]
    if left_out:
        notes.append(f"{left_out} constant{'s' if left_out != 1 else ''} shared by several boxes left out")
    if widely_shared:
        names = ", ".join(str(graph.nodes[n].get("label", n)) for n in widely_shared[:6])
        more = f" and {len(widely_shared) - 6} more" if len(widely_shared) > 6 else ""
        notes.append(f"inputs used by more than {MAX_SHARED_EDGES} boxes ({names}{more}) are listed inside each "
                     "box instead of drawn")
    notes.append("values rounded to 3 digits; tensor entries and edge labels hidden")
    return Grouping(groups=tuple(groups), rep_of=rep_of, edges=tuple((s, d, c) for (s, d), c in counts.items()),
                    notes=tuple(notes))
