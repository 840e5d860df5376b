"""An Evaluation displays itself in Jupyter: SVG when a layout program exists, words otherwise."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import graphviz_nn as gnn
from graphviz_nn.layout import program as layout


@pytest.mark.exe
def test_mimebundle_holds_the_drawing() -> None:
    res = gnn.evaluate("x^2 + 3xy", {"x": 2, "y": 1})
    bundle = res._repr_mimebundle_()
    root = ET.fromstring(bundle["image/svg+xml"])
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "= 10" in texts and "= 7" in texts  # f = 10, df/dx = 7
    assert bundle["text/plain"] == "Evaluation(x^2 + 3·x·y = 10.0)"
    assert res._repr_svg_() == bundle["image/svg+xml"]


def test_without_a_layout_program_jupyter_gets_the_reason_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "locate", lambda name: None)
    bundle = gnn.evaluate("x^2", {"x": 3})._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert "not drawn: no Graphviz layout program found" in bundle["text/plain"]
    assert "pip install graphviz-pure" in bundle["text/plain"]
