"""Running a compiled schedule: the forward pass, level by level, then the backward pass in
reverse, leaving every number in the run's arrays (see :mod:`graphviz_nn.core.schedule` for how
the plan is laid out and :mod:`graphviz_nn.core.trace` for how the arrays are read)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .engine import _tidy
from ..ops import OPS, local_derivative, vjp

__all__ = ["forward", "backward"]



def _operand(s, j: int, v: np.ndarray, tv: list) -> Any:
    return float(v[s.slot[j]]) if s.scalar[j] else tv[s.tslot[j]]


def forward(s, values: Mapping[str, Any]) -> tuple:
    """Every node's value: the scalar ones in one flat array (by slot), the tensors in a list."""
    v = np.empty(s.n_scalar)
    tv: list[Any] = [None] * s.n_tensor
    if s.scalar_inputs:  # values must have the shapes the graph was built with
        try:
            v[s.input_slots] = np.array(s.input_getter(values), dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise ValueError("a value compiled as a scalar is now an array; compile the graph again") from None
    v[s.const_slots] = s.const_values
    for name, slot in s.tensor_inputs:
        tv[slot] = _tidy(values[name])
    for slot, value in s.tensor_consts:
        tv[slot] = value
    gathered: dict[int, list] = {}
    ops, params = s.nodes.op, s.nodes.params
    for lv in range(1, s.n_levels):
        plan = s.levels[lv]
        for group in plan.groups:
            operands = [v[a] for a in group.args]
            v[group.start:group.stop] = group.spec.forward(*operands, **group.params)
            gathered[id(group)] = operands
        for i in plan.singles:
            out = _tidy(OPS[ops[i]].forward(*[_operand(s, j, v, tv) for j in s.args[i]], **params[i]))
            if s.scalar[i]:
                v[s.slot[i]] = out
            else:
                tv[s.tslot[i]] = out
    return v, tv, gathered


def backward(s, state: tuple) -> tuple:
    """Every gradient, local derivative, contribution and running sum, level by level in reverse."""
    v, tv, gathered = state
    n_steps = len(s.step_src)
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
    for lv in range(s.n_levels - 1, 0, -1):
        plan = s.levels[lv]
        _gather_grads(s, plan, grad, tgrad, contrib, after, objects)
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
    return state


def _single_backward(s, i: int, v, tv, grad, tgrad, contrib, local, objects) -> None:
    spec = OPS[s.nodes.op[i]]
    params = s.nodes.params[i]
    operands = [_operand(s, j, v, tv) for j in s.args[i]]
    result = _operand(s, i, v, tv)
    g = float(grad[s.slot[i]]) if s.scalar[i] else tgrad[s.tslot[i]]
    for p, source, k in s.single_steps[i]:
        loc = _tidy(local_derivative(spec, p, result, operands, params))
        if type(loc) is float and loc == 1.0 and np.shape(g) == np.shape(operands[p]):
            flow = g  # g × 1, already shaped like the operand
        else:
            flow = _tidy(vjp(spec, p, g, result, operands, params, loc))
        if s.scalar[source] and type(loc) is float:
            contrib[k] = flow
            local[k] = loc
        elif s.scalar[source]:
            contrib[k] = flow
            objects[k] = (loc, None, None)
        else:
            objects[k] = (loc, flow, None)


def _gather_grads(s, plan: Any, grad, tgrad, contrib, after, objects) -> None:
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
        tgrad[s.tslot[i]] = total
