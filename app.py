"""graphviz_nn in the browser: type or pick a problem, see values and gradients on the graph,
step through the forward and backward passes, download the diagram; or build a layer network,
switch to its neuron view and take gradient-descent steps; then take the chain rule apart.

Only widgets and layout live here. Everything shown comes from cached, pure functions of the
package: :func:`graphviz_nn.page.view.build_view`, the teaching panels of
:mod:`graphviz_nn.page.teach` and :mod:`graphviz_nn.page.worksheet`, the downloads of
:mod:`graphviz_nn.page.downloads`, and the network form of :mod:`graphviz_nn.page.netview` (tested
without Streamlit in tests/test_pipeline.py and tests/test_app_network.py). Run with
``make app``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import streamlit as st
from streamlit.components.v1 import declare_component

from graphviz_nn.page import dispatch, netview
from graphviz_nn.page import view as pipeline
from graphviz_nn.page import downloads as pipeline_downloads
from graphviz_nn.page import exports as page_exports
from graphviz_nn.page import teach as pipeline_teach
from graphviz_nn.page import values as pipeline_values
from graphviz_nn.page import worksheet as pipeline_worksheet
from graphviz_nn.page import fields as page_fields
from graphviz_nn.export import plots
from graphviz_nn.explain.captions import EDGE_MODES, format_number
from graphviz_nn.errors import GnnError
from graphviz_nn.page.examples import Example, list_examples
from graphviz_nn.page.netview import SpecForm
from graphviz_nn.page.values import ValueState
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.page.view import InputField, Labels, View
from graphviz_nn.export.player import static_dir
from graphviz_nn.page import player as pipeline_player
from graphviz_nn.page.style import page_css

#: The step player (graphviz_nn/export/player/static): steps, zoom and inspection in the
#: browser; it returns the step reached once stepping rests, for the downloads.
step_player = declare_component("graphviz_nn_player", path=str(static_dir()))
VALUE_PREFIX = "v_"  # URL parameter prefix of input values: ?expr=x*y&v_x=2&v_y=3
MODES = ("Expression or program", "Layer network")
NET_VIEWS = ("Computation graph", "Neurons")
EDGE_CHOICES = ("off",) + EDGE_MODES  # what edges show: nothing, the formula, the value, or both
#: Widget keys of each mode; kept alive while the other mode is on screen.
MODE_KEYS = {MODES[0]: ("text", "num:", "val:", "bat:", "kind:"), MODES[1]: ("net_",)}
#: Widgets that a run may skip (an error hides them) but whose choice should stay, with defaults.
STICKY = {"net_view": NET_VIEWS[0], "net_wgrads": False, "net_lr": 0.1, "targets": []}
#: While a rerun is on its way, Streamlit keeps the previous run's elements on screen (marked
#: ``data-stale``) until the new run redraws them. A download button among them would hand over
#: the file of what the page showed before (the previous step after Next, the old values after
#: an edit): it takes no clicks until its own run has drawn it.
STALE_DOWNLOADS = ('<style>[data-stale="true"] [data-testid="stDownloadButton"] button '
                   '{pointer-events: none; cursor: progress;}</style>')
#: The widths of the problem column and the player's column.
COLUMNS = (0.34, 0.66)
NET_VIEW_ROW = 48  # the network's view switch above its drawing, in CSS pixels
FIELD_SPLIT = (0.58, 0.42)  # a value field and the menu of its kind, side by side
DEFAULT_CHAIN = SpecForm(chain="Linear(2->2) -> ReLU -> Linear(2->1)", loss="half_sse", bias="folded",
                         values_text="x = [1, 2]\ny = 3\nW1 = [[2, 1, 0], [0, 2, 0]]\nW2 = [[0, 1, 2]]",
                         names=(("W1", "alpha"), ("W2", "beta")), title="α/β network")


# --------------------------------------------------------------------------- cached pipeline


# The heavy functions run in worker processes within a time and memory budget (page/budget.py,
# page/dispatch.py); their answers are cached there, by size, so these two need no st.cache_data.
dispatch.start()


def view_for(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, step: int | None,
             labels: Labels = (), draw: bool = True) -> View:
    """The page for (text, values, options, step): parse, evaluate, and draw unless ``draw`` is
    false (the player draws the graph: the page only needs the numbers); never raises."""
    return pipeline.build_view(text, values, options, step, draw=draw, labels=labels)


def neuron_view_for(form: SpecForm, show_weight_grads: bool, options: RenderOptions) -> netview.NeuronView:
    """The neuron-level drawing of the form's network (or why it is not drawn)."""
    return netview.neuron_view(form, True, show_weight_grads, options.show_values, options.show_grads,
                               options.rankdir, options.digits)


@st.cache_data(max_entries=64, show_spinner=False)
def examples() -> list[Example]:
    """The examples menu (``examples/*.gnn``)."""
    return list_examples()


