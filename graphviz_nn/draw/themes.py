"""Named visual themes for the renderer.

A theme says how each kind of node looks (shape, border, fill), which text colours carry
values and gradients, and how states of a backprop step are marked. Every distinction is
carried by shape or line style first and colour second, so pictures stay readable in
grayscale; nodes are always filled, so they stay readable on a dark background too.

* ``micrograd`` — Karpathy's lecture picture: one ``label | data | grad`` record per value and
  a separate small bubble for the operation that produced it.
* ``lecture`` — the course convention: variables in ovals (inputs) or circles, operations in
  boxes; a named intermediate is an oval fed by its operation's box.
* ``print`` — black and white and compact, for homework PDFs.

>>> sorted(THEMES)
['lecture', 'micrograd', 'print']
>>> get_theme("lecture").node["op"].shape
'box'
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

from ..errors import RenderError

__all__ = ["NodeStyle", "Palette", "Theme", "THEMES", "BACKGROUNDS", "get_theme"]


@dataclass(frozen=True)
class NodeStyle:
    """How one kind of DOT node is drawn."""

    shape: str
    fill: str
    border: str = "#333333"
    style: str = "filled"  # Graphviz style list; always includes "filled"
    penwidth: float = 1.0


@dataclass(frozen=True)
class Palette:
    """Colours that do not depend on the node kind."""

    background: str = "white"
    edge: str = "#444444"
    edge_text: str = "#333333"
    edge_grad_text: str = "#a3291b"
    text: str = "#111111"
    value_text: str = "#1a4f8b"  # dark blue: dark enough for grayscale
    grad_text: str = "#a3291b"  # dark red
    pending_fill: str = "#f4f4f4"
    pending_text: str = "#8c8c8c"
    pending_border: str = "#b0b0b0"
    highlight: str = "#d62728"
    path: str = "#d35400"  # chain-rule paths: also thick and dashed, so colour is never the only cue
    positive_fill: str = "#9ecae1"  # gradient > 0: mid blue (grayscale ~ 78%)
    negative_fill: str = "#fde0c5"  # gradient < 0: pale orange (grayscale ~ 90%)
    nonfinite_border: str = "#b2182b"
    cluster_border: str = "#888888"
    note_text: str = "#555555"


@dataclass(frozen=True)
class Theme:
    """A complete look, chosen by name in :class:`~graphviz_nn.draw.dot.RenderOptions`.

    ``node`` maps the node roles ``input``, ``constant``, ``named``, ``op`` and ``op_aux``
    (the separate operation bubble or box) to styles. ``records`` selects the micrograd
    ``label | data | grad`` table; ``aux_ops`` says which operation nodes get a separate
    operation bubble: ``"all"`` (micrograd), ``"named"`` (a named result is drawn as a
    variable fed by its operation) or ``"none"``.
    """

    name: str
    description: str
    node: Mapping[str, NodeStyle]
    palette: Palette = field(default_factory=Palette)
    records: bool = False
    aux_ops: str = "named"
    fontname: str = "Helvetica"
    fontsize: float = 12.0
    edge_fontsize: float = 10.0
    nodesep: float = 0.3
    ranksep: float = 0.45
    value_prefix: str = "= "
    grad_prefix: str = "∂ = "


_LECTURE = Theme(
    name="lecture",
    description="variables in ovals and circles, operations in boxes (course convention)",
    node=MappingProxyType(
        {
            "input": NodeStyle("ellipse", "#dbe9f6", "#1f3b57", "filled", 1.4),
            "constant": NodeStyle("ellipse", "#eeeeee", "#777777", "filled,dashed"),
            "named": NodeStyle("ellipse", "#fff4d6", "#5c4a12", "filled", 1.2),
            "op": NodeStyle("box", "#ffffff", "#333333", "filled,rounded"),
            "op_aux": NodeStyle("box", "#ffffff", "#333333", "filled,rounded"),
        }
    ),
)

_MICROGRAD = Theme(
    name="micrograd",
    description="label | data | grad records with a separate op bubble (Karpathy's micrograd)",
    node=MappingProxyType(
        {
            "input": NodeStyle("plain", "#e8f1fa", "#1f3b57"),
            "constant": NodeStyle("plain", "#f2f2f2", "#777777"),
            "named": NodeStyle("plain", "#fff4d6", "#5c4a12"),
            "op": NodeStyle("plain", "#ffffff", "#333333"),
            "op_aux": NodeStyle("ellipse", "#f7f7f7", "#555555", "filled"),
        }
    ),
    records=True,
    aux_ops="all",
    fontname="Courier",
    fontsize=11.0,
    value_prefix="data ",
    grad_prefix="grad ",
)

_PRINT = Theme(
    name="print",
    description="black and white and compact, for homework PDFs",
    node=MappingProxyType(
        {
            "input": NodeStyle("ellipse", "white", "black", "filled", 1.2),
            "constant": NodeStyle("ellipse", "white", "black", "filled,dashed", 0.8),
            "named": NodeStyle("ellipse", "white", "black", "filled", 0.8),
            "op": NodeStyle("box", "white", "black", "filled"),
            "op_aux": NodeStyle("box", "white", "black", "filled"),
        }
    ),
    palette=Palette(
        edge="black",
        edge_text="black",
        edge_grad_text="black",
        text="black",
        value_text="black",
        grad_text="black",
        pending_fill="white",
        pending_text="#999999",
        pending_border="#999999",
        highlight="black",
        path="black",
        positive_fill="#d9d9d9",
        negative_fill="white",
        nonfinite_border="black",
        cluster_border="black",
        note_text="black",
    ),
    fontname="Times-Roman",
    fontsize=11.0,
    edge_fontsize=9.0,
    nodesep=0.2,
    ranksep=0.3,
)

THEMES: Mapping[str, Theme] = MappingProxyType(
    {theme.name: theme for theme in (_MICROGRAD, _LECTURE, _PRINT)}
)

#: Backgrounds a picture can be drawn for; ``dark`` lightens edges and edge labels.
BACKGROUNDS = ("white", "transparent", "dark")


def get_theme(name: str, background: str = "white") -> Theme:
    """The theme called ``name`` adapted to ``background``; unknown names raise RenderError.

    >>> get_theme("print", "dark").palette.edge
    '#d9d9d9'
    """
    if name not in THEMES:
        raise RenderError(f"unknown theme {name!r}; choose one of: {', '.join(sorted(THEMES))}")
    if background not in BACKGROUNDS:
        raise RenderError(f"unknown background {background!r}; choose one of: {', '.join(BACKGROUNDS)}")
    theme = THEMES[name]
    if background == "transparent":
        return replace(theme, palette=replace(theme.palette, background="transparent"))
    if background == "dark":
        light = "#d9d9d9"
        return replace(
            theme,
            palette=replace(
                theme.palette,
                background="#1e1e1e",
                edge=light,
                edge_text=light,
                edge_grad_text="#ff9d8f",
                cluster_border="#aaaaaa",
                note_text=light,
                highlight="#ff6b6b",
                path="#ffb347",
            ),
        )
    return theme
