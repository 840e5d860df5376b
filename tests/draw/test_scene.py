"""The scene of a picture (draw.scene), and DOT and TikZ spelling the same scene.

The numbers come from the seed sheets: CS231n's first circuit f = (x + y) z at x = -2, y = 5,
z = -4 (published: f = -12, df/dx = df/dy = -4, df/dz = 3), and the NYU homework graph
a = x*y + z, b = (x + x)*a, w = a*b, checked by hand (a = 1, b = 4, w = 4).
No layout program runs: TikZ gets made-up positions.
"""

from __future__ import annotations

import re

import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.draw.dot import to_dot
from graphviz_nn.draw.scene import build_scene
from graphviz_nn.draw.tikz import tikz_document

CS231N = ("(x + y)*z", {"x": -2, "y": 5, "z": -4})
P004 = ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 2, "y": -1, "z": 3})


def by_id(scene):
    return {n.id: n for n in scene.nodes}


def test_roles_values_and_edge_terms_of_the_cs231n_circuit() -> None:
    res = gnn.evaluate(*CS231N)
    scene = build_scene(res, RenderOptions(edge_text="value"))
    nodes = by_id(scene)
    assert [(n.role, n.label) for n in scene.nodes] == [
        ("input", "x"), ("input", "y"), ("op", "+"), ("input", "z"), ("op", "×")]
    out = next(n for n in scene.nodes if n.output)
    assert out.value.kind == "number" and out.value.value == -12  # published f = -12
    grads = {n.label: n.grad.value for n in scene.nodes if n.role == "input"}
    assert grads == {"x": -4, "y": -4, "z": 3}  # published gradients
    terms = {(nodes[e.source].label, nodes[e.target].label): e.label.term for e in scene.edges}
    # upstream × local = contribution along every edge: q = x + y = 3, f = q z
    assert (terms[("x", "+")].upstream, terms[("x", "+")].local, terms[("x", "+")].contribution) == (-4, 1, -4)
    assert (terms[("+", "×")].upstream, terms[("+", "×")].local, terms[("+", "×")].contribution) == (1, -4, -4)
    assert (terms[("z", "×")].upstream, terms[("z", "×")].local, terms[("z", "×")].contribution) == (1, 3, 3)
    assert all(t.scalar for t in terms.values())


def test_a_value_used_twice_shows_its_gradient_as_a_sum_and_named_results_get_op_nodes() -> None:
    res = gnn.evaluate(*P004)
    scene = build_scene(res, RenderOptions(edge_text="value"))
    nodes = {n.label: n for n in scene.nodes if n.role in ("input", "named")}
    assert {k: n.value.value for k, n in nodes.items()} == {"x": 2, "y": -1, "z": 3, "a": 1, "b": 4, "w": 4}
    # dw/dx = a*b'(x) ... by hand: w = (x y + z) * 2x (x y + z); x feeds x*y once and x + x twice
    x = nodes["x"]
    assert x.grad.kind == "sum" and sorted(x.grad.parts) == [-8, 1, 1] and x.grad.value == -6
    assert all(n.aux and n.titled for k, n in nodes.items() if k in "abw")  # lecture: op box beside the name
    assert not any(n.aux for n in scene.nodes if n.role == "op")
    micro = build_scene(res, RenderOptions(theme="micrograd"))
    assert all(n.aux and not n.titled for n in micro.nodes if n.role == "op")  # the op lives in its bubble


def test_stepping_blanks_and_highlights_are_decided_in_the_scene() -> None:
    res = gnn.evaluate(*CS231N)
    first = build_scene(res, RenderOptions(step=1))
    assert [n.pending for n in first.nodes] == [False, True, True, True, True]
    assert first.nodes[0].changed and first.nodes[1].value.kind == "pending"
    last = len(res.trace)
    current = build_scene(res, RenderOptions(step=last, edge_text="formula"))
    (edge,) = [e for e in current.edges if e.current]
    assert edge.label.term is not None and edge.label.formula_text  # the current edge shows both
    sheet = build_scene(res, RenderOptions(blanks=(("n0", "grad", 1), ("n4", "value", 2)),
                                           highlight_edges={("n0", "n2", 0)}, highlight_nodes={"n0"}))
    nodes = by_id(sheet)
    assert (nodes["n0"].grad.kind, nodes["n0"].grad.blank) == ("blank", 1)
    assert (nodes["n4"].value.kind, nodes["n4"].value.blank) == ("blank", 2)
    assert nodes["n0"].highlighted and nodes["n2"].path_target
    assert [e.on_path for e in sheet.edges].count(True) == 1
    key = build_scene(res, RenderOptions(blanks=(("n0", "grad", 1),), show_answers=True))
    assert (by_id(key)["n0"].grad.kind, by_id(key)["n0"].grad.value) == ("answer", -4)


