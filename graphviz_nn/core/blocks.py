"""A whole-array program run block by block: every number as the level schedule makes it, with
each block's intermediates still in the cache when the next operation reads them.

A program qualifies when every array node has one shape (a batch of points: ``sin(xy)/z`` over
10⁶ x, y, z), every op is elementwise (:func:`~graphviz_nn.core.plan.elementwise`, or ``pow``),
and the only scalars are constants that get no gradient. Then each point's value and gradient
depend on that point alone, so the forward and backward passes can run over a block of
:data:`BLOCK` points at a time, writing each node's value and gradient into its whole array
(:class:`Blocks`). Run over the whole array, each of the ~20 operations reads and writes 8 MB
from memory; a block's are read back from the cache.

The numbers are the level schedule's (:mod:`graphviz_nn.core.run`), bit for bit: each operation
is the same numpy call on a slice of the same operands (elementwise, so a slice's results are
the whole array's), each contribution the same product of upstream gradient and local
derivative (with the same shortcuts: ``g`` for a local derivative 1, ``-g`` for -1, the local
derivative itself under the seed 1), and each gradient the same sum in trace order. Which
shortcut a step takes, and which gradients are the seed or another node's gradient (one shared
array, as the level schedule shares them), is read from the first block: it depends on the
program alone.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Mapping

import numpy as np

from . import run as levels
from .engine import tidy
from .plan import elementwise
from .trace import Result
from ..ops import OPS

__all__ = ["BLOCK", "Blocks", "blocks_for"]

BLOCK = 16_384
"""Points per block: ~30 arrays of 128 KB stay in a core's L2/L3 cache."""

_PASS, _NEG, _LOCAL, _MUL = range(4)
"""How a step's contribution is made from the upstream gradient ``g`` and the local derivative
(as :func:`~graphviz_nn.ops.vjp` makes it): ``g`` itself, ``-g``, the local derivative (``g``
is the seed 1 and the derivative an array made for this step), ``g × local``."""


def blocks_for(s: Any) -> Blocks | None:
    """The block plan of schedule ``s``, or ``None`` when the program does not qualify."""
    nodes = s.nodes
    if s.all_scalar or not s.n_tensor:
        return None
    shape = nodes.shape[s.output]
    if not shape or nodes.kind[s.output] != "op":
        return None
    for i in range(s.n_nodes):
        kind = nodes.kind[i]
        if nodes.shape[i] == ():
            if kind != "constant" or s.gets[i]:
                return None
        elif nodes.shape[i] != shape:
            return None
        elif kind == "op":
            if not (elementwise(nodes.op[i]) or nodes.op[i] == "pow") or any(j >= i for j in nodes.args[i]):
                return None
        elif kind != "input":
            return None
    return Blocks(s, shape)


