"""export: every format, with the system dot and with graphviz-pure alone (dot absent from PATH)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zlib

import pytest

import graphviz_nn as gnn
from graphviz_nn.export import files as export
from graphviz_nn.layout import program as layout
from graphviz_nn.errors import LayoutNotFoundError, RenderError
from graphviz_nn.notation.numfmt import format_number
from graphviz_nn.layout.pdf import xdot_json_to_pdf
from graphviz_nn.draw.dot import RenderOptions
from graphviz_nn.export.files import render_svg

SVG = "{http://www.w3.org/2000/svg}"
DESIGN = ("sin(xy)/z + e^(xz)/(xy)", {"x": 1, "y": 2, "z": 3})
P004 = ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 2, "y": -1, "z": 3})
PROGRAMS = [p for p in layout.PROGRAMS if layout.locate(p)]


@pytest.fixture(scope="module")
def design() -> gnn.Evaluation:
    return gnn.evaluate(*DESIGN)


@pytest.fixture(scope="module")
def p004() -> gnn.Evaluation:
    return gnn.evaluate(*P004)


@pytest.fixture(params=PROGRAMS)
def program(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once per installed layout program; for graphviz-pure, hide dot."""
    name = request.param
    real = layout.locate
    if name == "graphviz-pure":
        monkeypatch.setattr(layout, "locate", lambda prog: None if prog == "dot" else real(prog))
    monkeypatch.delenv(layout.ENV_VAR, raising=False)
    return name


