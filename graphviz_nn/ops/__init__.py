"""The op registry: every operation declared once, read by parser, engine, printers and exports.

:mod:`.spec` says what an op is (:class:`OpSpec`: forward, local derivative or VJP, symbol,
plain and LaTeX templates, binding powers and associativity, NumPy and PyTorch code) and how
templates are filled; :mod:`.kernels` holds the numpy the entries call; :mod:`.table` the
entries themselves.

>>> OPS["mul"].symbol, OPS["mul"].text, OPS["pow"].binding_power
('×', '*', 40)
>>> float(OPS["sigmoid"].forward(0.0))
0.5
"""

from __future__ import annotations

import math

from .kernels import local_derivative, unbroadcast, vjp
from .spec import ASSOCIATIVITY, ATOM, OpSpec, fill, format_shape
from .table import SPECS

__all__ = [
    "OpSpec",
    "OPS",
    "FUNCTIONS",
    "INFIX",
    "LATEX_FUNCTIONS",
    "CONSTANTS",
    "ATOM",
    "ASSOCIATIVITY",
    "fill",
    "unbroadcast",
    "local_derivative",
    "vjp",
    "format_shape",
]

OPS: dict[str, OpSpec] = {spec.name: spec for spec in SPECS}
"""Every op by name."""

INFIX: dict[str, str] = {spec.text: spec.name for spec in SPECS if spec.infix}
"""Infix operator text -> op name."""

FUNCTIONS: dict[str, str] = {}
"""Function names a user may call (lower case) -> op name."""
for _spec in SPECS:
    if _spec.called:
        FUNCTIONS[_spec.name] = _spec.name
        for _alias in _spec.aliases:
            FUNCTIONS[_alias] = _spec.name

LATEX_FUNCTIONS: frozenset[str] = frozenset(c for _spec in SPECS for c in _spec.latex_commands)
"""LaTeX commands that name a function (``sin`` for ``\\sin``), without the backslash."""

CONSTANTS: dict[str, float] = {"e": math.e, "pi": math.pi}
"""Named constants."""
