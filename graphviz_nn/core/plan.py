"""The pieces of a compiled schedule's plan: which ops may run a whole level's nodes in one call,
a group of such nodes (:class:`Group`), what one level runs and sums (:class:`Level`), and the
index helpers the compiler uses (:mod:`graphviz_nn.core.schedule` fills them in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ops import OPS, OpSpec

__all__ = ["Group", "Chain", "Sums", "Level", "EMPTY_LEVEL", "ELEMENTWISE", "elementwise", "index_array", "read_only", "runs"]

ELEMENTWISE: dict[str, bool] = {}


UNGROUPED = frozenset({"pow"})
"""Ops whose numpy result depends on how the operands are passed: ``np.power`` takes shortcuts
for a scalar exponent (x², √x, 1/x) that an array of exponents does not, so a grouped x^2
could differ from the engine's in the last digit. They run one node at a time."""


def elementwise(op: str) -> bool:
    """An op a group may evaluate in one call: it has a local derivative and keeps its
    operands' shape (reductions such as ``sum`` map a vector to a scalar)."""
    if op not in ELEMENTWISE:
        spec = OPS[op]
        ok = spec.local is not None and spec.arity is not None and op not in UNGROUPED
        if ok:
            try:
                ok = tuple(spec.shape([(2,)] * spec.arity, {})) == (2,)
            except ValueError:
                ok = False
        ELEMENTWISE[op] = ok
    return ELEMENTWISE[op]


def read_only(value: Any) -> Any:
    """A tensor every run shares, as a read-only array: an in-place change by a caller fails
    instead of changing every later run."""
    array = np.array(value, dtype=float)  # a copy: the graph's own constant stays as it was
    array.setflags(write=False)
    return array


def runs(keys: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs of equal values in a sorted array: (value, first index, end index) each."""
    if not len(keys):
        return []
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    firsts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(keys)]])
    return list(zip(keys[firsts].tolist(), firsts.tolist(), ends.tolist()))


def index_array(positions: list[int]) -> np.ndarray | slice | int:
    """Positions as an index: a slice when they are consecutive (a view, no gather), the
    position itself when there is one (a deep chain has a one-node group per level)."""
    first = positions[0]
    if len(positions) == 1:
        return first
    if positions == list(range(first, first + len(positions))):
        return slice(first, first + len(positions))
    return np.array(positions, dtype=np.intp)


@dataclass(slots=True)
class Group:
    """Scalar nodes of one level with one elementwise op: slots ``start:stop`` of the values."""

    spec: OpSpec
    params: dict
    start: int
    stop: int
    args: list[np.ndarray | slice]  # per operand: slots of that operand for every member
    members: list[int] | None = None  # node indices, in slot order (while compiling)
    # Backward (only members that receive a gradient; ``active`` indexes into the group):
    active: np.ndarray | None = None  # None: every member
    active_slots: np.ndarray | slice | None = None
    operands: tuple[tuple[int, int, int, np.ndarray | None], ...] = ()
    """(operand position, first and last storage index of its steps, and which members have
    a step for it: ``None`` for every active member, else their positions in the group; a
    member whose operand is a constant has none)."""


@dataclass(slots=True)
class Chain:
    """Sums written left to right, ``((x0 + x1) + x2) + … + xK``, whose partial sums are used only
    by the next addition: ``width`` of them with the same K on one level run as one cumulative
    sum down the rows of a (K + 1, width) matrix of operands. The K additions of every chain
    are the slots ``start:stop``, rank by rank (row k: every chain's (k+1)-th addition; the
    last row holds the chains' results). Adding is sequential, so every partial sum equals
    the addition node by node; each addition's local derivative is 1, so every backward step
    of a chain carries the chain's upstream gradient."""

    index: np.ndarray  # (K + 1, width): slots of the summed operands
    start: int
    stop: int
    width: int
    first: int = 0  # storage indices first:last of the chain's backward steps
    last: int = 0
    owner: np.ndarray | None = None
    """Which chain each stored step belongs to; ``None`` when every chain has all 2K steps,
    stored rank-major (row 2k + p: the (k+1)-th addition's step into operand p)."""


@dataclass(slots=True)
class Sums:
    """Scalar nodes of one level with several contributions each, summed in trace order as one
    cumulative sum down the columns of a matrix of storage indices (column j: node j's
    contributions; a shorter column is padded with the spare storage index)."""

    index: np.ndarray  # (most contributions, nodes)
    slots: np.ndarray | slice | int
    last: tuple[np.ndarray, np.ndarray] | None  # (row, column) of each node's total; None: the last row


@dataclass(slots=True)
class Level:
    """What runs on one level; the sequences are tuples, shared when empty (a deep chain has
    one level per node)."""

    groups: tuple[Group, ...] = ()
    singles: tuple[int, ...] = ()  # node indices run one at a time
    chains: tuple[Chain, ...] = ()
    # Gradient accumulation for the scalar nodes of this level:
    one_slots: np.ndarray | None = None  # nodes with exactly one contribution
    one_steps: np.ndarray | None = None
    sums: tuple[Sums, ...] = ()  # nodes with several
    tensors: tuple[tuple[int, list[int]], ...] = ()
    """Tensor nodes receiving a gradient: (node, storage indices of contributions in order)."""


EMPTY_LEVEL = Level()
"""Every level with nothing to run or sum shares this one (it is never changed)."""
