"""Edge text (formula, value, both) and highlighted chain-rule paths in DOT, SVG and TikZ."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.explain.chainrule import explain
from graphviz_nn.errors import RenderError
from graphviz_nn.export.files import export_bytes
from graphviz_nn.draw.dot import RenderOptions, to_dot
from graphviz_nn.draw.themes import THEMES
from graphviz_nn.export.files import tikz_text as tikz_document

CHAIN = (Path(__file__).resolve().parents[2] / "examples" / "mit_4layer_chain.gnn").read_text()


exe = pytest.mark.exe  # skipped by conftest.py only where no layout program exists


@pytest.fixture(scope="module")
def chain() -> gnn.Evaluation:
    return gnn.evaluate(CHAIN)


def node_of(res: gnn.Evaluation, name: str) -> str:
    return next(n for n, d in res.graph.nodes(data=True) if d.get("name") == name)


def edge_line(dot: str, u: str, v: str, arg: int) -> str:
    """The edge's DOT statement without its hover text (which names both ends)."""
    line = next(line for line in dot.splitlines() if f'id="{u}-{v}-{arg}"' in line)
    return re.sub(r' tooltip="[^"]*"', "", line)


def mul_of(res: gnn.Evaluation, weight: str) -> str:
    """The anonymous × node a weight feeds (z2 = w2 a1 + w02: the w2·a1 node)."""
    w = node_of(res, weight)
    return next(v for _, v in res.graph.out_edges(w))


# (weight, the formula on its edge into z's product): ∂(w·a)/∂w = a, from the 000 sheet
@pytest.mark.parametrize("weight, formula", [("w1", "x"), ("w2", "a1"), ("w3", "a2"), ("w4", "a3")])
def test_formula_edge_labels_on_the_000_chain(chain: gnn.Evaluation, weight: str, formula: str) -> None:
    w, mul = node_of(chain, weight), mul_of(chain, weight)
    dot = to_dot(chain, RenderOptions(edge_text="formula"))
    line = edge_line(dot, w, mul, 0)
    assert f">local {formula}<" in line
    assert "×" not in line  # no upstream × local term in formula mode


@pytest.mark.parametrize("mode, present, absent", [
    ("formula", ["local a1<"], ["= 2", "6 × 2"]),
    ("value", ["local 2<", "6 × 2 = 12"], ["a1"]),
    ("both", ["local a1 = 2<", "6 × 2 = 12"], []),
])
def test_edge_text_modes(chain: gnn.Evaluation, mode: str, present: list[str], absent: list[str]) -> None:
    line = edge_line(to_dot(chain, RenderOptions(edge_text=mode)), node_of(chain, "w2"), mul_of(chain, "w2"), 0)
    for text in present:
        assert text in line
    for text in absent:
        assert text not in line


def test_edge_labels_flag_still_means_values(chain: gnn.Evaluation) -> None:
    assert to_dot(chain, RenderOptions(edge_labels=True)) == to_dot(chain, RenderOptions(edge_text="value"))
    assert RenderOptions().edge_mode is None and RenderOptions(edge_labels=True).edge_mode == "value"


def test_formulas_show_before_the_numbers_are_known(chain: gnn.Evaluation) -> None:
    dot = to_dot(chain, RenderOptions(edge_text="formula", step=0))
    assert "local a1" in dot and "local 1[z1 &gt; 0]" in dot


def test_invalid_edge_text_lists_the_choices() -> None:
    with pytest.raises(RenderError, match="value, formula, both"):
        RenderOptions(edge_text="numbers")


def w1_path(res: gnn.Evaluation) -> frozenset[tuple[str, str, int]]:
    rule = explain(res, ["w1"])[0]
    return frozenset(e for p in rule.paths for f in p.factors for e in f.edges)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_highlighted_edges_are_thick_dashed_and_classed(chain: gnn.Evaluation, theme: str) -> None:
    edges = w1_path(chain)
    nodes = frozenset(n for e in edges for n in e[:2])
    dot = to_dot(chain, RenderOptions(theme=theme, highlight_edges=edges, highlight_nodes=nodes))
    path_color = THEMES[theme].palette.path
    for u, v, arg in edges:
        line = edge_line(dot, u, v, arg)
        assert 'class="arg path"' in line and 'penwidth="3"' in line and 'style="dashed"' in line
        assert f'color="{path_color}"' in line
    others = [line for line in dot.splitlines() if 'class="arg"' in line]
    assert others and all("dashed" not in line for line in others)
    assert dot.count('class="arg path"') == len(edges)
    w1 = node_of(chain, "w1")
    node_line = next(line for line in dot.splitlines() if line.startswith(f'  "{w1}" ['))
    assert "path" in node_line


def test_print_theme_path_is_not_colour_alone(chain: gnn.Evaluation) -> None:
    edges = w1_path(chain)
    dot = to_dot(chain, RenderOptions(theme="print", highlight_edges=edges))
    line = edge_line(dot, *sorted(edges)[0])
    assert 'color="black"' in line and 'penwidth="3"' in line and 'style="dashed"' in line


def test_unknown_highlight_ids_are_errors(chain: gnn.Evaluation) -> None:
    with pytest.raises(RenderError, match="unknown edge"):
        to_dot(chain, RenderOptions(highlight_edges={("n0", "n1", 5)}))
    with pytest.raises(RenderError, match="unknown node 'n999'"):
        to_dot(chain, RenderOptions(highlight_nodes={"n999"}))
    with pytest.raises(RenderError, match="triples"):
        RenderOptions(highlight_edges={("n0", "n1")})


@exe
def test_highlighted_svg_parses_and_marks_the_path(chain: gnn.Evaluation) -> None:
    edges = w1_path(chain)
    svg = export_bytes(chain, "svg", RenderOptions(highlight_edges=edges, title="<b>& paths"))
    root = ET.fromstring(svg)
    classes = [g.get("class", "") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert sum(1 for c in classes if c == "edge arg path") == len(edges)
    assert b"&lt;b&gt;&amp; paths" in svg
    dashed = re.findall(rb'class="edge arg path">.*?stroke-dasharray', svg, flags=re.S)
    assert len(dashed) >= len(edges)


@exe
def test_tikz_gets_latex_formulas_and_path_style(chain: gnn.Evaluation) -> None:
    edges = w1_path(chain)
    tex = tikz_document(chain, RenderOptions(edge_text="formula", highlight_edges=edges))
    assert r"{$a_{1}$}" in tex  # the LaTeX form of the formula
    # one style definition, one use per edge on the path and per operation-to-result edge on it,
    # the same edges the DOT drawing marks
    dot = to_dot(chain, RenderOptions(edge_text="formula", highlight_edges=edges))
    marked = dot.count('class="arg path"') + dot.count('class="aux path"')
    assert marked > len(edges)
    assert tex.count("chainpath") == marked + 1
