"""One path folder for many paths writes the same factors as a fresh folder for each path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphviz_nn.explain.chainrule import edge_paths, path_folder
from graphviz_nn.page.evaluations import cached_evaluation, with_defaults

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _paths(graph):
    output = graph.graph["output"]
    for node in graph.nodes:
        for i, path in enumerate(edge_paths(graph, node, output)):
            if i == 6:
                break
            yield list(path)


@pytest.mark.parametrize("name", ["cs189_matrix_loss.gnn", "mit_4layer_chain.gnn", "design.gnn",
                                  "micrograd_neuron.gnn"])
def test_a_shared_folder_folds_every_path_as_a_fresh_one(name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    graph = cached_evaluation(text, with_defaults(text, {})).graph
    shared = path_folder(graph)
    paths = list(_paths(graph))
    assert len(paths) > 5
    for path in paths:
        assert _text(shared(path)) == _text(path_folder(graph)(path))


def _text(factors) -> list:
    """What a factor writes (its value is the product of the edges' numbers, not a formula)."""
    return [(f.numerator, f.denominator, f.latex, f.plain, f.edges, np.asarray(f.value).tolist()) for f in factors]


def test_the_shared_formulas_are_per_edge_operand() -> None:
    # x*y: the two edges into the product have different local derivatives (y and x); a folder
    # that wrote one formula per target would give both the first one it wrote
    text = "f = x*y"
    graph = cached_evaluation(text, with_defaults(text, {})).graph
    fold = path_folder(graph)
    first = [fold(path)[-1].latex for node in ("x", "y") for path in edge_paths(graph, _id(graph, node), graph.graph["output"])]
    assert first == ["y", "x"]


def _id(graph, name: str) -> str:
    return graph.graph["inputs"][name]