def download_data(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                  step: int, fmt: str, labels: Labels = ()) -> Any:
    """A deferred download: the file is made only when its button is clicked."""

    def make() -> bytes:
        try:
            return pipeline_downloads.export(text, values, options, step, fmt, labels)
        except Exception as exc:  # never a traceback; the file says what went wrong
            return f"graphviz_nn could not export {fmt}: {exc}\n".encode()

    return make


def steps_data(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, fmt: str,
               labels: Labels = ()) -> Any:
    """A deferred step-sequence download (zip of SVGs, GIF or PDF), made on click."""

    def make() -> bytes:
        try:
            return pipeline_downloads.steps_export(text, values, options, fmt, labels)
        except Exception as exc:
            return f"graphviz_nn could not export the steps as {fmt}: {exc}\n".encode()

    return make


# --------------------------------------------------------------------------- small helpers


def md_escape(text: str) -> str:
    """Text safe to put inside st.markdown: no markup, no LaTeX, no HTML."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>$~])", r"\\\1", text)


def fenced(text: str) -> str:
    """A fenced code block that no backtick run in ``text`` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def graph_html(svg: str, zoom: int, dark: bool, greyed: bool = False, state: str | None = None) -> str:
    """The SVG in a scrollable box, scaled to ``zoom`` percent of its natural size; ``state``
    tells drawings apart (``current``, ``stale``, ``paths``, ``worksheet``)."""
    svg = pipeline.inline_svg(svg, zoom)
    style = ("overflow:auto; max-height:72vh; border:1px solid rgba(128,128,128,0.35); "
             "border-radius:6px; padding:6px; background:" + ("#1e1e1e" if dark else "#ffffff") + ";")
    if greyed:
        style += " opacity:0.35; filter:grayscale(100%);"
    state = state or ("stale" if greyed else "current")
    # One line: inside st.markdown a blank line would end the HTML block.
    svg = " ".join(line.strip() for line in svg.splitlines() if line.strip())
    return f'<div class="gnn-graph" data-state="{state}" style="{style}">{svg}</div>'


def url_values() -> dict[str, str]:
    """Input values given in the URL (``v_x=2``)."""
    return {k[len(VALUE_PREFIX):]: str(v) for k, v in st.query_params.to_dict().items()
            if k.startswith(VALUE_PREFIX)}


# --------------------------------------------------------------------------- callbacks


def reset_step() -> None:
    """A new problem or new values start at the finished graph."""
    st.session_state.pop("player", None)


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


def forget_kinds() -> None:
    """A new problem: each field's kind follows its value again (an old choice of "vector/matrix"
    for x must not turn the next problem's number x into a text field)."""
    for key in [k for k in st.session_state if str(k).startswith("kind:")]:
        del st.session_state[key]


def value_state() -> ValueState:
    """The expression page's values: the text box and the entries of the fields it leaves open."""
    return ValueState(st.session_state.get("text", ""), st.session_state.get("free_values", ()))


def set_state(state: ValueState) -> None:
    """Make ``state`` the page's values (before the text box is drawn: in a callback or first run)."""
    st.session_state.text = state.text
    st.session_state.free_values = state.free


def text_changed() -> None:
    """The text box was edited: its own values win over old field entries."""
    set_state(pipeline_values.edit_text(value_state(), st.session_state.text))
    reset_step()


def field_changed(name: str, key: str, problem: int = 0) -> None:
    """A value field was edited: write the value into the text, or keep it as the field's entry.
    ``problem`` is the problem the field was drawn for: an edit the browser sends together with
    loading another example belongs to the old problem and is dropped."""
    if problem != st.session_state.get("problem", 0):
        return
    entry = st.session_state[key]
    if key.startswith("num:"):
        raw, kind = pipeline_values.number_text(entry), "number"
    else:
        raw = str(entry)
        kind = st.session_state.get(f"kind:{name}") or page_fields.field_kind(raw)
    set_state(pipeline_values.set_entry(value_state(), name, raw, kind))
    reset_step()


def set_form(form: SpecForm) -> None:
    """Put a spec into the network form (widgets and the hidden names and title)."""
    st.session_state.update(net_chain=form.chain, net_loss=form.loss, net_bias=form.bias,
                            net_init=form.init, net_seed=int(form.seed), net_values=form.values_text,
                            net_names=form.names, net_title=form.title, net_exact=form.exact_text)
    st.session_state.upload_error = None
    reset_training()


def current_form() -> SpecForm:
    """The network form as the widgets hold it."""
    ss = st.session_state
    return SpecForm(chain=ss.net_chain, loss=ss.net_loss, bias=ss.net_bias, init=ss.net_init,
                    seed=int(ss.net_seed), values_text=ss.net_values, names=tuple(ss.get("net_names", ())),
                    title=ss.get("net_title", ""), exact_text=ss.get("net_exact", ""))


