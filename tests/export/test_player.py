"""The step player's Python side: frames packed as one drawing plus what changes, the data of
every step, the inspector's numbers (against finite differences and the seeds' numbers), and
escaping of everything a user can name."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.explain.captions import all_captions
from graphviz_nn.export.frames import svg_frames
from graphviz_nn.export.player import drawing_html, player_data, player_html
from graphviz_nn.export.player.chunks import pack_frames, split_svg, unpack_frame
from graphviz_nn.export.player.notebook import notebook_html
from graphviz_nn.export.player.page import embed_json
from graphviz_nn.draw.options import RenderOptions

ROOT = Path(__file__).resolve().parents[2]
DESIGN = (ROOT / "examples" / "design.gnn").read_text(encoding="utf-8")
MIT = (ROOT / "examples" / "mit_4layer_chain.gnn").read_text(encoding="utf-8")


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def page_data(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="gnn-data">(.*?)</script>', page, re.S)
    assert block is not None
    return json.loads(block.group(1))


def normalised(svg: str) -> str:
    head, pieces = split_svg(svg)
    return head + "".join(text for _, text in pieces) + "</g></svg>"


# --------------------------------------------------------------------------- packing frames

def test_split_keeps_every_node_and_edge_as_its_own_piece() -> None:
    svg = ('<?xml version="1.0"?>\n<!-- c -->\n<svg width="10pt" height="10pt">\n<g id="graph0" class="graph">\n'
           '<title>t</title>\n<polygon points="0,0"/>\n<!-- n0 -->\n<g id="n0" class="node">\n<g id="a_n0"><a>\n'
           '<text>x</text>\n</a>\n</g>\n</g>\n<g id="n0&#45;n1&#45;0" class="edge">\n<path d="M0,0"/>\n</g>\n</g>\n</svg>\n')
    head, pieces = split_svg(svg)
    assert head == '<svg width="10pt" height="10pt"> <g id="graph0" class="graph">'
    assert [key for key, _ in pieces] == ["#0", "n0", "n0-n1-0"]
    assert pieces[0][1] == "<title>t</title><polygon points=\"0,0\"/>"
    assert pieces[1][1].count("<g") == pieces[1][1].count("</g>") == 2


@pytest.mark.exe
def test_packed_frames_give_every_frame_back_and_are_much_smaller() -> None:
    res = gnn.evaluate(DESIGN)
    frames = [f.decode() for f in svg_frames(res, RenderOptions())]
    pack = pack_frames(frames)
    assert len(pack["frames"]) == len(res.trace) + 1 == 24
    for k, svg in enumerate(frames):
        assert unpack_frame(pack, k) == normalised(svg)
    assert len(pack["heads"]) == 1 and len(pack["orders"]) == 1  # steady: one size, one order
    assert len(json.dumps(pack)) < sum(map(len, frames)) / 3
    # A forward step redraws the caption, its node, the node before it and the edges into it,
    # not the whole drawing.
    changed = [sum(a != b for a, b in zip(pack["frames"][k - 1]["v"], pack["frames"][k]["v"])) for k in range(1, 11)]
    assert max(changed) <= 6 and 6 * 3 < len(pack["keys"])


# --------------------------------------------------------------------------- the data

@pytest.mark.exe
def test_data_of_every_step_follows_the_trace() -> None:
    res = gnn.evaluate(DESIGN)
    data = player_data(res)
    n = len(res.trace)
    assert data["n"] == n and len(data["steps"]) == n + 1 and len(data["rows"]) == n
    assert data["forward"] == res.n_nodes
    captions = all_captions(res)
    assert [s["latex"] for s in data["steps"]] == [c.latex for c in captions]
    assert data["steps"][0]["focus"] is None
    for k, step in enumerate(res.trace, start=1):
        focus = data["steps"][k]["focus"]
        expected = step.node if step.edge is None else "{}-{}-{}".format(*step.edge)
        assert focus == expected and focus in data["drawing"]["keys"]
        assert data["rows"][k - 1][0] == k and data["rows"][k - 1][1] == step.phase
    # f(1, 2, 3) = sin(2)/3 + e^3/2 = 10.3459 (seed 002, CMU recitation).
    assert data["value"] == "10.35"


def central_difference(text: str, values: dict, name: str, h: float = 1e-6) -> float:
    up = gnn.evaluate(text, {**values, name: values[name] + h}).value
    down = gnn.evaluate(text, {**values, name: values[name] - h}).value
    return (up - down) / (2 * h)


@pytest.mark.exe
def test_inspector_numbers_agree_with_finite_differences_and_sum_over_uses_and_paths() -> None:
    values = {"x": 1.0, "y": 2.0, "z": 3.0}
    res = gnn.evaluate("sin(xy)/z + e^<xz>/(xy)", values)
    data = player_data(res)
    for name, node in res.inputs.items():
        info = data["nodes"][node]
        numeric = central_difference("sin(xy)/z + e^<xz>/(xy)", values, name)
        assert number(info["grad"]) == pytest.approx(numeric, rel=1e-3)
        contributions = [number(u["contribution"]) for u in info["uses"]]
        assert sum(contributions) == pytest.approx(numeric, rel=1e-3)
        products = [number(p["product"]) for p in info["chain"]["paths"]]
        assert sum(products) == pytest.approx(numeric, rel=1e-3)
    x = data["nodes"][res.inputs["x"]]
    assert len(x["uses"]) == 2 and x["sum"].endswith("= 19.81")  # x feeds x·y and x·z
    assert x["chain"]["count"] == 3 and not x["chain"]["truncated"]


@pytest.mark.exe
def test_seed_000_chain_inspector_gives_l_9_and_dl_dw1_24() -> None:
    res = gnn.evaluate(MIT)
    data = player_data(res)
    w1 = data["nodes"][res.inputs["w1"]]
    assert w1["grad"] == "24" and w1["d"] == "∂L/∂w1"
    assert [p["product"] for p in w1["chain"]["paths"]] == ["24"]
    factors = [f["text"] for f in w1["chain"]["paths"][0]["factors"]]
    assert factors[0].startswith("∂L/∂") and factors[-1].startswith("∂z1/∂w1")
    out = data["nodes"][res.output]
    assert out["value"] == "9" and out["output"] and data["value"] == "9"
    assert "formula" in out and out["formula"]["plain"].endswith("= 9")


@pytest.mark.exe
def test_factors_that_several_paths_share_are_marked() -> None:
    res = gnn.evaluate("h = x*y; L = sin(h) + h^2", {"x": 0.5, "y": 2})
    info = player_data(res)["nodes"][res.inputs["x"]]
    paths = info["chain"]["paths"]
    assert len(paths) == 2
    for path in paths:
        names = [(f["text"].split(" = ")[0], f["shared"]) for f in path["factors"]]
        assert names[-1] == ("∂h/∂x", True)  # both paths go through h = x·y
        assert names[0] == ("∂L/∂h", False)  # one through sin, one through the square


@pytest.mark.exe
def test_paths_listed_are_bounded() -> None:
    from graphviz_nn.export.player.data import MAX_PATHS

    text = "a = x + x; b = a + a; c = b + b; d = c + c; L = d + d"  # 2^5 paths from x
    info = player_data(gnn.evaluate(text, {"x": 1}))["nodes"][gnn.evaluate(text, {"x": 1}).inputs["x"]]
    assert info["chain"]["truncated"] and len(info["chain"]["paths"]) == MAX_PATHS
    assert info["grad"] == "32"


# --------------------------------------------------------------------------- escaping

def test_embedded_json_cannot_close_its_script_block() -> None:
    data = {"label": '</script><script>alert(1)</script>', "dot": '"]; x [', "sep": "a\u2028b", "amp": "&lt;"}
    text = embed_json(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == data


@pytest.mark.exe
def test_labels_and_title_that_look_like_markup_stay_text() -> None:
    res = gnn.evaluate("x*y + x", {"x": 2, "y": 3})
    res.graph.nodes[res.inputs["x"]]["label"] = "<script>alert(1)</script>"
    res.graph.nodes[res.inputs["y"]]["label"] = '"]; x ['
    page = player_html(res, RenderOptions(title="</script><b>title</b>"))
    assert "<script>alert(1)" not in page and "<b>title" not in page
    data = page_data(page)
    assert data["title"] == "</script><b>title</b>"
    assert data["nodes"][res.inputs["x"]]["label"] == "<script>alert(1)</script>"
    svg = "".join(v for versions in data["drawing"]["versions"] for v in versions)
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert "<title>graphviz_nn: &lt;/script&gt;&lt;b&gt;title&lt;/b&gt;</title>" in page


# --------------------------------------------------------------------------- the page, the CLI, Jupyter

@pytest.mark.exe
def test_page_is_self_contained() -> None:
    page = player_html(gnn.evaluate(DESIGN))
    assert "default-src 'none'" in page  # no request leaves the page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "url(fonts/" not in page  # every KaTeX font the page names is inline
    assert page.count("@font-face") == 9 and "katex" in page
    assert len(page.encode()) < 1_000_000


@pytest.mark.exe
def test_cli_writes_the_player(tmp_path: Path) -> None:
    out = tmp_path / "design.html"
    proc = subprocess.run([sys.executable, "-m", "graphviz_nn", "render", "--file", str(ROOT / "examples" / "design.gnn"),
                           "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["n"] == 23 and data["value"] == "10.35"


def test_neuron_view_as_one_drawing() -> None:
    page = drawing_html('<svg width="10pt" height="10pt" viewBox="0 0 10 10">\n<g id="graph0" class="graph">\n'
                        '<text>&lt;b&gt;</text>\n</g>\n</svg>', "<net>").decode()
    data = page_data(page)
    assert data["n"] == 0 and data["title"] == "<net>"
    assert "@font-face" not in page and len(page) < 60_000  # no KaTeX: nothing to typeset


@pytest.mark.exe
def test_jupyter_bundle_holds_the_player_beside_the_svg() -> None:
    res = gnn.evaluate("x^2 + 3xy", {"x": 2, "y": 1})
    bundle = res._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    frame = bundle["text/html"]
    assert frame.startswith("<iframe") and 'sandbox="allow-scripts"' in frame
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    data = page_data(srcdoc)
    assert data["n"] == len(res.trace) and data["value"] == "10"


def test_jupyter_without_a_player_keeps_the_svg(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphviz_nn.errors import LimitError
    from graphviz_nn.export.player import notebook

    def refuse(*args: object, **kwargs: object) -> dict:
        raise LimitError("too many frames")

    monkeypatch.setattr(notebook, "player_data", refuse)
    res = gnn.evaluate("x^2", {"x": 3})
    assert notebook_html(res) is None
