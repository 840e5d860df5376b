"""Step sequences: numbered SVG frames (zip or directory), animated GIF, multi-page PDF."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.export import frames
from graphviz_nn.errors import LimitError
from graphviz_nn.layout.pdf import xdot_json_pages_to_pdf
from graphviz_nn.draw.dot import RenderOptions


exe = pytest.mark.exe  # skipped by conftest.py only where no layout program exists


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF, counted as /Type /Page objects (not /Pages)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


# (expression, values, nodes + 1 seed + edges out of non-constants): frames are that plus
# the bare graph (nothing flows back to the constants 2 and 3 of x^2 + 3xy)
CASES = [
    ("x*y + x", {"x": 2, "y": 3}, 4 + 1 + 4),
    ("x^2 + 3xy", {"x": 3, "y": 2}, 8 + 1 + 6),
]


@pytest.mark.parametrize("text, values, trace_length", CASES)
def test_frame_count_is_trace_length_plus_one(text: str, values: dict, trace_length: int) -> None:
    res = gnn.evaluate(text, values)
    assert len(res.trace) == trace_length
    assert frames.frame_count(res) == trace_length + 1
    assert [o.step for o in frames.frame_options(res)] == list(range(trace_length + 1))


def test_too_many_frames_is_a_clear_error() -> None:
    res = gnn.evaluate("x*y + x", {"x": 2, "y": 3})
    with pytest.raises(LimitError, match="10 steps is too many frames \\(at most 5\\)"):
        frames.frame_options(res, max_frames=5)


@exe
def test_svg_zip_has_numbered_parsing_frames() -> None:
    res = gnn.evaluate("x*y + x", {"x": 2, "y": 3})
    archive = zipfile.ZipFile(io.BytesIO(frames.svg_zip(res)))
    names = archive.namelist()
    assert names == [f"step-{k:03d}.svg" for k in range(10)]
    for name in names:
        ET.fromstring(archive.read(name))
    assert b"the bare graph" in archive.read("step-000.svg")
    assert b"step 9 of 9" in archive.read("step-009.svg")


@exe
def test_gif_opens_with_one_frame_per_step() -> None:
    from PIL import Image

    res = gnn.evaluate("x*y + x", {"x": 2, "y": 3})
    data = frames.gif_bytes(res, RenderOptions(edge_text="both"), seconds_per_frame=0.5)
    assert data[:6] in (b"GIF87a", b"GIF89a")
    image = Image.open(io.BytesIO(data))
    assert image.n_frames == frames.frame_count(res) == 10
    assert image.info.get("duration") == 500


@exe
def test_gif_frames_show_the_drawn_frames_in_their_colours() -> None:
    """One palette for every frame (made from a few of them): each frame of the GIF is its PNG
    frame within the error of 255 colours (anti-aliased edges), and no step's colours are lost."""
    from PIL import Image

    res = gnn.evaluate("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})
    options = RenderOptions()
    data = frames.gif_bytes(res, options)
    steps = frames.frame_options(res, options)
    dpi = frames.gif_dpi(frames._drawing_points(res, steps[-1]), len(steps))
    pngs = frames._layout_all(res, "png", steps, (f"-Gdpi={dpi:.2f}",))
    gif = Image.open(io.BytesIO(data))
    assert gif.n_frames == len(pngs)
    for k, png in enumerate(pngs):
        gif.seek(k)
        shown = np.asarray(gif.convert("RGB"), dtype=int)
        drawn = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
        error = np.abs(shown - drawn).max(axis=2)
        assert error.mean() < 3 and (error > 40).mean() < 0.001, k


@exe
def test_pdf_has_one_page_per_step() -> None:
    res = gnn.evaluate("x^2 + 3xy", {"x": 3, "y": 2})
    data = frames.pdf_bytes(res, RenderOptions(theme="print"))
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert pdf_pages(data) == 16  # 15 steps and the bare graph
    assert re.search(rb"/Count 16\b", data)
    sizes = set(re.findall(rb"/MediaBox \[([^\]]*)\]", data))
    assert len(sizes) == 1  # every page as large as the largest: flipping does not jump


def test_pdf_writer_pages_without_a_layout_program() -> None:
    drawing = b'{"bb": "0,0,100,50", "objects": [], "edges": []}'
    small = b'{"bb": "0,0,40,20", "objects": [], "edges": []}'
    data = xdot_json_pages_to_pdf([drawing, small, drawing])
    assert pdf_pages(data) == 3 and b"/Count 3" in data


@exe
def test_cli_steps_to_directory_gif_and_pdf(tmp_path: Path) -> None:
    def run(out: Path) -> None:
        done = subprocess.run([sys.executable, "-m", "graphviz_nn", "steps", "x*y + x", "--at", "x=2", "--at", "y=3",
                               "-o", str(out)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    run(tmp_path / "frames")
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [f"step-{k:03d}.svg" for k in range(10)]
    run(tmp_path / "steps.pdf")
    assert pdf_pages((tmp_path / "steps.pdf").read_bytes()) == 10
    run(tmp_path / "steps.gif")
    assert (tmp_path / "steps.gif").read_bytes()[:3] == b"GIF"
    bad = subprocess.run([sys.executable, "-m", "graphviz_nn", "steps", "x*y", "--at", "x=2", "--at", "y=3",
                          "-o", str(tmp_path / "steps.mp4")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "OUT.gif, OUT.pdf, OUT.zip or a directory" in bad.stderr
