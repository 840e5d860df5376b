"""Long chains wrapped into rows: the plan (pure), and the drawings the layout program makes of
the MIT 4-layer chain in every theme and direction, finished and pinned at a step."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.dot import RenderOptions, to_dot
from graphviz_nn.draw.wrap import wrap_plan
from graphviz_nn.layout import program as layout
from graphviz_nn.layout import steady

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def chain(n: int) -> list[str]:
    """DOT statements of a bare chain n0 -> n1 -> … with an input feeding every third node."""
    lines = [f'  "n{i}" [id="n{i}"]' for i in range(n)]
    lines += [f'  "n{i}" -> "n{i + 1}" [id="e{i}"]' for i in range(n - 1)]
    lines += [f'  "w{i}" [id="w{i}"]' for i in range(0, n, 3)]
    lines += [f'  "w{i}" -> "n{i}" [id="f{i}"]' for i in range(0, n, 3)]
    return lines


@pytest.mark.parametrize("n,rankdir,rows", [
    (6, "LR", None),    # short: one row
    (10, "LR", None),   # under two rows of MIN_ROW_RANKS ranks
    (24, "LR", 2),
    (40, "LR", 3),
    (24, "TB", 4),      # top to bottom the chain is long and thin: columns side by side
])
def test_the_number_of_rows_follows_the_aspect_ratio(n, rankdir, rows):
    plan = wrap_plan(chain(n), rankdir, 1.25, 1.5)
    assert (plan.rows if plan else None) == rows


def test_rows_are_cut_where_one_edge_crosses_and_every_input_sits_in_its_consumers_row():
    plan = wrap_plan(chain(30), "LR", 1.25, 1.5)
    assert plan is not None
    assert all(e.startswith("e") for e in plan.cut_edges)  # the spine, never an input's edge
    assert len(plan.cut_edges) == plan.rows - 1
    for i in range(0, 30, 3):
        assert plan.row_of[f'"w{i}"'] == plan.row_of[f'"n{i}"']
    # columns restart in every row
    assert {plan.column_of[n] for n, r in plan.row_of.items() if r == 1} >= {0}


def test_marking_adds_no_constraint_to_the_cut_edges_only():
    plan = wrap_plan(chain(30), "LR", 1.25, 1.5)
    cut = next(iter(plan.cut_edges))
    line = next(line for line in chain(30) if f'id="{cut}"' in line)
    assert plan.mark(line).endswith(' constraint="false"]')
    assert plan.mark('  "w0" -> "n0" [id="f0"]') == '  "w0" -> "n0" [id="f0"]'


@pytest.fixture(scope="module")
def mit() -> gnn.Evaluation:
    return gnn.evaluate((EXAMPLES / "mit_4layer_chain.gnn").read_text())


def centres(res: gnn.Evaluation, opts: RenderOptions) -> tuple[dict[str, tuple[float, float]], tuple[float, ...]]:
    """Every node's centre (points) and the bounding box, as the layout program draws ``opts``."""
    source, extra = steady.step_source(res, opts)
    found = json.loads(layout.run_layout(source, "json", layout.find_program(), 60.0, extra))
    where = {o["id"]: tuple(float(v) for v in o["pos"].split(",")) for o in found["objects"]
             if "pos" in o and "id" in o}
    return where, tuple(float(v) for v in found["bb"].split(","))


@pytest.mark.exe
@pytest.mark.parametrize("theme", ["lecture", "micrograd", "print"])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_the_mit_chain_is_drawn_in_rows_that_read_on(mit, theme, rankdir):
    opts = RenderOptions(theme=theme, rankdir=rankdir)
    source = to_dot(mit, opts)
    rows = source.count("cluster_gnn_row")
    assert rows >= 2
    where, (x0, y0, x1, y1) = centres(mit, opts)
    flat, (fx0, fy0, fx1, fy1) = centres(mit, dataclasses.replace(opts, wrap=False))
    aspect, flat_aspect = (x1 - x0) / (y1 - y0), (fx1 - fx0) / (fy1 - fy0)
    # wrapped, the drawing's width/height comes closer to a laptop screen's 2:1 than the strip
    # (3.7-12:1 left to right, 1:3.4 top to bottom) and lies within 0.7:1 to 4:1
    assert abs(math.log(aspect / 2)) < abs(math.log(flat_aspect / 2)), (aspect, flat_aspect)
    assert 0.7 <= aspect <= 4.0, aspect
    # each row lies wholly after the one before: below it (LR; y grows upwards) or right of it (TB)
    row_of = {}
    for line in source.splitlines():
        if line.startswith('  { subgraph "cluster_gnn_row'):
            row = int(line.split("cluster_gnn_row")[1].split('"')[0])
            for name in re.findall(r'"([^"]*)"', line.split("{", 1)[1]):
                if name in where:
                    row_of[name] = row
    for row in range(1, rows):
        before = [where[n] for n, r in row_of.items() if r == row - 1]
        after = [where[n] for n, r in row_of.items() if r == row]
        if rankdir == "LR":
            assert max(y for _, y in after) < min(y for _, y in before)
        else:
            assert min(x for x, _ in after) > max(x for x, _ in before)


@pytest.mark.exe
def test_a_pinned_step_keeps_the_rows(mit):
    opts = RenderOptions()
    n = len(mit.trace)
    final, _ = centres(mit, dataclasses.replace(opts, step=n))
    for k in (0, 12, 30):
        step, _ = centres(mit, dataclasses.replace(opts, step=k))
        assert all(abs(step[i][0] - final[i][0]) <= 1 and abs(step[i][1] - final[i][1]) <= 1 for i in final
                   if not i.startswith("gnn_corner")), k


def test_small_programs_are_not_wrapped():
    for name in ("nyu_program.gnn", "cs231n_simple.gnn", "design.gnn", "micrograd_neuron.gnn"):
        res = gnn.evaluate((EXAMPLES / name).read_text())
        for rankdir in ("LR", "TB"):
            assert "cluster_gnn_row" not in to_dot(res, RenderOptions(rankdir=rankdir)), (name, rankdir)


def test_every_named_subgraph_stands_alone_in_an_unnamed_group(mit):
    """dot visits sibling subgraphs in the order of their ids, a named one's being the address of
    its name: named siblings would come in an order that depends on what the process laid out
    before (tests/layout/test_history.py shows the layout changing)."""
    for rankdir in ("LR", "TB"):
        source = to_dot(mit, RenderOptions(rankdir=rankdir))
        named = [line for line in source.splitlines() if re.search(r"\bsubgraph\s+\S", line)]
        assert len(named) >= 2, rankdir
        for row, line in enumerate(named):
            assert line.startswith(f'  {{ subgraph "cluster_gnn_row{row}" {{ ') and line.endswith(" } }"), line
