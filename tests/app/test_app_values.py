"""The numbers on the page after every action (AppTest, no browser): load each example, toggle
every sidebar control, step, pick a chain-rule target, edit the text or a field, open a link.

What the page shows is read back from the page (the summary line, the value fields, "Read as",
the text box) and compared with the example evaluated on its own by the reference engine
(``core.reference.reference_evaluate``, the per-node passes, of the example's text or of the
layer spec's program with the spec's values), with the sheets' published numbers for the design example, the MIT chain and the NYU
program, and with numbers worked out by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.core.reference import reference_evaluate
from graphviz_nn.explain.captions import format_number
from graphviz_nn.page import netview
from graphviz_nn.page.examples import Example, list_examples
from test_app import RUN_SECONDS

st_testing = pytest.importorskip("streamlit.testing.v1")
AppTest = st_testing.AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
EXAMPLES = list_examples()
#: Every sidebar control, changed one after another (each stays changed for the next), then the
#: the step the player reports and a chain-rule target: (kind, key, new value).
CONTROLS = [("toggle", "show_values", False), ("toggle", "show_grads", False),
            ("radio", "edge_mode", "formula"), ("radio", "edge_mode", "value"), ("radio", "edge_mode", "both"),
            ("toggle", "color_by_sign", True), ("selectbox", "theme", "micrograd"),
            ("selectbox", "theme", "print"), ("toggle", "dark", True), ("radio", "rankdir", "TB"),
            ("slider", "digits", 6), ("slider", "zoom", 50), ("toggle", "show_values", True),
            ("toggle", "constant_grads", True), ("toggle", "merge", False),
            ("player", "player", 1), ("player", "player", None), ("targets", "targets", None)]
#: Published numbers (output, and one gradient) of three sheets, as the summary line writes them.
PUBLISHED = {"design": ("f", "10.35", None), "mit_4layer_chain": ("L", "9", ("∂L/∂w1", "24")),
             "nyu_program": ("w", "50", ("∂w/∂x", "90"))}


def unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("**", "")


def summary(at: Any) -> dict[str, str]:
    """The summary line as {left: right}: the output's value and every gradient."""
    lines = [unescape(m.value) for m in at.markdown if "∂" in m.value and " = " in m.value
             and "gnn-graph" not in m.value and "Read as" not in m.value.split("\n")[-1]]
    assert lines, [m.value for m in at.markdown]
    line = lines[0].split("\n")[-1]
    parts = [re.match(r"^(∂\S+/∂\S+|[^\s=]+) = (.+)$", part) for part in line.split(" · ")]
    return {m.group(1): m.group(2) for m in parts if m}


def number(text: str) -> Any:
    return json.loads(text.replace("−", "-"))


def field_values(at: Any) -> dict[str, Any]:
    """The value fields as numbers or nested lists, by input name."""
    out = {n.key[4:]: n.value for n in at.number_input if n.key and n.key.startswith("num:")}
    out.update({t.key[4:]: number(t.value) for t in at.text_input if t.key and t.key.startswith("val:")})
    return out


def reading(at: Any) -> str:
    found = [m.value for m in at.markdown if m.value.startswith("**Read as**")]
    assert len(found) == 1
    return found[0].split("`")[1]


def read_as_values(text: str) -> dict[str, Any]:
    """The ``name = literal`` statements of a reading, as numbers or nested lists."""
    out = {}
    for statement in text.split("; "):
        m = re.match(r"^(\w+) = (-?[\d.e+-]+|\[[\d.e+\-, \[\]]*\])$", statement)
        if m:
            out[m.group(1)] = number(m.group(2))
    return out


def expected(example: Example, digits: int) -> tuple[str, list[str]]:
    """The example's output value and gradients, by the reference engine, as the page formats them."""
    if example.kind == "spec":
        net = netview.network(netview.read_spec(example.text, f"{example.slug}.toml"))
        res = reference_evaluate(net.program, dict(net.values))
    else:
        res = reference_evaluate(example.text)
    return format_number(res.value, digits), [format_number(g, digits) for g in res.gradients.values()]


def same(a: Any, b: Any) -> bool:
    return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-12, atol=0))


