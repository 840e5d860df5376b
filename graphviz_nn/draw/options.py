"""What a picture shows and how: :class:`RenderOptions`, the one options type of a picture.

The CLI (its display flags are made from these fields: :mod:`graphviz_nn.cli.options`), the API
(``gnn.render(res, **options)``) and the app (its sidebar switches) all build one. It is
frozen and hashable, so it is a cache key as it stands, and checked once, on construction:
every invalid value raises :class:`~graphviz_nn.errors.RenderError` naming the allowed ones:

>>> RenderOptions(edge_labels=True).edge_mode
'value'
>>> RenderOptions(rankdir="RL")
Traceback (most recent call last):
...
graphviz_nn.errors.RenderError: unknown rankdir 'RL'; choose one of: LR, TB
>>> {RenderOptions(digits=3): "drawn"}[RenderOptions(digits=3)]
'drawn'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..errors import RenderError
from ..language.names import MAX_TITLE_CHARS, text_problem
from .themes import BACKGROUNDS, THEMES

__all__ = ["RenderOptions", "CHOICES", "EDGE_TEXTS", "BLANK_KINDS", "Edge", "Blank"]

_RANKDIRS = ("LR", "TB")
#: What edge labels write: the local derivative's formula, its value (with upstream × local =
#: contribution), or both.
EDGE_TEXTS = ("value", "formula", "both")
#: Blank kinds of a worksheet: a node's value or its gradient.
BLANK_KINDS = ("value", "grad")


class Edge(NamedTuple):
    """A graph edge: from ``source`` into argument ``arg`` of ``target`` (equal to the plain
    ``(source, target, arg)`` triple, which options also take)."""

    source: str
    target: str
    arg: int


class Blank(NamedTuple):
    """A worksheet blank: node ``node``'s ``kind`` (``value`` or ``grad``) is written as ``____ (number)``."""

    node: str
    kind: str
    number: int

_DETAILS = ("auto", "full", "compact")
_PROGRAMS = ("auto", "dot", "graphviz-pure")
#: The allowed values of every field that takes one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {
    "theme": tuple(sorted(THEMES)),
    "background": BACKGROUNDS,
    "rankdir": _RANKDIRS,
    "edge_text": EDGE_TEXTS,
    "detail": _DETAILS,
    "layout_program": _PROGRAMS,
}
_FLAGS = ("show_values", "show_grads", "edge_labels", "color_by_sign", "steady", "wrap", "show_answers", "merge",
          "constant_grads")


