"""The neuron-level view of a small network: one node per input and unit, weights on the edges.

This is the picture of a recitation's network figure (the CMU α/β network, the MIT 4-layer
chain): inputs (with the x₀ = 1 unit when the bias is folded), each unit showing its
pre-activation z, activation a and gradient ∂L/∂z, edges labelled with their weights (and
optionally ∂L/∂w) near their source unit, where edges that cross further on are still apart
(and as the edge's tooltip), then the loss. It reads the same evaluation as the computation-graph view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.api import Evaluation
from ..errors import RenderError
from ..networks.layers import linear_layers, statements
from ..networks.network import Network
from ..notation.numfmt import format_number
from .dot import dot_string, html_text
from .options import RenderOptions

__all__ = ["NeuronOptions", "neuron_dot", "MAX_UNITS"]

MAX_UNITS = 64
"""Largest network (inputs plus units) the neuron view draws."""


@dataclass(frozen=True)
class NeuronOptions(RenderOptions):
    """What the neuron view shows: a picture's options (it reads ``show_values``, ``show_grads``,
    ``rankdir`` and ``digits``, checked as for every picture) and whether edges write their
    weights and the weights' gradients."""

    show_weights: bool = True
    show_weight_grads: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        for flag in ("show_weights", "show_weight_grads"):
            if not isinstance(getattr(self, flag), bool):
                raise RenderError(f"{flag} must be True or False, got {getattr(self, flag)!r}")


def _first(value: Any) -> np.ndarray:
    """One example's values: the first row of a batch."""
    arr = np.asarray(value, dtype=float)
    return arr[0] if arr.ndim == 2 else np.atleast_1d(arr)


def _named(res: Evaluation) -> dict[str, dict]:
    return {a["name"]: a for _, a in res.graph.nodes(data=True) if a["name"]}


def neuron_dot(net: Network, res: Evaluation | None = None, options: NeuronOptions | None = None) -> str:
    """DOT source of the neuron-level view (no layout program needed)."""
    opts = options or NeuronOptions()
    res = res or net.evaluate()
    layers = list(net.layers)
    linears = linear_layers(layers)
    x = _first(net.values["x"])
    sizes = [x.size] + [int(np.shape(net.values[f"W{k}"])[0]) for k in range(1, len(linears) + 1)]
    if sum(sizes) > MAX_UNITS:
        raise RenderError(f"the neuron view draws networks up to {MAX_UNITS} inputs and units; this one has "
                          f"{sum(sizes)}. Use the computation-graph view")
    named = _named(res)
    fmt = lambda v: format_number(float(v), opts.digits)  # noqa: E731 - a local shorthand
    folded = net.bias == "folded"
    lines = ["digraph neurons {", f"  rankdir={opts.rankdir}; splines=line; nodesep=0.35; ranksep=1.4;",
             '  node [fontname="Helvetica" fontsize=11]; edge [fontname="Helvetica" fontsize=9 color="#555555"];']
    if net.title:
        lines.append(f"  labelloc=t; label={dot_string(net.title)};")

    grads = res.gradients
    # Inputs. Each layer is an unnamed group: dot visits named sibling subgraphs in the order
    # of their names' addresses in memory, which depends on what the process laid out before.
    col = ["  { rank=same;"]
    if folded:
        col.append('    u0_0 [shape=circle style=filled fillcolor="#eeeeee" label=<x₀ = 1>];')
    x_grad = _first(grads["x"]) if "x" in grads else None
    for i, v in enumerate(x):
        rows = [f"<b>x{_sub(i + 1)}</b>"]
        if opts.show_values:
            rows.append(html_text(fmt(v)))
        if opts.show_grads and x_grad is not None:
            rows.append(f'<font color="#b03a2e">∂L/∂x = {html_text(fmt(x_grad[i]))}</font>')
        col.append(f'    u0_{i + 1} [shape=circle style=filled fillcolor="#dbe9f6" label=<{"<br/>".join(rows)}>];')
    col.append("  }")
    lines += col
    lines += _keep_order([f"u0_{i}" for i in range(0 if folded else 1, x.size + 1)])

    steps = statements(layers, net.bias, batch=net.batch)
    for k in range(1, len(linears) + 1):
        pre = next(s.name for s in steps if s.layer == k and s.pre_activation)
        post = [s.name for s in steps if s.layer == k and not s.pre_activation]
        z = _first(named[pre]["value"])
        z_grad = _first(named[pre]["grad"]) if named[pre]["grad"] is not None else None
        a = _first(named[post[-1]]["value"]) if post else None
        act = ", ".join(layers_kind for layers_kind in _activation_names(layers, k)) or "identity"
        w = np.asarray(net.values[f"W{k}"], dtype=float)
        w_grad = np.asarray(grads[f"W{k}"], dtype=float) if f"W{k}" in grads else None
        b = None if folded else np.asarray(net.values[f"b{k}"], dtype=float)
        last = k == len(linears)
        col = ["  { rank=same;"]
        if folded and not last:
            col.append(f'    u{k}_0 [shape=circle style=filled fillcolor="#eeeeee" label=<z₀ = 1>];')
        for j in range(w.shape[0]):
            title = f"ŷ{_sub(j + 1)}" if last else f"h{_sup(k)}{_sub(j + 1)}"
            rows = [f"<b>{title}</b> <font point-size='9'>({html_text(act)})</font>"]
            if opts.show_values:
                rows.append(f"z = {html_text(fmt(z[j]))}")
                if a is not None:
                    rows.append(f"a = {html_text(fmt(a[j]))}")
                if b is not None:
                    rows.append(f"b = {html_text(fmt(b[j]))}")
            if opts.show_grads and z_grad is not None:
                rows.append(f'<font color="#b03a2e">∂L/∂z = {html_text(fmt(z_grad[j]))}</font>')
            fill = "#fdebd0" if last else "#e8f6e8"
            col.append(f'    u{k}_{j + 1} [shape=box style="rounded,filled" fillcolor="{fill}" label=<{"<br/>".join(rows)}>];')
        col.append("  }")
        lines += col
        first = 0 if folded and not last else 1
        lines += _keep_order([f"u{k}_{j}" for j in range(first, w.shape[0] + 1)])
        offset = 1 if folded else 0
        for j in range(w.shape[0]):
            for i in range(w.shape[1]):
                src = f"u{k - 1}_{i + 1 - offset}"
                parts = []
                if opts.show_weights:
                    parts.append(f"w = {fmt(w[j, i])}")
                if opts.show_weight_grads and w_grad is not None:
                    parts.append(f"∂L/∂w = {fmt(w_grad[j, i])}")
                lines.append(f"  {src} -> u{k}_{j + 1} [{_weight_attrs(k, j, i, parts)}];")
    if "L" in named:
        loss = named["L"]
        lines.append(f'  loss [shape=doubleoctagon style=filled fillcolor="#f9e79f" '
                     f'label=<<b>L</b> ({html_text(net.loss)})<br/>{html_text(fmt(np.sum(loss["value"])))}>];')
        for j in range(sizes[-1]):
            lines.append(f"  u{len(linears)}_{j + 1} -> loss;")
    lines.append("}")
    return "\n".join(lines) + "\n"


