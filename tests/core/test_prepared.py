"""``prepare(text).evaluate(values)`` (the one engine, also ``gnn.evaluate``) against the per-node
reference engine ``reference_evaluate(text, values)``: the same value,
gradients, warnings, non-finite flags, trace and graph attributes, for every example and for
values that change, change shape, rename or break. No timing here (see benchmarks/)."""

from __future__ import annotations

import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.core import prepared
from graphviz_nn.core.reference import reference_evaluate
from graphviz_nn.errors import GnnError, ParseError, ShapeError
from graphviz_nn.networks.network import parse_spec

from test_schedule import CASES, mlp_program, random_program, same

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIELDS = ("index", "phase", "node", "edge", "value", "upstream", "local", "contribution", "grad_after")
NODE_ATTRS = ("value", "grad", "nonfinite", "label", "kind", "op", "shape")


def assert_same_evaluation(fast: gnn.Evaluation, slow: gnn.Evaluation) -> None:
    """Every public field, every trace step and every node and edge attribute agree exactly."""
    assert same(fast.value, slow.value)
    assert list(fast.gradients) == list(slow.gradients)
    for name in slow.gradients:
        assert same(fast.gradients[name], slow.gradients[name]), name
    assert (fast.canonical, fast.reading, fast.output, fast.output_name, fast.inputs) == (
        slow.canonical, slow.reading, slow.output, slow.output_name, slow.inputs)
    assert (fast.nonfinite, fast.warnings, fast.forward_steps) == (slow.nonfinite, slow.warnings,
                                                                   slow.forward_steps)
    assert list(fast.values) == list(slow.values)
    assert all(same(fast.values[k], slow.values[k]) for k in slow.values)
    assert len(fast.trace) == len(slow.trace)
    for a, b in zip(fast.trace, slow.trace):
        for name in FIELDS:
            assert same(getattr(a, name), getattr(b, name)) if name in FIELDS[4:] else \
                getattr(a, name) == getattr(b, name), (name, a, b)
    g, h = fast.graph, slow.graph
    assert list(g.nodes) == list(h.nodes) and list(g.edges(keys=True)) == list(h.edges(keys=True))
    for node, attrs in h.nodes(data=True):
        for name in NODE_ATTRS:
            assert same(g.nodes[node][name], attrs[name]) if name in ("value", "grad") else \
                g.nodes[node][name] == attrs[name], (node, name)
    for u, v, k, attrs in h.edges(keys=True, data=True):
        other = g.edges[u, v, k]
        assert set(other) == set(attrs), (u, v, k)
        for name in ("local", "contribution"):
            if name in attrs:
                assert same(other[name], attrs[name]), (u, v, k, name)
    assert fast.to_json() == slow.to_json()


@pytest.mark.parametrize("text,values", CASES)
@pytest.mark.parametrize("constant_grads", [False, True])
def test_cases_equal_evaluate(text, values, constant_grads):
    assert_same_evaluation(gnn.prepare(text, values, constant_grads=constant_grads).evaluate(),
                           reference_evaluate(text, values, constant_grads=constant_grads))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.gnn")), ids=lambda p: p.stem)
def test_example_programs(path):
    text = path.read_text(encoding="utf-8")
    assert_same_evaluation(gnn.prepare(text).evaluate(), reference_evaluate(text))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_example_layer_specs(path):
    net = parse_spec(path.read_text(encoding="utf-8"), path.name)
    assert_same_evaluation(gnn.prepare(net.program, dict(net.values)).evaluate(),
                           reference_evaluate(net.program, dict(net.values)))


@pytest.mark.parametrize("seed", range(20))
def test_random_programs_with_changing_values(seed):
    rng = random.Random(seed)
    text, values = random_program(rng, rng.randint(1, 4), rng.randint(1, 8))
    p = gnn.prepare(text, values, merge=seed % 3 != 0)
    for _ in range(3):
        changed = {name: rng.choice([rng.uniform(-2, 2), 0.0, -1.0]) for name in values if rng.random() < 0.6}
        assert_same_evaluation(p.evaluate(changed), reference_evaluate(text, {**values, **changed},
                                                                     merge=seed % 3 != 0))


def test_design_example_values_change_and_earlier_results_stay():
    text = "sin(xy)/z + e^<xz>/(xy)"
    p = gnn.prepare(text, {"x": 1, "y": 2, "z": 3})
    first = p.evaluate()
    second = p.evaluate({"z": 0.5, "α": 7})  # α is not in the text: a warning, as evaluate gives
    assert second.warnings == ["values given for names the text does not use: alpha"]
    assert_same_evaluation(second, reference_evaluate(text, {"x": 1, "y": 2, "z": 0.5, "alpha": 7}))
    # The first result keeps its own numbers, on its own graph.
    assert round(first.value, 4) == 10.3459 and first.graph is not second.graph
    assert first.graph.nodes[first.output]["value"] == first.value
    assert_same_evaluation(first, reference_evaluate(text, {"x": 1, "y": 2, "z": 3}))


