"""Every user error: its class, message, and where the caret points (columns counted by hand)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphviz_nn as gnn
from graphviz_nn.errors import LimitError


def caret_column(rendered: str) -> int:
    """1-based column of the first '^' on the last line of a rendered error."""
    last = rendered.splitlines()[-1]
    assert re.fullmatch(r"  *\^+", last), rendered
    return last.index("^") - 2 + 1


# --------------------------------------------------------------------------------------
# Syntax errors: (text, values, error class, message substring, line, column)
# --------------------------------------------------------------------------------------

SYNTAX = [
    ("sin(x)) + 1", {"x": 1}, gnn.ParseError, "unexpected ')'", 1, 7),
    (")x", {"x": 1}, gnn.ParseError, "unexpected ')'", 1, 1),
    ("x + )", {"x": 1}, gnn.ParseError, "unexpected ')'", 1, 5),
    ("x +", {"x": 1}, gnn.ParseError, "unexpected end of input", 1, 4),
    ("x * y /", {"x": 1, "y": 1}, gnn.ParseError, "unexpected end of input", 1, 8),
    ("", {}, gnn.ParseError, "empty input", 1, 1),
    ("x $ y", {"x": 1, "y": 1}, gnn.ParseError, "unknown character '$'", 1, 3),
    ("$x", {"x": 1}, gnn.ParseError, "unknown character '$'", 1, 1),
    ("sin(x + 1", {"x": 1}, gnn.ParseError, "unclosed '('", 1, 4),
    ("(x + (y * 2)", {"x": 1, "y": 1}, gnn.ParseError, "unclosed '('", 1, 1),
    ("2 * (x + sin(y)", {"x": 1, "y": 1}, gnn.ParseError, "unclosed '('", 1, 5),
    ("a = x; a = y", {"x": 1, "y": 1}, gnn.GnnError, "'a' is assigned twice", 1, 8),
    ("x = 2; x = 3", {}, gnn.GnnError, "'x' is assigned twice", 1, 8),
    # multi-line programs report the line too
    ("a = x\nb = a\na = y", {"x": 1, "y": 1}, gnn.GnnError, "'a' is assigned twice", 3, 1),
    ("a = x\nb = $", {"x": 1}, gnn.ParseError, "unknown character '$'", 2, 5),
    ("a = x\nb = (a + 1", {"x": 1}, gnn.ParseError, "unclosed '('", 2, 5),
    ("a = x\nb = a))", {"x": 1}, gnn.ParseError, "unexpected ')'", 2, 6),
    ("# comment\n\nw = sin(x)) ", {"x": 1}, gnn.ParseError, "unexpected ')'", 3, 11),
]


@pytest.mark.parametrize(("text", "values", "cls", "message", "line", "column"), SYNTAX)
def test_syntax_errors(text, values, cls, message, line, column):
    with pytest.raises(cls) as info:
        gnn.evaluate(text, values)
    err = info.value
    assert isinstance(err, gnn.GnnError)
    assert message in err.message
    assert err.location is not None
    assert (err.location.line, err.location.column) == (line, column)
    assert err.span[0] == _offset(text, line, column)
    rendered = err.render()
    where = f"at line {line}, column {column}" if "\n" in text else f"at column {column}"
    assert where in rendered.splitlines()[0]
    assert rendered.splitlines()[-2] == "  " + text.splitlines()[line - 1] if text else True
    assert caret_column(rendered) == column
    assert str(err) == rendered


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(s) + 1 for s in lines[: line - 1]) + column - 1


def test_render_of_the_documented_example():
    with pytest.raises(gnn.ParseError) as info:
        gnn.evaluate("sin(x)) + 1", {"x": 1})
    assert info.value.render() == "unexpected ')' at column 7\n  sin(x)) + 1\n        ^"


def test_canonical_raises_the_same_errors():
    with pytest.raises(gnn.ParseError) as info:
        gnn.canonical("sin(x)) + 1")
    assert info.value.location.column == 7


# --------------------------------------------------------------------------------------
# Unknown functions
# --------------------------------------------------------------------------------------

UNKNOWN = [
    ("foo(x)", "foo", 1),
    ("sigmod(x)", "sigmod", 1),
    ("2 + relux(x)", "relux", 5),
    ("a = x\nb = sigmoidal(a)", "sigmoidal", 5),
]


@pytest.mark.parametrize(("text", "name", "column"), UNKNOWN)
def test_unknown_function(text, name, column):
    with pytest.raises(gnn.UnknownNameError) as info:
        gnn.evaluate(text, {"x": 1.0})
    err = info.value
    assert f"unknown function '{name}'" in err.message
    for known in ("sin", "exp", "relu", "sigmoid", "tanh"):
        assert known in err.message  # the message lists the known functions
    assert err.location.column == column


@pytest.mark.parametrize(("text", "value"), [("x(y)", 6.0), ("x(y + 1)", 8.0)])
def test_single_letter_before_paren_is_a_product(text, value):
    assert gnn.evaluate(text, {"x": 2.0, "y": 3.0}).value == pytest.approx(value)


# --------------------------------------------------------------------------------------
# Missing values
# --------------------------------------------------------------------------------------

MISSING = [
    ("x*y + z", {"y": 1.0}, ["x", "z"], "missing values for inputs: x, z"),
    ("sin(xy)/z + e^<xz>/(xy)", {"y": 2.0}, ["x", "z"], "missing values for inputs: x, z"),
    ("z + y*x", {}, ["z", "y", "x"], "missing values for inputs: z, y, x"),
    ("x + 1", {}, ["x"], "missing value for input: x"),
    ("α + w_{10}", {}, ["alpha", "w_10"], "missing values for inputs: alpha, w_10"),
    ("a = 2; b = a*x", {}, ["x"], "missing value for input: x"),
]


@pytest.mark.parametrize(("text", "values", "names", "message"), MISSING)
def test_missing_values(text, values, names, message):
    with pytest.raises(gnn.MissingValueError) as info:
        gnn.evaluate(text, values)
    assert info.value.names == names
    assert message in info.value.message


# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------

SHAPES = [
    ("W @ v", {"W": np.ones((2, 3)), "v": np.ones(4)}, ["2×3", "4"]),
    ("W v", {"W": np.ones((2, 3)), "v": np.ones(4)}, ["2×3", "4"]),
    ("u + v", {"u": np.ones(2), "v": np.ones(3)}, ["2", "3"]),
    ("A @ B", {"A": np.ones((2, 3)), "B": np.ones((2, 3))}, ["2×3"]),
    ("s @ v", {"s": 2.0, "v": np.ones(3)}, ["scalar", "3"]),
]


@pytest.mark.parametrize(("text", "values", "parts"), SHAPES)
def test_shape_errors(text, values, parts):
    with pytest.raises(gnn.ShapeError) as info:
        gnn.evaluate(text, values)
    for part in parts:
        assert part in info.value.message


# --------------------------------------------------------------------------------------
# Non-finite results are values, never exceptions
# --------------------------------------------------------------------------------------

NONFINITE = [
    ("log(x)", {"x": 0.0}, -math.inf, {"x": math.inf}),
    ("1/x", {"x": 0.0}, math.inf, {"x": -math.inf}),
    ("exp(x)", {"x": 1000.0}, math.inf, {"x": math.inf}),
    ("x/x", {"x": 0.0}, math.nan, None),
    ("sqrt(x)", {"x": -1.0}, math.nan, None),
]


@pytest.mark.parametrize(("text", "values", "value", "grads"), NONFINITE)
def test_nonfinite_results(text, values, value, grads):
    res = gnn.evaluate(text, values)
    if math.isnan(value):
        assert math.isnan(res.value)
    else:
        assert res.value == value
    if grads is not None:
        assert res.gradients == grads
    assert res.nonfinite, "nonfinite should list node ids"
    assert all(n in res.graph for n in res.nonfinite)
    assert res.graph.graph["output"] in res.nonfinite
    assert res.warnings


def test_finite_result_has_no_warnings():
    res = gnn.evaluate("log(x)", {"x": 2.0})
    assert not res.nonfinite
    assert not res.warnings


# --------------------------------------------------------------------------------------
# Limits: deep nesting and big inputs never give a RecursionError
# --------------------------------------------------------------------------------------

def _limit_or_value(text, values, expected):
    try:
        res = gnn.evaluate(text, values)
    except LimitError as err:
        assert err.message
        return
    assert res.value == pytest.approx(expected)


def test_deep_parentheses():
    _limit_or_value("(" * 10_000 + "x" + ")" * 10_000, {"x": 1.5}, 1.5)


def test_deep_brackets_mixed():
    _limit_or_value("[{(" * 3_400 + "x" + ")}]" * 3_400, {"x": 1.5}, 1.5)


def test_deep_function_nesting():
    value = 0.5
    for _ in range(10_000):
        value = math.sin(value)
    _limit_or_value("sin(" * 10_000 + "x" + ")" * 10_000, {"x": 0.5}, value)


def test_deep_unary_minus():
    _limit_or_value("-" * 10_000 + "x", {"x": 2.0}, 2.0)


def test_deep_power_tower():
    _limit_or_value("^".join(["x"] * 10_000), {"x": 1.0}, 1.0)


def test_long_sum_evaluates():
    res = gnn.evaluate("+".join(["x"] * 10_000), {"x": 0.5})
    assert res.value == pytest.approx(5_000.0)
    assert res.gradients["x"] == pytest.approx(10_000.0)


def test_long_product_evaluates():
    res = gnn.evaluate("*".join(["x"] * 10_000), {"x": 1.0})
    assert res.value == pytest.approx(1.0)
    assert res.gradients["x"] == pytest.approx(10_000.0)


def test_hundred_thousand_node_program_evaluates():
    n = 100_000
    lines = ["x = 1", "s1 = x + x"] + [f"s{i} = s{i - 1} + x" for i in range(2, n)]
    res = gnn.evaluate("\n".join(lines), {})
    assert res.graph.number_of_nodes() == n
    assert res.value == pytest.approx(float(n))
    assert res.gradients["x"] == pytest.approx(float(n))


def test_limit_error_is_a_gnn_error():
    assert issubclass(LimitError, gnn.GnnError)


# --------------------------------------------------------------------------------------
# Malformed input is always a GnnError with a position, never another exception
# --------------------------------------------------------------------------------------

MALFORMED = [
    "sin()", "max(x)", "max(x, y, z)", "= x", "x =", "a = ", ",", "[,]", "x, y", "(x, y)",
    r"\frac{x}", r"\sqrt", "e^", "|x", "||x|", "x^", "((", "))", r"\unknowncmd x",
    "2..3", "2.5.1", "x \\ y",
    "x y = 3", "1 = x", "a = b = c", "sin", "x +* y", "x ** ** y", "[[1, 2], [3]]", "{x", "x}",
    "e^<x", "e^<>", "a = x\n= 2", "@x", "x @", "_x", "x_", "x_{", r"\left( x",
    "leaky_relu(x, y, z)", "#only a comment", "   ", ";",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_input_is_a_gnn_error(text):
    with pytest.raises(gnn.GnnError) as info:
        gnn.canonical(text)
    err = info.value
    assert err.message
    if err.span is not None:
        assert 0 <= err.span[0] <= err.span[1] <= len(text)
    assert "Traceback" not in err.render()


TOKENS = [
    "x", "y", "xy", "2", ".5", "1e-3", "+", "-", "*", "/", "^", "**", "@", "(", ")", "[", "]",
    "{", "}", "|", "||", ",", ";", "\n", "=", "a", "a =", "sin", "sin(", "max(", r"\frac",
    r"\sqrt", r"\alpha", "α", "e^", "e^<", ">", "_", "_{", "1", " ", "#", "ᵀ", "^T", "π",
    "σ", "⊙", "$", "leaky_relu(", r"\left(", r"\right)", r"\cdot",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=14))
def test_random_token_soup_never_crashes(tokens):
    text = "".join(tokens).replace("\\n", "\n")
    values = {"x": 0.7, "y": 1.3, "a": 0.2, "e": 1.0, "alpha": 0.5}
    try:
        res = gnn.evaluate(text, {k: v for k, v in values.items() if k != "e"})
    except gnn.GnnError as err:
        err.render()
        return
    assert res.canonical
