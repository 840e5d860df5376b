"""Values given to ``prepare``/``gnn.evaluate`` become the evaluation's own: read-only, never
sharing memory with the caller's arrays, so changing the caller's array afterwards changes no
result. An array the conversion made anew (from a list, text or another dtype) is not copied a
second time; a caller's float64 array, a view of one, or another array-like is."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.language.values import _made_here, owned_values

BASE = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def raws():
    readonly = np.array([1.0, 2.0, 3.0])
    readonly.setflags(write=False)
    return {
        "float64": np.array([1.0, 2.0, 3.0]), "view": BASE.copy()[0], "column": np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])[:, 0],
        "float32": np.array([1, 2, 3], dtype=np.float32), "int": np.array([1, 2, 3]), "list": [1.0, 2.0, 3.0],
        "tuple": (1, 2, 3), "text": "[1, 2, 3]", "read-only": readonly,
    }


@pytest.mark.parametrize("kind", list(raws()))
def test_results_never_share_the_callers_memory(kind):
    raw = raws()[kind]
    res = gnn.evaluate("x*2 + sum(x)", {"x": raw})
    expected = np.asarray(raw if kind != "text" else [1.0, 2.0, 3.0], dtype=float).ravel() * 2
    expected = expected + expected.sum() / 2
    got = res.values["x"]
    if isinstance(raw, np.ndarray):
        assert not np.shares_memory(got, raw)
        if raw.flags.writeable:
            raw[...] = -7  # the caller changes its array: no result moves
    assert np.array_equal(res.value, expected)
    assert np.array_equal(np.ravel(res.values["x"]), [1.0, 2.0, 3.0])
    assert np.array_equal(np.ravel(res.graph.nodes[res.inputs["x"]]["value"]), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        got[...] = 0  # read-only


@pytest.mark.parametrize("kind,made_here", [
    ("float64", False), ("view", False), ("column", False), ("float32", True), ("int", True), ("list", True),
    ("tuple", True), ("text", True), ("read-only", False)])
def test_only_arrays_made_by_the_conversion_are_kept_uncopied(kind, made_here):
    raw = raws()[kind]
    value = owned_values({"x": raw})["x"]
    from graphviz_nn.language.values import to_value
    assert _made_here(to_value(raw, "x"), raw) is made_here
    if isinstance(raw, np.ndarray):
        assert not np.shares_memory(value, raw)
    assert not value.flags.writeable


def test_a_later_evaluation_keeps_its_own_copy():
    x = np.array([1.0, 2.0])
    p = gnn.prepare("x*x", {"x": x})
    first = p.evaluate()
    y = np.array([3.0, 4.0])
    second = p.evaluate({"x": y})
    x[:] = 0
    y[:] = 0
    assert first.value.tolist() == [1.0, 4.0] and second.value.tolist() == [9.0, 16.0]
    assert first.gradients["x"].tolist() == [2.0, 4.0] and second.gradients["x"].tolist() == [6.0, 8.0]
