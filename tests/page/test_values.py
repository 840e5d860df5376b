"""The app's values without Streamlit: the text holds every value it assigns, fields edit it.

Every case checks the three things the page shows against each other and against numbers worked
out by hand: the fields (``page_inputs(...).values``), the text ("Read as" is printed from it)
and the value computed from both (``build_view``).
"""

from __future__ import annotations

import pytest

from graphviz_nn.page import values as page_values
from graphviz_nn.page.examples import EXAMPLES_DIR
from graphviz_nn.page.values import ValueState, edit_text, literal_spans, page_inputs, set_value, set_values
from graphviz_nn.page.view import build_view

DESIGN = (EXAMPLES_DIR / "design.gnn").read_text(encoding="utf-8")


def shown(state: ValueState) -> tuple[dict[str, str], str, str]:
    """(fields, "Read as", f) as the page shows them for ``state``."""
    inputs = page_inputs(state)
    assert inputs.issue is None, inputs.issue
    view = build_view(state.text, inputs.values, draw=False)
    assert view.issue is None, view.issue
    return dict(inputs.values), view.reading, view.value


def test_an_example_shows_its_own_values_whatever_the_fields_held_before() -> None:
    # The page held x^2 + 3xy with x = 2, y = 1 typed; then the design example is loaded (a
    # new text): sin(1·2)/3 + e^3/2 = 0.30310 + 10.04277 = 10.35.
    before = set_values(ValueState("x^2 + 3xy"), {"x": "2", "y": "1"})
    fields, reading, value = shown(edit_text(before, DESIGN))
    assert fields == {"x": "1", "y": "2", "z": "3"}
    assert reading.startswith("x = 1; y = 2; z = 3;")
    assert value == "10.35"


def test_a_typed_program_is_not_overridden_by_old_field_entries() -> None:
    before = set_values(ValueState("x^2 + 3xy"), {"x": "2", "y": "1"})
    fields, reading, value = shown(edit_text(before, "x = 1; y = 3; x + 10y"))
    assert fields == {"x": "1", "y": "3"} and reading == "x = 1; y = 3; x + 10·y"
    assert value == "31"  # 1 + 30; the old entries would give 2 + 10 = 12


def test_a_field_edit_writes_the_value_into_the_text() -> None:
    state = set_value(ValueState("# keep me\nx = 1\ny = 3  # y's note\nx + 10y"), "x", "5")
    assert state.text == "# keep me\nx = 5\ny = 3  # y's note\nx + 10y"
    assert state.free == ()
    fields, reading, value = shown(state)
    assert fields == {"x": "5", "y": "3"} and reading.startswith("x = 5; y = 3;") and value == "35"


@pytest.mark.parametrize("text, name, raw, written, value", [
    ("x = -1\nx^2", "x", "2", "x = 2\nx^2", "4"),
    ("x = 2\nx^2", "x", "-0.5", "x = -0.5\nx^2", "0.25"),
    ("x = 2\nx^2", "x", "1e-3", "x = 0.001\nx^2", "1e−6"),
    ("x = 2.0\nx^2", "x", "2", "x = 2.0\nx^2", "4"),  # the same value keeps its spelling
    ("x = .5\nx^2", "x", "0.5", "x = .5\nx^2", "0.25"),
    ("x = .5\nx^2", "x", "3", "x = 3\nx^2", "9"),
    ("b = 6.8813735870195432\nb", "b", "6.881373587019543", "b = 6.8813735870195432\nb", "6.881"),
    ("W = [[1, 2], [3, 4]]\nv = [1, 1]\nsum(W @ v)", "W", "[[0, 1],[1, 0]]",
     "W = [[0, 1], [1, 0]]\nv = [1, 1]\nsum(W @ v)", "2"),
    ("x = 3; y = 4; x*y", "y", "pi", "x = 3; y = 3.141592653589793; x*y", "9.425"),
])
def test_literals_are_rewritten_in_place(text: str, name: str, raw: str, written: str, value: str) -> None:
    state = set_value(ValueState(text), name, raw)
    assert state.text == written
    assert shown(state)[2] == value