def svg_groups(svg: str, cls: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


def texts(group: ET.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


@pytest.mark.exe
@pytest.mark.parametrize("theme", ["lecture", "micrograd", "print"])
def test_svg_parses_and_has_one_group_per_dag_node_and_edge(
    design: gnn.Evaluation, program: str, theme: str
) -> None:
    svg = render_svg(design, theme=theme)
    nodes = {g.get("id") for g in svg_groups(svg, "node")}
    assert set(design.graph.nodes) <= nodes
    assert len([n for n in nodes if re.fullmatch(r"n\d+", n or "")]) == design.graph.number_of_nodes()
    assert len(svg_groups(svg, "arg")) == design.graph.number_of_edges()


@pytest.mark.exe
def test_svg_labels_carry_values_and_gradients(p004: gnn.Evaluation, program: str) -> None:
    svg = render_svg(p004, theme="lecture")
    by_id = {g.get("id"): texts(g) for g in svg_groups(svg, "node")}
    expected = {"x": (2, -6), "y": (-1, 16), "z": (3, 8)}  # w = (xy+z)·2x(xy+z): dw/dx=-6, dy=16, dz=8
    for name, (value, grad) in expected.items():
        shown = by_id[p004.graph.graph["inputs"][name]]
        assert shown == [name, f"= {format_number(value)}", f"∂ = {format_number(grad)}"]


@pytest.mark.exe
def test_svg_with_user_text_full_of_markup_is_valid_xml(p004: gnn.Evaluation, program: str) -> None:
    evil = '<script>alert("x")</script> & {braces} \\N "quoted"'
    svg = render_svg(p004, title=evil)
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert evil in "".join(t.text or "" for t in root.iter(f"{SVG}text"))


@pytest.mark.exe
def test_png_and_pdf_start_with_their_magic_bytes(design: gnn.Evaluation, program: str) -> None:
    png = export.export_bytes(design, "png", RenderOptions(theme="micrograd"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pdf = export.export_bytes(design, "pdf", RenderOptions(theme="print", edge_labels=True))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


@pytest.mark.exe
def test_step_picture_renders(p004: gnn.Evaluation, program: str) -> None:
    svg = render_svg(p004, step=12, edge_labels=True)
    assert "step 12 of 19" in "".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text"))


@pytest.mark.exe
def test_two_thousand_node_graph_renders_to_svg(program: str) -> None:
    lines, values = ["h0 = x"], {"x": 0.5}
    for i in range(1, 287):
        lines.append(f"h{i} = tanh(w{i}*h{i - 1} + b{i}) + 0.5*h{i - 1}")
        values[f"w{i}"], values[f"b{i}"] = 0.9, 0.01
    res = gnn.evaluate("; ".join(lines), values)
    assert res.graph.number_of_nodes() >= 2000
    svg = render_svg(res)
    assert len(svg_groups(svg, "node")) == 287
    # 2,290 nodes: each line's 0.5 is a node of its own (equal constants are never merged)
    assert f"large graph: {res.graph.number_of_nodes():,} nodes" in "".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text"))


def test_dot_and_json_need_no_layout_program(design: gnn.Evaluation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "locate", lambda name: None)
    assert export.export_bytes(design, "dot").startswith(b"digraph computation {")
    data = json.loads(export.export_bytes(design, "json"))
    assert data == json.loads(json.dumps(design.to_json()))
    with pytest.raises(LayoutNotFoundError, match="pip install graphviz-pure"):
        export.export_bytes(design, "svg")


@pytest.mark.parametrize(("path", "fmt"), [("a.svg", "svg"), ("b.PNG", "png"), ("c.gv", "dot"), ("d.tex", "tex")])
def test_format_from_suffix(path: str, fmt: str) -> None:
    assert export.format_for_path(path) == fmt


def test_unknown_format_lists_the_formats(design: gnn.Evaluation) -> None:
    with pytest.raises(RenderError, match="svg, png, pdf, dot, json, tex"):
        export.export_bytes(design, "gif")
    with pytest.raises(RenderError, match=r"\.svg, \.png"):
        export.format_for_path("out.gif")


# ------------------------------------------------------------------ the pure-Python PDF writer

DRAWING = {
    "bb": "0,0,100,50",
    "_draw_": [{"op": "c", "grad": "none", "color": "#fffffe00"}, {"op": "C", "grad": "none", "color": "#ffffff"},
               {"op": "P", "points": [[0, 0], [0, 50], [100, 50], [100, 0]]}],
    "objects": [{"name": "n0", "_draw_": [{"op": "c", "grad": "none", "color": "#1f3b57"},
                                          {"op": "C", "grad": "none", "color": "#dbe9f6"},
                                          {"op": "E", "rect": [30, 25, 20, 12]}],
                 "_ldraw_": [{"op": "F", "size": 12, "face": "Helvetica"},
                             {"op": "c", "grad": "none", "color": "#000000"},
                             {"op": "T", "pt": [30, 21], "align": "c", "width": 30, "text": "α (x) ∂ = −4"}]}],
    "edges": [{"_draw_": [{"op": "S", "style": "dashed"}, {"op": "c", "grad": "none", "color": "#444444"},
                          {"op": "B", "points": [[50, 25], [60, 25], [70, 25], [80, 25]]}]}],
}


def pdf_stream(pdf: bytes) -> bytes:
    start = pdf.index(b"stream\n") + len(b"stream\n")
    return zlib.decompress(pdf[start:pdf.index(b"\nendstream")])


def test_pdf_writer_maps_drawing_operations_to_pdf_operators() -> None:
    pdf = xdot_json_to_pdf(json.dumps(DRAWING))
    assert pdf.startswith(b"%PDF-1.4") and b"/MediaBox [0 0 108 58]" in pdf
    stream = pdf_stream(pdf).decode("latin-1")
    assert " c b" in stream  # filled and stroked ellipse from four Bézier arcs
    assert "[5 2] 0 d" in stream and " S" in stream  # dashed open curve
    assert "/F7 12 Tf (a) Tj" in stream  # α from the Symbol font
    assert r"/F1 12 Tf ( \(x\) ) Tj" in stream  # parentheses escaped
    assert "/F7 12 Tf (\\266) Tj" in stream and "/F7 12 Tf (-) Tj" in stream  # ∂ and − from Symbol


def test_pdf_cross_reference_offsets_point_at_objects() -> None:
    pdf = xdot_json_to_pdf(json.dumps(DRAWING))
    start = int(pdf[pdf.rindex(b"startxref") + 10:].split()[0])
    rows = pdf[start:].split(b"\n")[2:]
    offsets = [int(r.split()[0]) for r in rows if r.endswith(b" n ")]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())


def test_pdf_writer_rejects_garbage() -> None:
    with pytest.raises(RenderError, match="cannot read"):
        xdot_json_to_pdf(b"not json")
