"""Every step of a pass drawn as one drawing plus what changes, without drawing each step.

With the steady layout (:mod:`graphviz_nn.layout.steady`) every node and edge has one place for
the whole pass, so a statement drawn once looks the same in every step that has it. This module
therefore draws each *version* of each node and edge statement once, not each step:

1. :func:`~graphviz_nn.draw.steps.step_changes` gives, per step, the statements it changes;
   each distinct statement of an id is a version (0 = the one at step 0);
2. sheet ``j`` is a pinned DOT holding version ``j`` of every id that has one (with the ends
   of its edges, at version 0, so that every edge has its nodes) — sheet 0 is the whole bare
   graph — and all sheets are drawn in a few runs of the layout program (``neato -n2``);
3. the pieces of each sheet's SVG (:func:`~graphviz_nn.export.player.chunks.split_svg`) are the
   versions' drawings; a step is the version of each piece, stored as the changes from the step
   before.

The caption over the drawing is the same at every step (the player writes the step's own words
beside it), so every sheet has the same size and the same head. The work is the number of
versions drawn, at most :data:`MAX_DRAWN`, and the steps at most :data:`MAX_STEPS`
(:class:`~graphviz_nn.errors.LimitError` past either, before anything is drawn).
"""

from __future__ import annotations

import dataclasses
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from ...draw.dot import RenderOptions, graph_and_trace
from ...draw.steps import step_changes
from ...errors import LimitError, RenderError
from ...layout import program as layout
from ...layout import kept
from ...layout.steady import PIN_ARGS, Pins, html_attr, pin, shared_layout
from .chunks import split_svg

__all__ = ["drawing_pack", "MAX_STEPS", "MAX_DRAWN", "CAPTION_STEPS"]

MAX_STEPS = 20_000
"""Most steps a player carries (each has its caption, its trace row and its changes)."""
MAX_DRAWN = 60_000
"""Most node and edge versions drawn for one player (the layout program's work)."""
CAPTION_STEPS = 400
"""Longest pass whose drawing's caption says what each step did (one caption drawn a step, as
the step sequences draw them); a longer pass has one caption without that line (the player
writes each step's words above the drawing)."""
_BATCHES = 2  # layout runs at a time
_ID = re.compile(r' \[id="((?:[^"\\]|\\.)*)"')
_POS = re.compile(r'pos="([^"]*)"')
_ENDS = re.compile(r'^\s+"((?:[^"\\]|\\.)*)"(?: -> "((?:[^"\\]|\\.)*)")? \[')


class Versions(NamedTuple):
    """What the steps of a pass draw: the ids in first-drawn order, each id's distinct
    statements, per step the ``(id number, version)`` pairs that change; the distinct captions
    and each step's caption number."""

    ids: list[str]
    lines: list[list[str]]
    changes: list[list[tuple[int, int]]]
    captions: list[str | None]
    caption_of: list[int]


def _versions(res: Any, opts: RenderOptions, whole: dict[int, str]) -> Versions:
    """Every version of every statement and caption over the pass of ``res`` (see :class:`Versions`);
    the whole DOT texts of the steps written on the way are added to ``whole``."""
    ids: list[str] = []
    number: dict[str, int] = {}
    lines: list[list[str]] = []
    seen: list[dict[str, int]] = []
    current: list[int] = []
    changes: list[list[tuple[int, int]]] = []
    captions: list[str | None] = []
    caption_of: list[int] = []
    caption_number: dict[str | None, int] = {}
    drawn = 0
    for _, statements, caption in step_changes(res, opts, len(graph_and_trace(res)[1]) <= CAPTION_STEPS, whole):
        c = caption_number.get(caption)
        if c is None:
            c = caption_number[caption] = len(captions)
            captions.append(caption)
        caption_of.append(c)
        step: list[tuple[int, int]] = []
        for line in statements:
            match = _ID.search(line)
            if match is None:
                continue
            ident = match.group(1)
            i = number.get(ident)
            if i is None:
                i = number[ident] = len(ids)
                ids.append(ident)
                lines.append([])
                seen.append({})
                current.append(-1)
            v = seen[i].get(line)
            if v is None:
                v = seen[i][line] = len(lines[i])
                lines[i].append(line)
                drawn += 1
                if drawn > MAX_DRAWN:
                    raise LimitError(f"this pass draws more than {MAX_DRAWN:,} versions of its nodes and edges, "
                                     "too many for the step player; draw single steps with graphviz-nn render "
                                     "--step K, or use a smaller problem")
            if current[i] != v:
                current[i] = v
                step.append((i, v))
        changes.append(step)
    return Versions(ids, lines, changes, captions, caption_of)


