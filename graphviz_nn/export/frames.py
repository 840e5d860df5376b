"""Step sequences: every forward and backward step as a frame, for slides and handouts.

Frame ``k`` is the picture after the first ``k`` trace steps (``RenderOptions.step = k``), so a
sequence has ``len(trace) + 1`` frames: the bare graph, one per forward step, the seed, and one
per backward edge. Three containers:

* :func:`svg_zip` — numbered SVG files ``step-000.svg``, ``step-001.svg``, … in a zip;
* :func:`gif_bytes` — an animated GIF: a steady sequence's frames drawn a region at a time and
  written from their patches (:mod:`graphviz_nn.export.gifwrite`), others by Pillow from PNG
  frames padded to the largest size;
* :func:`pdf_bytes` — a multi-page PDF, one step a page, written by :mod:`graphviz_nn.layout.pdf` from
  the layout program's ``-Tjson`` drawings (works with ``dot`` and with ``graphviz-pure``).

Layout programs run a few at a time; a sequence longer than :data:`MAX_FRAMES` is refused with
a message saying how long it would be.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

from ..layout import program as layout
from ..errors import LimitError, RenderError, ValueInputError
from ..draw.dot import RenderOptions, graph_and_trace
from ..layout import kept
from ..draw.steps import step_changes
from ..layout.steady import PIN_ARGS, html_attr, pin, shared_layout, step_source
from .writing import write_bytes, write_folder

__all__ = ["MAX_FRAMES", "STEP_FORMATS", "frame_count", "frame_options", "svg_frames", "svg_zip",
           "gif_bytes", "pdf_bytes", "steps_bytes", "write_steps", "frame_name", "FRAME_PATTERN",
           "check_seconds", "gif_dpi", "steps_text"]

MAX_FRAMES = 400
"""Most frames one sequence may have (each one runs the layout program)."""
STEP_FORMATS = ("zip", "gif", "pdf")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Date of every file in a step zip: a fixed one, so a zip is the same bytes run to run."""
GIF_DPI = 96
"""Resolution of GIF frames when the drawing is small enough."""
MIN_GIF_DPI = 40
"""Lowest resolution a GIF is drawn at (below it labels cannot be read)."""
MAX_FRAME_PIXELS = 4_000_000
"""Most pixels of one GIF frame (the resolution is lowered to fit)."""
MAX_GIF_PIXELS = 200_000_000
"""Most pixels of all GIF frames together (the resolution is lowered to fit; one byte each)."""
MAX_SECONDS = 655.35
"""Longest a GIF frame can show (GIF stores hundredths of a second in 16 bits)."""
_PAD = 4.0  # points Graphviz adds around a drawing (its default pad)
_BATCHES = 2  # layout runs at a time for a whole sequence, each drawing a share of the frames


def frame_count(res: Any) -> int:
    """How many frames the sequence of ``res`` has: trace length + 1."""
    _, trace = graph_and_trace(res)
    if not trace:
        raise RenderError("this result has no trace to step through")
    return len(trace) + 1


FRAME_PATTERN = r"step-\d{3,}\.svg"
"""File names of frames (:func:`frame_name`); a folder's old frames are found by it."""


def steps_text(last: int) -> str:
    """How every view names a whole sequence: steps are numbered 0 (the bare graph) to ``last``
    (= the trace length, "step k of last"), so there are ``last + 1`` frames.

    >>> steps_text(23)
    'steps 0–23 (24 frames)'
    """
    return f"steps 0–{last} ({last + 1} frames)"


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


def _layout(res: Any, fmt: str, extra: tuple[str, ...] = ()) -> Callable[[RenderOptions], bytes]:
    def make(opts: RenderOptions) -> bytes:
        program = layout.find_program(opts.layout_program)
        source, pinned = step_source(res, opts)
        return kept.run_kept([source], fmt, program, opts.timeout, extra + pinned)[0]

    return make


