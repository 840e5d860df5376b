"""Fused sums in the compiled schedule: chains of additions run as one cumulative sum, and nodes
with many gradient contributions summed as one. Checked against the per-node reference (every
field, trace step and attribute), against plain Python arithmetic and central finite
differences, and on the schedule's plan (that the fused path is the one taken)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.core.reference import reference_evaluate

from test_prepared import assert_same_evaluation


def schedule_of(res: gnn.Evaluation):
    """The compiled schedule behind a prepared evaluation's trace."""
    return res.trace._r.schedule


def chains_of(res: gnn.Evaluation) -> list:
    return [chain for level in schedule_of(res).levels for chain in level.chains]


def sums_of(res: gnn.Evaluation) -> list:
    return [total for level in schedule_of(res).levels for total in level.sums]


def left_to_right(terms: list[float]) -> float:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


FUSED = [
    # (text, values): chains of every kind the compiler fuses or must leave alone
    ("x1 + x2 + x3 + x4 + x5", {f"x{i}": 0.1 * i for i in range(1, 6)}),
    ("b + w1*x1 + w2*x2 + w3*x3", {"b": 0.5, "w1": -1.5, "x1": 2.0, "w2": 0.25, "x2": -3.0, "w3": 7.0, "x3": 0.1}),
    ("x + 2 + y + 3 + x", {"x": 1.5, "y": -2.0}),  # constants: steps missing from the chain
    ("2 + 3 + x + y", {"x": 1.0, "y": 2.0}),  # a constant start
    ("x + x + x + y", {"x": 0.3, "y": 0.7}),  # one input summed three times
    ("a = x + y + z; b = a + x; a * b", {"x": 1.0, "y": 2.0, "z": 3.0}),  # a partial sum used twice
    ("a = x + y + z; b = x * 2; b", {"x": 1.0, "y": 2.0, "z": 3.0}),  # a chain that reaches nothing
    ("relu(x + y + z) + relu(x + y + y) + (x + z + z + z)", {"x": -1.0, "y": 2.0, "z": 0.5}),
    ("x + (y + z) + (y + (z + x))", {"x": 1.0, "y": 2.0, "z": 3.0}),  # right operands: no chain there
    ("x + y + z", {"x": 1e308, "y": 1e308, "z": -1.0}),  # overflow to inf
    ("x + y + z + x", {"x": math.inf, "y": -math.inf, "z": 1.0}),  # nan
    ("sin(x + y + z) * (x + y + z + 1)", {"x": 0.1, "y": 0.2, "z": 0.3}),  # merged: one chain, two uses
    ("s = p + q + r; s * s + s", {"p": 1.0, "q": -1.0, "r": 0.5}),
    ("x + y + [1, 2] + z", {"x": 1.0, "y": 2.0, "z": 3.0}),  # a tensor joins: the rest runs alone
    ("relu(x + 2 + y) * relu(y + z + x)", {"x": 0.5, "y": 1.5, "z": -0.25}),  # two chains, one short of a step
    ("a = x + y + z; b = z + x + y; b", {"x": 1.0, "y": 2.0, "z": 3.0}),  # two chains, one unused
]


@pytest.mark.parametrize("text,values", FUSED)
@pytest.mark.parametrize("constant_grads", [False, True])
def test_fused_sums_equal_the_reference(text, values, constant_grads):
    assert_same_evaluation(gnn.prepare(text, values, constant_grads=constant_grads).evaluate(),
                           reference_evaluate(text, values, constant_grads=constant_grads))


def test_chains_side_by_side_with_missing_steps_take_the_general_path():
    for text, values in FUSED[-2:]:
        (chain,) = chains_of(gnn.prepare(text, values).evaluate())
        assert chain.width == 2 and chain.owner is not None


def test_a_written_out_sum_is_one_chain_with_its_steps_in_trace_order():
    values = {f"x{i}": 1.0 / i for i in range(1, 41)}
    text = " + ".join(values)
    res = gnn.prepare(text, values).evaluate()
    (chain,) = chains_of(res)
    assert chain.index.shape == (40, 1) and chain.owner is None
    terms = list(values.values())
    assert res.value == left_to_right(terms)  # the same additions in the same order, to the bit
    assert res.gradients == {name: 1.0 for name in values}
    # the backward steps the user sees: the last addition first, operand by operand
    backward = [step for step in res.trace if step.edge is not None]
    assert len(backward) == 2 * 39
    assert [step.edge[2] for step in backward[:4]] == [0, 1, 0, 1]
    assert [step.node for step in backward[::2]] == [f"n{i}" for i in range(78, 1, -2)]  # x1, x2, +, x3, +, …
    assert all(step.local == 1.0 and step.contribution == 1.0 and step.upstream == 1.0 for step in backward)
    # every partial sum is a node with its own value
    partial = [step.value for step in res.trace if step.phase == "forward" and step.node in
               {f"n{i}" for i in range(2, 79, 2)}]
    assert partial == [left_to_right(terms[:k]) for k in range(2, 41)]