# ---------------------------------------------------------------- DOT and TikZ agree


def tikz_id(dot_id: str) -> str:
    """A DOT node id as TikZ names it (``n4_op`` is ``n4-op``)."""
    return dot_id.replace("_op", "-op")


def dot_picture(dot: str) -> dict:
    """Nodes, edges (source, entry), labelled edges, nodes with a number not known yet (``?``),
    highlighted nodes and blank numbers of a DOT text."""
    nodes = {m[0]: (m[1], m[2]) for m in re.findall(r'^  "([^"]+)" \[id="[^"]+" class="([^"]*)"(.*)$', dot, re.M)}
    edges = re.findall(r'^  "([^"]+)" -> "([^"]+)" \[id="([^"]+)" class="([^"]*)"(.*)$', dot, re.M)
    return {
        "nodes": {tikz_id(n) for n in nodes},
        "edges": {(tikz_id(u), tikz_id(v)) for u, v, _, _, _ in edges},
        "labelled": {(tikz_id(u), tikz_id(v)) for u, v, _, _, rest in edges if " label=" in rest},
        "unknown": {n for n, (cls, rest) in nodes.items() if "?" in rest},
        "path": {n for n, (cls, _) in nodes.items() if "path" in cls.split()},
        "blanks": sorted(re.findall(r"____ \((\d+)\)", dot)),
    }


def tikz_picture(tex: str) -> dict:
    """The same facts read from a TikZ text."""
    nodes = re.findall(r"^\\node\[([^\]]*)\] \(([^)]+)\) at", tex, re.M)
    draws = re.findall(r"^\\draw\[([^\]]*)\] \(([^)]+)\)(.*) \(([^)]+)\);$", tex, re.M)
    return {
        "nodes": {n for _, n in nodes},
        "edges": {(u, v) for _, u, _, v in draws},
        "labelled": {(u, v) for _, u, mid, v in draws if "edgelabel" in mid},
        "unknown": set(re.findall(r"^\\node\[[^\]]*\] \(([^)]+)\) at .*= \?\$", tex, re.M)),
        "path": {n for style, n in nodes if "chainpath" in style and not n.endswith("-op")},
        "blanks": sorted(re.findall(r"\\mathbf\{\((\d+)\)\}", tex)),
    }


def fake_positions(dot: str) -> dict[str, tuple[float, float]]:
    ids = re.findall(r'^  "([^"]+)" \[id=', dot, re.M)
    return {node: (float(i), float(i % 3)) for i, node in enumerate(ids)}


@pytest.mark.parametrize("theme", ["lecture", "micrograd", "print"])
@pytest.mark.parametrize("options", [
    {},
    {"edge_text": "value"},
    {"edge_text": "formula", "step": 9},
    {"edge_text": "both", "step": 3},
    {"step": 11},
    {"blanks": (("n0", "grad", 1), ("n3", "value", 2)), "highlight_nodes": {"n0", "n4"},
     "highlight_edges": {("n2", "n4", 0)}, "edge_text": "formula"},
])
def test_dot_and_tikz_draw_the_same_scene(theme: str, options: dict) -> None:
    res = gnn.evaluate(*P004)
    opts = RenderOptions(theme=theme, **options)
    dot = to_dot(res, opts)
    tex = tikz_document(res, opts, fake_positions(dot))
    scene = build_scene(res, opts)
    from_dot, from_tex = dot_picture(dot), tikz_picture(tex)
    assert from_dot == from_tex
    # and both are the scene's
    assert from_dot["nodes"] == {n.id for n in scene.nodes} | {f"{n.id}-op" for n in scene.nodes if n.aux}
    assert from_dot["labelled"] == {(e.source, tikz_id(e.entry)) for e in scene.edges if e.label}
    unknown = {n.id for n in scene.nodes if "pending" in (getattr(n.value, "kind", ""), getattr(n.grad, "kind", ""))}
    assert from_dot["unknown"] == unknown


def test_drawing_code_never_starts_a_program() -> None:
    """draw/ builds text only, and the step sequences reach a layout program only through layout/."""
    import ast
    from pathlib import Path

    package = Path(gnn.__file__).parent
    files = sorted((package / "draw").glob("*.py")) + [package / "export" / "frames.py"]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not imported & {"subprocess", "shutil", "os", "graphviz"}, path.name
        if path.parent.name == "draw":
            assert not any("layout" in name.split(".") for name in imported), path.name
