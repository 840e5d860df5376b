"""Golden parser tests: text -> canonical reading, plus the shape of the graph built from it.

Every expected string below is written by hand from the specification (issue 2), never
produced by running the parser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import graphviz_nn as gnn

ROOT = Path(__file__).resolve().parents[2]


def canonical(text: str) -> str:
    """The canonical reading of ``text`` without giving any values."""
    return gnn.canonical(text)


# --------------------------------------------------------------------------------------
# Operators, precedence, associativity
# --------------------------------------------------------------------------------------

OPERATORS = [
    ("x + y", "(x + y)"),
    ("x - y", "(x - y)"),
    ("x * y", "(x * y)"),
    ("x / y", "(x / y)"),
    ("x ^ y", "(x ^ y)"),
    ("x @ y", "(x @ y)"),
    ("x ** y", "(x ^ y)"),
    ("x ⊙ y", "(x * y)"),
    ("x · y", "(x * y)"),
    ("x × y", "(x * y)"),
    (r"x \cdot y", "(x * y)"),
    (r"x \times y", "(x * y)"),
    ("a + b * c", "(a + (b * c))"),
    ("a * b + c", "((a * b) + c)"),
    ("(a + b) * c", "((a + b) * c)"),
    ("a - b - c", "((a - b) - c)"),
    ("a / b / c", "((a / b) / c)"),
    ("a - b + c", "((a - b) + c)"),
    ("a / b * c", "((a / b) * c)"),
    ("a + b ^ c", "(a + (b ^ c))"),
    ("a * b ^ c", "(a * (b ^ c))"),
    ("2^3^2", "(2 ^ (3 ^ 2))"),
    ("x**y**z", "(x ^ (y ^ z))"),
    ("-x", "(-x)"),
    ("+x", "x"),
    ("-x^2", "(-(x ^ 2))"),
    ("(-x)^2", "((-x) ^ 2)"),
    ("x^-1", "(x ^ (-1))"),
    ("--x", "(-(-x))"),
    ("x - -y", "(x - (-y))"),
    ("x * -y", "(x * (-y))"),
    ("-x + y", "((-x) + y)"),
    ("x + +y", "(x + y)"),
    ("((x))", "x"),
    ("[x + 1]", "(x + 1)"),
    ("{x + 1}", "(x + 1)"),
    ("2 * [x + 1]", "(2 * (x + 1))"),
    ("x@y@z", "((x @ y) @ z)"),
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS)
def test_operators(text, expected):
    assert canonical(text) == expected


# --------------------------------------------------------------------------------------
# Numbers, constants, names
# --------------------------------------------------------------------------------------

NUMBERS_AND_NAMES = [
    ("2", "2"),
    ("10", "10"),
    ("2.0", "2"),
    ("2.50", "2.5"),
    ("2.5E2", "250"),
    ("1.5e1", "15"),
    (".5", "0.5"),
    ("0.1", "0.1"),
    ("3.14", "3.14"),
    ("1e-3", "0.001"),
    ("e", "e"),
    ("pi", "pi"),
    ("π", "pi"),
    (r"\pi", "pi"),
    ("x", "x"),
    ("α", "alpha"),
    ("alpha", "alpha"),
    (r"\alpha", "alpha"),
    ("θ", "theta"),
    (r"\theta", "theta"),
    ("beta", "beta"),
    ("w_{10}", "w_10"),
    ("w_10", "w_10"),
    ("w_1", "w_1"),
    ("w1", "w1"),
    ("x0", "x0"),
    ("w01", "w01"),
    ("W2", "W2"),
    (r"\alpha + \beta", "(alpha + beta)"),
    ("α x", "(alpha * x)"),
    ("alpha * x", "(alpha * x)"),
    (r"w_{10} x_{1}", "(w_10 * x_1)"),
    (r"\pi r^2", "(pi * (r ^ 2))"),
    ("2 pi", "(2 * pi)"),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS_AND_NAMES)
def test_numbers_constants_names(text, expected):
    assert canonical(text) == expected


# --------------------------------------------------------------------------------------
# Implicit multiplication
# --------------------------------------------------------------------------------------

JUXTAPOSITION = [
    ("xy", "(x * y)"),
    ("xyz", "((x * y) * z)"),
    ("ab + c", "((a * b) + c)"),
    ("loss", "(((l * o) * s) * s)"),
    ("1/xy", "(1 / (x * y))"),
    ("1/x y", "((1 / x) * y)"),
    ("1/2 x", "((1 / 2) * x)"),
    ("2x", "(2 * x)"),
    ("2 x", "(2 * x)"),
    ("2(x + 1)", "(2 * (x + 1))"),
    ("x(y+1)", "(x * (y + 1))"),
    ("(a+b)(c-d)", "((a + b) * (c - d))"),
    ("sin(x)cos(y)", "(sin(x) * cos(y))"),
    ("w0 x0", "(w0 * x0)"),
    ("3x^2y", "((3 * (x ^ 2)) * y)"),
    ("x^2 y", "((x ^ 2) * y)"),
    ("x^2y^3", "((x ^ 2) * (y ^ 3))"),
    ("2x^2 + 3x + 1", "(((2 * (x ^ 2)) + (3 * x)) + 1)"),
    ("(x+1)^2(x-1)", "(((x + 1) ^ 2) * (x - 1))"),
    ("e^xy", "(exp(x) * y)"),
    ("2 e^x", "(2 * exp(x))"),
    ("a b c", "((a * b) * c)"),
    ("x y + z", "((x * y) + z)"),
    ("x / y z", "((x / y) * z)"),
]


@pytest.mark.parametrize(("text", "expected"), JUXTAPOSITION)
def test_juxtaposition(text, expected):
    assert canonical(text) == expected


# --------------------------------------------------------------------------------------
# Functions, exp, special brackets
# --------------------------------------------------------------------------------------

FUNCTIONS = [
    ("sin(x)", "sin(x)"),
    ("sin(x*y)", "sin((x * y))"),
    ("sin(xy)", "sin((x * y))"),
    ("cos(x)", "cos(x)"),
    ("tan(x)", "tan(x)"),
    ("tanh(x)", "tanh(x)"),
    ("sqrt(x)", "sqrt(x)"),
    ("abs(x)", "abs(x)"),
    ("relu(x)", "relu(x)"),
    ("softplus(x)", "softplus(x)"),
    ("gelu(x)", "gelu(x)"),
    ("sum(x)", "sum(x)"),
    ("mean(x)", "mean(x)"),
    ("norm(x)", "norm(x)"),
    ("leaky_relu(x)", "leaky_relu(x)"),
    ("leaky_relu(x, 0.2)", "leaky_relu(x, 0.2)"),
    ("max(x, y)", "max(x, y)"),
    ("min(x, y + 1)", "min(x, (y + 1))"),
    ("log(x)", "log(x)"),
    ("ln(x)", "log(x)"),
    (r"\ln(x)", "log(x)"),
    ("sigmoid(x)", "sigmoid(x)"),
    ("σ(x)", "sigmoid(x)"),
    (r"\sigma(x)", "sigmoid(x)"),
    ("exp(x)", "exp(x)"),
    (r"\exp(x)", "exp(x)"),
    ("e^x", "exp(x)"),
    ("e^2", "exp(2)"),
    ("e^{x+1}", "exp((x + 1))"),
    ("e^(x+1)", "exp((x + 1))"),
    ("e^<x+1>", "exp((x + 1))"),
    ("e^<xz>", "exp((x * z))"),
    ("e^{-x}", "exp((-x))"),
    ("e^-x", "exp((-x))"),
    (r"\sin x", "sin(x)"),
    ("sin x", "sin(x)"),
    (r"\cos x + 1", "(cos(x) + 1)"),
    (r"\exp x", "exp(x)"),
    ("sin(cos(x))", "sin(cos(x))"),
    ("|x|", "abs(x)"),
    ("|x - y|", "abs((x - y))"),
    ("||v||", "norm(v)"),
    ("||x - y||^2", "(norm((x - y)) ^ 2)"),
    ("v^T", "transpose(v)"),
    ("vᵀ", "transpose(v)"),
    (r"v^\top", "transpose(v)"),
    ("e^x^2", "exp((x ^ 2))"),
    ("e^{x}y", "(exp(x) * y)"),
    ("pi^2", "(pi ^ 2)"),
    ("2 e", "(2 * e)"),
    ("sin(x)^2", "(sin(x) ^ 2)"),
    ("-sin(x)", "(-sin(x))"),
    ("2 sin x", "(2 * sin(x))"),
    (r"\sin x \cos y", "(sin(x) * cos(y))"),
    ("|x| + |y|", "(abs(x) + abs(y))"),
    ("2|x|", "(2 * abs(x))"),
    ("|x|y", "(abs(x) * y)"),
    ("||v|| + ||w||", "(norm(v) + norm(w))"),
    ("[a, b]", "[a, b]"),
    ("[a, b, c]", "[a, b, c]"),
    ("[x + 1, 2y]", "[(x + 1), (2 * y)]"),
]


@pytest.mark.parametrize(("text", "expected"), FUNCTIONS)
def test_functions(text, expected):
    assert canonical(text) == expected


# --------------------------------------------------------------------------------------
# The LaTeX subset
# --------------------------------------------------------------------------------------

DESIGN = "sin(xy)/z + e^<xz>/(xy)"
DESIGN_CANONICAL = "((sin((x * y)) / z) + (exp((x * z)) / (x * y)))"

LATEX = [
    (DESIGN, DESIGN_CANONICAL),
    (r"\frac{\sin(xy)}{z} + \frac{e^{xz}}{xy}", DESIGN_CANONICAL),
    (r"\frac{a}{b}", "(a / b)"),
    (r"\frac{1}{2} x^{2}", "((1 / 2) * (x ^ 2))"),
    (r"\sqrt{a}", "sqrt(a)"),
    (r"\sqrt{x^2 + y^2}", "sqrt(((x ^ 2) + (y ^ 2)))"),
    (r"\sin(x) \cdot \cos(y)", "(sin(x) * cos(y))"),
    (r"x \times y", "(x * y)"),
    (r"\left( x + y \right)^{2}", "((x + y) ^ 2)"),
    (r"\left(x + y\right) z", "((x + y) * z)"),
    (r"x^{2}", "(x ^ 2)"),
    (r"x^{y+1}", "(x ^ (y + 1))"),
    (r"e^{2x}", "exp((2 * x))"),
    (r"\tanh(x)", "tanh(x)"),
    (r"\sigma(z)", "sigmoid(z)"),
    (r"\ln(x)", "log(x)"),
    (r"\exp(x)", "exp(x)"),
    (r"\alpha_{1}", "alpha_1"),
    (r"w_{10}", "w_10"),
    (r"\theta x", "(theta * x)"),
    (r"x^{-1}", "(x ^ (-1))"),
    (r"2\cdot x", "(2 * x)"),
    (r"x\times y", "(x * y)"),
    (r"\alpha\beta", "(alpha * beta)"),
    (r"\frac{1}{1 + e^{-z}}", "(1 / (1 + exp((-z))))"),
    (r"e^{-x^2/2}", "exp(((-(x ^ 2)) / 2))"),
    (r"\frac{1}{\sqrt{2\pi}} e^{-x^2/2}", "((1 / sqrt((2 * pi))) * exp(((-(x ^ 2)) / 2)))"),
    (r"\beta_0 + \beta_1 x", "(beta_0 + (beta_1 * x))"),
    (r"x_1^2", "(x_1 ^ 2)"),
]


@pytest.mark.parametrize(("text", "expected"), LATEX)
def test_latex_subset(text, expected):
    assert canonical(text) == expected


# --------------------------------------------------------------------------------------
# Programs
# --------------------------------------------------------------------------------------

PROGRAMS = [
    (
        "a = x*y + z; b = (x + x)*a; w = a*b",
        "a = ((x * y) + z); b = ((x + x) * a); w = (a * b)",
    ),
    (
        "a = x*y + z\nb = (x + x)*a\nw = a*b",
        "a = ((x * y) + z); b = ((x + x) * a); w = (a * b)",
    ),
    (
        "# a comment line\na = x*y  # trailing comment\nb = a + 1\n",
        "a = (x * y); b = (a + 1)",
    ),
    ("x = 2; y = x^2", "x = 2; y = (x ^ 2)"),
    ("a = x\n\n\nb = a*2", "a = x; b = (a * 2)"),
    ("a = x\t+\ty;b = a", "a = (x + y); b = a"),
    ("x = 2.0\ny = 3x", "x = 2; y = (3 * x)"),
    ("yhat = w*x; loss = (yhat - y)^2", "yhat = (w * x); loss = ((yhat - y) ^ 2)"),
    ("h = relu(w x + b)\nout = h^2", "h = relu(((w * x) + b)); out = (h ^ 2)"),
]


@pytest.mark.parametrize(("text", "expected"), PROGRAMS)
def test_programs(text, expected):
    assert canonical(text) == expected


# Names that were given a value (or assigned) stay whole.
WHOLE_NAMES = [
    ("loss", {"loss": 1.0}, "loss"),
    ("loss * 2", {"loss": 1.0}, "(loss * 2)"),
    ("yhat - y", {"yhat": 1.0, "y": 2.0}, "(yhat - y)"),
    ("xy", {"xy": 3.0}, "xy"),
    ("xy", {"x": 1.0, "y": 3.0}, "(x * y)"),
]


@pytest.mark.parametrize(("text", "values", "expected"), WHOLE_NAMES)
def test_names_given_values_stay_whole(text, values, expected):
    assert gnn.evaluate(text, values).canonical == expected


# Juxtaposition of tensors: the operation depends on the shapes, so these need values.
W23 = np.arange(6.0).reshape(2, 3)
TENSOR_JUXTAPOSITION = [
    ("W x", {"W": W23, "x": np.ones(3)}, "(W @ x)"),
    ("W x + b", {"W": W23, "x": np.ones(3), "b": np.ones(2)}, "((W @ x) + b)"),
    ("2 W", {"W": W23}, "(2 * W)"),
    ("s W", {"s": 2.0, "W": W23}, "(s * W)"),
    ("v W", {"v": np.ones(2), "W": W23}, "(v @ W)"),
    # a transposed vector is a row: juxtaposed with a vector or a matrix it is a matrix product
    ("x^T A x", {"x": np.ones(2), "A": np.eye(2)}, "((transpose(x) @ A) @ x)"),
    ("xᵀ y", {"x": np.ones(2), "y": np.ones(2)}, "(transpose(x) @ y)"),
    ("w^T x + b", {"w": np.ones(2), "x": np.ones(2), "b": 1.0}, "((transpose(w) @ x) + b)"),
    ("1/2 x^T A x - b^T x", {"x": np.ones(2), "A": np.eye(2), "b": np.ones(2)},
     "(((((1 / 2) * transpose(x)) @ A) @ x) - (transpose(b) @ x))"),
    ("-x^T A x", {"x": np.ones(2), "A": np.eye(2)}, "(((-transpose(x)) @ A) @ x)"),
    ("x y", {"x": np.ones(2), "y": np.ones(2)}, "(x * y)"),  # two batches of points: elementwise
    ("(A x) y", {"x": np.ones(2), "y": np.ones(2), "A": np.eye(2)}, "((A @ x) * y)"),  # A x is a column
    (
        "1/2 ||W2 tanh(W1 x + b) - y||^2",
        {
            "W1": np.ones((3, 2)),
            "W2": np.ones((2, 3)),
            "x": np.ones(2),
            "b": np.ones(3),
            "y": np.ones(2),
        },
        "((1 / 2) * (norm(((W2 @ tanh(((W1 @ x) + b))) - y)) ^ 2))",
    ),
]


@pytest.mark.parametrize(("text", "values", "expected"), TENSOR_JUXTAPOSITION)
def test_tensor_juxtaposition(text, values, expected):
    assert gnn.evaluate(text, values).canonical == expected


def test_canonical_of_evaluation_matches_canonical_function():
    res = gnn.evaluate(DESIGN, {"x": 1, "y": 2, "z": 3})
    assert res.canonical == DESIGN_CANONICAL
    assert res.graph.graph["canonical"] == DESIGN_CANONICAL
    assert res.graph.graph["source"] == DESIGN


# --------------------------------------------------------------------------------------
# Graph structure
# --------------------------------------------------------------------------------------

XYZ = {"x": 1.0, "y": 2.0, "z": 3.0}


def _num(node_id: str) -> int:
    assert node_id.startswith("n")
    return int(node_id[1:])


def _products_of(graph, a: str, b: str) -> list[str]:
    """Op nodes 'mul' whose two operands are the inputs named a and b."""
    found = []
    for n, data in graph.nodes(data=True):
        if data.get("op") != "mul":
            continue
        names = sorted(graph.nodes[u].get("name") for u, _ in graph.in_edges(n))
        if names == sorted([a, b]):
            found.append(n)
    return found


def test_design_example_shares_xy_when_merging():
    g = gnn.evaluate(DESIGN, XYZ).graph
    xy = _products_of(g, "x", "y")
    assert len(xy) == 1
    assert g.out_degree(xy[0]) == 2
    kinds = sorted(d["kind"] for _, d in g.nodes(data=True))
    assert kinds.count("input") == 3
    assert kinds.count("op") == 7
    assert g.number_of_nodes() == 10
    assert g.number_of_edges() == 12
    assert g.graph["inputs"].keys() == {"x", "y", "z"}


def test_design_example_keeps_two_xy_nodes_without_merging():
    g = gnn.evaluate(DESIGN, XYZ, merge=False).graph
    assert len(_products_of(g, "x", "y")) == 2


def test_design_example_same_value_with_and_without_merging():
    merged = gnn.evaluate(DESIGN, XYZ)
    tree = gnn.evaluate(DESIGN, XYZ, merge=False)
    assert merged.value == pytest.approx(tree.value, rel=1e-12)
    for name in "xyz":
        assert merged.gradients[name] == pytest.approx(tree.gradients[name], rel=1e-12)


def test_design_example_ops():
    g = gnn.evaluate(DESIGN, XYZ).graph
    ops = sorted(d["op"] for _, d in g.nodes(data=True) if d["kind"] == "op")
    assert ops.count("mul") == 2
    assert ops.count("add") == 1
    assert ops.count("exp") == 1
    assert ops.count("sin") == 1
    assert "pow" not in ops  # e^<..> is one exp node, not a power
    out = g.graph["output"]
    assert g.nodes[out]["op"] == "add"
    assert g.out_degree(out) == 0


def test_x_plus_x_has_two_parallel_edges():
    g = gnn.evaluate("x + x", {"x": 2.0}).graph
    assert g.number_of_nodes() == 2
    x = g.graph["inputs"]["x"]
    out = g.graph["output"]
    assert (x, out) == ("n0", "n1")
    assert g.number_of_edges(x, out) == 2
    edges = sorted(g.edges(keys=True, data=True), key=lambda e: e[2])
    assert [(u, v, k) for u, v, k, _ in edges] == [("n0", "n1", 0), ("n0", "n1", 1)]
    assert [d["arg"] for *_, d in edges] == [0, 1]


def test_edge_key_is_argument_position():
    g = gnn.evaluate("x - y", {"x": 1.0, "y": 2.0}).graph
    out = g.graph["output"]
    by_arg = {k: g.nodes[u]["name"] for u, v, k in g.in_edges(out, keys=True)}
    assert by_arg == {0: "x", 1: "y"}
    for u, v, k, d in g.edges(keys=True, data=True):
        assert d["arg"] == k


@pytest.mark.parametrize(
    "text, values",
    [
        (DESIGN, XYZ),
        ("a = x*y + z; b = (x + x)*a; w = a*b", XYZ),
        ("1/2 ||W x - y||^2", {"W": W23, "x": np.ones(3), "y": np.ones(2)}),
    ],
)
def test_node_ids_are_contiguous_and_topological(text, values):
    g = gnn.evaluate(text, values).graph
    assert sorted(g.nodes, key=_num) == [f"n{i}" for i in range(g.number_of_nodes())]
    for u, v in g.edges():
        assert _num(u) < _num(v)  # operands are created before the op that uses them
    for n, d in g.nodes(data=True):
        assert d["kind"] in ("input", "constant", "op")
        if d["kind"] == "op":
            assert isinstance(d["op"], str)
        else:
            assert g.in_degree(n) == 0


def _snapshot(res) -> tuple:
    g = res.graph
    nodes = [
        (n, d["kind"], d.get("op"), d.get("name"), d.get("label"), tuple(d.get("shape", ())))
        for n, d in sorted(g.nodes(data=True), key=lambda nd: _num(nd[0]))
    ]
    edges = sorted((u, v, k) for u, v, k in g.edges(keys=True))
    return nodes, edges


def test_node_ids_deterministic_within_a_process():
    text = "a = x*y + z; b = (x + x)*a; w = a*b + sin(xy)/z"
    assert _snapshot(gnn.evaluate(text, XYZ)) == _snapshot(gnn.evaluate(text, XYZ))


def test_node_ids_deterministic_across_processes():
    outputs = []
    for seed in ("1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.run(
            [sys.executable, "-m", "graphviz_nn", "eval", DESIGN,
             "--at", "x=1", "--at", "y=2", "--at", "z=3", "--json"],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        outputs.append(
            ([(n["id"], n["label"], n["kind"], n["op"]) for n in data["nodes"]],
             [(e["source"], e["target"], e["arg"]) for e in data["edges"]])
        )
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    "text, values, name, label",
    [
        ("alpha * x", {"alpha": 1.0, "x": 2.0}, "alpha", "α"),
        ("α * x", {"alpha": 1.0, "x": 2.0}, "alpha", "α"),
        ("w_0 * x", {"w_0": 1.0, "x": 2.0}, "w_0", "w₀"),
        ("w_{10} + x", {"w_10": 1.0, "x": 2.0}, "w_10", "w₁₀"),
        ("x + 1", {"x": 1.0}, "x", "x"),
    ],
)
def test_input_names_and_labels(text, values, name, label):
    g = gnn.evaluate(text, values).graph
    node = g.graph["inputs"][name]
    assert g.nodes[node]["kind"] == "input"
    assert g.nodes[node]["name"] == name
    assert g.nodes[node]["label"] == label


def test_greek_spellings_are_one_input():
    res = gnn.evaluate(r"alpha + α + \alpha", {"alpha": 2.0})
    assert list(res.graph.graph["inputs"]) == ["alpha"]
    assert res.value == pytest.approx(6.0)
    assert res.gradients == {"alpha": pytest.approx(3.0)}


def test_inputs_in_first_use_order():
    g = gnn.evaluate("z + y*x", XYZ).graph
    assert list(g.graph["inputs"]) == ["z", "y", "x"]


@pytest.mark.parametrize(
    "text, values, kinds",
    [
        ("2*x", {"x": 1.0}, {"constant": 1, "input": 1, "op": 1}),
        ("pi*x", {"x": 1.0}, {"constant": 1, "input": 1, "op": 1}),
        ("e^x", {"x": 1.0}, {"input": 1, "op": 1}),
    ],
)
def test_node_kinds(text, values, kinds):
    g = gnn.evaluate(text, values).graph
    counted: dict[str, int] = {}
    for _, d in g.nodes(data=True):
        counted[d["kind"]] = counted.get(d["kind"], 0) + 1
    assert counted == kinds


def test_program_names_intermediate_nodes():
    g = gnn.evaluate("a = x*y + z; b = (x + x)*a; w = a*b", XYZ).graph
    named = {d["name"]: n for n, d in g.nodes(data=True) if d.get("name")}
    assert set(named) == {"x", "y", "z", "a", "b", "w"}
    assert g.graph["output"] == named["w"]
    assert g.nodes[named["a"]]["kind"] == "op"
    assert g.nodes[named["a"]]["op"] == "add"


def test_shapes_recorded():
    res = gnn.evaluate("W x + b", {"W": W23, "x": np.ones(3), "b": np.zeros(2)})
    g = res.graph
    shapes = {g.nodes[n]["name"]: tuple(g.nodes[n]["shape"]) for n in g.graph["inputs"].values()}
    assert shapes == {"W": (2, 3), "x": (3,), "b": (2,)}
    assert tuple(g.nodes[g.graph["output"]]["shape"]) == (2,)
    assert tuple(gnn.evaluate("x*y", {"x": 1.0, "y": 2.0}).graph.nodes["n0"]["shape"]) == ()


def test_merge_identical_subexpressions():
    merged = gnn.evaluate("sin(x) + sin(x)", {"x": 0.5}).graph
    assert merged.number_of_nodes() == 3  # x, sin, add
    sin_nodes = [n for n, d in merged.nodes(data=True) if d.get("op") == "sin"]
    assert len(sin_nodes) == 1
    assert merged.number_of_edges(sin_nodes[0], merged.graph["output"]) == 2
    tree = gnn.evaluate("sin(x) + sin(x)", {"x": 0.5}, merge=False).graph
    assert len([n for n, d in tree.nodes(data=True) if d.get("op") == "sin"]) == 2


@pytest.mark.parametrize(
    "text, slope",
    [("leaky_relu(x)", 0.01), ("leaky_relu(x, 0.2)", 0.2)],
)
def test_leaky_relu_slope_is_a_param(text, slope):
    g = gnn.evaluate(text, {"x": -1.0}).graph
    node = g.nodes[g.graph["output"]]
    assert node["op"] == "leaky_relu"
    assert node["params"]["slope"] == slope


def test_subscript_spellings_are_one_input():
    res = gnn.evaluate("w_{10} + w_10", {"w_10": 1.5})
    assert list(res.graph.graph["inputs"]) == ["w_10"]
    assert res.gradients == {"w_10": 2.0}
