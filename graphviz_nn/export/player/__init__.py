"""The step player: every step of a pass in one self-contained HTML page (or a Streamlit
component, or a Jupyter output), stepping in the browser with no server.

>>> import graphviz_nn as gnn
>>> html = player_html(gnn.evaluate("x*y + x", {"x": 2, "y": 3}))
>>> html.startswith("<!DOCTYPE html>"), "Content-Security-Policy" in html
(True, True)

:mod:`~graphviz_nn.export.player.data` builds what the page shows (the frames of the steady layout
packed as one drawing plus what changes, captions, trace rows, inspector entries);
:mod:`~graphviz_nn.export.player.chunks` packs the frames; :mod:`~graphviz_nn.export.player.page` writes the
page; ``static/`` holds the script, styles, the Streamlit component's ``index.html`` and the
vendored KaTeX (MIT licence in ``static/katex/LICENSE``).
"""

from __future__ import annotations

from typing import Any

from ...draw.dot import RenderOptions
from .data import drawing_data, player_data
from .page import component_json, embed_json, player_page, static_dir

__all__ = ["player_html", "drawing_html", "player_data", "drawing_data", "player_page", "embed_json", "component_json", "static_dir"]


def player_html(res: Any, options: RenderOptions | None = None, *, katex: bool = True) -> str:
    """The player page of ``res`` drawn with ``options``: one HTML file, no network needed."""
    return player_page(player_data(res, options), katex=katex)


def drawing_html(svg: str, title: str = "", *, dark: bool = False) -> bytes:
    """One drawing with no steps (the neuron view) in the player's page: fit, zoom and pan."""
    return player_page(drawing_data(svg, title, dark), katex=False).encode("utf-8")
