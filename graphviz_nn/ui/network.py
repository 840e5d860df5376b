"""The network page: a layer chain with values (or an uploaded spec file), gradient-descent
steps with the loss curve, and the network's computation graph or its neuron view."""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st

from ..draw.options import RenderOptions
from ..errors import GnnError
from ..explain.captions import format_number
from ..page import netview
from ..page import player as page_player
from ..page.netview import SpecForm
from .downloads import more_downloads, neuron_downloads
from .markdown import fenced, md_escape, show_issue, summary_line
from .netstate import (DEFAULT_CHAIN, chain_changed, current_form, form_changed, restore_start,
                       set_form, take_steps, upload_spec)
from .player import run_steps, show_last_good, step_player, view_for
from .session import NET_VIEWS
from .teaching import teaching_panels

__all__ = ["NET_VIEW_ROW", "loss_curve", "neuron_view_for", "network_form", "network_page", "spec_upload",
           "training_buttons", "loss_panel"]

NET_VIEW_ROW = 48  # the network's view switch above its drawing, in CSS pixels


def neuron_view_for(form: SpecForm, show_weight_grads: bool, options: RenderOptions) -> netview.NeuronView:
    """The neuron-level drawing of the form's network (or why it is not drawn)."""
    return netview.neuron_view(form, True, show_weight_grads, options.show_values, options.show_grads,
                               options.rankdir, options.digits)


def network_form() -> None:
    """Chain, loss, bias, init, seed and the values editor (a spec file is uploaded below the
    training panel: :func:`spec_upload`)."""
    st.text_input("Layer chain", key="net_chain", on_change=chain_changed,
                  help="Layers joined by ->, e.g. Linear(2->2) -> ReLU -> Linear(2->1) -> MSE. "
                       "Activations: ReLU, Sigmoid, Tanh, LeakyReLU, Softplus, GELU, Softmax, Identity.")
    # one row element, where four columns made five (each element costs the browser work on
    # every rerun, a training step's included); its fields wrap two to a row where four would be
    # too narrow to read (their least width: page.css)
    row = st.container(horizontal=True, wrap=True, gap="small", key="gnn_net_options")
    named = netview.chain_loss(st.session_state.get("net_chain", ""))
    row.selectbox("Loss", netview.LOSS_CHOICES, key="net_loss", on_change=form_changed, disabled=named is not None,
                 help="The chain names the loss at its end." if named is not None else None)
    row.selectbox("Bias", netview.BIAS_CHOICES, key="net_bias", on_change=form_changed,
                 help="separate: W1 and b1; folded: W1 has an extra first column that multiplies 1.")
    row.text_input("Init", key="net_init", on_change=form_changed, placeholder="given values",
                  help="Parameters the values leave out: empty (give them all), random, or a number.")
    row.number_input("Seed", key="net_seed", step=1, min_value=0, on_change=form_changed)
    st.text_area("Values", key="net_values", height=120, on_change=form_changed,
                 help="One per line as in a spec's [values] table: x = [1, 2], y = 3, "
                      "W1 = [[2, 1, 0], [0, 2, 0]], b1 = [0, 0]. W_k is (outputs × inputs).")


def spec_upload() -> None:
    """A spec file to load into the form, and why the last one was not loaded. It comes after the
    training panel: the form, the result and "Take a step" come first on a laptop's screen."""
    with st.expander("Upload a spec file (.toml)"):
        st.file_uploader("Upload a spec file", type=["toml"], key="spec_upload", on_change=upload_spec,
                         label_visibility="collapsed",
                         help="A TOML file with [network] (chain, loss, bias, init, seed, title, names) "
                              "and [values], like examples/*.toml.")
    if st.session_state.get("upload_error"):
        st.error("**The spec file was not loaded**\n\n" + fenced(st.session_state.upload_error))
        st.info("The form keeps the last spec that worked. A spec has a [network] table with "
                "chain = \"Linear(2->2) -> ReLU -> Linear(2->1)\" and a [values] table.")


