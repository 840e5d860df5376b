"""GIF frames drawn a region at a time (graphviz_nn.export.gif) against whole-frame drawings.

The oracle is the layout program's own drawing of every frame whole (``frames._layout_all``,
what the GIF was made of before). A frame built from the first frame and the pasted windows must
show the same pixels, within a tolerance: ``dot`` places a window by the drawing's bounding box,
which its json text gives to two decimals, and a window's offset is then a few thousandths of a
pixel off the whole frame's; an anti-aliased line that lies almost on a pixel edge can come out a
few levels of 255 lighter or darker (measured over every example, both themes: at most 13 levels,
on at most 0.01 % of a frame's pixels). The tolerance (no pixel off by more than 48 levels, at most
0.1 % of pixels off at all) is far below what a missing or misplaced region does: a step's text or
highlight left out differs by well over 100 levels over hundreds of pixels (checked below by
breaking the region logic on purpose).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.dot import RenderOptions
from graphviz_nn.export import frames, gif
from graphviz_nn.layout import program as layout
from graphviz_nn.layout.steady import step_source

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


def _compare(res: object, options: RenderOptions, dpi: float | None = None) -> tuple[int, float]:
    """The worst frame of the GIF's region drawing against whole-frame drawings: the largest
    difference of a channel (levels of 255) and the largest share of pixels that differ at all."""
    steps = frames.frame_options(res, options)
    if dpi is None:
        dpi = frames.gif_dpi(frames._drawing_points(res, steps[-1]), len(steps))
    sources = frames._sources(res, steps)
    regions = gif.region_frames(sources, _dot(), dpi, options.timeout, _background(options))
    assert regions is not None, "a steady sequence drawn by dot is drawn by regions"
    wholes = frames._layout_all(res, "png", steps, (f"-Gdpi={dpi:.2f}",), sources)
    canvas = regions.first.copy()
    worst, share = 0, 0.0
    for k, png in enumerate(wholes):
        if k:
            for patch in regions.patches[k - 1]:
                canvas.paste(patch.image, (patch.left, patch.top))
        drawn = np.asarray(gif._on_background(png, _background(options)), dtype=int)
        built = np.asarray(canvas, dtype=int)
        assert built.shape == drawn.shape, k
        error = np.abs(built - drawn).max(axis=2)
        worst, share = max(worst, int(error.max())), max(share, float((error > 0).mean()))
    return worst, share


CASES = [
    ("expression white 96 dpi", lambda: gnn.evaluate(*EXPRESSION), RenderOptions(), None),
    ("expression dark 71.37 dpi", lambda: gnn.evaluate(*EXPRESSION), RenderOptions(background="dark"), 71.37),
    ("expression edge terms", lambda: gnn.evaluate(*EXPRESSION), RenderOptions(edge_text="both"), 55.5),
    ("cs231n_simple white", lambda: _example("cs231n_simple"), RenderOptions(theme="lecture"), None),
    ("micrograd_neuron dark", lambda: _example("micrograd_neuron"),
     RenderOptions(theme="lecture", background="dark"), None),
]


@exe
@pytest.mark.parametrize("name, make, options, dpi", CASES, ids=[c[0] for c in CASES])
def test_region_frames_show_the_whole_frames(name: str, make, options: RenderOptions, dpi: float | None) -> None:
    worst, share = _compare(make(), options, dpi)
    assert worst <= MAX_LEVELS and share <= MAX_SHARE, (worst, share)


@exe
@pytest.mark.parametrize("breakage", ["a changed statement left out", "boxes too small", "no caption"])
def test_a_broken_region_logic_is_caught(monkeypatch: pytest.MonkeyPatch, breakage: str) -> None:
    """The comparison above fails when the regions miss what a step changes."""
    if breakage == "a changed statement left out":
        real = gif.changed_ids
        monkeypatch.setattr(gif, "changed_ids", lambda a, b: set(sorted(real(a, b))[1:]))
    elif breakage == "boxes too small":
        monkeypatch.setattr(gif, "MARGIN", -12.0)
    else:
        real_plan = gif.plan_regions

        def without_caption(*args: object) -> gif.Plan | None:
            plan = real_plan(*args)  # type: ignore[arg-type]
            assert plan is not None
            for boxes in plan.rects.values():  # the caption's band starts at the top
                boxes[:] = [box for box in boxes if box[1] > 0]
            return plan

        monkeypatch.setattr(gif, "plan_regions", without_caption)
    worst, share = _compare(gnn.evaluate(*EXPRESSION), RenderOptions())
    assert worst > MAX_LEVELS, (worst, share)


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
    assert gif.merge_boxes([(0, 0, 10, 10), (9, 9, 12, 12)], slack=0) == [(0, 0, 12, 12)]
    assert gif.changed_ids({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == {"b", "c"}


@exe
def test_statement_boxes_cover_a_nodes_pinned_size() -> None:
    drawing = {"objects": [{"id": "n1", "pos": "100,50", "width": "1", "height": "0.5", "penwidth": "2"}],
               "edges": [{"id": "e1", "_draw_": [{"op": "b", "points": [[0, 0], [10, 20], [30, 40], [50, 60]]}]}]}
    boxes = gif.statement_boxes(drawing, {})
    grow = 2 + gif.MARGIN
    assert boxes["n1"] == pytest.approx((64 - grow, 32 - grow, 136 + grow, 68 + grow))
    assert boxes["e1"] == pytest.approx((-1 - gif.MARGIN, -1 - gif.MARGIN, 51 + gif.MARGIN, 61 + gif.MARGIN))
