"""Small things a student reads: parameter values in formulas, trained values shown rounded but
computed exactly, the layer form keeping display names and title, and the chain field's own
example working."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.explain.captions import all_captions
from graphviz_nn.explain.chainrule import edge_formulas, latex_to_text
from graphviz_nn.page import netview
from graphviz_nn.page.netview import SpecForm

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- parameters in formulas


def _softplus(x: float, beta: float) -> float:
    return math.log1p(math.exp(beta * x)) / beta


def _fd(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("text, derivative_text, forward_text, oracle", [
    ("softplus(x, 2)", "σ(2 x)", "softplus(x, 2)", lambda x: _fd(lambda t: _softplus(t, 2.0), x)),
    ("softplus(x, 0.5)", "σ(0.5 x)", "softplus(x, 0.5)", lambda x: _fd(lambda t: _softplus(t, 0.5), x)),
    ("softplus(x)", "σ(x)", "softplus(x, 1)", lambda x: _fd(lambda t: _softplus(t, 1.0), x)),
    ("leaky_relu(x, 0.2)", "1[x > 0] + 0.2 1[x ≤ 0]", "LeakyReLU(x, 0.2)", lambda x: 1.0 if x > 0 else 0.2),
    ("leaky_relu(x)", "1[x > 0] + 0.01 1[x ≤ 0]", "LeakyReLU(x, 0.01)", lambda x: 1.0 if x > 0 else 0.01),
])
@pytest.mark.parametrize("x", [-1.5, 0.7])
def test_formulas_show_the_parameter_they_were_computed_with(text, derivative_text, forward_text, oracle,
                                                              x: float) -> None:
    res = gnn.evaluate(text, {"x": x})
    (formula,) = edge_formulas(res.graph).values()
    assert latex_to_text(formula) == derivative_text
    assert "\\beta" not in formula and "\\alpha" not in formula
    caps = all_captions(res)
    forward = [c for c in caps if c.phase == "forward"][-1]
    assert forward.plain.startswith(forward_text)
    backward = caps[-1]
    assert "\\beta" not in backward.latex and "\\alpha" not in backward.latex
    # the number the caption puts beside the formula is the derivative (finite differences)
    local = float(backward.plain.split(" = ")[-1].replace("−", "-"))
    assert local == pytest.approx(oracle(x), rel=1e-3)


# --------------------------------------------------------------------------- trained values


ALPHA_BETA = SpecForm(chain="Linear(2->2) -> ReLU -> Linear(2->1)", loss="half_sse", bias="folded",
                      values_text="x = [1, 2]\ny = 3\nW1 = [[2, 1, 0], [0, 2, 0]]\nW2 = [[0, 1, 2]]",
                      names=(("W1", "alpha"), ("W2", "beta")), title="α/β network")


LR = 0.1 / 3  # trained values get long decimals: 2 - 4/30 = 1.8666…


def _digits(text: str) -> int:
    """Most significant digits of any number written in ``text``."""
    import re

    return max(len(re.sub(r"^0+", "", m.replace(".", "").lstrip("-"))) for m in re.findall(r"-?\d+(?:\.\d+)?", text))


def test_trained_values_are_shown_rounded_and_computed_exactly() -> None:
    one = netview.take_steps(ALPHA_BETA, LR, 1)
    two = netview.take_steps(one.form, LR, 1)
    at_once = netview.take_steps(ALPHA_BETA, LR, 2)
    assert _digits(one.form.exact_text) > 12  # the exact numbers are long …
    assert _digits(one.form.values_text) <= netview.SHOWN_DIGITS  # … the editor shows them short
    assert _digits(two.form.values_text) <= netview.SHOWN_DIGITS
    # the rounding is only on screen: stepping twice is stepping two at once, to the last bit
    assert two.losses[-1] == at_once.losses[-1]
    assert netview.loss_of(two.form) == netview.loss_of(at_once.form)
    exact = netview.form_values(two.form)
    trained = netview.network(at_once.form).values
    assert all(np.array_equal(np.asarray(exact[k], dtype=float), np.asarray(trained[k], dtype=float))
               for k in ("W1", "W2"))


def test_a_value_edited_by_hand_is_computed_as_typed() -> None:
    one = netview.take_steps(ALPHA_BETA, LR, 1)
    exact = netview.form_values(one.form)
    lines = [line for line in one.form.values_text.splitlines() if not line.startswith("W2")]
    edited = SpecForm(**{**one.form.__dict__, "values_text": "\n".join(lines + ["W2 = [[0, 1, 2]]"])})
    values = netview.form_values(edited)
    assert np.array_equal(values["W2"], [[0, 1, 2]])  # as typed
    assert np.array_equal(values["W1"], exact["W1"])  # untouched: still the exact trained number
    assert not np.array_equal(np.asarray(exact["W1"]), netview._rounded(exact["W1"]))  # (which is not its rounding)


def test_a_downloaded_spec_keeps_the_exact_trained_values() -> None:
    one = netview.take_steps(ALPHA_BETA, LR, 1)
    again = netview.read_spec(netview.spec_toml(one.form), "trained.toml")
    assert netview.loss_of(again) == netview.loss_of(one.form)


# --------------------------------------------------------------------------- the layer form


def test_editing_the_chain_keeps_display_names_and_title() -> None:
    form = netview.edited_chain(ALPHA_BETA, "Linear(2->2) -> Tanh -> Linear(2->1)")
    assert dict(form.names) == {"W1": "alpha", "W2": "beta"}
    assert form.title == "α/β network (edited)"
    assert netview.edited_chain(form, form.chain).title == "α/β network (edited)"  # marked once
    filled = SpecForm(**{**ALPHA_BETA.__dict__, "values_text": "x = [1, 2]\ny = 3", "init": "1"})
    shorter = netview.edited_chain(filled, "Linear(2->1)")
    assert dict(shorter.names) == {"W1": "alpha"}  # W2 is gone: its name goes with it


def test_the_chain_tooltips_example_works_with_the_default_form() -> None:
    """The chain field's help says e.g. ``Linear(2->2) -> ReLU -> Linear(2->1) -> MSE``: typed into
    the default form (Loss half_sse), it gives the MSE network, not a clash of losses."""
    form = netview.edited_chain(ALPHA_BETA, "Linear(2->2) -> ReLU -> Linear(2->1) -> MSE")
    assert form.loss == "mse"
    net = netview.network(form)
    # W1 [1, x] = [2·1 + 1·1, 2·1] = [3, 2]; yhat = W2 [1, 3, 2] = 7; MSE = (7 - 3)^2 = 16 (half_sse: 8)
    assert float(net.evaluate().value) == pytest.approx(16.0)
    assert netview.network(SpecForm(**{**ALPHA_BETA.__dict__, "chain": form.chain})).loss == "mse"


st_testing = pytest.importorskip("streamlit.testing.v1")


def test_the_app_form_keeps_names_and_takes_the_tooltips_chain() -> None:
    at = st_testing.AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.radio(key="mode").set_value("Layer network").run()
    help_text = at.text_input(key="net_chain").help
    example = help_text.split("e.g. ", 1)[1].split(". ", 1)[0]
    at.text_input(key="net_chain").set_value(example).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="net_loss").value == "mse"
    assert at.session_state["net_names"] and at.session_state["net_title"].endswith("(edited)")
    shown = "\n".join(m.value for m in at.markdown)
    assert "α" in shown or "alpha" in shown


def test_the_app_values_editor_shows_rounded_trained_values() -> None:
    at = st_testing.AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.radio(key="mode").set_value("Layer network").run()
    at.number_input(key="net_lr").set_value(LR).run()
    assert at.number_input(key="net_lr").value == LR
    at.button(key="net_step").click().run()
    assert not at.exception and not at.error
    assert _digits(at.text_area(key="net_values").value) <= netview.SHOWN_DIGITS
    at.button(key="net_step").click().run()
    at_once = netview.take_steps(ALPHA_BETA, LR, 2)
    assert at.session_state["net_losses"][-1] == at_once.losses[-1]


@pytest.mark.parametrize("text, shown", [
    ("sin(x)", "sin(x) = sin(−1.5) = −0.9975"),
    ("softplus(x, 2)", "softplus(x, 2) = softplus(−1.5, 2) = 0.02429"),
    ("x*y", "x·y = (−1.5)·(−2) = 3"),  # an operator still brackets a negative operand
])
def test_a_call_brackets_a_negative_argument_once(text: str, shown: str) -> None:
    res = gnn.evaluate(text, {"x": -1.5, "y": -2})
    assert [c.plain for c in all_captions(res) if c.phase == "forward"][-1] == shown
    assert _softplus(-1.5, 2) == pytest.approx(0.02429, abs=1e-5)