def network_page(options: RenderOptions, zoom: int, left: Any, stage: Any) -> None:
    """A layer chain with values (or a spec file), the graph or neuron view, SGD steps: the form,
    its program and the steps in ``left``, the drawing in ``stage``."""
    if "net_chain" not in st.session_state:
        set_form(DEFAULT_CHAIN)
    with left:
        network_form()
        form = current_form()
        try:
            net = netview.network(form)
        except GnnError as err:
            st.error(fenced(err.render()))
            st.info("Check the chain, the loss and the values: each W_k must be (outputs × inputs"
                    + (" + 1" if form.bias == "folded" else "") + ") and every parameter needs a value "
                    "(or set Init to random).")
            spec_upload()
            with stage:
                show_last_good(options, zoom)
            return
        text, values, labels = net.program, netview.program_values(net), netview.display_labels(net)
        view = view_for(text, values, options, None, labels, draw=False)
        if view.issue is not None:
            show_issue(view)
            spec_upload()
            with stage:
                show_last_good(options, zoom)
            return
        # The training buttons right under the form, where a laptop's first screen shows them
        # whatever the size of the result line; the result and the loss curve below them.
        trains = training_buttons(net.loss)
        title = f"**{md_escape(form.title)}** · " if form.title else ""
        st.markdown(title + summary_line(view))
        if view.nonfinite:
            st.warning(md_escape(view.nonfinite))
        if trains:
            loss_panel(view.number)
        with st.expander("The chain expands into this program"):
            st.code(net.program, language=None)
            st.download_button("Download this spec (.toml)", netview.spec_toml(form), file_name="network.toml",
                               mime="application/toml", on_click="ignore", key="download_spec")
        spec_upload()
    with stage:
        row = st.container(horizontal=True, vertical_alignment="center", gap="medium")  # one element
        which = row.radio("View", NET_VIEWS, horizontal=True, key="net_view", label_visibility="collapsed")
        height = page_player.PLAYER_HEIGHT - NET_VIEW_ROW
        if which == NET_VIEWS[1]:
            grads_on_edges = row.toggle("∂L/∂w on the edges", key="net_wgrads")
            neurons = neuron_view_for(form, grads_on_edges, options)
            if neurons.svg:
                step_player(data=page_player.drawing_json(neurons.svg, form.title, options.background == "dark"),
                            height=height, key="neuron_player", default=0)
                st.session_state.last_good = {"svg": neurons.svg, "fields": (), "values": (), "text": text}
                neuron_downloads(form, options, grads_on_edges, neurons.svg)
            else:
                st.info(md_escape(neurons.message) + " — showing the computation graph instead.")
                run_steps(text, values, options, zoom, labels, height)
        else:
            run_steps(text, values, options, zoom, labels, height)
    more_downloads(text, values, options, labels)
    teaching_panels(text, values, options, labels)


def training_buttons(loss: str) -> bool:
    """Take a gradient-descent step (or ten), with the learning rate; whether the network can be
    trained (it has a loss)."""
    st.markdown("**Gradient descent**")
    if loss == "none":
        st.caption("Training needs a loss: pick one in the form (or end the chain with -> MSE).")
        return False
    c1, c2 = st.columns(2, vertical_alignment="bottom")
    c1.number_input("Learning rate", min_value=0.0, step=0.01, format="%g", key="net_lr")
    c2.button("Take a step", key="net_step", on_click=take_steps, args=(1,), width="stretch",
              icon=":material/south_east:")
    c3, c4 = st.columns(2, vertical_alignment="bottom")
    c3.button("Take 10 steps", key="net_step10", on_click=take_steps, args=(10,), width="stretch")
    c4.button("Reset values", key="net_reset", on_click=restore_start, width="stretch",
              disabled=st.session_state.get("net_start") is None)
    if st.session_state.get("train_error"):
        st.error(fenced(st.session_state.train_error))
    return True


def loss_panel(current: float | None = None) -> None:
    """The loss curve of the steps taken. It is on the page from the start, with the loss of the
    values shown (``current``) as its first point: a step then adds a point to a chart already
    drawn instead of creating one."""
    losses = st.session_state.get("net_losses") or []
    if losses:
        st.markdown(f"Loss {md_escape(format_number(losses[0]))} before the first step, "
                    f"{md_escape(format_number(losses[-1]))} after {len(losses) - 1} "
                    f"step{'s' if len(losses) != 2 else ''}. Each step sets every parameter "
                    "w ← w − η ∂L/∂w; the values editor shows the new values.")
    elif current is not None:
        st.markdown(f"Loss {md_escape(format_number(current))} with these values. Each step sets every "
                    "parameter w ← w − η ∂L/∂w and adds its loss to the curve.")
        losses = [current]
    else:
        st.caption("Each step sets every parameter w ← w − η ∂L/∂w; the loss curve appears here.")
    if losses:
        st.vega_lite_chart(loss_curve(losses), width="stretch")


LOSS_MARKS: dict[str, Any] = {
    "mark": {"type": "line", "point": {"filled": True, "size": 16}},
    "encoding": {"x": {"field": "step", "type": "quantitative", "title": "step",
                       "axis": {"tickMinStep": 1, "format": "d"}, "scale": {"domain": {"unionWith": [0, 1]}}},
                 "y": {"field": "loss", "type": "quantitative", "title": "loss"}},
    "height": 220}
"""The loss chart's marks, axes and size: the same for every number of steps. Streamlit sends the
data apart from the spec and its frontend swaps only the data while the spec text stays the same;
a spec that changed with the data (points only on short curves, say) would make it build the
whole Vega view again on that step. The step axis spans at least 0 to 1 and counts in whole
steps, so the curve's first point (before any step) sits at 0 on the left."""


def loss_curve(losses: list[float]) -> dict[str, Any]:
    """The loss after each training step as a Vega-Lite line chart (a plain spec: about 3 ms a
    rerun where ``st.line_chart`` of a DataFrame took ~45 ms before the player could update).

    >>> loss_curve([8.0, 2.0])["data"]["values"]
    [{'step': 0, 'loss': 8.0}, {'step': 1, 'loss': 2.0}]
    """
    return {"data": {"values": [{"step": i, "loss": float(v)} for i, v in enumerate(losses)]},
            **copy.deepcopy(LOSS_MARKS)}
