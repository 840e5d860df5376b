"""Steady steps: every step of a pass drawn at the same positions and size, with room for the
largest version of every label, with dot and with graphviz-pure; and, as the control, the
same steps laid out alone do move."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile

import pytest

import graphviz_nn as gnn
from graphviz_nn.export import frames
from graphviz_nn.layout import kept
from graphviz_nn.layout import program as layout
from graphviz_nn.layout import steady
from graphviz_nn.export.files import export_bytes
from graphviz_nn.draw.dot import RenderOptions, to_dot
from graphviz_nn.export.files import tikz_text as tikz_document

PROGRAMS = [name for name in layout.PROGRAMS if layout.locate(name)]
FANOUT = ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})
# Found in review: a partial gradient wider than the final one (−0.2346 before 1), and a
# tensor edge whose label appears only while it is the current step.
PARTIAL = ("f = x*a + x*b", {"x": 2, "a": 1.23456, "b": -0.23456})
TENSOR = ("sum(W x)", {"W": [[1.123456, 2], [3, 4]], "x": [1.5, -1.25]})
# Review: a compact drawing (one box per named result) whose shared h gets a partial gradient.
SHARED = ("h = x*y; u = h*a; v = h*b; f = u + v + " + " + ".join(f"p{i}*q{i}" for i in range(6)),
          {"x": 2, "y": 0.5, "a": -0.235, "b": 1.235, **{f"p{i}": 0.5 for i in range(6)},
           **{f"q{i}": 2.0 for i in range(6)}})
pytestmark = pytest.mark.exe


@pytest.fixture(scope="module")
def res() -> gnn.Evaluation:
    return gnn.evaluate(*FANOUT)


def drawing(res: gnn.Evaluation, opts: RenderOptions) -> dict:
    """The layout program's JSON for the picture ``opts`` asks for (pinned when steady)."""
    source, extra = steady.step_source(res, opts)
    program = layout.find_program(opts.layout_program)
    return json.loads(layout.run_layout(source, "json", program, opts.timeout, extra))


def placed(res: gnn.Evaluation, opts: RenderOptions) -> dict[str, tuple[float, ...]]:
    """Every node's centre and size and every edge's spline, measured from the first node's centre."""
    found = drawing(res, opts)
    nodes: dict[str, tuple[float, ...]] = {}
    for obj in found["objects"]:
        if "pos" in obj and not obj["name"].startswith("gnn_corner"):
            nodes[obj["id"]] = tuple(float(v) for v in obj["pos"].split(",")) + (
                float(obj["width"]) * 72, float(obj["height"]) * 72)
    x0, y0 = nodes[min(nodes)][:2]  # (n0 may be folded into a box in the compact drawing)
    where = {key: (x - x0, y - y0, w, h) for key, (x, y, w, h) in nodes.items()}
    for edge in found.get("edges", []):
        points = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", edge["pos"])]
        where[edge["id"]] = tuple(v - (x0 if i % 2 == 0 else y0) for i, v in enumerate(points))
    return where


def same_places(a: dict[str, tuple[float, ...]], b: dict[str, tuple[float, ...]]) -> bool:
    """The same ids at the same places, to within a point (programs print 2 to 3 decimals)."""
    return a.keys() == b.keys() and all(
        len(a[k]) == len(b[k]) and all(abs(x - y) <= 1.0 for x, y in zip(a[k], b[k])) for k in a)


def svg_size(svg: bytes) -> tuple[str, str]:
    head = svg.decode("utf-8")
    return (re.search(r'<svg width="([^"]+)"', head).group(1), re.search(r'height="([^"]+)"', head).group(1))


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("theme,edge_labels", [("lecture", True), ("micrograd", False), ("print", True)])
def test_every_step_sits_at_the_same_place_and_size(res, program, theme, edge_labels):
    opts = RenderOptions(theme=theme, edge_labels=edge_labels, layout_program=program, title="Fan-out")
    n = len(res.trace)
    last = placed(res, dataclasses.replace(opts, step=n))
    assert len(last) >= res.graph.number_of_nodes() + res.graph.number_of_edges()
    sizes = set()
    for k in range(n + 1):
        step = dataclasses.replace(opts, step=k)
        assert same_places(placed(res, step), last), k
        sizes.add(svg_size(export_bytes(res, "svg", step)))
    assert len(sizes) == 1  # every frame the same width and height


