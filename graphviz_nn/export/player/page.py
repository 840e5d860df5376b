"""The step player as one self-contained HTML file: data, script, styles and KaTeX inline.

The page needs nothing from the network: the player's script and styles, KaTeX's script and
styles with the fonts it uses as ``data:`` URLs, and the data of :func:`player_data` as JSON in
a ``<script type="application/json">`` block (every ``<``, ``>`` and ``&`` written as a
``\\u`` escape, so no label can close the block). A Content-Security-Policy allows inline
scripts, styles, and fonts from ``data:`` only, and no connection anywhere.

The same ``static/`` folder is the frontend of the Streamlit component
(:func:`static_dir`), where the browser loads the files by URL instead.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import json
import re
from pathlib import Path
from typing import Any

__all__ = ["STATIC", "static_dir", "embed_json", "player_page", "katex_css_inline", "KATEX_FONTS", "COMPRESS_ABOVE",
           "read_page_data"]

STATIC = Path(__file__).resolve().parent / "static"
"""The player's files: ``player.js``, ``player.css``, ``index.html`` (the component) and ``katex/``."""
KATEX_FONTS = ("Main-Regular", "Main-Bold", "Main-Italic", "Math-Italic", "AMS-Regular",
               "Size1-Regular", "Size2-Regular", "Size3-Regular", "Size4-Regular")
"""The KaTeX fonts bundled (woff2); math needing another font falls back to the system's."""

COMPRESS_ABOVE = 1_000_000
"""Characters of JSON above which the page carries its data gzipped (base64): a large graph's
drawing versions and captions repeat themselves, so its page shrinks several times; the page
unpacks them with the browser's ``DecompressionStream`` before it draws."""
_MOUNT = (
    "(function () { var root = document.getElementById('gnn-player'), plain = document.getElementById('gnn-data');"
    " var start = function (d) { window.gnnPlayer = GnnPlayer.mount(root, d, {fill: true}); };"
    " if (plain) { start(JSON.parse(plain.textContent)); return; }"
    " var b = atob(document.getElementById('gnn-data-gz').textContent), u = new Uint8Array(b.length);"
    " for (var i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);"
    " new Response(new Blob([u]).stream().pipeThrough(new DecompressionStream('gzip'))).text()"
    ".then(function (t) { start(JSON.parse(t)); }); })();")
_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "font-src data:; img-src data:")
_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")
_FONT_URL = re.compile(r"url\(fonts/KaTeX_([A-Za-z0-9-]+)\.woff2\)")


def static_dir() -> Path:
    """The folder the Streamlit component serves (its ``index.html`` and assets)."""
    return STATIC


def embed_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` block: ``<``, ``>``, ``&`` and the
    line separators U+2028/U+2029 written as escapes.

    >>> embed_json({"label": "</script><b>"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def component_json(data: Any) -> str:
    """``data`` as compact JSON for the Streamlit component, which reads it with ``JSON.parse``
    and never as HTML: none of :func:`embed_json`'s escapes, so 12 % fewer characters to send and
    parse for a drawing's SVG pieces (every ``<`` and ``>`` would be six).

    >>> component_json({"label": "</script><b>"})
    '{"label":"</script><b>"}'
    """
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@functools.lru_cache(maxsize=1)
def katex_css_inline() -> str:
    """KaTeX's styles with the bundled fonts as ``data:`` URLs and every other font left out
    (no request for a file that is not there)."""
    css = (STATIC / "katex" / "katex.min.css").read_text(encoding="utf-8")

    def face(match: re.Match[str]) -> str:
        rule = match.group(0)
        font = _FONT_URL.search(rule)
        if font is None or font.group(1) not in KATEX_FONTS:
            return ""
        data = base64.b64encode((STATIC / "katex" / "fonts" / f"KaTeX_{font.group(1)}.woff2").read_bytes()).decode()
        src = f'src:url(data:font/woff2;base64,{data}) format("woff2")'
        return re.sub(r"src:[^;}]*", src, rule)

    return _FONT_FACE.sub(face, css)


def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def player_page(data: dict[str, Any], katex: bool = True) -> str:
    """The whole player page for ``data`` (from :func:`~graphviz_nn.export.player.data.player_data`).
    ``katex=False`` leaves KaTeX out (about 450 kB): captions and formulas then show as text."""
    title = html.escape(f"graphviz_nn: {data.get('title') or 'step player'}")
    theme = "dark" if data.get("dark") else "light"
    katex_css = f"<style>{katex_css_inline()}</style>" if katex else ""
    katex_js = f"<script>{_read('katex/katex.min.js')}</script>" if katex else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title}</title>{katex_css}<style>{_read('player.css')}</style></head>"
        f"<body class=\"gnn-page gnn-{theme}\"><div id=\"gnn-player\" class=\"gnn-player gnn-{theme}\"></div>"
        f"{_data_block(data)}{katex_js}<script>{_read('player.js')}</script><script>{_MOUNT}</script>"
        "</body></html>\n")


def _data_block(data: dict[str, Any]) -> str:
    """The data as a JSON block, or gzipped in base64 past :data:`COMPRESS_ABOVE` characters."""
    text = embed_json(data)
    if len(text) <= COMPRESS_ABOVE:
        return f'<script type="application/json" id="gnn-data">{text}</script>'
    packed = base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")
    return f'<script type="application/gzip" id="gnn-data-gz">{packed}</script>'


def read_page_data(page: str) -> dict[str, Any]:
    """The data a player page carries (plain or gzipped), as :func:`player_page` wrote it."""
    plain = re.search(r'<script type="application/json" id="gnn-data">(.*?)</script>', page, re.S)
    if plain is not None:
        return json.loads(plain.group(1))
    packed = re.search(r'<script type="application/gzip" id="gnn-data-gz">([A-Za-z0-9+/=]*)</script>', page)
    if packed is None:
        raise ValueError("not a player page")
    return json.loads(gzip.decompress(base64.b64decode(packed.group(1))).decode("utf-8"))
