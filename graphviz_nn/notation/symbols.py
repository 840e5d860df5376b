"""How a variable name, a constant and an op's title are spelled: one function per form.

* plain text: :func:`plain_name` (``ŷ``, ``w1``, ``α``, ``x₁₀``), tooltips and text output;
* a Graphviz HTML-like label: :func:`html_name` (``ŷ``, ``w<SUB>1</SUB>``, ``α``,
  ``x<SUB>10</SUB>``), a drawn node's title, escaped so a name never becomes markup;
* LaTeX math: :func:`latex_name` (``\\hat{y}``, ``w_{1}``, ``\\alpha``, ``x_{10}``), used by the
  captions, the chain-rule panel, the edge terms, the player and TikZ alike;
* an op's title as math: :func:`latex_op` (``\\times``, ``\\mathrm{exp}``, ``\\sigma``).

>>> [latex_name(n) for n in ("yhat", "w1", "alpha", "x_10", "beta_2", "loss")]
['\\\\hat{y}', 'w_{1}', '\\\\alpha', 'x_{10}', '\\\\beta_{2}', '\\\\mathrm{loss}']
>>> [plain_name(n) for n in ("yhat", "w1", "alpha", "x_10")]
['ŷ', 'w1', 'α', 'x₁₀']
>>> [html_name(n) for n in ("yhat", "w1", "alpha", "x_10", "w_0^(1)")]
['ŷ', 'w<SUB>1</SUB>', 'α', 'x<SUB>10</SUB>', 'w<SUB>0</SUB><SUP>(1)</SUP>']
"""

from __future__ import annotations

import unicodedata

from ..language.names import ACCENTS, GREEK, GREEK_LETTERS, display_label, is_plain_name, latex_text, name_marks
from ..errors import visible
from ..ops import OPS

__all__ = ["plain_name", "html_name", "html_escape", "latex_name", "latex_constant", "latex_op", "latex_text"]


def plain_name(name: str) -> str:
    """A canonical name as plain text, as the drawing labels it (``yhat`` -> ``ŷ``)."""
    return display_label(name)


def html_escape(text: str) -> str:
    """Text for a Graphviz HTML-like label: ``& < > "`` escaped, so nothing becomes markup;
    control characters and noncharacters (which Graphviz refuses) shown as U+FFFD.

    >>> html_escape('a<b & "c"')
    'a&lt;b &amp; &quot;c&quot;'
    """
    return (
        visible(str(text), "\ufffd")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", " ")
    )


def html_name(name: str) -> str:
    """A canonical variable name as a Graphviz HTML-like label, the same name :func:`latex_name`
    typesets: trailing digits and ``_sub`` one subscript (``w1`` -> ``w<SUB>1</SUB>``, ``w1_2`` ->
    ``w<SUB>1,2</SUB>``), an accent over its letter (``yhat`` -> ``ŷ``), Greek names as letters,
    a layer index a bracketed superscript. A name the grammar cannot make (a display name a
    user typed) is escaped text, so it never becomes markup.

    >>> html_name("w1_2"), html_name("beta_2"), html_name("<script>"), html_name("thetahat")
    ('w<SUB>1,2</SUB>', 'β<SUB>2</SUB>', '&lt;script&gt;', 'θ̂')
    """
    if not is_plain_name(name):
        return html_escape(plain_name(name))
    core, accent, index = name_marks(name)
    if accent is not None or index is not None:
        html = html_name(core)
        if accent:  # NFC joins a letter and its mark where Unicode has one character for both (ŷ)
            html = unicodedata.normalize("NFC", html + ACCENTS[accent])
        return f"{html}<SUP>({html_escape(index)})</SUP>" if index is not None else html
    base, _, sub = name.partition("_")
    head = base.rstrip("0123456789")
    subscript = [part for part in (base[len(head):], *(sub.split("_") if sub else ())) if part]
    html = GREEK.get(head, head)
    if not subscript:
        return html
    return html + "<SUB>" + ",".join(GREEK.get(part, part) for part in subscript) + "</SUB>"


def _piece(text: str) -> str:
    """One part of a name: a Greek name as its letter, digits and single letters as they are,
    a longer word upright (``\\mathrm{loss}``)."""
    if text in GREEK:
        return "\\" + text
    if len(text) > 1 and not text.replace(",", "").isdigit():
        return r"\mathrm{" + text + "}"
    return text


def latex_name(name: str) -> str:
    r"""A canonical variable name as LaTeX math: trailing digits and ``_sub`` become one
    subscript (``w1`` -> ``w_{1}``, ``w1_2`` -> ``w_{1,2}``), an accent sits over its letter
    (``yhat`` -> ``\hat{y}``), a layer index is a bracketed superscript.

    >>> latex_name("w01"), latex_name("w_0^(1)"), latex_name("w1_2"), latex_name("x_\\input")
    ('w_{01}', '{w_{0}}^{(1)}', 'w_{1,2}', '\\text{x\\_\\textbackslash{}input}')

    A name the grammar cannot make is escaped text, so it never becomes a TeX command.
    """
    if not is_plain_name(name):
        return r"\text{" + latex_text(name) + "}"
    core, accent, index = name_marks(name)
    if accent is not None or index is not None:  # \hat{y}, w^{(1)}
        tex = latex_name(core)
        tex = f"\\{accent}{{{tex}}}" if accent else tex
        return f"{{{tex}}}^{{({index})}}" if index is not None else tex
    base, _, sub = name.partition("_")
    head = base.rstrip("0123456789")
    subscript = [part for part in (base[len(head):], *(sub.split("_") if sub else ())) if part]
    if not subscript:
        return _piece(head)
    return _piece(head) + "_{" + ",".join(_piece(part) for part in subscript) + "}"


def latex_constant(label: str) -> str:
    r"""A constant's label as math: ``π`` -> ``\pi``, a number with an ASCII minus, other text
    escaped (a bracketed list stays as it is).

    >>> latex_constant("π"), latex_constant("−2"), latex_constant("[1, 2]"), latex_constant("a&b")
    ('\\pi', '-2', '[1, 2]', '\\text{a\\&b}')
    """
    if label in GREEK_LETTERS:
        return "\\" + GREEK_LETTERS[label]
    text = label.replace("\u2212", "-")
    if all(ch.isalnum() or ch in ".,+-[]() " for ch in text) and text.isascii():
        return text
    return r"\text{" + latex_text(label) + "}"


def latex_op(op: str | None) -> str:
    """An operation's title as math: the symbol the SVG drawing shows (``×``, ``÷``, ``exp``,
    ``σ``), never a template with placeholders.

    >>> latex_op("div"), latex_op("exp"), latex_op("sigmoid"), latex_op("mul")
    ('\\\\div', '\\\\mathrm{exp}', '\\\\sigma', '\\\\times')
    """
    spec = OPS.get(op or "")
    return spec.latex_symbol if spec is not None else rf"\text{{{latex_text(op)}}}"