def form_changed() -> None:
    """A hand edit of the form starts a new loss curve and shows the finished graph."""
    reset_step()
    reset_training()


def chain_changed() -> None:
    """An edited chain keeps the display names of parameters it still has and the title (marked
    edited); a loss named at its end (``… -> MSE``) is shown in the Loss menu."""
    form = netview.edited_chain(current_form(), st.session_state.net_chain)
    st.session_state.update(net_title=form.title, net_names=form.names, net_loss=form.loss)
    form_changed()


def reset_training() -> None:
    st.session_state.net_losses = []
    st.session_state.net_start = None
    st.session_state.train_error = None


def upload_spec() -> None:
    """A spec file was uploaded: fill the form, or keep the form and say what is wrong."""
    upload = st.session_state.get("spec_upload")
    if upload is None:
        return
    try:
        form = netview.read_spec(upload.getvalue(), upload.name)
    except GnnError as err:
        st.session_state.upload_error = err.render()
        return
    except Exception as exc:  # a spec the checks missed: say so, never a traceback
        st.session_state.upload_error = f"{upload.name}: not a valid spec ({type(exc).__name__}: {exc})"
        return
    set_form(form)
    reset_step()


def take_steps(steps: int) -> None:
    """Gradient descent on the form's network: new values in the editor, losses on the curve."""
    form = current_form()
    try:
        result = netview.take_steps(form, float(st.session_state.net_lr), steps)
    except GnnError as err:
        st.session_state.train_error = err.render()
        return
    except Exception as exc:
        st.session_state.train_error = f"{type(exc).__name__}: {exc}"
        return
    losses = list(st.session_state.get("net_losses") or [])
    if not losses:
        st.session_state.net_start = (form.values_text, form.exact_text)
        losses = [result.losses[0]]
    st.session_state.net_losses = losses + list(result.losses[1:])
    st.session_state.net_values = result.form.values_text  # rounded to show; exact numbers behind
    st.session_state.net_exact = result.form.exact_text
    st.session_state.train_error = None
    reset_step()


def restore_start() -> None:
    """Back to the values before the first step."""
    start = st.session_state.get("net_start")
    if start is not None:
        st.session_state.net_values, st.session_state.net_exact = start
    reset_training()
    reset_step()


# --------------------------------------------------------------------------- page parts


def value_fields(fields: tuple[InputField, ...], values: tuple[tuple[str, str], ...],
                 disabled: bool = False) -> None:
    """One field per input, of the kind its value is (:mod:`graphviz_nn.page.fields`): a number
    field for a scalar, a vector/matrix field (JSON, its shape in the label) for an array, a
    batch field (one number a line) for a column of points; under each, the menu of kinds. A
    field's key is set whenever the value differs, so the browser shows it too."""
    if not fields:
        return
    with st.container(key="gnn_values"):
        for field, (name, raw) in zip(fields, values):
            refused = page_fields.kind_refused(raw, st.session_state.get(f"kind:{name}"))
            kind = page_fields.field_kind(raw, st.session_state.get(f"kind:{name}"))
            if st.session_state.get(f"kind:{name}") != kind:
                st.session_state[f"kind:{name}"] = kind
            numeric = kind == "number" and page_fields.is_number(raw)
            key = f"num:{name}" if numeric else (f"bat:{name}" if kind == "batch" else f"val:{name}")
            wanted: Any = float(raw) if numeric else (page_fields.batch_lines(raw) if kind == "batch" else raw)
            if st.session_state.get(key) != wanted:
                st.session_state[key] = wanted
            label = f"{field.label}" if field.label == field.name else f"{field.label} ({field.name})"
            entry, menu = st.columns(FIELD_SPLIT, gap="small", vertical_alignment="bottom")
            if numeric:
                entry.number_input(label, key=key, format="%g", step=1.0, on_change=field_changed,
                                   args=(name, key, st.session_state.get("problem", 0)), disabled=disabled)
            elif kind == "batch":
                entry.text_area(f"{label} · {page_fields.describe(raw, kind)}", key=key, height=100,
                                on_change=field_changed, args=(name, key, st.session_state.get("problem", 0)), disabled=disabled,
                                help="One point a line (or separated by commas): the graph is computed at "
                                     "every point; the gradients add up over the points.")
            else:
                entry.text_input(f"{label} · {page_fields.describe(raw, kind)}", key=key, on_change=field_changed,
                                 args=(name, key, st.session_state.get("problem", 0)), disabled=disabled,
                                 help="A vector [1, 2] or a matrix [[1, 2], [0, -1]] (rows in brackets).")
            menu.selectbox(f"Kind of {label}", page_fields.KINDS, key=f"kind:{name}",
                           format_func=page_fields.KIND_LABELS.get, label_visibility="collapsed",
                           on_change=reset_step, disabled=disabled)
            if refused:
                st.caption(refused)


