"""The expression page: type an expression or a program, give its inputs values, read what it
was read as and its result; the step player beside it, the teaching tabs below."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..draw.options import RenderOptions
from ..page import values as page_values
from ..page.view import View
from .downloads import more_downloads
from .markdown import fenced, md_escape, show_issue, summary_line
from .player import run_steps, show_last_good, view_for
from .session import VALUE_PREFIX, field_kinds, text_changed, value_state
from .teaching import teaching_panels
from .valuefields import value_fields

__all__ = ["expression_page"]


def expression_page(options: RenderOptions, zoom: int, left: Any, stage: Any) -> None:
    """Type an expression or a program, give the inputs values, step through: the problem in
    ``left``, the player in ``stage``, the teaching panels below both."""
    with left:
        text = st.text_area("Expression or program", key="text", height=96, on_change=text_changed,
                            help="e.g. x^2 + 3xy, sin(xy)/z + e^(xz)/(xy), or lines like "
                                 "`z1 = w1*x + w01` with inputs `x = 1`. Ctrl+Enter applies.")
        inputs = page_values.page_inputs(value_state(), field_kinds())
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