#: Where a weight is written: on its edge (``labelangle=0``), this many times 10 points from the
#: source unit, as NN-SVG does. Edges into different units leave a unit at different angles, so
#: near the source they are apart, where in the middle of the gap between layers they cross.
WEIGHT_DISTANCE = 3.2


def _weight_attrs(k: int, j: int, i: int, parts: list[str]) -> str:
    """The attributes of the edge that carries weight W_k[j, i]: an id, and its text near the
    source end (``taillabel``) and as the tooltip of the edge and the label."""
    attrs = [f'id="w{k}_{j + 1}_{i}"']
    if parts:
        text = "<br/>".join(html_text(p) for p in parts)
        tip = dot_string(f"W{k}[{j + 1},{i}]: " + ", ".join(parts))
        attrs += [f"taillabel=<{text}>", f'labeldistance="{WEIGHT_DISTANCE:g}"', 'labelangle="0"',
                  f"edgetooltip={tip}", f"labeltooltip={tip}"]
    return " ".join(attrs)


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sub(n: int) -> str:
    """Unicode subscript digits (HTML <sub> collides with the next line in Graphviz)."""
    return str(n).translate(_SUB)


def _sup(n: int) -> str:
    return str(n).translate(_SUP)


def _keep_order(nodes: list[str]) -> list[str]:
    """Invisible edges so the units of a layer stand in order (x0, x1, x2 from the top)."""
    if len(nodes) < 2:
        return []
    return ["  " + " -> ".join(nodes) + " [style=invis];"]


def _activation_names(layers: list, k: int) -> list[str]:
    """Activations that follow the k-th Linear layer, as written in the chain."""
    names: list[str] = []
    count = 0
    for layer in layers:
        if layer.kind == "linear":
            count += 1
            continue
        if count == k and layer.kind != "identity":
            names.append(layer.text)
        elif count == k and layer.scale != 1.0:
            names.append(layer.text)
    return names

