"""Forward pass, reverse-mode backward pass and the trace of both (the finite-difference check
that reruns :func:`forward_output` lives in :mod:`graphviz_nn.core.gradcheck`).

Neither pass recurses: nodes are visited in id order (a topological order) and its reverse.
Gradients are accumulated at fan-out and reduced to each operand's shape after broadcasting.
As in PyTorch, only nodes that depend on an input get a gradient: a constant (and an op on
constants only, such as ``1/2``) gets none (``grad`` is ``None``) and no backward step, unless
``constant_grads=True`` asks for every node's gradient. For a non-scalar output the gradients are those of the sum of its entries, which for a batch of
independent points gives each point's own derivative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import networkx as nx
import numpy as np

from ..ops import OPS, local_derivative, vjp

__all__ = ["TraceStep", "StepState", "forward", "backward", "state_at", "forward_output",
           "mark_nonfinite", "requires_grad", "gets_gradient", "tidy", "all_finite"]


@dataclass(slots=True)
class TraceStep:
    """One step of the trace; ``index`` counts from 1 (step 0 is the bare graph).

    Forward steps set ``value`` of ``node``. The backward seed step has ``edge=None`` and
    ``contribution`` = d out / d out. Other backward steps carry ``edge=(source, target, arg)``,
    the target's gradient ``upstream``, the ``local`` derivative d target / d source (``None``
    for structural ops), the ``contribution`` added into the source's gradient and the source's
    gradient after the addition, ``grad_after``.
    """

    index: int
    phase: str
    node: str
    edge: tuple[str, str, int] | None = None
    value: Any = None
    upstream: Any = None
    local: Any = None
    contribution: Any = None
    grad_after: Any = None


def tidy(value: Any) -> Any:
    """Scalars as ``float``, arrays as float ndarrays."""
    if value is None or type(value) is float:
        return value
    if isinstance(value, (np.floating, int)):
        return float(value)
    if np.ndim(value) == 0:
        return float(value)
    return np.asarray(value, dtype=float)


def forward(graph: nx.MultiDiGraph, values: Mapping[str, Any]) -> list[TraceStep]:
    """Compute every node's ``value`` in id order; return the forward steps."""
    nodes = graph.nodes
    steps: list[TraceStep] = []
    with np.errstate(all="ignore"):
        for node, attrs in nodes(data=True):
            kind = attrs["kind"]
            if kind == "input":
                value = values[attrs["name"]]
            elif kind == "constant":
                value = attrs["const"]
            else:
                args = [nodes[s]["value"] for s in attrs["args"]]
                value = OPS[attrs["op"]].forward(*args, **attrs["params"])
            value = tidy(value)
            attrs["value"] = value
            steps.append(TraceStep(len(steps) + 1, "forward", node, value=value))
    return steps


def requires_grad(graph: nx.MultiDiGraph) -> dict[str, bool]:
    """Which nodes depend on an input (the gradients anyone can use; code export skips the rest)."""
    result: dict[str, bool] = {}
    for node, attrs in graph.nodes(data=True):
        result[node] = attrs["kind"] == "input" or (
            attrs["kind"] == "op" and any(result[s] for s in attrs["args"]))
    return result


def gets_gradient(graph: nx.MultiDiGraph, constant_grads: bool = False) -> dict[str, bool]:
    """Which nodes a backward pass gives a gradient: those that depend on an input and the
    output; with ``constant_grads``, every node (constants too)."""
    if constant_grads:
        return dict.fromkeys(graph.nodes, True)
    result = requires_grad(graph)
    result[graph.graph["output"]] = True
    return result


def backward(graph: nx.MultiDiGraph, first_index: int = 1, *, constant_grads: bool = False) -> list[TraceStep]:
    """Reverse-mode pass after :func:`forward`; sets ``grad`` on nodes and ``local`` /
    ``contribution`` on edges; returns the backward steps (seed first). Edges out of a node
    that gets no gradient (see :func:`gets_gradient`) have no step, and that node's ``grad``
    is ``None``."""
    nodes = graph.nodes
    edges = graph.edges
    gets = gets_gradient(graph, constant_grads)
    output = graph.graph["output"]
    out_value = nodes[output]["value"]
    # d out / d out: a read-only view of a single 1.0 (nothing writes gradients in place)
    seed = 1.0 if np.ndim(out_value) == 0 else np.broadcast_to(np.float64(1.0), np.shape(out_value))
    grads: dict[str, Any] = {output: seed}
    steps = [TraceStep(first_index, "backward", output, contribution=seed, grad_after=seed)]
    with np.errstate(all="ignore"):
        for node in reversed(list(nodes)):
            g = grads.get(node)
            attrs = nodes[node]
            if g is None or attrs["kind"] != "op":
                continue
            spec = OPS[attrs["op"]]
            args = [nodes[s]["value"] for s in attrs["args"]]
            out = attrs["value"]
            params = attrs["params"]
            for i, source in enumerate(attrs["args"]):
                if not gets[source]:
                    continue
                local = tidy(local_derivative(spec, i, out, args, params))
                contribution = tidy(vjp(spec, i, g, out, args, params, local))
                previous = grads.get(source)
                total = contribution if previous is None else tidy(previous + contribution)
                grads[source] = total
                edge = edges[source, node, i]
                edge["local"] = local
                edge["contribution"] = contribution
                steps.append(TraceStep(first_index + len(steps), "backward", node, (source, node, i),
                                       upstream=g, local=local, contribution=contribution, grad_after=total))
    for node, attrs in nodes(data=True):
        grad = grads.get(node)
        if grad is None and gets[node]:  # depends on an input but does not reach the output
            grad = tidy(np.zeros(np.shape(attrs["value"])))
        attrs["grad"] = grad
    return steps


