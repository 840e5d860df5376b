"""Quadratic and bilinear forms written as on the sheets (``x^T A x``, ``xᵀ y``, ``w^T x + b``):
a transposed vector is a row, so each is a number; values and gradients against PyTorch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import graphviz_nn as gnn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(4)
X, Y, W = RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=3)
A = RNG.normal(size=(3, 3))
B = 0.7

CASES = [
    ("x^T A x", lambda t: t["x"] @ t["A"] @ t["x"]),
    ("xᵀ y", lambda t: t["x"] @ t["y"]),
    ("w^T x + b", lambda t: t["w"] @ t["x"] + t["b"]),
    (r"x^\top A y", lambda t: t["x"] @ t["A"] @ t["y"]),
    ("1/2 x^T A x - w^T x", lambda t: 0.5 * (t["x"] @ t["A"] @ t["x"]) - t["w"] @ t["x"]),
    ("sigmoid(w^T x + b)", lambda t: torch.sigmoid(t["w"] @ t["x"] + t["b"])),
    ("x^T A^T A x", lambda t: t["x"] @ t["A"].T @ t["A"] @ t["x"]),
]
VALUES = {"x": X, "y": Y, "w": W, "A": A, "b": B}


@pytest.mark.parametrize("text, torch_fn", CASES, ids=[c[0] for c in CASES])
def test_forms_are_numbers_matching_pytorch(text, torch_fn) -> None:
    res = gnn.evaluate(text, VALUES)
    leaves = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in VALUES.items()}
    expected = torch_fn(leaves)
    expected.backward()
    assert np.shape(res.value) == ()
    assert float(res.value) == pytest.approx(expected.item(), rel=1e-12)
    for name in res.gradients:
        np.testing.assert_allclose(res.gradients[name], leaves[name].grad.numpy(), rtol=1e-10, atol=1e-14)


def test_cli_prints_five_for_the_identity_form() -> None:
    cmd = [sys.executable, "-m", "graphviz_nn", "eval", "x^T A x", "--at", "x=[1,2]",
           "--at", "A=[[1,0],[0,1]]", "--json"]
    data = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert data["output"]["value"] == 5.0  # 1² + 2²
    assert data["gradients"]["x"] == [2.0, 4.0]  # (A + Aᵀ) x
