"""The numbers behind the ops: shape rules, numpy forwards and vector-Jacobian products that
need more than one numpy call. :mod:`graphviz_nn.ops.table` names them in the registry.

>>> unbroadcast(np.ones((2, 3)), (3,)).tolist()
[2.0, 2.0, 2.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .spec import Array, OpSpec, Shape, format_shape

# ---------------------------------------------------------------- shape rules

def elementwise_shape(shapes: list[Shape], params: dict) -> Shape:
    if all(s == shapes[0] for s in shapes):
        return shapes[0]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(
            "shapes " + " and ".join(format_shape(s) for s in shapes) + " do not broadcast"
        ) from None


def reduce_shape(shapes: list[Shape], params: dict) -> Shape:
    return ()


def matmul_shape(shapes: list[Shape], params: dict) -> Shape:
    a, b = shapes
    if a == () or b == ():
        raise ValueError(f"matrix product needs two arrays, got {format_shape(a)} and {format_shape(b)}")
    if len(a) > 2 or len(b) > 2:
        raise ValueError(f"matrix product of {format_shape(a)} and {format_shape(b)}: only vectors and matrices are supported")
    inner_a = a[-1]
    inner_b = b[0]
    if inner_a != inner_b:
        raise ValueError(
            f"cannot multiply {format_shape(a)} by {format_shape(b)}: inner sizes {inner_a} and {inner_b} differ"
        )
    return tuple(a[:-1]) + tuple(b[1:])


def transpose_shape(shapes: list[Shape], params: dict) -> Shape:
    return tuple(reversed(shapes[0]))


def concat_shape(shapes: list[Shape], params: dict) -> Shape:
    total = 0
    for s in shapes:
        if len(s) > 1:
            raise ValueError(f"[a, b, …] joins scalars and vectors, got {format_shape(s)}")
        total += 1 if s == () else s[0]
    return (total,)


def same_shape(shapes: list[Shape], params: dict) -> Shape:
    return shapes[0]


# ---------------------------------------------------------------- helpers

def unbroadcast(g: Array, shape: Shape) -> Array:
    """Sum a broadcast gradient back down to ``shape`` (numpy broadcasting rules).

    >>> unbroadcast(np.ones((2, 3)), (3,)).tolist()
    [2.0, 2.0, 2.0]
    >>> float(unbroadcast(np.ones(4), ()))
    4.0
    """
    g = np.asarray(g, dtype=float)
    if g.shape == tuple(shape):
        return g
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return np.broadcast_to(g, shape).copy() if g.shape != tuple(shape) else g


def _erf(x: Array) -> Array:
    return _ERF(x) if np.ndim(x) else math.erf(float(x))


_ERF = np.vectorize(math.erf, otypes=[float])
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def sigmoid(x: Array) -> Array:
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def gelu(x: Array) -> Array:
    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1.0 + _erf(x / _SQRT2))


def gelu_local(i: int, out: Array, x: Array) -> Array:
    x = np.asarray(x, dtype=float)
    cdf = 0.5 * (1.0 + _erf(x / _SQRT2))
    return cdf + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def pow_local(i: int, out: Array, a: Array, b: Array) -> Array:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if i == 0:
        return b * np.power(a, b - 1.0)
    # d a^b / d b = a^b log a; defined for a > 0 (and 0 where a^b vanishes with b > 0).
    safe = np.where(a > 0, a, 1.0)
    return np.where(a > 0, out * np.log(safe), np.where((a == 0) & (b > 0), 0.0, np.nan))


def div_local(i: int, out: Array, a: Array, b: Array) -> Array:
    if i == 0:
        return 1.0 / np.asarray(b, dtype=float)
    local = np.divide(out, b)
    return np.negative(local, out=local) if isinstance(local, np.ndarray) else -local


def matmul_vjp(i: int, g: Array, out: Array, a: Array, b: Array) -> Array:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    g = np.asarray(g, dtype=float)
    if i == 0:
        if a.ndim == 1 and b.ndim == 1:
            return g * b
        if a.ndim == 1:  # (n,) @ (n, k) -> (k,)
            return b @ g
        if b.ndim == 1:  # (m, n) @ (n,) -> (m,)
            return np.outer(g, b)
        return g @ b.T
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    if a.ndim == 1:
        return np.outer(a, g)
    if b.ndim == 1:
        return a.T @ g
    return a.T @ g


def concat_forward(*args: Array) -> Array:
    return np.concatenate([np.atleast_1d(np.asarray(a, dtype=float)) for a in args])


def concat_vjp(i: int, g: Array, out: Array, *args: Array) -> Array:
    start = sum(int(np.size(a)) for a in args[:i])
    size = int(np.size(args[i]))
    piece = np.asarray(g, dtype=float)[start:start + size]
    return float(piece[0]) if np.ndim(args[i]) == 0 else piece.reshape(np.shape(args[i]))


def softmax(a: Array) -> Array:
    a = np.asarray(a, dtype=float)
    shifted = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return shifted / np.sum(shifted, axis=-1, keepdims=True)


def softmax_vjp(i: int, g: Array, out: Array, a: Array) -> Array:
    s = np.asarray(out, dtype=float)
    g = np.asarray(g, dtype=float)
    return s * (g - np.sum(g * s, axis=-1, keepdims=True))


def prepend_one(a: Array) -> Array:
    a = np.asarray(a, dtype=float)
    if a.ndim <= 1:
        return np.concatenate([[1.0], np.atleast_1d(a)])
    return np.concatenate([np.ones(a.shape[:-1] + (1,)), a], axis=-1)


def prepend_one_shape(shapes: list[Shape], params: dict) -> Shape:
    s = shapes[0]
    if len(s) > 2:
        raise ValueError(f"prepend1 takes a scalar, vector or matrix, got {format_shape(s)}")
    return (2,) if s == () else s[:-1] + (s[-1] + 1,)


def prepend_one_vjp(i: int, g: Array, out: Array, a: Array) -> Array:
    g = np.asarray(g, dtype=float)
    piece = g[..., 1:]
    return float(piece[0]) if np.ndim(a) == 0 else piece.reshape(np.shape(a))


def norm(a: Array) -> Array:
    """The Euclidean norm, scaled by the largest entry before squaring so that tiny (1e-200)
    and huge (1e200) entries neither underflow to 0 nor overflow to inf."""
    a = np.asarray(a, dtype=float)
    largest = np.max(np.abs(a)) if a.size else 0.0
    if largest == 0 or not np.isfinite(largest):
        return np.sqrt(np.sum(np.square(a)))
    return largest * np.sqrt(np.sum(np.square(a / largest)))


def norm_local(i: int, out: Array, a: Array) -> Array:
    a = np.asarray(a, dtype=float)
    return a / out if out != 0 else np.zeros_like(a)


def local_derivative(spec: OpSpec, i: int, out: Array, args: list[Array], params: dict) -> Array | None:
    """d out / d args[i] for elementwise ops (``None`` for structural ops)."""
    if spec.local is None:
        return None
    return spec.local(i, out, *args, **params)


def _all_ones(g: Any) -> bool:
    """True for a broadcast 1.0 (the backward seed of a tensor output): every entry is the one
    stored number, so checking it checks them all."""
    return isinstance(g, np.ndarray) and g.ndim > 0 and not any(g.strides) and g.size > 0 and g.flat[0] == 1.0


def vjp(spec: OpSpec, i: int, g: Array, out: Array, args: list[Array], params: dict,
        local: Array | None) -> Array:
    """What flows back to ``args[i]`` given the upstream gradient ``g``, shaped like ``args[i]``."""
    if spec.vjp is not None:
        contribution = spec.vjp(i, g, out, *args, **params)
    elif type(local) is float and local == 1.0:
        contribution = g  # arrays are never written in place, so sharing g is safe
    elif type(local) is float and local == -1.0:
        contribution = np.negative(g)
    elif (_all_ones(g) and isinstance(local, np.ndarray) and local.shape == g.shape
          and local is not out and all(local is not a for a in args)):
        # 1 × local is local, bit for bit: a local made for this edge (1/b, cos a) serves as the
        # term too, with no second array. Never a value (x in x·y, exp's own output): a caller's
        # array or a node's value must not come back as a gradient.
        contribution = local
    else:
        contribution = np.multiply(g, local)
    shape = np.shape(args[i])
    contribution = unbroadcast(contribution, shape)
    return float(contribution) if shape == () else contribution
