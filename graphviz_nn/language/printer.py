"""The fully parenthesized reading of a program, so a student sees how the text was read.

Printing walks the tree with an explicit stack (trees can be 10,000 levels deep).

>>> from graphviz_nn.language.parser import parse
>>> canonical(parse("sin(xy)/z + e^<xz>/(xy)"))
'((sin((x * y)) / z) + (exp((x * z)) / (x * y)))'
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

from ..ops import ATOM, OPS
from .syntax import ArrayLit, Assign, Call, Const, Expr, Num, Program, Var

__all__ = ["array_text", "canonical", "expr_text", "format_number", "reading", "reading_text"]

Resolver = Callable[[Call], str]



def typed_name(name: str) -> str:
    """A name as it reads back the same: a layer index in braces (``w^(1)`` -> ``w^{(1)}``,
    which the text reads as one name, where ``w^(1)`` would be a power)."""
    if name.endswith(")") and "^(" in name:
        base, _, index = name.partition("^")
        return f"{base}^{{{index}}}"
    return name

def format_number(value: float) -> str:
    """Integers without ``.0``, others as Python writes them.

    >>> format_number(250.0), format_number(0.5), format_number(-2.0), format_number(1e-3)
    ('250', '0.5', '-2', '0.001')
    """
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def array_text(value: np.ndarray) -> str:
    """An array as nested brackets of numbers, as a program writes it.

    >>> array_text(np.array([[1.0, 0.5], [0.0, -2.0]]))
    '[[1, 0.5], [0, -2]]'
    """
    if value.ndim == 0:
        return format_number(float(value))
    return "[" + ", ".join(array_text(v) for v in value) + "]"


def _default_resolver(call: Call) -> str:
    return "mul"


def _emit(expr: Expr, pieces: Callable[[Call], list[object]], number: Callable[[float], str],
          name: Callable[[Const | Var], str]) -> str:
    """Walk a tree with an explicit stack, writing leaves and the pieces each call expands to."""
    out: list[str] = []
    stack: list[object] = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Num):
            out.append(number(item.value))
        elif isinstance(item, (Const, Var)):
            out.append(name(item))
        elif isinstance(item, ArrayLit):
            out.append(array_text(item.value))
        elif isinstance(item, Call):
            stack.extend(reversed(pieces(item)))
    return "".join(out)


def expr_text(expr: Expr, resolve: Resolver = _default_resolver) -> str:
    """Canonical text of one expression; ``resolve`` maps an implicit product to ``mul``/``matmul``."""
    return _emit(expr, lambda call: _pieces(call, resolve), format_number, lambda leaf: typed_name(leaf.name))


def _pieces(call: Call, resolve: Resolver) -> list[object]:
    op = resolve(call) if call.op == "juxt" else call.op
    spec = OPS[op]
    if spec.infix:
        return ["(", call.args[0], f" {spec.text} ", call.args[1], ")"]
    if op == "neg":
        return ["(-", call.args[0], ")"]
    pieces: list[object] = ["[" if op == "concat" else f"{spec.text}("]
    for i, arg in enumerate(call.args):
        if i:
            pieces.append(", ")
        pieces.append(arg)
    for _name, value in call.params:
        pieces.append(", " + format_number(value))
    pieces.append("]" if op == "concat" else ")")
    return pieces


def _program_text(program: Program, resolve: Resolver, text_of: Callable[[Expr, Resolver], str]) -> str:
    """Statements joined by ``; ``; an input's definition shows its value."""
    parts = []
    for stmt in program.statements:
        if isinstance(stmt, Assign) and stmt.name in program.defaults:
            parts.append(f"{typed_name(stmt.name)} = {array_text(np.asarray(program.defaults[stmt.name]))}")
        elif isinstance(stmt, Assign):
            parts.append(f"{typed_name(stmt.name)} = {text_of(stmt.expr, resolve)}")
        else:
            parts.append(text_of(stmt, resolve))
    return "; ".join(parts)


def canonical(program: Program, resolve: Resolver = _default_resolver) -> str:
    """Canonical text of a whole program: statements joined by ``; ``."""
    return _program_text(program, resolve, expr_text)


_BP_NEG = OPS["neg"].prefix_power
"""A negative number reads like a negated one (``−2``): bracketed where ``−x`` would be."""


def _read_bp(item: object, resolve: Resolver) -> int:
    """How tightly a written operand holds together (:attr:`OpSpec.power`; a leaf is an atom)."""
    if not isinstance(item, Call):
        return _BP_NEG if isinstance(item, Num) and item.value < 0 else ATOM
    return OPS[resolve(item) if item.op == "juxt" else item.op].power


def _signed(item: object, resolve: Resolver) -> bool:
    """True for an operand written with a leading minus (``−x``, ``−2``)."""
    if isinstance(item, Num):
        return item.value < 0
    return isinstance(item, Call) and item.op != "juxt" and OPS[item.op].reading.startswith("−")


def _read_pieces(call: Call, resolve: Resolver) -> list[object]:
    """The op's reading template with its operands in place, bracketed by the registry's rule;
    an op read as a call keeps the canonical form (``sqrt(x)``, ``softplus(x, 2)``)."""
    op = resolve(call) if call.op == "juxt" else call.op
    spec = OPS[op]
    if spec.reading == f"{spec.text}({{args}})":
        return _pieces(call, resolve)
    pieces: list[object] = []
    for text, index in _template_parts(spec.reading):
        if index is None:
            pieces.append(text)
        elif index == -1:
            for i, arg in enumerate(call.args):
                pieces += ([", "] if i else []) + [arg]
        else:
            arg = call.args[index]
            wrap = spec.brackets(index, _read_bp(arg, resolve), "plain", _signed(arg, resolve))
            pieces += _wrapped(arg, wrap)
    return pieces


def _template_parts(template: str) -> list[tuple[str, int | None]]:
    """A reading template as literal texts and operand positions (``-1``: all of them).

    >>> _template_parts("{0} − {1}"), _template_parts("[{args}]")
    ([('', 0), (' − ', None), ('', 1)], [('[', None), ('', -1), (']', None)])
    """
    parts: list[tuple[str, int | None]] = []
    for literal, key in re.findall(r"([^{]*)(?:\{(\d+|args)\})?", template):
        if literal:
            parts.append((literal, None))
        if key:
            parts.append(("", -1 if key == "args" else int(key)))
    return parts


def _wrapped(expr: object, wrap: bool) -> list[object]:
    return ["(", expr, ")"] if wrap else [expr]


def reading_text(expr: Expr, resolve: Resolver = _default_resolver) -> str:
    """A readable form with only the brackets precedence needs and ``·`` for products.

    >>> from graphviz_nn.language.parser import parse
    >>> reading(parse("x^2 + 3xy"))
    'x^2 + 3·x·y'
    >>> reading(parse("sin(xy)/z + e^<xz>/(xy)"))
    'sin(x·y)/z + exp(x·z)/(x·y)'
    >>> reading(parse("a - (b - c) - -2"))
    'a − (b − c) − (−2)'
    """
    return _emit(expr, lambda call: _read_pieces(call, resolve),
                 lambda value: format_number(value).replace("-", "−"),
                 lambda leaf: "π" if isinstance(leaf, Const) and leaf.name == "pi" else typed_name(leaf.name))


def reading(program: Program, resolve: Resolver = _default_resolver) -> str:
    """:func:`reading_text` of a whole program, statements joined by ``; ``."""
    return _program_text(program, resolve, reading_text)
