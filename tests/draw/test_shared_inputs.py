"""Large graphs whose inputs are shared by every layer: listed in each box, not drawn with edges
across the picture (dot needed minutes to route those)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.dot import RenderOptions, to_dot
from graphviz_nn.export.files import render_svg
from graphviz_nn.draw.groups import MAX_SHARED_EDGES, group_nodes

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def shared_chain() -> gnn.Evaluation:
    lines = ["a0 = x"] + [f"a{i} = tanh(a{i - 1}*w{i % 7} + b{i % 3})" for i in range(1, 500)]
    values = {"x": 0.3, **{f"w{i}": 0.5 for i in range(7)}, **{f"b{i}": 0.1 for i in range(3)}}
    return gnn.evaluate("\n".join(lines), values)


def test_widely_shared_inputs_are_folded_into_every_box(shared_chain: gnn.Evaluation) -> None:
    grouping = group_nodes(shared_chain.graph)
    inputs = shared_chain.inputs
    for name in [f"w{i}" for i in range(7)] + [f"b{i}" for i in range(3)]:
        assert inputs[name] not in grouping.rep_of  # no node of its own, so no long edges
    assert inputs["x"] in grouping.rep_of
    note = next(n for n in grouping.notes if n.startswith("inputs used by more than"))
    assert f"more than {MAX_SHARED_EDGES} boxes" in note and "w1" in note
    box = next(g for g in grouping.groups if g.rep == "n8" or "w1" in g.summary)
    assert "inputs" in box.summary
    dot = to_dot(shared_chain, RenderOptions())
    assert "listed inside each box instead of drawn" in dot


@pytest.mark.exe
def test_shared_weight_chain_renders_quickly_enough_to_finish(shared_chain: gnn.Evaluation) -> None:
    svg = render_svg(shared_chain, timeout=60.0)  # this used to exceed the 60 s layout timeout
    root = ET.fromstring(svg)
    texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "large graph: 1,509 nodes" in texts


def rnn_like(steps: int) -> gnn.Evaluation:
    lines = ["a0 = x"] + [f"a{i} = tanh(a{i - 1}*w{i % 7} + b{i % 3})" for i in range(1, steps)]
    values = {"x": 0.3, **{f"w{i}": 0.5 for i in range(7)}, **{f"b{i}": 0.1 for i in range(3)}}
    return gnn.evaluate("\n".join(lines), values)


def test_mid_size_graph_with_weights_shared_by_every_layer_draws_compactly() -> None:
    res = rnn_like(60)  # 189 nodes: under the 250-node threshold, but dot timed out on it
    assert res.graph.number_of_nodes() == 189
    dot = to_dot(res, RenderOptions())
    assert "large graph: 189 nodes" in dot and "listed inside each box instead of drawn" in dot
    full = to_dot(res, RenderOptions(detail="full"))  # still available on request
    assert "large graph" not in full
    small = to_dot(rnn_like(20), RenderOptions())  # 59 nodes: drawn in full
    assert "large graph" not in small


@pytest.mark.exe
def test_mid_size_shared_weight_graph_renders() -> None:
    svg = render_svg(rnn_like(60), timeout=60.0)
    assert ET.fromstring(svg).tag == f"{SVG}svg"
