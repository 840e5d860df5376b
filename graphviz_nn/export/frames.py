"""Step sequences: every forward and backward step as a frame, for slides and handouts.

Frame ``k`` is the picture after the first ``k`` trace steps (``RenderOptions.step = k``), so a
sequence has ``len(trace) + 1`` frames: the bare graph, one per forward step, the seed, and one
per backward edge. Three containers:

* :func:`svg_zip` — numbered SVG files ``step-000.svg``, ``step-001.svg``, … in a zip;
* :func:`gif_bytes` — an animated GIF (Pillow) from PNG frames padded to the largest size;
* :func:`pdf_bytes` — a multi-page PDF, one step a page, written by :mod:`graphviz_nn.layout.pdf` from
  the layout program's ``-Tjson`` drawings (works with ``dot`` and with ``graphviz-pure``).

Layout programs run a few at a time; a sequence longer than :data:`MAX_FRAMES` is refused with
a message saying how long it would be.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from ..layout import program as layout
from ..errors import LimitError, RenderError
from ..draw.dot import RenderOptions, graph_and_trace
from ..layout.steady import step_source

__all__ = ["MAX_FRAMES", "STEP_FORMATS", "frame_count", "frame_options", "svg_frames", "svg_zip",
           "gif_bytes", "pdf_bytes", "steps_bytes", "write_steps", "frame_name"]

MAX_FRAMES = 400
"""Most frames one sequence may have (each one runs the layout program)."""
STEP_FORMATS = ("zip", "gif", "pdf")
GIF_DPI = 96
_WORKERS = 4


def frame_count(res: Any) -> int:
    """How many frames the sequence of ``res`` has: trace length + 1."""
    _, trace = graph_and_trace(res)
    if not trace:
        raise RenderError("this result has no trace to step through")
    return len(trace) + 1


def frame_name(k: int) -> str:
    """``step-007.svg``: zero-padded so files sort in step order."""
    return f"step-{k:03d}.svg"


def frame_options(res: Any, options: RenderOptions | None = None,
                  max_frames: int = MAX_FRAMES) -> list[RenderOptions]:
    """The options of every frame (``step`` = 0 … len(trace)); refuses too many frames."""
    count = frame_count(res)
    if count > max_frames:
        raise LimitError(f"{count} steps is too many frames (at most {max_frames}); draw single steps "
                         "with graphviz-nn render --step K, or use a smaller problem")
    base = options if options is not None else RenderOptions()
    return [dataclasses.replace(base, step=k) for k in range(count)]


def _run_all(make: Callable[[RenderOptions], bytes], frames: list[RenderOptions]) -> list[bytes]:
    """Run ``make`` on every frame, a few layout programs at a time, keeping the order (the
    last frame first: the finished drawing that steady frames are pinned to is laid out once)."""
    if len(frames) <= 2:
        return [make(f) for f in frames]
    last = make(frames[-1])
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        return list(pool.map(make, frames[:-1])) + [last]


def _layout(res: Any, fmt: str, extra: tuple[str, ...] = ()) -> Callable[[RenderOptions], bytes]:
    def make(opts: RenderOptions) -> bytes:
        program = layout.find_program(opts.layout_program)
        source, pinned = step_source(res, opts)
        return layout.run_layout(source, fmt, program, opts.timeout, extra + pinned)

    return make


def svg_frames(res: Any, options: RenderOptions | None = None, max_frames: int = MAX_FRAMES) -> list[bytes]:
    """Every frame as SVG bytes, frame 0 first."""
    return _run_all(_layout(res, "svg"), frame_options(res, options, max_frames))


def svg_zip(res: Any, options: RenderOptions | None = None, max_frames: int = MAX_FRAMES) -> bytes:
    """A zip of ``step-000.svg`` … ``step-NNN.svg``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for k, svg in enumerate(svg_frames(res, options, max_frames)):
            archive.writestr(frame_name(k), svg)
    return buffer.getvalue()


def gif_bytes(res: Any, options: RenderOptions | None = None, seconds_per_frame: float = 1.0,
              max_frames: int = MAX_FRAMES) -> bytes:
    """An animated GIF of every step, looping; frames are padded to the largest one."""
    from PIL import Image

    frames = frame_options(res, options, max_frames)
    pngs = _run_all(_layout(res, "png", (f"-Gdpi={GIF_DPI}",)), frames)
    images = [Image.open(io.BytesIO(data)).convert("RGBA") for data in pngs]
    width = max(im.width for im in images)
    height = max(im.height for im in images)
    background = (30, 30, 30, 255) if frames[0].background == "dark" else (255, 255, 255, 255)
    padded = []
    for im in images:
        canvas = Image.new("RGBA", (width, height), background)
        canvas.alpha_composite(im)
        padded.append(canvas.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=255))
    out = io.BytesIO()
    padded[0].save(out, "GIF", save_all=True, append_images=padded[1:], loop=0,
                   duration=max(20, int(seconds_per_frame * 1000)), optimize=False, disposal=1)
    return out.getvalue()


def pdf_bytes(res: Any, options: RenderOptions | None = None, max_frames: int = MAX_FRAMES) -> bytes:
    """A multi-page PDF, one step a page, every page the size of the largest."""
    from ..layout.pdf import xdot_json_pages_to_pdf

    drawings = _run_all(_layout(res, "json"), frame_options(res, options, max_frames))
    return xdot_json_pages_to_pdf(drawings)


def steps_bytes(res: Any, fmt: str, options: RenderOptions | None = None,
                seconds_per_frame: float = 1.0, max_frames: int = MAX_FRAMES) -> bytes:
    """The sequence as one file: ``fmt`` is ``zip`` (SVG frames), ``gif`` or ``pdf``."""
    if fmt == "zip":
        return svg_zip(res, options, max_frames)
    if fmt == "gif":
        return gif_bytes(res, options, seconds_per_frame, max_frames)
    if fmt == "pdf":
        return pdf_bytes(res, options, max_frames)
    raise RenderError(f"unknown step format {fmt!r}; choose one of: {', '.join(STEP_FORMATS)}")


def write_steps(res: Any, path: str | Path, options: RenderOptions | None = None,
                seconds_per_frame: float = 1.0, max_frames: int = MAX_FRAMES) -> list[Path]:
    """Write the sequence to ``path``: ``.gif``, ``.pdf``, ``.zip``, or a directory (no suffix,
    or an existing folder) that receives ``step-000.svg`` …; returns the files written."""
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    try:
        if suffix in STEP_FORMATS and not target.is_dir():
            target.write_bytes(steps_bytes(res, suffix, options, seconds_per_frame, max_frames))
            return [target]
        if suffix and not target.is_dir():
            raise RenderError(f"cannot tell what to write to {str(target)!r}; use OUT.gif, OUT.pdf, "
                              "OUT.zip or a directory")
        frames = svg_frames(res, options, max_frames)
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for k, svg in enumerate(frames):
            file = target / frame_name(k)
            file.write_bytes(svg)
            written.append(file)
        return written
    except OSError as exc:
        raise RenderError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from exc
