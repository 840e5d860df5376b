"""The teaching tabs under the graph: the chain rule along every path to one or two targets,
backprop beside finite differences, the local derivative on every edge in LaTeX, the worksheet
(:mod:`.worksheet`) and a function plot."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from ..draw.options import RenderOptions
from ..export import plots
from ..page import teach as page_teach
from ..page.view import MAX_EDGE_TERMS, Labels
from .downloads import deferred
from .markdown import fenced, graph_html, md_escape
from .player import view_for
from .worksheet import worksheet_panel

__all__ = ["TABS", "TAB_KEY", "PLOT_PRESETS", "teaching_panels", "chain_rule_panel", "gradient_check_panel",
           "edge_formulas_panel", "plot_panel", "plot_spec"]

TABS = ("Chain rule", "Gradient check", "Edge formulas", "Worksheet", "Function plot")
"""The teaching tabs, in order; the first is open when the page opens."""
TAB_KEY = "teach_tab"
"""The session-state key holding the open tab's title (set it to open a tab from a script)."""
PLOT_PRESETS = {"this expression": None, **plots.ACTIVATIONS}
"""What the function plot can draw: the page's own expression or one activation of ``x``."""


def teaching_panels(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                    labels: Labels = ()) -> None:
    """The chain rule along every path, backprop beside finite differences, the local
    derivative on every edge in LaTeX, the worksheet and the function plot, one tab each."""
    view = view_for(text, values, options, None, labels, draw=False)
    if view.issue is not None:
        return
    shown = dict(view.labels)
    names = [name for name, _ in view.labels]
    st.markdown("#### Take the chain rule apart")
    # Only the open tab is made (a tab chosen reruns the page): the worksheet's drawing and the
    # plot's samples are not made again for every new value while their tabs are closed.
    tabs = st.tabs(list(TABS), key=TAB_KEY, on_change="rerun")
    panels = (lambda: chain_rule_panel(text, values, options, labels, names, shown),
              lambda: gradient_check_panel(text, values, options, labels),
              lambda: edge_formulas_panel(text, values, options, labels),
              lambda: worksheet_panel(text, values, options, labels),
              lambda: plot_panel(text, values, names))
    for tab, panel in zip(tabs, panels):
        if tab.open is not False:
            with tab:
                panel()


def chain_rule_panel(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                     labels: Labels, names: list[str], shown: dict[str, str]) -> None:
    """Pick one or two targets: every path to each as a product of factors; shared ones marked."""
    chosen = [t for t in st.session_state.get("targets", []) if t in names]
    if chosen != st.session_state.get("targets", []):
        st.session_state.targets = chosen
    targets = st.multiselect("Targets", names, key="targets", max_selections=2,
                             format_func=lambda n: shown.get(n, n),
                             placeholder="Pick an input (say w1), then a second one to compare",
                             help="∂output/∂target is the sum over every path from the output down "
                                  "to the target of the product of the local derivatives on it.")
    if not targets:
        st.caption("Pick a target to write its gradient as a product of factors along each path.")
        return
    panels, issue = page_teach.chain_rule_panels(text, values, tuple(targets), options.digits, labels,
                                                 merge=options.merge, constant_grads=options.constant_grads)
    if issue is not None:
        st.error(fenced(issue.message))
        return
    if len(panels) == 2:
        st.markdown(f"Factors the two share are in <span style='color:{page_teach.SHARED_COLOR}'>"
                    "orange</span> and marked ● in the tables: both gradients reuse them, which is why "
                    "backprop computes them once.", unsafe_allow_html=True)
    svg, drawing_issue = page_teach.chain_rule_drawing(text, values, options, tuple(targets), labels)
    if svg:
        st.caption("The paths on the graph: thick, dashed and orange, from the output down to "
                   + " and ".join(md_escape(shown.get(t, t)) for t in targets) + ".")
        st.markdown(graph_html(svg, 100, options.background == "dark", state="paths"), unsafe_allow_html=True)
    elif drawing_issue is not None:
        st.caption(md_escape(drawing_issue.message))
    import pandas as pd

    for i, panel in enumerate(panels):
        paths = f"{panel.n_paths:,} path" + ("s" if panel.n_paths != 1 else "")
        more = " (too many to list: the first ones are shown)" if panel.truncated else ""
        st.markdown(f"**∂{md_escape(panel.output)}/∂{md_escape(panel.label)} = {md_escape(panel.total)}** "
                    f"— {paths}{more}, {len(panel.rows)} factors")
        st.latex(panel.equation)
        frame = pd.DataFrame([{"path": r.path, "factor": r.factor, "formula": r.formula, "value": r.value,
                               "shared": "●" if r.shared else ""} for r in panel.rows])
        st.dataframe(frame, hide_index=True, width="stretch", key=f"factors_{i}",
                     height=min(38 + 35 * len(panel.rows), 360))
        if panel.n_paths > 1 and not panel.truncated:
            st.caption("Path products: " + " + ".join(panel.products) + f" = {panel.total}")


