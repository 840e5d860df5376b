"""The op registry: every operation declared once, read by parser, engine and renderer.

An :class:`OpSpec` holds the numpy forward, the local derivative (elementwise ops) or the
vector-Jacobian product (structural ops), how the result's shape follows from the operands'
shapes, the display symbol, the canonical text, LaTeX, symbolic derivatives and, for infix
operators, the binding power the parser uses.

>>> OPS["mul"].symbol, OPS["mul"].text, OPS["pow"].binding_power
('×', '*', 40)
>>> float(OPS["sigmoid"].forward(0.0))
0.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

__all__ = [
    "OpSpec",
    "OPS",
    "FUNCTIONS",
    "INFIX",
    "CONSTANTS",
    "unbroadcast",
    "local_derivative",
    "vjp",
    "format_shape",
    "derivative_template",
]

Array = Any  # float or numpy array
Shape = tuple[int, ...]


def format_shape(shape: Shape) -> str:
    """Shapes as students write them: ``scalar``, ``3``, ``2×3``.

    >>> format_shape(()), format_shape((3,)), format_shape((2, 3))
    ('scalar', '3', '2×3')
    """
    return "scalar" if shape == () else "×".join(str(s) for s in shape)


@dataclass(frozen=True)
class OpSpec:
    """One operation. ``local`` is for elementwise ops, ``vjp`` for structural ones.

    ``local(i, out, *args, **params)`` returns d out / d args[i] elementwise;
    ``vjp(i, g, out, *args, **params)`` returns the contribution to args[i] directly.
    ``shape(arg_shapes, params)`` returns the output shape or raises ``ValueError`` with a
    message naming both shapes.
    """

    name: str
    arity: int | None
    forward: Callable[..., Array]
    symbol: str
    text: str
    latex: str
    shape: Callable[[list[Shape], dict], Shape]
    local: Callable[..., Array] | None = None
    vjp: Callable[..., Array] | None = None
    binding_power: int = 0
    right_assoc: bool = False
    aliases: tuple[str, ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    derivative_latex: tuple[str, ...] = ()
    description: str = ""
    numpy_code: str = ""
    """Forward as numpy source (``{0}``, ``{1}``: operands; ``{slope}`` etc.: params), for code export."""
    numpy_vjp: tuple[str, ...] = ()
    """Per operand, numpy source of what flows back (``{g}``: upstream, ``{out}``: result)."""
    torch_code: str = ""
    """Forward as PyTorch source, for code export."""
    extra: dict = field(default_factory=dict)

    @property
    def infix(self) -> bool:
        """True for operators written between their operands (``+ - * / ^ @``)."""
        return self.binding_power > 0


# ---------------------------------------------------------------- shape rules

def _elementwise_shape(shapes: list[Shape], params: dict) -> Shape:
    if all(s == shapes[0] for s in shapes):
        return shapes[0]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(
            "shapes " + " and ".join(format_shape(s) for s in shapes) + " do not broadcast"
        ) from None


def _reduce_shape(shapes: list[Shape], params: dict) -> Shape:
    return ()


def _matmul_shape(shapes: list[Shape], params: dict) -> Shape:
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


def _transpose_shape(shapes: list[Shape], params: dict) -> Shape:
    return tuple(reversed(shapes[0]))


def _concat_shape(shapes: list[Shape], params: dict) -> Shape:
    total = 0
    for s in shapes:
        if len(s) > 1:
            raise ValueError(f"[a, b, …] joins scalars and vectors, got {format_shape(s)}")
        total += 1 if s == () else s[0]
    return (total,)


def _same_shape(shapes: list[Shape], params: dict) -> Shape:
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


def _sigmoid(x: Array) -> Array:
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def _gelu(x: Array) -> Array:
    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1.0 + _erf(x / _SQRT2))


def _gelu_local(i: int, out: Array, x: Array) -> Array:
    x = np.asarray(x, dtype=float)
    cdf = 0.5 * (1.0 + _erf(x / _SQRT2))
    return cdf + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def _pow_local(i: int, out: Array, a: Array, b: Array) -> Array:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if i == 0:
        return b * np.power(a, b - 1.0)
    # d a^b / d b = a^b log a; defined for a > 0 (and 0 where a^b vanishes with b > 0).
    safe = np.where(a > 0, a, 1.0)
    return np.where(a > 0, out * np.log(safe), np.where((a == 0) & (b > 0), 0.0, np.nan))


def _div_local(i: int, out: Array, a: Array, b: Array) -> Array:
    if i == 0:
        return 1.0 / np.asarray(b, dtype=float)
    local = np.divide(out, b)
    return np.negative(local, out=local) if isinstance(local, np.ndarray) else -local


def _matmul_vjp(i: int, g: Array, out: Array, a: Array, b: Array) -> Array:
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


def _concat_forward(*args: Array) -> Array:
    return np.concatenate([np.atleast_1d(np.asarray(a, dtype=float)) for a in args])


def _concat_vjp(i: int, g: Array, out: Array, *args: Array) -> Array:
    start = sum(int(np.size(a)) for a in args[:i])
    size = int(np.size(args[i]))
    piece = np.asarray(g, dtype=float)[start:start + size]
    return float(piece[0]) if np.ndim(args[i]) == 0 else piece.reshape(np.shape(args[i]))


def _softmax(a: Array) -> Array:
    a = np.asarray(a, dtype=float)
    shifted = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return shifted / np.sum(shifted, axis=-1, keepdims=True)


def _softmax_vjp(i: int, g: Array, out: Array, a: Array) -> Array:
    s = np.asarray(out, dtype=float)
    g = np.asarray(g, dtype=float)
    return s * (g - np.sum(g * s, axis=-1, keepdims=True))


def _prepend_one(a: Array) -> Array:
    a = np.asarray(a, dtype=float)
    if a.ndim <= 1:
        return np.concatenate([[1.0], np.atleast_1d(a)])
    return np.concatenate([np.ones(a.shape[:-1] + (1,)), a], axis=-1)


def _prepend_one_shape(shapes: list[Shape], params: dict) -> Shape:
    s = shapes[0]
    if len(s) > 2:
        raise ValueError(f"prepend1 takes a scalar, vector or matrix, got {format_shape(s)}")
    return (2,) if s == () else s[:-1] + (s[-1] + 1,)


def _prepend_one_vjp(i: int, g: Array, out: Array, a: Array) -> Array:
    g = np.asarray(g, dtype=float)
    piece = g[..., 1:]
    return float(piece[0]) if np.ndim(a) == 0 else piece.reshape(np.shape(a))


def _norm(a: Array) -> Array:
    """The Euclidean norm, scaled by the largest entry before squaring so that tiny (1e-200)
    and huge (1e200) entries neither underflow to 0 nor overflow to inf."""
    a = np.asarray(a, dtype=float)
    largest = np.max(np.abs(a)) if a.size else 0.0
    if largest == 0 or not np.isfinite(largest):
        return np.sqrt(np.sum(np.square(a)))
    return largest * np.sqrt(np.sum(np.square(a / largest)))


def _norm_local(i: int, out: Array, a: Array) -> Array:
    a = np.asarray(a, dtype=float)
    return a / out if out != 0 else np.zeros_like(a)


# ---------------------------------------------------------------- the registry

def _op(name: str, arity: int | None, forward: Callable, symbol: str, text: str, latex: str, *,
        shape: Callable = _elementwise_shape, **kw: Any) -> OpSpec:
    return OpSpec(name=name, arity=arity, forward=forward, symbol=symbol, text=text, latex=latex,
                  shape=shape, **kw)


_SPECS = [
    # Infix operators: binding powers drive the Pratt parser.
    _op("add", 2, np.add, "+", "+", "{0} + {1}", binding_power=10,
        local=lambda i, out, a, b: 1.0, derivative_latex=("1", "1"), description="sum"),
    _op("sub", 2, np.subtract, "−", "-", "{0} - {1}", binding_power=10,
        local=lambda i, out, a, b: 1.0 if i == 0 else -1.0, derivative_latex=("1", "-1"),
        description="difference"),
    _op("mul", 2, np.multiply, "×", "*", "{0} \\cdot {1}", binding_power=20,
        local=lambda i, out, a, b: b if i == 0 else a, derivative_latex=("{1}", "{0}"),
        description="elementwise product"),
    _op("div", 2, np.divide, "÷", "/", "\\frac{{{0}}}{{{1}}}", binding_power=20,
        local=_div_local,
        derivative_latex=("\\frac{{1}}{{{1}}}", "-\\frac{{{0}}}{{{1}^2}}"), description="quotient"),
    _op("matmul", 2, np.matmul, "@", "@", "{0} {1}", binding_power=20, shape=_matmul_shape,
        vjp=_matmul_vjp, derivative_latex=("\\delta\\, {1}^\\top", "{0}^\\top \\delta"),
        description="matrix product"),
    _op("pow", 2, np.power, "^", "^", "{{{0}}}^{{{1}}}", binding_power=40, right_assoc=True,
        local=_pow_local, derivative_latex=("{1}\\,{0}^{{{1}-1}}", "{0}^{{{1}}} \\ln {0}"),
        description="power"),
    # Prefix minus.
    _op("neg", 1, np.negative, "−", "-", "-{0}", local=lambda i, out, a: -1.0,
        derivative_latex=("-1",), description="negation"),
    # Functions.
    _op("exp", 1, np.exp, "exp", "exp", "e^{{{0}}}", local=lambda i, out, a: out,
        derivative_latex=("e^{{{0}}}",)),
    _op("log", 1, np.log, "log", "log", "\\ln\\left({0}\\right)", aliases=("ln",),
        local=lambda i, out, a: 1.0 / np.asarray(a, dtype=float), derivative_latex=("\\frac{{1}}{{{0}}}",)),
    _op("sin", 1, np.sin, "sin", "sin", "\\sin\\left({0}\\right)", local=lambda i, out, a: np.cos(a),
        derivative_latex=("\\cos\\left({0}\\right)",)),
    _op("cos", 1, np.cos, "cos", "cos", "\\cos\\left({0}\\right)", local=lambda i, out, a: -np.sin(a),
        derivative_latex=("-\\sin\\left({0}\\right)",)),
    _op("tan", 1, np.tan, "tan", "tan", "\\tan\\left({0}\\right)",
        local=lambda i, out, a: 1.0 + np.asarray(out) ** 2, derivative_latex=("1 + \\tan^2\\left({0}\\right)",)),
    _op("sqrt", 1, np.sqrt, "√", "sqrt", "\\sqrt{{{0}}}", local=lambda i, out, a: 0.5 / np.asarray(out),
        derivative_latex=("\\frac{{1}}{{2\\sqrt{{{0}}}}}",)),
    _op("abs", 1, np.abs, "|·|", "abs", "\\left|{0}\\right|", local=lambda i, out, a: np.sign(a),
        derivative_latex=("\\operatorname{{sign}}\\left({0}\\right)",)),
    _op("tanh", 1, np.tanh, "tanh", "tanh", "\\tanh\\left({0}\\right)",
        local=lambda i, out, a: 1.0 - np.asarray(out) ** 2, derivative_latex=("1 - \\tanh^2\\left({0}\\right)",)),
    _op("sigmoid", 1, _sigmoid, "σ", "sigmoid", "\\sigma\\left({0}\\right)", aliases=("σ", "sigma"),
        local=lambda i, out, a: np.asarray(out) * (1.0 - np.asarray(out)),
        derivative_latex=("\\sigma\\left({0}\\right)\\left(1 - \\sigma\\left({0}\\right)\\right)",)),
    _op("relu", 1, lambda a: np.maximum(a, 0.0), "ReLU", "relu", "\\operatorname{{ReLU}}\\left({0}\\right)",
        local=lambda i, out, a: (np.asarray(a) > 0).astype(float),
        derivative_latex=("\\mathbb{{1}}\\left[{0} > 0\\right]",)),
    _op("leaky_relu", 1, lambda a, slope=0.01: np.where(np.asarray(a) > 0, a, slope * np.asarray(a, dtype=float)),
        "LeakyReLU", "leaky_relu", "\\operatorname{{LeakyReLU}}\\left({0}\\right)", params=(("slope", 0.01),),
        local=lambda i, out, a, slope=0.01: np.where(np.asarray(a) > 0, 1.0, slope),
        derivative_latex=("\\mathbb{{1}}\\left[{0} > 0\\right] + \\alpha\\,\\mathbb{{1}}\\left[{0} \\le 0\\right]",)),
    _op("softplus", 1, lambda a, beta=1.0: np.logaddexp(0.0, beta * np.asarray(a, dtype=float)) / beta,
        "softplus", "softplus", "\\operatorname{{softplus}}\\left({0}\\right)", params=(("beta", 1.0),),
        local=lambda i, out, a, beta=1.0: _sigmoid(beta * np.asarray(a, dtype=float)),
        derivative_latex=("\\sigma\\left(\\beta {0}\\right)",)),
    _op("gelu", 1, _gelu, "GELU", "gelu", "\\operatorname{{GELU}}\\left({0}\\right)", local=_gelu_local,
        derivative_latex=("\\Phi\\left({0}\\right) + {0}\\,\\varphi\\left({0}\\right)",)),
    _op("max", 2, lambda a, b: np.where(np.asarray(a) >= b, a, b).astype(float), "max", "max",
        "\\max\\left({0}, {1}\\right)",
        local=lambda i, out, a, b: (np.asarray(a) >= b).astype(float) if i == 0 else (np.asarray(a) < b).astype(float),
        derivative_latex=("\\mathbb{{1}}\\left[{0} \\ge {1}\\right]", "\\mathbb{{1}}\\left[{0} < {1}\\right]")),
    _op("min", 2, lambda a, b: np.where(np.asarray(a) <= b, a, b).astype(float), "min", "min",
        "\\min\\left({0}, {1}\\right)",
        local=lambda i, out, a, b: (np.asarray(a) <= b).astype(float) if i == 0 else (np.asarray(a) > b).astype(float),
        derivative_latex=("\\mathbb{{1}}\\left[{0} \\le {1}\\right]", "\\mathbb{{1}}\\left[{0} > {1}\\right]")),
    # Reductions and structure.
    _op("sum", 1, lambda a: np.sum(a), "Σ", "sum", "\\sum {0}", shape=_reduce_shape,
        local=lambda i, out, a: np.ones(np.shape(a)), derivative_latex=("\\mathbf{{1}}",)),
    _op("mean", 1, lambda a: np.mean(a), "mean", "mean", "\\operatorname{{mean}}\\left({0}\\right)",
        shape=_reduce_shape, local=lambda i, out, a: np.full(np.shape(a), 1.0 / max(1, np.size(a))),
        derivative_latex=("\\frac{{1}}{{n}}\\mathbf{{1}}",)),
    _op("norm", 1, _norm, "‖·‖", "norm", "\\left\\|{0}\\right\\|",
        shape=_reduce_shape, local=_norm_local, derivative_latex=("\\frac{{{0}}}{{\\left\\|{0}\\right\\|}}",)),
    _op("softmax", 1, _softmax, "softmax", "softmax", "\\operatorname{{softmax}}\\left({0}\\right)",
        shape=_same_shape, vjp=_softmax_vjp,
        derivative_latex=("\\operatorname{{diag}}(s) - s s^\\top",),
        description="softmax over the last axis"),
    _op("prepend1", 1, _prepend_one, "[1, ·]", "prepend1", "\\begin{{bmatrix}}1 & {0}\\end{{bmatrix}}",
        shape=_prepend_one_shape, vjp=_prepend_one_vjp,
        description="put a constant 1 in front (a folded intercept x0 = 1); for a matrix, a column of ones"),
    _op("transpose", 1, lambda a: np.transpose(a), "ᵀ", "transpose", "{{{0}}}^\\top", shape=_transpose_shape,
        vjp=lambda i, g, out, a: np.transpose(g), derivative_latex=("\\delta^\\top",)),
    _op("concat", None, _concat_forward, "[ , ]", "concat", "\\left[{args}\\right]", shape=_concat_shape,
        vjp=_concat_vjp, derivative_latex=("\\text{{its entries of }} \\delta",),
        description="join scalars and vectors into one vector"),
    _op("identity", 1, lambda a: np.array(a, dtype=float) if np.ndim(a) else float(a), "=", "", "{0}",
        shape=_same_shape, local=lambda i, out, a: 1.0, derivative_latex=("1",),
        description="a named copy (b = a)"),
]

# Source templates for exported NumPy and PyTorch scripts (graphviz_nn/codegen.py), beside the
# numpy functions above so the two stay in step: forward, then per operand what flows back.
_CODE: dict[str, tuple[str, tuple[str, ...], str]] = {
    "add": ("{0} + {1}", ("{g}", "{g}"), "{0} + {1}"),
    "sub": ("{0} - {1}", ("{g}", "-{g}"), "{0} - {1}"),
    "mul": ("{0} * {1}", ("{g} * {1}", "{g} * {0}"), "{0} * {1}"),
    "div": ("{0} / {1}", ("{g} / {1}", "-{g} * {out} / {1}"), "{0} / {1}"),
    "matmul": ("{0} @ {1}", ("_matmul_grad_a({g}, {0}, {1})", "_matmul_grad_b({g}, {0}, {1})"), "{0} @ {1}"),
    "pow": ("np.power({0}, {1})", ("{g} * {1} * np.power({0}, {1} - 1)", "{g} * {out} * np.log({0})"),
            "torch.pow({0}, {1})"),
    "neg": ("-{0}", ("-{g}",), "-{0}"),
    "exp": ("np.exp({0})", ("{g} * {out}",), "torch.exp({0})"),
    "log": ("np.log({0})", ("{g} / {0}",), "torch.log({0})"),
    "sin": ("np.sin({0})", ("{g} * np.cos({0})",), "torch.sin({0})"),
    "cos": ("np.cos({0})", ("-{g} * np.sin({0})",), "torch.cos({0})"),
    "tan": ("np.tan({0})", ("{g} * (1 + {out} ** 2)",), "torch.tan({0})"),
    "sqrt": ("np.sqrt({0})", ("{g} * 0.5 / {out}",), "torch.sqrt({0})"),
    "abs": ("np.abs({0})", ("{g} * np.sign({0})",), "torch.abs({0})"),
    "tanh": ("np.tanh({0})", ("{g} * (1 - {out} ** 2)",), "torch.tanh({0})"),
    "sigmoid": ("1 / (1 + np.exp(-{0}))", ("{g} * {out} * (1 - {out})",), "torch.sigmoid({0})"),
    "relu": ("np.maximum({0}, 0.0)", ("{g} * ({0} > 0)",), "torch.relu({0})"),
    "leaky_relu": ("np.where({0} > 0, {0}, {slope} * {0})", ("{g} * np.where({0} > 0, 1.0, {slope})",),
                   "torch.nn.functional.leaky_relu({0}, {slope})"),
    "softplus": ("np.logaddexp(0.0, {beta} * {0}) / {beta}", ("{g} / (1 + np.exp(-{beta} * {0}))",),
                 "torch.nn.functional.softplus({0}, beta={beta})"),
    "gelu": ("0.5 * {0} * (1 + _erf({0} / np.sqrt(2)))",
             ("{g} * (0.5 * (1 + _erf({0} / np.sqrt(2))) + {0} * np.exp(-0.5 * {0} ** 2) / np.sqrt(2 * np.pi))",),
             "torch.nn.functional.gelu({0})"),
    "max": ("np.where({0} >= {1}, {0}, {1})", ("{g} * ({0} >= {1})", "{g} * ({0} < {1})"),
            "torch.where({0} >= {1}, {0}, {1})"),
    "min": ("np.where({0} <= {1}, {0}, {1})", ("{g} * ({0} <= {1})", "{g} * ({0} > {1})"),
            "torch.where({0} <= {1}, {0}, {1})"),
    "sum": ("np.sum({0})", ("{g} * np.ones_like({0})",), "torch.sum({0})"),
    "mean": ("np.mean({0})", ("{g} * np.ones_like({0}) / np.size({0})",), "torch.mean({0})"),
    "norm": ("np.hypot.reduce(np.ravel({0}))", ("{g} * {0} / {out}",), "torch.sqrt(torch.sum({0} ** 2))"),
    "transpose": ("np.transpose({0})", ("np.transpose({g})",), "_transpose({0})"),
    "softmax": ("_softmax({0})", ("{out} * ({g} - np.sum({g} * {out}, axis=-1, keepdims=True))",),
                "torch.softmax({0}, dim=-1)"),
    "prepend1": ("_prepend1({0})", ("_unprepend1({g}, {0})",), "_prepend1({0})"),
    "concat": ("_concat({args})", ("_unconcat({g}, {i}, {args})",), "_concat({args})"),
    "identity": ("{0}", ("{g}",), "{0}"),
}

_SPECS = [replace(spec, numpy_code=_CODE[spec.name][0], numpy_vjp=_CODE[spec.name][1],
                  torch_code=_CODE[spec.name][2]) for spec in _SPECS]

OPS: dict[str, OpSpec] = {spec.name: spec for spec in _SPECS}
"""Every op by name."""

INFIX: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul", "^": "pow"}
"""Infix operator text -> op name."""

FUNCTIONS: dict[str, str] = {}
"""Function names a user may call (lower case) -> op name."""
for _spec in _SPECS:
    if _spec.binding_power == 0 and _spec.name not in {"neg", "concat", "identity", "transpose"}:
        FUNCTIONS[_spec.name] = _spec.name
        for _alias in _spec.aliases:
            FUNCTIONS[_alias] = _spec.name

CONSTANTS: dict[str, float] = {"e": math.e, "pi": math.pi}
"""Named constants."""


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


#: How a parameter is written in the registry's derivative templates.
PARAM_SYMBOLS = {"slope": "\\alpha", "beta": "\\beta"}


def derivative_template(op: str, arg: int, params: dict | None = None,
                        number: Callable[[float], str] = lambda v: f"{v:g}") -> str:
    """The LaTeX template of d op / d operand ``arg`` with each parameter's symbol replaced by
    its value (``number`` formats it; a factor β = 1 is left out), so a formula shows the
    slope or β it was computed with.

    >>> derivative_template("softplus", 0, {"beta": 2.0}), derivative_template("softplus", 0, {})
    ('\\\\sigma\\\\left(2 {0}\\\\right)', '\\\\sigma\\\\left({0}\\\\right)')
    """
    spec = OPS[op]
    template = spec.derivative_latex[min(arg, len(spec.derivative_latex) - 1)]
    for name, default in spec.params:
        symbol = PARAM_SYMBOLS.get(name)
        if symbol is None or symbol not in template:
            continue
        value = float((params or {}).get(name, default))
        template = template.replace(symbol + " ", "") if name == "beta" and value == 1 else \
            template.replace(symbol, number(value))
    return template

