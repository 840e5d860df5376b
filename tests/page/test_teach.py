"""The chain-rule panels: factor rows spelled by the notation layer, on the graph the picture draws.

Rows are built from the chain-rule module's factors (names as the drawing labels them: ``x₁₀``,
``ŷ``), never read back from LaTeX. With ``merge`` off the panel's paths are the tree's; with
``constant_grads`` on the path drawing shows constants' gradients as the picture does. Numbers
are checked against central differences.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.export.files import export_bytes
from graphviz_nn.page import teach

H = 1e-6


def central(f, x: float) -> float:
    """d f / d x by central differences (the oracle)."""
    return (f(x + H) - f(x - H)) / (2 * H)


# ------------------------------------------------------------------ rows from structured factors

def test_a_subscripted_name_keeps_its_subscript_in_the_rows() -> None:
    text = "yhat = w x_10 + b; L = (yhat - y)^2"
    values = {"w": "3", "x_10": "2", "b": "1", "y": "4"}
    (p10, pw), issue = teach.chain_rule_panels(text, values, ["x_10", "w"])
    assert issue is None
    assert [(r.factor, r.formula, r.value) for r in p10.rows] == [("∂L/∂ŷ", "2 (ŷ − y)", "6"), ("∂ŷ/∂x₁₀", "w", "3")]
    assert [(r.factor, r.formula, r.value) for r in pw.rows] == [("∂L/∂ŷ", "2 (ŷ − y)", "6"), ("∂ŷ/∂w", "x₁₀", "2")]
    assert p10.output == "L" and p10.label == "x₁₀"

    def loss(x10: float) -> float:  # L = (w x_10 + b - y)^2
        return (3 * x10 + 1 - 4) ** 2

    assert float(p10.total) == pytest.approx(central(loss, 2.0), rel=1e-6)  # 18
    assert all("x10" not in r.factor + r.formula for r in p10.rows + pw.rows)


def test_an_output_named_yhat_reads_as_y_hat() -> None:
    (panel,), issue = teach.chain_rule_panels("yhat = w x_10", {"w": "3", "x_10": "2"}, ["w"])
    assert issue is None and panel.output == "ŷ"
    assert [(r.factor, r.formula, r.value) for r in panel.rows] == [("∂ŷ/∂w", "x₁₀", "2")]
    assert r"\hat{y}" in panel.equation and "x_{10}" in panel.equation


# ------------------------------------------------------------------ the picture's merge and constant gradients

TREE = "f = (x*y)*(x*y) + x*y"
AT = {"x": "1.5", "y": "2"}


def _edge_ids(svg: str, cls: str) -> set[str]:
    return {i.replace("&#45;", "-") for i in re.findall(rf'<g id="([^"]+)" class="{cls}"', svg)}


@pytest.mark.parametrize("merge", [True, False])
def test_the_panel_walks_the_graph_the_picture_draws(merge: bool) -> None:
    options = RenderOptions(merge=merge)
    (panel,), issue = teach.chain_rule_panels(TREE, AT, ["x"], merge=merge)
    assert issue is None
    drawn = gnn.evaluate(TREE, {"x": 1.5, "y": 2.0}, merge=merge)  # the picture's graph
    picture = export_bytes(drawn, "svg", options).decode()
    edges = {f"{u}-{v}-{k}" for u, v, k in panel.edges}
    assert edges <= _edge_ids(picture, "edge arg")  # every edge the panel names is drawn
    # x reaches f three ways either way; the tree has three x·y nodes, the merged graph one
    assert panel.n_paths == 3 and len(panel.products) == 3
    products = {v for u, v, _ in panel.edges if u == drawn.inputs["x"]}
    assert len(products) == (1 if merge else 3)
    svg, issue = teach.chain_rule_drawing(TREE, AT, options, ("x",))
    assert issue is None and _edge_ids(svg, "edge arg path") == edges

    def f(x: float) -> float:
        return (x * 2) ** 2 + x * 2

    assert sum(float(p) for p in panel.products) == pytest.approx(central(f, 1.5), rel=1e-6)  # 14
    assert float(panel.total) == pytest.approx(central(f, 1.5), rel=1e-6)


def test_merge_off_gives_each_occurrence_its_own_path_value() -> None:
    (panel,), _ = teach.chain_rule_panels(TREE, AT, ["y"], merge=False)
    # f = p·q + r with p, q, r three copies of x·y: each copy's path carries its own factor
    assert sorted(float(p) for p in panel.products) == pytest.approx(sorted([3 * 1.5, 3 * 1.5, 1.5]))


def test_constant_gradients_show_in_the_path_drawing_as_in_the_picture() -> None:
    text, at = "f = 2*x*y + 3", {"x": "1.5", "y": "2"}
    options = RenderOptions(constant_grads=True)
    svg, issue = teach.chain_rule_drawing(text, at, options, ("x",))
    assert issue is None
    res = gnn.evaluate(text, {"x": 1.5, "y": 2.0}, constant_grads=True)
    picture = export_bytes(res, "svg", options).decode()

    def constant_rows(drawing: str) -> list[str]:
        groups = re.findall(r'<g id="(n\d+)" class="node constant">(.*?)</g>\n</g>', drawing, re.S)
        return [(node, re.findall(r">(∂[^<]*)<", body)) for node, body in groups]

    two = next(n for n, d in res.graph.nodes(data=True) if d["kind"] == "constant" and d["value"] == 2)
    rows = dict(constant_rows(svg))
    assert rows == dict(constant_rows(picture)) and rows[two]
    # ∂f/∂2 is x·y: the same as moving a coefficient c through 2 by central differences
    grad = central(lambda c: float(gnn.evaluate("f = c*x*y + 3", {"c": c, "x": 1.5, "y": 2.0}).value), 2.0)
    assert rows[two] == [f"∂ = {grad:.4g}"]
    off, _ = teach.chain_rule_drawing(text, at, RenderOptions(), ("x",))
    assert not any(r for _, r in constant_rows(off))  # off: no constant has a gradient row
    assert np.isclose(grad, 3.0)
