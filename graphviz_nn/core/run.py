"""Running a compiled schedule: the forward pass, level by level, then the backward pass in
reverse, leaving every number in the run's arrays (see :mod:`graphviz_nn.core.schedule` for how
the plan is laid out and :mod:`graphviz_nn.core.trace` for how the arrays are read)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .engine import tidy
from ..ops import OPS, local_derivative, vjp

__all__ = ["forward", "backward", "tensor_steps"]



def _operand(s, j: int, v: np.ndarray, tv: list) -> Any:
    return float(v[s.slot[j]]) if s.scalar[j] else tv[s.tslot[j]]


def forward(s, values: Mapping[str, Any], leaves: np.ndarray) -> tuple:
    """Every node's value: the scalar ones in one flat array (by slot, starting with the scalar
    ``leaves``), the tensors in a list."""
    v = np.empty(s.n_scalar)
    tv: list[Any] = [None] * s.n_tensor
    v[:len(leaves)] = leaves
    for name, slot in s.tensor_inputs:
        tv[slot] = tidy(values[name])
    for slot, value in s.tensor_consts:
        tv[slot] = value
    gathered: dict[int, list] = {}
    ops, params = s.nodes.op, s.nodes.params
    for lv in s.run_levels:
        plan = s.levels[lv]
        for group in plan.groups:
            operands = [v[a] for a in group.args]
            v[group.start:group.stop] = group.spec.forward(*operands, **group.params)
            gathered[id(group)] = operands
        for chain in plan.chains:  # one addition after another, down the rows
            partial = v[chain.index]
            np.add.accumulate(partial, axis=0, out=partial)
            v[chain.start:chain.stop] = partial[1:].reshape(-1)
        for i in plan.singles:
            out = tidy(OPS[ops[i]].forward(*[_operand(s, j, v, tv) for j in s.args[i]], **params[i]))
            if s.scalar[i]:
                v[s.slot[i]] = out
            else:
                tv[s.tslot[i]] = out
    return v, tv, gathered


def backward(s, state: tuple) -> tuple:
    """Every gradient, level by level in reverse, and every scalar step's local derivative,
    contribution and running sum. A step whose local derivative or contribution is an array is
    not kept: its local derivative is dropped at once and its contribution once summed into its
    source's gradient (the last item of the state says whether the schedule has such steps;
    :func:`tensor_steps` makes them again)."""
    v, tv, gathered = state
    n_steps = len(s.step_src) + 1  # and a spare entry that padded sums write to
    grad = np.zeros(s.n_scalar)
    tgrad: list[Any] = [None] * s.n_tensor
    contrib = np.empty(n_steps)
    local = np.empty(n_steps)
    after = np.empty(n_steps)
    objects: dict[int, tuple] = {}  # storage index -> (local, contribution, grad after) overrides
    out = s.output
    if s.scalar[out]:
        grad[s.slot[out]] = 1.0
    else:
        tgrad[s.tslot[out]] = np.broadcast_to(np.float64(1.0), np.shape(tv[s.tslot[out]]))  # as the engine seeds
    state += (grad, tgrad, contrib, local, after, objects)
    for lv in reversed(s.run_levels):
        plan = s.levels[lv]
        _gather_grads(s, plan, grad, tgrad, contrib, after, objects)
        for chain in plan.chains:
            _chain_backward(chain, grad, contrib, local)
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
            if i in s.single_steps:
                _single_backward(s, i, v, tv, grad, tgrad, contrib, local, objects)
    _gather_grads(s, s.levels[0], grad, tgrad, contrib, after, objects)
    after[s.first_steps] = contrib[s.first_steps]
    return state + (s.array_steps,)


def tensor_steps(s, state: tuple) -> dict[int, tuple]:
    """The steps a run did not keep (see :func:`backward`), made again from its values and
    gradients with the same calls in the same order, so equal to the numbers the run summed:
    storage index -> (local derivative, contribution or ``None`` where the contribution is in
    the scalar array, running sum or ``None``)."""
    v, tv, _, grad, tgrad, contrib, local, after, _, _ = state
    objects: dict[int, tuple] = {}
    with np.errstate(all="ignore"):  # as the run was
        for i in s.single_steps:
            _single_backward(s, i, v, tv, grad, tgrad, contrib, local, objects, keep=True)
        for plan in s.levels:
            for i, stored in plan.tensors:
                _tensor_sum(stored, objects, keep=True)
    return objects


def _chain_backward(chain: Any, grad: np.ndarray, contrib: np.ndarray, local: np.ndarray) -> None:
    """A chain's upstream gradient (its last addition's) is every addition's gradient and,
    times the local derivative 1, every step's contribution."""
    width = chain.width
    g = grad[chain.stop - width:chain.stop]
    grad[chain.start:chain.stop - width].reshape(-1, width)[...] = g
    first, last = chain.first, chain.last
    if first == last:
        return
    if chain.owner is None:
        contrib[first:last].reshape(-1, width)[...] = g
    else:
        contrib[first:last] = g[chain.owner]
    local[first:last] = 1.0


def _single_backward(s, i: int, v, tv, grad, tgrad, contrib, local, objects, keep: bool = False) -> None:
    """Node ``i``'s backward steps, one operand at a time. An array local derivative is kept
    in ``objects`` only with ``keep`` (when the steps are made again for reading): the run
    needs the contributions alone, and a local derivative made for the step is dropped at once."""
    spec = OPS[s.nodes.op[i]]
    params = s.nodes.params[i]
    operands = [_operand(s, j, v, tv) for j in s.args[i]]
    result = _operand(s, i, v, tv)
    g = float(grad[s.slot[i]]) if s.scalar[i] else tgrad[s.tslot[i]]
    for p, source, k in s.single_steps[i]:
        loc = tidy(local_derivative(spec, p, result, operands, params))
        if type(loc) is float and loc == 1.0 and np.shape(g) == np.shape(operands[p]):
            flow = g  # g × 1, already shaped like the operand
        else:
            flow = tidy(vjp(spec, p, g, result, operands, params, loc))
        if s.scalar[source] and type(loc) is float:
            contrib[k] = flow
            local[k] = loc
        elif s.scalar[source]:
            contrib[k] = flow
            if keep:
                objects[k] = (loc, None, None)
        else:
            objects[k] = (loc if keep else None, flow, None)


def _gather_grads(s, plan: Any, grad, tgrad, contrib, after, objects) -> None:
    """Sum each node's contributions, in trace order, into its gradient."""
    if plan.one_slots is not None:
        grad[plan.one_slots] = contrib[plan.one_steps]
    for total in plan.sums:  # contribution after contribution, down the columns
        partial = contrib[total.index]
        np.add.accumulate(partial, axis=0, out=partial)
        after[total.index] = partial
        grad[total.slots] = partial[-1] if total.last is None else partial[total.last]
    for i, stored in plan.tensors:
        tgrad[s.tslot[i]] = _tensor_sum(stored, objects, keep=False)


def _tensor_sum(stored: list[int], objects: dict[int, tuple], keep: bool) -> Any:
    """A tensor's contributions summed in trace order; with ``keep``, each step's running sum
    is recorded beside it, otherwise the steps are dropped once added."""
    total = None
    for k in stored:
        loc, flow, _ = objects[k] if keep else objects.pop(k)
        total = flow if total is None else tidy(total + flow)
        if keep:
            objects[k] = (loc, flow, total)
    return total