def check_page(at: Any, example: Example, digits: int, what: str) -> None:
    """Every number the page shows is the example's own."""
    assert not at.exception, (example.slug, what, at.exception)
    assert not at.error, (example.slug, what, [e.value for e in at.error])
    shown = summary(at)
    value, grads = expected(example, digits)
    assert list(shown.values()) == [value, *grads], (example.slug, what, shown)
    if example.slug in PUBLISHED and example.kind == "program" and digits == 4:
        name, published, grad = PUBLISHED[example.slug]
        assert shown[name] == published, (example.slug, what)
        if grad:
            assert shown[grad[0]] == grad[1], (example.slug, what)
    if example.kind == "program":
        fields = field_values(at)
        given = gnn.inputs(example.text)
        assert set(fields) == set(given), (example.slug, what)
        for name, v in given.items():
            assert same(fields[name], v), (example.slug, what, name, fields[name], v)
        read = read_as_values(reading(at))
        assert read and all(same(read[k], fields[k]) for k in read if k in fields), (example.slug, what, read)
        assert at.text_area(key="text").value == example.text
    else:
        assert at.text_area(key="net_values").value == netview.read_spec(example.text).values_text


def act(at: Any, kind: str, key: str, value: Any) -> None:
    if kind == "toggle":
        at.toggle(key=key).set_value(value).run()
    elif kind == "radio":
        at.radio(key=key).set_value(value).run()
    elif kind == "selectbox":
        at.selectbox(key=key).set_value(value).run()
    elif kind == "slider":
        slider = at.slider(key=key)
        slider.set_value(slider.max if value is None else value).run()
    elif kind == "player":  # what the step player sends once stepping rests (None: the last step)
        at.session_state[key] = 10**6 if value is None else value
        at.run()
    elif kind == "targets":
        box = at.multiselect(key=key)
        box.set_value([box.options[0]]).run()


@pytest.mark.skipif(not EXAMPLES, reason="no examples yet")
@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.slug}-{e.kind}" for e in EXAMPLES])
def test_every_sidebar_control_keeps_the_examples_numbers(example: Example) -> None:
    at = AppTest.from_file(APP, default_timeout=RUN_SECONDS).run()
    at.selectbox(key="example").set_value(example.title).run()
    digits = 4
    check_page(at, example, digits, "loaded")
    for kind, key, value in CONTROLS:
        if kind == "slider" and key == "digits":
            digits = value
        act(at, kind, key, value)
        check_page(at, example, digits, f"{key} -> {value}")
    if example.kind == "program":  # reload the page from the link it wrote
        link = {k: v for k, v in at.query_params.items()}
        again = AppTest.from_file(APP, default_timeout=RUN_SECONDS)
        for k, v in link.items():
            again.query_params[k] = v[0] if isinstance(v, list) else v
        check_page(again.run(), example, 4, "reloaded from the link")


def start(**query: str) -> Any:
    at = AppTest.from_file(APP, default_timeout=RUN_SECONDS)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_a_typed_program_sets_the_fields() -> None:
    at = start()  # x^2 + 3xy with x = 2, y = 1
    at.text_area(key="text").set_value("x = 1; y = 3; x + 10y").run()
    assert summary(at)["f"] == "31"  # 1 + 30; the old fields would give 2 + 10 = 12
    assert field_values(at) == {"x": 1, "y": 3}
    assert reading(at) == "x = 1; y = 3; x + 10·y"


def test_a_field_edit_rewrites_the_texts_value() -> None:
    at = start()
    at.text_area(key="text").set_value("x = 1\ny = 3\nx + 10y").run()
    at.number_input(key="num:x").set_value(5).run()
    assert at.text_area(key="text").value == "x = 5\ny = 3\nx + 10y"
    assert reading(at) == "x = 5; y = 3; x + 10·y" and summary(at)["f"] == "35"
    at.toggle(key="show_grads").set_value(False).run()  # and a rerun keeps it
    assert field_values(at) == {"x": 5, "y": 3} and summary(at)["f"] == "35"
    assert at.query_params["expr"] in ("x = 5\ny = 3\nx + 10y", ["x = 5\ny = 3\nx + 10y"])


