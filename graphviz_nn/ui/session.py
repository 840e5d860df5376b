"""What the page remembers between runs (``st.session_state``) and the callbacks of the
expression page that change it: the text box, the value fields and their kinds, the URL's
values, and the widgets kept alive while the other mode is on screen.
"""

from __future__ import annotations

import streamlit as st

from ..page import fields as page_fields
from ..page import values as page_values
from ..page.values import ValueState
from ..page.view import DEFAULT_TEXT

__all__ = ["MODES", "NET_VIEWS", "MODE_KEYS", "STICKY", "VALUE_PREFIX", "start_state", "url_values",
           "reset_step", "keep_widget_state", "value_state", "set_state", "text_changed",
           "field_changed", "forget_kinds", "field_kinds"]

VALUE_PREFIX = "v_"  # URL parameter prefix of input values: ?expr=x*y&v_x=2&v_y=3
MODES = ("Expression or program", "Layer network")
NET_VIEWS = ("Computation graph", "Neurons")
#: Widget keys of each mode; kept alive while the other mode is on screen.
MODE_KEYS = {MODES[0]: ("text", "num:", "val:", "bat:", "kind:"), MODES[1]: ("net_",)}
#: Widgets that a run may skip (an error hides them) but whose choice should stay, with defaults.
STICKY = {"net_view": NET_VIEWS[0], "net_wgrads": False, "net_lr": 0.1, "targets": []}


def url_values() -> dict[str, str]:
    """Input values given in the URL (``v_x=2``)."""
    return {k[len(VALUE_PREFIX):]: str(v) for k, v in st.query_params.to_dict().items()
            if k.startswith(VALUE_PREFIX)}


def start_state() -> None:
    """The first run of a session: the URL's expression and values reproduce a view."""
    if "text" not in st.session_state:
        start = ValueState(st.query_params.get("expr", DEFAULT_TEXT))
        set_state(page_values.set_values(start, url_values()))


def reset_step() -> None:
    """A new problem or new values start at the finished graph."""
    st.session_state.pop("player", None)


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


def value_state() -> ValueState:
    """The expression page's values: the text box and the entries of the fields it leaves open."""
    return ValueState(st.session_state.get("text", ""), st.session_state.get("free_values", ()))


def set_state(state: ValueState) -> None:
    """Make ``state`` the page's values (before the text box is drawn: in a callback or first run)."""
    st.session_state.text = state.text
    st.session_state.free_values = state.free


def text_changed() -> None:
    """The text box was edited: its own values win over old field entries."""
    set_state(page_values.edit_text(value_state(), st.session_state.text))
    reset_step()


def field_changed(name: str, key: str, problem: int = 0) -> None:
    """A value field was edited: write the value into the text, or keep it as the field's entry.
    ``problem`` is the problem the field was drawn for: an edit the browser sends together with
    loading another example belongs to the old problem and is dropped."""
    if problem != st.session_state.get("problem", 0):
        return
    entry = st.session_state[key]
    if key.startswith("num:"):
        raw, kind = page_values.number_text(entry), "number"
    else:
        raw = str(entry)
        kind = st.session_state.get(f"kind:{name}") or page_fields.field_kind(raw)
    set_state(page_values.set_entry(value_state(), name, raw, kind))
    reset_step()


def forget_kinds() -> None:
    """A new problem: each field's kind follows its value again (an old choice of "vector/matrix"
    for x must not turn the next problem's number x into a text field)."""
    for key in [k for k in st.session_state if str(k).startswith("kind:")]:
        del st.session_state[key]


def field_kinds() -> dict[str, str]:
    """The kinds the value fields have (name -> number, array, batch)."""
    return {str(k)[len("kind:"):]: str(v) for k, v in st.session_state.items() if str(k).startswith("kind:")}
