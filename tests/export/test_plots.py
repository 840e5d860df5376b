"""Function plots: the engine's batch derivative has the expected kinks and shapes."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from graphviz_nn.errors import RenderError, ValueInputError
from graphviz_nn.export.plots import ACTIVATIONS, plot_bytes, sample


def test_relu_derivative_jumps_at_zero() -> None:
    data = sample("relu(x)", lo=-1, hi=1, points=201)
    left, right = data.dy[data.x < 0], data.dy[data.x > 0]
    assert np.all(left == 0) and np.all(right == 1)
    assert data.dy[data.x == 0].tolist() == [0.0]  # relu'(0) = 0, the sheets' convention
    np.testing.assert_array_equal(data.y, np.maximum(data.x, 0))


def test_leaky_relu_keeps_its_slope_left_of_zero() -> None:
    data = sample("leaky_relu(x, 0.01)", lo=-2, hi=2, points=41)
    assert np.allclose(data.dy[data.x <= 0], 0.01) and np.allclose(data.dy[data.x > 0], 1)


@pytest.mark.parametrize("text, derivative", [
    ("softplus(x)", lambda x: 1 / (1 + np.exp(-x))),
    ("sigmoid(x)", lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    ("tanh(x)", lambda x: 1 / np.cosh(x) ** 2),
    ("gelu(x)", lambda x: 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    ("x^3 - 2x", lambda x: 3 * x ** 2 - 2),
])
def test_smooth_derivatives_match_their_formulas(text, derivative) -> None:
    data = sample(text, lo=-3, hi=3, points=301)
    np.testing.assert_allclose(data.dy, derivative(data.x), rtol=1e-9, atol=1e-12)


def test_every_listed_activation_plots() -> None:
    for text in ACTIVATIONS.values():
        data = sample(text, points=11)
        assert data.y.shape == data.dy.shape == (11,)


def test_other_inputs_take_values_and_variable_is_named() -> None:
    data = sample("a*x^2", "x", -1, 1, 3, values={"a": 2})
    assert data.y.tolist() == [2.0, 0.0, 2.0] and data.dy.tolist() == [-4.0, 0.0, 4.0]
    with pytest.raises(ValueInputError, match="say which variable"):
        sample("a*x^2")
    with pytest.raises(ValueInputError, match="lo < hi"):
        sample("x", lo=1, hi=0)


def test_formats() -> None:
    data = sample("relu(x)", points=21)
    svg = plot_bytes(data, "svg")
    assert ET.fromstring(svg).tag.endswith("svg")
    assert plot_bytes(data, "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert plot_bytes(data, "pdf").startswith(b"%PDF")
    with pytest.raises(RenderError, match="unknown plot format"):
        plot_bytes(data, "gif")


def test_cli_plot(tmp_path: Path) -> None:
    out = tmp_path / "relu.svg"
    done = subprocess.run([sys.executable, "-m", "graphviz_nn", "plot", "relu(x)", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert ET.fromstring(out.read_bytes()).tag.endswith("svg")
    bad = subprocess.run([sys.executable, "-m", "graphviz_nn", "plot", "relu(x", "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unclosed '('" in bad.stderr and "Traceback" not in bad.stderr


def test_a_long_program_gets_a_short_one_line_title_and_room_for_its_axes():
    """The 4-layer chain example as the title squeezed the axes away (matplotlib warned)."""
    import warnings

    from graphviz_nn.export.plots import TITLE_CHARS, _short_title
    from graphviz_nn.language.values import normalize_values

    text = (Path(__file__).resolve().parents[2] / "examples" / "mit_4layer_chain.gnn").read_text()
    data = sample(text, "x", points=50, values={"y": 1.0, "w1": 1.0, "w2": 0.5, "w3": 2.0, "w4": -1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_bytes(data)
    title = _short_title(data)
    assert len(title) == TITLE_CHARS and title.endswith("…") and "\n" not in title
    assert title.startswith("f(x) = x = 1; y = 2; w01 = -1; w1 = 3;") and "#" not in title


def test_an_expression_over_several_lines_reads_as_one_in_the_title():
    from graphviz_nn.export.plots import _short_title

    data = sample("f = (x +\n 2*x)  # two lines, one statement\ng = f^2", "x", points=5)
    assert _short_title(data) == "f(x) = f = (x + 2*x); g = f^2"
