"""The step-by-step trace of forward and backward passes, and the finite-difference check."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

import graphviz_nn as gnn


def num(node_id: str) -> int:
    return int(node_id[1:])


CASES = [
    ("x*x + x", {"x": 3.0}),
    ("sin(xy)/z + e^<xz>/(xy)", {"x": 1.0, "y": 2.0, "z": 3.0}),
    ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1.0, "y": 2.0, "z": 3.0}),
    ("relu(w1 x + w01)^2", {"w1": 3.0, "x": 1.0, "w01": -1.0}),
    ("1/2 ||W x - y||^2", {"W": np.arange(6.0).reshape(2, 3), "x": np.ones(3), "y": np.ones(2)}),
]


@pytest.fixture(params=CASES, ids=[t for t, _ in CASES])
def evaluation(request):
    text, values = request.param
    return gnn.evaluate(text, values)


def flowing_edges(g):
    """Edges a gradient flows back along: those out of a node with a gradient (not a constant)."""
    return [(u, v, k) for u, v, k in g.edges(keys=True) if g.nodes[u]["grad"] is not None]


def test_trace_length(evaluation):
    g = evaluation.graph
    assert len(evaluation.trace) == g.number_of_nodes() + 1 + len(flowing_edges(g))


def test_trace_indices_are_consecutive(evaluation):
    indices = [s.index for s in evaluation.trace]
    assert indices[0] in (0, 1)
    assert indices == list(range(indices[0], indices[0] + len(indices)))


def test_forward_steps_in_id_order(evaluation):
    g = evaluation.graph
    n = g.number_of_nodes()
    forward = evaluation.trace[:n]
    assert [s.phase for s in forward] == ["forward"] * n
    assert [s.node for s in forward] == [f"n{i}" for i in range(n)]
    for s in forward:
        np.testing.assert_array_equal(np.asarray(s.value), np.asarray(g.nodes[s.node]["value"]))


def test_seed_step(evaluation):
    g = evaluation.graph
    seed = evaluation.trace[g.number_of_nodes()]
    assert seed.phase == "backward"
    assert seed.node == g.graph["output"]
    assert seed.edge is None
    np.testing.assert_array_equal(np.asarray(seed.contribution), np.ones(np.shape(evaluation.value)))


def test_backward_edge_order(evaluation):
    """Op nodes in reverse id order, their in-edges in argument order."""
    g = evaluation.graph
    expected = []
    ops = sorted((n for n, d in g.nodes(data=True) if d["kind"] == "op"), key=num, reverse=True)
    flowing = set(flowing_edges(g))
    for op in ops:
        for u, v, k in sorted(g.in_edges(op, keys=True), key=lambda e: e[2]):
            if (u, v, k) in flowing:
                expected.append((u, v, k))
    steps = evaluation.trace[g.number_of_nodes() + 1:]
    assert [tuple(s.edge) for s in steps] == expected
    assert all(s.phase == "backward" for s in steps)
    assert all(s.node == s.edge[1] for s in steps)


def test_backward_steps_chain_rule(evaluation):
    g = evaluation.graph
    steps = evaluation.trace[g.number_of_nodes() + 1:]
    running: dict[str, np.ndarray] = {}
    for s in steps:
        source, target, arg = s.edge
        np.testing.assert_allclose(np.asarray(s.upstream), np.asarray(g.nodes[target]["grad"]),
                                   rtol=1e-12, atol=1e-14)
        if np.ndim(g.nodes[source]["value"]) == 0 and np.ndim(g.nodes[target]["value"]) == 0:
            assert s.contribution == pytest.approx(s.upstream * s.local, rel=1e-12, abs=1e-14)
        running[source] = running.get(source, 0) + np.asarray(s.contribution, dtype=float)
        np.testing.assert_allclose(np.asarray(s.grad_after), running[source], rtol=1e-12, atol=1e-14)
    for source, total in running.items():
        np.testing.assert_allclose(total, np.asarray(g.nodes[source]["grad"]), rtol=1e-12, atol=1e-14)


def test_final_gradients_on_graph(evaluation):
    g = evaluation.graph
    for name, node in g.graph["inputs"].items():
        np.testing.assert_allclose(np.asarray(g.nodes[node]["grad"]),
                                   np.asarray(evaluation.gradients[name]), rtol=1e-12)
    out = g.graph["output"]
    np.testing.assert_array_equal(np.asarray(g.nodes[out]["grad"]), np.ones(np.shape(evaluation.value)))


def test_edges_carry_local_and_contribution(evaluation):
    g = evaluation.graph
    for u, v, k, d in g.edges(keys=True, data=True):
        assert d["arg"] == k
        if g.nodes[u]["grad"] is None:  # nothing flows back to a constant (or to 1/2)
            assert g.nodes[u]["kind"] == "constant" or not any(
                g.nodes[a]["kind"] == "input" for a in nx.ancestors(g, u))
            assert "local" not in d and "contribution" not in d
            continue
        assert "local" in d and "contribution" in d
        assert np.shape(d["contribution"]) == np.shape(g.nodes[u]["value"])


# --------------------------------------------------------------------------------------
# Fan-out: x in x*x + x at x = 3 (hand-derived)
# --------------------------------------------------------------------------------------

def test_fan_out_accumulates():
    res = gnn.evaluate("x*x + x", {"x": 3.0})
    g = res.graph
    x = g.graph["inputs"]["x"]
    assert res.value == 12.0
    steps = [s for s in res.trace if s.edge is not None and s.edge[0] == x]
    # add's in-edges first (x is its arg 1), then mul's two in-edges
    assert [s.edge[2] for s in steps] == [1, 0, 1]
    assert [float(s.upstream) for s in steps] == [1.0, 1.0, 1.0]
    assert [float(s.local) for s in steps] == [1.0, 3.0, 3.0]
    assert [float(s.contribution) for s in steps] == [1.0, 3.0, 3.0]
    assert [float(s.grad_after) for s in steps] == [1.0, 4.0, 7.0]
    assert res.gradients["x"] == 7.0


LOCALS = [
    # text, values, {argument position: local d output / d operand} on the in-edges of the output
    ("x*y", {"x": 2.0, "y": 5.0}, {0: 5.0, 1: 2.0}),
    ("x/y", {"x": 3.0, "y": 2.0}, {0: 0.5, 1: -0.75}),
    ("x - y", {"x": 3.0, "y": 2.0}, {0: 1.0, 1: -1.0}),
    ("x^y", {"x": 2.0, "y": 3.0}, {0: 12.0, 1: 8.0 * math.log(2.0)}),
    ("sin(x)", {"x": 0.5}, {0: math.cos(0.5)}),
    ("e^x", {"x": 0.5}, {0: math.exp(0.5)}),
    ("log(x)", {"x": 4.0}, {0: 0.25}),
    ("tanh(x)", {"x": 0.5}, {0: 1 - math.tanh(0.5) ** 2}),
    ("relu(x)", {"x": 0.0}, {0: 0.0}),
    ("max(x, y)", {"x": 1.0, "y": 1.0}, {0: 1.0, 1: 0.0}),
]


@pytest.mark.parametrize(("text", "values", "locals_"), LOCALS)
def test_local_derivatives(text, values, locals_):
    res = gnn.evaluate(text, values)
    g = res.graph
    out = g.graph["output"]
    got = {k: d["local"] for _, _, k, d in g.in_edges(out, keys=True, data=True)}
    assert got == pytest.approx(locals_, rel=1e-12)


# --------------------------------------------------------------------------------------
# gradient_check
# --------------------------------------------------------------------------------------

CHECKED = [
    ("sin(xy)/z + e^<xz>/(xy)", {"x": 1.0, "y": 2.0, "z": 3.0}),
    ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 0.5, "y": -1.0, "z": 2.0}),
    ("σ(w x + b) - log(1 + x^2)", {"w": 0.3, "x": -1.2, "b": 0.1}),
    ("gelu(x) softplus(y) + sqrt(x^2 + y^2)", {"x": 0.7, "y": -0.4}),
    ("1/2 ||W x - y||^2", {"W": np.array([[1.0, -2.0], [0.5, 3.0]]), "x": np.array([0.2, 0.4]),
                           "y": np.array([1.0, -1.0])}),
    ("relu(x) + y", {"x": -1.0, "y": 2.0}),  # a zero gradient is not a relative error
    ("sin(xy)/z", {"x": np.array([1.0, 0.5]), "y": np.array([2.0, -1.0]), "z": np.array([3.0, 1.5])}),
]


@pytest.mark.parametrize(("text", "values"), CHECKED, ids=[t for t, _ in CHECKED])
def test_gradient_check(text, values):
    res = gnn.evaluate(text, values)
    report = gnn.gradient_check(res)
    assert set(report) == set(res.gradients)
    for name, (backprop, numeric, rel) in report.items():
        np.testing.assert_allclose(np.asarray(backprop), np.asarray(res.gradients[name]), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(numeric), np.asarray(res.gradients[name]),
                                   rtol=1e-5, atol=1e-7)
        assert np.all(np.asarray(rel) < 1e-5), (name, rel)


def test_gradient_check_detects_nothing_wrong_at_known_point():
    # seed 004 at (1, 2, 3): dw/dx = 90, dw/dy = 20, dw/dz = 20, hand-derived
    res = gnn.evaluate("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1.0, "y": 2.0, "z": 3.0})
    report = gnn.gradient_check(res)
    for name, expected in {"x": 90.0, "y": 20.0, "z": 20.0}.items():
        assert report[name][1] == pytest.approx(expected, rel=1e-6)


def test_constants_get_no_gradient_and_no_backward_step():
    """As in PyTorch: the 2 of 2x (and 1/2, an op on constants only) get no gradient."""
    for text, no_grad in (("2*x", {"2"}), ("1/2 x^2", {"1", "2", "÷"})):
        res = gnn.evaluate(text, {"x": 5.0})
        g = res.graph
        without = {d["label"] for n, d in g.nodes(data=True) if d["grad"] is None}
        assert without == no_grad
        backward = [s for s in res.trace if s.edge is not None]
        assert all(g.nodes[s.edge[0]]["grad"] is not None for s in backward)
        assert res.to_json()["nodes"][0]["grad"] is None or g.nodes["n0"]["grad"] is not None
    res = gnn.evaluate("2*x", {"x": 5.0})
    assert len(res.trace) == 3 + 1 + 1 and res.gradients == {"x": 2.0}


def test_constant_operands_get_a_backward_step_when_asked():
    """One backward step per edge, including the edge from a constant (d(2x)/d2 = x = 5)."""
    res = gnn.evaluate("2*x", {"x": 5.0}, constant_grads=True)
    g = res.graph
    out = g.graph["output"]
    const = [n for n, d in g.nodes(data=True) if d["kind"] == "constant"][0]
    x = g.graph["inputs"]["x"]
    assert len(res.trace) == 3 + 1 + 2
    steps = res.trace[4:]
    assert [tuple(s.edge) for s in steps] == [(const, out, 0), (x, out, 1)]
    assert [float(s.local) for s in steps] == [5.0, 2.0]
    assert [float(s.contribution) for s in steps] == [5.0, 2.0]
    assert float(g.nodes[const]["grad"]) == 5.0
    assert res.gradients == {"x": 2.0}


def test_terms_under_the_broadcast_seed_share_the_local_array():
    """d f / d a of f = a/b + c over a batch: the upstream is the broadcast seed 1, so each term
    is its local derivative itself (no second 8-byte-per-point array), equal to 1/b and -a/b²."""
    a, b = np.array([1.0, -2.0, 3.0]), np.array([2.0, 4.0, 0.5])
    res = gnn.evaluate("a/b + c", {"a": a, "b": b, "c": [0.0, 0.0, 0.0]})
    g = res.graph
    div = next(n for n, d in g.nodes(data=True) if d["op"] == "div")
    for source, expected in ((res.inputs["a"], 1 / b), (res.inputs["b"], -a / b**2)):
        edge = g.edges[source, div, 0 if source == res.inputs["a"] else 1]
        assert edge["contribution"] is edge["local"]
        np.testing.assert_allclose(edge["contribution"], expected, rtol=1e-15)
    assert res.gradients["a"].tolist() == (1 / b).tolist()


def test_gradients_never_share_memory_with_values_or_the_callers_arrays():
    """Found in review: under the broadcast seed, d(w·x)/dw was x itself and d exp(x)/dx the output."""
    w, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    res = gnn.evaluate("w*x", {"w": w, "x": x})
    assert res.gradients["w"] is not x and not np.shares_memory(res.gradients["w"], x)
    x += 1  # the caller moves on; the result keeps its numbers
    assert res.gradients["w"].tolist() == [3.0, 4.0]
    e = gnn.evaluate("exp(x)", {"x": np.array([0.0, 1.0])})
    assert not np.shares_memory(e.gradients["x"], e.value)