def _sources(res: Any, frames: list[RenderOptions]) -> list[tuple[str, tuple[str, ...]]]:
    """Every frame's DOT text and layout arguments, as :func:`~graphviz_nn.layout.steady.step_source`
    gives them. A steady sequence's texts are written step by step (:func:`_step_texts`) and
    pinned to the one shared layout."""
    last = frames[-1]
    texts = _step_texts(res, frames) if last.steady and len(frames) > 2 else None
    if texts is None:
        first = step_source(res, last)  # the finished drawing first: it lays out the pins
        return [step_source(res, f) for f in frames[:-1]] + [first]
    program = layout.find_program(last.layout_program)
    pins = shared_layout(res, last, program, whole={len(texts) - 1: texts[-1], 0: texts[0]})
    out = []
    for text in texts:
        pinned = pin(text, pins)
        out.append((pinned, PIN_ARGS) if pinned is not None else (text, ()))
    return out


def _step_texts(res: Any, frames: list[RenderOptions]) -> list[str] | None:
    """:func:`~graphviz_nn.draw.dot.to_dot` of every frame, written as the step player writes
    its sheets: the first frame whole, then each step's changed statements
    (:func:`~graphviz_nn.draw.steps.step_changes`) and caption put in place of the ones before;
    ``None`` when a step changes what cannot be put in place (then each frame is written whole)."""
    whole: dict[int, str] = {}
    texts: list[str] = []
    lines: list[str] = []
    where: dict[str, int] = {}
    graph = -1
    for k, statements, caption in step_changes(res, frames[0], True, whole):
        if k == 0 or k == len(frames) - 1:
            texts.append(whole[k])  # written whole by step_changes
            if k == 0:
                lines = whole[0].splitlines()
                graph = next((i for i, line in enumerate(lines) if line.startswith("  graph [")), -1)
                for i, line in enumerate(lines):
                    found = _ID.match(line)
                    if found is not None:
                        where[found.group(1)] = i
            continue
        for line in statements:
            found = _ID.match(line)
            if found is None or found.group(1) not in where:
                return None
            lines[where[found.group(1)]] = line
        old = html_attr(lines[graph], "label") if graph >= 0 else None
        if (old is None) != (caption is None):
            return None
        if old is not None and caption is not None:
            lines[graph] = lines[graph].replace(f" label={old}", f" label={caption}", 1)
        texts.append("\n".join(lines) + "\n")
    return texts if len(texts) == len(frames) else None


_ID = re.compile(r'^\s+"(?:[^"\\]|\\.)*"(?: -> "(?:[^"\\]|\\.)*")? \[id="((?:[^"\\]|\\.)*)"')


def _layout_all(res: Any, fmt: str, frames: list[RenderOptions], extra: tuple[str, ...] = (),
                sources: list[tuple[str, tuple[str, ...]]] | None = None) -> list[bytes]:
    """Every frame laid out, in order, with few processes: the frames that share layout
    arguments (the pinned ones) go through :func:`~graphviz_nn.layout.kept.run_kept` in one run per
    worker (a kept process), since starting the program costs more than drawing a small pinned frame.
    ``sources``: the frames' :func:`_sources`, when the caller has them."""
    if len(frames) <= 2 and sources is None:
        return [_layout(res, fmt, extra)(f) for f in frames]
    if sources is None:
        sources = _sources(res, frames)
    program = layout.find_program(frames[0].layout_program)
    by_args: dict[tuple[str, ...], list[int]] = {}
    for k, (_, pinned) in enumerate(sources):
        by_args.setdefault(pinned, []).append(k)
    jobs = [(pinned, group[i::_BATCHES]) for pinned, group in by_args.items() for i in range(_BATCHES)]
    jobs = [(pinned, ks) for pinned, ks in jobs if ks]

    def run(job: tuple[tuple[str, ...], list[int]]) -> list[bytes]:
        pinned, ks = job
        return kept.run_kept([sources[k][0] for k in ks], fmt, program, frames[0].timeout, extra + pinned)

    out: list[bytes] = [b""] * len(frames)
    with ThreadPoolExecutor(max_workers=_BATCHES) as pool:
        for (_, ks), drawn in zip(jobs, pool.map(run, jobs)):
            for k, data in zip(ks, drawn):
                out[k] = data
    return out


