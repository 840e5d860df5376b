"""The graph area: the step player (a Streamlit component: the graph, its step controls, the
caption, the trace table and the inspector) run as a fragment, so that the step it reports
reruns only the downloads of that step; the plain drawing where no player can be made; the last
graph that worked, greyed out, while the problem cannot be drawn."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st
from streamlit.components.v1 import declare_component

from ..draw.options import RenderOptions
from ..export.player import static_dir
from ..page import player as page_player
from ..page.budget import OVER_BUDGET_ADVICE
from ..page.view import Labels, View, build_view
from .downloads import step_downloads
from .guard import run_guarded
from .markdown import graph_html, md_escape, show_issue

__all__ = ["step_player", "view_for", "run_steps", "step_panel", "show_last_good"]


def step_player(**kwargs: Any) -> Any:
    """The step player (graphviz_nn/export/player/static): steps, zoom and inspection in the
    browser; it returns the step reached once stepping rests, for the downloads. Declared on
    every call, as a script's own component is on every run, so the server always serves it."""
    return declare_component("graphviz_nn_player", path=str(static_dir()))(**kwargs)


def view_for(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, step: int | None,
             labels: Labels = (), draw: bool = True) -> View:
    """The page for (text, values, options, step): parse, evaluate, and draw unless ``draw`` is
    false (the player draws the graph: the page only needs the numbers); never raises."""
    return build_view(text, values, options, step, draw=draw, labels=labels)


def run_steps(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, zoom: int,
              labels: Labels = (), height: int = page_player.PLAYER_HEIGHT) -> None:
    """The step panel as a fragment: the step the player reports reruns only the downloads."""
    st.fragment(step_panel)(text, values, options, zoom, options.background == "dark", labels, height)


def step_panel(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
               zoom: int, dark: bool, labels: Labels = (), height: int = page_player.PLAYER_HEIGHT) -> None:
    """The step player (graph, step controls, caption, trace table, inspector) and the
    downloads of the step it reached; run alone (the player rested on a step), the fragment is
    a rerun of its own, within its own budget."""
    run_guarded(draw_step_panel, text, values, options, zoom, dark, labels, height)


def draw_step_panel(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                    zoom: int, dark: bool, labels: Labels, height: int) -> None:
    """What :func:`step_panel` draws, unguarded."""
    full = view_for(text, values, options, None, labels, draw=False)
    n = full.n_steps
    payload, issue = page_player.player_issue(text, values, options, labels)
    step = n
    if payload:
        reached = step_player(data=payload, height=height, narrow_height=page_player.PHONE_HEIGHT,
                              key="player", default=n)
        step = max(0, min(int(reached), n)) if isinstance(reached, (int, float)) else n
    # With the player on the page no drawing is made here (one layout run less before the new
    # graph shows): the SVG download is made on click, a greyed last graph only when needed.
    # A player past the work budget is not followed by a drawing of the same graph (past it too).
    over_budget = issue is not None and issue.explanation == OVER_BUDGET_ADVICE
    if over_budget:  # said at once, before the step's numbers are asked for
        show_issue(View(text, issue=issue))
    # With the player on the page the view of the step is the whole pass's at that step (no
    # drawing either way): no second call to a worker.
    view = (replace(full, step=step) if payload
            else view_for(text, values, options, step, labels, draw=not over_budget))
    if view.svg and not payload:  # no player (too many steps, …): the finished drawing, and why
        st.caption(md_escape(issue.message) if issue is not None else "")
        st.markdown(graph_html(view.svg, zoom, dark), unsafe_allow_html=True)
    if view.issue is None and (view.svg or payload):
        st.session_state.last_good = {"svg": view.svg, "problem": (text, values, options, labels),
                                      "fields": full.fields, "values": values, "text": text}
    elif view.issue is not None and not over_budget:
        show_issue(view)
    step_downloads(text, values, options, view.step, n, view.svg, labels)


def show_last_good(options: RenderOptions, zoom: int) -> None:
    """The last graph that worked, greyed out, while the problem on the page cannot be drawn."""
    last = st.session_state.get("last_good")
    svg = (last.get("svg") or view_for(*last["problem"][:3], None, last["problem"][3]).svg) if last else ""
    if svg:
        st.caption("The last graph that worked, greyed out until the problem is fixed:")
        st.markdown(graph_html(svg, zoom, options.background == "dark", greyed=True), unsafe_allow_html=True)