def field_kinds() -> dict[str, str]:
    """The kinds the value fields have (name -> number, array, batch)."""
    return {str(k)[len("kind:"):]: str(v) for k, v in st.session_state.items() if str(k).startswith("kind:")}


def show_issue(view: View) -> None:
    issue = view.issue
    assert issue is not None
    if issue.kind == "syntax":
        st.error("**Could not read the text**\n\n" + fenced(issue.message))
    elif issue.kind == "internal":
        st.error("**Internal error**\n\n" + fenced(issue.message))
    else:
        st.error(fenced(issue.message))
    st.info(md_escape(issue.explanation))


def summary_line(view: View) -> str:
    out = dict(view.labels)
    f = md_escape(view.output)
    parts = [f"**{f} = {md_escape(view.value)}**"]
    for name, grad in view.gradients:
        parts.append(f"∂{f}/∂{md_escape(out.get(name, name))} = {md_escape(grad)}")
    return " · ".join(parts)


def step_panel(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
               zoom: int, dark: bool, labels: Labels = (), height: int = pipeline_player.PLAYER_HEIGHT) -> None:
    """The step player (graph, step controls, caption, trace table, inspector) and the
    downloads of the step it reached."""
    try:
        with dispatch.rerun_budget():  # run alone (the player rested on a step), the fragment is a rerun
            _step_panel(text, values, options, zoom, dark, labels, height)
    except Exception as exc:  # the fragment reruns on its own: guard it too
        st.error("graphviz_nn hit an internal error: " + html.escape(f"{type(exc).__name__}: {exc}"))


def _step_panel(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                zoom: int, dark: bool, labels: Labels, height: int) -> None:
    full = view_for(text, values, options, None, labels, draw=False)
    n = full.n_steps
    payload, issue = pipeline_player.player_issue(text, values, options, labels)
    step = n
    if payload:
        reached = step_player(data=payload, height=height, narrow_height=pipeline_player.PHONE_HEIGHT,
                              key="player", default=n)
        step = max(0, min(int(reached), n)) if isinstance(reached, (int, float)) else n
    # With the player on the page no drawing is made here (one layout run less before the new
    # graph shows): the SVG download is made on click, a greyed last graph only when needed.
    view = view_for(text, values, options, step, labels, draw=not payload)
    if view.svg and not payload:  # no player (too many steps, …): the finished drawing, and why
        st.caption(md_escape(issue.message) if issue is not None else "")
        st.markdown(graph_html(view.svg, zoom, dark), unsafe_allow_html=True)
    if view.issue is None and (view.svg or payload):
        st.session_state.last_good = {"svg": view.svg, "problem": (text, values, options, labels),
                                      "fields": full.fields, "values": values, "text": text}
    elif view.issue is not None:
        show_issue(view)

    cols = st.columns(len(pipeline_downloads.EXPORT_FORMATS) + 1, vertical_alignment="center")
    cols[0].markdown(f"**Download step {view.step}**")
    for col, (fmt, ext, mime, label) in zip(cols[1:], pipeline_downloads.EXPORT_FORMATS):
        # A drawing made for the page is handed over directly; other files are made on click.
        # The key names the step, so each step's button is its own element (a test or a script
        # can ask for step k's button); STALE_DOWNLOADS keeps an older run's button unclickable.
        data = view.svg.encode("utf-8") if fmt == "svg" and view.svg else download_data(
            text, values, options, view.step, fmt, labels)
        col.download_button(label, data=data,
                            file_name=f"graph-step{view.step}.{ext}", mime=mime,
                            on_click="ignore", key=f"download_{fmt}_step{view.step}", width="stretch")
    cols = st.columns(len(pipeline_downloads.STEP_EXPORTS) + 1, vertical_alignment="center")
    cols[0].markdown(f"**{pipeline_downloads.steps_heading(n)}**")
    for col, (fmt, ext, mime, label) in zip(cols[1:], pipeline_downloads.STEP_EXPORTS):
        col.download_button(label, data=steps_data(text, values, options, fmt, labels),
                            file_name=f"steps.{ext}", mime=mime, on_click="ignore",
                            key=f"download_steps_{fmt}", width="stretch")


def sidebar() -> tuple[RenderOptions, int]:
    """Examples menu and display toggles."""
    from graphviz_nn.draw.themes import THEMES

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
    rows, issue = pipeline_teach.gradient_check_rows(text, values, options.digits, labels)
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


