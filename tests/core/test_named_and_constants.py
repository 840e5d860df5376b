"""Named results keep their own nodes, constants get no gradient and are never shared between
roles: gradients of named intermediates against PyTorch (``retain_grad``), constants against
PyTorch's leaves without ``requires_grad``, and the option that shows constants' gradients."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.explain.captions import all_captions

torch = pytest.importorskip("torch")


def named(res: gnn.Evaluation) -> dict[str, str]:
    return {d["name"]: n for n, d in res.graph.nodes(data=True) if d["name"]}


def torch_named_grads(build, values: dict[str, float]) -> tuple[dict, dict]:
    """Gradients of the output for the inputs and for the named intermediates ``build`` returns."""
    leaves = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    out, inter = build(leaves)
    for t in inter.values():
        t.retain_grad()
    out.backward()
    grads = {k: (0.0 if t.grad is None else t.grad.item()) for k, t in inter.items()}
    return {k: t.grad.item() for k, t in leaves.items()}, grads


NAMED = [
    ("v = x*y; x*y + 1", lambda t: (lambda v: (t["x"] * t["y"] + 1, {"v": v}))(t["x"] * t["y"])),
    ("v = x*y; w = x*y; v + 2w",
     lambda t: (lambda v, w: (v + 2 * w, {"v": v, "w": w}))(t["x"] * t["y"], t["x"] * t["y"])),
    ("a = x*y + 1; v = x*y; a + 3v",
     lambda t: (lambda a, v: (a + 3 * v, {"a": a, "v": v}))(t["x"] * t["y"] + 1, t["x"] * t["y"])),
    ("v = sin(x*y); w = cos(x*y); v*w",
     lambda t: (lambda v, w: (v * w, {"v": v, "w": w}))(torch.sin(t["x"] * t["y"]), torch.cos(t["x"] * t["y"]))),
]


@pytest.mark.parametrize("text, build", NAMED, ids=[t for t, _ in NAMED])
@pytest.mark.parametrize("merge", [True, False])
def test_named_results_have_their_own_gradients(text, build, merge) -> None:
    values = {"x": 1.5, "y": -0.5}
    res = gnn.evaluate(text, values, merge=merge)
    inputs, inter = torch_named_grads(build, values)
    for name, expected in inputs.items():
        assert res.gradients[name] == pytest.approx(expected, rel=1e-12)
    nodes = named(res)
    for name, expected in inter.items():
        assert float(res.graph.nodes[nodes[name]]["grad"]) == pytest.approx(expected, rel=1e-12, abs=0), name


def test_issue_numbers_for_named_results() -> None:
    res = gnn.evaluate("v = x*y; x*y + 1", {"x": 2, "y": 3})
    g, v = res.graph, named(res)["v"]
    assert g.nodes[v]["grad"] == 0.0
    assert not nx.has_path(g, v, g.graph["output"])  # v is not drawn feeding the output
    res = gnn.evaluate("v = x*y; w = x*y; v + 2w", {"x": 2, "y": 3})
    nodes = named(res)
    assert (res.graph.nodes[nodes["v"]]["grad"], res.graph.nodes[nodes["w"]]["grad"]) == (1.0, 2.0)


def test_unnamed_subexpressions_still_merge() -> None:
    res = gnn.evaluate("v = sin(x*y); w = cos(x*y); v*w", {"x": 1, "y": 2})
    xy = [res.inputs["x"], res.inputs["y"]]
    products = [n for n, d in res.graph.nodes(data=True) if d["op"] == "mul" and d["args"] == xy]
    assert len(products) == 1  # the x*y inside sin and cos is one node
    res = gnn.evaluate("(x+2)^2 + (x+2)^2", {"x": 1})
    assert sum(d["op"] == "pow" for _, d in res.graph.nodes(data=True)) == 1
    assert sum(d["kind"] == "constant" for _, d in res.graph.nodes(data=True)) == 2  # its 2 and its exponent


def test_equal_constants_in_different_roles_are_separate_nodes() -> None:
    res = gnn.evaluate("1/2 (x - y)^2", {"x": 3, "y": 1})
    g = res.graph
    twos = [n for n, d in g.nodes(data=True) if d["kind"] == "constant" and d["label"] == "2"]
    assert len(twos) == 2
    assert sorted(g.nodes[next(iter(g.successors(n)))]["op"] for n in twos) == ["div", "pow"]
    assert all(g.out_degree(n) == 1 for n in twos)
    captions = " ".join(c.plain for c in all_captions(res, 4))
    assert "2 is used" not in captions


CONSTANT_CASES = [
    ("1/2 (x - y)^2", lambda t: 0.5 * (t["x"] - t["y"]) ** 2),
    ("x^2 + 3xy", lambda t: t["x"] ** 2 + 3 * t["x"] * t["y"]),
    ("2^x * pi + e^x", lambda t: 2 ** t["x"] * math.pi + torch.exp(t["x"])),
]


@pytest.mark.parametrize("text, fn", CONSTANT_CASES, ids=[c[0] for c in CONSTANT_CASES])
@pytest.mark.parametrize("fast", [False, True])
def test_constants_get_no_gradient_and_no_step_by_default(text, fn, fast) -> None:
    values = {"x": 1.25, "y": -0.5}
    res = gnn.prepare(text, values).evaluate() if fast else gnn.evaluate(text, values)
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    out = fn(leaves)
    out.backward()
    assert float(res.value) == pytest.approx(out.item(), rel=1e-12)
    for name in res.gradients:
        assert res.gradients[name] == pytest.approx(leaves[name].grad.item(), rel=1e-12)
    g = res.graph
    for n, d in g.nodes(data=True):
        if d["kind"] == "constant":
            assert d["grad"] is None
    assert all(g.nodes[s.edge[0]]["kind"] != "constant" for s in res.trace if s.edge is not None)
    assert all(node["grad"] is None for node in res.to_json()["nodes"] if node["kind"] == "constant")


def test_the_default_page_does_not_end_on_a_constants_derivative() -> None:
    res = gnn.evaluate("x^2 + 3xy", {"x": 2, "y": 1})
    last = all_captions(res, 4)[-1].plain
    assert "∂2" not in last and "ln" not in last
    assert res.trace[-1].edge[0] == res.inputs["x"]


@pytest.mark.parametrize("fast", [False, True])
def test_constant_gradients_on_request_match_pytorch(fast) -> None:
    """With the option, d(x^2)/d2 = x² ln x, as PyTorch gives an exponent that requires grad."""
    x = 2.0
    res = (gnn.prepare("x^2", {"x": x}, constant_grads=True).evaluate() if fast
           else gnn.evaluate("x^2", {"x": x}, constant_grads=True))
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    two = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (tx ** two).backward()
    exponent = next(n for n, d in res.graph.nodes(data=True) if d["kind"] == "constant")
    assert float(res.graph.nodes[exponent]["grad"]) == pytest.approx(two.grad.item(), rel=1e-12)
    assert res.gradients["x"] == pytest.approx(tx.grad.item(), rel=1e-12)
    assert len(res.trace) == 3 + 1 + 2  # the exponent's backward step is back


def test_cli_flag_shows_constant_gradients() -> None:
    base = [sys.executable, "-m", "graphviz_nn", "eval", "x^2", "--at", "x=2", "--json"]
    plain = json.loads(subprocess.run(base, capture_output=True, text=True, check=True).stdout)
    asked = json.loads(subprocess.run(base + ["--constant-grads"], capture_output=True, text=True,
                                      check=True).stdout)
    const = [n["grad"] for n in plain["nodes"] if n["kind"] == "constant"]
    assert const == [None]
    const = [n["grad"] for n in asked["nodes"] if n["kind"] == "constant"]
    assert const == [pytest.approx(4 * math.log(2), rel=1e-12)]


def test_view_option_shows_constant_gradients() -> None:
    from graphviz_nn.draw.options import RenderOptions
    from graphviz_nn.page.view import build_view

    plain = build_view("x^2", {"x": "2"}, RenderOptions(), draw=False)
    asked = build_view("x^2", {"x": "2"}, RenderOptions(constant_grads=True), draw=False)
    assert (plain.n_steps, asked.n_steps) == (3 + 1 + 1, 3 + 1 + 2)
