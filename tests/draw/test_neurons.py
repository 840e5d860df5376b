"""The neuron-level view: one node per input and unit, weights on edges, values from the sheets."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from graphviz_nn.errors import RenderError
from graphviz_nn.networks.network import from_chain, load_spec
from graphviz_nn.draw.neurons import MAX_UNITS, NeuronOptions, neuron_dot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def node_ids(dot: str) -> set[str]:
    return set(re.findall(r"^\s+(u\d+_\d+|loss) \[", dot, flags=re.M))


def edges(dot: str) -> list[tuple[str, str, str]]:
    """Visible edges with the text written near their source (lines joined by two spaces)."""
    found = []
    for src, dst, attrs in re.findall(r"^\s+(\w+) -> (\w+) \[(.*)\];$", dot, flags=re.M):
        if "invis" in attrs:
            continue
        label = re.search(r"taillabel=<(.*?)> ", attrs)
        found.append((src, dst, label.group(1).replace("<br/>", "  ") if label else ""))
    return found


def test_alpha_beta_network_matches_figure_1() -> None:
    net = load_spec(str(EXAMPLES / "cmu_alpha_beta.toml"))
    dot = neuron_dot(net)
    # x0 = 1, x1, x2; z0 = 1, two hidden units; one output; the loss
    assert node_ids(dot) == {"u0_0", "u0_1", "u0_2", "u1_0", "u1_1", "u1_2", "u2_1", "loss"}
    weights = {(s, d): lab for s, d, lab in edges(dot) if d != "loss"}
    alpha = [[2, 1, 0], [0, 2, 0]]
    for j in range(2):
        for i in range(3):
            assert weights[(f"u0_{i}", f"u1_{j + 1}")] == f"w = {alpha[j][i]}"
    beta = [0, 1, 2]
    for i in range(3):
        assert weights[(f"u1_{i}", "u2_1")] == f"w = {beta[i]}"
    # hidden pre-activations a = [3, 2] (the sheet's a1, a2), activations equal (ReLU of positives)
    unit1 = re.search(r"u1_1 \[.*label=<(.*)>\];", dot).group(1)
    unit2 = re.search(r"u1_2 \[.*label=<(.*)>\];", dot).group(1)
    assert "z = 3" in unit1 and "a = 3" in unit1 and "∂L/∂z = 4" in unit1
    assert "z = 2" in unit2 and "a = 2" in unit2 and "∂L/∂z = 8" in unit2
    out = re.search(r"u2_1 \[.*label=<(.*)>\];", dot).group(1)
    assert "z = 7" in out
    assert "8" in re.search(r"loss \[.*label=<(.*)>\];", dot).group(1)


def test_weight_gradients_on_edges_equal_the_engine() -> None:
    net = load_spec(str(EXAMPLES / "mazur_2_2_2.toml"))
    res = net.evaluate()
    dot = neuron_dot(net, res, NeuronOptions(show_weight_grads=True, digits=6))
    labels = {(s, d): lab for s, d, lab in edges(dot)}
    w5_grad = float(res.gradients["W2"][0, 0])
    assert labels[("u1_1", "u2_1")] == f"w = 0.4  ∂L/∂w = {w5_grad:.6g}"
    assert np.isclose(w5_grad, 0.082167041)


def test_separate_bias_is_shown_in_the_unit() -> None:
    net = load_spec(str(EXAMPLES / "mazur_2_2_2.toml"))
    dot = neuron_dot(net)
    assert "u1_0" not in dot and "u0_0" not in dot
    assert "b = 0.35" in re.search(r"u1_1 \[.*label=<(.*)>\];", dot).group(1)


def test_too_many_units_is_a_clear_error() -> None:
    net = from_chain("Linear(40->30) -> ReLU -> Linear(1)", init=0.1, values={"x": np.ones(40)})
    with pytest.raises(RenderError) as info:
        neuron_dot(net)
    assert f"up to {MAX_UNITS}" in info.value.message


def test_user_text_is_escaped_in_the_title() -> None:
    net = load_spec(str(EXAMPLES / "mazur_2_2_2.toml"))
    from dataclasses import replace

    dot = neuron_dot(replace(net, title='<script>alert("x")</script> & {braces}'))
    assert 'label="<script>alert(\\"x\\")</script> & {braces}"' in dot


@pytest.mark.exe
@pytest.mark.parametrize("suffix, magic", [("svg", b"<?xml"), ("pdf", b"%PDF"), ("png", b"\x89PNG")])
def test_cli_renders_the_neuron_view(tmp_path: Path, suffix: str, magic: bytes) -> None:
    import subprocess
    import sys

    out = tmp_path / f"net.{suffix}"
    done = subprocess.run([sys.executable, "-m", "graphviz_nn", "render", "--spec", str(EXAMPLES / "cmu_alpha_beta.toml"),
                           "--view", "neurons", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data.startswith(magic)
    if suffix == "svg":
        import xml.etree.ElementTree as ET

        texts = " ".join(t.text or "" for t in ET.fromstring(data).iter("{http://www.w3.org/2000/svg}text"))
        assert "w = 2" in texts and "z = 7" in texts


def test_cli_neuron_view_needs_a_network() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "graphviz_nn", "render", "x + 1", "--at", "x=1", "--view", "neurons",
                           "-o", "/dev/null"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--view neurons needs a network" in done.stderr


def _distance(point: tuple[float, float], spline: str) -> float:
    """Distance from ``point`` to the polyline through a layout spline's points (``e,x,y`` and
    ``s,x,y`` arrow ends included)."""
    pts = [tuple(float(v) for v in p.split(",")[-2:]) for p in spline.split()]
    best = float("inf")
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        dx, dy = x1 - x0, y1 - y0
        t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((point[0] - x0) * dx + (point[1] - y0) * dy) / (dx * dx + dy * dy)))
        best = min(best, float(np.hypot(point[0] - x0 - t * dx, point[1] - y0 - t * dy)))
    return best


def _nearest_edge_of_each_label(dot: str, where: str) -> dict[str, str]:
    """For every labelled edge: the id of the edge nearest to its label's centre (``where``:
    ``tail_lp`` for a label at the source end, ``lp`` for one in the middle), as laid out by the
    layout program (the positions the SVG draws)."""
    import json

    from graphviz_nn.layout import program as layout

    drawn = json.loads(layout.run_layout(dot, "json", layout.find_program(), 60.0))
    paths = {e["id"]: e["pos"] for e in drawn["edges"] if e.get("id")}
    nearest = {}
    for edge in drawn["edges"]:
        if where in edge:
            centre = tuple(float(v) for v in edge[where].split(","))
            nearest[edge["id"]] = min(paths, key=lambda other: _distance(centre, paths[other]))
    return nearest


@pytest.mark.exe
@pytest.mark.parametrize("grads", [False, True])
def test_each_weight_sits_nearer_its_own_edge_than_any_other(grads: bool) -> None:
    """002's α/β network: edges from x0 and x2 cross between the layers. Written near its source
    unit, every weight is nearest to its own edge; written in the middle (the control, as the
    view used to), some weight is nearer another edge than its own."""
    net = load_spec(str(EXAMPLES / "cmu_alpha_beta.toml"))
    dot = neuron_dot(net, options=NeuronOptions(show_weight_grads=grads))
    nearest = _nearest_edge_of_each_label(dot, "tail_lp")
    assert len(nearest) == 9  # 6 weights of alpha, 3 of beta
    assert all(own == found for own, found in nearest.items()), nearest
    middle = _nearest_edge_of_each_label(dot.replace("taillabel=", "label="), "lp")
    assert len(middle) == 9 and any(own != found for own, found in middle.items())


def test_each_weight_is_also_the_tooltip_of_its_edge() -> None:
    net = load_spec(str(EXAMPLES / "cmu_alpha_beta.toml"))
    dot = neuron_dot(net)
    line = next(line for line in dot.splitlines() if 'id="w1_2_1"' in line)  # alpha row 2 = [0, 2, 0], column 1 (x1): 2
    assert line.startswith("  u0_1 -> u1_2 ") and 'edgetooltip="W1[2,1]: w = 2"' in line


def test_neuron_options_are_picture_options_checked_the_same_way() -> None:
    from graphviz_nn.draw.options import RenderOptions

    assert issubclass(NeuronOptions, RenderOptions)
    for bad, message in [({"rankdir": "RL"}, "unknown rankdir 'RL'; choose one of: LR, TB"),
                         ({"digits": 0}, "digits must be an integer from 1 to 15"),
                         ({"show_weight_grads": "yes"}, "show_weight_grads must be True or False")]:
        with pytest.raises(RenderError, match=message):
            NeuronOptions(**bad)
        if "show_weight_grads" not in bad:  # the same message as any picture's
            with pytest.raises(RenderError, match=message):
                RenderOptions(**bad)
