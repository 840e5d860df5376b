"""Sheet notation: layer indices (``w^{(1)}``) and accents (``\\hat{y}``) are names, a power of 1
that looks like a layer index warns with a caret, and ``\\partial`` says what to write instead.
Numbers against seed 000's published chain (z = 2, 9, 4, 5; L = 9; dL/dw^1 = dL/dw_0^1 = 24)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import graphviz_nn as gnn
from graphviz_nn.errors import ParseError
from graphviz_nn.export.files import render_svg

# Seed 000 written the way a sheet writes it: superscript layer indices, w_0 for the intercept.
CHAIN_SHEET = r"""
z^{(1)} = w^{(1)} x + w_0^{(1)}
a^{(1)} = relu(z^{(1)})
z^{(2)} = w^{(2)} a^{(1)} + w_0^{(2)}
a^{(2)} = relu(z^{(2)})
z^{(3)} = w^{[3]} a^{(2)} + w_0^{[3]}
a^{(3)} = relu(z^{(3)})
z^{(4)} = w^{(4)} a^{(3)} + w_0^{(4)}
\hat{y} = z^{(4)}
L = (\hat{y} - y)^2
"""
WEIGHTS = {"w^{(1)}": 3, "w_0^{(1)}": -1, "w^(2)": 4, "w_0^(2)": 1, "w⁽³⁾": 1, "w_0^{[3]}": -5,
           "w^{(4)}": 1, "w_0^{(4)}": 1, "x": 1, "y": 2}


def named_values(res: gnn.Evaluation) -> dict[str, float]:
    return {d["name"]: float(d["value"]) for _, d in res.graph.nodes(data=True) if d["name"]}


def test_seed_000_with_layer_indices_gives_the_published_numbers() -> None:
    res = gnn.evaluate(CHAIN_SHEET, WEIGHTS)
    values = named_values(res)
    assert [values[f"z^({k})"] for k in (1, 2, 3, 4)] == [2.0, 9.0, 4.0, 5.0]
    assert values["yhat"] == 5.0 and res.value == 9.0
    assert res.gradients["w^(1)"] == 24.0 and res.gradients["w_0^(1)"] == 24.0
    assert not res.warnings
    labels = {d["name"]: d["label"] for _, d in res.graph.nodes(data=True) if d["name"]}
    assert labels["w^(1)"] == "w⁽¹⁾" and labels["w_0^(1)"] == "w₀⁽¹⁾" and labels["yhat"] == "ŷ"
    svg = render_svg(res)
    assert "w⁽¹⁾" in svg and "ŷ" in svg


@pytest.mark.parametrize("text, name, label", [
    ("w^{(1)}", "w^(1)", "w⁽¹⁾"),
    ("w^{[1]}", "w^(1)", "w⁽¹⁾"),
    ("W^{(2)}", "W^(2)", "W⁽²⁾"),
    (r"\alpha^{(l)}", "alpha^(l)", "α⁽ˡ⁾"),
    (r"\hat{y}", "yhat", "ŷ"),
    (r"\bar{x}", "xbar", "x̄"),
    (r"\tilde{x}", "xtilde", "x̃"),
    (r"\hat{\theta}", "thetahat", "θ̂"),
])
def test_sheet_names_are_one_input(text: str, name: str, label: str) -> None:
    res = gnn.evaluate(f"2 {text}", {name: 1.5})
    assert list(res.inputs) == [name]
    assert res.graph.nodes[res.inputs[name]]["label"] == label
    assert res.gradients == {name: 2.0}


def test_a_layer_index_is_a_name_and_the_reading_reads_back() -> None:
    res = gnn.evaluate("W^{(2)}^T x", {"W^(2)": [[1, 2], [3, 4]], "x": [1, 1]})
    assert res.value.tolist() == [4.0, 6.0]  # Wᵀx, not a power
    assert res.reading == "W^{(2)}ᵀ @ x"
    again = gnn.evaluate(res.canonical.replace("transpose(W^{(2)})", "W^{(2)}^T"), res.values)
    assert again.value.tolist() == [4.0, 6.0]


def test_a_power_of_one_warns_with_a_caret_naming_the_index_spelling() -> None:
    res = gnn.evaluate("w^1 x + w_0^1", {"w": 2, "x": 3, "w_0": 1})
    assert res.value == 7.0  # still powers: 2·3 + 1
    assert len(res.warnings) == 2
    first, second = res.warnings
    assert first.splitlines() == ["'w^1' is read as the power w¹ = w; if 1 is a layer index, write w^{(1)} "
                                  "(a name of its own) at column 1", "  w^1 x + w_0^1", "  ^^^"]
    assert "write w_0^{(1)}" in second and second.endswith("          ^^^^^")
    assert gnn.prepare("w^1 x + w_0^1", {"w": 2, "x": 3, "w_0": 1}).evaluate().warnings == res.warnings
    assert not gnn.evaluate("x^2 + y^3", {"x": 1, "y": 2}).warnings  # real powers do not warn


def test_cli_prints_the_warning_with_its_caret() -> None:
    cmd = [sys.executable, "-m", "graphviz_nn", "eval", "w^1 x", "--at", "w=2", "--at", "x=3", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["output"]["value"] == 6.0
    assert "write w^{(1)}" in out.stderr and "  ^^^" in out.stderr


@pytest.mark.parametrize("text, column", [(r"\partial f/\partial x", 1), ("∂f/∂x", 1), (r"x + \partial y", 5)])
def test_partial_says_what_to_write_instead(text: str, column: int) -> None:
    with pytest.raises(ParseError) as info:
        gnn.evaluate(text, {"x": 1, "y": 2, "f": 1})
    message = info.value.render()
    assert "write the function itself" in message and "explain --wrt" in message
    assert f"column {column}" in message


def test_partial_in_the_cli_exits_2_without_a_traceback() -> None:
    out = subprocess.run([sys.executable, "-m", "graphviz_nn", "eval", r"\partial f"], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "write the function itself" in out.stderr


def test_an_accent_needs_one_letter() -> None:
    with pytest.raises(ParseError, match=r"\\hat takes one letter in braces"):
        gnn.evaluate(r"\hat{xy}", {"x": 1, "y": 2})
