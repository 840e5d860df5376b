"""A batch of points run block by block (:mod:`graphviz_nn.core.blocks`) gives what the level
schedule gives: every field, trace step and graph attribute equal to the per-node reference's,
bit for bit, however the result is read; only programs of one array shape with elementwise ops
take that path. The blocks here are 7 points long, so every program runs as many blocks with a
shorter last one."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.core import blocks
from graphviz_nn.core.reference import reference_evaluate

from test_prepared import assert_same_evaluation
from test_schedule import same

REAL_BLOCK = blocks.BLOCK
RNG = np.random.default_rng(11)
N = 53
POINTS = {name: RNG.uniform(0.5, 1.5, N) for name in "xyz"}
SIGNED = {name: RNG.uniform(-2, 2, N) for name in "xyz"}

CASES = [
    ("sin(xy)/z + e^<xz>/(xy)", POINTS),  # the design example
    ("x*x + sin(x) + x/y + exp(x)*y", POINTS),  # five contributions to x, summed in trace order
    ("p = x*y; q = p + z; sin(q)", POINTS),  # p's, z's and q's gradients are one array
    ("sin(x + y)", POINTS),  # both inputs' gradients are that one array
    ("x + sin(y) - z", POINTS),  # x's gradient is the seed; z's its negation
    ("x*2 + y/3 - 1/z + x^2 + y^0.5 + z^3", POINTS),  # scalar constants, powers
    ("tanh(x) - sigmoid(y) + relu(z) + leaky_relu(x, 0.2) + softplus(y) + gelu(z) + abs(x)", SIGNED),
    ("max(x, y) * min(y, z) + sqrt(x)*log(y) + cos(x)*tan(z) + y^z", SIGNED),  # nan and inf
    ("a = x*y; b = a*a + a; c = b*x; c + a", POINTS),
    ("x*y", {"x": RNG.uniform(-1, 1, (6, 9)), "y": RNG.uniform(-1, 1, (6, 9))}),  # a matrix of points
    ("u = x*y; z*2", POINTS),  # x and y reach nothing: zero gradients
    ("a = x; b = a*y; b", POINTS),  # a named copy
]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK", 7)


def _ran_in_blocks(res: gnn.Evaluation) -> bool:
    return res.trace._r._complete is not None


@pytest.mark.parametrize("text,values", CASES)
def test_value_and_gradients_first_then_everything_equal_the_reference(text, values):
    res = gnn.evaluate(text, values)
    assert _ran_in_blocks(res)
    slow = reference_evaluate(text, values)
    assert same(res.value, slow.value)
    assert list(res.gradients) == list(slow.gradients)
    for name in slow.gradients:
        assert same(res.gradients[name], slow.gradients[name]), name
    assert _ran_in_blocks(res)  # nothing else read yet
    assert_same_evaluation(res, slow)


@pytest.mark.parametrize("text,values", CASES)
def test_graph_or_warnings_read_first_equal_the_reference(text, values):
    res = gnn.prepare(text, values).evaluate()
    slow = reference_evaluate(text, values)
    assert res.warnings == slow.warnings
    assert_same_evaluation(res, slow)
    res = gnn.prepare(text, values).evaluate()
    for node, attrs in slow.graph.nodes(data=True):
        assert same(res.graph.nodes[node]["grad"], attrs["grad"]), node
    assert_same_evaluation(res, slow)


def test_the_returned_arrays_are_the_ones_the_trace_and_graph_show():
    res = gnn.evaluate("sin(xy)/z + e^<xz>/(xy)", POINTS)
    value, grads = res.value, res.gradients
    assert res.trace[res.n_nodes - 1].value is value
    assert res.graph.nodes[res.output]["value"] is value
    for name, node in res.inputs.items():
        assert res.graph.nodes[node]["grad"] is grads[name]


def test_later_runs_with_new_values_equal_the_reference():
    text = "sin(xy)/z + e^<xz>/(xy)"
    p = gnn.prepare(text, POINTS)
    first = p.evaluate()
    for k in range(3):
        changed = {"x": SIGNED["x"] * (k + 1), "z": POINTS["z"] + k}
        assert_same_evaluation(p.evaluate(changed), reference_evaluate(text, {**POINTS, **changed}))
    assert_same_evaluation(first, reference_evaluate(text, POINTS))


def test_the_caller_arrays_are_neither_shared_nor_changed():
    x, y, z = (a.copy() for a in (POINTS["x"], POINTS["y"], POINTS["z"]))
    res = gnn.evaluate("sin(xy)/z + e^<xz>/(xy)", {"x": x, "y": y, "z": z})
    kept = [res.value, *res.gradients.values(), *res.values.values()]
    assert not any(np.shares_memory(a, b) for a in kept for b in (x, y, z))
    assert all(np.array_equal(a, POINTS[n]) for a, n in zip((x, y, z), "xyz"))
    res.trace[-1]
    shown = [a for _, a in res.graph.nodes(data="value")]
    assert len(shown) == res.n_nodes and not any(np.shares_memory(a, b) for a in shown for b in (x, y, z))


@pytest.mark.parametrize("text,values,options", [
    ("s*x + sin(x)", {"s": 0.7, "x": POINTS["x"]}, {}),  # a scalar input gets a sum over the points
    ("x*2 + y", POINTS, {"constant_grads": True}),  # a constant gets a sum over the points
    ("x + [1, 2]", {"x": np.ones(2)}, {}),  # an array constant
    ("sum(x*y)", POINTS, {}),  # a reduction
    ("x*y", {"x": POINTS["x"], "y": np.ones((2, N))}, {}),  # two shapes
    ("x", POINTS, {}),  # no op
])
def test_other_programs_run_on_the_level_schedule(text, values, options):
    res = gnn.evaluate(text, values, **options)
    assert not _ran_in_blocks(res)
    assert_same_evaluation(res, reference_evaluate(text, values, **options))


@pytest.mark.parametrize("block", [REAL_BLOCK, 4099])
def test_full_size_blocks_equal_the_reference(monkeypatch, block):
    """Blocks of the real size (and an odd one) use numpy's vector loops as the whole arrays do."""
    monkeypatch.setattr(blocks, "BLOCK", block)
    n = REAL_BLOCK + 5  # two blocks, the second of 5 points
    points = {name: RNG.uniform(-3, 3, n) for name in "xyz"}
    text = "sin(xy)/z + e^<xz>/(xy) + tanh(x)*sqrt(y) - log(z) + gelu(x) + y^z"
    res = gnn.evaluate(text, points)
    assert _ran_in_blocks(res)
    assert_same_evaluation(res, reference_evaluate(text, points))


def test_one_block_or_less_runs_on_the_level_schedule(monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK", N)
    assert not _ran_in_blocks(gnn.evaluate("x*y", POINTS))
