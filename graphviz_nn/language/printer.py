"""The fully parenthesized reading of a program, so a student sees how the text was read.

Printing walks the tree with an explicit stack (trees can be 10,000 levels deep).

>>> from graphviz_nn.language.parser import parse
>>> canonical(parse("sin(xy)/z + e^<xz>/(xy)"))
'((sin((x * y)) / z) + (exp((x * z)) / (x * y)))'
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..ops import OPS
from .syntax import ArrayLit, Assign, Call, Const, Expr, Num, Program, Var

__all__ = ["canonical", "expr_text", "format_number", "reading", "reading_text"]

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


def _array_text(value: np.ndarray) -> str:
    if value.ndim == 0:
        return format_number(float(value))
    return "[" + ", ".join(_array_text(v) for v in value) + "]"


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
            out.append(_array_text(item.value))
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
            parts.append(f"{typed_name(stmt.name)} = {_array_text(np.asarray(program.defaults[stmt.name]))}")
        elif isinstance(stmt, Assign):
            parts.append(f"{typed_name(stmt.name)} = {text_of(stmt.expr, resolve)}")
        else:
            parts.append(text_of(stmt, resolve))
    return "; ".join(parts)


def canonical(program: Program, resolve: Resolver = _default_resolver) -> str:
    """Canonical text of a whole program: statements joined by ``; ``."""
    return _program_text(program, resolve, expr_text)


_BP_LEAF = 100
_BP_NEG = 30
_READ_SYMBOL = {"add": " + ", "sub": " − ", "mul": "·", "div": "/", "matmul": " @ ", "pow": "^"}


def _read_bp(call: object, resolve: Resolver) -> int:
    if not isinstance(call, Call):
        if isinstance(call, Num) and call.value < 0:
            return _BP_NEG
        return _BP_LEAF
    op = resolve(call) if call.op == "juxt" else call.op
    if op == "neg":
        return _BP_NEG
    spec = OPS[op]
    return spec.binding_power if spec.infix else _BP_LEAF


def _read_pieces(call: Call, resolve: Resolver) -> list[object]:
    op = resolve(call) if call.op == "juxt" else call.op
    spec = OPS[op]
    if spec.infix:
        left, right = call.args
        bp = spec.binding_power
        lb, rb = _read_bp(left, resolve), _read_bp(right, resolve)
        wrap_left = lb < bp or (spec.right_assoc and lb <= bp)
        wrap_right = rb < bp or (not spec.right_assoc and rb == bp and op not in ("add", "mul")) or rb == _BP_NEG
        return [*_wrapped(left, wrap_left), _READ_SYMBOL[op], *_wrapped(right, wrap_right)]
    if op == "neg":
        return ["−", *_wrapped(call.args[0], _read_bp(call.args[0], resolve) < _BP_NEG)]
    if op == "transpose":
        return [*_wrapped(call.args[0], _read_bp(call.args[0], resolve) < _BP_LEAF), "ᵀ"]
    if op == "norm":
        return ["‖", call.args[0], "‖"]
    if op == "abs":
        return ["|", call.args[0], "|"]
    return _pieces(call, resolve)


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
