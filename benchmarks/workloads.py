"""The programs the benchmarks run: a scalar MLP shared with micrograd, a batch of points, long
sums. Pure text and value builders; nothing is timed here."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

__all__ = ["micrograd_mlp", "mlp_program", "batch_points", "hand_numpy", "DESIGN", "long_sum",
           "products_program"]

DESIGN = "sin(xy)/z + e^<xz>/(xy)"


def micrograd_mlp(n_in: int, widths: list[int], seed: int = 0) -> tuple[Any, list[Any]]:
    """micrograd's ``MLP(n_in, widths)`` with fixed weights, biases and inputs (all ``Value``s)."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    rng = random.Random(seed)
    model = MLP(n_in, widths)
    for p in model.parameters():
        p.data = rng.uniform(-1, 1)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(n_in)]
    return model, xs


def micrograd_step(model: Any, xs: list[Any]) -> Any:
    """Forward + backward once (gradients zeroed first, as a training step does)."""
    model.zero_grad()
    for x in xs:
        x.grad = 0.0
    out = model(xs)
    out.backward()
    return out


def mlp_program(model: Any, xs: list[Any]) -> tuple[str, dict[str, float]]:
    """The identical network as our program text: ``h = relu(b + w1*x1 + w2*x2 + …)`` per
    neuron, in micrograd's order of operations (``sum(..., b)`` adds left to right from b)."""
    values = {f"x{i}": x.data for i, x in enumerate(xs)}
    previous = list(values)
    lines = []
    k = 0
    for layer_index, layer in enumerate(model.layers):
        current = []
        for j, neuron in enumerate(layer.neurons):
            bias = f"b{layer_index}_{j}"
            values[bias] = float(neuron.b.data)
            terms = [bias]
            for weight, source in zip(neuron.w, previous):
                k += 1
                values[f"w{k}"] = float(weight.data)
                terms.append(f"w{k}*{source}")
            name = f"h{layer_index}_{j}"
            body = " + ".join(terms)
            lines.append(f"{name} = relu({body})" if neuron.nonlin else f"{name} = {body}")
            current.append(name)
        previous = current
    return "\n".join(lines), values


def batch_points(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(0.5, 1.5, n) for name in "xyz"}


def hand_numpy(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """sin(xy)/z + e^{xz}/(xy) and its three partial derivatives, written by hand with the
    shared subexpressions computed once."""
    xy = x * y
    s = np.sin(xy)
    e = np.exp(x * z)
    f = s / z + e / xy
    d_xy = np.cos(xy) / z - e / (xy * xy)  # d f / d (xy)
    d_xz = e / xy  # d f / d (xz)
    return f, d_xy * y + d_xz * z, d_xy * x, d_xz * x - s / (z * z)


def long_sum(n: int) -> str:
    """``x1 + x2 + … + xn``."""
    return " + ".join(f"x{i}" for i in range(1, n + 1))


def products_program(n_terms: int, seed: int = 0) -> tuple[str, dict[str, float]]:
    """``w1*x1 + … + wn*xn``: 4n nodes (2n inputs, n products, n - 1 sums)."""
    rng = random.Random(seed)
    values = {}
    for i in range(1, n_terms + 1):
        values[f"w{i}"] = rng.uniform(-1, 1)
        values[f"x{i}"] = rng.uniform(-1, 1)
    return " + ".join(f"w{i}*x{i}" for i in range(1, n_terms + 1)), values
