"""A :class:`Prepared` keeps no syntax tree once it has built its node table: the printed
forms (``canonical``, ``reading``) parse the text again when first read, and implicit products
are remembered by their span, so the printed text names the op each became (``W x`` a matrix
product, ``2 x`` a product) exactly as the per-node reference, which keeps its tree, prints it."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.core.reference import reference_evaluate
from graphviz_nn.language.syntax import Call, Var

from test_prepared import assert_same_evaluation

RNG = np.random.default_rng(3)
CASES = [
    ("a = W x; b = 2 x; a + b", {"W": RNG.uniform(-1, 1, (2, 2)), "x": RNG.uniform(-1, 1, 2)}),
    ("x^T A x + 3xy", {"A": RNG.uniform(-1, 1, (2, 2)), "x": RNG.uniform(-1, 1, 2), "y": 2.0}),
    ("(x y)(W x) + x (y x)", {"W": RNG.uniform(-1, 1, (2, 2)), "x": RNG.uniform(-1, 1, 2), "y": 0.5}),
    ("2xy + \\frac{x}{y} z", {"x": 1.5, "y": 2.0, "z": 3.0}),
    ("loss = (yhat - y)^2; loss", {"yhat": 0.3, "y": 1.0}),
]


@pytest.mark.parametrize("text,values", CASES)
def test_printed_forms_equal_the_reference_after_the_tree_is_gone(text, values):
    res = gnn.evaluate(text, values)
    slow = reference_evaluate(text, values)
    assert (res.reading, res.canonical) == (slow.reading, slow.canonical)
    assert_same_evaluation(res, slow)


def test_no_syntax_tree_outlives_prepare():
    text = "a = W x; b = 2 x; a + b"
    values = CASES[0][1]
    gc.collect()
    p = gnn.prepare(text, values)
    res = p.evaluate()
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) in (Call, Var)]
    assert "matmul" not in res.canonical and "W" in res.canonical  # printed from a fresh parse
    assert res.canonical == reference_evaluate(text, values).canonical


def test_a_new_shape_reads_the_text_again_and_prints_its_own_products():
    """``x y`` is elementwise for two vectors and a matrix product once x is a matrix: each build
    prints the op it made."""
    text = "x y + 1"
    p = gnn.prepare(text, {"x": np.ones(2), "y": np.ones(2)})
    vectors = p.evaluate()
    matrix = p.evaluate({"x": np.ones((2, 2))})
    for res, values in ((vectors, {"x": np.ones(2), "y": np.ones(2)}),
                        (matrix, {"x": np.ones((2, 2)), "y": np.ones(2)})):
        assert_same_evaluation(res, reference_evaluate(text, values))
    assert [d["op"] for _, d in matrix.graph.nodes(data=True) if d["kind"] == "op"][0] == "matmul"
    assert [d["op"] for _, d in vectors.graph.nodes(data=True) if d["kind"] == "op"][0] == "mul"