def svg_frames(res: Any, options: RenderOptions | None = None, max_frames: int = MAX_FRAMES) -> list[bytes]:
    """Every frame as SVG bytes, frame 0 first."""
    return _layout_all(res, "svg", frame_options(res, options, max_frames))


def svg_zip(res: Any, options: RenderOptions | None = None, max_frames: int = MAX_FRAMES) -> bytes:
    """A zip of ``step-000.svg`` … ``step-NNN.svg``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for k, svg in enumerate(svg_frames(res, options, max_frames)):
            entry = zipfile.ZipInfo(frame_name(k), date_time=ZIP_DATE)  # the same bytes every run
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(entry, svg)
    return buffer.getvalue()


def check_seconds(seconds_per_frame: float) -> int:
    """Milliseconds a GIF frame shows: from 0.02 s to 655.35 s (what GIF can store)."""
    if not math.isfinite(seconds_per_frame) or not 0.02 <= seconds_per_frame <= MAX_SECONDS:
        raise ValueInputError(f"seconds per frame must be a number from 0.02 to {MAX_SECONDS}, "
                              f"got {seconds_per_frame!r}")
    return round(seconds_per_frame * 1000)


def gif_dpi(points: tuple[float, float], count: int) -> float:
    """Resolution of the GIF frames: :data:`GIF_DPI`, lowered so that one frame has at most
    :data:`MAX_FRAME_PIXELS` and all frames together at most :data:`MAX_GIF_PIXELS` pixels
    (``points`` is the drawing's size at 72 per inch). Refuses what would be unreadably small."""
    width, height = (max(1.0, p) * GIF_DPI / 72 for p in points)
    scale = min(1.0, math.sqrt(MAX_FRAME_PIXELS / (width * height)),
                math.sqrt(MAX_GIF_PIXELS / (count * width * height)))
    if GIF_DPI * scale < MIN_GIF_DPI:
        raise LimitError(f"an animation of {count} frames of {width:,.0f}×{height:,.0f} pixels is too large "
                         f"for a GIF (at most {MAX_GIF_PIXELS:,} pixels in all); write OUT.pdf, OUT.zip "
                         "or a folder of SVG frames instead")
    return GIF_DPI * scale


def _drawing_points(res: Any, last: RenderOptions, source: tuple[str, tuple[str, ...]] | None = None
                    ) -> tuple[float, float]:
    """Width and height in points of the finished drawing (every steady frame has its size);
    ``source``: the last frame's DOT text and layout arguments, when the caller has them."""
    if source is None:
        drawing = json.loads(_layout(res, "json")(last))
    else:
        program = layout.find_program(last.layout_program)
        drawing = json.loads(kept.run_kept([source[0]], "json", program, last.timeout, source[1])[0])
    left, bottom, right, top = (float(v) for v in drawing.get("bb", "0,0,1,1").split(","))
    return right - left + 2 * _PAD, top - bottom + 2 * _PAD


def gif_bytes(res: Any, options: RenderOptions | None = None, seconds_per_frame: float = 1.0,
              max_frames: int = MAX_FRAMES) -> bytes:
    """An animated GIF of every step, looping; frames are padded to the largest one.

    A steady sequence drawn by ``dot`` is drawn a region at a time (:mod:`graphviz_nn.export.gif`:
    the first frame whole, then what each step changes), its file written from the patches
    (:mod:`graphviz_nn.export.gifwrite`); others frame by frame, written by Pillow. Memory stays
    bounded: the resolution is lowered for big drawings (:func:`gif_dpi`), a few frames' pixels
    make the one palette (:func:`~graphviz_nn.export.gifwrite.palette_of`), and frames are kept as
    8-bit palette images (one byte a pixel), which Pillow keeps until it writes the file: at most
    about :data:`MAX_GIF_PIXELS` bytes."""
    from .gif import region_frames
    from .gifwrite import patched_gif

    duration = check_seconds(seconds_per_frame)
    frames = frame_options(res, options, max_frames)
    sources = _sources(res, frames)
    dpi = gif_dpi(_drawing_points(res, frames[-1], sources[-1]), len(frames))
    background = (30, 30, 30) if frames[0].background == "dark" else (255, 255, 255)
    program = layout.find_program(frames[0].layout_program)
    regions = region_frames(sources, program, dpi, frames[0].timeout, background)
    if regions is not None:
        return patched_gif(regions, duration)
    stream = _whole_frames(res, frames, dpi, background, sources)
    out = io.BytesIO()
    next(stream).save(out, "GIF", save_all=True, append_images=stream, loop=0, duration=duration,
                      optimize=False, disposal=1)
    return out.getvalue()


def _whole_frames(res: Any, frames: list[RenderOptions], dpi: float, background: tuple[int, int, int],
                  sources: list[tuple[str, tuple[str, ...]]]) -> Iterator[Any]:
    """The palette frames, every frame drawn whole: frame sizes are read from the PNG headers
    before any pixel is decoded, and frames are decoded one at a time."""
    from PIL import Image

    from .gifwrite import palette_of

    pngs = _layout_all(res, "png", frames, (f"-Gdpi={dpi:.2f}",), sources)
    sizes = [Image.open(io.BytesIO(data)).size for data in pngs]  # headers only
    width, height = max(w for w, _ in sizes), max(h for _, h in sizes)
    if width * height > 2 * MAX_FRAME_PIXELS or len(pngs) * width * height > 2 * MAX_GIF_PIXELS:
        raise LimitError(f"the frames are {width:,}×{height:,} pixels, too large for a GIF; write OUT.pdf, "
                         "OUT.zip or a folder of SVG frames instead")

    def rgb(data: bytes) -> Any:
        """A frame on the background, full size, as RGB (pasted through its own alpha: the same
        pixels as compositing it over the opaque background, a few times faster)."""
        image = Image.open(io.BytesIO(data))
        if image.mode != "RGB":
            image = image.convert("RGBA")
        canvas = Image.new("RGB", (width, height), background)
        canvas.paste(image, (0, 0), image if image.mode == "RGBA" else None)
        return canvas

    samples = {k: rgb(pngs[k]) for k in _palette_frames(len(pngs))}
    palette = palette_of(list(samples.values()))
    for k in range(len(pngs)):
        data, pngs[k] = pngs[k], b""  # the PNG is not needed once decoded
        frame = samples.pop(k) if k in samples else rgb(data)
        yield frame.quantize(palette=palette, dither=Image.Dither.NONE)


def _palette_frames(count: int) -> list[int]:
    """The frames whose colours make the GIF's one palette: the first, the last and three between
    (the forward and the backward pass each highlight their step in their own colours)."""
    last = count - 1
    return sorted({0, last // 4, last // 2, 3 * last // 4, last})


def pdf_bytes(res: Any, options: RenderOptions | None = None, max_frames: int = MAX_FRAMES) -> bytes:
    """A multi-page PDF, one step a page, every page the size of the largest."""
    from ..layout.pdf import xdot_json_pages_to_pdf

    drawings = _layout_all(res, "json", frame_options(res, options, max_frames))
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
    or an existing folder) that receives ``step-000.svg`` …; returns the files written.

    Nothing is written unless every frame was made, a file is replaced only by a complete one,
    and a folder loses the frames of an earlier, longer sequence (other files stay)."""
    check_seconds(seconds_per_frame)
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if suffix in STEP_FORMATS and not target.is_dir():
        return [write_bytes(target, steps_bytes(res, suffix, options, seconds_per_frame, max_frames))]
    if suffix and not target.is_dir():
        raise RenderError(f"cannot tell what to write to {str(target)!r}; use OUT.gif, OUT.pdf, "
                          "OUT.zip or a directory")
    frames = svg_frames(res, options, max_frames)
    return write_folder(target, ((frame_name(k), svg) for k, svg in enumerate(frames)), FRAME_PATTERN)