def test_inputs_the_text_leaves_open_keep_their_entries_across_edits() -> None:
    state = set_value(ValueState("x*y"), "y", "3")
    assert state.text == "x*y" and dict(state.free) == {"y": "3"}
    assert shown(state) == ({"x": "2", "y": "3"}, "x·y", "6")
    state = edit_text(state, "x + y")
    assert shown(state) == ({"x": "2", "y": "3"}, "x + y", "5")
    state = edit_text(state, "y = 7; x + y")  # now the text gives y: the text wins
    assert shown(state)[0] == {"x": "2", "y": "7"} and state.free == ()


@pytest.mark.parametrize("raw, words", [
    ("[1, oops]", "JSON array"),
    ("1; y = 5", "JSON array"),  # program text in a field never reaches the program
    ("nan", "cannot be written there"),
    ("inf", "cannot be written there"),
])
def test_an_entry_the_text_cannot_take_is_refused_with_a_message(raw: str, words: str) -> None:
    text = "v = [1, 2]\nv @ v" if raw.startswith("[") else "v = 2\nv * v"
    state = set_value(ValueState(text), "v", raw)
    assert state.text == text  # the text is untouched
    inputs = page_inputs(state)
    assert dict(inputs.values) == {"v": raw}  # the field keeps what was typed
    assert inputs.issue is not None and inputs.issue.kind == "value" and words in inputs.issue.message
    fixed = set_value(state, "v", "3")  # a good value replaces it
    assert page_inputs(fixed).issue is None and fixed.free == ()
    assert edit_text(state, text).free == ()  # so does editing the text


def test_link_values_apply_like_field_edits() -> None:
    state = set_values(ValueState("x = 1; y = 2; x*y + z"), {"x": "5", "z": "4"})
    assert state.text == "x = 5; y = 2; x*y + z" and dict(state.free) == {"z": "4"}
    fields, reading, value = shown(state)
    assert fields == {"x": "5", "y": "2", "z": "4"} and reading.startswith("x = 5; y = 2;") and value == "14"


def test_a_text_that_cannot_be_read_has_no_fields_and_says_why() -> None:
    inputs = page_inputs(ValueState("x + * y", (("x", "2"),)))
    assert inputs.fields == () and inputs.issue is not None and inputs.issue.kind == "syntax"
    assert literal_spans("x + * y") == {}


def test_number_fields_read_as_plain_numbers() -> None:
    assert [page_values.number_text(v) for v in (3.0, -0.5, 1e-7, 1e20)] == ["3", "-0.5", "1e-07", "1e+20"]


# --------------------------------------------------------------------------- field kinds

MATRIX_LOSS = "1/2 ||W2 tanh(W1 x + b) - y||^2"


@pytest.mark.parametrize("raw, kind, expected", [
    ("2", "number", "2"), (" -0.5 ", "number", "-0.5"), ("1e-3", "number", "0.001"),
    ("[[1, 2], [0, -1]]", "array", "[[1, 2], [0, -1]]"), ("[1,2,3]", "array", "[1, 2, 3]"),
    ("  [[0.5]] ", "array", "[[0.5]]"),
    ("1\n2.5\n-3", "batch", "[1, 2.5, -3]"), ("1, 2, 3", "batch", "[1, 2, 3]"), ("[4, 5]", "batch", "[4, 5]"),
])
def test_an_entry_is_read_as_its_field_kind(raw: str, kind: str, expected: str) -> None:
    from graphviz_nn.page.fields import read_entry

    assert read_entry("W", raw, kind) == expected


@pytest.mark.parametrize("raw, kind, message, caret_column", [
    ("[[1, 2], [0, -1]]", "number", "a number field takes one number", 1),  # never becomes 1
    ("2", "array", "a vector/matrix field takes", 1),  # never becomes [2]
    ("[[1, 2], [0, -1]", "array", "a ] is missing", 17),
    ("[[1, 2], [0]]", "array", "rows do not all have the same length", 12),
    ("[[1, 2], 3]", "array", "rows do not all have the same length", 10),
    ("[1, oops]", "array", "cannot read this", 5),
    ("[1, 2,]", "array", "cannot read this", 7),
    ("1\n2\nthree", "batch", "not a number", 1),
    ("[[1, 2], [3, 4]]", "batch", "one column of points", 1),
    ("", "batch", "empty", 1),
    ("abc", "number", "not a number", 1),
])
def test_an_entry_that_is_not_its_kind_is_refused_with_a_caret(raw: str, kind: str, message: str,
                                                                caret_column: int) -> None:
    from graphviz_nn.page.fields import entry_error

    rendered = entry_error("W1", raw, kind)
    assert rendered is not None and rendered.startswith("W1: ") and message in rendered.splitlines()[0]
    caret = rendered.splitlines()[-1]
    assert caret.strip().startswith("^") and len(caret) - len(caret.lstrip()) - 2 == caret_column - 1


