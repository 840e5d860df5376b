"""Long, thin graphs wrapped into rows, so a chain fits a screen instead of one long staircase.

A layer chain such as ``z1 = w1 x + w01; a1 = relu(z1); …`` has ~25 ranks and 2–3 nodes per
rank: drawn left to right it is ten times wider than tall, and top to bottom ten times taller
than wide, so either way a laptop screen shows it at a quarter of its size. :func:`wrap_plan`
cuts the ranks into rows (columns when drawn top to bottom), reading on like lines of text:

* every node gets its rank as late as possible (``ranks - 1 - longest path to an output``), so
  an input such as ``w3`` sits just before the product it feeds;
* the number of rows is chosen from the drawing's estimated aspect ratio: the one whose
  ``width / height`` comes closest to :data:`TARGET_ASPECT` (a landscape screen);
* each cut goes where the fewest edges cross it (near the even split), so a row ends where
  the chain passes one value on;
* edges that cross a cut do not constrain the ranking (``constraint="false"``), the nodes of a
  column share a rank (``rank="same"``, with ``newrank`` so that works across clusters) and
  each row is an invisible cluster, which keeps the rows apart and in order. Each cluster
  stands alone in an unnamed group (``{ subgraph "cluster_gnn_row0" {…} }``): ``dot`` takes
  sibling subgraphs in the order of their ids, which for named ones are the addresses of their
  names in memory, so side by side the rows' order (and with it the layout) would depend on
  what the same ``dot`` process laid out before; unnamed groups are numbered as read.

Everything is decided from the DOT statements' ids, so it is the same at every step of a
pass and works with the pinned layout of :mod:`graphviz_nn.layout.steady` (which lays out
the finished statements) and with every theme and direction.

>>> lines = [f'  "n{i}" [id="n{i}"]' for i in range(30)]
>>> lines += [f'  "n{i}" -> "n{i + 1}" [id="e{i}"]' for i in range(29)]
>>> plan = wrap_plan(lines, "LR", rank_inches=1.0, breadth_inches=1.0)
>>> plan.rows, sorted(plan.cut_edges)
(4, ['e14', 'e21', 'e6'])
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["WrapPlan", "wrap_plan", "TARGET_ASPECT", "MAX_ROWS", "MAX_WRAP_NODES"]

TARGET_ASPECT = 2.0
"""Width over height the rows aim at: a laptop screen's graph area is about twice as wide as tall."""
MAX_ROWS = 4
"""Most rows a drawing is cut into."""
MIN_ROW_RANKS = 6
"""Fewest ranks a row holds (shorter rows would only add crossings)."""
MAX_WRAP_NODES = 400
"""Largest drawing (DOT nodes) that is wrapped; beyond it the layout is left to the program."""

