"""Internal node ids (``n14``) never reach a user: a user sees names, formulas and numbers.

Every example (and a few expressions with long unnamed subformulas and non-finite values) is
scanned in every place a user reads: the CLI's ``eval`` table, warnings and ``explain`` text,
the step captions, the worksheet's labels and hints, and the hover text of the drawn SVG.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.cli import main as cli
from graphviz_nn.explain.captions import all_captions
from graphviz_nn.page.examples import EXAMPLES_DIR
from graphviz_nn.networks.network import parse_spec
from graphviz_nn.explain.worksheet import check_answers, choose_blanks

ID = re.compile(r"\bn\d+\b")

EXPRESSIONS = [
    ("sin(x*y)/z + exp(x)", {"x": 1, "y": 2, "z": 3}),
    # a long unnamed subformula: referred to by a shortened formula, not by an id
    ("exp(sin(x*y + z^2)/(x + y*z + sqrt(x^2 + y^2))) + log(1 + x^2*y^2*z^2)/(x + y + z)",
     {"x": 1, "y": 2, "z": 3}),
    ("a = log(x - 1); b = a*y + 1/(x - 1); b", {"x": 1, "y": 2}),  # non-finite: a warning
]
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.gnn")) + sorted(EXAMPLES_DIR.glob("*.toml"))


def _evaluate(source: Path | tuple[str, dict]) -> gnn.Evaluation:
    if isinstance(source, Path):
        text = source.read_text()
        return parse_spec(text, source.name).evaluate() if source.suffix == ".toml" else gnn.evaluate(text, {})
    return gnn.evaluate(*source)


def _cli_args(source: Path | tuple[str, dict]) -> list[str]:
    if isinstance(source, Path):
        return ["--spec", str(source)] if source.suffix == ".toml" else ["--file", str(source)]
    text, values = source
    return [text] + [a for name, v in values.items() for a in ("--at", f"{name}={v}")]


CASES = EXAMPLES + EXPRESSIONS
IDS = [p.name for p in EXAMPLES] + [t[:20] for t, _ in EXPRESSIONS]


def _no_ids(where: str, text: str) -> None:
    found = ID.findall(text)
    assert not found, f"{where} shows internal ids {found}: {text[:400]}"


@pytest.mark.parametrize("source", CASES, ids=IDS)
def test_cli_eval_and_explain_show_no_ids(source, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["eval", *_cli_args(source)]) == 0
    out = capsys.readouterr()
    _no_ids("eval", out.out + out.err)
    wrt = next(iter(_evaluate(source).graph.graph["inputs"]))
    assert cli.main(["explain", *_cli_args(source), "--wrt", wrt]) == 0
    out = capsys.readouterr()
    _no_ids("explain", out.out + out.err)


@pytest.mark.parametrize("source", CASES, ids=IDS)
def test_captions_worksheets_and_warnings_show_no_ids(source) -> None:
    res = _evaluate(source)
    for warning in res.warnings or ():
        _no_ids("warning", warning)
    for cap in all_captions(res):
        _no_ids("caption", " | ".join((cap.title, cap.words, cap.plain, cap.latex)))
    sheet = choose_blanks(res, "both")
    wrong = {b.number: "12345" for b in sheet.blanks}
    for check in check_answers(res, sheet, wrong):
        _no_ids("worksheet", f"{check.label} | {check.hint}")


def test_long_formula_is_shortened_not_replaced_by_an_id() -> None:
    res = _evaluate(EXPRESSIONS[1])
    labels = [b.label for b in choose_blanks(res, "grads").blanks]
    assert any("…" in label for label in labels)  # shortened, as a formula with an ellipsis
    assert all(label.startswith("∂f/∂") for label in labels)


@pytest.mark.exe
@pytest.mark.parametrize("source", [EXPRESSIONS[0], EXAMPLES_DIR / "mit_4layer_chain.toml"],
                         ids=["expression", "network"])
def test_svg_hover_text_shows_no_ids(source) -> None:
    """Every node and edge of the SVG has hover text (``xlink:title``), none of it an id: without
    one, a browser shows the element's ``<title>``, which Graphviz fills with the id."""
    from graphviz_nn.export.files import export_bytes

    svg = export_bytes(_evaluate(source), "svg").decode()
    groups = re.findall(r'<g id="[^"]*" class="(?:node|edge)[^"]*">(.*?)</g>', svg, flags=re.S)
    assert groups
    for body in groups:
        hover = re.findall(r'xlink:title="([^"]*)"', body)
        assert hover, body[:200]
        _no_ids("hover text", " ".join(hover))
    _no_ids("drawn text", " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)))


def test_deep_edge_formulas_elide_instead_of_naming_ids() -> None:
    """Edge formulas (drawn on edges, in TikZ and in worksheet hints) of a deeply nested
    expression: the deepest levels become ⋯, not node ids."""
    from graphviz_nn.explain.chainrule import _Namer, edge_formulas

    res = gnn.evaluate("exp(" * 9 + "x*y" + ")" * 9, {"x": 0.1, "y": 0.2})
    for formula in edge_formulas(res.graph).values():
        _no_ids("edge formula", formula)
    top = _Namer(res.graph)(res.graph.graph["output"])  # written out from the top, not cached from below
    _no_ids("formula", top)
    assert r"\cdots" in top
