"""Find and run a Graphviz layout program: with :mod:`graphviz_nn.layout.kept` (the same
programs kept running), the only modules that start a binary.

Two programs are known, tried in this order:

1. ``dot`` — the system Graphviz, when it is on ``PATH``;
2. ``graphviz-pure`` — a Rust port of Graphviz installed from PyPI as a dependency, so a
   pip-only install can lay out graphs. It is looked up on ``PATH`` and next to the running
   Python (a virtualenv's ``bin``/``Scripts`` folder is often not on ``PATH`` under Jupyter,
   Streamlit or pytest).

``GRAPHVIZ_NN_LAYOUT=dot`` or ``=graphviz-pure`` in the environment (or the ``program``
argument) picks one. Every run has a timeout, and a failed run is remembered
(:data:`KEEP_FAILURES` of them): the same graph asked for again fails at once with the same
message instead of running the program, maybe for the whole timeout, once more.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..errors import LayoutNotFoundError, RenderError

__all__ = [
    "Geometry",
    "layout_geometry",
    "LayoutProgram",
    "PROGRAMS",
    "ENV_VAR",
    "DEFAULT_TIMEOUT",
    "locate",
    "find_program",
    "run_layout",
    "run_layout_many",
    "split_outputs",
    "failure_key",
    "remembered_failure",
    "remember_failure",
]

PROGRAMS = ("dot", "graphviz-pure")
ENV_VAR = "GRAPHVIZ_NN_LAYOUT"
DEFAULT_TIMEOUT = 60.0

_HOW_TO_GET_ONE = (
    "no Graphviz layout program found: neither 'dot' nor 'graphviz-pure' is installed.\n"
    "Install one of them:\n"
    "  pip install graphviz-pure          (pure pip; SVG, PNG and PDF)\n"
    "  apt install graphviz | brew install graphviz | conda install graphviz   (system 'dot')\n"
    "DOT and JSON exports (-o out.dot, -o out.json) work without one."
)


@dataclass(frozen=True)
class LayoutProgram:
    """A layout program found on this machine: ``name`` is ``dot`` or ``graphviz-pure``."""

    name: str
    path: str

    @property
    def formats(self) -> frozenset[str]:
        """Output formats this program writes itself (graphviz-pure has no PDF, nor ``json0``:
        JSON without the drawing instructions)."""
        common = {"svg", "png", "json", "plain", "xdot", "dot"}
        return frozenset(common | {"pdf", "json0"}) if self.name == "dot" else frozenset(common)


def locate(name: str) -> str | None:
    """Path of ``name`` on ``PATH`` or, for graphviz-pure, next to the running Python."""
    found = shutil.which(name)
    if found:
        return found
    if name == "graphviz-pure":
        folder = Path(sys.executable).parent
        for candidate in (folder / name, folder / f"{name}.exe"):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def find_program(prefer: str = "auto") -> LayoutProgram:
    """The layout program to use: ``prefer`` (or ``$GRAPHVIZ_NN_LAYOUT``), else dot, else graphviz-pure.

    Raises :class:`LayoutNotFoundError` saying how to install one when none is found.
    """
    choice = prefer
    if choice == "auto":
        choice = os.environ.get(ENV_VAR, "auto") or "auto"
    if choice not in ("auto", *PROGRAMS):
        raise RenderError(f"unknown layout program {choice!r}; choose one of: auto, {', '.join(PROGRAMS)}")
    names = PROGRAMS if choice == "auto" else (choice,)
    for name in names:
        path = locate(name)
        if path:
            return LayoutProgram(name, path)
    if choice != "auto":
        raise LayoutNotFoundError(f"layout program {choice!r} was requested but is not installed.\n" + _HOW_TO_GET_ONE)
    raise LayoutNotFoundError(_HOW_TO_GET_ONE)


KEEP_FAILURES = 64
"""Failed layouts remembered (least recently failed forgotten first)."""
_FAILURES: OrderedDict[tuple[str, ...], str] = OrderedDict()
_FAILURES_LOCK = threading.Lock()  # the app lays out from several threads


def run_layout(
    dot_source: str,
    fmt: str,
    program: LayoutProgram | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    extra_args: tuple[str, ...] = (),
) -> bytes:
    """Lay out ``dot_source`` and return the program's output in format ``fmt`` (``-T``).

    Raises :class:`RenderError` when the program fails, times out, or cannot write ``fmt``; a
    run that failed before (same source, format, program, timeout, arguments) fails at once.
    """
    prog = program if program is not None else find_program()
    if fmt not in prog.formats:
        raise RenderError(f"{prog.name} cannot write {fmt!r}; it writes: {', '.join(sorted(prog.formats))}")
    cmd = [prog.path, f"-T{fmt}", *extra_args]
    key = failure_key(dot_source, timeout, cmd)
    failed = remembered_failure(key)
    if failed is not None:
        raise RenderError(failed)
    try:
        return _run(prog, cmd, dot_source, timeout)
    except OSError as exc:  # the program could not start (maybe for now): not remembered
        raise RenderError(f"could not run {prog.name} ({prog.path}): {exc}") from exc
    except RenderError as err:
        remember_failure(key, err.message)
        raise


def failure_key(dot_source: str, timeout: float, cmd: list[str]) -> tuple[str, ...]:
    """What a failed run is remembered by: the source, the timeout and the command."""
    return (hashlib.sha256(dot_source.encode("utf-8", "surrogatepass")).hexdigest(), f"{timeout!r}", *cmd)


def remembered_failure(key: tuple[str, ...]) -> str | None:
    """The message of the run of :func:`failure_key` ``key`` that failed before, if one did."""
    with _FAILURES_LOCK:
        return _FAILURES.get(key)


def remember_failure(key: tuple[str, ...], message: str) -> None:
    """Remember that the run ``key`` failed with ``message`` (the oldest forgotten past
    :data:`KEEP_FAILURES`)."""
    with _FAILURES_LOCK:
        _FAILURES[key] = message
        while len(_FAILURES) > KEEP_FAILURES:
            _FAILURES.popitem(last=False)


def _run(prog: LayoutProgram, cmd: list[str], dot_source: str, timeout: float) -> bytes:
    """One run of the layout program (see :func:`run_layout`)."""
    try:
        done = subprocess.run(cmd, input=dot_source.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(
            f"{prog.name} did not finish laying out the graph within {timeout:g} s; "
            "try a smaller graph, --no-values/--no-grads, or a longer timeout"
        ) from exc
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = "\n".join(message[-5:]) if message else f"exit status {done.returncode}"
        raise RenderError(f"{prog.name} failed to lay out the graph:\n{detail}")
    return done.stdout


def run_layout_many(
    sources: list[str],
    fmt: str,
    program: LayoutProgram | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    extra_args: tuple[str, ...] = (),
) -> list[bytes]:
    """Lay out several DOT texts in one run of the program (it reads one graph after another
    and writes their outputs one after another), so a step sequence starts one process instead
    of one per frame. ``fmt`` is ``svg``, ``png``, ``json`` or ``json0``; ``timeout`` is for each graph.
    Returns one output per source, in order."""
    if not sources:
        return []
    if len(sources) == 1:
        return [run_layout(sources[0], fmt, program, timeout, extra_args)]
    out = run_layout("".join(sources), fmt, program, timeout * len(sources), extra_args)
    parts = split_outputs(out, fmt)
    if len(parts) != len(sources):
        raise RenderError(f"the layout program wrote {len(parts)} drawings for {len(sources)} graphs")
    return parts


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def split_outputs(data: bytes, fmt: str) -> list[bytes]:
    """The outputs of one layout run over several graphs, one per graph (``svg``, ``png``, ``json``
    or ``json0``).

    >>> split_outputs(b'<?xml a?><svg>1</svg>\\n<?xml b?><svg>2</svg>\\n', "svg")
    [b'<?xml a?><svg>1</svg>\\n', b'<?xml b?><svg>2</svg>\\n']
    """
    parts: list[bytes] = []
    if fmt == "svg":  # every drawing ends with its root element; labels are escaped, so it is the end
        end = b"</svg>\n"
        start = 0
        while start < len(data):
            stop = data.find(end, start)
            if stop < 0:
                break
            # a later graph of the run is "page0,1_graph0" where a run of its own says "graph0"
            parts.append(re.sub(rb'<g id="[^"]*_graph0" class="graph"', b'<g id="graph0" class="graph"',
                                data[start:stop + len(end)], count=1))
            start = stop + len(end)
        return parts
    if fmt == "png":  # the signature, then chunks (length, type, data, CRC) up to IEND
        i = 0
        while data.startswith(_PNG_SIGNATURE, i):
            j = i + len(_PNG_SIGNATURE)
            while j + 8 <= len(data):
                length = int.from_bytes(data[j:j + 4], "big")
                kind = data[j + 4:j + 8]
                j += 12 + length
                if kind == b"IEND":
                    break
            parts.append(data[i:j])
            i = j
        return parts
    if fmt in ("json", "json0"):
        text = data.decode("utf-8")
        decoder = json.JSONDecoder()
        i = 0
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                return parts
            _, end = decoder.raw_decode(text, i)
            end += text.startswith("\n", end)  # the line's end, as a run of its own writes it
            parts.append(text[i:end].encode("utf-8"))
            i = end
    raise RenderError(f"cannot split {fmt!r} outputs; split svg, png, json or json0")


def node_positions(dot_source: str, layout_program: str = "auto", timeout: float = DEFAULT_TIMEOUT) -> dict[str, tuple[float, float]]:
    """Node centres in inches from the layout program's ``plain`` output."""
    program = find_program(layout_program)
    text = run_layout(dot_source, "plain", program, timeout).decode("utf-8", "replace")
    positions: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        parts = line.split(" ", 4)
        if len(parts) >= 4 and parts[0] == "node":
            name = parts[1].strip('"')
            try:
                positions[name] = (float(parts[2]), float(parts[3]))
            except ValueError:
                continue
    return positions


