"""The page's frame: its styles and the two columns, the problem beside the player on a laptop
screen (the teaching tabs follow below, full width), stacked on a phone."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..page.style import page_css
from .downloads import STALE_DOWNLOADS
from .session import MODES, reset_step

__all__ = ["COLUMNS", "page_style", "frame"]

COLUMNS = (0.34, 0.66)
"""The widths of the problem column and the player's column."""


def page_style() -> None:
    """The page's CSS (:mod:`graphviz_nn.page.style`) and the rule that keeps a stale download
    button unclickable."""
    st.html(STALE_DOWNLOADS + f"<style>{page_css()}</style>")


def frame() -> tuple[str, Any, Any]:
    """The problem column (with the page's title and the mode switch) and the player's column:
    the mode chosen, the column for the problem, the container for the player."""
    left, right = st.columns(COLUMNS, gap="small")
    with left:
        with st.container(key="gnn_title"):
            st.markdown("**graphviz_nn** · backprop on your own problem",
                        help="Type an expression or a program, or build a layer network; give the inputs "
                             "values, and step through the forward and backward passes.")
        mode = st.radio("Problem", MODES, horizontal=True, key="mode", on_change=reset_step,
                        label_visibility="collapsed")
    stage = right.container(key="gnn_stage")
    return mode, left, stage
