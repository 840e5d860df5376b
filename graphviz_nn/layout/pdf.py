"""A small vector PDF writer for Graphviz drawing operations (``-Tjson`` output).

graphviz-pure lays out and draws but writes no PDF. Its JSON output lists every drawing
operation (xdot: polygons, ellipses, Bézier curves, polylines, text with font, colour and
style), which map one-to-one onto PDF content-stream operators. Text uses the standard PDF
fonts (Helvetica, Times, Courier and Symbol), so nothing is embedded: characters outside
the WinAnsi set are drawn from the Symbol font when it has them (Greek letters, ∂, ×, ÷, −,
arrows), subscript digits as plain digits, anything else as ``?``.

>>> xdot_json_to_pdf(b'{"bb": "0,0,10,10", "objects": [], "edges": []}')[:8]
b'%PDF-1.4'
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import RenderError

__all__ = ["xdot_json_to_pdf", "xdot_json_pages_to_pdf", "PAD"]

PAD = 4.0  # points of margin around the drawing, as Graphviz uses
_KAPPA = 0.5522847498  # Bézier control distance for a quarter ellipse

_FONTS = {
    "F1": "Helvetica", "F2": "Helvetica-Bold", "F3": "Times-Roman", "F4": "Times-Bold",
    "F5": "Courier", "F6": "Courier-Bold", "F7": "Symbol",
}

_GREEK_LOWER = "αβγδεζηθικλμνξοπρςστυφχψω"
_GREEK_LOWER_KEYS = "abgdezhqiklmnxoprVstufcyw"
_GREEK_UPPER = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"
_GREEK_UPPER_KEYS = "ABGDEZHQIKLMNXOPRSTUFCYW"
_SYMBOL: dict[str, int] = {ch: ord(key) for ch, key in zip(_GREEK_LOWER + _GREEK_UPPER,
                                                          _GREEK_LOWER_KEYS + _GREEK_UPPER_KEYS)}
_SYMBOL.update({
    "ϑ": 0x4A, "ϖ": 0x76, "ϕ": 0x6A, "∂": 0xB6, "×": 0xB4, "÷": 0xB8, "−": 0x2D, "∑": 0xE5,
    "√": 0xD6, "∞": 0xA5, "≤": 0xA3, "≥": 0xB3, "≈": 0xBB, "≠": 0xB9, "←": 0xAC, "↑": 0xAD,
    "→": 0xAE, "↓": 0xAF, "±": 0xB1, "⋅": 0xD7, "∇": 0xD1, "∈": 0xCE, "′": 0xA2, "•": 0xB7,
    "…": 0xBC, "⊗": 0xC4, "⊕": 0xC5, "∫": 0xF2, "⟨": 0xE1, "⟩": 0xF1, "⊙": 0xC4,
})
_FALLBACK = {"⚠": "!", "‖": "||", "ᵀ": "T", "⋯": "...", "–": "-", "—": "-"}
_FALLBACK.update({chr(0x2080 + d): str(d) for d in range(10)})
_COLOR_NAMES = {"black": (0.0, 0.0, 0.0), "white": (1.0, 1.0, 1.0)}


def _color(spec: str) -> tuple[float, float, float] | None:
    """``#rrggbb[aa]`` or a basic name -> RGB in 0..1; ``None`` for transparent."""
    spec = spec.strip().lower()
    if spec in ("none", "transparent", ""):
        return None
    match = re.fullmatch(r"#([0-9a-f]{6})([0-9a-f]{2})?", spec)
    if match:
        if match.group(2) == "00":
            return None
        rgb = match.group(1)
        return tuple(int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    return _COLOR_NAMES.get(spec, (0.0, 0.0, 0.0))


def _runs(text: str) -> list[tuple[bool, bytes]]:
    """Split text into (uses Symbol font, encoded bytes) runs."""
    runs: list[tuple[bool, bytearray]] = []
    for ch in text:
        ch = _FALLBACK.get(ch, ch)
        for c in ch:
            symbol = False
            try:
                code = c.encode("cp1252")
            except UnicodeEncodeError:
                if c in _SYMBOL:
                    symbol, code = True, bytes([_SYMBOL[c]])
                else:
                    code = b"?"
            if runs and runs[-1][0] == symbol:
                runs[-1][1].extend(code)
            else:
                runs.append((symbol, bytearray(code)))
    return [(sym, bytes(data)) for sym, data in runs]


def _pdf_string(data: bytes) -> str:
    out = []
    for b in data:
        if b in (0x28, 0x29, 0x5C):
            out.append("\\" + chr(b))
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return "(" + "".join(out) + ")"


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


@dataclass
class _Pen:
    stroke: tuple[float, float, float] | None = (0.0, 0.0, 0.0)
    #: Set only by a fill-colour operation: Graphviz marks some shapes "filled" without giving
    #: one (the edge curves of a pinned ``neato -n2`` layout), and draws those unfilled.
    fill: tuple[float, float, float] | None = None
    font: str = "F1"
    size: float = 14.0
    bold: bool = False
    family: str = "Helvetica"
    invisible: bool = False
    ops: list[str] = field(default_factory=list)


def _font_key(family: str, bold: bool) -> str:
    name = family.lower()
    if "times" in name or "serif" in name and "sans" not in name:
        return "F4" if bold else "F3"
    if "courier" in name or "mono" in name:
        return "F6" if bold else "F5"
    return "F2" if bold else "F1"


def _path(points: list[list[float]], bezier: bool) -> str:
    first = points[0]
    parts = [f"{_n(first[0])} {_n(first[1])} m"]
    if bezier:
        for i in range(1, len(points) - 2, 3):
            (x1, y1), (x2, y2), (x3, y3) = points[i][:2], points[i + 1][:2], points[i + 2][:2]
            parts.append(f"{_n(x1)} {_n(y1)} {_n(x2)} {_n(y2)} {_n(x3)} {_n(y3)} c")
    else:
        parts.extend(f"{_n(p[0])} {_n(p[1])} l" for p in points[1:])
    return " ".join(parts)


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> str:
    kx, ky = rx * _KAPPA, ry * _KAPPA
    return " ".join([
        f"{_n(cx + rx)} {_n(cy)} m",
        f"{_n(cx + rx)} {_n(cy + ky)} {_n(cx + kx)} {_n(cy + ry)} {_n(cx)} {_n(cy + ry)} c",
        f"{_n(cx - kx)} {_n(cy + ry)} {_n(cx - rx)} {_n(cy + ky)} {_n(cx - rx)} {_n(cy)} c",
        f"{_n(cx - rx)} {_n(cy - ky)} {_n(cx - kx)} {_n(cy - ry)} {_n(cx)} {_n(cy - ry)} c",
        f"{_n(cx + kx)} {_n(cy - ry)} {_n(cx + rx)} {_n(cy - ky)} {_n(cx + rx)} {_n(cy)} c",
    ])


def _paint(pen: _Pen, path: str, filled: bool, closed: bool) -> None:
    if pen.invisible:
        return
    fill = filled and pen.fill is not None
    stroke = pen.stroke is not None
    if not fill and not stroke:
        return
    op = ("b" if stroke else "f") if fill else ("s" if closed else "S")
    pen.ops.append(f"{path} {op}")


def _style(pen: _Pen, style: str) -> None:
    match = re.fullmatch(r"setlinewidth\(([\d.]+)\)", style)
    if match:
        pen.ops.append(f"{_n(float(match.group(1)))} w")
    elif style == "dashed":
        pen.ops.append("[5 2] 0 d")
    elif style == "dotted":
        pen.ops.append("[1 2] 0 d")
    elif style == "solid":
        pen.ops.append("[] 0 d")
    elif style == "bold":
        pen.ops.append("2 w")
    elif style == "invis":
        pen.invisible = True


def _text(pen: _Pen, op: dict[str, Any]) -> None:
    if pen.invisible or pen.fill is None and pen.stroke is None:
        return
    x, y = op["pt"][:2]
    width = float(op.get("width", 0.0))
    x -= {"c": width / 2, "r": width}.get(op.get("align", "l"), 0.0)
    color = pen.stroke or (0.0, 0.0, 0.0)
    parts = [f"{_n(color[0])} {_n(color[1])} {_n(color[2])} rg BT {_n(x)} {_n(y)} Td"]
    for symbol, data in _runs(str(op.get("text", ""))):
        font = "F7" if symbol else _font_key(pen.family, pen.bold)
        parts.append(f"/{font} {_n(pen.size)} Tf {_pdf_string(data)} Tj")
    parts.append("ET")
    pen.ops.append(" ".join(parts))


def _draw(ops: Iterable[dict[str, Any]], out: list[str]) -> None:
    """Append PDF operators for one xdot operation list (its own graphics state)."""
    pen = _Pen()
    pen.ops.append("q 0 G 0 g 1 w [] 0 d")
    for op in ops:
        kind = op.get("op")
        if kind == "c":
            pen.stroke = _color(str(op.get("color", "")))
            if pen.stroke:
                pen.ops.append("{} {} {} RG".format(*map(_n, pen.stroke)))
        elif kind == "C":
            pen.fill = _color(str(op.get("color", "")))
            if pen.fill:
                pen.ops.append("{} {} {} rg".format(*map(_n, pen.fill)))
        elif kind in ("P", "p", "L", "B", "b") and op.get("points"):
            closed = kind in ("P", "p") or kind == "b"
            path = _path(op["points"], bezier=kind in ("B", "b")) + (" h" if closed else "")
            _paint(pen, path, filled=kind in ("P", "b"), closed=closed)
        elif kind in ("E", "e") and op.get("rect"):
            cx, cy, rx, ry = op["rect"][:4]
            _paint(pen, _ellipse(cx, cy, rx, ry), filled=kind == "E", closed=True)
        elif kind == "S":
            _style(pen, str(op.get("style", "")))
        elif kind == "F":
            pen.size = float(op.get("size", pen.size))
            pen.family = str(op.get("face", pen.family))
            pen.bold = "bold" in pen.family.lower()
        elif kind == "t":
            pen.bold = bool(int(op.get("fontchar", 0)) & 1) or "bold" in pen.family.lower()
        elif kind == "T":
            _text(pen, op)
    pen.ops.append("Q")
    out.append("\n".join(pen.ops))


_DRAW_KEYS = ("_draw_", "_ldraw_", "_hdraw_", "_tdraw_", "_hldraw_", "_tldraw_")


def _content(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("_draw_", "_ldraw_"):
        _draw(doc.get(key, []), out)
    objects = doc.get("objects", [])
    clusters = [o for o in objects if "nodes" in o or "edges" in o or "_subgraph_cnt" in o]
    nodes = [o for o in objects if o not in clusters]
    for group in (clusters, doc.get("edges", []), nodes):
        for obj in group:
            for key in _DRAW_KEYS:
                if obj.get(key):
                    _draw(obj[key], out)
    return out


def _assemble(pages: list[tuple[float, float, bytes]]) -> bytes:
    """A PDF with one page per ``(width, height, content stream)``; fonts shared by all pages."""
    n = len(pages)
    first_font = 3 + 2 * n  # catalog 1, pages 2, then a page and its content per page
    fonts = " ".join(f"/{key} {first_font + i} 0 R" for i, key in enumerate(_FONTS))
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
    ]
    for i, (width, height, stream) in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_n(width)} {_n(height)}] "
            f"/Resources << /Font << {fonts} >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        packed = zlib.compress(stream)
        objects.append(f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed
                       + b"\nendstream")
    for key, base in _FONTS.items():
        encoding = "" if base == "Symbol" else " /Encoding /WinAnsiEncoding"
        objects.append(f"<< /Type /Font /Subtype /Type1 /BaseFont /{base}{encoding} >>".encode())
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _page(layout_json: bytes | str) -> tuple[float, float, list[str]]:
    """Size (with margins) and drawing operators of one ``-Tjson`` drawing, origin at its corner."""
    try:
        doc = json.loads(layout_json)
        llx, lly, urx, ury = (float(v) for v in str(doc["bb"]).split(","))
    except (ValueError, KeyError, TypeError) as exc:
        raise RenderError(f"the layout program returned a drawing PDF export cannot read: {exc}") from exc
    width, height = urx - llx + 2 * PAD, ury - lly + 2 * PAD
    return width, height, [f"1 0 0 1 {_n(PAD - llx)} {_n(PAD - lly)} cm"] + _content(doc)


def xdot_json_to_pdf(layout_json: bytes | str) -> bytes:
    """A one-page vector PDF of a Graphviz ``-Tjson`` drawing."""
    width, height, body = _page(layout_json)
    return _assemble([(width, height, "\n".join(body).encode("latin-1"))])


def xdot_json_pages_to_pdf(drawings: list[bytes] | list[str], same_size: bool = True) -> bytes:
    """A multi-page vector PDF, one ``-Tjson`` drawing a page (slides, step-by-step handouts).

    With ``same_size`` every page is as large as the largest drawing and each drawing sits at
    the top left, so flipping through the pages does not jump.
    """
    if not drawings:
        raise RenderError("a PDF needs at least one page")
    pages = [_page(d) for d in drawings]
    max_w = max(w for w, _, _ in pages)
    max_h = max(h for _, h, _ in pages)
    out = []
    for width, height, body in pages:
        if same_size:
            shift = f"1 0 0 1 0 {_n(max_h - height)} cm"  # PDF y grows upwards: move to the top
            out.append((max_w, max_h, "\n".join([shift] + body).encode("latin-1")))
        else:
            out.append((width, height, "\n".join(body).encode("latin-1")))
    return _assemble(out)
