"""A name reads the same in its three forms: plain text, the DOT HTML-like label, LaTeX.

Each form is read back into its parts (letters, accent, subscript, layer index) by a small
reader written here for that form alone, and the parts must agree, for every variable of every
example in ``examples/`` (programs and layer specs with their display names). The drawing's
node titles are :func:`html_name`'s text, and a name that looks like markup stays text.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.dot import to_dot
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.language.names import ACCENTS, GREEK
from graphviz_nn.networks.network import parse_spec
from graphviz_nn.notation.symbols import html_name, latex_name, plain_name
from graphviz_nn.page.evaluations import input_fields

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_MARK_ACCENT = {mark: accent for accent, mark in ACCENTS.items()}
_SUBSCRIPT_DIGITS = dict(zip("₀₁₂₃₄₅₆₇₈₉ₐₑᵢₒᵣᵤᵥₓₕₖₗₘₙₚₛₜ", "0123456789aeioruvxhklmnpst"))
_SUPERSCRIPT = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻ˡ", "0123456789()+-l"))

Parts = tuple[str, str | None, tuple[str, ...], str | None]
"""(letters as printed, accent, subscript pieces as printed, layer index)."""


def _letters(text: str) -> str:
    """Greek names as their letters, the way every form prints them."""
    return GREEK.get(text, text)


def from_latex(tex: str) -> Parts:
    index = None
    m = re.fullmatch(r"\{(.*)\}\^\{\((.*)\)\}", tex)
    if m:
        tex, index = m.group(1), m.group(2)
    m = re.fullmatch(r"\\(hat|bar|tilde)\{(.*)\}", tex)
    if m:
        letters, _, sub, _ = from_latex(m.group(2))
        return letters, m.group(1), sub, index
    m = re.fullmatch(r"(.*?)(?:_\{(.*)\})?", tex)
    assert m, tex

    def piece(p: str) -> str:
        p = re.sub(r"\\mathrm\{(.*)\}", r"\1", p)
        return _letters(p[1:]) if p.startswith("\\") else p

    sub = tuple(piece(p) for p in re.split(r",(?![^{]*\})", m.group(2))) if m.group(2) else ()
    return piece(m.group(1)), None, sub, index


def from_html(html: str) -> Parts:
    index = None
    m = re.fullmatch(r"(.*)<SUP>\((.*)\)</SUP>", html)
    if m:
        html, index = m.group(1), m.group(2)
    m = re.fullmatch(r"(.*?)(?:<SUB>(.*)</SUB>)?", html)
    assert m and "<" not in m.group(1), html
    head = unicodedata.normalize("NFD", m.group(1))
    accent = _MARK_ACCENT.get(head[-1]) if head else None
    head = head[:-1] if accent else head
    return head, accent, tuple(m.group(2).split(",")) if m.group(2) else (), index


def from_plain(text: str) -> Parts:
    """Plain text lowers a subscript where Unicode has the characters (``x₁₀``), writes one it
    cannot as ``_sub``, and leaves trailing digits on the line (``w1``): all read as a subscript."""
    index = None
    m = re.fullmatch(r"(.*)⁽(.*)⁾", text)
    if m:
        text, index = m.group(1), "".join(_SUPERSCRIPT[c] for c in m.group(2))
    m = re.fullmatch(r"(.*)\^\((.*)\)", text)
    if m:
        text, index = m.group(1), m.group(2)
    head = unicodedata.normalize("NFD", text)
    accent = _MARK_ACCENT.get(head[-1]) if head else None
    head = head[:-1] if accent else head
    lowered = "".join(_SUBSCRIPT_DIGITS.get(c, "") for c in head)
    head = "".join(c for c in head if c not in _SUBSCRIPT_DIGITS)
    head, _, written = head.partition("_")
    letters = head.rstrip("0123456789")
    sub = [p for p in (head[len(letters):], lowered, *(written.split("_") if written else ())) if p]
    return letters, accent, tuple(_letters(p) for p in ",".join(sub).split(",")) if sub else (), index


def _example_names() -> list[str]:
    """Every variable of every example, and every display name a layer spec gives."""
    names: set[str] = set()
    for path in sorted(EXAMPLES.glob("*.gnn")):
        text = path.read_text(encoding="utf-8")
        res = gnn.evaluate(text, {f.name: f.default for f in input_fields(text)})
        names |= {d["name"] for _, d in res.graph.nodes(data=True) if d.get("name")}
    for path in sorted(EXAMPLES.glob("*.toml")):
        net = parse_spec(path.read_text(encoding="utf-8"), path.name)
        names |= set(net.display_names.values())
        res = net.evaluate()
        names |= {d["name"] for _, d in res.graph.nodes(data=True) if d.get("name")}
    return sorted(names)


NAMES = _example_names()

#: Hand-written: (name, plain, HTML-like label, LaTeX), as a problem sheet prints them.
TABLE = [
    ("yhat", "ŷ", "ŷ", r"\hat{y}"),
    ("w1", "w1", "w<SUB>1</SUB>", "w_{1}"),
    ("x_10", "x₁₀", "x<SUB>10</SUB>", "x_{10}"),
    ("alpha", "α", "α", r"\alpha"),
    ("beta_2", "β₂", "β<SUB>2</SUB>", r"\beta_{2}"),
    ("w_0^(1)", "w₀⁽¹⁾", "w<SUB>0</SUB><SUP>(1)</SUP>", "{w_{0}}^{(1)}"),
    ("y_pred", "y_pred", "y<SUB>pred</SUB>", r"y_{\mathrm{pred}}"),
    ("loss", "loss", "loss", r"\mathrm{loss}"),
]


@pytest.mark.parametrize("name, plain, html, latex", TABLE)
def test_the_three_forms_of_a_name(name: str, plain: str, html: str, latex: str) -> None:
    assert (plain_name(name), html_name(name), latex_name(name)) == (plain, html, latex)


def test_the_examples_have_names_of_every_kind() -> None:
    assert len(NAMES) > 30
    assert {"yhat", "W1", "alpha", "beta"} <= set(NAMES)
    assert any(n[-1].isdigit() for n in NAMES)  # (no example writes `_sub`: the table has x_10)


@pytest.mark.parametrize("name", NAMES + [n for n, *_ in TABLE])
def test_every_example_name_reads_the_same_in_all_three_forms(name: str) -> None:
    parts = from_latex(latex_name(name))
    assert from_html(html_name(name)) == parts, (name, html_name(name), latex_name(name))
    assert from_plain(plain_name(name)) == parts, (name, plain_name(name), latex_name(name))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.gnn")), ids=lambda p: p.stem)
def test_the_drawing_titles_every_named_node_with_html_name(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    res = gnn.evaluate(text, {f.name: f.default for f in input_fields(text)})
    for theme in ("lecture", "micrograd"):
        dot = to_dot(res, RenderOptions(theme=theme))
        for node, data in res.graph.nodes(data=True):
            if data.get("name") and data["kind"] == "input":
                line = re.search(rf'^\s*"{node}" \[.*$', dot, re.M)
                assert line and f">{html_name(data['name'])}<" in line.group(0), (node, data["name"])


def test_a_network_draws_its_display_names() -> None:
    net = parse_spec((EXAMPLES / "cmu_alpha_beta.toml").read_text(encoding="utf-8"), "cmu_alpha_beta.toml")
    res = net.evaluate()
    dot = to_dot(res, RenderOptions())
    for name, shown in net.display_names.items():
        assert f"<B>{html_name(shown)}</B>" in dot, (name, shown)


@pytest.mark.parametrize("shown", ["<script>alert(1)</script>", 'a" onload="x', "w&amp;1", "<B>x</B>"])
def test_a_name_that_looks_like_markup_stays_text(shown: str) -> None:
    html = html_name(shown)
    assert "<" not in html and ">" not in html and '"' not in html
    assert html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&") == shown
    res = gnn.evaluate("f = x*y", {"x": 2, "y": 3})
    node = res.inputs["x"]
    res.graph.nodes[node]["shown"] = shown
    res.graph.nodes[node]["label"] = plain_name(shown)
    dot = to_dot(res, RenderOptions())
    assert f"<B>{html}</B>" in dot and "<script" not in dot