@pytest.mark.parametrize("program", PROGRAMS)
def test_without_steady_the_steps_move(res, program):
    """The control: laid out alone, the bare graph and a mid-pass step put nodes elsewhere
    (labels grow as values arrive), so the test above can fail."""
    opts = RenderOptions(edge_labels=True, layout_program=program, steady=False)
    final = placed(res, dataclasses.replace(opts, step=len(res.trace)))
    for k in (0, 5):
        assert not same_places(placed(res, dataclasses.replace(opts, step=k)), final)


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("case", [PARTIAL, TENSOR, FANOUT, SHARED], ids=["partial", "tensor", "fanout", "shared"])
@pytest.mark.parametrize("theme", ["lecture", "micrograd", "compact"])
def test_every_node_has_room_for_its_largest_label(case, program, theme):
    """Each node's reserved size is at least its natural size at every step (no text spills
    out), and every edge that shows a label at some step has its label place reserved."""
    res = gnn.evaluate(*case)
    opts = (RenderOptions(detail="compact", layout_program=program) if theme == "compact"
            else RenderOptions(theme=theme, layout_program=program))
    n = len(res.trace)
    reserved = placed(res, dataclasses.replace(opts, step=n))
    source, _ = steady.step_source(res, dataclasses.replace(opts, step=n))
    for k in range(n + 1):
        alone = drawing(res, dataclasses.replace(opts, step=k, steady=False))
        for obj in alone["objects"]:
            if "pos" in obj:
                width, height = float(obj["width"]) * 72, float(obj["height"]) * 72
                assert width <= reserved[obj["id"]][2] + 1 and height <= reserved[obj["id"]][3] + 1, (k, obj["id"])
        for edge in alone.get("edges", []):
            if "lp" in edge:  # the current edge's terms: drawn where the shared layout kept room
                assert re.search(rf'id="{re.escape(edge["id"])}"[^\n]* lp="', source), (k, edge["id"])


def test_the_pinned_source_keeps_every_statement_and_adds_two_invisible_corners(res):
    opts = RenderOptions(step=3, edge_labels=True)
    source, extra = steady.step_source(res, opts)
    plain = to_dot(res, opts)
    assert extra == steady.PIN_ARGS
    assert source.count(" -> ") == plain.count(" -> ")
    nodes = [line for line in plain.splitlines() if line.startswith('  "') and " -> " not in line]
    assert len(nodes) > res.graph.number_of_nodes()  # the graph's nodes and the op boxes beside them
    assert source.count('!"') == len(nodes) + 2  # every node and both corners pinned
    assert source.count("gnn_corner_") == 2 and source.count('style="invis"') == 2
    # The finished drawing and the plain source (the DOT download) are not pinned.
    assert steady.step_source(res, RenderOptions())[1] == ()
    assert export_bytes(res, "dot", opts).decode("utf-8") == plain


def test_a_node_without_a_pin_lays_the_step_out_alone(res):
    source = to_dot(res, RenderOptions(step=2))
    ids = re.findall(r'^  "[^"]+" \[id="([^"]+)"', source, re.MULTILINE)
    attrs = {node: 'pos="0,0!"' for node in ids}
    assert steady.pin(source, (attrs, (0.0, 0.0, 10.0, 10.0))) is not None
    del attrs[ids[-1]]
    assert steady.pin(source, (attrs, (0.0, 0.0, 10.0, 10.0))) is None


def test_step_frames_share_one_size_in_the_zip_and_the_pdf(res):
    opts = RenderOptions(edge_labels=True)
    with zipfile.ZipFile(io.BytesIO(frames.svg_zip(res, opts))) as archive:
        sizes = {svg_size(archive.read(name)) for name in archive.namelist()}
    assert len(archive.namelist()) == len(res.trace) + 1 and len(sizes) == 1
    pdf = frames.pdf_bytes(res, opts)
    assert len(set(re.findall(rb"/MediaBox \[([^\]]+)\]", pdf))) == 1


def test_tikz_steps_use_the_finished_positions(res):
    at = {k: re.findall(r"\\node.* at \(([-\d.]+),\s*([-\d.]+)\)", tikz_document(res, RenderOptions(step=k)))
          for k in (0, 7, len(res.trace))}
    assert at[0] == at[7] == at[len(res.trace)] and len(at[0]) >= res.graph.number_of_nodes()


