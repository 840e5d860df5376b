"""One spelling per name and per number, whatever writes it.

A name (``yhat``, ``w1``, ``alpha``, ``x_10``, ``theta``) reads the same in every LaTeX output:
the step captions, the chain-rule panel, the edge terms and the TikZ picture; and the same in
every plain-text output: the drawing's labels, the worksheet, the chain-rule factor table.
Numbers go through one function (:func:`graphviz_nn.notation.numfmt.format_number` and its LaTeX
twin): a marked formatter shows up in every output.
"""

from __future__ import annotations

import re

import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.draw.tikz import tikz_document
from graphviz_nn.explain.captions import all_captions
from graphviz_nn.explain.chainrule import explain, factor_table
from graphviz_nn.explain.edgeterms import edge_terms
from graphviz_nn.explain.worksheet import check_answers, choose_blanks
from graphviz_nn.notation import numfmt
from graphviz_nn.notation.symbols import latex_name, plain_name

PROGRAM = "yhat = w1 * x_10 + alpha * theta; L = (yhat - y)^2"
VALUES = {"w1": 0.5, "x_10": 2.0, "alpha": 3.0, "theta": -1.0, "y": 1.0}

#: name -> (LaTeX, plain text), as a problem sheet prints them (written by hand).
SPELLINGS = {
    "yhat": (r"\hat{y}", "ŷ"),
    "w1": ("w_{1}", "w1"),
    "alpha": (r"\alpha", "α"),
    "x_10": ("x_{10}", "x₁₀"),
    "theta": (r"\theta", "θ"),
}
#: Other spellings the outputs used to mix in; none may appear.
WRONG = [r"\mathit{yhat}", r"\mathrm{yhat}", "{yhat}", r"\mathrm{x10}", r"\partial w1}", "$w1$", r"\mathit{"]


@pytest.fixture(scope="module")
def res() -> gnn.Evaluation:
    return gnn.evaluate(PROGRAM, VALUES)


def _outputs(res: gnn.Evaluation) -> dict[str, str]:
    """Every LaTeX output of one evaluation, by where it comes from."""
    positions = {node: (i * 0.5, 0.0) for i, node in enumerate(res.graph.nodes)}
    rules = explain(res, list(VALUES))
    return {
        "captions": "\n".join(c.latex for c in all_captions(res)),
        "chain rule": "\n".join(r.latex + "\n" + "\n".join(f.latex + f.numerator + f.denominator
                                                           for p in r.paths for f in p.factors) for r in rules),
        "edge terms": "\n".join(t.name_latex + t.formula_latex for t in edge_terms(res)),
        "tikz": tikz_document(res, RenderOptions(edge_text="formula"), positions),
    }


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_the_one_latex_function_spells_a_name_as_a_sheet_does(name: str) -> None:
    assert latex_name(name) == SPELLINGS[name][0]
    assert plain_name(name) == SPELLINGS[name][1]


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_every_latex_output_spells_a_name_the_same_way(res: gnn.Evaluation, name: str) -> None:
    latex = SPELLINGS[name][0]
    for where, text in _outputs(res).items():
        assert latex in text, f"{name} is not {latex} in the {where}"
    for where, text in _outputs(res).items():
        for wrong in WRONG:
            assert wrong not in text, f"{wrong} in the {where}"


def test_every_plain_output_spells_names_as_the_labels(res: gnn.Evaluation) -> None:
    rules = explain(res, list(VALUES))
    table = factor_table(rules)
    sheet = choose_blanks(res, "grads")
    labels = " ".join(b.label for b in sheet.blanks)
    hints = " ".join(c.hint or "" for c in check_answers(res, sheet, {b.number: "12345" for b in sheet.blanks}))
    for name, (_latex, plain) in SPELLINGS.items():
        if name == "yhat":
            assert "∂ŷ" in table and "∂L/∂ŷ" in labels and "ŷ" in hints
        assert plain in table + labels, (name, plain)
    assert "yhat" not in table + labels + hints
    assert not re.search(r"\bx10\b", table + labels + hints)


def test_numbers_come_from_one_function(res: gnn.Evaluation, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the one formatter marking what it writes, every output shows the mark."""
    original = numfmt._plain
    monkeypatch.setattr(numfmt, "_plain", lambda x, digits: "7" + original(x, digits) + "7")
    outputs = _outputs(res)
    outputs["tikz"] = tikz_document(res, RenderOptions(edge_text="both"),
                                    {node: (0.0, 0.0) for node in res.graph.nodes})
    terms = edge_terms(res)
    value = numfmt.latex_number(res.graph.nodes[res.graph.graph["output"]]["value"])
    assert value.startswith("7") and value.endswith("7")
    assert value in outputs["captions"] and value in outputs["tikz"]
    assert all(t.value_latex.startswith("7") for t in terms if t.value_latex)
    results = [c.plain.rsplit(" = ", 1)[-1] for c in all_captions(res) if c.phase == "forward"]
    assert results and all(r.startswith("7") and r.endswith("7") for r in results), results


def test_the_drawings_edge_formulas_spell_names_as_its_labels(res: gnn.Evaluation) -> None:
    from graphviz_nn.draw.dot import to_dot

    dot = to_dot(res, RenderOptions(edge_text="formula"))
    edge_labels = " ".join(line for line in dot.splitlines() if "->" in line and "local" in line)
    assert "local x₁₀" in edge_labels and "ŷ − y" in edge_labels  # ∂(w1·x₁₀)/∂w1 = x₁₀; ∂L/∂ŷ = 2 (ŷ − y)
    assert "yhat" not in edge_labels and not re.search(r"\bx10\b", edge_labels)