@pytest.mark.parametrize("raw, chosen, kind, words", [
    ("2", None, "number", "number"), ("[1, 2, 3]", None, "array", "vector of 3"),
    ("[[1, 2, 3], [4, 5, 6]]", None, "array", "2×3 matrix"), ("2", "array", "array", "number"),
    ("[1, 2]", "batch", "batch", "batch of 2 points"), ("[[1]]", "number", "array", "1×1 matrix"),
    ("[[1, 2]]", "batch", "array", "1×2 matrix"),
])
def test_the_field_kind_and_shape_shown(raw: str, chosen: str | None, kind: str, words: str) -> None:
    from graphviz_nn.page.fields import describe, field_kind

    assert field_kind(raw, chosen) == kind
    assert describe(raw, kind) == words


def test_a_matrix_typed_into_a_matrix_field_is_computed_with_exactly() -> None:
    # The issue's case: 1/2 ||W2 tanh(W1 x + b) - y||^2 with no values in the text. W1 becomes
    # a matrix field and takes [[1, 2], [0, -1]]; the others get a vector, a row and numbers.
    # The oracle is numpy on the same numbers.
    import numpy as np

    from graphviz_nn.page.values import set_entry

    kinds = {"W1": "array", "x": "array", "b": "array", "W2": "array", "y": "number"}
    state = ValueState(MATRIX_LOSS)
    for name, raw in (("W1", "[[1, 2], [0, -1]]"), ("x", "[0.5, -1]"), ("b", "[0.1, 0.2]"),
                      ("W2", "[[1, -2]]"), ("y", "0.3")):
        state = set_entry(state, name, raw, kinds[name])
    inputs = page_inputs(state, kinds)
    assert inputs.issue is None, inputs.issue
    assert dict(inputs.values)["W1"] == "[[1, 2], [0, -1]]"
    view = build_view(state.text, inputs.values, draw=False)
    assert view.issue is None, view.issue
    W1, x, b, W2 = np.array([[1, 2], [0, -1.0]]), np.array([0.5, -1]), np.array([0.1, 0.2]), np.array([[1, -2.0]])
    loss = 0.5 * float(np.sum((W2 @ np.tanh(W1 @ x + b) - 0.3) ** 2))
    assert float(view.value) == pytest.approx(loss, rel=1e-3)


def test_a_bad_matrix_entry_is_kept_and_reported_and_nothing_is_computed() -> None:
    from graphviz_nn.page.values import set_entry

    state = set_entry(ValueState(MATRIX_LOSS), "W1", "[[1, 2], [0]]", "array")
    inputs = page_inputs(state, {"W1": "array"})
    assert dict(inputs.values)["W1"] == "[[1, 2], [0]]"  # the field still shows what was typed
    assert inputs.issue is not None and inputs.issue.kind == "value"
    assert inputs.issue.message.splitlines()[-1] == "  " + " " * 11 + "^"


def test_a_batch_field_computes_every_point() -> None:
    from graphviz_nn.page.values import set_entry

    state = set_entry(ValueState("x = 1\ny = 2\nx^2 * y"), "x", "1\n2\n3", "batch")
    assert state.text == "x = [1, 2, 3]\ny = 2\nx^2 * y"  # the text holds x's value: it is rewritten
    inputs = page_inputs(state, {"x": "batch"})
    assert inputs.issue is None
    view = build_view(state.text, inputs.values, draw=False)
    assert view.issue is None, view.issue
    # f = x² y at x = 1, 2, 3: the points' values; the gradients of the sum over the points.
    assert view.value == "[2, 8, 18]"
    assert dict(view.gradients) == {"x": "[4, 8, 12]", "y": "14"}
