"""graphviz_nn in the browser: type or pick a problem, see values and gradients on the graph,
step through the forward and backward passes, download the diagram.

Only widgets and layout live here. Everything shown comes from one cached, pure function of
the package, :func:`graphviz_nn.pipeline.build_view` (tested without Streamlit in
tests/test_pipeline.py). Run with ``make app``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import streamlit as st

from graphviz_nn import pipeline
from graphviz_nn.pipeline import InputField, View, ViewOptions

PLAY_SECONDS = 0.9  # time between steps while playing
VALUE_PREFIX = "v_"  # URL parameter prefix of input values: ?expr=x*y&v_x=2&v_y=3


# --------------------------------------------------------------------------- cached pipeline


@st.cache_data(max_entries=512, show_spinner=False)
def view_for(text: str, values: tuple[tuple[str, str], ...], options: ViewOptions, step: int | None) -> View:
    """The page for (text, values, options, step): parse, evaluate, draw; never raises."""
    return pipeline.build_view(text, values, options, step)


@st.cache_data(max_entries=64, show_spinner=False)
def examples() -> list[pipeline.Example]:
    """The examples menu (``examples/*.gnn``)."""
    return pipeline.list_examples()


def download_data(text: str, values: tuple[tuple[str, str], ...], options: ViewOptions,
                  step: int, fmt: str) -> Any:
    """A deferred download: the file is made only when its button is clicked."""

    def make() -> bytes:
        try:
            return pipeline.export(text, values, options, step, fmt)
        except Exception as exc:  # never a traceback; the file says what went wrong
            return f"graphviz_nn could not export {fmt}: {exc}\n".encode()

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


def graph_html(svg: str, zoom: int, dark: bool, greyed: bool = False) -> str:
    """The SVG in a scrollable box, scaled to ``zoom`` percent of its natural size."""
    svg = pipeline.inline_svg(svg, zoom)
    style = ("overflow:auto; max-height:72vh; border:1px solid rgba(128,128,128,0.35); "
             "border-radius:6px; padding:6px; background:" + ("#1e1e1e" if dark else "#ffffff") + ";")
    if greyed:
        style += " opacity:0.35; filter:grayscale(100%);"
    state = "stale" if greyed else "current"
    # One line: inside st.markdown a blank line would end the HTML block.
    svg = " ".join(line.strip() for line in svg.splitlines() if line.strip())
    return f'<div class="gnn-graph" data-state="{state}" style="{style}">{svg}</div>'


def url_values() -> dict[str, str]:
    """Input values given in the URL (``v_x=2``)."""
    return {k[len(VALUE_PREFIX):]: str(v) for k, v in st.query_params.to_dict().items()
            if k.startswith(VALUE_PREFIX)}


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- callbacks


def reset_step() -> None:
    """A new problem or new values start at the finished graph."""
    st.session_state.pop("step", None)
    st.session_state.playing = False


def load_example() -> None:
    """The examples menu: put the example's text in the box and its defaults in the fields."""
    title = st.session_state.get("example")
    for ex in examples():
        if ex.title == title:
            st.session_state.text = ex.text
            for key in [k for k in st.session_state if str(k).startswith(("num:", "val:"))]:
                del st.session_state[key]
            st.session_state.url_values = {}
            reset_step()


def move(delta: int, n_steps: int) -> None:
    st.session_state.playing = False
    st.session_state.step = max(0, min(n_steps, st.session_state.get("step", n_steps) + delta))


def toggle_play(n_steps: int) -> None:
    playing = not st.session_state.get("playing", False)
    if playing and st.session_state.get("step", n_steps) >= n_steps:
        st.session_state.step = 0
    st.session_state.playing = playing


# --------------------------------------------------------------------------- page parts


def value_fields(fields: tuple[InputField, ...]) -> tuple[tuple[str, str], ...]:
    """One field per input (numbers, or JSON text for arrays); returns (name, text) pairs."""
    if not fields:
        return ()
    given = st.session_state.get("url_values", {})
    values = []
    columns = st.columns(min(4, len(fields)))
    for i, field in enumerate(fields):
        initial = given.get(field.name, field.default)
        with columns[i % len(columns)]:
            label = f"{field.label}" if field.label == field.name else f"{field.label} ({field.name})"
            if field.is_array or not is_number(initial):
                raw = st.text_input(label, value=initial, key=f"val:{field.name}",
                                    help="A number or a JSON array, e.g. [1, 2] or [[1, 2], [3, 4]]",
                                    on_change=reset_step)
            else:
                number = st.number_input(label, value=float(initial), key=f"num:{field.name}",
                                         format="%g", step=1.0, on_change=reset_step)
                raw = repr(float(number)) if not float(number).is_integer() else str(int(number))
            values.append((field.name, raw))
    return tuple(values)


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


def step_panel(text: str, values: tuple[tuple[str, str], ...], options: ViewOptions,
               zoom: int, dark: bool) -> None:
    """Graph, step controls, caption, trace table and downloads for the current step."""
    try:
        _step_panel(text, values, options, zoom, dark)
    except Exception as exc:  # the fragment reruns on its own: guard it too
        st.error("graphviz_nn hit an internal error: " + html.escape(f"{type(exc).__name__}: {exc}"))


def _step_panel(text: str, values: tuple[tuple[str, str], ...], options: ViewOptions,
                zoom: int, dark: bool) -> None:
    full = view_for(text, values, options, None)
    n = full.n_steps
    playing = st.session_state.get("playing", False)
    if "step" not in st.session_state:
        st.session_state.step = n
    st.session_state.step = max(0, min(int(st.session_state.step), n))
    if playing and st.session_state.get("tick_ready", False):
        st.session_state.step = min(n, st.session_state.step + 1)
    st.session_state.tick_ready = playing
    if playing and st.session_state.step >= n:
        st.session_state.playing = playing = False
    if st.session_state.get("timer_on", False) != playing:
        st.rerun()  # restart the whole page so the fragment's timer matches Play/Pause

    view = view_for(text, values, options, st.session_state.step)
    c1, c2, c3, c4 = st.columns([1, 1, 1, 6], vertical_alignment="bottom")
    c1.button("Prev", icon=":material/skip_previous:", on_click=move, args=(-1, n),
              width="stretch", key="prev")
    c2.button("Next", icon=":material/skip_next:", on_click=move, args=(1, n),
              width="stretch", key="next")
    c3.button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
              on_click=toggle_play, args=(n,), width="stretch", key="play")
    c4.slider("Step", 0, max(n, 1), key="step", disabled=n == 0,
              help="0 is the bare graph; then one forward step per node, the seed, and one "
                   "backward step per edge.", on_change=lambda: st.session_state.update(playing=False))

    caption = view.caption
    if caption is not None:
        st.markdown(f"**Step {view.step} of {n} — {md_escape(caption.title)}**")
        if caption.latex:
            st.latex(caption.latex)
        st.markdown(md_escape(caption.words))

    if view.svg:
        st.markdown(graph_html(view.svg, zoom, dark), unsafe_allow_html=True)
        st.session_state.last_good = {"svg": view.svg, "fields": full.fields, "text": text}
    elif view.issue is not None:
        show_issue(view)

    if view.rows:
        import pandas as pd

        frame = pd.DataFrame([r.__dict__ for r in view.rows])
        frame.insert(0, "▶", ["▶" if r.step == view.step else "" for r in view.rows])

        def highlight(row: Any) -> list[str]:
            on = row["step"] == view.step
            return ["background-color: rgba(255, 200, 0, 0.35)" if on else "" for _ in row]

        with st.expander("Trace table", expanded=True):
            st.dataframe(frame.style.apply(highlight, axis=1), hide_index=True,
                         width="stretch", height=min(38 + 35 * len(view.rows), 320),
                         key="trace_table")

    cols = st.columns(len(pipeline.EXPORT_FORMATS) + 1, vertical_alignment="center")
    cols[0].markdown("**Download this step**")
    for col, (fmt, ext, mime, label) in zip(cols[1:], pipeline.EXPORT_FORMATS):
        # The SVG is the drawing on the page: hand it over directly; others are made on click.
        data = view.svg.encode("utf-8") if fmt == "svg" else download_data(text, values, options, view.step, fmt)
        col.download_button(label, data=data,
                            file_name=f"graph-step{view.step}.{ext}", mime=mime,
                            on_click="ignore", key=f"download_{fmt}", width="stretch")


def sidebar() -> tuple[ViewOptions, int]:
    """Examples menu and display toggles."""
    from graphviz_nn.themes import THEMES

    with st.sidebar:
        st.header("Examples")
        titles = [ex.title for ex in examples()]
        st.selectbox("Load an example", titles, index=None, key="example",
                     placeholder="Pick a problem…", on_change=load_example)
        st.header("Display")
        show_values = st.toggle("Values", value=True, key="show_values")
        show_grads = st.toggle("Gradients", value=True, key="show_grads")
        edge_labels = st.toggle("Edge terms (local × upstream)", value=False, key="edge_labels")
        color_by_sign = st.toggle("Colour gradients by sign", value=False, key="color_by_sign")
        themes = sorted(THEMES)
        theme = st.selectbox("Theme", themes, index=themes.index("lecture") if "lecture" in themes else 0,
                             key="theme")
        dark = st.toggle("Dark background", value=False, key="dark")
        rankdir = st.radio("Direction", ["LR", "TB"], horizontal=True, key="rankdir",
                           format_func=lambda d: "left → right" if d == "LR" else "top → bottom")
        digits = st.slider("Digits", 2, 8, 4, key="digits")
        zoom = st.slider("Zoom (%)", 25, 300, 100, step=25, key="zoom")
    options = ViewOptions(theme=theme, background="dark" if dark else "white",
                          show_values=show_values, show_grads=show_grads, edge_labels=edge_labels,
                          rankdir=rankdir, digits=digits, color_by_sign=color_by_sign)
    return options, zoom


def main() -> None:
    st.set_page_config(page_title="graphviz_nn: backprop, step by step", page_icon="∂", layout="wide")
    if "text" not in st.session_state:  # first run: the URL reproduces a view
        st.session_state.text = st.query_params.get("expr", pipeline.DEFAULT_TEXT)
        st.session_state.url_values = url_values()
    options, zoom = sidebar()

    st.markdown("### graphviz_nn: backprop on your own problem")
    st.caption("Type an expression or a program, give the inputs values, and step through the "
               "forward and backward passes.")
    text = st.text_area("Expression or program", key="text", height=80, on_change=reset_step,
                        help="e.g. x^2 + 3xy, sin(xy)/z + e^(xz)/(xy), or lines like "
                             "`z1 = w1*x + w01` with inputs `x = 1`. Ctrl+Enter applies.")

    first = view_for(text, (), options, None)
    fields = first.fields
    if not fields and first.issue is not None and first.issue.kind == "syntax":
        last = st.session_state.get("last_good")
        fields = last["fields"] if last else ()  # keep the fields (and their values) alive
    values = value_fields(fields) if fields else ()
    view = view_for(text, values, options, None) if first.issue is None or fields else first

    if view.issue is None:
        st.markdown(f"**Read as** `{view.canonical.replace('`', '')}`  \n{summary_line(view)}")
        for warning in view.warnings:
            st.warning(md_escape(warning))
        if view.nonfinite:
            st.warning(md_escape(view.nonfinite))
        st.query_params.from_dict({"expr": text, **{VALUE_PREFIX + k: v for k, v in values}})
        st.session_state.timer_on = st.session_state.get("playing", False)
        step_fragment = st.fragment(step_panel, run_every=PLAY_SECONDS if st.session_state.timer_on else None)
        step_fragment(text, values, options, zoom, options.background == "dark")
    else:
        show_issue(view)
        last = st.session_state.get("last_good")
        if last:
            st.caption("The last graph that worked, greyed out until the text is fixed:")
            st.markdown(graph_html(last["svg"], zoom, options.background == "dark", greyed=True),
                        unsafe_allow_html=True)


try:
    main()
except Exception as exc:  # a bug must never show a traceback on the page
    st.error("graphviz_nn hit an internal error: " + html.escape(f"{type(exc).__name__}: {exc}"))
