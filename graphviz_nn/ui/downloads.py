"""The download buttons: the step the player reached and the whole pass, the graph as code,
the neuron view. Files that take a layout run are made only when their button is clicked, and a
failure becomes a file saying why (never a traceback)."""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from ..draw.options import RenderOptions
from ..page import downloads as page_downloads
from ..page import exports as page_exports
from ..page.netview import SpecForm
from ..page.view import Labels

__all__ = ["STALE_DOWNLOADS", "CODE_KEY", "deferred", "button_row", "step_downloads", "more_downloads", "neuron_downloads"]

#: While a rerun is on its way, Streamlit keeps the previous run's elements on screen (marked
#: ``data-stale``) until the new run redraws them. A download button among them would hand over
#: the file of what the page showed before (the previous step after Next, the old values after
#: an edit): it takes no clicks until its own run has drawn it.
STALE_DOWNLOADS = ('<style>[data-stale="true"] [data-testid="stDownloadButton"] button '
                   '{pointer-events: none; cursor: progress;}</style>')


CODE_KEY = "code_export"
"""The session-state key that says whether the code downloads' expander is open."""


def deferred(make: Callable[[], bytes], what: str) -> Callable[[], bytes]:
    """A download made only when its button is clicked; a failure becomes a file saying why."""

    def made() -> bytes:
        try:
            return make()
        except Exception as exc:  # never a traceback
            return f"graphviz_nn could not export {what}: {exc}\n".encode()

    return made


def button_row(heading: str) -> Any:
    """A row of download buttons after a bold ``heading``, wrapping on a narrow screen: one
    element of the page, where columns made one per button and one more for the row (each
    element of the page costs the browser work on every rerun)."""
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    row.markdown(f"**{heading}**", width="content")
    return row


def step_downloads(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, step: int,
                   n_steps: int, svg: str, labels: Labels = ()) -> None:
    """Two rows of buttons: the drawing of step ``step`` in every format, and the whole pass
    (``n_steps`` steps) as a zip of SVGs, a GIF or a PDF."""
    row = button_row(f"Download step {step}")
    for fmt, ext, mime, label in page_downloads.EXPORT_FORMATS:
        # A drawing made for the page is handed over directly; other files are made on click.
        # The key names the step, so each step's button is its own element (a test or a script
        # can ask for step k's button); STALE_DOWNLOADS keeps an older run's button unclickable.
        data: Any = svg.encode("utf-8") if fmt == "svg" and svg else deferred(
            lambda fmt=fmt: page_downloads.export(text, values, options, step, fmt, labels), fmt)
        row.download_button(label, data=data, file_name=f"graph-step{step}.{ext}", mime=mime,
                            on_click="ignore", key=f"download_{fmt}_step{step}")
    row = button_row(page_downloads.steps_heading(n_steps))
    for fmt, ext, mime, label in page_downloads.STEP_EXPORTS:
        data = deferred(lambda fmt=fmt: page_downloads.steps_export(text, values, options, fmt, labels),
                        f"the steps as {fmt}")
        row.download_button(label, data=data, file_name=f"steps.{ext}", mime=mime, on_click="ignore",
                            key=f"download_steps_{fmt}")


def more_downloads(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
                   labels: Labels = ()) -> None:
    """The graph as a NumPy or PyTorch script that recomputes the value and every gradient."""
    # The scripts are made only while the expander is open (opening it reruns the page).
    box = st.expander("Export as code (NumPy, PyTorch)", key=CODE_KEY, on_change="rerun")
    if box.open is False:
        return
    with box:
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
    row = button_row("Download the neuron view")
    for fmt, ext, mime, label in page_exports.NEURON_FORMATS:
        data: Any = svg.encode("utf-8") if fmt == "svg" else deferred(
            lambda fmt=fmt: page_exports.neuron_export(form, fmt, options, grads_on_edges), f"the neuron view as {fmt}")
        row.download_button(label, data=data, file_name=f"neurons.{ext}", mime=mime, on_click="ignore",
                            key=f"download_neurons_{fmt}")
