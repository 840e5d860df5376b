"""Formulas written by the one notation layer, against hand-written expected texts.

Brackets come from the registry's binding powers and associativity, in every printer: the
captions' formulas, the reading form, the derivative on an edge.
"""

from __future__ import annotations

import pytest

import graphviz_nn as gnn
from graphviz_nn.explain.chainrule import edge_formulas
from graphviz_nn.language.parser import parse
from graphviz_nn.language.printer import reading
from graphviz_nn.networks.network import parse_spec
from graphviz_nn.notation import formulas
from graphviz_nn.notation.formulas import REF_BUDGET, node_formula, node_ref
from graphviz_nn.page.examples import EXAMPLES_DIR
from graphviz_nn.notation.plaintext import latex_to_text

# (program, symbolic plain, symbolic LaTeX) of the output node, as a sheet writes it
FORMULAS = [
    ("sqrt(x + 1)", "√(x + 1)", r"\sqrt{x + 1}"),
    ("x - -y", "x − (−y)", r"x - \left(-y\right)"),
    ("x * (-y)", "x·(−y)", r"x \cdot \left(-y\right)"),
    ("(x + y)/(x - y)", "(x + y)/(x − y)", r"\frac{x + y}{x - y}"),
    ("(x - y)^2", "(x − y)^2", r"{\left(x - y\right)}^{2}"),
    ("x - (y - 1)", "x − (y − 1)", r"x - \left(y - 1\right)"),
    ("x - y - 1", "x − y − 1", "x - y - 1"),
    ("abs(x - y)", "|x − y|", r"\left|x - y\right|"),
    ("leaky_relu(x, 0.2)", "LeakyReLU(x, 0.2)", r"\operatorname{LeakyReLU}\left(x, 0.2\right)"),
    ("softplus(x)", "softplus(x, 1)", r"\operatorname{softplus}\left(x, 1\right)"),
]


@pytest.mark.parametrize(("text", "plain", "latex"), FORMULAS)
def test_node_formulas(text: str, plain: str, latex: str) -> None:
    res = gnn.evaluate(text, {"x": 3, "y": 2})
    symbolic, _ = node_formula(res.graph, res.graph.graph["output"])
    assert (symbolic.plain, symbolic.latex) == (plain, latex)


def test_values_put_in_keep_the_brackets_a_call_does_not_need() -> None:
    res = gnn.evaluate("sin(x) + x", {"x": -1.5})
    _, values = node_formula(res.graph, res.graph.graph["output"])
    assert values.plain == "sin(−1.5) + (−1.5)"


@pytest.mark.parametrize(("text", "expected"), [
    ("- -y", "−(−y)"), ("x - -2", "x − (−2)"), ("2^3^x", "2^3^x"), ("(2^3)^x", "(2^3)^x"),
    ("-x^2", "−x^2"), ("(-x)^2", "(−x)^2"), ("a-(b-c)", "a − (b − c)"), ("abs(x-1)", "|x − 1|"),
])
def test_the_reading_form_brackets_by_the_same_rule(text: str, expected: str) -> None:
    assert reading(parse(text)) == expected


def test_an_edge_derivative_keeps_a_negated_sum_whole() -> None:
    """exp(−(w0 x0 + w1 x1 + w2)): the local derivative is e^(−(…)), not e^(−(…) + w2)."""
    res = gnn.evaluate("f = 1/(1 + exp(-(w0*x0 + w1*x1 + w2)))",
                       {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    exp_node = next(n for n, d in res.graph.nodes(data=True) if d["op"] == "exp")
    neg_node = res.graph.nodes[exp_node]["args"][0]
    text = latex_to_text(edge_formulas(res.graph)[(neg_node, exp_node, 0)])
    assert text == "e^(-(w0 · x0 + w1 · x1 + w2))"


# (program, how ∂-notation and the step notes refer to each node n0, n1, …) by hand: a formula
# longer than REF_BUDGET characters is expanded only as deep as fits, ``…`` below
REFS = [
    ("w1*x1 + w2*x2 + w3*x3 + w4*x4 + w5*x5",
     ["w1", "x1", "w1·x1", "w2", "x2", "w2·x2", "w1·x1 + w2·x2", "w3", "x3", "w3·x3", "w1·x1 + w2·x2 + w3·x3",
      "w4", "x4", "w4·x4", "… + … + w3·x3 + w4·x4", "w5", "x5", "w5·x5", "f"]),
    ("sin(sin(sin(sin(sin(sin(x))))))*y + 1",
     ["x", "sin(x)", "sin(sin(x))", "sin(sin(sin(x)))", "sin(sin(sin(sin(x))))", "sin(sin(sin(sin(…))))",
      "sin(sin(sin(sin(…))))", "y", "sin(sin(sin(sin(…))))·y", "1", "f"]),
]


@pytest.mark.parametrize(("text", "refs"), REFS)
def test_node_references_by_hand(text: str, refs: list[str]) -> None:
    res = gnn.evaluate(text, {name: 1.5 for name in ("x", "y", *(f"{c}{i}" for c in "wx" for i in range(1, 6)))})
    assert [node_ref(res.graph, node, 4).plain for node in res.graph.nodes] == refs


def _ref_from_the_formula(graph, node: str) -> str:
    """How a node was referred to before: the formula of :func:`node_formula`, shortened to
    REF_BUDGET characters where it is longer."""
    data = graph.nodes[node]
    if node == graph.graph.get("output") or data.get("kind") != "op" or data.get("name"):
        return node_ref(graph, node, 4).plain
    symbolic, _ = node_formula(graph, node, 4)
    if len(symbolic.plain) > REF_BUDGET:
        return formulas._shortened(graph, node, REF_BUDGET, 4).plain
    return symbolic.plain


EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("*.gnn")) + sorted(EXAMPLES_DIR.glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_a_reference_is_the_formula_shortened(path) -> None:
    """A node's reference is worked out without expanding its formula to the formula budget
    first; it is still the node's formula, shortened where it is longer than REF_BUDGET."""
    text = path.read_text()
    res = parse_spec(text, path.name).evaluate() if path.suffix == ".toml" else gnn.evaluate(text, {})
    graph = res.graph
    assert [node_ref(graph, n, 4).plain for n in graph.nodes] == [_ref_from_the_formula(graph, n) for n in graph.nodes]
