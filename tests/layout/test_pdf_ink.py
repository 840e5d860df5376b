"""Step PDFs as a reader sees them: every page rasterised (pdftoppm) has about the ink of the
same step drawn by the layout program as PNG at the same resolution.

Counting dark pixels catches what a byte-level test cannot: a curve filled as a solid blob,
a missing edge or node, text drawn in the wrong colour. The two renderers draw text with
different fonts, so the ink agrees to a tolerance, not exactly.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import graphviz_nn as gnn
from graphviz_nn.export import frames
from graphviz_nn.page.examples import EXAMPLES_DIR
from graphviz_nn.layout.program import find_program, run_layout
from graphviz_nn.draw.dot import RenderOptions
from graphviz_nn.layout.steady import step_source

pytestmark = pytest.mark.exe

#: Most a page's dark-pixel share may differ from the PNG of the same step (share of the page).
#: Fonts differ by ~1% of a page; a filled curve adds 5-8%.
INK_TOLERANCE = 0.025


def _dark(image: Image.Image) -> int:
    """Pixels darker than mid-grey."""
    return int((np.asarray(image.convert("L"), dtype=float) < 128).sum())


def _pages(pdf: bytes, tmp: Path) -> list[Image.Image]:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    (tmp / "steps.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "72", "-png", str(tmp / "steps.pdf"), str(tmp / "page")], check=True)
    return [Image.open(p) for p in sorted(tmp.glob("page-*.png"))]


def _step_png(res: gnn.Evaluation, options: RenderOptions) -> Image.Image:
    """The step as the layout program draws it at 72 dpi (one pixel a point, as the pages)."""
    source, extra = step_source(res, options)
    data = run_layout(source, "png", find_program("auto"), 60, ("-Gdpi=72", *extra))
    return Image.open(io.BytesIO(data))


CASES = [
    ("sin(x*y)/z + exp(x)", {"x": 1, "y": 2, "z": 3}, "micrograd"),
    ((EXAMPLES_DIR / "design.gnn").read_text(), {}, "lecture"),
    ((EXAMPLES_DIR / "cs231n_sigmoid_neuron.gnn").read_text(), {}, "print"),
]


@pytest.mark.parametrize("text, values, theme", CASES)
def test_step_pdf_pages_have_the_ink_of_the_drawn_steps(text: str, values: dict, theme: str,
                                                          tmp_path: Path) -> None:
    res = gnn.evaluate(text, values)
    options = RenderOptions(theme=theme)
    pages = _pages(frames.pdf_bytes(res, options), tmp_path)
    steps = frames.frame_options(res, options)
    assert len(pages) == len(steps)
    for k in sorted({1, len(steps) // 3, len(steps) // 2, len(steps) - 1}):
        page = pages[k]
        area = page.width * page.height
        pdf_share = _dark(page) / area
        png_share = _dark(_step_png(res, steps[k])) / area
        assert abs(pdf_share - png_share) < INK_TOLERANCE, (k, pdf_share, png_share)

