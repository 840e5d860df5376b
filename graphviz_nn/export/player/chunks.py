"""Every frame of a step sequence as one drawing plus what changes: SVG split into pieces.

With the steady layout every frame has the same size and every node and edge the same place,
so frame ``k`` differs from frame ``k - 1`` only in the few groups the step touches. A frame's
SVG is cut into its head (the ``<svg>`` tag and the opening of the graph group) and its
top-level pieces: each ``<g id=…>`` group of a node or edge is one piece, keyed by its id, and
each run of other elements between them (the background, the caption lines) is one piece,
keyed by its place. Every distinct version of a piece is kept once; a frame is the list of
its pieces' version numbers. The browser swaps only the pieces whose version changes.

>>> svg = ('<svg width="10pt" height="10pt">\\n<g id="graph0" class="graph">\\n<title>t</title>\\n'
...        '<g id="n0" class="node">\\n<text>x</text>\\n</g>\\n</g>\\n</svg>\\n')
>>> pack = pack_frames([svg, svg.replace(">x<", ">y<")])
>>> pack["keys"], pack["frames"]
(['#0', 'n0'], [{'h': 0, 'o': 0, 'v': [0, 0]}, {'h': 0, 'o': 0, 'v': [0, 1]}])
"""

from __future__ import annotations

import html
import re
from typing import Any, Sequence

__all__ = ["split_svg", "pack_frames", "unpack_frame", "frame_at"]

_OPEN = re.compile(r"<g\b[^>]*?(?<!/)>")
_CLOSE = re.compile(r"</g>")
_GROUP_ID = re.compile(r'^<g id="([^"]*)"')
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_GRAPH_GROUP = re.compile(r'<g id="graph0"[^>]*>\n?')


def split_svg(svg: str) -> tuple[str, list[tuple[str, str]]]:
    """The head (``<svg …>`` and the graph group's opening tag) and the ``(key, text)`` pieces
    of one Graphviz SVG, comments and the XML prolog left out. The pieces, joined, followed by
    ``</g></svg>``, give the drawing back."""
    start = svg.find("<svg")
    body = _COMMENT.sub("", svg[start:] if start >= 0 else svg)
    opening = _GRAPH_GROUP.search(body)
    if opening is None:
        return body, []
    head = body[:opening.end()].replace("\n", " ").strip()
    end = body.rfind("</g>")
    inner = body[opening.end():end if end > opening.end() else len(body)]
    pieces: list[tuple[str, str]] = []
    loose: list[str] = []
    current: list[str] = []
    depth = 0
    for line in inner.splitlines():
        line = line.strip()
        if not line:
            continue
        if depth == 0 and not _GROUP_ID.match(line):
            loose.append(line)
            continue
        if depth == 0 and loose:
            pieces.append((f"#{sum(1 for k, _ in pieces if k.startswith('#'))}", "".join(loose)))
            loose = []
        current.append(line)
        depth += len(_OPEN.findall(line)) - len(_CLOSE.findall(line))
        if depth <= 0:
            match = _GROUP_ID.match(current[0])
            key = html.unescape(match.group(1)) if match else f"#{len(pieces)}"
            pieces.append((key, "".join(current)))
            current, depth = [], 0
    if current or loose:
        pieces.append((f"#{sum(1 for k, _ in pieces if k.startswith('#'))}", "".join(current + loose)))
    return head, pieces


def pack_frames(svgs: Sequence[str]) -> dict[str, Any]:
    """Frames as shared pieces: ``heads`` (distinct heads), ``keys`` (piece keys), ``versions``
    (per key, its distinct texts), ``orders`` (distinct orders of keys, as key numbers) and
    ``frames`` (per frame: head ``h``, order ``o`` and the version ``v`` of each piece in it)."""
    heads: list[str] = []
    keys: list[str] = []
    key_index: dict[str, int] = {}
    versions: list[list[str]] = []
    version_index: list[dict[str, int]] = []
    orders: list[list[int]] = []
    frames: list[dict[str, Any]] = []
    for svg in svgs:
        head, pieces = split_svg(svg)
        if head not in heads:
            heads.append(head)
        order, chosen, seen = [], [], set()
        for key, text in pieces:
            base, n = key, 0
            while key in seen:  # an id that appears twice: the second is a piece of its own
                n += 1
                key = f"{base}~{n}"
            seen.add(key)
            if key not in key_index:
                key_index[key] = len(keys)
                keys.append(key)
                versions.append([])
                version_index.append({})
            i = key_index[key]
            if text not in version_index[i]:
                version_index[i][text] = len(versions[i])
                versions[i].append(text)
            order.append(i)
            chosen.append(version_index[i][text])
        if order not in orders:
            orders.append(order)
        frames.append({"h": heads.index(head), "o": orders.index(order), "v": chosen})
    return {"heads": heads, "keys": keys, "versions": versions, "orders": orders, "frames": frames}


def frame_at(pack: dict[str, Any], k: int) -> tuple[int, int, list[int]]:
    """Head, order and piece versions of frame ``k``: a frame lists every version (``v``) or
    only what changed since the frame before (``d``: piece, version, piece, version, …)."""
    frames = pack["frames"]
    j = k
    while j > 0 and "v" not in frames[j]:
        j -= 1
    versions = list(frames[j]["v"])
    for frame in frames[j + 1:k + 1]:
        delta = frame["d"]
        for i in range(0, len(delta), 2):
            versions[delta[i]] = delta[i + 1]
    return frames[j]["h"], frames[j]["o"], versions


def unpack_frame(pack: dict[str, Any], k: int) -> str:
    """Frame ``k`` as SVG text again (what the browser builds; used by tests)."""
    head, order_number, versions = frame_at(pack, k)
    order = pack["orders"][order_number]
    body = "".join(pack["versions"][key][v] for key, v in zip(order, versions))
    return pack["heads"][head] + body + "</g></svg>"
