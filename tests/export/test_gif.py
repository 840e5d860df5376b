"""GIF frames drawn a region at a time (graphviz_nn.export.gif) against whole-frame drawings.

The oracle is every frame drawn whole by ``dot``: through one window over the whole drawing,
placed as the regions' windows are (:meth:`Plan.whole`), and the program's own whole drawing
(``frames._layout_all``, what the GIF was made of before). A frame built from the first frame and
the pasted windows must show the same pixels, within a tolerance: an anti-aliased line that lies
almost on a pixel edge can come out a few levels of 255 lighter or darker in a window than in
the whole frame (measured over every example, both themes: at most 14 levels, on at most 0.01 %
of a frame's pixels). The program's own whole drawing sits up to half a pixel off (it centres the
drawing in a whole number of pixels; the windows are placed by the bounding box its json gives to
two decimals), so at resolutions other than 96 dpi a glyph can land a pixel over: against it only
the share of pixels that differ is bounded; so it is at other resolutions against the whole
window (windows at some offsets round a glyph a pixel over: at 55.5 dpi, 0.05 % of a frame's
pixels in one frame of the cases below). The tolerance (no pixel off by more than 48 levels, at
most 0.1 % of a frame's pixels off at all) is far below what a missing region does: a step's text
or highlight left out differs by well over 100 levels over more pixels (checked below by breaking
the region logic on purpose).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.dot import RenderOptions
from graphviz_nn.export import frames, gif, windows
from graphviz_nn.layout import program as layout
from graphviz_nn.layout.steady import PIN_ARGS, step_source

exe = pytest.mark.exe

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAX_LEVELS = 48
MAX_SHARE = 0.001
EXPRESSION = ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})


def _example(slug: str) -> object:
    return gnn.evaluate((EXAMPLES / f"{slug}.gnn").read_text(encoding="utf-8"))


def _background(options: RenderOptions) -> tuple[int, int, int]:
    return (30, 30, 30) if options.background == "dark" else (255, 255, 255)


def _dot() -> layout.LayoutProgram:
    try:
        return layout.find_program("dot")
    except gnn.GnnError:
        pytest.skip("needs the system dot (windows are drawn by dot only)")


def _compare(res: object, options: RenderOptions, dpi: float | None = None) -> tuple[int, float, float]:
    """Every frame of the GIF's region drawing against the frame drawn whole: the largest
    difference of a channel (levels of 255) and the largest share of a frame's pixels that differ
    at all, against the frame drawn whole through one window placed as the regions' windows are
    (:meth:`~graphviz_nn.export.gif.Plan.whole`); and the largest share of pixels that differ at
    all from the program's own whole drawing (the old GIF's frame)."""
    steps = frames.frame_options(res, options)
    if dpi is None:
        dpi = frames.gif_dpi(frames._drawing_points(res, steps[-1]), len(steps))
    sources = frames._sources(res, steps)
    plan = gif.plan_regions(sources, _dot(), dpi, options.timeout)
    assert plan is not None, "a steady sequence drawn by dot is drawn by regions"
    regions = gif.region_frames(sources, _dot(), dpi, options.timeout, _background(options), plan)
    assert regions is not None
    wholes = windows.draw_all([plan.whole(k) for k in range(len(steps))], _dot(), options.timeout,
                              (*PIN_ARGS, f"-Gdpi={dpi:.2f}"))
    own = frames._layout_all(res, "png", steps, (f"-Gdpi={dpi:.2f}",), sources)
    canvas = regions.first.copy()
    worst, share, own_share = 0, 0.0, 0.0
    for k, (window, png) in enumerate(zip(wholes, own)):
        if k:
            for patch in regions.patches[k - 1]:
                canvas.paste(patch.image, (patch.left, patch.top))
        built = np.asarray(canvas, dtype=int)
        for drawn, mine in ((window, True), (png, False)):
            whole = np.asarray(windows.on_background(drawn, _background(options)), dtype=int)
            assert built.shape == whole.shape, k
            error = np.abs(built - whole).max(axis=2)
            if mine:
                worst, share = max(worst, int(error.max())), max(share, float((error > 0).mean()))
            else:
                own_share = max(own_share, float((error > 0).mean()))
    return worst, share, own_share


CASES = [
    ("expression white 96 dpi", lambda: gnn.evaluate(*EXPRESSION), RenderOptions(), None),
    ("expression dark 71.37 dpi", lambda: gnn.evaluate(*EXPRESSION), RenderOptions(background="dark"), 71.37),
    ("expression edge terms", lambda: gnn.evaluate(*EXPRESSION), RenderOptions(edge_text="both"), 55.5),
    ("cs231n_simple white", lambda: _example("cs231n_simple"), RenderOptions(theme="lecture"), None),
    ("micrograd_neuron dark", lambda: _example("micrograd_neuron"),
     RenderOptions(theme="lecture", background="dark"), None),
    ("mit_4layer_chain rows", lambda: _example("mit_4layer_chain"), RenderOptions(), None),  # subgraphs
]


@exe
@pytest.mark.parametrize("name, make, options, dpi", CASES, ids=[c[0] for c in CASES])
def test_region_frames_show_the_whole_frames(name: str, make, options: RenderOptions, dpi: float | None) -> None:
    worst, share, own_share = _compare(make(), options, dpi)
    assert share <= MAX_SHARE and own_share <= MAX_SHARE, (worst, share, own_share)
    if dpi is None:  # 96 dpi: a point is 4/3 pixel and windows agree to a few levels
        assert worst <= MAX_LEVELS, (worst, share, own_share)


@exe
@pytest.mark.parametrize("breakage", ["a changed statement left out", "boxes too small", "no caption",
                                      "windows cut too much"])
def test_a_broken_region_logic_is_caught(monkeypatch: pytest.MonkeyPatch, breakage: str) -> None:
    """The comparison above fails when the regions miss what a step changes."""
    if breakage == "a changed statement left out":
        real = gif.changed_ids
        monkeypatch.setattr(gif, "changed_ids", lambda a, b: set(sorted(real(a, b))[1:]))
    elif breakage == "boxes too small":
        monkeypatch.setattr(gif, "MARGIN", -12.0)
    elif breakage == "windows cut too much":  # every statement with a box dropped from the windows
        monkeypatch.setattr(windows, "_meets", lambda a, b: False)
    else:
        real_plan = gif.plan_regions

        def without_caption(*args: object) -> gif.Plan | None:
            plan = real_plan(*args)  # type: ignore[arg-type]
            assert plan is not None
            for boxes in plan.rects.values():  # the caption's band starts at the top
                boxes[:] = [box for box in boxes if box[1] > 0]
            return plan

        monkeypatch.setattr(gif, "plan_regions", without_caption)
    worst, share, _ = _compare(gnn.evaluate(*EXPRESSION), RenderOptions())
    assert worst > MAX_LEVELS and share > MAX_SHARE, (worst, share)


@exe
def test_other_programs_and_unpinned_sequences_are_drawn_whole() -> None:
    res = gnn.evaluate(*EXPRESSION)
    steps = frames.frame_options(res, RenderOptions())
    sources = frames._sources(res, steps)
    pure = layout.LayoutProgram("graphviz-pure", "/nonexistent/graphviz-pure")
    assert gif.plan_regions(sources, pure, 96.0, 60.0) is None  # decided before any run
    unpinned = frames._sources(res, frames.frame_options(res, RenderOptions(steady=False)))
    assert all(args == () for _, args in unpinned)
    assert gif.plan_regions(unpinned, _dot(), 96.0, 60.0) is None
    assert gif.plan_regions(sources, _dot(), 96.0, 60.0) is not None


@exe
@pytest.mark.parametrize("options", [RenderOptions(steady=False), RenderOptions(layout_program="graphviz-pure")],
                         ids=["unpinned", "graphviz-pure"])
def test_whole_frame_gifs_still_work(options: RenderOptions) -> None:
    from PIL import Image

    if options.layout_program == "graphviz-pure" and layout.locate("graphviz-pure") is None:
        pytest.skip("graphviz-pure is not installed")
    res = gnn.evaluate("x*y + x", {"x": 2, "y": 3})
    image = Image.open(io.BytesIO(frames.gif_bytes(res, options)))
    assert image.n_frames == frames.frame_count(res) == 10


OPTION_SETS = [RenderOptions(), RenderOptions(background="dark", edge_text="both"),
               RenderOptions(theme="lecture", color_by_sign=True), RenderOptions(rankdir="TB", show_grads=False)]


@exe
@pytest.mark.parametrize("options", OPTION_SETS, ids=["default", "dark-both", "lecture-sign", "tb-nograds"])
@pytest.mark.parametrize("slug", ["mit_4layer_chain", "micrograd_neuron"])
def test_step_texts_are_the_frames_written_whole(slug: str, options: RenderOptions) -> None:
    """The frames' DOT texts written step by step are the texts of each frame written alone."""
    res = _example(slug)
    steps = frames.frame_options(res, options)
    assert frames._step_texts(res, steps) is not None
    assert frames._sources(res, steps) == [step_source(res, s) for s in steps]


