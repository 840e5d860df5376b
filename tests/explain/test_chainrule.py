"""Chain-rule factor tables: 000's w1 and w01 (shared factors), fan-out sums, a tensor example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.explain.chainrule import explain, factor_table, latex_name, latex_to_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHAIN = (EXAMPLES / "mit_4layer_chain.gnn").read_text()

# 000_b017e3132ea4fea2.txt (b): the factors of dL/dw1 in the sheet's order, and their values at x = 1
SHEET_FACTORS = [
    ("∂L/∂g = 2 (g − y)", 6.0),
    ("∂g/∂z4 = 1", 1.0),
    ("∂z4/∂a3 = w4", 1.0),
    ("∂a3/∂z3 = 1[z3 > 0]", 1.0),
    ("∂z3/∂a2 = w3", 1.0),
    ("∂a2/∂z2 = 1[z2 > 0]", 1.0),
    ("∂z2/∂a1 = w2", 4.0),
    ("∂a1/∂z1 = 1[z1 > 0]", 1.0),
    ("∂z1/∂w1 = x", 1.0),
]


def test_w1_factors_follow_the_sheet() -> None:
    rule = explain(gnn.evaluate(CHAIN), ["w1"])[0]
    assert len(rule.paths) == 1
    factors = rule.paths[0].factors
    assert [(f.text, f.value) for f in factors] == SHEET_FACTORS
    assert rule.paths[0].value == 24.0 == rule.total


def test_w01_shares_every_factor_but_the_last() -> None:
    w1, w01 = explain(gnn.evaluate(CHAIN), ["w1", "w01"])
    assert [f.shared for f in w1.paths[0].factors] == [True] * 8 + [False]
    assert [f.shared for f in w01.paths[0].factors] == [True] * 8 + [False]
    assert w01.paths[0].factors[-1].text == "∂z1/∂w01 = 1"
    assert w01.total == 24.0
    table = factor_table([w1, w01])
    assert table.count("[shared]") == 16
    assert "∂L/∂w1 = 24" in table and "∂L/∂w01 = 24" in table


def test_paths_sum_to_the_gradient_at_fan_out() -> None:
    res = gnn.evaluate("x*x + sin(x)", {"x": 2.0})
    rule = explain(res, ["x"])[0]
    assert len(rule.paths) == 3  # x feeds × twice and sin once
    assert sum(p.value for p in rule.paths) == pytest.approx(rule.total)
    assert rule.total == pytest.approx(2 * 2.0 + np.cos(2.0))
    assert sorted(p.factors[0].text for p in rule.paths) == ["∂f/∂x = cos(x)", "∂f/∂x = x", "∂f/∂x = x"]


def test_tensor_example_uses_shape_correct_forms() -> None:
    res = gnn.evaluate((EXAMPLES / "cmu_alpha_beta.gnn").read_text())
    beta, alpha = explain(res, ["beta", "alpha"])
    assert [f.text for f in alpha.paths[0].factors][-1] == "∂a/∂α = δ xᵀ"
    assert [f.text for f in beta.paths[0].factors][-1].startswith("∂ŷ/∂β = δ")
    first = beta.paths[0].factors[0]
    assert first.shared and np.allclose(first.value, [4.0])  # dl/dyhat = yhat - y = 4
    assert np.allclose(alpha.paths[0].factors[2].value, [1.0, 1.0])  # relu' at a = [3, 2]
    np.testing.assert_allclose(alpha.total, [[4, 4, 8], [8, 8, 16]])


@pytest.mark.parametrize("name, latex", [("w1", "w_{1}"), ("alpha", "\\alpha"), ("w_0", "w_{0}"),
                                         ("yhat", "\\hat{y}"), ("loss", "\\mathrm{loss}"), ("x", "x")])
def test_latex_names(name, latex) -> None:
    assert latex_name(name) == latex


@pytest.mark.parametrize("latex, text", [
    ("\\mathbb{1}\\left[z_{1} > 0\\right]", "1[z1 > 0]"),
    ("\\frac{1}{x}", "1/x"),
    ("\\frac{1}{2\\sqrt{y}}", "1/(2√(y))"),  # the review found \\frac(1)(2√(y)) on an edge
    ("-\\frac{1}{y^2}", "-1/(y^2)"),
    ("\\frac{a + b}{c}", "(a + b)/c"),
    ("\\mathbf{1}", "1"),  # a vector of ones (the review found \\mathbf(1))
    ("\\sigma\\left(z\\right)\\left(1 - \\sigma\\left(z\\right)\\right)", "σ(z)(1 − σ(z))"),
])
def test_latex_to_text(latex, text) -> None:
    assert latex_to_text(latex) == text


def test_latex_form_lists_the_factors() -> None:
    rule = explain(gnn.evaluate(CHAIN), ["w1"])[0]
    assert rule.latex.startswith("\\frac{\\partial L}{\\partial w_{1}} = \\frac{\\partial L}{\\partial g} \\cdot")
    assert rule.latex.endswith("\\frac{\\partial z_{1}}{\\partial w_{1}}")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphviz_nn", *args], capture_output=True, text=True, timeout=120)


def test_cli_explain_prints_the_factor_table() -> None:
    out = run_cli("explain", "--file", str(EXAMPLES / "mit_4layer_chain.gnn"), "--wrt", "w1", "--wrt", "w01")
    assert out.returncode == 0, out.stderr
    assert "∂z2/∂a1 = w2" in out.stdout and "[shared]" in out.stdout


def test_cli_explain_unknown_target_exits_2() -> None:
    out = run_cli("explain", "x + y", "--at", "x=1", "--at", "y=2", "--wrt", "q")
    assert out.returncode == 2
    assert "unknown input 'q'; inputs: x, y" in out.stderr and "Traceback" not in out.stderr
