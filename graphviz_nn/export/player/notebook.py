"""The player in a Jupyter output: the page in a sandboxed ``<iframe srcdoc>``.

The frame runs the player's script but has no access to the notebook (no ``allow-same-origin``)
and no network. KaTeX is left out by default (:data:`NOTEBOOK_KATEX`) so that each displayed
evaluation adds about 0.1-0.3 MB to the notebook rather than 0.6-0.8 MB; captions and formulas
then show as Unicode text.
"""

from __future__ import annotations

import html
from typing import Any

from ...draw.dot import RenderOptions
from ...errors import GnnError
from .data import player_data
from .page import player_page

__all__ = ["notebook_html", "NOTEBOOK_KATEX", "NOTEBOOK_HEIGHT"]

NOTEBOOK_KATEX = False
"""Whether a notebook output carries KaTeX (about 450 kB more per output)."""
NOTEBOOK_HEIGHT = 640
"""Height of the player's frame in a notebook, in CSS pixels."""


def notebook_html(res: Any, options: RenderOptions | None = None, katex: bool = NOTEBOOK_KATEX,
                  height: int = NOTEBOOK_HEIGHT) -> str | None:
    """The player as a Jupyter ``text/html`` output, or ``None`` when it cannot be made (no
    layout program, more steps than a sequence may have): the SVG then stands alone."""
    try:
        page = player_page(player_data(res, options), katex=katex)
    except GnnError:
        return None
    return (f'<iframe class="gnn-player-frame" title="graphviz_nn step player" sandbox="allow-scripts" '
            f'style="width: 100%; height: {int(height)}px; border: 0;" srcdoc="{html.escape(page, quote=True)}">'
            "</iframe>")
