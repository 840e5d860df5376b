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
    [("x", "x"), ("alpha", r"\alpha"), ("w_0", "w_{0}"), ("beta_12", r"\beta_{12}"), ("yhat", r"\hat{y}"),
     ("x1", "x_{1}"), ("loss", r"\mathrm{loss}")],
)
def test_latex_names(name: str, expected: str) -> None:
    assert latex_name(name) == expected


@pytest.mark.parametrize(("op", "expected"), [("add", "+"), ("mul", r"\times"), ("div", r"\div"),
                                              ("exp", r"\mathrm{exp}"), ("matmul", r"\mathtt{@}"),
                                              ("sigmoid", r"\sigma"), ("sum", r"\Sigma")])
def test_latex_op_symbols_are_the_drawn_symbols(op: str, expected: str) -> None:
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
    # x feeds x*y once and x + x twice: its gradient is the sum of the three contributions
    assert r"{$x$ \\ $= 2$ \\ $\frac{\partial w}{\partial x} = (-8) + 1 + 1 = -6$}" in text
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


# ------------------------------------------------------------------ op titles and edge routes


def test_no_op_title_is_a_template_with_placeholders() -> None:
    """Op nodes show the operation's symbol as the SVG does (÷, exp, σ), not ·/·, e^·."""
    from graphviz_nn.ops import OPS

    for op in OPS:
        title = latex_op(op)
        assert r"\cdot" not in title and "{0}" not in title and "{1}" not in title, (op, title)


@pytest.mark.exe
def test_unnamed_nodes_show_their_gradient_without_a_placeholder() -> None:
    res = gnn.evaluate(*DESIGN)
    text = tex(res)
    assert r"\partial \cdot" not in text and r"\frac{\cdot}" not in text and r"e^{\cdot}" not in text
    assert r"{$\div$ \\ $= 0.3031$ \\ $\partial = 1$}" in text
    assert r"$\partial = \partial f / \partial\,\text{node}$" in text  # the legend, as in the SVG
    assert r"{$x$ \\ $= 1$ \\ $\frac{\partial f}{\partial x} = " in text  # named nodes keep ∂f/∂x


def _bezier(p0, p1, p2, p3, n: int = 24):
    for i in range(n + 1):
        t = i / n
        yield tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * d
                    for a, b, c, d in zip(p0, p1, p2, p3))


def _edge_points(text: str, centres: dict[str, tuple[float, float]]):
    """(source, target, sampled points) of every drawn edge: straight lines and cubic curves,
    a path's named ends taken at the nodes' centres."""
    def point(token: str) -> tuple[float, float]:
        token = token.strip("() ")
        if token in centres:
            return centres[token]
        x, y = token.split(",")
        return float(x), float(y)

    for body in re.findall(r"^\\draw\[->[^\]]*\] (.*);$", text, flags=re.M):
        body = re.sub(r" node\[edgelabel\] \{.*?\}(?= \()", "", body)
        ends = re.findall(r"\(([\w-]+)\)", body)
        source, target = ends[0], ends[-1]
        if " to " in body or " -- " in body:
            a, b = centres[source], centres[target]
            yield source, target, [(a[0] + (b[0] - a[0]) * i / 48, a[1] + (b[1] - a[1]) * i / 48) for i in range(49)]
            continue
        tokens = re.findall(r"\([^()]*\)", body)
        pts = [point(t) for t in tokens]
        samples = []
        for i in range(0, len(pts) - 1, 3):
            samples.extend(_bezier(*pts[i:i + 4]))
        yield source, target, samples


@pytest.mark.exe
@pytest.mark.parametrize("text, values, options", [
    (*DESIGN, {}),
    (*DESIGN, {"edge_text": "both"}),
    ("a = x*y + z; b = a*x + sin(z); c = b*a + exp(y); L = c*z + a", {"x": 1, "y": 2, "z": 3}, {}),
    ("a = x*y + z; b = a*x + sin(z); c = b*a + exp(y); L = c*z + a", {"x": 1, "y": 2, "z": 3},
     {"theme": "micrograd"}),
])
def test_edges_go_around_the_text_of_other_nodes(text: str, values: dict, options: dict) -> None:
    """No edge passes through the middle of a node it does not join (the inner 60% of the node's
    box in the layout, where its text is)."""
    from graphviz_nn.draw.tikz import placement_dot
    from graphviz_nn.layout.program import layout_geometry

    res = gnn.evaluate(text, values)
    opts = RenderOptions(**options)
    document = export.export_bytes(res, "tex", opts).decode("utf-8")
    centres = {name: (float(x), float(y)) for name, x, y in
               re.findall(r"\\node\[[^\]]*\] \(([\w-]+)\) at \((-?[\d.]+),(-?[\d.]+)\)", document)}
    sizes = layout_geometry(placement_dot(res, opts)).sizes
    half = {name: (0.3 * sizes[name.replace("-op", "_op")][0], 0.3 * sizes[name.replace("-op", "_op")][1])
            for name in centres}
    crossings = []
    for source, target, points in _edge_points(document, centres):
        owner = target[:-3] if target.endswith("-op") else target
        for name, (cx, cy) in centres.items():
            if name in (source, target, owner, f"{owner}-op"):
                continue
            hx, hy = half[name]
            if any(abs(px - cx) < hx and abs(py - cy) < hy for px, py in points):
                crossings.append((source, target, name))
    assert not crossings, crossings


@pytest.mark.exe
def test_curved_edges_and_every_op_title_compile(tmp_path: Path) -> None:
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    res = gnn.evaluate("a = abs(x) + norm([x, y])^2 - sqrt(y); b = sigmoid(a) * tanh(a) / exp(-a); "
                       "L = sum(relu([a, b])) + mean([a, b]) + max(a, b) + log(1 + b^2)", {"x": 1.5, "y": 2})
    (tmp_path / "graph.tex").write_text(tex(res, edge_text="both", theme="micrograd"), encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "graph.tex"],
                          cwd=tmp_path, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout.decode("utf-8", "replace")[-2000:]
    assert (tmp_path / "graph.pdf").read_bytes().startswith(b"%PDF")