def test_a_new_shape_builds_again_and_old_shapes_are_kept():
    text = "sin(xy)/z + e^<xz>/(xy)"
    p = gnn.prepare(text, {"x": 1, "y": 2, "z": 3})
    batch = {"x": [1, 2, 3], "y": [2, 0, 1], "z": [3, 4, 0]}
    assert_same_evaluation(p.evaluate(batch), reference_evaluate(text, batch))
    assert_same_evaluation(p.evaluate({"x": 1, "y": 2, "z": 3}), reference_evaluate(text, {"x": 1, "y": 2, "z": 3}))
    assert len(p._builds) == 2
    for n in range(2, 2 + prepared.KEEP_BUILDS + 2):  # only the last few builds are kept
        p.evaluate({"x": np.ones(n)})
    assert len(p._builds) == prepared.KEEP_BUILDS


def test_a_value_that_names_a_word_reads_the_text_again():
    p = gnn.prepare("xy + x", {"x": 2, "y": 3})
    assert p.evaluate().canonical == "((x * y) + x)"
    res = p.evaluate({"xy": 10})
    assert res.canonical == "(xy + x)" and res.value == 12.0
    assert_same_evaluation(res, reference_evaluate("xy + x", {"x": 2, "y": 3, "xy": 10}))


def test_nonfinite_values_are_flagged_as_evaluate_flags_them():
    text = "log(x - 2)*y + 1/(x - x) + 0*(-1)^0.5"
    p = gnn.prepare(text, {"x": 3, "y": 2})
    for x in (3.0, 1.0, 2.0):
        fast, slow = p.evaluate({"x": x}), reference_evaluate(text, {"x": x, "y": 2})
        assert fast.nonfinite and fast.warnings[0].startswith("non-finite values")
        assert_same_evaluation(fast, slow)
    finite = gnn.prepare("x*y", {"x": 1, "y": 2}).evaluate({"y": 1e308})
    assert finite.nonfinite == [] and finite.warnings == []
    overflow = gnn.prepare("x*y", {"x": 10, "y": 2}).evaluate({"y": 1e308})
    assert overflow.nonfinite == reference_evaluate("x*y", {"x": 10, "y": 1e308}).nonfinite != []


def test_bad_text_and_bad_values_fail_with_our_errors():
    with pytest.raises(ParseError) as err:
        gnn.prepare("x + * y", {"x": 1, "y": 2})
    assert "^" in err.value.render()
    p = gnn.prepare("W x", {"W": [[1, 2], [3, 4]], "x": [1, 1]})
    with pytest.raises(ShapeError) as err:
        p.evaluate({"x": [1, 2, 3]})
    assert "W x" in err.value.render()
    with pytest.raises(GnnError):
        p.evaluate({"x": "[1, oops]"})
    assert p.evaluate().value.tolist() == [3.0, 7.0]  # a failed call leaves the object usable


def test_a_big_mlp_matches_and_its_graph_is_filled_only_when_read():
    text, values = mlp_program(16, [30, 30, 1])
    p = gnn.prepare(text, values)
    res = p.evaluate({"x0": 0.25})
    assert not isinstance(res._graph, nx.MultiDiGraph)  # not filled yet
    assert_same_evaluation(res, reference_evaluate(text, {**values, "x0": 0.25}))




def test_repr_is_short_and_says_what_was_computed():
    res = gnn.prepare("x*y + 1/z", {"x": 2, "y": 3, "z": 0}).evaluate()
    assert repr(res) == ("Evaluation(reading='x·y + 1/z', value=inf, gradients={'x': 3.0, 'y': 2.0, 'z': -inf}, "
                         "nodes=7, steps=13, warnings=['non-finite values (nan or inf) at z; 1 ÷ z; (x × y) + (1 ÷ z)'])")
    long = reference_evaluate(" + ".join(f"x{i}" for i in range(30)), {f"x{i}": 1 for i in range(30)})
    assert len(repr(long)) < 400 and "…" in repr(long) and "'x8'" not in repr(long)


def test_shared_arrays_are_read_only_so_one_result_cannot_change_another():
    p = gnn.prepare("sum(w*w) + sum([1, 2]*w)", {"w": [1, 2]})
    first = p.evaluate()
    with pytest.raises(ValueError, match="read-only"):
        first.values["w"] -= 0.1 * first.gradients["w"]  # an in-place SGD step on a shared array
    const = next(n for n, d in first.graph.nodes(data=True) if d["kind"] == "constant")
    with pytest.raises(ValueError, match="read-only"):
        first.graph.nodes[const]["value"][0] = 100.0
    assert p.evaluate().value == reference_evaluate("sum(w*w) + sum([1, 2]*w)", {"w": [1, 2]}).value == 10.0
    w = np.array([1.0, 2.0])
    second = p.evaluate({"w": w})
    w[0] = 5.0  # the caller's own array stays theirs: the evaluation took a copy
    assert second.values["w"].tolist() == [1.0, 2.0] and second.value == 10.0


@pytest.mark.parametrize("text", ["x^2", "x^0.5", "x^-1", "x^3 + y^2", "(x*y)^2 + x^2"])
def test_powers_equal_the_engine_to_the_last_digit(text):
    """np.power takes shortcuts for a scalar exponent that an array of exponents does not."""
    rng = random.Random(7)
    p = gnn.prepare(text, {"x": 1.5, "y": 0.5})
    for _ in range(200):
        values = {"x": rng.uniform(0.1, 3), "y": rng.uniform(-2, 2)}
        fast, slow = p.evaluate(values), reference_evaluate(text, values)
        assert fast.value == slow.value and fast.gradients == slow.gradients, values