def teaching_panels(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                    labels: Labels = ()) -> None:
    """Issue 6: the chain rule along every path, backprop beside finite differences, and the
    local derivative on every edge in LaTeX."""
    view = view_for(text, values, options, None, labels, draw=False)
    if view.issue is not None:
        return
    shown = dict(view.labels)
    names = [name for name, _ in view.labels]
    st.markdown("#### Take the chain rule apart")
    rule_tab, check_tab, edge_tab, sheet_tab, plot_tab = st.tabs(["Chain rule", "Gradient check",
                                                                   "Edge formulas", "Worksheet", "Function plot"])
    with rule_tab:
        chain_rule_panel(text, values, options, labels, names, shown)
    with check_tab:
        gradient_check_panel(text, values, options, labels)
    with edge_tab:
        mode = st.session_state.get("edge_mode", "off")
        mode = "both" if mode == "off" else mode
        latex, count = pipeline_teach.edge_formulas(text, values, mode, options.digits, labels)
        if latex:
            st.caption(f"The local derivative ∂(use)/∂(operand) on each of the {count} edges a gradient "
                       f"flows back along, in the order of the backward pass ({mode}; change it with "
                       "“Edges show” in the sidebar).")
            if count > pipeline.MAX_EDGE_TERMS:
                st.caption(f"The first {pipeline.MAX_EDGE_TERMS} are written here.")
            st.latex(latex)
    with sheet_tab:
        worksheet_panel(text, values, options, labels)
    with plot_tab:
        plot_panel(text, values, names)


PLOT_PRESETS = {"this expression": None, **plots.ACTIVATIONS}


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
    data, issue = pipeline_teach.function_samples(*args)
    if issue is not None:  # e.g. a network's matrix input: not a one-variable function
        st.info(f"Nothing to plot against {variable}: pick an activation above, or a scalar input.\n\n"
                + fenced(issue.message))
        return
    st.caption(f"f({variable}) = {plot_text} and its derivative from the engine's backward pass on 401 points "
               f"(the other inputs keep their values).")
    import pandas as pd

    # Charted in the browser; the drawn picture (matplotlib, ~1 s) is made only for a download.
    frame = pd.DataFrame({"f": data.y, "df/d" + variable: data.dy}, index=pd.Index(data.x, name=variable))
    st.line_chart(frame, x_label=variable, height=320)
    c1, c2 = st.columns(2)
    for col, fmt, mime in ((c1, "svg", "image/svg+xml"), (c2, "png", "image/png")):
        col.download_button(f"Plot as {fmt.upper()}", file_name=f"plot.{fmt}", mime=mime, key=f"plot_{fmt}",
                            on_click="ignore",
                            data=deferred(lambda fmt=fmt: pipeline_teach.function_plot(*args, fmt)[0], "the plot"))


def worksheet_panel(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                    labels: Labels = ()) -> None:
    """Blanks on the drawing; the student types each answer and gets ✓ or ✗ with a hint."""
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    blank = c1.radio("Blank out", ("grads", "values", "both"), horizontal=True, key="ws_blank",
                     format_func={"grads": "gradients", "values": "values", "both": "both"}.get)
    sample = int(c2.number_input("How many (0 = all)", min_value=0, step=1, key="ws_sample",
                                 help="Keep this many blanks, chosen at random by the seed."))
    seed = int(c3.number_input("Seed", min_value=0, step=1, key="ws_seed"))
    choice = dict(blank=blank, sample=sample or None, seed=seed, labels=labels)
    sheet = pipeline_worksheet.worksheet_view(text, values, options, **choice)
    if sheet.issue is not None:
        st.error(fenced(sheet.issue.message))
        return
    st.caption(sheet.caption)
    st.markdown(graph_html(sheet.svg, 100, options.background == "dark", state="worksheet"),
                unsafe_allow_html=True)
    answers = {}
    width = min(4, max(1, len(sheet.blanks)))
    for start in range(0, len(sheet.blanks), width):  # one row of columns at a time: Tab goes (1), (2), …
        for column, (number, label) in zip(st.columns(width), sheet.blanks[start:start + width]):
            with column:
                answers[number] = st.text_input(f"({number}) {label}", key=f"ws_answer:{blank}:{number}",
                                                placeholder="a number, 1/3 or e^2")
    if any(a.strip() for a in answers.values()):
        rows, issue = pipeline_worksheet.check_worksheet(text, values, answers, options=options, **choice)
        if issue is not None:
            st.error(fenced(issue.message))
            return
        right = sum(1 for r in rows if r.ok)
        st.markdown(f"**{right} of {len(rows)} right**")
        for r in rows:
            if r.given is None:
                continue
            if r.ok:
                st.markdown(f"✓ ({r.number}) {md_escape(r.label)}")
            else:
                st.markdown(f"✗ ({r.number}) {md_escape(r.label)} — hint: {md_escape(r.hint)}")
    cols = st.columns(7, vertical_alignment="center")
    cols[0].markdown("**Download**")
    i = 1
    for key in (False, True):
        for fmt, ext, mime, label in (("svg", "svg", "image/svg+xml", "SVG"), ("pdf", "pdf", "application/pdf", "PDF"),
                                      ("tex", "tex", "application/x-tex", "TikZ")):
            name = "answer-key" if key else "worksheet"
            cols[i].download_button(f"{'Key' if key else 'Sheet'} {label}",
                                    data=worksheet_data(text, values, options, fmt, key, choice),
                                    file_name=f"{name}.{ext}", mime=mime, on_click="ignore",
                                    key=f"ws_download_{name}_{fmt}", width="stretch")
            i += 1