def test_neurons_of_one_layer_share_one_chain_and_one_accumulation():
    rng = random.Random(3)
    lines, values = [], {}
    for i in range(6):
        values[f"x{i}"] = rng.uniform(-1, 1)
    for j in range(5):
        values[f"b{j}"] = rng.uniform(-1, 1)
        terms = [f"b{j}"]
        for i in range(6):
            values[f"w{j}_{i}"] = rng.uniform(-1, 1)
            terms.append(f"w{j}_{i}*x{i}")
        lines.append(f"h{j} = relu({' + '.join(terms)})")
    text = "\n".join(lines) + "\nh0 + h1 + h2 + h3 + h4"
    res = gnn.prepare(text, values).evaluate()
    assert [chain.index.shape for chain in chains_of(res)] == [(7, 5), (5, 1)]
    (inputs,) = sums_of(res)  # each x_i has five contributions, summed in one go
    assert inputs.index.shape == (5, 6) and inputs.last is None
    assert_same_evaluation(res, reference_evaluate(text, values))


def test_contributions_of_different_counts_share_a_padded_sum():
    # x, y and z (and the merged x*y, y*z) are used different numbers of times: their
    # contributions are summed in shared cumulative sums whose shorter columns are padded
    text = "x*y + x*z + x*y + y*z + y*z + y*z*z"
    values = {"x": 0.7, "y": -1.3, "z": 2.1}
    res = gnn.prepare(text, values).evaluate()
    spare = len(schedule_of(res).step_src)
    padded = [total for total in sums_of(res) if total.last is not None]
    assert padded and all((total.index == spare).any() for total in padded)
    assert_same_evaluation(res, reference_evaluate(text, values))


@pytest.mark.parametrize("text,values", [case for case in FUSED if "inf" not in repr(case[1]) and
                                         "1e+308" not in repr(case[1])])
def test_fused_gradients_match_finite_differences(text, values):
    res = gnn.prepare(text, values).evaluate()
    h = 1e-6
    for name in values:
        up = gnn.evaluate(text, {**values, name: values[name] + h}).value
        down = gnn.evaluate(text, {**values, name: values[name] - h}).value
        numeric = (np.asarray(up) - np.asarray(down)) / (2 * h)
        if np.ndim(numeric):  # a tensor output: d sum(f) / d name
            numeric = float(np.sum(numeric))
        assert res.gradients[name] == pytest.approx(numeric, rel=1e-5, abs=1e-6), name


def test_nonfinite_sums_are_flagged_as_the_reference_flags_them():
    text, values = "x + y + z + x", {"x": math.inf, "y": -math.inf, "z": 1.0}
    fast = gnn.prepare(text, values).evaluate()
    assert math.isnan(fast.value) and fast.nonfinite == reference_evaluate(text, values).nonfinite
    assert fast.nonfinite and any("non-finite" in w for w in fast.warnings)


def test_changed_values_run_through_the_fused_sums():
    values = {f"x{i}": float(i) for i in range(1, 11)}
    text = " + ".join(values)
    prepared = gnn.prepare(text, values)
    assert prepared.evaluate().value == 55.0
    changed = prepared.evaluate({"x3": 100.0, "x10": -0.5})
    assert changed.value == left_to_right([1, 2, 100, 4, 5, 6, 7, 8, 9, -0.5])
    assert changed.values["x3"] == 100.0
    assert prepared.evaluate().value == 55.0  # the held values are unchanged
    assert_same_evaluation(changed, reference_evaluate(text, {**values, "x3": 100.0, "x10": -0.5}))


@pytest.mark.parametrize("text,rows", [
    # the builder walks a left spine of binary calls (b + w1*x1 + …) in one loop: the nodes,
    # their order (ids) and operands are those of a plain post-order walk
    ("b + w1*x1 + w2*x2", [("input", None, []), ("input", None, []), ("input", None, []), ("op", "mul", [1, 2]),
                           ("op", "add", [0, 3]), ("input", None, []), ("input", None, []), ("op", "mul", [5, 6]),
                           ("op", "add", [4, 7])]),
    ("sin(x) + 2*x + x + 3*y", [("input", None, []), ("op", "sin", [0]), ("constant", None, []),
                                ("op", "mul", [2, 0]), ("op", "add", [1, 3]), ("op", "add", [4, 0]),
                                ("constant", None, []), ("input", None, []), ("op", "mul", [6, 7]),
                                ("op", "add", [5, 8])]),
    ("a = x*y + x*y + 2*x + 2*x; a", [("input", None, []), ("input", None, []), ("op", "mul", [0, 1]),
                                      ("op", "add", [2, 2]), ("constant", None, []), ("op", "mul", [4, 0]),
                                      ("op", "add", [3, 5]), ("op", "add", [6, 5])]),  # merged repeats
])
def test_the_builder_makes_a_spine_in_post_order(text, rows):
    from graphviz_nn.core.graph import build_nodes
    from graphviz_nn.language.parser import parse

    nodes = build_nodes(parse(text), {"b": 1.0, "x": 2.0, "y": 3.0, "w1": 4.0, "w2": 5.0, "x1": 6.0, "x2": 7.0})
    assert list(zip(nodes.kind, nodes.op, nodes.args)) == rows
