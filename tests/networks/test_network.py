"""Layer specs: published numbers of the seed sheets and classics, shapes, finite differences,
gradient descent, symmetry, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graphviz_nn.errors import GnnError, MissingValueError, ParseError, ShapeError, ValueInputError
from graphviz_nn.networks.layers import parse_chain
from graphviz_nn.networks.network import from_chain, load_spec, parse_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPECS = sorted(EXAMPLES.glob("*.toml"))


def numeric_gradient(net, name: str, h: float = 1e-6) -> np.ndarray:
    """Central differences of the loss with respect to every entry of one value."""
    base = np.array(net.values[name], dtype=float)
    grad = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += h
        minus[idx] -= h
        f_plus = np.sum(from_values(net, name, plus).evaluate().value)
        f_minus = np.sum(from_values(net, name, minus).evaluate().value)
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def from_values(net, name, value):
    from dataclasses import replace

    return replace(net, values={**net.values, name: value})


def test_cmu_alpha_beta_published_numbers() -> None:
    net = load_spec(str(EXAMPLES / "cmu_alpha_beta.toml"))
    res = net.evaluate()
    nodes = res.graph.nodes
    by_name = {a["name"]: a for _, a in nodes(data=True) if a["name"]}
    assert by_name["z1"]["value"].tolist() == [3.0, 2.0]  # a = [3, 2] on the sheet
    assert by_name["yhat"]["value"].tolist() == [7.0]
    assert float(res.value) == 8.0
    assert res.gradients["W2"].tolist() == [[4.0, 12.0, 8.0]]
    assert res.gradients["W1"].tolist() == [[4.0, 4.0, 8.0], [8.0, 8.0, 16.0]]
    # display names: W1 is drawn as alpha, W2 as beta; gradients stay keyed by W1/W2
    assert nodes[res.inputs["W1"]]["label"] == "α"
    assert nodes[res.inputs["W2"]]["label"] == "β"


def test_mit_chain_published_numbers_and_one_step() -> None:
    net = load_spec(str(EXAMPLES / "mit_4layer_chain.toml"))
    res = net.evaluate()
    by_name = {a["name"]: a["value"] for _, a in res.graph.nodes(data=True) if a["name"]}
    assert [float(by_name[f"z{k}"][0]) for k in (1, 2, 3)] == [2.0, 9.0, 4.0]
    assert [float(by_name[f"a{k}"][0]) for k in (1, 2, 3)] == [2.0, 9.0, 4.0]
    assert float(by_name["yhat"][0]) == 5.0
    assert float(res.value) == 9.0
    assert float(res.gradients["W1"][0, 0]) == 24.0
    assert float(res.gradients["b1"][0]) == 24.0
    stepped, _ = net.step(0.1)
    assert float(stepped.values["W1"][0, 0]) == pytest.approx(0.6)


def test_mazur_published_numbers() -> None:
    net = load_spec(str(EXAMPLES / "mazur_2_2_2.toml"))
    res = net.evaluate()
    assert float(res.value) == pytest.approx(0.298371109, abs=1e-9)
    assert float(res.gradients["W2"][0, 0]) == pytest.approx(0.082167041, abs=1e-9)
    assert float(res.gradients["W1"][0, 0]) == pytest.approx(0.000438568, abs=1e-9)
    stepped, _ = net.step(0.5)
    assert float(stepped.values["W2"][0, 0]) == pytest.approx(0.35891648, abs=1e-8)


def test_autoencoder_shapes_follow_the_sheet() -> None:
    net = load_spec(str(EXAMPLES / "mit_autoencoder.toml"))
    res = net.evaluate()
    d, m = 4, 2
    shapes = {name: np.shape(g) for name, g in res.gradients.items()}
    assert shapes["W1"] == (m, d) and shapes["b1"] == (m,)
    assert shapes["W2"] == (d, m) and shapes["b2"] == (d,)
    by_name = {a["name"]: a["shape"] for _, a in res.graph.nodes(data=True) if a["name"]}
    assert by_name["z1"] == (m,) and by_name["a1"] == (m,) and by_name["z2"] == (d,) and by_name["yhat"] == (d,)


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_every_gradient_matches_finite_differences(spec: Path) -> None:
    net = load_spec(str(spec))
    res = net.evaluate()
    for name in net.parameters:
        np.testing.assert_allclose(res.gradients[name], numeric_gradient(net, name), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss, expected", [
    ("mse", lambda yh, y: np.mean((yh - y) ** 2)),
    ("sse", lambda yh, y: np.sum((yh - y) ** 2)),
    ("half_sse", lambda yh, y: 0.5 * np.sum((yh - y) ** 2)),
    ("bce", lambda yh, y: np.mean(-(y * np.log(yh) + (1 - y) * np.log(1 - yh)))),
    ("cross_entropy", lambda yh, y: -np.sum(y * (yh - np.log(np.sum(np.exp(yh)))))),
])
def test_losses_match_their_definitions(loss, expected) -> None:
    w1 = np.array([[0.2, -0.4], [0.5, 0.1], [-0.3, 0.3]])
    b1 = np.array([0.1, 0.0, 0.2])
    w2 = np.array([[0.3, -0.2, 0.1], [0.4, 0.2, -0.5]])
    b2 = np.array([0.0, 0.1])
    x = np.array([1.0, -1.0])
    y = np.array([1.0, 0.0])
    h = np.tanh(w1 @ x + b1)
    yhat = 1 / (1 + np.exp(-(w2 @ h + b2)))
    net = from_chain("Linear(2->3) -> Tanh -> Linear(3->2) -> Sigmoid", loss=loss,
                     values={"x": x, "y": y, "W1": w1, "b1": b1, "W2": w2, "b2": b2})
    assert float(net.evaluate().value) == pytest.approx(float(expected(yhat, y)), rel=1e-12)


def test_scaled_relu_regression_matches_hand_numpy() -> None:
    net = load_spec(str(EXAMPLES / "nyu_regression.toml"))
    v = {k: np.asarray(val, dtype=float) for k, val in net.values.items()}
    z1 = v["W1"] @ v["x"] + v["b1"]
    a1 = 5 * np.maximum(z1, 0)
    yhat = v["W2"] @ a1 + v["b2"]
    res = net.evaluate()
    assert float(res.value) == pytest.approx(float(np.sum((yhat - v["y"]) ** 2)))
    delta = 2 * (yhat - v["y"])
    np.testing.assert_allclose(res.gradients["W2"], np.outer(delta, a1))
    np.testing.assert_allclose(res.gradients["W1"], np.outer((v["W2"].T @ delta) * 5 * (z1 > 0), v["x"]))


def test_batch_rows_equal_the_sum_over_single_examples() -> None:
    rng = np.random.default_rng(3)
    xs = rng.normal(size=(4, 2))
    ys = rng.normal(size=(4, 1))
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3), "W2": rng.normal(size=(1, 3)), "b2": rng.normal(size=1)}
    chain = "Linear(2->3) -> Tanh -> Linear(3->1)"
    batch = from_chain(chain, loss="sse", values={"x": xs, "y": ys, **params}).evaluate()
    singles = [from_chain(chain, loss="sse", values={"x": xs[i], "y": ys[i], **params}).evaluate() for i in range(4)]
    assert float(batch.value) == pytest.approx(sum(float(s.value) for s in singles))
    np.testing.assert_allclose(batch.gradients["W1"], sum(s.gradients["W1"] for s in singles))


def test_constant_init_keeps_hidden_units_identical_random_breaks_symmetry() -> None:
    net = load_spec(str(EXAMPLES / "cs189_symmetry.toml"))
    trained = net.train(40, 0.5)
    w1 = trained.network.values["W1"]
    assert trained.losses[-1] < trained.losses[0]  # it does learn
    assert not np.allclose(w1, 0.5)  # the weights moved
    for row in w1[1:]:
        np.testing.assert_allclose(row, w1[0], rtol=0, atol=1e-12)  # but every hidden unit is the same
    np.testing.assert_allclose(trained.network.values["W2"][:, 1:], trained.network.values["W2"][:, :1].repeat(3, axis=1))
    from dataclasses import replace

    rand = from_chain(net.chain, loss=net.loss, init="random", seed=1, values={"x": net.values["x"], "y": net.values["y"]})
    w1r = replace(rand).train(40, 0.5).network.values["W1"]
    assert not np.allclose(w1r[0], w1r[1])


def test_random_init_is_reproducible_by_seed() -> None:
    a = from_chain("Linear(3->4) -> ReLU -> Linear(1)", loss="none", init="random", seed=7, values={"x": [1, 2, 3]})
    b = from_chain("Linear(3->4) -> ReLU -> Linear(1)", loss="none", init="random", seed=7, values={"x": [1, 2, 3]})
    np.testing.assert_array_equal(a.values["W1"], b.values["W1"])
    assert a.values["W1"].shape == (4, 3) and a.values["W2"].shape == (1, 4)


@pytest.mark.parametrize("chain, kinds, loss", [
    ("Linear(2->2) -> ReLU -> Linear(2->1)", ["linear", "relu", "linear"], None),
    ("Linear(3) → Sigmoid → Linear(1) → BCE", ["linear", "sigmoid", "linear"], "bce"),
    ("Linear(2->4) -> LeakyReLU(0.1) -> Linear(4->2) -> Softmax -> CrossEntropy",
     ["linear", "leakyrelu", "linear", "softmax"], "cross_entropy"),
    ("Linear(1->1) -> 5*ReLU -> Linear(1->1) -> Identity -> SSE", ["linear", "relu", "linear", "identity"], "sse"),
    ("Linear(2->2) -> Softplus(2) -> Linear(2->1) -> GELU -> MSE", ["linear", "softplus", "linear", "gelu"], "mse"),
])
def test_chain_syntax(chain, kinds, loss) -> None:
    layers, found = parse_chain(chain)
    assert [layer.kind for layer in layers] == kinds
    assert found == loss


def test_scaled_activation_and_parameters_reach_the_program() -> None:
    layers, _ = parse_chain("Linear(2->2) -> 5*ReLU -> Linear(1) -> LeakyReLU(0.2)")
    assert layers[1].scale == 5.0 and layers[3].param == 0.2
    net = from_chain("Linear(2->2) -> 5*ReLU -> Linear(1) -> LeakyReLU(0.2)", init=0.1, values={"x": [1, 2]})
    assert "a1 = 5 relu(z1)" in net.program and "leaky_relu(z2, 0.2)" in net.program


@pytest.mark.parametrize("chain, values, bias, message, column", [
    ("Linear(2->2) -> ReLU -> Linear(2->1)", {"x": [1, 2], "y": 3, "W1": [[2, 1], [0, 2]], "W2": [[0, 1, 2]]},
     "folded", "Linear 1: W1 is 2×2 but must be 2×3 (2 outputs × 2 input features + 1 folded bias)", 1),
    ("Linear(2->2) -> ReLU -> Linear(2->1)", {"x": [1, 2], "y": 3, "W1": [[2, 1, 0], [0, 2, 0]], "W2": [[0, 1]]},
     "folded", "Linear 2: W2 is 1×2 but must be 1×3 (1 output × 2 input features + 1 folded bias)", 25),
    ("Linear(3->2) -> ReLU -> Linear(1)", {"x": [1, 2], "y": 3}, "separate",
     "Linear 1: declared 3 inputs but its input has 2 features", 1),
    ("Linear(2->2) -> ReLU -> Linear(1)", {"x": [1, 2], "y": 3, "W1": [[1, 2], [3, 4]], "b1": [1, 2, 3],
                                            "W2": [[1, 1]], "b2": [0]}, "separate",
     "Linear 1: b1 is 3 but the layer has 2 outputs", 1),
])
def test_shape_mismatch_names_layer_and_both_shapes(chain, values, bias, message, column) -> None:
    with pytest.raises(ShapeError) as info:
        from_chain(chain, values, loss="half_sse", bias=bias, init=None if "W1" in values else 0.1)
    assert info.value.message == message
    assert info.value.location.column == column


def test_unknown_layer_and_loss_list_the_valid_ones() -> None:
    with pytest.raises(ParseError) as info:
        parse_chain("Linear(2->2) -> Foo -> Linear(1)")
    assert "unknown layer 'Foo'" in info.value.message and "ReLU" in info.value.message
    assert info.value.location.column == 17
    with pytest.raises(ValueInputError) as info2:
        from_chain("Linear(2->1)", {"x": [1, 2], "y": 1}, loss="hinge", init=0.1)
    assert "unknown loss 'hinge'" in info2.value.message and "half_sse" in info2.value.message


def test_toml_syntax_error_gives_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[network]\nchain = "Linear(2)"\nloss = mse\n')
    with pytest.raises(ParseError) as info:
        load_spec(str(path))
    assert str(path) in info.value.message and "line 3" in info.value.message


def test_missing_parameter_value_is_named() -> None:
    with pytest.raises(MissingValueError) as info:
        from_chain("Linear(2->2) -> ReLU -> Linear(1)", {"x": [1, 2], "y": 1, "W1": [[1, 2], [3, 4]], "b1": [0, 0]})
    assert info.value.names == ["W2", "b2"]


def test_unknown_spec_key_lists_valid_keys() -> None:
    with pytest.raises(GnnError) as info:
        parse_spec('[network]\nchain = "Linear(2->1)"\nlos = "mse"\n[values]\nx = [1, 2]\n', "s.toml")
    assert "unknown key(s) in [network]: los" in info.value.message and "loss" in info.value.message


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphviz_nn", *args], capture_output=True, text=True, timeout=120)


def test_cli_eval_spec_json_keys_gradients_by_parameter() -> None:
    out = run_cli("eval", "--spec", str(EXAMPLES / "cmu_alpha_beta.toml"), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["output"]["value"] == 8.0
    assert data["gradients"]["W2"] == [[4.0, 12.0, 8.0]]
    assert data["gradients"]["W1"] == [[4.0, 4.0, 8.0], [8.0, 8.0, 16.0]]
    assert set(data["gradients"]) == {"x", "y", "W1", "W2"}


def test_cli_sgd_steps_record_the_loss() -> None:
    out = run_cli("eval", "--spec", str(EXAMPLES / "mazur_2_2_2.toml"), "--sgd-steps", "1", "--lr", "0.5", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["losses"][0] == pytest.approx(0.298371109, abs=1e-9)
    assert data["losses"][1] < data["losses"][0]
    assert data["parameters"]["W2"][0][0] == pytest.approx(0.35891648, abs=1e-8)


def test_cli_spec_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[network]\nchain = "Linear(2->2) -> Relu -> Linear(2->1)"\nbias = "folded"\n'
                    '[values]\nx = [1, 2]\nW1 = [[2, 1], [0, 2]]\nW2 = [[0, 1, 2]]\n')
    out = run_cli("eval", "--spec", str(path))
    assert out.returncode == 2
    assert "Linear 1: W1 is 2×2 but must be 2×3" in out.stderr and "^" in out.stderr
    assert "Traceback" not in out.stderr