def all_finite(value: Any) -> bool:
    """True when ``value`` (a number, an array or ``None``) holds no nan or inf."""
    if value is None:
        return True
    if type(value) is float:
        return math.isfinite(value)
    with np.errstate(all="ignore"):
        if math.isfinite(float(np.sum(value))):  # nan or inf anywhere makes the sum non-finite
            return True
    return bool(np.all(np.isfinite(value)))  # the sum may overflow with finite entries


def mark_nonfinite(graph: nx.MultiDiGraph) -> list[str]:
    """Flag nodes whose value or gradient holds nan/inf; return their ids."""
    flagged = []
    needs = requires_grad(graph)
    for node, attrs in graph.nodes(data=True):
        # The gradient of a node that depends on no input (a constant, or -1 in x^-1) can be
        # undefined where nothing needs it (d x^2 / d 2 at x < 0): only its value counts.
        grad = attrs["grad"] if needs[node] else None
        bad = not (all_finite(attrs["value"]) and all_finite(grad))
        attrs["nonfinite"] = bool(bad)
        if bad:
            flagged.append(node)
    return flagged


@dataclass
class StepState:
    """What is known after ``step`` trace steps: drawn by the renderer, captioned by the app."""

    step: int
    computed: set[str] = field(default_factory=set)
    grads: dict[str, Any] = field(default_factory=dict)
    done_edges: set[tuple[str, str, int]] = field(default_factory=set)
    current: TraceStep | None = None

    @property
    def current_node(self) -> str | None:
        """The node of the current step (the one computed, or whose gradient flows back)."""
        return self.current.node if self.current else None

    @property
    def changed_node(self) -> str | None:
        """The node whose value or gradient the current step changes: the node computed
        (forward), the output (the seed) or the edge's source (a backward step along an edge),
        which is what the drawing highlights."""
        if self.current is None:
            return None
        return self.current.edge[0] if self.current.edge is not None else self.current.node

    @property
    def current_edge(self) -> tuple[str, str, int] | None:
        """The edge of the current backward step."""
        return self.current.edge if self.current else None

    @property
    def phase(self) -> str:
        """``start``, ``forward`` or ``backward``."""
        return self.current.phase if self.current else "start"


def state_at(trace: list[TraceStep], k: int) -> StepState:
    """The state after the first ``k`` steps (clamped to ``0 … len(trace)``)."""
    k = max(0, min(int(k), len(trace)))
    state = StepState(k)
    for i, step in enumerate(trace[:k], 1):
        state = advance(state, step, i)
    state.current = trace[k - 1] if k else None
    return state


def advance(state: StepState, step: TraceStep, k: int) -> StepState:
    """The state after step ``k`` (``step``) from the state after ``k - 1``; ``state``'s sets and
    gradients are taken over (changed in place), so a walk over the trace stays linear."""
    if step.phase == "forward":
        state.computed.add(step.node)
    elif step.edge is None:
        state.grads[step.node] = step.contribution
    else:
        state.grads[step.edge[0]] = step.grad_after
        state.done_edges.add(step.edge)
    return StepState(k, state.computed, state.grads, state.done_edges, step)


def forward_output(graph: nx.MultiDiGraph, values: Mapping[str, Any]) -> Any:
    """The output value for other input values, without touching the graph's attributes."""
    cache: dict[str, Any] = {}
    with np.errstate(all="ignore"):
        for node, attrs in graph.nodes(data=True):
            kind = attrs["kind"]
            if kind == "input":
                cache[node] = values[attrs["name"]]
            elif kind == "constant":
                cache[node] = attrs["const"]
            else:
                cache[node] = OPS[attrs["op"]].forward(*[cache[s] for s in attrs["args"]], **attrs["params"])
    return cache[graph.graph["output"]]
