"""Worksheets as a student meets them: blanks numbered in the order the drawing reads (and
typed in that order), hints that do not give the answer away, answers such as 1/3 or e^2,
and a caption that promises only what the drawing shows."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.errors import ValueInputError
from graphviz_nn.explain.captions import format_number
from graphviz_nn.explain.worksheet import answer_value, check_answers, choose_blanks
from graphviz_nn.networks.network import parse_spec
from graphviz_nn.page.examples import EXAMPLES_DIR
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.page.worksheet import check_worksheet, worksheet_view

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.gnn")) + sorted(EXAMPLES_DIR.glob("*.toml"))


# --------------------------------------------------------------------------- reading order


def _number_positions(svg: str) -> dict[int, tuple[float, float]]:
    """The centre of the node where each blank number ``(k)`` is drawn (SVG: y grows down)."""
    found = {}
    for body in re.findall(r'<g id="[^"]*" class="node[^"]*">(.*?)</g>\s*</g>|<g id="[^"]*" class="node[^"]*">(.*?)</g>',
                           svg, flags=re.S):
        body = "".join(body)
        shape = re.search(r'<(?:ellipse|polygon|path)[^>]*>', body)
        if not shape:
            continue
        if shape.group(0).startswith("<ellipse"):
            centre = tuple(float(re.search(f'{a}="([-\\d.]+)"', shape.group(0)).group(1)) for a in ("cx", "cy"))
        else:
            coords = [float(c) for c in re.findall(r"-?\d+(?:\.\d+)?", shape.group(0).split("points=" if "points=" in shape.group(0) else " d=")[1])]
            xs, ys = coords[0::2], coords[1::2]
            centre = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
        for number in re.findall(r">[^<]*\((\d+)\)\s*</text>", body):
            found[int(number)] = centre
    return found


@pytest.mark.exe
@pytest.mark.parametrize("text, values, blank", [
    ("sin(x*y)/z + exp(x*z)/(x*y)", {"x": "1", "y": "2", "z": "3"}, "both"),
    ("sin(x*y)/z + exp(x*z)/(x*y)", {"x": "1", "y": "2", "z": "3"}, "grads"),
    ("z = w x + b; a = sigmoid(z); L = (a - y)^2", {"w": "3", "x": "2", "b": "1", "y": "1"}, "both"),
])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_blanks_are_numbered_as_the_drawing_reads(text: str, values: dict, blank: str, rankdir: str) -> None:
    """LR: column by column from the left, top to bottom; TB: row by row, left to right."""
    view = worksheet_view(text, values, RenderOptions(rankdir=rankdir), blank)
    assert view.issue is None
    where = _number_positions(view.svg)
    assert sorted(where) == [n for n, _ in view.blanks]
    order = [where[n] for n in sorted(where)]
    key = (lambda p: (round(p[0]), p[1])) if rankdir == "LR" else (lambda p: (round(p[1] / 20), p[0]))
    assert order == sorted(order, key=key), order


@pytest.mark.exe
def test_answers_are_checked_against_the_numbers_as_drawn() -> None:
    """The check reads the blanks with the same numbers as the drawing (x^2 + 3xy at 2, 1)."""
    text, values = "x^2 + 3xy", {"x": "2", "y": "1"}
    view = worksheet_view(text, values, RenderOptions())
    numbers = dict((label, n) for n, label in view.blanks)
    rows, issue = check_worksheet(text, values, {numbers["∂f/∂x"]: "7", numbers["∂f/∂y"]: "6"},
                                  options=RenderOptions())
    assert issue is None
    assert {r.label: r.ok for r in rows if r.given is not None} == {"∂f/∂x": True, "∂f/∂y": True}


@pytest.mark.exe
def test_the_app_tabs_through_the_answer_boxes_in_number_order() -> None:
    st_testing = pytest.importorskip("streamlit.testing.v1")
    from graphviz_nn.ui.teaching import TAB_KEY

    app = str(Path(__file__).resolve().parents[2] / "app.py")
    at = st_testing.AppTest.from_file(app, default_timeout=60).run()
    at.session_state[TAB_KEY] = "Worksheet"  # only the open teaching tab is made
    at.run().radio(key="ws_blank").set_value("both").run()
    labels = [t.label for t in at.text_input if t.key and t.key.startswith("ws_answer:")]
    numbers = [int(re.match(r"\((\d+)\)", label).group(1)) for label in labels]
    assert len(numbers) > 4  # more than one row of boxes
    assert numbers == list(range(1, len(numbers) + 1))  # the page order is the Tab order


# --------------------------------------------------------------------------- answers


@pytest.mark.parametrize("typed, value", [
    ("1/3", 1 / 3), ("-2/3", -2 / 3), ("−2/3", -2 / 3), ("e^2", math.exp(2)), ("sqrt(2)", math.sqrt(2)),
    ("2π", 2 * math.pi), ("ln(2)", math.log(2)), ("0.25", 0.25), ("1,5", 1.5), ("1.5e-3", 1.5e-3),
    ("[1, 2]", [1.0, 2.0]), ("  7 ", 7.0),
])
def test_answers_may_be_expressions_of_numbers(typed: str, value: object) -> None:
    assert np.allclose(answer_value(typed), value, rtol=1e-12, atol=0)


@pytest.mark.parametrize("typed", ["x", "2x", "a = 2", "1; 2", "(1", "1/0", "__import__('os')", "1+" * 150 + "1"])
def test_answers_that_are_not_numbers_are_refused(typed: str) -> None:
    with pytest.raises(ValueInputError):
        answer_value(typed)


def test_a_fraction_is_right_where_its_decimal_is() -> None:
    res = gnn.evaluate("x / 3", {"x": 1})  # ∂f/∂x = 1/3
    sheet = choose_blanks(res, "grads")
    (check,) = check_answers(res, sheet, {1: "1/3"})
    assert check.ok


# --------------------------------------------------------------------------- hints


def _evaluate(path: Path) -> gnn.Evaluation:
    text = path.read_text()
    return parse_spec(text, path.name).evaluate() if path.suffix == ".toml" else gnn.evaluate(text, {})


CASES = [(p.name, p) for p in EXAMPLES] + [
    (t, (t, v)) for t, v in [("x + y", {"x": 1, "y": 2}), ("x*y + x", {"x": 2, "y": 3}),
                             ("3*x + y", {"x": 2, "y": 3}), ("sin(x*y)/z + exp(x)", {"x": 1, "y": 2, "z": 3}),
                             ("x - 2y", {"x": 1, "y": 1}), ("x + x", {"x": 3}), ("x*x + 2", {"x": 3})]]


@pytest.mark.parametrize("name, source", CASES, ids=[c[0] for c in CASES])
def test_a_wrong_answers_hint_never_states_the_answer(name: str, source) -> None:
    """No part of the hint after an ``=`` is just the expected number."""
    res = _evaluate(source) if isinstance(source, Path) else gnn.evaluate(*source)
    sheet = choose_blanks(res, "both")
    for check in check_answers(res, sheet, {b.number: "12345.678" for b in sheet.blanks}):
        assert not check.ok
        expected = format_number(check.expected)
        for part in re.split(r"=|:", check.hint)[1:]:
            assert part.strip() != expected, (check.label, check.hint)
            terms = part.strip().split(" + ")
            if len(terms) > 1 and all(re.fullmatch(r"[−-]?[\d.]+", t) for t in terms):  # 1 + 1: arithmetic only
                assert not math.isclose(sum(float(t.replace("−", "-")) for t in terms), float(check.expected)), \
                    (check.label, check.hint)


# --------------------------------------------------------------------------- caption


@pytest.mark.exe
@pytest.mark.parametrize("edge_text, formulas_drawn", [(None, False), ("formula", True), ("value", True)])
def test_the_caption_promises_only_what_the_drawing_shows(edge_text: str | None, formulas_drawn: bool) -> None:
    view = worksheet_view("x^2 + 3xy", {"x": "2", "y": "1"}, RenderOptions(edge_text=edge_text))
    has_formulas = bool(re.findall(r"<text[^>]*>local [^<]*[a-z][^<]*</text>", view.svg))
    assert has_formulas == formulas_drawn
    assert ("Edges show the local derivatives as formulas" in view.caption) == has_formulas
