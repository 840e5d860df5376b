"""Step captions: forward formulas with values, backward upstream × local = contribution,
sums at fan-out nodes. Expected texts are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.explain.captions import (all_captions, caption_at, format_latex_number, format_number,
                                  latex_name)


def captions_of(text: str, values: dict) -> list:
    return all_captions(gnn.evaluate(text, values))


def test_issue_example_forward_caption() -> None:
    caps = captions_of("z1 = w1*x + w01", {"w1": 3, "x": 1, "w01": -1})
    plains = [c.plain for c in caps]
    assert "z1 = w1·x + w01 = 3·1 + (−1) = 2" in plains
    latex = caps[plains.index("z1 = w1·x + w01 = 3·1 + (−1) = 2")].latex
    assert latex == r"z_{1} = w_{1} \cdot x + w_{01} = 3 \cdot 1 + \left(-1\right) = 2"


def test_forward_steps_go_node_by_node() -> None:
    # x^2 + 3xy at x=2, y=1: x^2 = 4, xy = 2, 3xy = 6, sum 10.
    caps = captions_of("x^2 + 3xy", {"x": 2, "y": 1})
    forward = [c.plain for c in caps if c.phase == "forward"]
    assert "x = 2" in forward and "y = 1" in forward
    assert "x^2 = 2^2 = 4" in forward
    assert "x·y = 2·1 = 2" in forward
    assert "3·x·y = 3·2·1 = 6" in forward
    assert forward[-1] == "x^2 + 3·x·y = 2^2 + 3·2·1 = 10"
    assert caps[0].phase == "start" and caps[0].plain == ""


def test_backward_steps_show_upstream_times_local_and_the_fan_out_sum() -> None:
    caps = captions_of("x^2 + 3xy", {"x": 2, "y": 1})
    backward = [c for c in caps if c.phase == "backward"]
    assert backward[0].plain == "∂f/∂f = 1"  # the seed
    plains = [c.plain for c in backward]
    # x feeds x^2 (local 2x = 4) and x·y (upstream 3, local y = 1): 4 + 3 = 7 in some order.
    last_x = [p for p in plains if "∂f/∂x =" in p][-1]
    assert last_x.endswith(("3 + 4 = 7", "4 + 3 = 7"))
    assert any(p.startswith("∂f/∂(x^2) × ∂(x^2)/∂x = 1 × 4 = 4") for p in plains)
    assert any("∂(x·y)/∂y = 3 × 2 = 6" in p for p in plains)
    first_x = [c for c in backward if "∂f/∂x =" in c.plain][0]
    assert "1 of 2" in first_x.plain and "so far" in first_x.words
    assert "sum" in [c for c in backward if "∂f/∂x =" in c.plain][-1].words


def test_named_output_and_negative_local() -> None:
    # L = (g - y)^2 with g = 5, y = 2: dL/d(g - y) = 2*3 = 6; d(g - y)/dy = -1 -> -6.
    caps = captions_of("L = (g - y)^2", {"g": 5, "y": 2})
    plains = [c.plain for c in caps]
    assert "L = (g − y)^2 = (5 − 2)^2 = 9" in plains
    assert plains[-1].startswith("∂L/∂(g − y) × ∂(g − y)/∂y = 6 × (−1) = −6") or any(
        p.startswith("∂L/∂(g − y) × ∂(g − y)/∂y = 6 × (−1) = −6") for p in plains)
    assert caps[len(caps) - len([c for c in caps if c.phase == "backward"])].plain == "∂L/∂L = 1"


def test_structural_ops_have_no_single_local_factor() -> None:
    caps = captions_of("w @ x", {"w": [1, 2], "x": [3, 4]})
    matmul = [c for c in caps if c.phase == "backward" and "flows back" in c.plain]
    assert matmul and "vector-Jacobian" in matmul[0].words


def test_every_caption_has_latex_with_balanced_braces() -> None:
    res = gnn.evaluate("sin(xy)/z + e^(xz)/(xy)", {"x": 1, "y": 2, "z": 3})
    for k in range(1, len(res.trace) + 1):
        cap = caption_at(res, k)
        assert cap.latex and cap.words and cap.title
        assert cap.latex.count("{") == cap.latex.count("}")
        assert cap.latex.count(r"\left") == cap.latex.count(r"\right")


@pytest.mark.parametrize("value, text", [
    (-1.0, "−1"), (2.0, "2"), (0.841470984807896, "0.8415"), (np.array([4.0, 12, 8]), "[4, 12, 8]"),
    (np.array([[4.0, 4, 8], [8, 8, 16]]), "[[4, 4, 8], [8, 8, 16]]"), (np.zeros((5, 5)), "array 5×5"),
    (float("nan"), "nan"),
])
def test_format_number(value: object, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize("value, text", [
    (-1.0, "-1"), (np.array([1.0, 2.0]), r"\begin{bmatrix}1 \\ 2\end{bmatrix}"),
    (np.array([[1.0, 2.0]]), r"\begin{bmatrix}1 & 2\end{bmatrix}"),
])
def test_format_latex_number(value: object, text: str) -> None:
    assert format_latex_number(value) == text


@pytest.mark.parametrize("name, latex", [
    ("x", "x"), ("w1", "w_{1}"), ("w01", "w_{01}"), ("w_10", "w_{10}"), ("alpha", r"\alpha"),
    ("beta_2", r"\beta_{2}"), ("yhat", r"\hat{y}"), ("w_0^(1)", r"{w_{0}}^{(1)}"),
])
def test_latex_name(name: str, latex: str) -> None:
    assert latex_name(name) == latex


EDGE_TERMS = [
    # (text, values, [(name, formula, value)]) in backward order; derivatives by hand.
    ("x*y", {"x": 2, "y": 3}, [("∂f/∂x", "y", "3"), ("∂f/∂y", "x", "2")]),
    ("x^3", {"x": 2}, [("∂f/∂x", r"3\,x^{2}", "12")]),
    ("(x - y)^2", {"x": 5, "y": 2}, [("∂f/∂(x − y)", r"2\,\left(x - y\right)", "6"),
                                     ("∂(x − y)/∂x", "1", "1"), ("∂(x − y)/∂y", r"\left(-1\right)", "−1")]),
]


@pytest.mark.parametrize("text, values, expected", EDGE_TERMS)
def test_edge_terms_by_hand(text: str, values: dict, expected: list) -> None:
    from graphviz_nn import evaluate
    from graphviz_nn.explain.captions import edge_terms

    res = evaluate(text, values)
    terms = [t for t in edge_terms(res) if res.graph.nodes[t.edge[0]]["kind"] != "constant"]
    assert [(t.name_plain, t.formula_latex, t.value_plain) for t in terms] == expected


def test_edge_terms_latex_modes() -> None:
    from graphviz_nn import evaluate
    from graphviz_nn.explain.captions import edge_terms, edge_terms_latex

    terms = edge_terms(evaluate("x^2", {"x": 3}))[:1]  # d(x^2)/dx; the next is d(x^2)/d2 = x^2 ln x
    assert edge_terms_latex(terms, "both").endswith(r"&= 2\,x = 6\end{aligned}")
    assert r"2\,x" in edge_terms_latex(terms, "formula") and "6" not in edge_terms_latex(terms, "formula")
    with pytest.raises(ValueError):
        edge_terms_latex(terms, "sometimes")


class _CountingTrace:
    """A trace that counts how many steps are read from it."""

    def __init__(self, steps):
        self.steps, self.reads = list(steps), 0

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, k):
        self.reads += 1 if isinstance(k, int) else len(range(*k.indices(len(self.steps))))
        return self.steps[k]

    def __iter__(self):
        for step in self.steps:
            self.reads += 1
            yield step


def test_all_captions_read_the_trace_once_and_cap_long_sums():
    """Captions of every step cost work linear in the trace: the trace is read once (not once
    per step), and a node used many times writes a bounded part of its fan-out sum."""
    import dataclasses

    from graphviz_nn.explain import captions as cap

    n = 30
    res = gnn.evaluate("x = 1; y = 2; " + " + ".join(f"sin({i}x) y" for i in range(1, n + 1)))
    counting = _CountingTrace(res.trace)
    fake = dataclasses.replace(res, trace=counting)
    shown = cap.all_captions(fake)
    assert len(shown) == len(res.trace) + 1
    assert len(res.trace) <= counting.reads <= 2 * len(res.trace), counting.reads
    last_x = [c for c in shown if "x is used 30 times" in c.words][-1]
    assert "… (21 more)" in last_x.plain and last_x.plain.count(" + ") == cap.MAX_SUM_TERMS - 1