def test_open_inputs_keep_their_entries_when_the_text_changes() -> None:
    at = start()
    at.number_input(key="num:y").set_value(4).run()  # x^2 + 3xy at x = 2, y = 4: 28
    assert summary(at)["f"] == "28"
    at.text_area(key="text").set_value("x*y").run()
    assert field_values(at) == {"x": 2, "y": 4} and summary(at)["f"] == "8"


def test_a_link_sets_values_in_the_text() -> None:
    at = start(expr="x = 1; y = 2; x*y + z", v_x="5", v_z="4")
    assert at.text_area(key="text").value == "x = 5; y = 2; x*y + z"
    assert field_values(at) == {"x": 5, "y": 2, "z": 4}
    assert reading(at).startswith("x = 5; y = 2;") and summary(at)["f"] == "14"  # 5·2 + 4


def test_training_shows_the_new_values_and_their_loss() -> None:
    at = start()
    at.selectbox(key="example").set_value(next(e.title for e in EXAMPLES if e.slug == "mit_4layer_chain"
                                               and e.kind == "spec")).run()
    assert summary(at)["L"] == "9"
    at.number_input(key="net_lr").set_value(0.1).run()
    at.button(key="net_step").click().run()
    # One step with eta = 0.1 (the sheet): w1 = 3 - 0.1*24 = 0.6; the page's loss is the loss of
    # the values now in the editor, by the reference engine.
    values = at.text_area(key="net_values").value
    assert re.search(r"^W1 = 0\.6$", values, re.M), values
    net = netview.network(netview.SpecForm(**{**netview.read_spec(next(
        e.text for e in EXAMPLES if e.slug == "mit_4layer_chain" and e.kind == "spec")).__dict__,
        "values_text": values}))
    assert summary(at)["L"] == format_number(reference_evaluate(net.program, dict(net.values)).value, 4)


# --------------------------------------------------------------------------- field kinds

MATRIX_LOSS = "1/2 ||W2 tanh(W1 x + b) - y||^2"


def loss_oracle(W1: Any, x: Any, b: Any, W2: Any, y: float) -> float:
    """The matrix loss computed with numpy, independently of the engine."""
    W1, x, b, W2 = (np.asarray(v, dtype=float) for v in (W1, x, b, W2))
    return 0.5 * float(np.sum((W2 @ np.tanh(W1 @ x + b) - y) ** 2))


def test_a_matrix_typed_into_a_matrix_field_is_what_is_computed() -> None:
    # Every input of the expression starts as a number field; W1 typed as a matrix after its
    # kind is set to vector/matrix is taken as that matrix (it never becomes 1).
    at = start()
    at.text_area(key="text").set_value(MATRIX_LOSS).run()
    assert {n.key for n in at.number_input if n.key} >= {"num:W1", "num:x", "num:b", "num:W2", "num:y"}
    typed = {"W1": "[[1, 2], [0, -1]]", "x": "[0.5, -1]", "b": "[0.1, 0.2]", "W2": "[[1, -2]]"}
    for name, raw in typed.items():
        at.selectbox(key=f"kind:{name}").set_value("array").run()
        at.text_input(key=f"val:{name}").set_value(raw).run()
    at.number_input(key="num:y").set_value(0.3).run()
    assert not at.error, [e.value for e in at.error]
    assert field_values(at)["W1"] == [[1, 2], [0, -1]]
    assert at.text_input(key="val:W1").label.endswith("2×2 matrix")
    assert at.text_input(key="val:x").label.endswith("vector of 2")
    shown = summary(at)
    f = next(iter(shown))
    want = loss_oracle([[1, 2], [0, -1]], [0.5, -1], [0.1, 0.2], [[1, -2]], 0.3)
    assert float(shown[f].replace("−", "-")) == pytest.approx(want, rel=1e-3)
    # ∂f/∂W1 is a 2×2 matrix on the page
    grad = number(shown[f"∂{f}/∂W1"])
    assert np.shape(grad) == (2, 2)


def test_a_bad_matrix_entry_shows_an_error_with_a_caret_and_keeps_the_entry() -> None:
    at = start()
    at.text_area(key="text").set_value(MATRIX_LOSS).run()
    at.selectbox(key="kind:W1").set_value("array").run()
    at.text_input(key="val:W1").set_value("[[1, 2], [0]]").run()
    assert at.text_input(key="val:W1").value == "[[1, 2], [0]]"
    errors = [e.value for e in at.error]
    assert errors and "rows do not all have the same length" in errors[0]
    assert "  [[1, 2], [0]]\n" + " " * 13 + "^" in errors[0]
    assert not [m for m in at.markdown if m.value.startswith("**Read as**")]  # nothing computed