def worksheet_data(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, fmt: str, key: bool,
                   choice: dict[str, Any]) -> Any:
    """A deferred worksheet (or answer key) download."""

    def make() -> bytes:
        try:
            return pipeline_worksheet.worksheet_export(text, values, options, fmt, key, **choice)
        except Exception as exc:
            return f"graphviz_nn could not export the worksheet as {fmt}: {exc}\n".encode()

    return make


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
    panels, issue = pipeline_teach.chain_rule_panels(text, values, tuple(targets), options.digits, labels)
    if issue is not None:
        st.error(fenced(issue.message))
        return
    if len(panels) == 2:
        st.markdown(f"Factors the two share are in <span style='color:{pipeline_teach.SHARED_COLOR}'>"
                    "orange</span> and marked ● in the tables: both gradients reuse them, which is why "
                    "backprop computes them once.", unsafe_allow_html=True)
    svg, drawing_issue = pipeline_teach.chain_rule_drawing(text, values, options, tuple(targets), labels)
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


def expression_page(options: RenderOptions, zoom: int, left: Any, stage: Any) -> None:
    """Type an expression or a program, give the inputs values, step through: the problem in
    ``left``, the player in ``stage``, the teaching panels below both."""
    with left:
        text = st.text_area("Expression or program", key="text", height=96, on_change=text_changed,
                            help="e.g. x^2 + 3xy, sin(xy)/z + e^(xz)/(xy), or lines like "
                                 "`z1 = w1*x + w01` with inputs `x = 1`. Ctrl+Enter applies.")
        inputs = pipeline_values.page_inputs(value_state(), field_kinds())
        if not inputs.fields and inputs.issue is not None:
            last = st.session_state.get("last_good")
            if last:  # the text cannot be read: show the last fields, unchangeable until it can
                value_fields(last["fields"], last["values"], disabled=True)
            show_issue(View(text, issue=inputs.issue))
            with stage:
                show_last_good(options, zoom)
            return
        value_fields(inputs.fields, inputs.values)
        values = inputs.values
        view = (view_for(text, values, options, None, draw=False) if inputs.issue is None
                else View(text, issue=inputs.issue))
        if view.issue is not None:
            show_issue(view)
            with stage:
                show_last_good(options, zoom)
            return
        st.markdown(f"**Read as** `{view.reading.replace('`', '')}`  \n{summary_line(view)}",
                    help=f"Fully bracketed: {view.canonical}")
        if view.canonical != view.reading:
            st.caption("Fully bracketed: " + md_escape(view.canonical))
        for warning in view.warnings:  # a warning about the text ends with its line and a caret
            head, _, caret = warning.partition("\n")
            st.warning(md_escape(head) + (f"\n\n{fenced(caret)}" if caret else ""))
        if view.nonfinite:
            st.warning(md_escape(view.nonfinite))
    st.query_params.from_dict({"expr": text, **{VALUE_PREFIX + k: v for k, v in values}})
    with stage:
        run_steps(text, values, options, zoom)
    more_downloads(text, values, options)
    teaching_panels(text, values, options)


def run_steps(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, zoom: int,
              labels: Labels = (), height: int = pipeline_player.PLAYER_HEIGHT) -> None:
    """The step panel as a fragment: the step the player reports reruns only the downloads."""
    st.fragment(step_panel)(text, values, options, zoom, options.background == "dark", labels, height)


def show_last_good(options: RenderOptions, zoom: int) -> None:
    last = st.session_state.get("last_good")
    svg = (last.get("svg") or view_for(*last["problem"][:3], None, last["problem"][3]).svg) if last else ""
    if svg:
        st.caption("The last graph that worked, greyed out until the problem is fixed:")
        st.markdown(graph_html(svg, zoom, options.background == "dark", greyed=True), unsafe_allow_html=True)