@dataclass(frozen=True)
class Geometry:
    """Where a layout put things, in inches with y up (as ``plain`` output): node centres and
    sizes by node name, and each edge's route by its ``id`` attribute: the B-spline points
    (start, then three per cubic segment) and the point the arrowhead reaches, if any."""

    positions: dict[str, tuple[float, float]]
    sizes: dict[str, tuple[float, float]]
    routes: dict[str, tuple[tuple[tuple[float, float], ...], tuple[float, float] | None]]


def _points(text: str) -> list[tuple[float, float]]:
    out = []
    for pair in text.split():
        x, _, y = pair.partition(",")
        out.append((float(x) / 72.0, float(y) / 72.0))
    return out


def layout_geometry(dot_source: str, layout_program: str = "auto", timeout: float = DEFAULT_TIMEOUT) -> Geometry:
    """Node positions and sizes and edge routes of one layout (the program's ``json`` output)."""
    program = find_program(layout_program)
    doc = json.loads(run_layout(dot_source, "json", program, timeout).decode("utf-8", "replace"))
    positions: dict[str, tuple[float, float]] = {}
    sizes: dict[str, tuple[float, float]] = {}
    for obj in doc.get("objects", []):
        if "pos" not in obj or "name" not in obj:
            continue  # a cluster
        (positions[obj["name"]],) = _points(obj["pos"])
        sizes[obj["name"]] = (float(obj.get("width", 0)), float(obj.get("height", 0)))
    routes = {}
    for edge in doc.get("edges", []):
        pos, ident = str(edge.get("pos", "")), edge.get("id")
        if not pos or not ident:
            continue
        end = None
        parts = pos.split(";")[0].split()
        spline = [p for p in parts if not p.startswith(("e,", "s,"))]
        ends = [p[2:] for p in parts if p.startswith("e,")]
        if ends:
            (end,) = _points(ends[0])
        routes[str(ident)] = (tuple(_points(" ".join(spline))), end)
    return Geometry(positions, sizes, routes)