@pytest.mark.parametrize("case", [PARTIAL, TENSOR, FANOUT, SHARED], ids=["partial", "tensor", "fanout", "shared"])
@pytest.mark.parametrize("opts", [RenderOptions(), RenderOptions(theme="micrograd", edge_labels=True),
                                  RenderOptions(theme="print", edge_text="both", title="T", color_by_sign=True),
                                  RenderOptions(detail="compact"), RenderOptions(detail="compact", theme="micrograd")],
                         ids=["lecture", "micrograd-labels", "print-both", "compact", "compact-micrograd"])
def test_step_statements_hold_every_version_that_whole_steps_write(case, opts):
    """The shortcut (redraw what a step touches) against the oracle (every step written whole):
    the same node statements, the same edge labels, the same captions. (Unlabelled edge styles,
    which take no room, may be left out.)"""
    res = gnn.evaluate(*case)
    statements, captions = steady.step_statements(res, opts)
    whole_lines, whole_captions = set(), set()
    for k in range(len(res.trace) + 1):
        source = to_dot(res, dataclasses.replace(opts, step=k))
        whole_lines |= {line for line in source.splitlines() if line.startswith('  "')}
        whole_captions.add(steady.html_attr(steady._graph_line(source), "label"))

    def nodes(lines):
        return {line for line in lines if " -> " not in line.split("[", 1)[0]}

    def edge_labels(lines):
        return {(re.search(r'id="([^"]+)"', line).group(1), steady.html_attr(line, "label"))
                for line in lines if " -> " in line.split("[", 1)[0] and " label=<" in line}

    assert nodes(statements) == nodes(whole_lines)
    assert edge_labels(statements) == edge_labels(whole_lines)
    assert edge_labels(whole_lines) or opts.detail == "compact"  # the compact drawing has no edge labels
    assert captions == whole_captions


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first line of every graph sent to the kept layout processes from now on (``digraph
    measure {`` for measuring, ``digraph computation {`` for a layout or a drawn step)."""
    seen: list[str] = []
    run_kept = kept.run_kept

    def counted(sources, *args, **kwargs):
        seen.extend(source.split("\n", 1)[0] for source in sources)
        return run_kept(sources, *args, **kwargs)

    monkeypatch.setattr(kept, "run_kept", counted)
    return seen


@pytest.mark.parametrize("program", PROGRAMS)
def test_new_numbers_that_fit_reuse_the_layout_and_longer_ones_get_a_new_one(program, runs):
    text = "a = x*y + z; b = (x + x)*a; w = a*b"
    opts = RenderOptions(layout_program=program, step=0, title=f"reuse {program}")
    first = gnn.evaluate(text, {"x": 1.234, "y": 2.345, "z": 3.456})
    pins = steady.shared_layout(first, opts, layout.find_program(program))
    assert runs == ["digraph measure {", "digraph computation {"]  # measured, then laid out
    runs.clear()
    # Whole numbers write shorter labels: every one fits the room made before, nothing moves.
    fits = gnn.evaluate(text, {"x": 1, "y": 2, "z": 3})
    assert steady.shared_layout(fits, opts, layout.find_program(program)) is pins
    assert runs == ["digraph measure {"]
    source, _ = steady.step_source(fits, dataclasses.replace(opts, step=len(fits.trace)))
    assert "= 1<" in source and pins[0]["n0"] in source
    runs.clear()
    # x = −123.4567 writes a longer label: laid out again, with room for it.
    longer = gnn.evaluate(text, {"x": -123.4567, "y": 2.345, "z": 3.456})
    again = steady.shared_layout(longer, opts, layout.find_program(program))
    assert runs == ["digraph measure {", "digraph computation {"] and again is not pins
    assert float(re.search(r'width="([0-9.]+)"', again[0]["n0"]).group(1)) > \
        float(re.search(r'width="([0-9.]+)"', pins[0]["n0"]).group(1))


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_players_layout_serves_the_single_steps_and_the_gif(program, runs):
    """The player's sheets and a single step (a download, the GIF's frames) collect the same
    versions: after the player, a step is only drawn (no measuring, no layout of its own)."""
    from graphviz_nn.export.player.sheets import drawing_pack

    res = gnn.evaluate("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1.5, "y": 2.25, "z": 3.125})
    opts = RenderOptions(layout_program=program, title=f"shared {program}")
    drawing_pack(res, opts)
    runs.clear()  # what follows the player
    export_bytes(res, "svg", dataclasses.replace(opts, step=4))
    assert runs == ["digraph computation {"]  # the pinned step drawn, nothing laid out


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("opts", [RenderOptions(), RenderOptions(theme="micrograd", color_by_sign=True),
                                  RenderOptions(theme="print", edge_text="both")], ids=["lecture", "micrograd", "print"])
def test_versions_that_differ_only_in_colour_and_pen_are_measured_once(program, opts, monkeypatch):
    """A node's versions differ mostly in colour and pen (highlighted at its step, grey while
    pending): each size is measured once, and every node still gets the largest size of its
    versions as the layout program measures each of them (the oracle: every version laid out)."""
    res = gnn.evaluate(*PARTIAL)
    prog = layout.find_program(program)
    statements, captions = steady.step_statements(res, opts)
    final = to_dot(res, dataclasses.replace(opts, step=len(res.trace)))
    versions = steady._versions([*statements, *final.splitlines()])
    nodes = {ident: [line for line in lines if " -> " not in line.split("[", 1)[0]] for ident, lines in versions.items()}
    nodes = {ident: lines for ident, lines in nodes.items() if lines}
    sent: list[str] = []
    json_layout = steady._json_layout
    monkeypatch.setattr(steady, "_json_layout", lambda source, *args: sent.append(source) or json_layout(source, *args))
    sizes, _ = steady._measure(final, versions, captions, prog, opts.timeout)
    measured = sent[0].count('\n  "m')
    assert measured < sum(len(lines) for lines in nodes.values())
    every = ["digraph every {", next(line for line in final.splitlines() if line.startswith("  node ["))]
    owner = {}
    for ident, lines in nodes.items():
        for line in lines:
            owner[f"v{len(owner)}"] = ident
            every.append(f'  "v{len(owner) - 1}" [{line.split(" [", 1)[1]}')
    found = json.loads(layout.run_layout("\n".join(every) + "\n}\n", "json", prog, opts.timeout))
    largest: dict[str, list[float]] = {}
    for obj in found["objects"]:
        extra = 0 if obj.get("shape") == "plain" else (int(obj.get("peripheries", "1") or 1) - 1) * 8 / 72
        w, h = largest.setdefault(owner[obj["name"]], [0.0, 0.0])
        largest[owner[obj["name"]]] = [max(w, float(obj["width"]) - extra), max(h, float(obj["height"]) - extra)]
    assert largest.keys() == sizes.keys()
    for ident, (width, height) in largest.items():
        got = [float(v) for v in re.findall(r'(?:width|height)="([0-9.]+)"', sizes[ident])]
        assert got == pytest.approx([width, height], abs=1e-3), ident


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("title", [None, "A wide bold title over the notes"])
def test_the_widest_caption_is_measured_as_one_table_of_every_row(program, title, monkeypatch):
    """Every caption of a pass is measured as one table of their distinct rows (as wide as the
    widest row): the same widest caption as measuring each caption on its own (the oracle),
    with a title row and without, with each program."""
    res = gnn.evaluate(*PARTIAL)
    prog = layout.find_program(program)
    opts = RenderOptions(title=title)
    statements, captions = steady.step_statements(res, opts)
    assert len(captions) > 3
    final = to_dot(res, dataclasses.replace(opts, step=len(res.trace)))
    versions = steady._versions([*statements, *final.splitlines()])
    sent: list[str] = []
    json_layout = steady._json_layout
    monkeypatch.setattr(steady, "_json_layout", lambda source, *args: sent.append(source) or json_layout(source, *args))
    sizes, widest = steady._measure(final, versions, captions, prog, opts.timeout)
    assert sent[0].count('"caption') == 1
    monkeypatch.setattr(steady, "_merged", sorted)  # each caption on its own
    assert steady._measure(final, versions, captions, prog, opts.timeout) == (sizes, widest)
    assert sent[-1].count('"caption') == len(captions)


def test_captions_of_another_form_are_measured_as_they_are():
    row = '<TR><TD ALIGN="LEFT">step 1</TD></TR>'
    plain = f"{steady._CAPTION_HEAD}{row}{steady._CAPTION_TAIL}"
    nested = f"{steady._CAPTION_HEAD}<TR><TD><TABLE><TR><TD>x</TD></TR></TABLE></TD></TR>{steady._CAPTION_TAIL}"
    assert steady._merged({plain, "<other>", nested}) == [plain, nested, "<other>"]
    two = f"{steady._CAPTION_HEAD}{row.replace('1', '2')}{row}{steady._CAPTION_TAIL}"
    assert steady._merged({plain, two}) == [f"{steady._CAPTION_HEAD}{row}{row.replace('1', '2')}{steady._CAPTION_TAIL}"]
