"""The worksheet tab: blanks on the drawing, an answer field per blank checked with ✓ or ✗ and
a hint, the sheet and its answer key as downloads."""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from ..draw.options import RenderOptions
from ..page import worksheet as page_worksheet
from ..page.view import Labels
from .downloads import deferred
from .markdown import fenced, graph_html, md_escape

__all__ = ["worksheet_panel", "worksheet_data"]


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
    sheet = page_worksheet.worksheet_view(text, values, options, **choice)
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
        rows, issue = page_worksheet.check_worksheet(text, values, answers, options=options, **choice)
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
                   choice: dict[str, Any]) -> Callable[[], bytes]:
    """A deferred worksheet (or answer key) download."""
    return deferred(lambda: page_worksheet.worksheet_export(text, values, options, fmt, key, **choice),
                    f"the worksheet as {fmt}")
