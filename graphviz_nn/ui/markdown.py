"""Text and drawings put on the page safely: escaped Markdown, fenced blocks that cannot be
closed early, the SVG box, the result's summary line, an issue as an error and a hint.

>>> md_escape("a_b*c")
'a\\\\_b\\\\*c'
>>> print(fenced("x ``` y"))
````text
x ``` y
````
"""

from __future__ import annotations

import re

import streamlit as st

from ..page.view import View, inline_svg

__all__ = ["md_escape", "fenced", "graph_html", "summary_line", "show_issue"]


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
    svg = inline_svg(svg, zoom)
    style = ("overflow:auto; max-height:72vh; border:1px solid rgba(128,128,128,0.35); "
             "border-radius:6px; padding:6px; background:" + ("#1e1e1e" if dark else "#ffffff") + ";")
    if greyed:
        style += " opacity:0.35; filter:grayscale(100%);"
    state = state or ("stale" if greyed else "current")
    # One line: inside st.markdown a blank line would end the HTML block.
    svg = " ".join(line.strip() for line in svg.splitlines() if line.strip())
    return f'<div class="gnn-graph" data-state="{state}" style="{style}">{svg}</div>'


def summary_line(view: View) -> str:
    """The output's value and every input's gradient, in one line of Markdown."""
    out = dict(view.labels)
    f = md_escape(view.output)
    parts = [f"**{f} = {md_escape(view.value)}**"]
    for name, grad in view.gradients:
        parts.append(f"∂{f}/∂{md_escape(out.get(name, name))} = {md_escape(grad)}")
    return " · ".join(parts)


def show_issue(view: View) -> None:
    """What went wrong with the view (a syntax error with its caret, …) and what to do."""
    issue = view.issue
    assert issue is not None
    if issue.kind == "syntax":
        st.error("**Could not read the text**\n\n" + fenced(issue.message))
    elif issue.kind == "internal":
        st.error("**Internal error**\n\n" + fenced(issue.message))
    else:
        st.error(fenced(issue.message))
    st.info(md_escape(issue.explanation))
