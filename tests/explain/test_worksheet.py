"""Worksheets: which blanks, the drawing and its key, checking answers and the hints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.errors import ValueInputError
from graphviz_nn.draw.dot import RenderOptions, to_dot
from graphviz_nn.explain.worksheet import check_answers, choose_blanks, render_options

CHAIN = (Path(__file__).resolve().parents[2] / "examples" / "mit_4layer_chain.gnn").read_text()

# Published with the MIT chain (000): z1 = a1 = 2, z2 = a2 = 9, z3 = a3 = 4, z4 = g = 5, L = 9,
# dL/dw1 = dL/dw01 = 24.
PUBLISHED_VALUES = {"z1": 2, "a1": 2, "z2": 9, "a2": 9, "z3": 4, "a3": 4, "z4": 5, "g": 5, "L": 9}
PUBLISHED_GRADS = {"∂L/∂w1": 24, "∂L/∂w01": 24}


exe = pytest.mark.exe  # skipped by conftest.py only where no layout program exists


@pytest.fixture(scope="module")
def chain() -> gnn.Evaluation:
    return gnn.evaluate(CHAIN)


def test_value_key_matches_the_published_numbers(chain: gnn.Evaluation) -> None:
    sheet = choose_blanks(chain, "values")
    assert {b.label: b.expected for b in sheet.blanks} == PUBLISHED_VALUES
    assert [b.number for b in sheet.blanks] == list(range(1, len(sheet.blanks) + 1))


def test_gradient_key_matches_the_published_numbers(chain: gnn.Evaluation) -> None:
    key = {b.label: b.expected for b in choose_blanks(chain, "grads").blanks}
    for label, value in PUBLISHED_GRADS.items():
        assert key[label] == value
    assert "∂L/∂L" not in key  # the seed is not a question


def test_gradient_key_matches_finite_differences() -> None:
    res = gnn.evaluate("sin(xy)/z + e^(xz)/(xy)", {"x": 1, "y": 2, "z": 3})
    sheet = choose_blanks(res, "grads", nodes=["x", "y", "z"])
    numeric = {name: n for name, (_, n, _) in res.gradient_check().items()}
    for blank, name in zip(sheet.blanks, ["x", "y", "z"]):
        assert blank.expected == pytest.approx(numeric[name], rel=1e-5)


def test_chosen_nodes_and_both_kinds(chain: gnn.Evaluation) -> None:
    sheet = choose_blanks(chain, "both", nodes=["a1", "w2"])
    assert [(b.label, b.kind) for b in sheet.blanks] == [("a1", "value"), ("∂L/∂a1", "grad"), ("∂L/∂w2", "grad")]
    with pytest.raises(ValueInputError, match="no node called 'q'"):
        choose_blanks(chain, "both", nodes=["q"])
    with pytest.raises(ValueInputError, match="grads, values, both"):
        choose_blanks(chain, "everything")


def test_random_sample_is_seeded(chain: gnn.Evaluation) -> None:
    a = choose_blanks(chain, "both", sample=5, seed=7)
    b = choose_blanks(chain, "both", sample=5, seed=7)
    c = choose_blanks(chain, "both", sample=5, seed=8)
    assert a == b and len(a.blanks) == 5 and a != c
    assert [x.number for x in a.blanks] == [1, 2, 3, 4, 5]


def test_right_answers_pass_within_tolerance(chain: gnn.Evaluation) -> None:
    sheet = choose_blanks(chain, "both")
    answers = {b.number: f"{float(b.expected) * (1 + 1e-4):.6g}" for b in sheet.blanks}
    assert all(c.ok for c in check_answers(chain, sheet, answers))
    assert all(c.hint == "" for c in check_answers(chain, sheet, answers))


# (blank, wrong answer, hint) — the hint names the local derivative(s) on the edges into it
WRONG = [
    ("∂L/∂a1", "6", "∂L/∂a1 = ∂L/∂z2 · ∂z2/∂a1 = ∂L/∂z2 · w2"),
    ("∂L/∂w2", "8", "∂L/∂w2 = ∂L/∂z2 · ∂z2/∂w2 = ∂L/∂z2 · a1"),
    ("∂L/∂w1", "3", "∂L/∂w1 = ∂L/∂z1 · ∂z1/∂w1 = ∂L/∂z1 · x"),
    ("∂L/∂z1", "1", "∂L/∂z1 = ∂L/∂a1 · ∂a1/∂z1 = ∂L/∂a1 · 1[z1 > 0]"),
    ("∂L/∂w01", "0", "∂L/∂w01 = ∂L/∂z1 · ∂z1/∂w01 = ∂L/∂z1"),
    ("∂L/∂g", "3", "∂L/∂g = 2 (g − y): the local derivative of the last operation"),
]


@pytest.mark.parametrize("label, answer, hint", WRONG)
def test_wrong_gradients_get_the_right_hint(chain: gnn.Evaluation, label: str, answer: str, hint: str) -> None:
    sheet = choose_blanks(chain, "grads")
    number = next(b.number for b in sheet.blanks if b.label == label)
    check = next(c for c in check_answers(chain, sheet, {number: answer}) if c.number == number)
    assert not check.ok and check.hint == hint


def test_fan_out_hint_sums_the_uses() -> None:
    res = gnn.evaluate("x^2 + 3xy", {"x": 3, "y": 2})
    sheet = choose_blanks(res, "grads", nodes=["x"])
    check = check_answers(res, sheet, {1: "6"})[0]
    assert not check.ok and check.expected == 12
    assert check.hint == "∂f/∂x = ∂f/∂(x^2) · ∂(x^2)/∂x + ∂f/∂(x·y) · ∂(x·y)/∂x = ∂f/∂(x^2) · 2 x + ∂f/∂(x·y) · y"


def test_wrong_value_hint_and_unreadable_and_empty(chain: gnn.Evaluation) -> None:
    sheet = choose_blanks(chain, "values", nodes=["z2"])
    wrong, = check_answers(chain, sheet, {1: "8"})
    assert not wrong.ok and wrong.hint == "z2 = w2·a1 + w02: put in the values of its operands"
    bad, = check_answers(chain, sheet, {1: "nine"})
    assert not bad.ok and "type a number" in bad.hint
    empty, = check_answers(chain, sheet, {})
    assert not empty.ok and empty.given is None and empty.hint == ""
    minus, = check_answers(gnn.evaluate(CHAIN), choose_blanks(chain, "grads", nodes=["y"]), {1: "−6"})
    assert minus.ok  # the typographic minus is accepted


def test_sheet_draws_numbered_blanks_and_the_key_the_answers(chain: gnn.Evaluation) -> None:
    sheet = choose_blanks(chain, "both", nodes=["a1"])
    blank_dot = to_dot(chain, render_options(sheet, RenderOptions(edge_labels=True)))
    key_dot = to_dot(chain, render_options(sheet, RenderOptions(edge_labels=True), key=True))
    assert "= ____ (1)" in blank_dot and "∂ = ____ (2)" in blank_dot
    assert "× " not in blank_dot.split("local", 1)[1].split("\n")[0]  # edges: formulas, not numbers
    assert "local a1<" in blank_dot and "local a1 =" not in blank_dot
    assert "(1)" in key_dot and "____" not in key_dot and "= 2</FONT> <FONT" in key_dot


@exe
def test_cli_writes_sheet_and_key(tmp_path: Path) -> None:
    src = tmp_path / "chain.gnn"
    src.write_text(CHAIN, encoding="utf-8")
    out = tmp_path / "sheet.svg"
    run = subprocess.run([sys.executable, "-m", "graphviz_nn", "worksheet", "--file", str(src), "--blank", "both",
                          "--nodes", "a1,w2", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["(1) a1", "(2) ∂L/∂a1", "(3) ∂L/∂w2"]
    import xml.etree.ElementTree as ET

    sheet, key = out.read_text(), (tmp_path / "sheet-key.svg").read_text()
    ET.fromstring(sheet.encode())
    ET.fromstring(key.encode())
    assert "____ (1)" in sheet and "____" not in key


@exe
@pytest.mark.parametrize("theme", ["lecture", "micrograd", "print"])
def test_a_tensor_answer_key_draws(theme: str) -> None:
    """Found in review: a vector answer (a grid table) followed by its "(1)" was not valid
    HTML-like label markup, so the layout program refused the key."""
    from graphviz_nn.export.files import export_bytes

    res = gnn.evaluate("z = w x + b; L = sum(z^2)", {"w": [[1, 2], [3, 4]], "x": [1, -1], "b": [0.5, 0.5]})
    sheet = choose_blanks(res, "values")
    key = render_options(sheet, RenderOptions(theme=theme), key=True)
    svg = export_bytes(res, "svg", key).decode("utf-8")
    number = next(b.number for b in sheet.blanks if b.label == "z")
    assert f"({number})" in svg and "−0.5" in svg and "____" not in svg  # z = [1-2+0.5, 3-4+0.5]
