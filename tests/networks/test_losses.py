"""Losses of layer chains against PyTorch's (default reductions) and targets of one value per row.

PyTorch is the oracle: ``nn.MSELoss``, ``nn.BCELoss`` and ``nn.CrossEntropyLoss`` with their
default ``reduction="mean"``; ``sse`` is ``MSELoss(reduction="sum")`` and ``half_sse`` half of it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from graphviz_nn.errors import ShapeError
from graphviz_nn.networks.network import from_chain

torch = pytest.importorskip("torch")


def torch_loss(loss: str, yhat, y):
    """PyTorch's value of a loss for predictions ``yhat`` (a tensor) and targets ``y``."""
    nn = torch.nn
    if loss == "mse":
        return nn.MSELoss()(yhat, y)
    if loss == "sse":
        return nn.MSELoss(reduction="sum")(yhat, y)
    if loss == "half_sse":
        return 0.5 * nn.MSELoss(reduction="sum")(yhat, y)
    if loss == "bce":
        return nn.BCELoss()(yhat, y)
    assert loss == "cross_entropy"
    return nn.CrossEntropyLoss()(yhat, y)  # y holds class probabilities (one-hot rows)


def torch_network(params: dict, x, activation: str | None):
    """``x W1ᵀ + b1`` (then the activation) in PyTorch, with leaf tensors for the parameters."""
    leaves = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in params.items()}
    out = torch.tensor(np.asarray(x, dtype=float)) @ leaves["W1"].T + leaves["b1"]
    if activation == "sigmoid":
        out = torch.sigmoid(out)
    return out, leaves


ONE_OUTPUT = {"x": [[1.0], [2.0]], "y": [0.0, 1.0], "W1": [[1.0]], "b1": [0.0]}


def test_issue_numbers_a_one_dimensional_target_is_one_value_per_row() -> None:
    net = from_chain("Linear(1->1)", ONE_OUTPUT, loss="mse")
    res = net.evaluate()
    # by hand: yhat = [1, 2], errors [1, 1]: mean 1; dW1 = mean(2 (yhat - y) x) = (2·1·1 + 2·1·2)/2 = 3
    assert float(res.value) == 1.0
    assert res.gradients["W1"].tolist() == [[3.0]]
    assert np.shape(net.values["y"]) == (2, 1)


@pytest.mark.parametrize("loss, activation", [("mse", None), ("sse", None), ("half_sse", None),
                                              ("bce", "sigmoid")])
def test_one_output_with_a_flat_target_matches_pytorch(loss: str, activation: str | None) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 2))
    y = rng.uniform(0.1, 0.9, size=5)
    params = {"W1": rng.normal(size=(1, 2)), "b1": rng.normal(size=1)}
    chain = "Linear(2->1)" + (" -> Sigmoid" if activation else "")
    res = from_chain(chain, {"x": x, "y": y, **params}, loss=loss).evaluate()
    out, leaves = torch_network(params, x, activation)
    expected = torch_loss(loss, out, torch.tensor(y).reshape(-1, 1))
    expected.backward()
    assert float(res.value) == pytest.approx(expected.item(), rel=1e-12)
    for name, leaf in leaves.items():
        np.testing.assert_allclose(res.gradients[name], leaf.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("y, shape_text", [([0.0, 1.0, 2.0], "3"), ([[0.0, 1.0], [1.0, 0.0]], "2×2"),
                                           (1.0, "scalar")])
def test_other_target_shapes_are_refused_naming_both_shapes(y, shape_text: str) -> None:
    with pytest.raises(ShapeError) as info:
        from_chain("Linear(1->1)", {**ONE_OUTPUT, "y": y}, loss="mse")
    message = info.value.message
    assert "2×1" in message and shape_text in message, message


def test_cli_reads_a_flat_target_per_row() -> None:
    cmd = [sys.executable, "-m", "graphviz_nn", "eval", "--chain", "Linear(1->1)", "--loss", "mse",
           "--at", "x=[[1],[2]]", "--at", "y=[0,1]", "--at", "W1=[[1]]", "--at", "b1=[0]", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["output"]["value"] == 1.0
    assert data["gradients"]["W1"] == [[3.0]]


def test_training_on_a_flat_target_follows_pytorch_sgd() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 1))
    y = 2 * x[:, 0] + 1
    params = {"W1": np.array([[0.5]]), "b1": np.array([0.0])}
    result = from_chain("Linear(1->1)", {"x": x, "y": y, **params}, loss="mse").train(20, 0.1)
    out, leaves = torch_network(params, x, None)
    optimiser = torch.optim.SGD(leaves.values(), lr=0.1)
    losses = []
    for _ in range(20):
        optimiser.zero_grad()
        out = torch.tensor(x) @ leaves["W1"].T + leaves["b1"]
        loss = torch.nn.MSELoss()(out, torch.tensor(y).reshape(-1, 1))
        losses.append(loss.item())
        loss.backward()
        optimiser.step()
    np.testing.assert_allclose(result.losses[:20], losses, rtol=1e-10)
    assert result.losses[-1] < result.losses[0] / 10  # converges instead of diverging
    np.testing.assert_allclose(result.network.values["W1"], leaves["W1"].detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("rows", [None, 1, 4])
def test_cross_entropy_averages_over_the_batch_like_pytorch(rows: int | None) -> None:
    rng = np.random.default_rng(11)
    n = rows or 1
    x = rng.normal(size=(n, 2))
    y = np.eye(3)[rng.integers(0, 3, size=n)]
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3)}
    values = {"x": x if rows else x[0], "y": y if rows else y[0], **params}
    res = from_chain("Linear(2->3)", values, loss="cross_entropy").evaluate()
    out, leaves = torch_network(params, x, None)
    expected = torch_loss("cross_entropy", out, torch.tensor(y))
    expected.backward()
    assert float(res.value) == pytest.approx(expected.item(), rel=1e-12)
    for name, leaf in leaves.items():
        np.testing.assert_allclose(res.gradients[name], leaf.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("loss, activation", [("mse", None), ("sse", None), ("half_sse", None),
                                              ("bce", "sigmoid")])
def test_every_loss_on_a_batch_of_several_outputs_matches_pytorch(loss: str, activation: str | None) -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3))
    y = rng.uniform(0.1, 0.9, size=(4, 2))
    params = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=2)}
    chain = "Linear(3->2)" + (" -> Sigmoid" if activation else "")
    res = from_chain(chain, {"x": x, "y": y, **params}, loss=loss).evaluate()
    out, leaves = torch_network(params, x, activation)
    expected = torch_loss(loss, out, torch.tensor(y))
    expected.backward()
    assert float(res.value) == pytest.approx(expected.item(), rel=1e-12)
    for name, leaf in leaves.items():
        np.testing.assert_allclose(res.gradients[name], leaf.grad.numpy(), rtol=1e-10)


def test_app_training_keeps_a_flat_target_as_written() -> None:
    from graphviz_nn.page.netview import SpecForm, take_steps

    form = SpecForm("Linear(1->1)", loss="mse", values_text="x = [[1], [2]]\ny = [0, 1]\nW1 = 1\nb1 = 0")
    result = take_steps(form, 0.1, 1)
    assert result.losses[0] == 1.0  # the per-row loss, not the N×N broadcast's 1.5
    assert "y = [0, 1]" in result.form.values_text.replace(".0", "")
