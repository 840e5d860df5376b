"""Captions agree with the drawing: one direction of words, distinct titles, the highlight on the
node whose gradient changes, and one step count everywhere ("step k of n", frames 0..n)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.export import frames
from graphviz_nn.explain.captions import all_captions, node_ref_text
from graphviz_nn.page.examples import EXAMPLES_DIR
from graphviz_nn.networks.network import parse_spec
from graphviz_nn.draw.dot import RenderOptions, to_dot

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.gnn")) + sorted(EXAMPLES_DIR.glob("*.toml"))


def _evaluate(path: Path) -> gnn.Evaluation:
    text = path.read_text()
    return parse_spec(text, path.name).evaluate() if path.suffix == ".toml" else gnn.evaluate(text, {})


def _backward(res: gnn.Evaluation):
    """(caption, trace step) of every backward step along an edge."""
    caps = all_captions(res)
    return [(caps[k], step) for k, step in enumerate(res.trace, start=1)
            if step.phase == "backward" and step.edge is not None]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_backward_title_and_sentence_run_the_same_way(path: Path) -> None:
    """The title's arrow and the sentence both go from the node that sends the gradient (the
    edge's target) back to the node that receives it (the edge's source)."""
    res = _evaluate(path)
    for cap, step in _backward(res):
        source, target, _ = step.edge
        sender, receiver = node_ref_text(res.graph, target), node_ref_text(res.graph, source)
        assert f": {sender} → {receiver}" in cap.title, cap.title
        assert f"from {sender} back to {receiver}" in cap.words or f"from {sender} to {receiver}" in cap.words, \
            cap.words


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_no_two_steps_say_the_same(path: Path) -> None:
    """Without the running counter ("Backward 3/13: "), every backward title is still its own."""
    titles = [cap.title.split(": ", 1)[1] for cap, _ in _backward(_evaluate(path))]
    repeated = sorted({t for t in titles if titles.count(t) > 1})
    assert not repeated, repeated


def test_design_example_titles_by_hand() -> None:
    res = _evaluate(EXAMPLES_DIR / "design.gnn")
    titles = [cap.title for cap, _ in _backward(res)]
    assert titles[0] == "Backward 2/13: f → sin(x·y)/z"
    assert titles[1] == "Backward 3/13: f → exp(x·z)/(x·y)"
    assert "Backward 7/13: x·z → x (use 1 of 2)" in titles
    assert "Backward 12/13: x·y → x (use 2 of 2)" in titles


def test_same_edge_twice_is_told_apart() -> None:
    res = gnn.evaluate("x + x", {"x": 2})
    titles = [cap.title for cap, _ in _backward(res)]
    assert titles == ["Backward 2/3: f → x (use 1 of 2)", "Backward 3/3: f → x (use 2 of 2)"]


@pytest.mark.parametrize("theme", ["lecture", "micrograd", "print"])
def test_backward_step_highlights_the_node_whose_gradient_changes(theme: str) -> None:
    res = gnn.evaluate("sin(x*y)/z + exp(x)", {"x": 1, "y": 2, "z": 3})
    for k, step in enumerate(res.trace, start=1):
        dot = to_dot(res, RenderOptions(theme=theme, step=k))
        changed = step.edge[0] if step.edge is not None else step.node
        marked = [m for m in re.findall(r'^  "(n\d+)" \[(.*)$', dot, re.M)
                  if 'penwidth="3"' in m[1] or 'BORDER="2"' in m[1]]
        marked_ids = {node for node, _ in marked if node != res.graph.graph["output"] or changed == node}
        assert marked_ids == {changed}, (k, step, marked_ids)


def test_one_step_count_everywhere() -> None:
    """Steps run 0..n (n = trace length): the drawn note of the last step says "step n of n",
    the sequence is n + 1 frames, and the CLI and app name it "steps 0–n (n + 1 frames)"."""
    res = gnn.evaluate("x*y + x", {"x": 2, "y": 3})
    n = len(res.trace)
    assert f"step {n} of {n}" in to_dot(res, RenderOptions(step=n))
    assert frames.frame_count(res) == n + 1
    assert frames.steps_text(n) == f"steps 0–{n} ({n + 1} frames)"
    n_forward = sum(1 for s in res.trace if s.phase == "forward")
    assert f"{n_forward} forward steps" in all_captions(res)[0].words
    assert f"{n - n_forward} backward steps" in all_captions(res)[0].words


def test_cli_steps_message_counts_like_the_pictures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from graphviz_nn.cli import main as cli

    out = tmp_path / "frames"
    assert cli.main(["steps", "x*y + x", "--at", "x=2", "--at", "y=3", "-o", str(out)]) == 0
    n = len(gnn.evaluate("x*y + x", {"x": 2, "y": 3}).trace)
    assert f"steps 0–{n} ({n + 1} frames)" in capsys.readouterr().err
    assert len(list(out.glob("step-*.svg"))) == n + 1
    assert f"step {n} of {n}" in (out / frames.frame_name(n)).read_text()


def test_the_trace_table_names_steps_as_the_captions_do() -> None:
    """The app's trace table: each backward row reads like its caption's title (same arrow, same
    direction), each forward row names the node as the caption does; never an id."""
    from graphviz_nn.draw.options import RenderOptions
    from graphviz_nn.page.view import build_view

    # a drawn view: the numbers-only one (draw=False) makes no rows or captions
    view = build_view((EXAMPLES_DIR / "design.gnn").read_text(), {}, RenderOptions(), draw=True)
    assert len(view.rows) == view.n_steps == 23
    for row in view.rows:
        title = view.captions[row.step].title
        if title.endswith(": seed"):
            continue
        assert title.split(": ", 1)[1].startswith(row.node), (row, title)
        assert not re.search(r"\bn\d+\b", row.node)
