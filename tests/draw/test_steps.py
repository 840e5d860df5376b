"""What each step of a pass changes in the drawing (:mod:`graphviz_nn.draw.steps`), walked once:
applied step after step, the changes give the whole DOT of every step that ``to_dot`` writes
(the oracle), for every example, several looks, the compact drawing and a wrapped one."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from helpers import sin_chain

import graphviz_nn as gnn
from graphviz_nn.draw.dot import to_dot
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.draw.steps import statement_lines, step_changes
from graphviz_nn.layout.steady import html_attr

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.gnn"))
ID = re.compile(r' \[id="((?:[^"\\]|\\.)*)"')
SHARED = ("h = x*y; u = h*a; v = h*b; f = u + v + " + " + ".join(f"p{i}*q{i}" for i in range(6)),
          {"x": 2, "y": 0.5, "a": -0.235, "b": 1.235, **{f"p{i}": 0.5 for i in range(6)},
           **{f"q{i}": 2.0 for i in range(6)}})
OPTIONS = [RenderOptions(), RenderOptions(theme="micrograd"),
           RenderOptions(theme="print", edge_text="both", rankdir="TB", background="dark"),
           RenderOptions(edge_labels=True, color_by_sign=True)]


chain = sin_chain


def by_id(lines: list[str]) -> dict[str, str]:
    return {ID.search(line).group(1): line for line in lines}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_changes_of_each_step_give_the_whole_dot_of_that_step(path: Path) -> None:
    res = gnn.evaluate(path.read_text(encoding="utf-8"))
    for opts in OPTIONS:
        current: dict[str, str] = {}
        for k, lines, caption in step_changes(res, opts):
            current.update(by_id(lines))
            whole = to_dot(res, dataclasses.replace(opts, step=k))
            assert current == by_id(statement_lines(whole)), (opts, k)
            assert caption == html_attr(whole.splitlines()[1], "label"), (opts, k)


@pytest.mark.parametrize("case", ["compact", "wrapped"])
def test_changes_hold_for_the_compact_drawing_and_a_wrapped_one(case: str) -> None:
    res = gnn.evaluate(*SHARED) if case == "compact" else gnn.evaluate(chain(30))
    opts = RenderOptions(large_graph=10) if case == "compact" else RenderOptions()
    assert ("collapsed" in to_dot(res, opts)) == (case == "compact")
    current: dict[str, str] = {}
    for k, lines, caption in step_changes(res, opts):
        current.update(by_id(lines))
        whole = to_dot(res, dataclasses.replace(opts, step=k))
        assert current == by_id(statement_lines(whole)) and caption == html_attr(whole.splitlines()[1], "label"), k


def test_whole_drawings_given_are_read_and_the_ones_written_are_handed_back() -> None:
    res = gnn.evaluate("a = x*y + z; w = a*a", {"x": 1, "y": 2, "z": 3})
    opts = RenderOptions()
    n = len(res.trace)
    marked = to_dot(res, dataclasses.replace(opts, step=n)).replace('id="', 'id="given-')
    whole = {n: marked}
    changes = list(step_changes(res, opts, whole=whole))
    assert all(ident.startswith("given-") for ident in by_id(changes[-1][1]))  # the given text was read
    assert set(whole) == {0, n} and whole[n] is marked  # the first and last steps are written whole
    assert whole[0] == to_dot(res, dataclasses.replace(opts, step=0))


def test_a_pass_works_out_each_nodes_reference_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The step notes name nodes by their formulas (``… + w3·x3 + w4·x4``); one walk over the
    pass works each out once, not once at every step that names it (a 40-term sum would
    otherwise be expanded again at each of its 318 steps)."""
    from graphviz_nn.notation import formulas

    res = gnn.evaluate(" + ".join(f"w{i}*x{i}" for i in range(1, 11)),
                       {f"{c}{i}": 0.5 for c in "wx" for i in range(1, 11)})
    shortened = formulas._shortened
    worked_out: list[str] = []

    def counted(graph, node, *args, **kwargs):
        worked_out.append(node)
        return shortened(graph, node, *args, **kwargs)

    opts = RenderOptions()
    whole = {k: to_dot(res, dataclasses.replace(opts, step=k)) for k in (0, len(res.trace))}
    monkeypatch.setattr(formulas, "_shortened", counted)
    captions = [caption for _, _, caption in step_changes(res, opts, whole=whole)]
    assert len(whole) == 2  # the whole drawings, which work out their own, were all given
    assert "… + … + w3·x3 + w4·x4" in "".join(captions)  # the references are in the notes
    assert sorted(worked_out) == sorted(set(worked_out))


def _assembled_equal_written(res: gnn.Evaluation, opts: RenderOptions, step_line: bool = True) -> None:
    n = len(res.trace)
    whole: dict[int, str] = {}
    for _ in step_changes(res, opts, step_line, whole=whole, wanted=range(n + 1)):
        pass
    assert sorted(whole) == list(range(n + 1))
    for k in range(n + 1):
        assert whole[k] == to_dot(res, dataclasses.replace(opts, step=k)), (opts, k)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_whole_drawings_made_from_the_changes_are_the_ones_to_dot_writes(path: Path) -> None:
    """The steps asked for (``wanted``) are made from step 0's drawing and the changes, not
    written again: byte for byte :func:`to_dot`'s, at every step, in several looks."""
    res = gnn.evaluate(path.read_text(encoding="utf-8"))
    for opts in OPTIONS:
        _assembled_equal_written(res, opts)
    _assembled_equal_written(res, RenderOptions(title="A <title>"), step_line=False)


@pytest.mark.parametrize("case", ["compact", "wrapped"])
def test_whole_drawings_made_from_the_changes_hold_compact_and_wrapped(case: str) -> None:
    res = gnn.evaluate(*SHARED) if case == "compact" else gnn.evaluate(chain(30))
    _assembled_equal_written(res, RenderOptions(large_graph=10) if case == "compact" else RenderOptions())


def test_a_step_the_changes_cannot_make_is_written_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement step 0 lacks (here: step 0's drawing given without one) leaves the step to
    :func:`to_dot`, which writes it right."""
    res = gnn.evaluate("a = x*y + z; w = a*a", {"x": 1, "y": 2, "z": 3})
    opts = RenderOptions()
    first = to_dot(res, dataclasses.replace(opts, step=0))
    dropped = "\n".join(line for line in first.splitlines() if 'id="n1"' not in line) + "\n"
    whole = {0: dropped}
    list(step_changes(res, opts, whole=whole, wanted=(3,)))
    assert whole[3] == to_dot(res, dataclasses.replace(opts, step=3))