@dataclass(frozen=True)
class RenderOptions:
    """What a picture shows and how. Invalid values raise :class:`RenderError` listing the choices.

    ``step`` selects a trace state (0 = bare graph, ``len(trace)`` = full backward pass;
    ``None`` = the finished evaluation). ``edge_text`` (``value``, ``formula`` or ``both``) turns
    edge labels on and says what they write; ``edge_labels=True`` alone means ``value``.
    ``highlight_edges`` (``(source, target, arg)`` triples) and ``highlight_nodes`` (node ids)
    are drawn thick, dashed and in the theme's path colour: a chain-rule path. ``blanks``
    (``(node, "value"|"grad", number)`` triples) draws a numbered blank ``____ (1)`` instead of
    the number; with ``show_answers`` the number is written beside its blank number (an answer
    key). ``detail="auto"`` switches to the compact large-graph drawing at ``large_graph``
    nodes. ``layout_program`` and ``timeout`` (seconds) only matter when a layout program runs
    (SVG, PNG, PDF, TikZ). With ``steady`` (the default) a step is drawn at the finished graph's
    positions (:mod:`graphviz_nn.layout.steady`), so nothing moves from step to step. With
    ``wrap`` (the default) a long, thin graph is cut into rows that read on like lines of text
    (:mod:`graphviz_nn.draw.wrap`). ``merge`` (identical subexpressions drawn once; ``False``: a
    tree) and ``constant_grads`` (constants get gradients and backward steps too) choose the
    graph a text is evaluated into: whoever evaluates a text for the picture reads them (the
    CLI, the app's page); drawing an evaluation already made shows that evaluation's graph.
    """

    theme: str = "lecture"
    show_values: bool = True
    show_grads: bool = True
    edge_labels: bool = False
    rankdir: str = "LR"
    step: int | None = None
    digits: int = 4
    color_by_sign: bool = False
    background: str = "white"
    title: str | None = None
    detail: str = "auto"
    large_graph: int = 250
    layout_program: str = "auto"
    timeout: float = 60.0
    edge_text: str | None = None
    highlight_edges: frozenset[Edge] = frozenset()
    highlight_nodes: frozenset[str] = frozenset()
    blanks: tuple[Blank, ...] = ()
    show_answers: bool = False
    steady: bool = True
    wrap: bool = True
    merge: bool = True
    constant_grads: bool = False

    def __post_init__(self) -> None:
        for field in ("theme", "rankdir", "background", "detail", "layout_program"):
            _choice(field, getattr(self, field), CHOICES[field])
        for flag in _FLAGS:
            if not isinstance(getattr(self, flag), bool):
                raise RenderError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        if not _is_int(self.digits) or not 1 <= self.digits <= 15:
            raise RenderError(f"digits must be an integer from 1 to 15, got {self.digits!r}")
        if self.step is not None and (not _is_int(self.step) or self.step < 0):
            raise RenderError(f"step must be None or an integer >= 0, got {self.step!r}")
        if not _is_int(self.large_graph) or self.large_graph < 1:
            raise RenderError(f"large_graph must be a positive integer, got {self.large_graph!r}")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or not self.timeout > 0:
            raise RenderError(f"timeout must be a positive number of seconds, got {self.timeout!r}")
        if self.title is not None and not isinstance(self.title, str):
            raise RenderError(f"title must be text or None, got {self.title!r}")
        problem = text_problem(self.title, MAX_TITLE_CHARS) if self.title else None
        if problem:
            raise RenderError(f"the title {problem}")
        if self.edge_text is not None:
            _choice("edge_text", self.edge_text, EDGE_TEXTS)
        object.__setattr__(self, "highlight_edges", _edge_set(self.highlight_edges))
        object.__setattr__(self, "highlight_nodes", _node_set(self.highlight_nodes, "highlight_nodes"))
        object.__setattr__(self, "blanks", _blank_list(self.blanks))

    @property
    def edge_mode(self) -> str | None:
        """What edge labels write (``value``, ``formula``, ``both``), or ``None`` for no labels."""
        return self.edge_text or ("value" if self.edge_labels else None)

    @classmethod
    def from_kwargs(cls, **options: Any) -> "RenderOptions":
        """Build options from keywords; an unknown keyword names every allowed one."""
        allowed = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise RenderError(f"unknown render option {unknown[0]!r}; allowed: {', '.join(allowed)}")
        return cls(**options)


def _is_int(x: Any) -> bool:
    """An integer (Python or numpy), but not a bool."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> None:
    """Raise unless ``value`` is one of ``allowed``, naming them all."""
    if value not in allowed:
        raise RenderError(f"unknown {field} {value!r}; choose one of: {', '.join(allowed)}")


def _node_set(items: Any, field: str) -> frozenset[str]:
    """Node ids as a frozenset; anything else raises with an example."""
    if isinstance(items, str) or not isinstance(items, (set, frozenset, list, tuple)):
        raise RenderError(f"{field} must be a set of node ids such as {{'n0', 'n3'}}, got {items!r}")
    if not all(isinstance(n, str) for n in items):
        raise RenderError(f"{field} must hold node ids (text such as 'n3'), got {sorted(map(repr, items))}")
    return frozenset(items)


def _edge_set(items: Any) -> frozenset[Edge]:
    """``(source, target, arg)`` triples as a frozenset; anything else raises with an example."""
    if isinstance(items, str) or not isinstance(items, (set, frozenset, list, tuple)):
        raise RenderError(f"highlight_edges must be a set of (source, target, arg) triples, got {items!r}")
    out = set()
    for edge in items:
        if (not isinstance(edge, tuple) or len(edge) != 3 or not isinstance(edge[0], str)
                or not isinstance(edge[1], str) or not _is_int(edge[2])):
            raise RenderError(f"highlight_edges must hold (source, target, arg) triples such as "
                              f"('n0', 'n2', 0), got {edge!r}")
        out.add(Edge(edge[0], edge[1], int(edge[2])))
    return frozenset(out)


def _blank_list(items: Any) -> tuple[Blank, ...]:
    """``(node, kind, number)`` triples as a tuple; anything else raises with an example."""
    if isinstance(items, str) or not isinstance(items, (list, tuple)):
        raise RenderError(f"blanks must be a list of (node, kind, number) triples, got {items!r}")
    out = []
    for blank in items:
        if (not isinstance(blank, tuple) or len(blank) != 3 or not isinstance(blank[0], str)
                or blank[1] not in BLANK_KINDS or not _is_int(blank[2])):
            raise RenderError(f"blanks must hold (node, kind, number) triples with kind one of "
                              f"{', '.join(BLANK_KINDS)}, such as ('n3', 'grad', 1); got {blank!r}")
        out.append(Blank(blank[0], blank[1], int(blank[2])))
    return tuple(out)
