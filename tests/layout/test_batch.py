"""One layout run for many graphs: the outputs split back into one per graph, equal to what a
run per graph writes (so a step sequence starts one process per worker, not one per frame)."""

from __future__ import annotations

import json

import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.dot import RenderOptions
from graphviz_nn.export import frames
from graphviz_nn.layout import program as layout

pytestmark = pytest.mark.exe
FANOUT = ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})


@pytest.mark.parametrize("fmt,extra", [("svg", ()), ("png", ("-Gdpi=96",)), ("json", ())])
def test_a_batched_sequence_equals_one_run_per_frame(fmt, extra):
    res = gnn.evaluate(*FANOUT)
    opts = frames.frame_options(res, RenderOptions(edge_labels=True))
    batched = frames._layout_all(res, fmt, opts, extra)
    alone = [frames._layout(res, fmt, extra)(o) for o in opts]
    assert len(batched) == len(alone) == len(res.trace) + 1
    if fmt == "json":
        assert [json.loads(b) for b in batched] == [json.loads(a) for a in alone]
    else:
        assert batched == alone


def test_split_outputs_counts_every_graph():
    sources = [f'digraph g{i} {{ a{i} -> b{i} [label="{"x" * i}"] }}\n' for i in range(5)]
    for fmt in ("svg", "png", "json"):
        parts = layout.run_layout_many(sources, fmt)
        assert len(parts) == 5
        assert parts == [layout.run_layout(s, fmt) for s in sources]