def gradient_check_panel(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                         labels: Labels) -> None:
    """Backprop beside central differences, computed when asked for (each checked entry reruns
    the whole graph twice) and kept for the same problem."""
    problem = hash((text, values, labels))
    if st.session_state.get("gradcheck_for") != problem:
        st.caption("Compare every input's gradient from backprop with central differences "
                   "(f(x + h) − f(x − h)) / 2h. Large inputs are checked at a sample of their entries.")
        if not st.button("Run the gradient check", key="gradcheck_run", icon=":material/rule:"):
            return
        st.session_state.gradcheck_for = problem
    rows, issue = page_teach.gradient_check_rows(text, values, options.digits, labels)
    if issue is not None:
        st.error(fenced(issue.message))
    elif rows:
        import pandas as pd

        st.caption("Every input's gradient from backprop beside central differences "
                   "(f(x + h) − f(x − h)) / 2h, with the largest relative error.")
        frame = pd.DataFrame([{"input": r.label, "backprop": r.backprop, "finite difference": r.numeric,
                               "relative error": r.relative_error, "agree": "✓" if r.ok else "✗"}
                              for r in rows])
        st.dataframe(frame, hide_index=True, width="stretch", key="gradcheck_table")


def edge_formulas_panel(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                        labels: Labels) -> None:
    """The local derivative on every edge a gradient flows back along, in LaTeX, in the form
    the sidebar's "Edges show" picks (both when the edges show nothing)."""
    mode = st.session_state.get("edge_mode", "off")
    mode = "both" if mode == "off" else mode
    latex, count = page_teach.edge_formulas(text, values, mode, options.digits, labels)
    if latex:
        st.caption(f"The local derivative ∂(use)/∂(operand) on each of the {count} edges a gradient "
                   f"flows back along, in the order of the backward pass ({mode}; change it with "
                   "“Edges show” in the sidebar).")
        if count > MAX_EDGE_TERMS:
            st.caption(f"The first {MAX_EDGE_TERMS} are written here.")
        st.latex(latex)


def plot_panel(text: str, values: tuple[tuple[str, str], ...], names: list[str]) -> None:
    """f and its derivative (computed by backprop on a batch of points) over one variable."""
    preset = st.selectbox("Plot", list(PLOT_PRESETS), key="plot_preset")
    chosen = PLOT_PRESETS[preset]
    plot_text = chosen if chosen is not None else text
    variables = ["x"] if chosen is not None else names
    if not variables:
        st.caption("The expression has no input to plot against.")
        return
    cols = st.columns(3)
    variable = cols[0].selectbox("Variable", variables, key="plot_var")
    lo = cols[1].number_input("from", value=-3.0, key="plot_lo")
    hi = cols[2].number_input("to", value=3.0, key="plot_hi")
    args = (plot_text, variable, float(lo), float(hi), () if chosen is not None else values)
    data, issue = page_teach.function_samples(*args)
    if issue is not None:  # e.g. a network's matrix input: not a one-variable function
        st.info(f"Nothing to plot against {variable}: pick an activation above, or a scalar input.\n\n"
                + fenced(issue.message))
        return
    st.caption(f"f({variable}) = {plot_text} and its derivative from the engine's backward pass on 401 points "
               f"(the other inputs keep their values).")
    # Charted in the browser; the drawn picture (matplotlib, ~1 s) is made only for a download.
    st.vega_lite_chart(plot_spec(variable, data.x, data.y, data.dy), width="stretch")
    c1, c2 = st.columns(2)
    for col, fmt, mime in ((c1, "svg", "image/svg+xml"), (c2, "png", "image/png")):
        col.download_button(f"Plot as {fmt.upper()}", file_name=f"plot.{fmt}", mime=mime, key=f"plot_{fmt}",
                            on_click="ignore",
                            data=deferred(lambda fmt=fmt: page_teach.function_plot(*args, fmt)[0], "the plot"))


def plot_spec(variable: str, x: Any, y: Any, dy: Any) -> dict[str, Any]:
    """f and its derivative over ``x`` as a Vega-Lite line chart: a plain spec (a few
    milliseconds a rerun, where ``st.line_chart`` of a DataFrame built and checked an Altair
    chart for ~45 ms); where a curve is not finite its value is null and its line breaks there.

    >>> spec = plot_spec("x", [0.0, 1.0], [0.0, 1.0], [0.0, 2.0])
    >>> [(p["x"], p["curve"], p["y"]) for p in spec["data"]["values"]][:3]
    [(0.0, 'f', 0.0), (1.0, 'f', 1.0), (0.0, 'df/dx', 0.0)]
    """
    rows = [{"x": float(a), "curve": name, "y": float(b) if math.isfinite(float(b)) else None}
            for name, ys in (("f", y), (f"df/d{variable}", dy)) for a, b in zip(x, ys)]
    return {"data": {"values": rows}, "mark": {"type": "line"}, "height": 320,
            "encoding": {"x": {"field": "x", "type": "quantitative", "title": variable},
                         "y": {"field": "y", "type": "quantitative", "title": None},
                         "color": {"field": "curve", "type": "nominal", "title": None,
                                   "sort": ["f", f"df/d{variable}"]}}}
