"""TikZ export: one node per graph node at the layout position, balanced braces, escaped text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.export import files as export
from graphviz_nn.draw.dot import RenderOptions
from graphviz_nn.draw.tikz import latex_name, latex_op, latex_text

P004 = ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 2, "y": -1, "z": 3})
DESIGN = ("sin(xy)/z + e^(xz)/(xy)", {"x": 1, "y": 2, "z": 3})


def tex(res: gnn.Evaluation, **options: object) -> str:
    return export.export_bytes(res, "tex", RenderOptions(**options)).decode("utf-8")


def balanced(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"\\[{}]|[{}]", text):
        token = match.group(0)
        if token in ("{", "}"):
            depth += 1 if token == "{" else -1
            if depth < 0:
                return False
    return depth == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [("x", "x"), ("alpha", r"\alpha"), ("w_0", "w_{0}"), ("beta_12", r"\beta_{12}"), ("yhat", r"\mathit{yhat}"),
     ("x1", "x1")],
)
def test_latex_names(name: str, expected: str) -> None:
    assert latex_name(name) == expected


@pytest.mark.parametrize(("op", "expected"), [("add", "+"), ("mul", r"\cdot"), ("div", r"\frac{\cdot}{\cdot}"),
                                              ("exp", r"e^{\cdot}"), ("matmul", r"\mathtt{@}")])
def test_latex_op_symbols_come_from_the_registry(op: str, expected: str) -> None:
    assert latex_op(op) == expected


def test_user_text_cannot_become_tex_commands() -> None:
    assert latex_text(r"\input{/etc/passwd} $x$ 100% #1 ~ ^_") == (
        r"\textbackslash{}input\{/etc/passwd\} \$x\$ 100\% \#1 \~{} \^{}\_"
    )


@pytest.mark.exe
@pytest.mark.parametrize("theme", ["lecture", "micrograd", "print"])
def test_one_node_per_graph_node_and_balanced_braces(theme: str) -> None:
    res = gnn.evaluate(*DESIGN)
    text = tex(res, theme=theme, edge_labels=True, title="HW {1} & 50%")
    named = re.findall(r"\\node\[[^\]]*\] \((n\d+)\) at \((-?[\d.]+),(-?[\d.]+)\)", text)
    assert sorted(n for n, _, _ in named) == sorted(res.graph.nodes)
    assert len({(x, y) for _, x, y in named}) == len(named)  # real, distinct layout positions
    assert balanced(text)
    assert text.count(r"\begin{tikzpicture}") == 1 and text.rstrip().endswith(r"\end{document}")
    assert r"HW \{1\} \& 50\%" in text


@pytest.mark.exe
def test_labels_are_latex_math_with_gradients() -> None:
    res = gnn.evaluate(*P004)
    text = tex(res, edge_labels=True)
    assert r"\node[var] (n0) at" in text
    assert r"{$x$ \\ $= 2$ \\ $\frac{\partial w}{\partial x} = -6$}" in text
    assert r"node[edgelabel] {$8 \times 2 = 16$}" in text
    assert r"\node[named, output] (n7)" in text


@pytest.mark.exe
def test_tikz_compiles_with_pdflatex(tmp_path: Path) -> None:
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    res = gnn.evaluate("a = alpha @ x; l = sum(relu(a))", {"alpha": [[2, 1], [0, 2]], "x": [1, -2]})
    (tmp_path / "graph.tex").write_text(tex(res, edge_labels=True, title="A & B"), encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "graph.tex"],
                          cwd=tmp_path, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout.decode("utf-8", "replace")[-2000:]
    assert (tmp_path / "graph.pdf").read_bytes().startswith(b"%PDF")