def network_form() -> None:
    """Chain, loss, bias, init, seed and the values editor; or an uploaded spec file."""
    st.text_input("Layer chain", key="net_chain", on_change=chain_changed,
                  help="Layers joined by ->, e.g. Linear(2->2) -> ReLU -> Linear(2->1) -> MSE. "
                       "Activations: ReLU, Sigmoid, Tanh, LeakyReLU, Softplus, GELU, Softmax, Identity.")
    c1, c2, c3, c4 = st.columns(4)
    named = netview.chain_loss(st.session_state.get("net_chain", ""))
    c1.selectbox("Loss", netview.LOSS_CHOICES, key="net_loss", on_change=form_changed, disabled=named is not None,
                 help="The chain names the loss at its end." if named is not None else None)
    c2.selectbox("Bias", netview.BIAS_CHOICES, key="net_bias", on_change=form_changed,
                 help="separate: W1 and b1; folded: W1 has an extra first column that multiplies 1.")
    c3.text_input("Init", key="net_init", on_change=form_changed, placeholder="given values",
                  help="Parameters the values leave out: empty (give them all), random, or a number.")
    c4.number_input("Seed", key="net_seed", step=1, min_value=0, on_change=form_changed)
    st.text_area("Values", key="net_values", height=120, on_change=form_changed,
                 help="One per line as in a spec's [values] table: x = [1, 2], y = 3, "
                      "W1 = [[2, 1, 0], [0, 2, 0]], b1 = [0, 0]. W_k is (outputs × inputs).")
    with st.expander("Or upload a spec file"):
        st.file_uploader("Or upload a spec file", type=["toml"], key="spec_upload", on_change=upload_spec,
                         label_visibility="collapsed",
                         help="A TOML file with [network] (chain, loss, bias, init, seed, title, names) "
                              "and [values], like examples/*.toml.")


def network_page(options: RenderOptions, zoom: int, left: Any, stage: Any) -> None:
    """A layer chain with values (or a spec file), the graph or neuron view, SGD steps: the form,
    its program and the steps in ``left``, the drawing in ``stage``."""
    if "net_chain" not in st.session_state:
        set_form(DEFAULT_CHAIN)
    with left:
        network_form()
        if st.session_state.get("upload_error"):
            st.error("**The spec file was not loaded**\n\n" + fenced(st.session_state.upload_error))
            st.info("The form keeps the last spec that worked. A spec has a [network] table with "
                    "chain = \"Linear(2->2) -> ReLU -> Linear(2->1)\" and a [values] table.")
        form = current_form()
        try:
            net = netview.network(form)
        except GnnError as err:
            st.error(fenced(err.render()))
            st.info("Check the chain, the loss and the values: each W_k must be (outputs × inputs"
                    + (" + 1" if form.bias == "folded" else "") + ") and every parameter needs a value "
                    "(or set Init to random).")
            with stage:
                show_last_good(options, zoom)
            return
        text, values, labels = net.program, netview.program_values(net), netview.display_labels(net)
        view = view_for(text, values, options, None, labels, draw=False)
        if view.issue is not None:
            show_issue(view)
            with stage:
                show_last_good(options, zoom)
            return
        title = f"**{md_escape(form.title)}** · " if form.title else ""
        st.markdown(title + summary_line(view))
        if view.nonfinite:
            st.warning(md_escape(view.nonfinite))
        training_panel(net.loss)
        with st.expander("The chain expands into this program"):
            st.code(net.program, language=None)
            st.download_button("Download this spec (.toml)", netview.spec_toml(form), file_name="network.toml",
                               mime="application/toml", on_click="ignore", key="download_spec")
    with stage:
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        which = c1.radio("View", NET_VIEWS, horizontal=True, key="net_view", label_visibility="collapsed")
        if which == NET_VIEWS[1]:
            grads_on_edges = c2.toggle("∂L/∂w on the edges", key="net_wgrads")
            neurons = neuron_view_for(form, grads_on_edges, options)
            if neurons.svg:
                step_player(data=pipeline_player.drawing_json(neurons.svg, form.title, options.background == "dark"),
                            height=pipeline_player.PLAYER_HEIGHT - NET_VIEW_ROW, key="neuron_player", default=0)
                st.session_state.last_good = {"svg": neurons.svg, "fields": (), "values": (), "text": text}
                neuron_downloads(form, options, grads_on_edges, neurons.svg)
            else:
                st.info(md_escape(neurons.message) + " — showing the computation graph instead.")
                run_steps(text, values, options, zoom, labels, pipeline_player.PLAYER_HEIGHT - NET_VIEW_ROW)
        else:
            run_steps(text, values, options, zoom, labels, pipeline_player.PLAYER_HEIGHT - NET_VIEW_ROW)
    more_downloads(text, values, options, labels)
    teaching_panels(text, values, options, labels)


def training_panel(loss: str) -> None:
    """Take a gradient-descent step (or ten) and watch the loss curve."""
    st.markdown("**Gradient descent**")
    if loss == "none":
        st.caption("Training needs a loss: pick one in the form (or end the chain with -> MSE).")
        return
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
    losses = st.session_state.get("net_losses") or []
    if losses:
        import pandas as pd

        st.markdown(f"Loss {md_escape(format_number(losses[0]))} before the first step, "
                    f"{md_escape(format_number(losses[-1]))} after {len(losses) - 1} "
                    f"step{'s' if len(losses) != 2 else ''}. Each step sets every parameter "
                    "w ← w − η ∂L/∂w; the values editor shows the new values.")
        st.line_chart(pd.DataFrame({"loss": losses}, index=pd.RangeIndex(len(losses), name="step")),
                      x_label="step", y_label="loss", height=220)
    else:
        st.caption("Each step sets every parameter w ← w − η ∂L/∂w; the loss curve appears here.")


