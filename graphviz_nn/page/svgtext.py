"""SVG text made ready for the page: inlined in HTML at a zoom, and its size."""

from __future__ import annotations

import re

__all__ = ["inline_svg", "svg_size"]


def inline_svg(svg: str, zoom: int = 100) -> str:
    """SVG text ready to sit inside HTML: no XML prolog, DOCTYPE or comments, scaled to ``zoom`` %.

    >>> inline_svg('<?xml version="1.0"?><!-- c --><svg width="10pt" height="20pt"><g/></svg>', 200)
    '<svg width="20pt" height="40pt"><g/></svg>'
    """
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    size = svg_size(body)
    if size is not None and zoom != 100:
        width, height = (f"{v * zoom / 100:.4g}pt" for v in size)
        tag = re.match(r"<svg\b[^>]*>", body)
        if tag:
            head = re.sub(r'\swidth="[^"]*"', f' width="{width}"', tag.group(0), count=1)
            head = re.sub(r'\sheight="[^"]*"', f' height="{height}"', head, count=1)
            body = head + body[tag.end():]
    return body.strip()


def svg_size(svg: str) -> tuple[float, float] | None:
    """Width and height in points from the root ``<svg>`` element, when given in pt or px."""
    match = re.search(r"<svg\b[^>]*>", svg)
    if not match:
        return None
    tag = match.group(0)
    width = re.search(r'\bwidth="([\d.]+)(pt|px)?"', tag)
    height = re.search(r'\bheight="([\d.]+)(pt|px)?"', tag)
    if not width or not height:
        return None
    return float(width.group(1)), float(height.group(1))
