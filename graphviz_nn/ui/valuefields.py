"""The value fields of the expression page: one field per input, of the kind its value is
(:mod:`graphviz_nn.page.fields`), with the menu of kinds beside it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..page import fields as page_fields
from ..page.view import InputField
from .session import field_changed, reset_step

__all__ = ["KIND_MENU_WIDTH", "value_fields"]

KIND_MENU_WIDTH = 148
"""The menu of a field's kind beside the field, in CSS pixels (the field takes the rest of the
row: about 58/42 in the problem's column of a laptop or a phone)."""


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
            # one row element, where columns made three (each element costs the browser work
            # on every rerun)
            entry = menu = st.container(horizontal=True, wrap=False, gap="small", vertical_alignment="bottom")
            if numeric:
                entry.number_input(label, key=key, format="%g", step=1.0, on_change=field_changed,
                                   args=(name, key, st.session_state.get("problem", 0)), disabled=disabled)
            elif kind == "batch":
                entry.text_area(f"{label} · {page_fields.describe(raw, kind)}", key=key, height=100,
                                on_change=field_changed, args=(name, key, st.session_state.get("problem", 0)),
                                disabled=disabled,
                                help="One point a line (or separated by commas): the graph is computed at "
                                     "every point; the gradients add up over the points.")
            else:
                entry.text_input(f"{label} · {page_fields.describe(raw, kind)}", key=key, on_change=field_changed,
                                 args=(name, key, st.session_state.get("problem", 0)), disabled=disabled,
                                 help="A vector [1, 2] or a matrix [[1, 2], [0, -1]] (rows in brackets).")
            menu.selectbox(f"Kind of {label}", page_fields.KINDS, key=f"kind:{name}",
                           format_func=page_fields.KIND_LABELS.get, label_visibility="collapsed",
                           on_change=reset_step, disabled=disabled, width=KIND_MENU_WIDTH)
            if refused:
                st.caption(refused)
