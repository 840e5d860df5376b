"""Each run of the page within its budget, and never a traceback on the page.

The heavy page functions run in worker processes within a time and memory budget
(:mod:`graphviz_nn.page.budget`, :mod:`graphviz_nn.page.dispatch`); their answers are cached
there, by size, so the widgets' functions need no ``st.cache_data``.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import streamlit as st

from ..page import dispatch

__all__ = ["start_workers", "run_guarded", "internal_error", "session_gone"]


def start_workers() -> None:
    """Send the page's bounded functions to the worker pool (once per server process)."""
    dispatch.start()


def internal_error(exc: BaseException) -> None:
    """A bug shown as one line on the page, never as a traceback."""
    st.error("graphviz_nn hit an internal error: " + html.escape(f"{type(exc).__name__}: {exc}"))


def session_gone() -> Callable[[], bool] | None:
    """A question the worker pool asks while a call of this run is under way: has the session
    that runs it ended (its browser tab closed or reloaded)? Then its call is stopped at once
    instead of holding a worker for nobody. ``None`` outside a Streamlit server (``AppTest``)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not Runtime.exists():
        return None
    runtime, session = Runtime.instance(), ctx.session_id
    return lambda: not runtime.is_active_session(session)


def run_guarded(part: Callable[..., None], *args: Any) -> None:
    """Run ``part(*args)`` as one rerun (its bounded calls share one budget, page/budget.py,
    and end when the session does); an exception becomes :func:`internal_error`. The whole
    script and the step fragment, which reruns on its own, both run through here."""
    try:
        with dispatch.rerun_budget(session_gone()):
            part(*args)
    except Exception as exc:  # a bug must never show a traceback on the page
        internal_error(exc)
