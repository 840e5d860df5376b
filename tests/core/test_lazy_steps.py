"""A run over arrays keeps no array per backward step: the local derivatives, contributions and
running sums of steps whose numbers are arrays are made again from the run's values and
gradients when the trace or the graph's edge attributes are first read. What is read must
equal the per-node reference engine's numbers exactly, in whichever order it is read and
however many other runs came between."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.core.reference import reference_evaluate

from test_prepared import assert_same_evaluation
from test_schedule import same

RNG = np.random.default_rng(7)
POINTS = {name: RNG.uniform(0.5, 1.5, 50) for name in "xyz"}

ARRAY_CASES = [
    ("sin(xy)/z + e^<xz>/(xy)", POINTS),  # the design example over points
    ("x*x + sin(x) + x/y + exp(x)*y", POINTS),  # x gets five contributions, summed in trace order
    ("a = x*y; b = a*a + a; c = b*x; c + a", POINTS),  # named nodes, fan-out
    ("s*x + s^2*y", {"s": 0.7, "x": POINTS["x"], "y": POINTS["y"]}),  # a scalar source, array locals
    ("W x + b", {"W": RNG.uniform(-1, 1, (3, 4)), "x": RNG.uniform(-1, 1, 4), "b": RNG.uniform(-1, 1, 3)}),
    ("sum(relu(W x + b)) + x^T x", {"W": RNG.uniform(-1, 1, (3, 3)), "x": RNG.uniform(-1, 1, 3),
                                   "b": RNG.uniform(-1, 1, 3)}),
    ("log(x) - 1/y + sqrt(z)*x", {"x": np.array([1.0, 0.0, -1.0]), "y": np.array([0.0, 2.0, 1.0]),
                                  "z": np.array([4.0, -1.0, 1.0])}),  # inf and nan in the steps
]


@pytest.mark.parametrize("text,values", ARRAY_CASES)
def test_steps_made_on_reading_equal_the_reference(text, values):
    res = gnn.evaluate(text, values)
    run = res.trace._r
    assert run._edges is None  # nothing read yet: no step lists
    assert_same_evaluation(res, reference_evaluate(text, values))


@pytest.mark.parametrize("text,values", ARRAY_CASES)
def test_graph_read_before_the_trace_equals_the_reference(text, values):
    res = gnn.prepare(text, values).evaluate()
    slow = reference_evaluate(text, values)
    for u, v, k, attrs in slow.graph.edges(keys=True, data=True):
        for name in ("local", "contribution"):
            if name in attrs:
                assert same(res.graph.edges[u, v, k][name], attrs[name]), (u, v, k, name)
    assert_same_evaluation(res, slow)


def test_a_run_keeps_its_own_numbers_after_later_runs():
    text = "x*x + sin(x)*y + x/y"
    p = gnn.prepare(text, POINTS)
    first = p.evaluate()
    later = {"x": POINTS["x"] * 2, "y": POINTS["y"] + 1}
    second = p.evaluate(later)
    assert_same_evaluation(second, reference_evaluate(text, {**POINTS, **later}))
    assert_same_evaluation(first, reference_evaluate(text, POINTS))


def test_a_run_over_arrays_holds_no_array_per_step():
    """The run's arrays: values and gradients only (its step dictionary is empty)."""
    res = gnn.evaluate("x*x + sin(x) + x/y + exp(x)*y", POINTS)
    run = res.trace._r
    objects = run._state[8]
    assert objects == {}
    # The running sums, read later, add x's five contributions one by one in trace order.
    steps = [s for s in res.trace if s.edge is not None and s.edge[0] == res.inputs["x"]]
    assert len(steps) == 5
    total = steps[0].contribution
    for step in steps[1:]:
        total = total + step.contribution
        assert np.array_equal(step.grad_after, total)
    assert np.array_equal(total, res.gradients["x"])
    h = 1e-6
    x, y = POINTS["x"], POINTS["y"]

    def f(x):
        return x * x + np.sin(x) + x / y + np.exp(x) * y
    assert np.allclose(res.gradients["x"], (f(x + h) - f(x - h)) / (2 * h), rtol=1e-6, atol=1e-8)