_NODE = re.compile(r'^  ("(?:[^"\\]|\\.)*") \[id="((?:[^"\\]|\\.)*)"')
_EDGE = re.compile(r'^  ("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*") \[id="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class WrapPlan:
    """Rows of a wrapped drawing: ``rows`` rows; ``row_of`` and ``column_of`` per DOT node name
    (quoted, as written in the statements); ``cut_edges`` the ids of edges between rows."""

    rows: int
    row_of: dict[str, int]
    column_of: dict[str, int]
    cut_edges: frozenset[str]

    def mark(self, line: str) -> str:
        """An edge statement that crosses rows with ``constraint="false"``; other lines as they are."""
        if " -> " not in line:  # not an edge (the pattern needs the arrow): no search
            return line
        match = _EDGE.match(line)
        if match is None or match.group(3) not in self.cut_edges or not line.endswith("]"):
            return line
        return line[:-1] + ' constraint="false"]'

    def groups(self) -> list[str]:
        """The statements that hold the rows: one invisible cluster per row, one rank per column."""
        out = ['  newrank="true"']  # ranks shared across clusters (the old ranking breaks them apart)
        for row in range(self.rows):
            members = " ".join(n for n, r in self.row_of.items() if r == row)
            # alone in an unnamed group, so dot takes the rows in the order written (module notes)
            out.append(f'  {{ subgraph "cluster_gnn_row{row}" {{ peripheries="0" label="" {members} }} }}')
        by_column: dict[int, list[str]] = defaultdict(list)
        for name, column in self.column_of.items():
            by_column[column].append(name)
        for column in sorted(by_column):
            if len(by_column[column]) > 1:
                out.append(f'  {{ rank="same" {" ".join(by_column[column])} }}')
        return out


def wrap_plan(lines: list[str], rankdir: str, rank_inches: float, breadth_inches: float) -> WrapPlan | None:
    """How to cut the drawing made of the DOT statements ``lines`` into rows, or ``None`` when
    one row is best. ``rank_inches`` is the estimated length of one rank along the drawing's
    direction (a node and the space between ranks); ``breadth_inches`` the estimated room one
    node takes across it."""
    nodes: list[str] = []
    edges: list[tuple[str, str, str]] = []
    for line in lines:
        match = _EDGE.match(line)
        if match is not None:
            edges.append((match.group(1), match.group(2), match.group(3)))
            continue
        match = _NODE.match(line)
        if match is not None:
            nodes.append(match.group(1))
    if not nodes or len(nodes) > MAX_WRAP_NODES:
        return None
    rank = _late_ranks(nodes, edges)
    n_ranks = max(rank.values()) + 1
    breadth = max(_count(rank.values()).values())
    rows = _best_rows(n_ranks, breadth, rankdir, rank_inches, breadth_inches)
    if rows < 2:
        return None
    starts = [0] + [_cut(rank, edges, n_ranks * i / rows, n_ranks / (3 * rows)) for i in range(1, rows)]
    starts = sorted(set(starts))
    if len(starts) < 2:
        return None
    row_of = {n: sum(1 for s in starts[1:] if rank[n] >= s) for n in nodes}
    column_of = {n: rank[n] - starts[row_of[n]] for n in nodes}
    cut_edges = frozenset(e for u, v, e in edges if u in row_of and v in row_of and row_of[u] != row_of[v])
    return WrapPlan(len(starts), row_of, column_of, cut_edges)


def _late_ranks(nodes: list[str], edges: list[tuple[str, str, str]]) -> dict[str, int]:
    """Each node's rank, as late as its successors allow: ``ranks - 1 - longest path to a sink``."""
    succ: dict[str, list[str]] = defaultdict(list)
    indegree = {n: 0 for n in nodes}
    for u, v, _ in edges:
        if u in indegree and v in indegree:
            succ[u].append(v)
            indegree[v] += 1
    order = [n for n in nodes if indegree[n] == 0]  # Kahn: a topological order without recursion
    for n in order:
        for v in succ[n]:
            indegree[v] -= 1
            if indegree[v] == 0:
                order.append(v)
    height = {n: 0 for n in nodes}
    for n in reversed(order):
        height[n] = max((height[v] + 1 for v in succ[n]), default=0)
    top = max(height.values())
    return {n: top - height[n] for n in nodes}


def _count(values: object) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for v in values:  # type: ignore[attr-defined]
        counts[v] += 1
    return counts


def _best_rows(n_ranks: int, breadth: int, rankdir: str, rank_inches: float, breadth_inches: float) -> int:
    """The number of rows whose drawing's width/height is closest to :data:`TARGET_ASPECT`."""
    best, best_miss = 1, math.inf
    for rows in range(1, MAX_ROWS + 1):
        if rows > 1 and n_ranks / rows < MIN_ROW_RANKS:
            break
        along = math.ceil(n_ranks / rows) * rank_inches
        across = breadth * rows * breadth_inches
        width, height = (along, across) if rankdir == "LR" else (across, along)
        miss = abs(math.log(width / height / TARGET_ASPECT))
        if miss < best_miss - 1e-9:
            best, best_miss = rows, miss
    return best


def _cut(rank: dict[str, int], edges: list[tuple[str, str, str]], ideal: float, slack: float) -> int:
    """The first rank of a new row: within ``slack`` of ``ideal``, where fewest edges cross."""
    low, high = max(1, math.floor(ideal - slack)), max(1, math.ceil(ideal + slack))
    best, best_key = round(ideal), (math.inf, math.inf)
    for start in range(low, high + 1):
        crossing = sum(1 for u, v, _ in edges if u in rank and v in rank and rank[u] < start <= rank[v])
        key = (crossing, abs(start - ideal))
        if key < best_key:
            best, best_key = start, key
    return best
