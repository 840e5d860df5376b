"""The player's drawing made from each version of each statement once (sheets) instead of one
drawing per step: the frames the page rebuilds are the frames drawn one by one (the old way,
the oracle), every pass plays however long (within the player's budget, which says what it
bounds), and the inspector's numbers at each step are the engine's state at that step."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.core.engine import state_at
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.errors import LimitError
from graphviz_nn.explain.captions import format_number
from graphviz_nn.export.frames import MAX_FRAMES, svg_frames
from graphviz_nn.export.player import player_data
from graphviz_nn.export.player import sheets
from graphviz_nn.export.player.chunks import split_svg
from graphviz_nn.export.player.page import read_page_data
from graphviz_nn.export.player.timeline import inspector_at
from graphviz_nn.layout import program as layout

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = [name for name in layout.PROGRAMS if layout.locate(name)]
FANOUT = ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})
SHARED = ("h = x*y; u = h*a; v = h*b; f = u + v + " + " + ".join(f"p{i}*q{i}" for i in range(6)),
          {"x": 2, "y": 0.5, "a": -0.235, "b": 1.235, **{f"p{i}": 0.5 for i in range(6)},
           **{f"q{i}": 2.0 for i in range(6)}})


def rebuilt(pack: dict) -> list[dict[str, str]]:
    """Every frame as its pieces by key, as player.js rebuilds it from the first frame and the
    changes of each step."""
    versions = list(pack["frames"][0]["v"])
    out = []
    for k, frame in enumerate(pack["frames"]):
        if k:
            delta = frame["d"]
            for i in range(0, len(delta), 2):
                versions[delta[i]] = delta[i + 1]
        out.append({key: pack["versions"][p][versions[p]] for p, key in enumerate(pack["keys"])})
    return out


@pytest.mark.exe
@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("case", ["design", "mit", "fanout", "compact"])
def test_frames_rebuilt_from_sheets_are_the_frames_drawn_one_by_one(case: str, program: str) -> None:
    if case in ("design", "mit"):
        name = "design.gnn" if case == "design" else "mit_4layer_chain.gnn"
        res = gnn.evaluate((ROOT / "examples" / name).read_text(encoding="utf-8"))
    else:
        res = gnn.evaluate(*(FANOUT if case == "fanout" else SHARED))
    opts = RenderOptions(layout_program=program, large_graph=10 if case == "compact" else 500)
    pack = sheets.drawing_pack(res, opts)
    assert len(pack["frames"]) == len(res.trace) + 1 and len(pack["heads"]) == 1
    alone = [split_svg(svg.decode("utf-8")) for svg in svg_frames(res, opts)]
    drawn_alone = [pieces for _, pieces in alone]
    if program == "dot":
        assert {head for head, _ in alone} == set(pack["heads"])
    # graphviz-pure gives a step drawn alone a box a fraction of a point taller (the rows of a
    # long drawing), which moves every coordinate: compare its pieces' text and elements.
    same = (lambda text: text) if program == "dot" else \
        (lambda text: (re.sub(r"<[^>]*>", "|", text), re.findall(r"<(/?\w+)", text)))
    for k, (mine, pieces) in enumerate(zip(rebuilt(pack), drawn_alone)):
        theirs = {key: same(text) for key, text in pieces}
        assert {key: same(text) for key, text in mine.items() if text} == theirs, k
    # Far fewer drawings of a node or edge than steps: each version once (the caption, "#…",
    # says what each step did, so it has a version a step).
    assert max(len(v) for key, v in zip(pack["keys"], pack["versions"]) if key[0] != "#") < len(res.trace) / 2


@pytest.mark.exe
def test_a_pass_longer_than_a_step_sequence_plays(tmp_path: Path) -> None:
    text = " + ".join(f"x{i}*y{i}" for i in range(120))  # 360 nodes: more than 400 frames
    out = tmp_path / "big.html"
    proc = subprocess.run([sys.executable, "-m", "graphviz_nn", "render", text, "-o", str(out)]
                          + [a for i in range(120) for a in ("--at", f"x{i}=1", "--at", f"y{i}=2")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = read_page_data(out.read_text("utf-8"))
    n = 120 * 3 + 119 + 1 + 120 * 2 + 119 * 2  # forward, the seed, backward along every edge
    assert data["n"] == n > MAX_FRAMES and len(data["drawing"]["frames"]) == n + 1
    assert data["value"] == "240"


@pytest.mark.exe
def test_the_players_budget_is_a_limit_with_its_number(monkeypatch: pytest.MonkeyPatch) -> None:
    res = gnn.evaluate(*FANOUT)
    monkeypatch.setattr(sheets, "MAX_DRAWN", 20)
    with pytest.raises(LimitError, match="more than 20 versions of its nodes and edges"):
        player_data(res)
    monkeypatch.setattr(sheets, "MAX_DRAWN", 60_000)
    monkeypatch.setattr(sheets, "MAX_STEPS", 10)
    with pytest.raises(LimitError, match=f"{len(res.trace)} steps is too many for the step player \\(at most 10\\)"):
        player_data(res)


@pytest.mark.exe
@pytest.mark.parametrize("case", ["design", "fanout"])
def test_inspector_at_each_step_is_the_engines_state_at_that_step(case: str) -> None:
    res = gnn.evaluate((ROOT / "examples" / "design.gnn").read_text(encoding="utf-8")) if case == "design" \
        else gnn.evaluate(*FANOUT)
    data = player_data(res)
    trace = res.trace
    for k in range(len(trace) + 1):
        state = state_at(trace, k)
        for node, info in data["nodes"].items():
            now = inspector_at(info, k)
            assert (now["value"] is not None) == (node in state.computed), (node, k)
            if node in state.computed:
                assert now["value"] == format_number(res.graph.nodes[node]["value"])
            if node in state.grads:
                assert now["grad"] == format_number(state.grads[node]), (node, k)
            else:
                assert now["grad"] is None, (node, k)
            done = {tuple(u["edge"].rsplit("-", 2)) for u in now["uses"] if u["done"]}
            assert done == {(s, t, str(a)) for s, t, a in state.done_edges if s == node}, (node, k)
    # x feeds two products in the design example: after its first contribution, the sum so far
    # is that contribution alone; at the end both, adding to ∂f/∂x = 19.81 (seed 002).
    if case == "design":
        x = data["nodes"][res.inputs["x"]]
        first = x["grads"][0][0]
        assert inspector_at(x, first - 1)["grad"] is None
        half = inspector_at(x, first)
        only = half["grad"]  # one contribution so far: the sum is that one term
        assert half["pending"] == 1 and half["sum"] == (f"({only})" if only.startswith("−") else only) + f" = {only}"
        assert inspector_at(x, len(trace))["sum"] == "(−10.32) + 30.13 = 19.81"


def test_the_inspectors_paths_are_networkx_first_simple_paths() -> None:
    import itertools

    import networkx as nx

    from graphviz_nn.export.player.data import MAX_PATHS, _first_paths

    problems = [(p.read_text(encoding="utf-8"), None) for p in sorted((ROOT / "examples").glob("*.gnn"))]
    problems += [("a = x + x; b = a + a; c = b + b; d = c + c; L = d + d", {"x": 1}), FANOUT]
    for text, values in problems:
        graph = gnn.evaluate(text, values).graph
        output = graph.graph["output"]
        for node in graph.nodes:
            if node != output:
                oracle = [list(p) for p in itertools.islice(nx.all_simple_edge_paths(graph, node, output), MAX_PATHS + 1)]
                assert _first_paths(graph, node, output, MAX_PATHS + 1) == oracle, (text, node)


def test_past_the_players_budget_the_page_gets_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphviz_nn.page.player import player_issue
    from graphviz_nn.draw.options import RenderOptions

    from graphviz_nn.page import dispatch, player as page_player

    monkeypatch.setattr(sheets, "MAX_STEPS", 5)
    # in place and uncached: an app test earlier in this process may have left its worker pool
    # running (workers do not see this monkeypatch) or made the same player data
    monkeypatch.setattr(dispatch, "_POOL", None)
    page_player._player_json.cache_clear()
    text, issue = player_issue("x*y + z*x", {"x": "1.5", "y": "2", "z": "3"}, RenderOptions())
    assert text == "" and issue is not None and issue.kind == "limit"
    assert "steps is too many for the step player (at most 5)" in issue.message