class Blocks:
    """The order a block runs in: the ops by id (operands first), then every gradient by id
    from the top, each summed in trace order just before its node's steps read it. Only the
    output's value and the inputs' gradients are kept whole (what an evaluation returns); every
    other value and gradient lives for one block, and the result makes them all again, with
    the level schedule, if something reads them (:meth:`~graphviz_nn.core.trace.Result.complete`)."""

    def __init__(self, s: Any, shape: tuple[int, ...]):
        nodes = s.nodes
        self.shape = shape
        self.size = int(np.prod(shape))
        self.output = s.output
        self.ops = [(i, OPS[nodes.op[i]], nodes.params[i], nodes.args[i])
                    for i in range(s.n_nodes) if nodes.kind[i] == "op"]
        self.ufunc = {i: isinstance(spec.forward, np.ufunc) and not params for i, spec, params, _ in self.ops}
        stored: dict[int, list[int]] = {}
        for plan in s.levels:
            for i, keys in plan.tensors:
                stored[i] = list(keys)
        self.stored = stored  # node -> storage indices of its contributions, in trace order
        steps = s.single_steps
        self.backward = [(i, spec, params, args, steps.get(i, ()))
                         for i, spec, params, args in reversed(self.ops) if i in steps or i in stored]
        self.inputs = [i for i in range(s.n_nodes) if nodes.kind[i] == "input"]
        self.input_sums = [i for i in self.inputs if i in stored]
        self.rules: dict[int, int] | None = None  # storage index -> how its contribution is made
        self.shared: dict[int, int | None] = {}  # input -> input whose gradient it is (None: the seed)
        self.direct: dict[int, int] = {}  # storage index -> the input whose gradient it is
        self.copied: list[int] = []  # inputs whose gradient is copied from the block's

    def result(self, s: Any, values: Mapping[str, Any], leaves: np.ndarray) -> Result:
        """A run's result, which makes every other array with the level schedule when read."""
        with np.errstate(all="ignore"):
            return Result(s, *self.run(s, values, leaves), complete=partial(_full, s, values, leaves))

    def run(self, s: Any, values: Mapping[str, Any], leaves: np.ndarray, block: int | None = None) -> tuple:
        """Forward and backward passes, ``block`` points at a time (:data:`BLOCK` unless
        given), keeping the output's value and the inputs' gradients: the state
        :func:`run.backward` returns, with ``None`` for every other array."""
        nodes, n = s.nodes, self.size
        block = block or BLOCK
        v = np.empty(s.n_scalar)
        v[:len(leaves)] = leaves
        tv: list[Any] = [None] * s.n_tensor
        flat: dict[int, np.ndarray] = {}  # input -> its value as one row
        consts: dict[int, float] = {}
        for name, slot in s.tensor_inputs:
            tv[slot] = tidy(values[name])
        for i in range(s.n_nodes):
            kind = nodes.kind[i]
            if kind == "input":
                flat[i] = tv[s.tslot[i]].reshape(-1)
            elif kind == "constant":
                consts[i] = float(v[s.slot[i]])
        tv[s.tslot[self.output]] = value = np.empty(self.shape)
        row = value.reshape(-1)
        grads = None if self.rules is None else {i: np.empty(n) for i, owner in self.shared.items() if owner == i}
        for first in range(0, n, block):
            grads = self._block(first, min(n, first + block), flat, consts, row, grads)
        tgrad: list[Any] = [None] * s.n_tensor
        seed = np.broadcast_to(np.float64(1.0), self.shape)  # as the run seeds the output
        tgrad[s.tslot[self.output]] = seed
        for i in self.input_sums:  # an owner comes before the inputs sharing its gradient
            owner = self.shared[i]
            tgrad[s.tslot[i]] = (seed if owner is None else grads[i].reshape(self.shape) if owner == i
                                 else tgrad[s.tslot[owner]])
        return v, tv, {}, np.zeros(s.n_scalar), tgrad, None, None, None, {}, s.array_steps

    def _block(self, a: int, b: int, flat: dict, consts: dict, row: np.ndarray, grads: dict | None) -> dict:
        """One block ``a:b``: the output's value into ``row``, the inputs' gradients into
        ``grads`` (``None``: the program's first block, which finds out how each step's
        contribution is made and which gradients need an array, and makes them)."""
        val: dict[int, Any] = dict(consts)
        for i, whole in flat.items():
            val[i] = whole[a:b]
        ufunc, output = self.ufunc, self.output
        for i, spec, params, args in self.ops:
            if i == output:
                out = val[i] = row[a:b]
                if ufunc[i]:
                    spec.forward(*[val[j] for j in args], out=out)
                else:
                    out[...] = tidy(spec.forward(*[val[j] for j in args], **params))
            else:
                val[i] = tidy(spec.forward(*[val[j] for j in args], **params))
        seed = np.broadcast_to(np.float64(1.0), (b - a,))
        g: dict[int, Any] = {}
        contrib: dict[int, Any] = {}
        stored = self.stored
        first = grads is None
        rules = {} if first else self.rules
        rows = {} if first else {i: whole[a:b] for i, whole in grads.items()}  # gradients written in place
        direct = self.direct
        for i, spec, params, args, steps in self.backward:
            gi = g[i] = _summed(stored[i], contrib) if i in stored else seed
            operands = [val[j] for j in args]
            out = val[i]
            for p, _, k in steps:
                loc = tidy(spec.local(p, out, *operands, **params))
                if first:
                    rules[k] = _rule(loc, gi, seed, out, operands)
                rule = rules[k]
                if rule == _PASS:
                    contrib[k] = gi
                elif rule == _MUL:
                    contrib[k] = np.multiply(gi, loc, out=rows[direct[k]]) if k in direct else np.multiply(gi, loc)
                elif rule == _LOCAL:
                    contrib[k] = loc
                else:
                    contrib[k] = np.negative(gi, out=rows[direct[k]]) if k in direct else np.negative(gi)
        for i in self.input_sums:
            g[i] = _summed(stored[i], contrib, rows.get(i))
        if first:
            grads = self._place(g, seed, rules)
            self.rules = rules  # last: a run that sees it finds the rest
            for i, whole in grads.items():
                whole[a:b] = g[i]
        else:
            for i in self.copied:
                rows[i][...] = g[i]
        return grads

    def _place(self, g: dict, seed: Any, rules: dict[int, int]) -> dict:
        """Which inputs' gradients are the seed, which another input's (one array), which their
        own; the arrays of the last (made once per run, filled block by block), and how each
        is written: by the product, negation or sum that makes it (``out=``), or copied."""
        shared: dict[int, int | None] = {}
        owner: dict[int, int] = {}  # id of a block's gradient -> the input that owns its array
        grads: dict[int, np.ndarray] = {}
        for i in self.input_sums:
            gi = g[i]
            if gi is seed:
                shared[i] = None
            elif id(gi) in owner:
                shared[i] = owner[id(gi)]
            else:
                owner[id(gi)] = i
                shared[i] = i
                grads[i] = np.empty(self.size)
        direct, copied = {}, []
        for i in grads:
            keys = self.stored[i]
            if len(keys) == 1 and rules[keys[0]] in (_MUL, _NEG):
                direct[keys[0]] = i
            elif len(keys) == 1:
                copied.append(i)
        self.shared, self.direct, self.copied = shared, direct, copied
        return grads


def _full(s: Any, values: Mapping[str, Any], leaves: np.ndarray) -> tuple:
    """Every array of a run: the level schedule's passes (:mod:`graphviz_nn.core.run`)."""
    with np.errstate(all="ignore"):
        return levels.backward(s, levels.forward(s, values, leaves))


def _summed(keys: list[int], contrib: dict, out: np.ndarray | None = None) -> Any:
    """Contributions added one by one in trace order (as :func:`run._tensor_sum` adds them),
    the last addition into ``out`` when given (one contribution: it is there already)."""
    total = contrib[keys[0]]
    last = len(keys) - 1
    for n, k in enumerate(keys[1:], 1):
        total = np.add(total, contrib[k], out=out) if n == last and out is not None else tidy(total + contrib[k])
    return total


def _rule(loc: Any, g: Any, seed: Any, out: Any, operands: list) -> int:
    """How :func:`~graphviz_nn.ops.vjp` (and the run's unit shortcut) makes this contribution."""
    if type(loc) is float and loc == 1.0:
        return _PASS
    if type(loc) is float and loc == -1.0:
        return _NEG
    if g is seed and isinstance(loc, np.ndarray) and loc is not out and all(loc is not a for a in operands):
        return _LOCAL
    return _MUL
