"""A layout does not depend on what the ``dot`` process laid out before.

Kept processes (:mod:`graphviz_nn.layout.kept`) and one run over several graphs
(:func:`~graphviz_nn.layout.program.run_layout_many`) lay out graph after graph in one ``dot``
process. Graphviz 2.43 visits sibling subgraphs in the order of their ids, and a named
subgraph's id is the address of its interned name, so two named clusters side by side (the rows
of a wrapped drawing) came in an order that depended on the heap the earlier graphs left: figure
7's left-to-right drawing was 1015.3 points high fresh and 931.29 after any other graph (or
either, at random, after some histories). Each case here compares a fresh run with the same
graph after several histories.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import graphviz_nn as gnn
from benchmarks.workloads import products_program
from graphviz_nn.draw.dot import RenderOptions, to_dot
from graphviz_nn.export.files import export_bytes
from graphviz_nn.layout import kept, steady
from graphviz_nn.layout import program as layout

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
needs_dot = pytest.mark.skipif(layout.locate("dot") is None, reason="needs the system dot")
TINY = "digraph tiny { a -> b }\n"


def layout_of(output: bytes) -> bytes:
    """The output without the names ``dot`` makes up for unnamed subgraphs in JSON (``"%321"``:
    a counter that goes on from the graphs before; nothing reads them)."""
    return re.sub(rb'"name": "%[0-9]+"', b'"name": "%"', output)


@pytest.fixture(autouse=True)
def fresh() -> None:
    kept.close_all()
    steady._CACHE.clear()
    steady._SHAPES.clear()
    yield
    kept.close_all()


@pytest.fixture(scope="module")
def figure_seven() -> gnn.Evaluation:
    """The benchmark's 159-node sum of 40 products (wrapped into two rows)."""
    text, values = products_program(40)
    return gnn.evaluate(text, values)


@pytest.fixture(scope="module")
def requests(figure_seven: gnn.Evaluation) -> list[str]:
    """The DOT texts the first pinned step of figure 7 asks ``dot`` for: every node version
    measured, then the finished drawing with the sizes reserved (two rows, left to right)."""
    asked: list[str] = []
    run_kept = kept.run_kept

    def record(sources, *args, **kwargs):
        asked.extend(sources)
        return run_kept(sources, *args, **kwargs)

    kept.run_kept = record
    try:
        steady._CACHE.clear()
        steady._SHAPES.clear()
        export_bytes(figure_seven, "svg", RenderOptions(step=1, layout_program="dot"))
    finally:
        kept.run_kept = run_kept
        kept.close_all()
    return asked


def histories(requests: list[str]) -> dict[str, list[str]]:
    """What a process may have laid out before: a tiny graph, figure 7's own requests (as the
    pinned step sends them, and the layout twice), another wrapped drawing."""
    mit = gnn.evaluate((EXAMPLES / "mit_4layer_chain.gnn").read_text())
    return {"tiny": [TINY], "measured": requests[:1], "itself": requests[1:2],
            "both": requests[:2], "tiny, both": [TINY, *requests[:2]], "another": [to_dot(mit), TINY]}


@pytest.mark.exe
@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "json0", "json"])
def test_the_finished_drawing_is_laid_out_the_same_whatever_ran_before(requests, fmt):
    program = layout.find_program("dot")
    source = requests[1]
    assert 'subgraph "cluster_gnn_row1"' in source  # a wrapped drawing
    alone = layout_of(layout.run_layout(source, fmt, program))
    for name, history in histories(requests).items():
        kept.close_all()
        kept.run_kept(history, fmt, program)
        assert layout_of(kept.run_kept([source], fmt, program)[0]) == alone, name
        assert layout_of(layout.run_layout_many([*history, source], fmt, program)[-1]) == alone, name
    if fmt == "json0":
        assert json.loads(alone)["bb"] == "0,0,5712.1,931.29"  # the rows in the order written


@pytest.mark.exe
@needs_dot
def test_the_first_pinned_step_is_the_same_whatever_ran_before(figure_seven):
    opts = RenderOptions(step=1, layout_program="dot")
    program = layout.find_program("dot")

    def pinned() -> bytes:
        steady._CACHE.clear()
        steady._SHAPES.clear()
        return export_bytes(figure_seven, "svg", opts)

    kept.close_all()
    first = pinned()  # fresh kept processes: measured, then laid out, in one process
    kept.close_all()
    kept.run_kept([TINY], "json0", program)  # the process has laid out another graph
    assert pinned() == first
    kept.close_all()
    for _ in range(3):  # the same processes, again and again
        assert pinned() == first
    run_kept = kept.run_kept
    kept.run_kept = lambda sources, fmt, prog=None, timeout=60.0, extra=(): layout.run_layout_many(
        sources, fmt, prog, timeout, extra)  # every layout in a process of its own
    try:
        assert pinned() == first
    finally:
        kept.run_kept = run_kept