def test_merge_boxes_and_changed_ids() -> None:
    assert gif.merge_boxes([(0, 0, 10, 10), (20, 0, 30, 10)], slack=0) == [(0, 0, 10, 10), (20, 0, 30, 10)]
    assert gif.merge_boxes([(0, 0, 10, 10), (20, 0, 30, 10)], slack=100) == [(0, 0, 30, 10)]
    assert gif.merge_boxes([(0, 0, 10, 10), (5, 0, 15, 10)], slack=0) == [(0, 0, 15, 10)]
    assert gif.changed_ids({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == {"b", "c"}


@exe
def test_statement_boxes_cover_a_nodes_pinned_size() -> None:
    drawing = {"objects": [{"id": "n1", "pos": "100,50", "width": "1", "height": "0.5", "penwidth": "2"}],
               "edges": [{"id": "e1", "_draw_": [{"op": "b", "points": [[0, 0], [10, 20], [30, 40], [50, 60],
                                                                         [100, 70], [150, 90], [200, 100]]}]}]}
    boxes = gif.statement_boxes(drawing, {})
    grow = 2 + gif.MARGIN
    assert boxes["n1"] == [pytest.approx((64 - grow, 32 - grow, 136 + grow, 68 + grow))]
    # a curve of two cubic segments: a box each
    grow = 1 + gif.MARGIN
    assert boxes["e1"] == [pytest.approx((0 - grow, 0 - grow, 50 + grow, 60 + grow)),
                           pytest.approx((50 - grow, 60 - grow, 200 + grow, 100 + grow))]


def test_window_source_keeps_what_draws_under_the_window() -> None:
    text = ('digraph g {\n  graph [label="x"]\n  "a" [id="a" pos="0,0!"]\n  "b" [id="b" pos="500,0!"]\n'
            '  "c" [id="c" pos="900,0!"]\n  "d" [id="d" pos="300,0!"]\n  "e" [shape="point" pos="9,9!"]\n'
            '  "a" -> "b" [id="a-b" pos="e,490,0 10,0"]\n  "c" -> "d" [id="c-d" pos="e,310,0 890,0"]\n'
            '  { subgraph "cluster_r" { label="" "a" "c" "d" } }\n}\n')
    boxes = {"a": [(-10, -10, 10, 10)], "b": [(490, -10, 510, 10)], "c": [(890, -10, 910, 10)],
             "d": [(290, -10, 310, 10)], "a-b": [(10, -5, 490, 5)], "c-d": [(310, -5, 890, 5)]}
    frame = (-20, -20, 920, 20)  # the pinned corners: every statement inside
    # under the window: b, both edges, so their ends a, c and d
    cut = windows.window_source(text, windows.droppable(boxes, frame), (480, -20, 520, 20))
    assert cut == text
    cut = windows.window_source(text, windows.droppable(boxes, frame), (-20, -20, 20, 20))  # a, so the edge a-b, so b
    assert cut == ('digraph g {\n  graph [label="x"]\n  "a" [id="a" pos="0,0!"]\n  "b" [id="b" pos="500,0!"]\n'
                   '  "e" [shape="point" pos="9,9!"]\n  "a" -> "b" [id="a-b" pos="e,490,0 10,0"]\n'
                   '  { subgraph "cluster_r" { label="" "a" } }\n}\n')
    assert windows.window_source(text, windows.droppable(boxes, frame), (-1000, -1000, 2000, 1000)) == text
    # what reaches beyond the corners widens the drawing (so moves the window): it stays
    beyond = windows.droppable(boxes, (-20, -20, 900, 20))
    assert windows.window_source(text, beyond, (-20, -20, 20, 20)) == text.replace(
        '  "d" [id="d" pos="300,0!"]\n', "").replace('  "c" -> "d" [id="c-d" pos="e,310,0 890,0"]\n', "").replace(
        ' "a" "c" "d" }', ' "a" "c" }')


@exe
@pytest.mark.parametrize("options", [RenderOptions(), RenderOptions(steady=False)], ids=["steady", "unpinned"])
def test_drawing_size_from_the_last_source_is_the_finished_drawings(options: RenderOptions) -> None:
    """The GIF's resolution is read from the last frame's text the sequence already has: the
    same size as the finished drawing laid out on its own."""
    res = gnn.evaluate(*EXPRESSION)
    steps = frames.frame_options(res, options)
    sources = frames._sources(res, steps)
    points = frames._drawing_points(res, steps[-1], sources[-1])
    assert points == frames._drawing_points(res, steps[-1])
    assert frames._drawing_points(res, steps[-1], ("digraph g { a }\n", ())) != points  # the text given is read
