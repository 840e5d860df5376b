"""Syntax-tree dataclasses produced by the parser.

Every node keeps the span of the source text it came from. The classes are plain (not frozen)
dataclasses because a 10,000-term text creates tens of thousands of them; nothing mutates them. Trees may be deep (a 10,000-term
sum is a 10,000-deep left spine), so every consumer walks them iteratively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np

__all__ = ["Num", "Const", "Var", "ArrayLit", "Call", "Expr", "Assign", "Program", "children"]

Span = tuple[int, int]


@dataclass(slots=True)
class Num:
    """A number literal."""

    value: float
    span: Span


@dataclass(slots=True)
class Const:
    """A named constant (``e``, ``pi``)."""

    name: str
    span: Span


@dataclass(slots=True)
class Var:
    """A variable (input or named intermediate), by canonical name."""

    name: str
    span: Span


@dataclass(slots=True, eq=False)
class ArrayLit:
    """A literal vector or matrix of numbers (``[[1, 2], [3, 4]]``)."""

    value: np.ndarray
    span: Span


@dataclass(slots=True)
class Call:
    """An operation from the registry applied to arguments.

    ``op`` is a registry name or ``"juxt"`` for an implicit product, which the graph builder
    resolves to ``mul`` (a scalar operand) or ``matmul`` (two arrays) once shapes are known.
    """

    op: str
    args: tuple["Expr", ...]
    span: Span
    params: tuple[tuple[str, float], ...] = ()


Expr = Union[Num, Const, Var, ArrayLit, Call]


@dataclass(slots=True)
class Assign:
    """``name = expr``; ``name_span`` covers the name."""

    name: str
    expr: Expr
    name_span: Span


@dataclass(slots=True)
class Program:
    """A parsed text: statements in order; the last one is the output."""

    statements: list[Union[Assign, Expr]]
    source: str
    defaults: dict[str, object] = field(default_factory=dict)
    """Inputs given a value in the text (``x = 2``), name -> float or ndarray."""
    split_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Letter runs read as products (``loss`` -> ``l, o, s, s``), for hints in error messages."""
    notes: list[tuple[str, Span]] = field(default_factory=list)
    """Warnings about how the text was read, with the span each points at (``w^1`` read as a
    power where a sheet may mean layer 1)."""


def children(expr: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions."""
    return expr.args if isinstance(expr, Call) else ()
