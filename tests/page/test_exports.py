"""The app's extra downloads and the merge switch, without Streamlit: code scripts that reproduce
the engine's numbers, the neuron view in every format, and ``merge=False`` threaded through the
view, its caches and the files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_script

import graphviz_nn as gnn
from graphviz_nn.page import netview
from graphviz_nn.page.downloads import export
from graphviz_nn.page.exports import CODE_EXPORTS, NEURON_FORMATS, code_export, neuron_export
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.page.view import build_view

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SQUARED_SINE = ("sin(x)*sin(x) + x", {"x": "0.5"})




@pytest.mark.parametrize("merge", [True, False])
def test_the_numpy_script_prints_the_value_and_gradient_of_the_page(tmp_path, merge):
    text, values = SQUARED_SINE
    data = run_script(tmp_path, code_export(text, values, RenderOptions(merge=merge), "numpy"))
    x = 0.5  # the oracle: d/dx (sin²x + x) = 2 sin x cos x + 1
    assert np.isclose(data["value"], np.sin(x) ** 2 + x, rtol=1e-14)
    assert np.isclose(data["gradients"]["x"], 2 * np.sin(x) * np.cos(x) + 1, rtol=1e-14)


def test_the_scripts_follow_the_merge_switch():
    text, values = SQUARED_SINE
    merged = code_export(text, values, RenderOptions(), "numpy").decode()
    tree = code_export(text, values, RenderOptions(merge=False), "numpy").decode()
    assert merged.count("np.sin(") == 1 and tree.count("np.sin(") == 2
    torch = code_export(text, values, RenderOptions(), "torch").decode()
    assert "import torch" in torch and torch.count("torch.sin(") == 1
    assert [lang for lang, *_ in CODE_EXPORTS] == ["numpy", "torch"]


def test_an_unknown_script_language_is_refused():
    with pytest.raises(gnn.GnnError, match="numpy, torch"):
        code_export("x*y", {"x": "1", "y": "2"}, RenderOptions(), "julia")


def test_merge_false_draws_a_tree_with_the_same_numbers():
    text, values = SQUARED_SINE
    merged = build_view(text, values, RenderOptions(), draw=False)
    tree = build_view(text, values, RenderOptions(merge=False), draw=False)
    # merged: x, sin, ×, + (4 forward steps); a tree writes sin(x) twice (5)
    assert (merged.n_forward, tree.n_forward) == (4, 5)
    assert merged.value == tree.value and merged.gradients == tree.gradients
    again = build_view(text, values, RenderOptions(), draw=False)  # the caches keep the two apart
    assert again.n_forward == 4


@pytest.mark.exe
def test_merge_false_reaches_the_drawing_and_the_files():
    text, values = SQUARED_SINE
    merged = build_view(text, values, RenderOptions())
    tree = build_view(text, values, RenderOptions(merge=False))
    assert merged.svg.count(">sin<") + 1 == tree.svg.count(">sin<")
    for merge, sines in ((True, 1), (False, 2)):
        dot = export(text, values, RenderOptions(merge=merge), None, "dot").decode()
        assert dot.count('tooltip="op sin: ') == sines


@pytest.fixture(scope="module")
def alpha_beta() -> netview.SpecForm:
    return netview.read_spec((EXAMPLES / "cmu_alpha_beta.toml").read_text(), "cmu_alpha_beta.toml")


@pytest.mark.exe
@pytest.mark.parametrize("fmt,magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF"), ("dot", b"digraph")])
def test_the_neuron_view_downloads_in_every_format(alpha_beta, fmt, magic):
    data = neuron_export(alpha_beta, fmt, RenderOptions())
    assert data.startswith(magic)
    if fmt in ("svg", "dot"):
        text = data.decode()
        assert "w = 2" in text and "z = 7" in text  # alpha's 2, the output's z from the sheet
    assert fmt in {f for f, *_ in NEURON_FORMATS}


def test_the_neuron_view_download_follows_the_page_options(alpha_beta):
    plain = neuron_export(alpha_beta, "dot", RenderOptions(show_grads=False, rankdir="TB")).decode()
    assert "rankdir=TB" in plain and "∂L/∂z" not in plain
    with_grads = neuron_export(alpha_beta, "dot", RenderOptions(), show_weight_grads=True).decode()
    assert "∂L/∂w = 4" in with_grads  # ∂l/∂α[1,0]: the sheet's 4
