"""Values and gradients checked against independent oracles.

* sympy: random expression trees are generated twice, as our text and as a sympy expression
  built programmatically (``sympy.sin(...)``, never parsing a string); sympy's ``diff``
  evaluated numerically is the reference for every gradient.
* central finite differences of a plain-``math`` evaluation of the same tree.
* tensor expressions against gradients derived by hand with numpy.
* batch mode against the scalar evaluation at each point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import graphviz_nn as gnn

# --------------------------------------------------------------------------------------
# Random expression trees: (our text, sympy expression, math closure)
# --------------------------------------------------------------------------------------

VARIABLES = {
    # canonical name -> spellings a student may type
    "x": ["x"],
    "y": ["y"],
    "z": ["z"],
    "alpha": ["alpha", "α", r"\alpha"],
    "w_1": ["w_1", "w_{1}"],
}
SYMBOLS = {name: sp.Symbol(name, real=True) for name in VARIABLES}

CONSTANTS = [
    # text, sympy, float
    ("2", sp.Integer(2), 2.0),
    ("3", sp.Integer(3), 3.0),
    ("0.5", sp.Rational(1, 2), 0.5),
    (".5", sp.Rational(1, 2), 0.5),
    ("1.5", sp.Rational(3, 2), 1.5),
    ("pi", sp.pi, math.pi),
    ("π", sp.pi, math.pi),
    (r"\pi", sp.pi, math.pi),
    ("e", sp.E, math.e),
]

Env = dict


@dataclass
class Node:
    text: str
    sym: sp.Expr
    fn: Callable[[Env], float]
    used: frozenset = field(default_factory=frozenset)

    def at(self, env: Env) -> float:
        return self.fn(env)


def paren(node: Node) -> str:
    return f"({node.text})"


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


def _softplus(a: float) -> float:
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _gelu(a: float) -> float:
    return 0.5 * a * (1.0 + math.erf(a / math.sqrt(2.0)))


def _leaky(a: float, s: float) -> float:
    return a if a > 0 else s * a


def unary(kind_text: str, sym_fn, math_fn, child: Node) -> Node:
    return Node(kind_text, sym_fn(child.sym), lambda env, f=child.fn: math_fn(f(env)), child.used)


def binary(text: str, sym: sp.Expr, math_fn, a: Node, b: Node) -> Node:
    return Node(text, sym, lambda env, f=a.fn, g=b.fn: math_fn(f(env), g(env)), a.used | b.used)


def positive(node: Node, env: Env) -> Node:
    """The node itself when its value is comfortably positive, else 1 + node^2."""
    if node.at(env) > 0.1:
        return node
    return Node(f"1 + {paren(node)}^2", 1 + node.sym**2, lambda e, f=node.fn: 1 + f(e) ** 2, node.used)


def away_from_kink(node: Node, env: Env) -> Node:
    """Shift the argument of a non-differentiable function away from its kink at 0."""
    if abs(node.at(env)) > 1e-3:
        return node
    return Node(f"{paren(node)} + 0.5", node.sym + sp.Rational(1, 2), lambda e, f=node.fn: f(e) + 0.5, node.used)


def squash(node: Node, env: Env) -> Node:
    """Keep every intermediate value moderate so nothing overflows."""
    if abs(node.at(env)) < 50:
        return node
    return Node(f"tanh({node.text})", sp.tanh(node.sym), lambda e, f=node.fn: math.tanh(f(e)), node.used)


@st.composite
def leaf(draw, env: Env) -> Node:
    if draw(st.booleans()) or draw(st.booleans()):
        name = draw(st.sampled_from(sorted(VARIABLES)))
        spelling = draw(st.sampled_from(VARIABLES[name]))
        return Node(spelling, SYMBOLS[name], lambda e, n=name: e[n], frozenset([name]))
    text, sym, val = draw(st.sampled_from(CONSTANTS))
    return Node(text, sym, lambda e, v=val: v)


UNARY = [
    "neg", "plus", "sin", "cos", "tan", "tanh", "exp", "log", "sqrt", "abs", "sigmoid",
    "relu", "leaky_relu", "softplus", "gelu", "sum", "mean", "norm", "square", "cube",
]
BINARY = ["add", "sub", "mul", "div", "pow", "max", "min"]


@st.composite
def tree(draw, env: Env, depth: int) -> Node:
    if depth == 0 or draw(st.integers(0, 9)) < 2:
        return draw(leaf(env))
    if draw(st.booleans()):
        node = draw(unary_node(env, depth))
    else:
        node = draw(binary_node(env, depth))
    return squash(node, env)


@st.composite
def unary_node(draw, env: Env, depth: int) -> Node:
    kind = draw(st.sampled_from(UNARY))
    a = draw(tree(env, depth - 1))
    pick = lambda *options: draw(st.sampled_from(options))  # noqa: E731
    if kind == "neg":
        return unary(f"-{paren(a)}", lambda s: -s, lambda v: -v, a)
    if kind == "plus":
        return unary(f"+{paren(a)}", lambda s: s, lambda v: v, a)
    if kind in ("sin", "cos", "tan", "tanh"):
        if kind == "tan" and abs(math.cos(a.at(env))) < 0.2:
            a = unary(f"sin({a.text})", sp.sin, math.sin, a)
        fmt = pick(kind + "({})", "\\" + kind + "({})")
        return unary(fmt.format(a.text), getattr(sp, kind), getattr(math, kind), a)
    if kind == "exp":
        if a.at(env) > 20:
            a = unary(f"sin({a.text})", sp.sin, math.sin, a)
        fmt = pick("exp({})", "\\exp({})", "e^({})", "e^{{{}}}", "e^<{}>")
        return unary(fmt.format(a.text), sp.exp, math.exp, a)
    if kind == "log":
        a = positive(a, env)
        fmt = pick("log({})", "ln({})", "\\ln({})")
        return unary(fmt.format(a.text), sp.log, math.log, a)
    if kind == "sqrt":
        a = positive(a, env)
        fmt = pick("sqrt({})", "\\sqrt{{{}}}")
        return unary(fmt.format(a.text), sp.sqrt, math.sqrt, a)
    if kind in ("abs", "norm"):
        a = away_from_kink(a, env)
        fmt = pick("abs({})", "|({})|") if kind == "abs" else "norm({})"
        return unary(fmt.format(a.text), sp.Abs, abs, a)
    if kind == "sigmoid":
        fmt = pick("sigmoid({})", "σ({})", "\\sigma({})")
        return unary(fmt.format(a.text), lambda s: 1 / (1 + sp.exp(-s)), _sigmoid, a)
    if kind == "relu":
        a = away_from_kink(a, env)
        return unary(f"relu({a.text})", lambda s: sp.Max(0, s), lambda v: max(0.0, v), a)
    if kind == "leaky_relu":
        a = away_from_kink(a, env)
        slope_text, slope = pick(("", 0.01), (", 0.2", 0.2), (", 0.5", 0.5))
        slope_sym = sp.Rational(1, 100) if slope == 0.01 else sp.nsimplify(slope)
        return unary(
            f"leaky_relu({a.text}{slope_text})",
            lambda s: sp.Piecewise((s, s > 0), (slope_sym * s, True)),
            lambda v: _leaky(v, slope),
            a,
        )
    if kind == "softplus":
        return unary(f"softplus({a.text})", lambda s: sp.log(1 + sp.exp(s)), _softplus, a)
    if kind == "gelu":
        return unary(
            f"gelu({a.text})", lambda s: s / 2 * (1 + sp.erf(s / sp.sqrt(2))), _gelu, a
        )
    if kind in ("sum", "mean"):
        return unary(f"{kind}({a.text})", lambda s: s, lambda v: v, a)
    if kind == "square":
        fmt = pick("{}^2", "{}**2", "{}^{{2}}")
        return unary(fmt.format(paren(a)), lambda s: s**2, lambda v: v * v, a)
    if kind == "cube":
        return unary(f"{paren(a)}^3", lambda s: s**3, lambda v: v**3, a)
    raise AssertionError(kind)


@st.composite
def binary_node(draw, env: Env, depth: int) -> Node:
    kind = draw(st.sampled_from(BINARY))
    a = draw(tree(env, depth - 1))
    b = draw(tree(env, depth - 1))
    pick = lambda *options: draw(st.sampled_from(options))  # noqa: E731
    A, B = paren(a), paren(b)
    if kind == "add":
        return binary(f"{A} + {B}", a.sym + b.sym, lambda u, v: u + v, a, b)
    if kind == "sub":
        return binary(f"{A} - {B}", a.sym - b.sym, lambda u, v: u - v, a, b)
    if kind == "mul":
        fmt = pick("{} * {}", "{}·{}", "{} \\cdot {}", "{} × {}", "{} \\times {}", "{} ⊙ {}",
                   "{}{}", "{} {}")
        return binary(fmt.format(A, B), a.sym * b.sym, lambda u, v: u * v, a, b)
    if kind == "div":
        if abs(b.at(env)) < 0.2:
            b = positive(b, env)
            B = paren(b)
        fmt = pick("{0} / {1}", "\\frac{{{2}}}{{{3}}}")
        return binary(fmt.format(A, B, a.text, b.text), a.sym / b.sym, lambda u, v: u / v, a, b)
    if kind == "pow":
        a = positive(a, env)
        if abs(b.at(env)) > 3:
            b = unary(f"sin({b.text})", sp.sin, math.sin, b)
        A, B = paren(a), paren(b)
        fmt = pick("{}^{}", "{}**{}", "{}^{{{}}}")
        return binary(fmt.format(A, B), a.sym**b.sym, lambda u, v: u**v, a, b)
    if kind in ("max", "min"):
        if abs(a.at(env) - b.at(env)) < 1e-3:
            b = Node(f"{B} + 0.5", b.sym + sp.Rational(1, 2), lambda e, f=b.fn: f(e) + 0.5, b.used)
        sym = sp.Max(a.sym, b.sym) if kind == "max" else sp.Min(a.sym, b.sym)
        fn = max if kind == "max" else min
        return binary(f"{kind}({a.text}, {b.text})", sym, fn, a, b)
    raise AssertionError(kind)


nonzero = st.floats(min_value=0.2, max_value=2.0, allow_nan=False, allow_infinity=False)


@st.composite
def cases(draw):
    env = {name: draw(nonzero) * draw(st.sampled_from([1.0, -1.0])) for name in VARIABLES}
    node = draw(tree(env, 4))
    return node, env


def sympy_number(expr: sp.Expr, subs: dict) -> float:
    # substitute first: evalf(subs=...) keeps a cancelled sum as a "0.e-165" that Max/Min
    # cannot compare (max(2, alpha + x) at alpha = -x)
    value = complex(expr.xreplace(subs).evalf(30))
    assert abs(value.imag) <= 1e-12 * max(1.0, abs(value.real)), expr
    return value.real


def assert_close(actual, expected, rtol=1e-7, atol=1e-9, what=""):
    actual = float(actual)
    assert math.isfinite(actual), f"{what}: {actual!r} (expected {expected!r})"
    assert abs(actual - expected) <= atol + rtol * abs(expected), (
        f"{what}: got {actual!r}, expected {expected!r}"
    )


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(cases())
def test_random_expressions_against_sympy(case):
    node, env = case
    used = sorted(node.used)
    values = {name: env[name] for name in used}
    subs = {SYMBOLS[name]: sp.Float(env[name], 30) for name in used}

    expected_value = sympy_number(node.sym, subs)
    expected_grads = {name: sympy_number(sp.diff(node.sym, SYMBOLS[name]), subs) for name in used}
    assume(all(abs(g) < 1e8 for g in expected_grads.values()))
    assume(abs(expected_value) < 1e8)

    res = gnn.evaluate(node.text, values)
    note = f"text={node.text!r} values={values!r}"
    assert_close(res.value, expected_value, what=f"value of {note}")
    assert set(res.gradients) == set(used), note
    scale = 1.0 + max([abs(g) for g in expected_grads.values()] + [0.0])
    for name in used:
        assert_close(res.gradients[name], expected_grads[name], atol=1e-9 * scale,
                     what=f"d/d{name} of {note}")

    # keeping a tree (no merging) changes the graph, never the numbers
    tree_res = gnn.evaluate(node.text, values, merge=False)
    assert_close(tree_res.value, expected_value, what=f"merge=False value of {note}")
    for name in used:
        assert_close(tree_res.gradients[name], expected_grads[name], atol=1e-9 * scale,
                     what=f"merge=False d/d{name} of {note}")

    # the same tree through plain math + central finite differences
    assert_close(node.at(env), expected_value, rtol=1e-9, atol=1e-9, what="math oracle")
    for name in used:
        h = 1e-6 * max(1.0, abs(env[name]))
        plus, minus = dict(env), dict(env)
        plus[name] += h
        minus[name] -= h
        numeric = (node.at(plus) - node.at(minus)) / (2 * h)
        assert_close(res.gradients[name], numeric, rtol=1e-4, atol=1e-5 * scale,
                     what=f"finite difference d/d{name} of {note}")


# --------------------------------------------------------------------------------------
# Fixed scalar expressions against sympy (the forms of the specification)
# --------------------------------------------------------------------------------------

x, y, z = (SYMBOLS[n] for n in "xyz")
alpha, w_1 = SYMBOLS["alpha"], SYMBOLS["w_1"]

FIXED = [
    ("sin(xy)/z + e^<xz>/(xy)", sp.sin(x * y) / z + sp.exp(x * z) / (x * y)),
    (r"\frac{\sin(xy)}{z} + \frac{e^{xz}}{xy}", sp.sin(x * y) / z + sp.exp(x * z) / (x * y)),
    ("3x^2y", 3 * x**2 * y),
    ("e^xy", sp.exp(x) * y),
    ("1/xy", 1 / (x * y)),
    ("1/2 x", x / 2),
    ("x^-1", 1 / x),
    ("2^x^y", 2 ** (x**y)),
    ("-x^2", -(x**2)),
    ("x(y+1)", x * (y + 1)),
    ("(x+y)(x-z)", (x + y) * (x - z)),
    ("sin(x)cos(y)", sp.sin(x) * sp.cos(y)),
    (r"\sqrt{x^2 + y^2}", sp.sqrt(x**2 + y**2)),
    ("α x + w_{1}", alpha * x + w_1),
    ("σ(xy)", 1 / (1 + sp.exp(-x * y))),
    ("ln(x^2) + log(y^2)", sp.log(x**2) + sp.log(y**2)),
    ("x^y", x**y),
    ("|x - y|", sp.Abs(x - y)),
    ("||x||", sp.Abs(x)),
    ("tan(x) + tanh(y)", sp.tan(x) + sp.tanh(y)),
    ("softplus(x) gelu(y)", sp.log(1 + sp.exp(x)) * y / 2 * (1 + sp.erf(y / sp.sqrt(2)))),
    ("max(x, y) + min(x, y)^2", sp.Max(x, y) + sp.Min(x, y) ** 2),
    ("pi x + e", sp.pi * x + sp.E),
    ("a = x*y + z; b = (x + x)*a; w = a*b", 2 * x * (x * y + z) ** 2),
    ("t = sin(x)\nu = t t\nv = u + cos(t)", sp.sin(x) ** 2 + sp.cos(sp.sin(x))),
]

POINTS = [
    {"x": 0.7, "y": 1.3, "z": 0.4, "alpha": -1.2, "w_1": 2.5},
    {"x": 1.9, "y": 0.35, "z": 1.1, "alpha": 0.3, "w_1": -0.8},
]


@pytest.mark.parametrize("point", POINTS, ids=["p0", "p1"])
@pytest.mark.parametrize(("text", "expr"), FIXED, ids=[t for t, _ in FIXED])
def test_fixed_expressions_against_sympy(text, expr, point):
    used = sorted(s.name for s in expr.free_symbols)
    values = {name: point[name] for name in used}
    subs = {SYMBOLS[name]: sp.Float(point[name], 30) for name in used}
    res = gnn.evaluate(text, values)
    assert_close(res.value, sympy_number(expr, subs), what="value")
    assert set(res.gradients) == set(used)
    for name in used:
        expected = sympy_number(sp.diff(expr, SYMBOLS[name]), subs)
        assert_close(res.gradients[name], expected, atol=1e-9 * (1 + abs(expected)), what=name)


# --------------------------------------------------------------------------------------
# Conventions at kinks, hand-derived
# --------------------------------------------------------------------------------------

SQRT2PI = math.sqrt(2 * math.pi)
CONVENTIONS = [
    # text, values, value, gradients
    ("relu(x)", {"x": 0.0}, 0.0, {"x": 0.0}),
    ("relu(x)", {"x": -1.5}, 0.0, {"x": 0.0}),
    ("relu(x)", {"x": 2.0}, 2.0, {"x": 1.0}),
    ("abs(x)", {"x": 0.0}, 0.0, {"x": 0.0}),
    ("abs(x)", {"x": -3.0}, 3.0, {"x": -1.0}),
    ("|x|", {"x": 2.0}, 2.0, {"x": 1.0}),
    ("leaky_relu(x)", {"x": 0.0}, 0.0, {"x": 0.01}),
    ("leaky_relu(x)", {"x": -2.0}, -0.02, {"x": 0.01}),
    ("leaky_relu(x)", {"x": 2.0}, 2.0, {"x": 1.0}),
    ("leaky_relu(x, 0.2)", {"x": 0.0}, 0.0, {"x": 0.2}),
    ("leaky_relu(x, 0.2)", {"x": -2.0}, -0.4, {"x": 0.2}),
    ("max(x, y)", {"x": 1.0, "y": 1.0}, 1.0, {"x": 1.0, "y": 0.0}),
    ("min(x, y)", {"x": 1.0, "y": 1.0}, 1.0, {"x": 1.0, "y": 0.0}),
    ("max(x, y)", {"x": 1.0, "y": 2.0}, 2.0, {"x": 0.0, "y": 1.0}),
    ("min(x, y)", {"x": 1.0, "y": 2.0}, 1.0, {"x": 1.0, "y": 0.0}),
    ("sigmoid(x)", {"x": 0.0}, 0.5, {"x": 0.25}),
    ("softplus(x)", {"x": 0.0}, math.log(2), {"x": 0.5}),
    ("gelu(x)", {"x": 0.0}, 0.0, {"x": 0.5}),
    (
        "gelu(x)",
        {"x": 1.0},
        0.5 * (1 + math.erf(1 / math.sqrt(2))),
        {"x": 0.5 * (1 + math.erf(1 / math.sqrt(2))) + math.exp(-0.5) / SQRT2PI},
    ),
    (
        "gelu(x)",
        {"x": -2.0},
        -1.0 * (1 + math.erf(-2 / math.sqrt(2))),
        {"x": 0.5 * (1 + math.erf(-2 / math.sqrt(2))) - 2 * math.exp(-2.0) / SQRT2PI},
    ),
    ("sqrt(x)", {"x": 4.0}, 2.0, {"x": 0.25}),
    ("norm(x)", {"x": -3.0}, 3.0, {"x": -1.0}),
    ("sum(x) + mean(x)", {"x": 2.0}, 4.0, {"x": 2.0}),
    ("x + x", {"x": 2.0}, 4.0, {"x": 2.0}),
    ("x*x + x", {"x": 3.0}, 12.0, {"x": 7.0}),
    # a constant exponent needs no log of the base: fine at 0 and for negative bases
    ("x^2", {"x": 0.0}, 0.0, {"x": 0.0}),
    ("x^2", {"x": -3.0}, 9.0, {"x": -6.0}),
    ("x^3", {"x": -2.0}, -8.0, {"x": 12.0}),
    ("x^-1", {"x": -2.0}, -0.5, {"x": -0.25}),
    # numerically stable activations far from 0 (the true values are finite)
    ("sigmoid(x)", {"x": -1000.0}, 0.0, {"x": 0.0}),
    ("sigmoid(x)", {"x": 1000.0}, 1.0, {"x": 0.0}),
    ("softplus(x)", {"x": 1000.0}, 1000.0, {"x": 1.0}),
    ("softplus(x)", {"x": -1000.0}, 0.0, {"x": 0.0}),
    ("tanh(x)", {"x": 1000.0}, 1.0, {"x": 0.0}),
    ("2.5E2 x", {"x": 2.0}, 500.0, {"x": 250.0}),
    ("1e-3 x", {"x": 2.0}, 0.002, {"x": 0.001}),
]


@pytest.mark.parametrize(("text", "values", "value", "grads"), CONVENTIONS)
def test_conventions(text, values, value, grads):
    res = gnn.evaluate(text, values)
    assert float(res.value) == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert {k: float(v) for k, v in res.gradients.items()} == pytest.approx(grads, rel=1e-12, abs=1e-15)
    assert res.nonfinite == []  # every value and gradient here is finite


def test_scalar_results_are_floats():
    res = gnn.evaluate("x*y", {"x": 2, "y": 3})
    assert isinstance(res.value, float) and res.value == 6.0
    assert all(isinstance(g, float) for g in res.gradients.values())


# --------------------------------------------------------------------------------------
# Tensors, hand-derived with numpy
# --------------------------------------------------------------------------------------

rng = np.random.default_rng(20240611)
W = rng.normal(size=(2, 3))
A = rng.normal(size=(2, 3))
B = rng.normal(size=(3, 4))
U = rng.normal(size=3)
V = rng.normal(size=3)
P = rng.normal(size=2)
BIAS = rng.normal(size=2)
S = 1.7


def _case(text, values, value, grads):
    return pytest.param(text, values, value, grads, id=text)


TENSORS = [
    # matrix @ vector (output is a vector: gradients of the sum of its entries)
    _case("W @ u", {"W": W, "u": U}, W @ U, {"W": np.outer(np.ones(2), U), "u": W.T @ np.ones(2)}),
    _case("W u", {"W": W, "u": U}, W @ U, {"W": np.outer(np.ones(2), U), "u": W.T @ np.ones(2)}),
    # vector @ matrix
    _case("p @ W", {"p": P, "W": W}, P @ W, {"p": W @ np.ones(3), "W": np.outer(P, np.ones(3))}),
    _case("p W", {"p": P, "W": W}, P @ W, {"p": W @ np.ones(3), "W": np.outer(P, np.ones(3))}),
    # vector @ vector
    _case("u @ v", {"u": U, "v": V}, U @ V, {"u": V, "v": U}),
    # matrix @ matrix
    _case("A @ B", {"A": A, "B": B}, A @ B, {"A": np.ones((2, 4)) @ B.T, "B": A.T @ np.ones((2, 4))}),
    # transpose
    _case("W^T p", {"W": W, "p": P}, W.T @ P, {"W": np.outer(P, np.ones(3)), "p": W @ np.ones(3)}),
    _case("Wᵀ @ p", {"W": W, "p": P}, W.T @ P, {"W": np.outer(P, np.ones(3)), "p": W @ np.ones(3)}),
    _case(r"sum(W^\top)", {"W": W}, W.sum(), {"W": np.ones((2, 3))}),
    # broadcasting bias add
    _case("W u + b", {"W": W, "u": U, "b": BIAS}, W @ U + BIAS,
          {"W": np.outer(np.ones(2), U), "u": W.T @ np.ones(2), "b": np.ones(2)}),
    _case("u + s", {"u": U, "s": S}, U + S, {"u": np.ones(3), "s": 3.0}),
    _case("s u", {"s": S, "u": U}, S * U, {"s": U.sum(), "u": np.full(3, S)}),
    _case("2 W", {"W": W}, 2 * W, {"W": np.full((2, 3), 2.0)}),
    # elementwise
    _case("u * v", {"u": U, "v": V}, U * V, {"u": V, "v": U}),
    _case("u ⊙ v", {"u": U, "v": V}, U * V, {"u": V, "v": U}),
    _case("sigmoid(u)", {"u": U}, 1 / (1 + np.exp(-U)),
          {"u": np.exp(-U) / (1 + np.exp(-U)) ** 2}),
    _case("relu(u)", {"u": np.array([-1.0, 0.5, 2.0])}, np.array([0.0, 0.5, 2.0]),
          {"u": np.array([0.0, 1.0, 1.0])}),
    _case("tanh(u)^2", {"u": U}, np.tanh(U) ** 2, {"u": 2 * np.tanh(U) * (1 - np.tanh(U) ** 2)}),
    # reductions
    _case("sum(u)", {"u": U}, U.sum(), {"u": np.ones(3)}),
    _case("mean(u)", {"u": U}, U.mean(), {"u": np.full(3, 1 / 3)}),
    _case("norm(u)", {"u": U}, np.linalg.norm(U), {"u": U / np.linalg.norm(U)}),
    _case("||u||", {"u": U}, np.linalg.norm(U), {"u": U / np.linalg.norm(U)}),
    _case("sum(W)", {"W": W}, W.sum(), {"W": np.ones((2, 3))}),
    _case("mean(W u)", {"W": W, "u": U}, (W @ U).mean(),
          {"W": np.outer(np.full(2, 0.5), U), "u": W.T @ np.full(2, 0.5)}),
    _case("||W u - p||^2", {"W": W, "u": U, "p": P}, np.sum((W @ U - P) ** 2),
          {"W": np.outer(2 * (W @ U - P), U), "u": W.T @ (2 * (W @ U - P)), "p": -2 * (W @ U - P)}),
    _case("W + c", {"W": W, "c": np.array([1.0, 2.0, 3.0])}, W + np.array([1.0, 2.0, 3.0]),
          {"W": np.ones((2, 3)), "c": np.full(3, 2.0)}),
    _case("max(u, v)", {"u": np.array([1.0, 2.0, 3.0]), "v": np.array([1.0, 0.0, 5.0])},
          np.array([1.0, 2.0, 5.0]), {"u": np.array([1.0, 1.0, 0.0]), "v": np.array([0.0, 0.0, 1.0])}),
    _case("min(u, v)", {"u": np.array([1.0, 2.0, 3.0]), "v": np.array([1.0, 0.0, 5.0])},
          np.array([1.0, 0.0, 3.0]), {"u": np.array([1.0, 0.0, 1.0]), "v": np.array([0.0, 1.0, 0.0])}),
    _case("|u|", {"u": np.array([-1.0, 0.0, 2.0])}, np.array([1.0, 0.0, 2.0]),
          {"u": np.array([-1.0, 0.0, 1.0])}),
    _case("relu(u) + leaky_relu(u, 0.2)", {"u": np.array([-1.0, 0.0, 2.0])},
          np.array([-0.2, 0.0, 4.0]), {"u": np.array([0.2, 0.2, 2.0])}),
    _case("u^2", {"u": U}, U**2, {"u": 2 * U}),
    # integer arrays must not truncate gradients
    _case("sum(n / 2)", {"n": np.array([1, 2, 3])}, 3.0, {"n": np.full(3, 0.5)}),
    _case("sum(M k) / 4", {"M": np.array([[1, 2], [3, 4]]), "k": np.array([1, 1])}, 2.5,
          {"M": np.full((2, 2), 0.25), "k": np.array([1.0, 1.5])}),
    # concatenation
    _case("[s, u]", {"s": S, "u": U}, np.concatenate([[S], U]), {"s": 1.0, "u": np.ones(3)}),
    _case("sum([s, 2 s, u])", {"s": S, "u": U}, 3 * S + U.sum(), {"s": 3.0, "u": np.ones(3)}),
    _case("W [s, t, s]", {"W": W, "s": S, "t": 0.5}, W @ np.array([S, 0.5, S]),
          {"W": np.outer(np.ones(2), [S, 0.5, S]), "s": W[:, 0].sum() + W[:, 2].sum(),
           "t": W[:, 1].sum()}),
]


def _check_tensor(res, value, grads):
    np.testing.assert_allclose(np.asarray(res.value, dtype=float), value, rtol=1e-10, atol=1e-12)
    assert set(res.gradients) == set(grads)
    for name, expected in grads.items():
        got = np.asarray(res.gradients[name], dtype=float)
        assert got.shape == np.shape(expected), name
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(("text", "values", "value", "grads"), TENSORS)
def test_tensor_expressions(text, values, value, grads):
    _check_tensor(gnn.evaluate(text, values), value, grads)


def test_two_layer_loss_hand_derived():
    """l = 1/2 ||W2 tanh(W1 x + b) - y||^2 (seed 001, issue 2)."""
    r = np.random.default_rng(7)
    W1, W2 = r.normal(size=(4, 3)), r.normal(size=(2, 4))
    xv, b, yv = r.normal(size=3), r.normal(size=4), r.normal(size=2)
    h = np.tanh(W1 @ xv + b)
    resid = W2 @ h - yv
    loss = 0.5 * resid @ resid
    d_pre = (W2.T @ resid) * (1 - h**2)
    grads = {
        "W2": np.outer(resid, h),
        "W1": np.outer(d_pre, xv),
        "b": d_pre,
        "x": W1.T @ d_pre,
        "y": -resid,
    }
    values = {"W1": W1, "W2": W2, "x": xv, "b": b, "y": yv}
    res = gnn.evaluate("1/2 ||W2 tanh(W1 x + b) - y||^2", values)
    assert float(np.asarray(res.value)) == pytest.approx(loss, rel=1e-12)
    _check_tensor(res, loss, grads)
    # the same through the LaTeX subscripts and an explicit program
    program = "h = tanh(W_1 @ x + b)\nr = W_2 @ h - y\nl = \\frac{1}{2} ||r||^2"
    res2 = gnn.evaluate(program, {"W_1": W1, "W_2": W2, "x": xv, "b": b, "y": yv})
    _check_tensor(res2, loss, {("W_1" if k == "W1" else "W_2" if k == "W2" else k): v
                               for k, v in grads.items()})


def test_tensor_values_given_as_lists():
    res = gnn.evaluate("W x", {"W": [[1, 2], [3, 4]], "x": [1, 1]})
    _check_tensor(res, np.array([3.0, 7.0]), {"W": np.ones((2, 2)), "x": np.array([4.0, 6.0])})


# --------------------------------------------------------------------------------------
# Batch mode: arrays of N points for a scalar expression
# --------------------------------------------------------------------------------------

BATCH = [
    "sin(xy)/z + e^<xz>/(xy)",
    "x^2 y + relu(z - x)",
    "σ(x) tanh(y) - z/x",
    "a = x*y + z; b = (x + x)*a; w = a*b",
]


@pytest.mark.parametrize("text", BATCH)
def test_batch_matches_pointwise(text):
    r = np.random.default_rng(3)
    n = 6
    xs = r.uniform(0.3, 2.0, n)
    ys = r.uniform(-2.0, 2.0, n)
    zs = r.uniform(0.3, 2.0, n)
    res = gnn.evaluate(text, {"x": xs, "y": ys, "z": zs})
    values = np.asarray(res.value, dtype=float)
    assert values.shape == (n,)
    for name in "xyz":
        assert np.asarray(res.gradients[name]).shape == (n,)
    for i in range(n):
        point = gnn.evaluate(text, {"x": float(xs[i]), "y": float(ys[i]), "z": float(zs[i])})
        assert values[i] == pytest.approx(point.value, rel=1e-12, abs=1e-14)
        for name in "xyz":
            assert res.gradients[name][i] == pytest.approx(point.gradients[name], rel=1e-12, abs=1e-14)


def test_batch_design_example_against_sympy():
    f = sp.sin(x * y) / z + sp.exp(x * z) / (x * y)
    xs, ys, zs = np.array([1.0, 0.5, 2.0]), np.array([2.0, -1.0, 0.25]), np.array([3.0, 1.0, -0.5])
    res = gnn.evaluate("sin(xy)/z + e^<xz>/(xy)", {"x": xs, "y": ys, "z": zs})
    for i in range(3):
        subs = {x: xs[i], y: ys[i], z: zs[i]}
        assert res.value[i] == pytest.approx(sympy_number(f, subs), rel=1e-10)
        for sym in (x, y, z):
            expected = sympy_number(sp.diff(f, sym), subs)
            assert res.gradients[sym.name][i] == pytest.approx(expected, rel=1e-9)