# --------------------------------------------------------------------------- merge switch, code, neuron view files


def merge_toggle() -> bool:
    """The CLI's ``--no-merge`` as a switch: off draws identical subexpressions once each time
    they are written (a tree)."""
    return st.toggle("Merge identical subexpressions", value=True, key="merge",
                     help="On: sin(x)·sin(x) computes sin(x) once and its gradient adds up along both "
                          "uses. Off: every written occurrence is its own node (a tree), as --no-merge.",
                     on_change=reset_step)


def deferred(make: Any, what: str) -> Any:
    """A download made only when its button is clicked; a failure becomes a file saying why."""

    def made() -> bytes:
        try:
            return make()
        except Exception as exc:  # never a traceback
            return f"graphviz_nn could not export {what}: {exc}\n".encode()

    return made


def more_downloads(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                   labels: Labels = ()) -> None:
    """The graph as a NumPy or PyTorch script that recomputes the value and every gradient."""
    with st.expander("Export as code (NumPy, PyTorch)"):
        st.caption("A standalone script of this graph and these values: it prints the value and every "
                   "gradient as JSON (as `graphviz-nn code` does).")
        cols = st.columns(len(page_exports.CODE_EXPORTS))
        for col, (lang, name, mime, label) in zip(cols, page_exports.CODE_EXPORTS):
            # Made now (a script is a few milliseconds of string building): a deferred download
            # outside the step fragment left the fragment's step downloads stale after Prev/Next.
            try:
                script = page_exports.code_export(text, values, options, lang, labels)
            except Exception as exc:  # never a traceback
                script = f"graphviz_nn could not export the {label}: {exc}\n".encode()
            col.download_button(label, file_name=name, mime=mime, on_click="ignore", key=f"download_code_{lang}",
                                data=script, width="stretch")


def neuron_downloads(form: SpecForm, options: RenderOptions, grads_on_edges: bool, svg: str) -> None:
    """The neuron view as SVG (the drawing on the page), PNG, PDF or DOT."""
    cols = st.columns(len(page_exports.NEURON_FORMATS) + 1, vertical_alignment="center")
    cols[0].markdown("**Download the neuron view**")
    for col, (fmt, ext, mime, label) in zip(cols[1:], page_exports.NEURON_FORMATS):
        data = svg.encode("utf-8") if fmt == "svg" else deferred(
            lambda fmt=fmt: page_exports.neuron_export(form, fmt, options, grads_on_edges), f"the neuron view as {fmt}")
        col.download_button(label, data=data, file_name=f"neurons.{ext}", mime=mime, on_click="ignore",
                            key=f"download_neurons_{fmt}", width="stretch")


def keep_widget_state(mode: str) -> None:
    """Streamlit forgets a widget's value when a run does not draw it. Keep the other mode's
    fields, and the choices an error may hide for a run (:data:`STICKY`)."""
    for other, prefixes in MODE_KEYS.items():
        if other == mode:
            continue
        for key in [k for k in st.session_state if str(k).startswith(prefixes) and k not in STICKY]:
            st.session_state[key] = st.session_state[key]
    for key, default in STICKY.items():
        st.session_state[key] = st.session_state.get(key, default)


def main() -> None:
    st.set_page_config(page_title="graphviz_nn: backprop, step by step", page_icon="∂", layout="wide")
    if "text" not in st.session_state:  # first run: the URL reproduces a view
        start = ValueState(st.query_params.get("expr", pipeline.DEFAULT_TEXT))
        set_state(pipeline_values.set_values(start, url_values()))
    keep_widget_state(st.session_state.get("mode", MODES[0]))
    st.html(STALE_DOWNLOADS + f"<style>{page_css()}</style>")
    options, zoom = sidebar()

    # One laptop screen: the problem (text, values, what it reads as) on the left, the player
    # with its step controls and caption on the right; a phone stacks them. The teaching panels
    # follow below, full width.
    left, right = st.columns(COLUMNS, gap="small")
    with left:
        with st.container(key="gnn_title"):
            st.markdown("**graphviz_nn** · backprop on your own problem",
                        help="Type an expression or a program, or build a layer network; give the inputs "
                             "values, and step through the forward and backward passes.")
        mode = st.radio("Problem", MODES, horizontal=True, key="mode", on_change=reset_step,
                        label_visibility="collapsed")
    stage = right.container(key="gnn_stage")
    if mode == MODES[1]:
        network_page(options, zoom, left, stage)
    else:
        expression_page(options, zoom, left, stage)


try:
    with dispatch.rerun_budget():  # this run's bounded calls share one budget (page/budget.py)
        main()
except Exception as exc:  # a bug must never show a traceback on the page
    st.error("graphviz_nn hit an internal error: " + html.escape(f"{type(exc).__name__}: {exc}"))