def _sheets(source0: str, captions: list[str | None], lines: list[list[str]]) -> list[str]:
    """The DOT text of every sheet (unpinned): sheet ``j`` holds version ``j`` of each id and
    caption ``j`` (the first caption once they are all drawn)."""
    head = []
    for line in source0.splitlines():
        if line.startswith("  ") and not line.startswith(("  graph [", "  node [", "  edge [")):
            break  # the statements, and the rows of a long drawing (invisible, pinned anyway)
        head.append(line)
    head = [line for line in head if line != "}"]
    graph_line = next(i for i, line in enumerate(head) if line.startswith("  graph ["))
    old = html_attr(head[graph_line], "label")
    bare = head[graph_line].replace(f" label={old}", "") if old is not None else head[graph_line]
    names = {}
    for i, versions in enumerate(lines):
        ends = _ENDS.match(versions[0])
        if ends is not None and ends.group(2) is None:
            names[ends.group(1)] = i
    out = []
    for j in range(max(len(captions), *(len(v) for v in lines))):
        caption = captions[j] if j < len(captions) else captions[0]
        head[graph_line] = bare[:-1] + f" label={caption}]" if caption is not None else bare
        body = [versions[j] for versions in lines if j < len(versions)]
        have = {m.group(1) for m in map(_ENDS.match, body) if m is not None and m.group(2) is None}
        fill = []
        for line in body:
            ends = _ENDS.match(line)
            if ends is not None and ends.group(2) is not None:
                for end in (ends.group(1), ends.group(2)):
                    if end not in have and end in names:
                        have.add(end)
                        fill.append(lines[names[end]][0])
        out.append("\n".join(head + fill + body + ["}"]) + "\n")
    return out


def drawing_pack(res: Any, options: RenderOptions) -> dict[str, Any]:
    """The drawing of every step of ``res`` with ``options`` (its ``step`` ignored) in the
    format of :func:`~graphviz_nn.export.player.chunks.pack_frames`, with every frame after the
    first given as its changes: ``{"d": [piece, version, piece, version, …]}``."""
    _, trace = graph_and_trace(res)
    if not trace:
        raise RenderError("this result has no trace to step through")
    if len(trace) > MAX_STEPS:
        raise LimitError(f"{len(trace):,} steps is too many for the step player (at most {MAX_STEPS:,}); draw "
                         "single steps with graphviz-nn render --step K, or use a smaller problem")
    opts = dataclasses.replace(options, step=0, steady=True)
    whole: dict[int, str] = {}
    ids, lines, changes, captions, caption_of = _versions(res, opts, whole)
    program = layout.find_program(opts.layout_program)
    pins = _covering(shared_layout(res, opts, program, [line for versions in lines for line in versions],
                                   {c for c in captions if c is not None}, len(trace) <= CAPTION_STEPS, whole))
    pinned = []
    for sheet in _sheets(whole[0], captions, lines):
        text = pin(sheet, pins)
        if text is None:
            raise RenderError("a node of the pass is missing from its shared layout")
        pinned.append(text)
    drawn = _draw(pinned, program, opts.timeout)
    head, pieces0 = split_svg(drawn[0])
    keys = [key for key, _ in pieces0]
    position = {key: p for p, key in enumerate(keys)}
    versions: list[list[str]] = [[text] for _, text in pieces0]
    number = {ident: i for i, ident in enumerate(ids)}
    count = [len(v) for v in lines]
    for j, svg in enumerate(drawn[1:], start=1):
        sheet_head, pieces = split_svg(svg)
        if sheet_head != head:
            raise RenderError(f"{program.name} drew the steps of this pass at different sizes")
        for key, text in pieces:
            i = number.get(key)
            caption = i is None and key.startswith("#") and j < len(captions)  # the run that holds caption j
            if not caption and (i is None or count[i] <= j):
                continue  # a caption already drawn, or an edge's end drawn for the edge
            if key not in position:
                position[key] = len(keys)
                keys.append(key)
                versions.append([])
            slot = versions[position[key]]
            slot.extend([""] * (j + 1 - len(slot)))
            slot[j] = text
    for slot, key in zip(versions, keys):  # a version the program drew as nothing
        i = number.get(key)
        slot.extend([""] * ((count[i] if i is not None else len(captions)) - len(slot)))
    start = [0] * len(keys)  # version 0 of a piece first drawn later is empty
    frames: list[dict[str, Any]] = [{"h": 0, "o": 0, "v": start}]
    loose = [p for p, key in enumerate(keys) if key.startswith("#")]
    for k, step in enumerate(changes[1:], start=1):
        delta: list[int] = []
        for i, v in step:
            p = position.get(ids[i])
            if p is not None:
                delta.extend((p, v))
        if caption_of[k] != caption_of[k - 1]:
            for p in loose:
                delta.extend((p, caption_of[k]))
        frames.append({"d": delta})
    return {"heads": [head], "keys": keys, "versions": versions, "orders": [list(range(len(keys)))],
            "frames": frames}


def _covering(pins: Pins) -> Pins:
    """The pins with their corners moved out to every edge's route: a sheet without some edge
    is then drawn at the same size and place as one with it."""
    attrs, (x0, y0, x1, y1) = pins
    for extra in attrs.values():
        route = _POS.search(extra)
        if route is None or extra.startswith('pos="') and route.group(1).endswith("!"):
            continue  # a node: inside the corners already
        for point in route.group(1).replace("e,", "").replace("s,", "").split():
            x, y = (float(v) for v in point.split(",")[:2])
            x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
    return attrs, (x0, y0, x1, y1)


def _draw(sheets: list[str], program: layout.LayoutProgram, timeout: float) -> list[str]:
    """Every sheet as SVG text, in a few runs of the layout program."""
    jobs = [sheets[i::_BATCHES] for i in range(_BATCHES)]
    jobs = [job for job in jobs if job]

    def run(job: list[str]) -> list[bytes]:
        return kept.run_kept(job, "svg", program, timeout, PIN_ARGS)

    out = [""] * len(sheets)
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for b, drawn in enumerate(pool.map(run, jobs)):
            for i, data in enumerate(drawn):
                out[b + i * _BATCHES] = data.decode("utf-8")
    return out
