"""DOT and HTML-like label text: escaping, attribute lists, font tags and stacked rows.

All text a user typed (names, labels, titles) reaches DOT only through :func:`html_text` or
:func:`dot_string`, so it can never become markup.

>>> html_text('a<b & "c"')
'a&lt;b &amp; &quot;c&quot;'
>>> dot_string('say "hi" \\\\N')
'"say \\\\"hi\\\\" \\\\\\\\N"'
>>> dot_attrs(id="n0", color=None, label="<x>")
' [id="n0" label=<x>]'
>>> html_font("x", "red", bold=True)
'<FONT COLOR="red"><B>x</B></FONT>'
"""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import visible
from ..notation.symbols import html_escape

__all__ = ["html_text", "dot_string", "dot_attrs", "dot_attr", "dot_statement", "html_font", "html_stack"]


def html_text(text: Any) -> str:
    """Text for a Graphviz HTML-like label: ``& < > "`` escaped, so nothing becomes markup;
    control characters and noncharacters (which Graphviz refuses) shown as U+FFFD (the notation
    layer's one escaping, :func:`~graphviz_nn.notation.symbols.html_escape`)."""
    return html_escape(text)


def dot_string(text: Any) -> str:
    """A DOT double-quoted string; backslashes doubled so Graphviz escapes (``\\N``) stay literal."""
    return '"' + visible(str(text), "\ufffd").replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def dot_attrs(**attrs: Any) -> str:
    """A DOT attribute list `` [key="value" …]``; ``None`` values are left out.

    HTML-like labels (``<<TABLE…>>``, or ``<…>`` for ``label``) are written as they are; every
    other value is quoted with :func:`dot_string`. A ``tooltip`` (hover text, which may hold
    names a user chose) is always text: escaped as for HTML, which the SVG shows as written.
    """
    parts = [dot_attr(key, value) for key, value in attrs.items() if value is not None]
    return " [" + " ".join(parts) + "]" if parts else ""


def dot_attr(key: str, value: Any) -> str:
    """One ``key=value`` of :func:`dot_attrs` (``value`` not ``None``)."""
    text = html_text(value) if key == "tooltip" else str(value)
    if key != "tooltip" and (text.startswith("<<") or (text.startswith("<") and text.endswith(">") and key == "label")):
        return f"{key}={text}"
    return f"{key}={dot_string(text)}"


def dot_statement(memo: dict | None, name: str, attrs: dict[str, Any], target: str | None = None) -> str:
    """A node statement ``  "name" [attrs]`` (an edge ``  "name" -> "target" [attrs]``), as
    :func:`dot_string` and :func:`dot_attrs` spell it. With a ``memo`` (one pass's, which
    writes the same node again and again with a new label), all but a last ``label`` is
    spelled once per distinct set of values and kept there."""
    if memo is None:
        ends = dot_string(name) if target is None else f"{dot_string(name)} -> {dot_string(target)}"
        return f"  {ends}" + dot_attrs(**attrs)
    items = tuple(attrs.items())
    label = None
    if items and items[-1][0] == "label":
        label, items = items[-1][1], items[:-1]
    key = ("statement", name, target, items)
    try:
        head = memo.get(key)
    except TypeError:  # a value that cannot be a key
        return dot_statement(None, name, attrs, target)
    if head is None:
        head = memo[key] = dot_statement(None, name, dict(items), target)
    if label is None:
        return head
    part = dot_attr("label", label)
    return f"{head[:-1]} {part}]" if head.endswith("]") else f"{head} [{part}]"


def html_font(text: str, color: str | None = None, size: float | None = None, bold: bool = False) -> str:
    """Label HTML (already escaped) in a colour, point size and weight; plain when none is given."""
    out = f"<B>{text}</B>" if bold else text
    attrs = ""
    if color:
        attrs += f' COLOR="{color}"'
    if size:
        attrs += f' POINT-SIZE="{size:g}"'
    return f"<FONT{attrs}>{out}</FONT>" if attrs else out


def html_stack(rows: Iterable[str]) -> str:
    """Rows of label HTML stacked in one borderless table: a whole ``<<…>>`` label."""
    body = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'
