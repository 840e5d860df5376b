"""The sidebar: the examples menu and the display options, read into one
:class:`~graphviz_nn.draw.options.RenderOptions` and a zoom."""

from __future__ import annotations

import streamlit as st

from ..draw.options import RenderOptions
from ..draw.themes import THEMES
from ..errors import GnnError
from ..explain.captions import EDGE_MODES
from ..page import netview
from ..page.examples import Example, list_examples
from ..page.values import ValueState
from .netstate import set_form
from .session import MODES, forget_kinds, reset_step, set_state

__all__ = ["EDGE_CHOICES", "examples", "load_example", "merge_toggle", "sidebar"]

EDGE_CHOICES = ("off",) + EDGE_MODES  # what edges show: nothing, the formula, the value, or both


@st.cache_data(max_entries=64, show_spinner=False)
def examples() -> list[Example]:
    """The examples menu (``examples/*.gnn``)."""
    return list_examples()


def load_example() -> None:
    """The examples menu: a program goes into the text box (the fields then show its values), a
    layer spec into the network form."""
    title = st.session_state.get("example")
    for ex in examples():
        if ex.title != title:
            continue
        if ex.kind == "spec":
            try:
                set_form(netview.read_spec(ex.text, f"{ex.slug}.toml"))
            except GnnError as err:
                st.session_state.upload_error = err.render()
            st.session_state.mode = MODES[1]
        else:
            set_state(ValueState(ex.text))
            forget_kinds()
            st.session_state.problem = st.session_state.get("problem", 0) + 1
            st.session_state.mode = MODES[0]
        reset_step()


def merge_toggle() -> bool:
    """The CLI's ``--no-merge`` as a switch: off draws identical subexpressions once each time
    they are written (a tree)."""
    return st.toggle("Merge identical subexpressions", value=True, key="merge",
                     help="On: sin(x)·sin(x) computes sin(x) once and its gradient adds up along both "
                          "uses. Off: every written occurrence is its own node (a tree), as --no-merge.",
                     on_change=reset_step)


def sidebar() -> tuple[RenderOptions, int]:
    """Examples menu and display toggles: the picture's options and the zoom in percent."""
    with st.sidebar:
        st.header("Examples")
        titles = [ex.title for ex in examples()]
        st.selectbox("Load an example", titles, index=None, key="example",
                     placeholder="Pick a problem…", on_change=load_example)
        st.header("Display")
        show_values = st.toggle("Values", value=True, key="show_values")
        show_grads = st.toggle("Gradients", value=True, key="show_grads")
        edge_mode = st.radio("Edges show", EDGE_CHOICES, index=0, horizontal=True, key="edge_mode",
                             help="What the drawing writes on each edge: the local derivative's formula "
                                  "(local a1), its value with upstream × local = contribution, or both. "
                                  "The Edge formulas panel below writes them in LaTeX.")
        color_by_sign = st.toggle("Colour gradients by sign", value=False, key="color_by_sign")
        constant_grads = st.toggle("Gradients of constants", value=False, key="constant_grads",
                                   help="Also compute ∂f/∂c for constants c (PyTorch gives them none).")
        themes = sorted(THEMES)
        theme = st.selectbox("Theme", themes, index=themes.index("lecture") if "lecture" in themes else 0,
                             key="theme")
        dark = st.toggle("Dark background", value=False, key="dark")
        rankdir = st.radio("Direction", ["LR", "TB"], horizontal=True, key="rankdir",
                           format_func=lambda d: "left → right" if d == "LR" else "top → bottom")
        digits = st.slider("Digits", 2, 8, 4, key="digits")
        zoom = st.slider("Zoom (%)", 25, 300, 100, step=25, key="zoom")
        merge = merge_toggle()
    options = RenderOptions(theme=theme, background="dark" if dark else "white",
                            show_values=show_values, show_grads=show_grads,
                            edge_labels=edge_mode in ("value", "both"),
                            edge_text=None if edge_mode == "off" else edge_mode,
                            rankdir=rankdir, digits=digits, color_by_sign=color_by_sign,
                            constant_grads=constant_grads, merge=merge)
    return options, zoom
