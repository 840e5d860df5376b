"""The page's own styles (``static/page.css``): how the problem, the player and the panels
share one laptop screen, and stack on a phone with the player right under the title.

>>> "stMainBlockContainer" in page_css()
True
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["page_css", "STATIC"]

STATIC = Path(__file__).resolve().parent / "static"
"""The folder of the page's static files."""


@functools.lru_cache(maxsize=1)
def page_css() -> str:
    """The page's CSS text (no ``</style>`` inside, so it can be put in a style element)."""
    css = (STATIC / "page.css").read_text(encoding="utf-8")
    return css.replace("</", "<\\/")