def test_a_matrix_from_a_link_gets_a_matrix_field_not_a_number() -> None:
    # The link gives W1 a matrix: its field is a vector/matrix field holding it, never 1.
    at = start(expr=MATRIX_LOSS, v_W1="[[1, 2], [0, -1]]", v_x="[0.5, -1]", v_b="[0.1, 0.2]",
               v_W2="[[1, -2]]", v_y="0.3")
    assert not at.error, [e.value for e in at.error]
    assert "num:W1" not in {n.key for n in at.number_input}
    assert at.selectbox(key="kind:W1").value == "array"
    assert field_values(at)["W1"] == [[1, 2], [0, -1]]
    shown = summary(at)
    f = next(iter(shown))
    want = loss_oracle([[1, 2], [0, -1]], [0.5, -1], [0.1, 0.2], [[1, -2]], 0.3)
    assert float(shown[f].replace("−", "-")) == pytest.approx(want, rel=1e-3)


def test_choosing_number_for_a_matrix_says_why_the_field_stays_a_matrix() -> None:
    at = start(expr=MATRIX_LOSS, v_W1="[[1, 2], [0, -1]]", v_x="[0.5, -1]", v_b="[0.1, 0.2]",
               v_W2="[[1, -2]]", v_y="0.3")
    assert not [c for c in at.caption if "cannot hold" in c.value]
    at.selectbox(key="kind:W1").set_value("number").run()
    assert at.selectbox(key="kind:W1").value == "array"  # the field keeps the matrix
    assert field_values(at)["W1"] == [[1, 2], [0, -1]]
    notes = [c.value for c in at.caption if "cannot hold" in c.value]
    assert notes == ["A number field cannot hold the 2×2 matrix this input has: type a number into "
                     "the field to make it a number."]


def test_a_batch_field_takes_a_column_of_points() -> None:
    at = start()
    at.text_area(key="text").set_value("x^2 * y").run()
    at.selectbox(key="kind:x").set_value("batch").run()
    at.text_area(key="bat:x").set_value("1\n2\n3").run()
    at.number_input(key="num:y").set_value(2).run()
    assert not at.error, [e.value for e in at.error]
    assert at.text_area(key="bat:x").label.endswith("batch of 3 points")
    shown = summary(at)
    f = next(iter(shown))
    assert number(shown[f]) == [2, 8, 18]  # x² y at every point
    assert number(shown[f"∂{f}/∂y"]) == 14  # Σ x²


def test_a_new_example_forgets_the_kinds_chosen_for_the_last_one() -> None:
    # x was made a batch for x^2 * y; the design example's x = 1 gets a number field again.
    at = start()
    at.text_area(key="text").set_value("x^2 * y").run()
    at.selectbox(key="kind:x").set_value("batch").run()
    assert "bat:x" in {t.key for t in at.text_area}
    design = next(ex for ex in EXAMPLES if ex.slug == "design" and ex.kind == "program")
    at.selectbox(key="example").set_value(design.title).run()
    assert at.number_input(key="num:x").value == 1
    assert at.selectbox(key="kind:x").value == "number"
    assert summary(at)["f"] == "10.35"


def test_a_field_edit_sent_with_the_next_example_does_not_leak_into_it() -> None:
    # The browser sends every widget's value with the rerun that loads an example: an entry
    # still in the old problem's x field must not become the new problem's x.
    at = start()
    matrix = next(ex for ex in EXAMPLES if ex.slug == "cs189_matrix_loss")
    design = next(ex for ex in EXAMPLES if ex.slug == "design" and ex.kind == "program")
    at.selectbox(key="example").set_value(matrix.title).run()
    assert at.text_input(key="val:x").value == "[1, -1]"
    at.text_input(key="val:x").set_value("[2, -1]")
    at.selectbox(key="example").set_value(design.title).run()
    assert not at.error, [e.value for e in at.error]
    assert at.number_input(key="num:x").value == 1
    assert summary(at)["f"] == "10.35"
