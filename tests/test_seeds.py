"""The published numbers of the seed sheets (/work/shared/seeds), reproduced with the tool.

Every expected number is copied from the sheets or derived by hand next to it.
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

ROOT = Path(__file__).resolve().parents[1]


def node_named(res, name):
    """The node of ``res.graph`` whose ``name`` attribute is ``name`` (its attribute dict)."""
    hits = [d for _, d in res.graph.nodes(data=True) if d.get("name") == name]
    assert len(hits) == 1, f"{len(hits)} nodes named {name!r}"
    return hits[0]


def value_of(res, name):
    return np.asarray(node_named(res, name)["value"], dtype=float)


# --------------------------------------------------------------------------------------
# 000: MIT 6.390, the 4-layer scalar ReLU chain
# --------------------------------------------------------------------------------------

CHAIN_WEIGHTS = {
    "w01": -1.0, "w1": 3.0,
    "w02": 1.0, "w2": 4.0,
    "w03": -5.0, "w3": 1.0,
    "w04": 1.0, "w4": 1.0,
    "x": 1.0, "y": 2.0,
}

CHAIN_EXPLICIT = """
z1 = w1*x + w01
a1 = relu(z1)
z2 = w2*a1 + w02
a2 = relu(z2)
z3 = w3*a2 + w03
a3 = relu(z3)
z4 = w4*a3 + w04
L = (z4 - y)^2
"""

CHAIN_JUXTAPOSED = "z1 = w1 x + w01; a1 = relu(z1); z2 = w2 a1 + w02; a2 = relu(z2); " \
    "z3 = w3 a2 + w03; a3 = relu(z3); z4 = w4 a3 + w04; L = (z4 - y)^2"

# Forward pass from the sheet: a^0 = x = 1
CHAIN_FORWARD = {"z1": 2.0, "a1": 2.0, "z2": 9.0, "a2": 9.0, "z3": 4.0, "a3": 4.0, "z4": 5.0}

# dL/dg = 2(g - y) = 6; every ReLU is active, so each gradient is 6 times a product of weights
CHAIN_GRADIENTS = {
    "w1": 24.0,   # 6 * w4 * w3 * w2 * x
    "w01": 24.0,  # 6 * w4 * w3 * w2
    "w2": 12.0,   # 6 * w4 * w3 * a1
    "w02": 6.0,   # 6 * w4 * w3
    "w3": 54.0,   # 6 * w4 * a2
    "w03": 6.0,   # 6 * w4
    "w4": 24.0,   # 6 * a3
    "w04": 6.0,   # 6
    "x": 72.0,    # 6 * w4 * w3 * w2 * w1
    "y": -6.0,    # -2(g - y)
}


@pytest.mark.parametrize("program", [CHAIN_EXPLICIT, CHAIN_JUXTAPOSED], ids=["explicit", "juxtaposed"])
def test_000_forward_pass(program):
    res = gnn.evaluate(program, CHAIN_WEIGHTS)
    for name, expected in CHAIN_FORWARD.items():
        assert float(value_of(res, name)) == pytest.approx(expected), name
    assert res.value == pytest.approx(9.0)  # L = (5 - 2)^2


@pytest.mark.parametrize("program", [CHAIN_EXPLICIT, CHAIN_JUXTAPOSED], ids=["explicit", "juxtaposed"])
def test_000_gradients(program):
    res = gnn.evaluate(program, CHAIN_WEIGHTS)
    assert res.gradients == pytest.approx(CHAIN_GRADIENTS)
    assert res.gradients["w1"] == pytest.approx(24.0)
    assert res.gradients["w01"] == pytest.approx(24.0)


def test_000_one_gradient_step():
    res = gnn.evaluate(CHAIN_EXPLICIT, CHAIN_WEIGHTS)
    eta = 0.1
    assert CHAIN_WEIGHTS["w1"] - eta * res.gradients["w1"] == pytest.approx(0.6)


def test_000_identity_output_g():
    """g = a^4 = f_4(z^4) with the identity activation, written as its own statement."""
    program = CHAIN_EXPLICIT.replace("L = (z4 - y)^2", "g = z4\nL = (g - y)^2")
    res = gnn.evaluate(program, CHAIN_WEIGHTS)
    assert res.value == pytest.approx(9.0)
    assert res.gradients == pytest.approx(CHAIN_GRADIENTS)
    named = [d for _, d in res.graph.nodes(data=True) if d.get("name") == "g"]
    for d in named:
        assert float(d["value"]) == pytest.approx(5.0)


def test_000_dead_relu_blocks_gradient():
    """With w_0^3 = -20 the third ReLU is off: z3 = -11, a3 = 0, no gradient reaches w1."""
    res = gnn.evaluate(CHAIN_EXPLICIT, {**CHAIN_WEIGHTS, "w03": -20.0})
    assert float(value_of(res, "z3")) == pytest.approx(-11.0)
    assert float(value_of(res, "a3")) == 0.0
    assert res.value == pytest.approx(1.0)  # g = 1, (1 - 2)^2
    assert res.gradients["w1"] == 0.0
    assert res.gradients["w01"] == 0.0
    assert res.gradients["w04"] == pytest.approx(-2.0)


# --------------------------------------------------------------------------------------
# 004: NYU homework, a = x*y + z; b = (x + x)*a; w = a*b
# --------------------------------------------------------------------------------------

PROGRAM_004 = "a = x*y + z; b = (x + x)*a; w = a*b"


def _w004(xv, yv, zv):
    """w = 2x(xy+z)^2 and its gradients, derived by hand."""
    s = xv * yv + zv
    return (
        2 * xv * s**2,
        {"x": 2 * s**2 + 4 * xv * yv * s, "y": 4 * xv**2 * s, "z": 4 * xv * s},
        {"a": s, "b": 2 * xv * s},
    )


CASES_004 = [
    (1.0, 2.0, 3.0),     # a = 5, b = 10, w = 50, dw/dx = 90, dw/dy = 20, dw/dz = 20
    (2.0, -1.0, 0.5),    # a = -1.5, b = -6, w = 9, dw/dx = 16.5, dw/dy = -24, dw/dz = -12
    (0.5, 0.25, -2.0),
]


def test_004_hand_numbers():
    assert _w004(1.0, 2.0, 3.0) == (50.0, {"x": 90.0, "y": 20.0, "z": 20.0}, {"a": 5.0, "b": 10.0})
    assert _w004(2.0, -1.0, 0.5) == (9.0, {"x": 16.5, "y": -24.0, "z": -12.0}, {"a": -1.5, "b": -6.0})


@pytest.mark.parametrize("point", CASES_004)
@pytest.mark.parametrize(
    "program",
    [PROGRAM_004, "a = x*y + z\nb = (x + x)*a\nw = a*b", "a = xy + z; b = (x + x)a; w = ab"],
    ids=["semicolons", "newlines", "juxtaposed"],
)
def test_004_values_and_gradients(program, point):
    xv, yv, zv = point
    value, grads, intermediates = _w004(xv, yv, zv)
    res = gnn.evaluate(program, {"x": xv, "y": yv, "z": zv})
    assert res.value == pytest.approx(value)
    assert res.gradients == pytest.approx(grads)
    for name, expected in intermediates.items():
        assert float(value_of(res, name)) == pytest.approx(expected)


def test_004_graph_structure():
    res = gnn.evaluate(PROGRAM_004, {"x": 1.0, "y": 2.0, "z": 3.0})
    g = res.graph
    assert g.number_of_nodes() == 8  # x, y, z, x*y, a, x+x, b, w
    assert g.number_of_edges() == 10
    x = g.graph["inputs"]["x"]
    doubles = [v for v in g.successors(x) if g.number_of_edges(x, v) == 2]
    assert len(doubles) == 1
    plus = doubles[0]
    assert g.nodes[plus]["op"] == "add"
    assert sorted(k for _, _, k in g.in_edges(plus, keys=True)) == [0, 1]
    # a is used twice: by b = (x + x)*a and by w = a*b
    a = [n for n, d in g.nodes(data=True) if d.get("name") == "a"][0]
    b = [n for n, d in g.nodes(data=True) if d.get("name") == "b"][0]
    w = [n for n, d in g.nodes(data=True) if d.get("name") == "w"][0]
    assert set(g.successors(a)) == {b, w}
    assert set(g.successors(b)) == {w}
    assert g.graph["output"] == w
    assert {g.nodes[n]["op"] for n in (a, b, w)} == {"add", "mul"}
    assert g.nodes[x]["grad"] == pytest.approx(90.0)


# --------------------------------------------------------------------------------------
# 002: CMU 10-301/601, the alpha/beta network with folded intercepts
# --------------------------------------------------------------------------------------

ALPHA = [[2, 1, 0], [0, 2, 0]]
BETA = [[0, 1, 2]]
VALUES_002 = {"x": np.array([1.0, 1.0, 2.0]), "alpha": np.array(ALPHA, float),
              "beta": np.array(BETA, float), "y": 3.0}

NET_002 = "a = {alpha} x\nz = relu(a)\nyhat = {beta} [1, z]\nl = 1/2 (yhat - y)^2"
SPELLINGS_002 = {
    "plain": NET_002.format(alpha="alpha", beta="beta"),
    "latex": NET_002.format(alpha=r"\alpha", beta=r"\beta"),
    "unicode": NET_002.format(alpha="α", beta="β"),
    "semicolons": "a = alpha x; z = relu(a); yhat = beta [1, z]; l = 1/2 (yhat - y)^2",
    "explicit_matmul": "a = alpha @ x; z = relu(a); yhat = beta @ [1, z]; l = 1/2 * (yhat - y)^2",
}


@pytest.mark.parametrize("program", SPELLINGS_002.values(), ids=SPELLINGS_002.keys())
def test_002_alpha_beta_network(program):
    res = gnn.evaluate(program, VALUES_002)
    np.testing.assert_allclose(np.ravel(value_of(res, "a")), [3.0, 2.0])
    np.testing.assert_allclose(np.ravel(value_of(res, "z")), [3.0, 2.0])
    np.testing.assert_allclose(np.ravel(value_of(res, "yhat")), [7.0])  # ŷ = 7
    np.testing.assert_allclose(np.ravel(np.asarray(res.value, float)), [8.0])  # ℓ = 1/2 (7 - 3)^2
    g = res.gradients
    np.testing.assert_allclose(np.asarray(g["beta"]), [[4.0, 12.0, 8.0]])
    assert np.shape(g["beta"]) == (1, 3)
    np.testing.assert_allclose(np.asarray(g["alpha"]), [[4.0, 4.0, 8.0], [8.0, 8.0, 16.0]])
    assert np.shape(g["alpha"]) == (2, 3)
    # dl/dx = alpha^T dl/da = alpha^T [4, 8]; dl/dy = -(yhat - y)
    np.testing.assert_allclose(np.asarray(g["x"]), [8.0, 20.0, 0.0])
    assert float(np.ravel(np.asarray(g["y"], float))[0]) == pytest.approx(-4.0)


def test_002_scalar_form_plain_subscripts():
    """dl/dbeta_1 = (yhat - y) z_1 = 12 and dl/dalpha_11 = 4, the scalar form of the sheet."""
    program = (
        "a_1 = alpha_10 x_0 + alpha_11 x_1 + alpha_12 x_2\n"
        "a_2 = alpha_20 x_0 + alpha_21 x_1 + alpha_22 x_2\n"
        "z_1 = relu(a_1); z_2 = relu(a_2)\n"
        "yhat = beta_0 + beta_1 z_1 + beta_2 z_2\n"
        "l = 1/2 (yhat - y)^2"
    )
    values = {"x_0": 1, "x_1": 1, "x_2": 2, "y": 3, "beta_0": 0, "beta_1": 1, "beta_2": 2}
    for j, row in enumerate(ALPHA, start=1):
        for i, a in enumerate(row):
            values[f"alpha_{j}{i}"] = a
    res = gnn.evaluate(program, values)
    assert res.value == pytest.approx(8.0)
    assert float(value_of(res, "yhat")) == pytest.approx(7.0)
    expected = {"beta_0": 4.0, "beta_1": 12.0, "beta_2": 8.0,
                "alpha_10": 4.0, "alpha_11": 4.0, "alpha_12": 8.0,
                "alpha_20": 8.0, "alpha_21": 8.0, "alpha_22": 16.0}
    for name, grad in expected.items():
        assert res.gradients[name] == pytest.approx(grad), name


def test_002_values_defined_inside_the_program():
    program = (
        "x = [1, 1, 2]  # x_0 = 1 folded in\n"
        "alpha = [[2, 1, 0], [0, 2, 0]]\n"
        "beta = [[0, 1, 2]]\n"
        "y = 3\n"
        "a = alpha x\n"
        "z = relu(a)\n"
        "yhat = beta [1, z]\n"
        "l = 1/2 (yhat - y)^2\n"
    )
    res = gnn.evaluate(program, {})
    np.testing.assert_allclose(np.ravel(np.asarray(res.value, float)), [8.0])
    np.testing.assert_allclose(np.asarray(res.gradients["beta"]), [[4.0, 12.0, 8.0]])
    np.testing.assert_allclose(np.asarray(res.gradients["alpha"]), [[4.0, 4.0, 8.0], [8.0, 8.0, 16.0]])


def test_002_design_example_value():
    """f(x, y, z) = sin(xy)/z + e^{xz}/(xy), the computation-diagram example of 002."""
    import math

    res = gnn.evaluate(r"\frac{\sin(xy)}{z} + \frac{e^{xz}}{xy}", {"x": 1, "y": 2, "z": 3})
    assert res.value == pytest.approx(math.sin(2) / 3 + math.exp(3) / 2)
    assert res.gradients["x"] == pytest.approx(2 * math.cos(2) / 3 + math.exp(3))
    assert res.gradients["y"] == pytest.approx(math.cos(2) / 3 - math.exp(3) / 4)
    assert res.gradients["z"] == pytest.approx(-math.sin(2) / 9 + math.exp(3) / 2)


# --------------------------------------------------------------------------------------
# The examples directory
# --------------------------------------------------------------------------------------

EXAMPLES = sorted((ROOT / "examples").glob("*.gnn"))


def test_examples_exist():
    assert EXAMPLES, "examples/*.gnn is empty"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_file_evaluates(path):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "graphviz_nn", "eval", "--file", str(path), "--json"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["nodes"] and data["canonical"]
