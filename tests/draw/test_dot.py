"""render.to_dot: what each picture shows, checked on the seed examples (no binary needed).

Expected numbers come from independent oracles (sympy for the design example, the seed
sheets' own answers for the 002 network), never from the code under test.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import graphviz_nn as gnn
from graphviz_nn.errors import RenderError
from graphviz_nn.notation.numfmt import format_number
from graphviz_nn.draw.dot import RenderOptions, html_text, step_state, to_dot

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "render"
DESIGN = "sin(xy)/z + e^(xz)/(xy)"
DESIGN_AT = {"x": 1, "y": 2, "z": 3}
P004 = "a = x*y + z; b = (x + x)*a; w = a*b"
P004_AT = {"x": 2, "y": -1, "z": 3}
NET002 = "a = alpha @ x; z = relu(a); yhat = beta @ [1, z]; l = 0.5*(yhat - y)^2"
NET002_AT = {"alpha": [[2, 1, 0], [0, 2, 0]], "beta": [0, 1, 2], "x": [1, 1, 2], "y": 3}


def node_line(dot: str, node: str) -> str:
    """The DOT statement that declares ``node``."""
    match = re.search(rf'^\s*"{node}" \[.*$', dot, re.M)
    assert match, f"no node {node} in DOT"
    return match.group(0)


def design_oracle() -> tuple[float, dict[str, float]]:
    x, y, z = sp.symbols("x y z")
    f = sp.sin(x * y) / z + sp.exp(x * z) / (x * y)
    at = {x: 1, y: 2, z: 3}
    return float(f.subs(at)), {str(s): float(sp.diff(f, s).subs(at)) for s in (x, y, z)}


@pytest.fixture(scope="module")
def design() -> gnn.Evaluation:
    return gnn.evaluate(DESIGN, DESIGN_AT)


@pytest.fixture(scope="module")
def p004() -> gnn.Evaluation:
    return gnn.evaluate(P004, P004_AT)


@pytest.fixture(scope="module")
def net002() -> gnn.Evaluation:
    return gnn.evaluate(NET002, NET002_AT)


# ------------------------------------------------------------------ options


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"theme": "neon"}, "choose one of: lecture, micrograd, print"),
        ({"rankdir": "RL"}, "choose one of: LR, TB"),
        ({"digits": 0}, "digits must be an integer from 1 to 15"),
        ({"digits": 2.5}, "digits must be an integer"),
        ({"step": -1}, "step must be None or an integer >= 0"),
        ({"show_values": "yes"}, "show_values must be True or False"),
        ({"background": "pink"}, "choose one of: white, transparent, dark"),
        ({"layout_program": "neato"}, "choose one of: auto, dot, graphviz-pure"),
        ({"timeout": 0}, "timeout must be a positive number"),
    ],
)
def test_invalid_options_list_the_allowed_values(options: dict, message: str) -> None:
    with pytest.raises(RenderError, match=re.escape(message)):
        RenderOptions(**options)


def test_unknown_option_names_every_allowed_one() -> None:
    with pytest.raises(RenderError, match="unknown render option 'colour'.*theme, show_values"):
        RenderOptions.from_kwargs(colour=True)


def test_step_out_of_range_says_the_range(design: gnn.Evaluation) -> None:
    with pytest.raises(RenderError, match=f"choose 0 to {len(design.trace)}"):
        to_dot(design, RenderOptions(step=len(design.trace) + 1))


# ------------------------------------------------------------------ content


def test_design_example_labels_carry_oracle_values_and_gradients(design: gnn.Evaluation) -> None:
    value, grads = design_oracle()
    dot = to_dot(design, RenderOptions())
    inputs = design.graph.graph["inputs"]
    for name, grad in grads.items():
        line = node_line(dot, inputs[name])
        assert f"<B>{name}</B>" in line
        assert f"∂ = {format_number(grad)}" in line
    out = node_line(dot, design.graph.graph["output"])
    assert f"= {format_number(value)}" in out and format_number(value) == "10.35"
    assert 'class="op output"' in out and 'peripheries="2"' in out


def test_every_dag_node_and_edge_appears_once(design: gnn.Evaluation) -> None:
    for theme in ("lecture", "micrograd", "print"):
        dot = to_dot(design, RenderOptions(theme=theme))
        node_ids = re.findall(r'\[id="(n\d+)" class=', dot)
        assert sorted(node_ids) == sorted(design.graph.nodes)
        assert len(re.findall(r'class="arg"', dot)) == design.graph.number_of_edges()


def test_op_nodes_show_registry_symbols(design: gnn.Evaluation) -> None:
    dot = to_dot(design, RenderOptions(show_values=False, show_grads=False))
    symbols = {design.graph.nodes[n]["op"]: node_line(dot, n) for n in design.graph if design.graph.nodes[n]["op"]}
    assert "<TD>×</TD>" in symbols["mul"] and "<TD>÷</TD>" in symbols["div"]
    assert "<TD>exp</TD>" in symbols["exp"] and "<TD>sin</TD>" in symbols["sin"]


@pytest.mark.parametrize(
    ("theme", "kind", "shape"),
    [("lecture", "input", "ellipse"), ("lecture", "op", "box"), ("print", "input", "ellipse"),
     ("print", "op", "box"), ("micrograd", "input", "plain")],
)
def test_variables_in_ovals_and_operators_in_boxes(p004: gnn.Evaluation, theme: str, kind: str, shape: str) -> None:
    dot = to_dot(p004, RenderOptions(theme=theme))
    for node, data in p004.graph.nodes(data=True):
        if data["kind"] == kind and not data.get("name") or (kind == "input" and data["kind"] == "input"):
            assert f'shape="{shape}"' in node_line(dot, node)


def test_named_intermediates_are_ovals_fed_by_their_operation_box(p004: gnn.Evaluation) -> None:
    dot = to_dot(p004, RenderOptions(theme="lecture"))
    named = {d["name"]: n for n, d in p004.graph.nodes(data=True) if d["kind"] == "op" and d.get("name")}
    assert sorted(named) == ["a", "b", "w"]
    for node in named.values():
        assert 'shape="ellipse"' in node_line(dot, node)
        assert 'shape="box"' in node_line(dot, f"{node}_op")
        assert f'"{node}_op" -> "{node}"' in dot


def test_micrograd_records_have_label_data_grad_and_a_separate_op_bubble(p004: gnn.Evaluation) -> None:
    dot = to_dot(p004, RenderOptions(theme="micrograd"))
    x = node_line(dot, "n0")
    assert re.search(r"<TD>x</TD><TD><FONT [^>]*>data 2</FONT></TD><TD><FONT [^>]*>grad −6</FONT></TD>", x)
    ops = [n for n, d in p004.graph.nodes(data=True) if d["kind"] == "op"]
    assert all(f'"{n}_op" [id="{n}_op" class="aux" shape="ellipse"' in dot for n in ops)


def test_switches_hide_values_and_gradients(p004: gnn.Evaluation) -> None:
    assert "∂ =" not in to_dot(p004, RenderOptions(show_grads=False))
    no_values = to_dot(p004, RenderOptions(show_values=False))
    assert "= 2<" not in node_line(no_values, "n0") and "∂ = −6" in node_line(no_values, "n0")


def test_fan_out_gradient_is_shown_as_the_sum_of_contributions(p004: gnn.Evaluation) -> None:
    # x feeds x*y (contribution y * dw/d(xy) = -8) and x + x twice (1 each): -8 + 1 + 1 = -6
    dot = to_dot(p004, RenderOptions(edge_labels=True))
    assert "∂ = (−8) + 1 + 1 = −6" in node_line(dot, "n0")
    a = next(n for n, d in p004.graph.nodes(data=True) if d.get("name") == "a")
    assert "∂ = 4 + 4 = 8" in node_line(dot, a)


def test_edge_labels_show_local_derivative_and_contribution(p004: gnn.Evaluation) -> None:
    dot = to_dot(p004, RenderOptions(edge_labels=True))
    edge = re.search(r'"n1" -> "n2" \[.*$', dot, re.M)
    assert edge and "local 2" in edge.group(0) and "8 × 2 = 16" in edge.group(0)
    assert "local" not in "".join(re.findall(r'-> .*$', to_dot(p004, RenderOptions()), re.M))


def test_tensors_show_shape_and_entries_of_the_seed_network(net002: gnn.Evaluation) -> None:
    dot = to_dot(net002, RenderOptions())
    inputs = net002.graph.graph["inputs"]
    alpha, beta = node_line(dot, inputs["alpha"]), node_line(dot, inputs["beta"])
    assert "2×3" in alpha
    cells = lambda line: re.findall(r'<TD><FONT COLOR="#a3291b">([^<]+)</FONT></TD>', line)  # noqa: E731
    assert cells(alpha) == ["∂ =", "4", "4", "8", "8", "8", "16"]  # dl/dalpha from the CMU sheet
    assert cells(beta) == ["∂ =", "4", "12", "8"]  # dl/dbeta = [4 12 8]


def test_large_tensors_show_a_summary() -> None:
    res = gnn.evaluate("sum(W @ v)", {"W": np.arange(30.0).reshape(5, 6), "v": np.ones(6)})
    line = node_line(to_dot(res, RenderOptions()), res.graph.graph["inputs"]["W"])
    assert "5×6" in line and "= min 0, max 29" in line


def test_nonfinite_values_are_shown_and_the_node_marked() -> None:
    res = gnn.evaluate("log(x)", {"x": 0})
    line = node_line(to_dot(res, RenderOptions()), res.graph.graph["output"])
    assert "−inf" in line and "⚠ nan/inf" in line and "nonfinite" in line


def test_color_by_sign_fills_by_gradient_sign(p004: gnn.Evaluation) -> None:
    theme_fill = 'fillcolor="#dbe9f6"'
    dot = to_dot(p004, RenderOptions(color_by_sign=True))
    assert 'fillcolor="#fde0c5"' in node_line(dot, "n0")  # dw/dx = -6 < 0
    assert 'fillcolor="#9ecae1"' in node_line(dot, "n1")  # dw/dy = 16 > 0
    assert theme_fill in node_line(to_dot(p004, RenderOptions()), "n1")


def test_dark_background_lightens_edges(p004: gnn.Evaluation) -> None:
    dot = to_dot(p004, RenderOptions(background="dark"))
    assert 'bgcolor="#1e1e1e"' in dot and 'edge [color="#d9d9d9"' in dot


def test_rankdir(p004: gnn.Evaluation) -> None:
    assert 'rankdir="TB"' in to_dot(p004, RenderOptions(rankdir="TB"))
    assert 'rankdir="LR"' in to_dot(p004, RenderOptions())


# ------------------------------------------------------------------ steps


def test_step_zero_is_the_bare_graph(p004: gnn.Evaluation) -> None:
    dot = to_dot(p004, RenderOptions(step=0))
    assert "step 0 of 19: the bare graph" in dot
    for node in p004.graph:
        line = node_line(dot, node)
        assert 'fillcolor="#f4f4f4"' in line or p004.graph.nodes[node]["kind"] == "constant"


def test_last_step_equals_the_full_backward_pass(p004: gnn.Evaluation) -> None:
    last = to_dot(p004, RenderOptions(step=len(p004.trace)))
    full = to_dot(p004, RenderOptions())
    for node in p004.graph:
        grad = format_number(p004.graph.nodes[node]["grad"])
        assert f"∂ = {grad}<" in node_line(last, node) and f"∂ = {grad}<" in node_line(full, node)


def test_middle_step_highlights_the_current_edge_and_shows_partial_sums(p004: gnn.Evaluation) -> None:
    k = next(s.index for s in p004.trace if s.edge == ("n0", "n5", 1))
    state = step_state(p004, k)
    assert state.current_edge == ("n0", "n5", 1)
    dot = to_dot(p004, RenderOptions(step=k))
    edge = re.search(r'"n0" -> "n5" \[id="n0-n5-1".*$', dot, re.M)
    assert edge and 'penwidth="3"' in edge.group(0) and "1 × 1 = 1" in edge.group(0)
    assert f"∂ = {format_number(state.grads['n0'])}<" in node_line(dot, "n0")
    # the highlight is on x (n0), whose gradient this step changes, not on the sender n5
    assert 'color="#d62728"' in node_line(dot, "n0") and 'color="#d62728"' not in node_line(dot, "n5")
    pending = [n for n in p004.graph if n not in state.grads and p004.graph.nodes[n]["kind"] != "constant"]
    assert pending and all("∂ = ?" in node_line(dot, n) for n in pending)


def test_forward_step_leaves_later_nodes_pale(p004: gnn.Evaluation) -> None:
    dot = to_dot(p004, RenderOptions(step=3))
    assert "= ?" in node_line(dot, "n7") and "dashed" in node_line(dot, "n7")
    assert "= −2<" in node_line(dot, "n2")


# ------------------------------------------------------------------ escaping


@pytest.mark.parametrize("evil", ['<b>x</b> & "q"', "{}|<>\\N", "]; evil -> x [", "&amp;"])
def test_user_text_never_becomes_markup(p004: gnn.Evaluation, evil: str) -> None:
    dot = to_dot(p004, RenderOptions(title=evil))
    shown = re.search(r'<TD ALIGN="LEFT"><B>(.*?)</B></TD>', dot)
    assert shown and shown.group(1) == html_text(evil)
    text = shown.group(1)
    assert "<" not in text and ">" not in text and '"' not in text
    assert all(re.match(r"&(amp|lt|gt|quot);", text[i:]) for i in range(len(text)) if text[i] == "&")


def test_html_text_escapes_every_markup_character() -> None:
    assert html_text('<&>"') == "&lt;&amp;&gt;&quot;"


# ------------------------------------------------------------------ large graphs


def chain_program(layers: int) -> tuple[str, dict[str, float]]:
    """A deep program: h_i = tanh(w_i * h_{i-1} + b_i) + 0.5 h_{i-1}, about 7 nodes a layer."""
    lines, values = ["h0 = x"], {"x": 0.5}
    for i in range(1, layers + 1):
        lines.append(f"h{i} = tanh(w{i}*h{i - 1} + b{i}) + 0.5*h{i - 1}")
        values[f"w{i}"], values[f"b{i}"] = 0.9, 0.01
    return "; ".join(lines), values


def test_large_graph_is_clustered_by_named_intermediate_and_says_so() -> None:
    res = gnn.evaluate(*chain_program(80))
    n = res.graph.number_of_nodes()
    assert n >= 500
    dot = to_dot(res, RenderOptions())
    assert f"large graph: {n:,} nodes" in dot and "one per named intermediate" in dot
    boxes = re.findall(r'\[id="(\w+)" class=', dot)
    assert len(boxes) == 81  # h0 … h80
    assert "3 ops: +, tanh, ×; inputs w7, b7" in dot or "4 ops" in dot
    assert "local" not in dot


def test_full_detail_keeps_every_node_of_a_large_graph() -> None:
    res = gnn.evaluate(*chain_program(80))
    dot = to_dot(res, RenderOptions(detail="full"))
    assert len(re.findall(r'class="arg"', dot)) == res.graph.number_of_edges()


def test_large_expression_without_names_is_clustered_by_depth() -> None:
    text = " + ".join(f"sin(x*{i})*y" for i in range(1, 130))
    res = gnn.evaluate(text, {"x": 0.3, "y": 2})
    dot = to_dot(res, RenderOptions())
    assert "one per depth layer" in dot and 'class="collapsed"' in dot


# ------------------------------------------------------------------ goldens

GOLDEN_CASES = {
    "lecture": RenderOptions(theme="lecture", edge_labels=True),
    "micrograd": RenderOptions(theme="micrograd"),
    "print": RenderOptions(theme="print"),
}


@pytest.mark.parametrize("theme", sorted(GOLDEN_CASES))
def test_golden_dot_per_theme(p004: gnn.Evaluation, theme: str) -> None:
    path = GOLDEN / f"p004_{theme}.dot"
    dot = to_dot(p004, GOLDEN_CASES[theme])
    if os.environ.get("GNN_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dot, encoding="utf-8")
    assert dot == path.read_text(encoding="utf-8")
