"""graphviz_nn in the browser: type or pick a problem, see values and gradients on the graph,
step through the forward and backward passes, download the diagram; or build a layer network,
switch to its neuron view and take gradient-descent steps; then take the chain rule apart.

This script only wires the page together. The widgets live in :mod:`graphviz_nn.ui` (one module
per part of the page), over cached, pure functions of :mod:`graphviz_nn.page`:
:func:`graphviz_nn.page.view.build_view`, the step player's data of
:mod:`graphviz_nn.page.player`, the teaching panels of :mod:`graphviz_nn.page.teach` and
:mod:`graphviz_nn.page.worksheet`, the downloads of :mod:`graphviz_nn.page.downloads`, and the
network form of :mod:`graphviz_nn.page.netview` (tested without Streamlit in tests/page/ and
tests/app/test_app_network.py). Run with ``make app``.
"""

from __future__ import annotations

import streamlit as st

from graphviz_nn.ui import guard, layout, session
from graphviz_nn.ui.expression import expression_page
from graphviz_nn.ui.network import network_page
from graphviz_nn.ui.sidebar import sidebar

# The heavy functions run in worker processes within a time and memory budget; the server
# starts the pool once, on its first run.
guard.start_workers()


def main() -> None:
    """One run of the page: the problem beside the player on a laptop screen, the teaching
    tabs below; the network page instead of the expression page when its mode is chosen."""
    st.set_page_config(page_title="graphviz_nn: backprop, step by step", page_icon="∂", layout="wide")
    session.start_state()  # first run: the URL reproduces a view
    session.keep_widget_state(st.session_state.get("mode", session.MODES[0]))
    layout.page_style()
    options, zoom = sidebar()
    mode, left, stage = layout.frame()
    if mode == session.MODES[1]:
        network_page(options, zoom, left, stage)
    else:
        expression_page(options, zoom, left, stage)


guard.run_guarded(main)
