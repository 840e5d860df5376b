"""Exported NumPy scripts reproduce the engine's values and gradients (and training); the
PyTorch script where torch is installed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import run_script

import graphviz_nn as gnn
from graphviz_nn.export.codegen import numpy_script, torch_script
from graphviz_nn.networks.network import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROGRAMS = sorted(EXAMPLES.glob("*.gnn"))
HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_numpy_script_reproduces_values_and_gradients(program: Path, tmp_path: Path) -> None:
    res = gnn.evaluate(program.read_text())
    data = run_script(tmp_path, numpy_script(res))
    np.testing.assert_allclose(data["value"], res.value, rtol=1e-12)
    assert set(data["gradients"]) == set(res.gradients)
    for name, grad in res.gradients.items():
        np.testing.assert_allclose(data["gradients"][name], grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("text, values", [
    ("max(x, y) * min(x, y) + leaky_relu(x - 3, 0.2) + softplus(y, 2) + gelu(x)", {"x": 1.5, "y": -0.5}),
    ("sum(softmax(W x) * y) + mean(abs(x)) + norm(x)^2", {"W": [[1, 2], [3, -1]], "x": [0.5, -2], "y": [1, 0]}),
    ("a = tanh(x)^T W; b = sqrt(a * a + 1); c = sum(b) / 2", {"x": [0.1, 0.2], "W": [[1, 2, 3], [4, 5, 6]]}),
])
def test_numpy_script_covers_every_kind_of_op(text, values, tmp_path: Path) -> None:
    res = gnn.evaluate(text, values)
    data = run_script(tmp_path, numpy_script(res))
    for name, grad in res.gradients.items():
        np.testing.assert_allclose(data["gradients"][name], grad, rtol=1e-9, atol=1e-12)


def test_numpy_training_script_matches_network_train(tmp_path: Path) -> None:
    net = load_spec(str(EXAMPLES / "mazur_2_2_2.toml"))
    trained = net.train(5, 0.5)
    data = run_script(tmp_path, numpy_script(net.evaluate(), steps=5, lr=0.5, parameters=net.parameters))
    np.testing.assert_allclose(data["losses"], trained.losses[:5], rtol=1e-12)
    for name in net.parameters:
        np.testing.assert_allclose(data["parameters"][name], trained.network.values[name], rtol=1e-12)


def test_torch_script_has_the_five_training_steps() -> None:
    net = load_spec(str(EXAMPLES / "nyu_regression.toml"))
    script = torch_script(net.evaluate(), steps=5, lr=0.1, parameters=net.parameters)
    order = [script.index(s) for s in ("# (a) forward", "# (b) the loss", "# (c) zero", "# (d) backward", "# (e) step")]
    assert order == sorted(order)
    compile(script, "torch_script.py", "exec")  # our own generated code: it must at least be valid Python


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (make test installs the CPU build; or pip install torch)")
def test_torch_script_reproduces_gradients(tmp_path: Path) -> None:
    net = load_spec(str(EXAMPLES / "mazur_2_2_2.toml"))
    res = net.evaluate()
    data = run_script(tmp_path, torch_script(res))
    for name, grad in res.gradients.items():
        np.testing.assert_allclose(data["gradients"][name], grad, rtol=1e-10)


def test_cli_code_writes_a_runnable_script(tmp_path: Path) -> None:
    out_path = tmp_path / "design.py"
    done = subprocess.run([sys.executable, "-m", "graphviz_nn", "code", "--file", str(EXAMPLES / "design.gnn"),
                           "-o", str(out_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = run_script(tmp_path, out_path.read_text())
    assert data["value"] == pytest.approx(10.345867603869062)
    assert data["gradients"]["x"] == pytest.approx(19.808105698822907)
