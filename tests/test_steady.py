"""Steady steps: every step of a pass drawn at the finished drawing's positions and size, with
dot and with graphviz-pure; and, as the control, the same steps laid out alone do move."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile

import pytest

import graphviz_nn as gnn
from graphviz_nn import frames, layout, steady
from graphviz_nn.export import export_bytes
from graphviz_nn.render import RenderOptions, to_dot
from graphviz_nn.tikz import tikz_document

PROGRAMS = [name for name in layout.PROGRAMS if layout.locate(name)]
FANOUT = ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})
pytestmark = pytest.mark.exe


@pytest.fixture(scope="module")
def res() -> gnn.Evaluation:
    return gnn.evaluate(*FANOUT)


def placed(res: gnn.Evaluation, opts: RenderOptions) -> dict[str, tuple[float, ...]]:
    """Every node's centre (and size) and every edge's spline, as the layout program placed
    them, measured from the first node's centre (a pinned drawing has a margin of its own)."""
    source, extra = steady.step_source(res, opts)
    program = layout.find_program(opts.layout_program)
    drawing = json.loads(layout.run_layout(source, "json", program, opts.timeout, extra))
    where: dict[str, tuple[float, ...]] = {}
    for obj in drawing["objects"]:
        if "pos" in obj and not obj["name"].startswith("gnn_corner"):
            where[obj["id"]] = tuple(float(v) for v in obj["pos"].split(","))
            if obj.get("shape") != "plain":  # a plain node (an HTML table) is its label's size
                where[obj["id"]] += (float(obj["width"]) * 72, float(obj["height"]) * 72)
    for edge in drawing.get("edges", []):
        where[edge["id"]] = tuple(float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", edge["pos"]))
    x0, y0 = where["n0"][:2]

    def shifted(values: tuple[float, ...], points: int) -> tuple[float, ...]:
        return tuple(v - (x0 if i % 2 == 0 else y0) if i < 2 * points else v for i, v in enumerate(values))

    return {key: shifted(v, 1 if key in drawing_nodes else len(v) // 2)
            for key, v in where.items()
            for drawing_nodes in [{o.get("id") for o in drawing["objects"]}]}


def same_places(a: dict[str, tuple[float, ...]], b: dict[str, tuple[float, ...]]) -> bool:
    """The same ids at the same places, to within a point (programs print 2 to 3 decimals)."""
    return a.keys() == b.keys() and all(
        len(a[k]) == len(b[k]) and all(abs(x - y) <= 1.0 for x, y in zip(a[k], b[k])) for k in a)


def svg_size(svg: bytes) -> tuple[str, str]:
    head = svg.decode("utf-8")
    return (re.search(r'<svg width="([^"]+)"', head).group(1), re.search(r'height="([^"]+)"', head).group(1))


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("theme,edge_labels", [("lecture", True), ("micrograd", False), ("print", True)])
def test_every_step_sits_where_the_finished_drawing_puts_it(res, program, theme, edge_labels):
    opts = RenderOptions(theme=theme, edge_labels=edge_labels, layout_program=program)
    n = len(res.trace)
    final = placed(res, dataclasses.replace(opts, step=n, steady=False))
    assert len(final) >= res.graph.number_of_nodes() + res.graph.number_of_edges()
    sizes = set()
    for k in range(n + 1):
        step = dataclasses.replace(opts, step=k)
        assert same_places(placed(res, step), final), k
        sizes.add(svg_size(export_bytes(res, "svg", step)))
    assert len(sizes) == 1  # every frame the same width and height


@pytest.mark.parametrize("program", PROGRAMS)
def test_without_steady_the_steps_move(res, program):
    """The control: laid out alone, the bare graph and a mid-pass step put nodes elsewhere
    (labels grow as values arrive), so the test above can fail."""
    opts = RenderOptions(edge_labels=True, layout_program=program, steady=False)
    final = placed(res, dataclasses.replace(opts, step=len(res.trace)))
    for k in (0, 5):
        assert not same_places(placed(res, dataclasses.replace(opts, step=k)), final)


def test_the_pinned_source_keeps_every_statement_and_adds_two_invisible_corners(res):
    opts = RenderOptions(step=3, edge_labels=True)
    source, extra = steady.step_source(res, opts)
    plain = to_dot(res, opts)
    assert extra == steady.PIN_ARGS
    assert source.count(" -> ") == plain.count(" -> ")
    nodes = [line for line in plain.splitlines() if line.startswith('  "') and " -> " not in line]
    assert len(nodes) > res.graph.number_of_nodes()  # the graph's nodes and the op circles beside them
    assert source.count('!"') == len(nodes) + 2  # every node and both corners pinned
    assert source.count('fixedsize="true"') == len(nodes)  # lecture: no plain shapes
    assert source.count("gnn_corner_") == 2 and source.count('style="invis"') == 2
    # The finished drawing and the plain source (the DOT download) are not pinned.
    assert steady.step_source(res, RenderOptions())[1] == ()
    assert export_bytes(res, "dot", opts).decode("utf-8") == plain


def test_a_node_without_a_pin_lays_the_step_out_alone(res):
    source = to_dot(res, RenderOptions(step=2))
    ids = re.findall(r'^  "[^"]+" \[id="([^"]+)"', source, re.MULTILINE)
    attrs = {node: 'pos="0,0!"' for node in ids}
    assert steady.pin(source, (attrs, (0.0, 0.0, 10.0, 10.0))) is not None
    del attrs[ids[-1]]
    assert steady.pin(source, (attrs, (0.0, 0.0, 10.0, 10.0))) is None


def test_step_frames_share_one_size_in_the_zip_and_the_pdf(res):
    opts = RenderOptions(edge_labels=True)
    with zipfile.ZipFile(io.BytesIO(frames.svg_zip(res, opts))) as archive:
        sizes = {svg_size(archive.read(name)) for name in archive.namelist()}
    assert len(archive.namelist()) == len(res.trace) + 1 and len(sizes) == 1
    pdf = frames.pdf_bytes(res, opts)
    boxes = set(re.findall(rb"/MediaBox \[([^\]]+)\]", pdf))
    assert pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") >= 1
    assert len(boxes) == 1


def test_tikz_steps_use_the_finished_positions(res):
    at = {k: re.findall(r"\\node.* at \(([-\d.]+),\s*([-\d.]+)\)", tikz_document(res, RenderOptions(step=k)))
          for k in (0, 7, len(res.trace))}
    assert at[0] == at[7] == at[len(res.trace)] and len(at[0]) >= res.graph.number_of_nodes()
