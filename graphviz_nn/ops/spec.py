"""What an op is: the :class:`OpSpec` record, and the rules every printer reads from it.

A spec's templates hold placeholders: ``{0}``, ``{1}`` for the operands, ``{args}`` for all of
them, a parameter's name (``{slope}``, ``{beta}``) for its value, ``{{``/``}}`` for a literal
brace. :func:`fill` puts texts into any of them. Brackets follow one rule,
:meth:`OpSpec.brackets`, from the op's binding powers and associativity.

>>> fill("{0} \\\\cdot {1}", ["x", "y"]), fill("\\\\frac{{{0}}}{{{1}}}", ["a", "b"])
('x \\\\cdot y', '\\\\frac{a}{b}')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence

__all__ = ["OpSpec", "ATOM", "ASSOCIATIVITY", "fill", "format_shape", "Shape", "Array"]

Array = Any  # float or numpy array
Shape = tuple[int, ...]

ATOM = 100
"""Binding power of a name, a number, a call ``f(x)`` or a bracketed form: nothing splits it."""

ASSOCIATIVITY = ("left", "right", "both")
"""``left``: ``a − b − c`` is ``(a − b) − c``; ``right``: ``a^b^c`` is ``a^(b^c)``; ``both``:
either grouping is the same number, so a chain needs no brackets (``a + b + c``)."""


def format_shape(shape: Shape, scalar: str = "scalar") -> str:
    """A shape as students write it: ``3``, ``2×3``; a scalar's empty shape gives ``scalar``
    (the drawings pass ``scalar=""``). The one spelling of a shape; the op registry's error
    messages are its first users, so it sits here, below every stage.

    >>> format_shape(()), format_shape((3,)), format_shape((2, 3)), format_shape((), scalar="")
    ('scalar', '3', '2×3', '')
    """
    return scalar if not shape else "×".join(str(int(s)) for s in shape)


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*|\d+)\}")


def fill(template: str, parts: Sequence[str], **named: str) -> str:
    """Put texts into a template: ``{0}``, ``{1}`` are ``parts``, ``{args}`` all of them joined
    by ``, ``, ``{name}`` a ``named`` text; ``{{`` and ``}}`` are braces. A placeholder with
    nothing to fill stays ``?``, so a template never raises."""

    def one(match: re.Match[str]) -> str:
        text, key = match.group(0), match.group(1)
        if text in ("{{", "}}"):
            return text[0]
        if key.isdigit():
            return parts[int(key)] if int(key) < len(parts) else "?"
        if key == "args":
            return ", ".join(parts)
        return named.get(key, "?")

    return _PLACEHOLDER.sub(one, template)


def _operand_groups(template: str, opening: str, closing: str) -> set[int]:
    """Operands whose placeholder sits inside one of the visible bracket pairs of a template."""
    inside: set[int] = set()
    depth = 0
    for match in re.finditer("|".join(map(re.escape, opening + closing)) + r"|\{(\d+|args)\}", template):
        text = match.group(0)
        if text in opening:
            depth += 1
        elif text in closing:
            depth -= 1
        elif depth > 0:
            key = match.group(1)
            inside |= {-1} if key == "args" else {int(key)}
    return inside


@dataclass(frozen=True)
class OpSpec:
    """Everything about one operation; every other module reads it from here.

    ``local(i, out, *args, **params)`` returns d out / d args[i] elementwise (elementwise ops);
    ``vjp(i, g, out, *args, **params)`` returns the contribution to args[i] (structural ops).
    ``shape(arg_shapes, params)`` returns the output shape or raises ``ValueError`` naming both
    shapes. ``plain``, ``latex``, ``derivative_latex`` and the code templates hold placeholders
    (see :func:`fill`); a parameter appears by name, so ``leaky_relu`` shows its slope.
    """

    name: str
    arity: int | None
    forward: Callable[..., Array]
    symbol: str
    """What a drawing's op node shows (``×``, ``exp``, ``σ``)."""
    latex_symbol: str
    """The symbol as LaTeX math, for a drawing's op node (``\\times``, ``\\mathrm{exp}``, ``\\sigma``)."""
    text: str
    """The canonical text (``*``, ``sin``): an infix operator or a function name."""
    plain: str
    """One line of plain Unicode text (``{0}·{1}``, ``sin({args})``, ``LeakyReLU({0}, {slope})``)."""
    reading: str
    """How the reading form writes it, which types back as the same op (``{0}·{1}``, ``sqrt({args})``)."""
    latex: str
    """The same in LaTeX math."""
    shape: Callable[[list[Shape], dict], Shape]
    local: Callable[..., Array] | None
    vjp: Callable[..., Array] | None
    binding_power: int
    """Infix: how tightly the operator holds its operands (``+`` 10, ``*`` 20, ``^`` 40); else 0."""
    prefix_power: int
    """Written before its operand (``−x`` 30, ``√x``); else 0."""
    postfix_power: int
    """Written after its operand (``xᵀ`` 40); else 0."""
    assoc: str
    """One of :data:`ASSOCIATIVITY`."""
    aliases: tuple[str, ...]
    params: tuple[tuple[str, float], ...]
    """Parameters and their defaults, in the order a call writes them (``leaky_relu(x, 0.2)``)."""
    derivative_latex: tuple[str, ...]
    """Per operand, d op / d operand in LaTeX (one entry serves every operand); empty: no formula."""
    description: str
    numpy_code: str
    """Forward as NumPy source, for code export."""
    numpy_vjp: tuple[str, ...]
    """Per operand, NumPy source of what flows back (``{g}``: upstream, ``{out}``: result)."""
    torch_code: str
    """Forward as PyTorch source, for code export."""
    called: bool
    """A user calls it by name (``sin(x)``, ``sqrt(x)``); false for ops written as a sign, brackets
    or a mark (``−x``, ``[a, b]``, ``xᵀ``, ``b = a``) and for infix operators."""
    scaling: bool
    """With one array operand the result is that operand scaled by numbers (``2xᵀ``, ``xᵀ/2``,
    ``−xᵀ``, a named copy), so a row vector stays a row."""
    latex_commands: tuple[str, ...]
    """LaTeX commands a user may type for it, without the backslash (``sin``; ``log`` and ``ln``)."""

    @property
    def infix(self) -> bool:
        """True for operators written between their operands (``+ - * / ^ @``)."""
        return self.binding_power > 0

    @property
    def right_assoc(self) -> bool:
        """True where ``a op b op c`` groups from the right (``^``)."""
        return self.assoc == "right"

    @property
    def power(self) -> int:
        """How tightly the op's written result holds together inside a larger formula."""
        return self.binding_power or self.prefix_power or self.postfix_power or ATOM

    def brackets(self, i: int, operand_power: int, form: str = "plain", signed: bool = False) -> bool:
        """Whether operand ``i`` (written with binding power ``operand_power``) needs brackets
        in the ``plain`` or ``latex`` template; ``signed`` marks an operand that begins with a
        minus sign, which is bracketed right of an operator (``x − (−y)``, ``x·(−2)``).

        >>> from graphviz_nn.ops import OPS
        >>> OPS["sub"].brackets(1, 10), OPS["add"].brackets(1, 10), OPS["pow"].brackets(0, 40)
        (True, False, True)
        >>> OPS["div"].brackets(1, 10, "latex"), OPS["sin"].brackets(0, 10)
        (False, False)
        """
        template = self.plain if form == "plain" else self.latex
        if _enclosed(template, i, form):
            return False
        if self.binding_power:
            bp = self.binding_power
            if operand_power < bp:
                return True
            if operand_power == bp:
                return self.assoc == ("right" if i == 0 else "left")
            return signed and i > 0
        if self.prefix_power:
            return operand_power <= self.prefix_power
        if self.postfix_power:
            return operand_power < ATOM
        return False

    def fill_params(self, params: Mapping[str, float] | None, number: Callable[[float], str]) -> dict[str, str]:
        """Each parameter's value as ``number`` spells it, for :func:`fill`: ``{beta}`` is the
        number, ``{beta_factor}`` the same as a factor in front of an operand (``2 x``; empty at 1).

        >>> from graphviz_nn.ops import OPS
        >>> OPS["softplus"].fill_params({"beta": 2.0}, str), OPS["softplus"].fill_params({}, str)
        ({'beta': '2.0', 'beta_factor': '2.0 '}, {'beta': '1.0', 'beta_factor': ''})
        """
        out = {}
        for name, default in self.params:
            value = float((params or {}).get(name, default))
            out[name] = number(value)
            out[name + "_factor"] = "" if value == 1 else number(value) + " "
        return out

    def derivative_template(self, arg: int, params: Mapping[str, float] | None,
                            number: Callable[[float], str]) -> str:
        """d op / d operand ``arg`` in LaTeX with the parameters' values put in and the operand
        placeholders (``{0}``) kept for :func:`fill`; empty where the op has no formula.

        >>> from graphviz_nn.ops import OPS
        >>> print(OPS["leaky_relu"].derivative_template(0, {"slope": 0.2}, str))
        \\mathbb{{1}}\\left[{0} > 0\\right] + 0.2\\,\\mathbb{{1}}\\left[{0} \\le 0\\right]
        """
        if not self.derivative_latex:
            return ""
        template = self.derivative_latex[min(arg, len(self.derivative_latex) - 1)]
        named = self.fill_params(params, number)

        def one(match: re.Match[str]) -> str:
            key = match.group(1)
            if key is None or key.isdigit() or key == "args" or key not in named:
                return match.group(0)
            return named[key].replace("{", "{{").replace("}", "}}")

        return _PLACEHOLDER.sub(one, template)


_PLAIN_PAIRS = ("([|‖", ")]|‖")
_LATEX_OPEN = re.compile(r"\\left[(\[|]|\\left\\\||\\frac\{\{|\\sqrt\{\{|\}\}\{\{|\^\{\{|\\begin")
_LATEX_CLOSE = re.compile(r"\\right[)\]|]|\\right\\\||\}\}(?=\{\{|$)|\\end")


@lru_cache(maxsize=1024)
def _enclosed(template: str, i: int, form: str) -> bool:
    """True when the template itself shows operand ``i`` inside brackets (``sin(x)``, ``|x|``,
    a fraction's part, an exponent), so the operand needs none of its own."""
    if form == "plain":
        groups = _operand_groups(template, *_PLAIN_PAIRS)
        return i in groups or -1 in groups
    return _latex_enclosed(template, i)


def _latex_enclosed(template: str, i: int) -> bool:
    for key in (str(i), "args"):
        at = template.find("{" + key + "}")
        if at < 0:
            continue
        before, after = template[:at], template[at + len(key) + 2:]
        if after.startswith("}}^"):  # a base: its braces show nothing
            return False
        opened = len(_LATEX_OPEN.findall(before)) - len(_LATEX_CLOSE.findall(before))
        return opened > 0
    return False
