"""Tokens -> syntax tree: a Pratt parser whose binding powers come from the op registry.

Reading rules (documented for users in docs/LANGUAGE.md):

* juxtaposition multiplies with the precedence of ``*`` (``1/2 x`` is ``(1/2)·x``);
* a run of letters that is not a known name is a product of single letters that binds tighter
  than any explicit operator but looser than ``^`` (``1/xy`` is ``1/(x·y)``, ``xy^2`` is ``x·y²``);
* an exponent binds one factor (``3x^2y`` is ``3·x²·y``, ``e^xy`` is ``eˣ·y``); ``^`` is
  right-associative and ``-x^2`` is ``−(x²)``;
* ``e^…`` is one ``exp`` node;
* a multi-letter name applied like a function that is not a known function is an error.

>>> from graphviz_nn.language.printer import canonical
>>> canonical(parse("3x^2y"))
'((3 * (x ^ 2)) * y)'
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..errors import LimitError, ParseError
from .cursor import TokenCursor, show
from .guards import GcPaused, recursion_room
from .lexer import ACCENT_COMMANDS, Token, tokenize
from .literals import constant_value, index_notes, literal_value
from .names import canonical_name
from .words import assigned_names, expand_words
from ..ops import INFIX, OPS
from .syntax import ArrayLit, Assign, Call, Const, Expr, Num, Program, Var

__all__ = ["parse", "assigned_names", "MAX_DEPTH", "MAX_CHARS"]

MAX_DEPTH = 500
"""Deepest nesting of brackets, powers and unary signs a text may have."""
MAX_CHARS = 2_000_000
"""Longest text the parser accepts (the app uses a smaller limit)."""

BP_ADD = OPS["add"].binding_power
BP_MUL = OPS["mul"].binding_power
BP_UNARY = OPS["neg"].prefix_power
BP_TIGHT = 35
BP_POW = OPS["pow"].binding_power
BP_POSTFIX = OPS["transpose"].postfix_power

_NAMES = {"NAME", "WORD"}
"""Token kinds of a variable name. :func:`~graphviz_nn.language.words.expand_words` leaves WORD only on a name that spells
itself (one letter and digits: ``x``, ``w12``), which saves a new token for each of them."""
_LEAVES = {"NAME", "WORD", "NUM"}
_OPERAND_ENDS = {"EOF", "NL", ";", ")", "]", "}", ">", ","}
_INFIX_BP = {text: (OPS[name].binding_power, name) for text, name in INFIX.items()}
_FACTOR_START = {"NUM", "NAME", "WORD", "CONST", "FUNC", "(", "[", "{", "CMD"}


def parse(source: str, known: Iterable[str] = (), *, max_depth: int = MAX_DEPTH,
          max_chars: int = MAX_CHARS) -> Program:
    """Parse an expression or program.

    ``known`` are names that stay whole (given a value by the user); names assigned in the
    program are added automatically.
    """
    if len(source) > max_chars:
        raise LimitError(f"input is {len(source):,} characters; the limit is {max_chars:,}")
    if not source.strip():
        raise ParseError("empty input: type an expression such as x^2 + 3xy", (0, 0), source)
    splits: dict[str, tuple[str, ...]] = {}
    with GcPaused(), recursion_room(max_depth):
        tokens = tokenize(source)
        names = {canonical_name(k) for k in known} | assigned_names(tokens)
        if "\\" in source:  # \hat{y} makes the name yhat, which stays whole where typed plainly too
            names |= {t.text for t in tokens if t.kind == "WORD" and source.startswith(ACCENT_COMMANDS, t.span[0])}
        parser = _Parser(source, expand_words(tokens, names, source, splits), names, max_depth)
        program = parser.program()
        program.split_words = splits
        program.notes = index_notes(parser.unit_powers, source)
    return program


# ---------------------------------------------------------------- the parser

class _Parser(TokenCursor):
    """Tokens -> a :class:`Program`, one method per construct (statements, Pratt expressions)."""

    # -- statements
    def program(self) -> Program:
        statements: list[Assign | Expr] = []
        defaults: dict[str, object] = {}
        assigned: dict[str, Assign] = {}
        while True:
            while self.peek().kind in ("NL", ";"):
                self.advance()
            if self.peek().kind == "EOF":
                break
            if statements and not isinstance(statements[-1], Assign):
                if not (self.starts_factor(self.peek()) or self.peek().kind in ("-", "+")):
                    raise self.error(self.peek())
                bare = statements[-1]
                raise ParseError("only the last statement may be a bare expression; name this one, like 'a = …'",
                                 bare.span, self.source)
            statements.append(self.statement(assigned, defaults))
            nxt = self.peek()
            if nxt.kind == "=" and not isinstance(statements[-1], Assign):
                target = statements[-1].span
                raise ParseError(f"the left of '=' must be a name, not {self.source[target[0]:target[1]]!r}",
                                 target, self.source)
            if nxt.kind not in ("NL", ";", "EOF"):
                raise self.error(nxt)
        if not statements:
            raise ParseError("empty input: type an expression such as x^2 + 3xy", (0, 0), self.source)
        return Program(statements, self.source, defaults)

    def statement(self, assigned: dict[str, Assign], defaults: dict[str, object]) -> Assign | Expr:
        first, second = self.peek(), self.peek(1)
        if second.kind != "=":
            return self.expr(0)
        if first.kind not in _NAMES:
            raise self.error(first, f"the left of '=' must be a name, not {show(first)}")
        self.advance()
        self.advance()
        if first.text in assigned:
            raise ParseError(f"'{first.text}' is assigned twice", first.span, self.source)
        if self.peek().kind in ("NL", ";", "EOF"):
            raise self.error(self.peek(), f"'{first.text} =' needs an expression or a value")
        expr = self.expr(0)
        literal = literal_value(expr)
        if literal is not None:
            defaults[first.text] = literal
        stmt = Assign(first.text, expr, first.span)
        assigned[first.text] = stmt
        return stmt

    # -- expressions
    def expr(self, rbp: int) -> Expr:
        self.depth += 1
        if self.depth > self.max_depth:
            raise LimitError(f"expression nested deeper than {self.max_depth} levels", self.peek().span,
                             self.source)
        left = self.prefix()
        tokens = self.tokens
        while True:
            left = self.leaf_operands(left, rbp)
            tok = tokens[self.pos]
            kind = tok.kind
            infix = _INFIX_BP.get(kind)
            if infix is not None:
                bp, name = infix
                if bp <= rbp:
                    break
                self.pos += 1  # never EOF here
                if kind == "^":
                    left = self.power(left, tok)
                    continue
                right = self.expr(bp)
                left = Call(name, (left, right), (left.span[0], right.span[1]))
            elif kind == "T":
                if BP_POSTFIX <= rbp:
                    break
                self.advance()
                left = Call("transpose", (left,), (_start(left), tok.span[1]))
            elif self.starts_factor(tok):
                bp = BP_TIGHT if tok.tight else BP_MUL
                if bp <= rbp:
                    break
                right = self.expr(bp)
                left = Call("juxt", (left, right), (_start(left), _end(right)))
            else:
                break
        self.depth -= 1
        return left

    def leaf_operands(self, left: Expr, rbp: int) -> Expr:
        """The fast path for long sums and products (``x1 + x2 + …``, ``b + w1*x1 + w2*x2 + …``):
        apply the infix operators at ``pos`` whose right operand is one leaf (a name or number
        followed by an operator that binds no tighter, or by the end of the operand) or two
        leaves joined by a tighter operator (``w1*x1`` followed likewise), without a recursive
        call per operand: the same tree, spans and errors the recursion gives."""
        tokens = self.tokens
        pos = self.pos
        start = left.span[0]
        op = tokens[pos].kind
        infix = _INFIX_BP.get(op)
        while infix is not None and infix[0] > rbp and op != "^":
            kind, text, span, _, _ = tokens[pos + 1]  # the operator is not EOF, so a token follows it
            if kind not in _LEAVES:
                break
            after = tokens[pos + 2].kind  # nor does the leaf end the list
            after_infix = _INFIX_BP.get(after)
            right: Expr = Num(float(text), span) if kind == "NUM" else Var(text, span)
            if after_infix is None:
                if after not in _OPERAND_ENDS:
                    break
            elif after_infix[0] > infix[0] or after == "^":
                # ``op leaf after leaf2 then``: the recursion would read ``leaf after leaf2``
                # one level deeper, when ``then`` binds no tighter than ``op``
                if after == "^" or self.depth >= self.max_depth:
                    break
                kind2, text2, span2, _, _ = tokens[pos + 3]
                if kind2 not in _LEAVES:
                    break
                then = tokens[pos + 4].kind
                then_infix = _INFIX_BP.get(then)
                if then_infix is None:
                    if then not in _OPERAND_ENDS:
                        break
                elif then_infix[0] > infix[0] or then == "^":
                    break
                second: Expr = Num(float(text2), span2) if kind2 == "NUM" else Var(text2, span2)
                right = Call(after_infix[1], (right, second), (span[0], span2[1]))
                span = span2
                pos += 2
                after, after_infix = then, then_infix
            left = Call(infix[1], (left, right), (start, span[1]))
            pos += 2
            op, infix = after, after_infix
        self.pos = pos
        return left

    def starts_factor(self, tok: Token) -> bool:
        if tok.kind in _FACTOR_START:
            return True
        if tok.kind in ("||", "|"):
            return not self.bars or self.bars[-1] != tok.kind
        return False

    def power(self, base: Expr, caret: Token) -> Expr:
        nxt = self.peek()
        if self.is_transpose_mark(nxt):
            end = self.skip_transpose_mark()
            return Call("transpose", (base,), (_start(base), end))
        if nxt.kind == "<":
            opener = self.advance()
            self.depth += 1
            exponent = self.expr(0)
            self.depth -= 1
            close = self.expect_closer(opener)
            span_end = close.span[1]
        else:
            if nxt.kind in ("EOF", "NL", ";"):
                raise self.error(nxt, "'^' needs an exponent")
            exponent = self.expr(BP_POW - 1)
            span_end = _end(exponent)
        if isinstance(base, Const) and base.name == "e":
            return Call("exp", (exponent,), (_start(base), span_end))
        if isinstance(base, Var) and isinstance(exponent, Num) and exponent.value == 1:
            self.unit_powers.append((base.name, (_start(base), span_end)))
        return Call("pow", (base, exponent), (_start(base), span_end))

    def is_transpose_mark(self, tok: Token) -> bool:
        if tok.kind == "TOP" or (tok.kind in _NAMES and tok.text == "T" and "T" not in self.known
                                 and not self.peek(1).tight):
            return True
        if tok.kind == "{":
            inner, close = self.peek(1), self.peek(2)
            return close.kind == "}" and (inner.kind == "TOP" or (inner.kind in _NAMES and inner.text == "T"
                                                                    and "T" not in self.known))
        return False

    def skip_transpose_mark(self) -> int:
        if self.peek().kind == "{":
            self.advance()
            self.advance()
        return self.advance().span[1]

    def prefix(self) -> Expr:
        tok = self.advance()
        kind = tok.kind
        if kind in _NAMES:
            return Var(tok.text, tok.span)
        if kind == "NUM":
            return Num(float(tok.text), tok.span)
        if kind == "CONST":
            return Const(tok.text, tok.span)
        if kind == "FUNC":
            return self.call(tok)
        if kind == "-":
            operand = self.expr(BP_UNARY)
            return Call("neg", (operand,), (tok.span[0], _end(operand)))
        if kind == "+":
            return self.expr(BP_UNARY)
        if kind in ("(", "{"):
            inner = self.expr(0)
            self.expect_closer(tok)
            return inner
        if kind == "[":
            return self.bracket(tok)
        if kind in ("||", "|"):
            self.bars.append(kind)
            try:
                inner = self.expr(0)
            except ParseError as err:
                if err.message == "unexpected end of input" or err.message.startswith("unclosed '|"):
                    raise ParseError(f"unclosed '{tok.text}'", tok.span, self.source) from None
                raise
            close = self.peek()
            if close.kind != kind:
                if close.kind in ("EOF", "NL", ";"):
                    raise ParseError(f"unclosed '{tok.text}'", tok.span, self.source)
                raise self.error(close)
            self.advance()
            self.bars.pop()
            return Call("norm" if kind == "||" else "abs", (inner,), (tok.span[0], close.span[1]))
        if kind == "CMD":
            if tok.text == "frac":
                num = self.group_argument(tok)
                den = self.group_argument(tok)
                return Call("div", (num, den), (tok.span[0], _end(den)))
            arg = self.group_argument(tok)
            return Call("sqrt", (arg,), (tok.span[0], _end(arg)))
        if kind == "<":
            raise self.error(tok, "'<' groups only an exponent, as in e^<xz>")
        raise self.error(tok)

    def group_argument(self, cmd: Token) -> Expr:
        if self.peek().kind == "{":
            opener = self.advance()
            inner = self.expr(0)
            self.expect_closer(opener)
            return inner
        if not self.starts_factor(self.peek()):
            raise self.error(self.peek(), f"\\{cmd.text} needs an argument in braces, like \\{cmd.text}{{x}}")
        return self.expr(BP_UNARY)

    def bracket(self, opener: Token) -> Expr:
        items = [self.expr(0)]
        while self.peek().kind == ",":
            self.advance()
            items.append(self.expr(0))
        close = self.expect_closer(opener)
        span = (opener.span[0], close.span[1])
        for item in items:
            if isinstance(item, Call) and item.op == "juxt" and all(isinstance(a, ArrayLit) for a in item.args):
                gap = (item.args[0].span[1], item.args[1].span[0])
                raise ParseError("missing ',' between the rows of a matrix", gap, self.source)
        if len(items) == 1:
            only = items[0]
            if isinstance(only, ArrayLit) and self.tokens[self.pos - 2].kind == "]":
                return ArrayLit(only.value[np.newaxis], span)  # [[0, 1, 2]] is a 1×3 matrix
            return only
        values = [literal_value(item) for item in items]
        if all(v is not None for v in values):
            shapes = {np.shape(v) for v in values}
            if len(shapes) != 1:
                raise ParseError("rows of a matrix must all have the same length", span, self.source)
            return ArrayLit(np.array(values, dtype=float), span)
        return Call("concat", tuple(items), span)

    def call(self, tok: Token) -> Expr:
        spec = OPS[tok.text]
        nxt = self.peek()
        if nxt.kind == "(":
            opener = self.advance()
            if self.peek().kind == ")":
                close = self.advance()
                return self.finish_call(tok, spec.name, [], close.span[1])
            args = [self.expr(0)]
            while self.peek().kind == ",":
                self.advance()
                args.append(self.expr(0))
            close = self.expect_closer(opener)
            end = close.span[1]
        elif nxt.kind == "{":
            args = [self.group_argument(tok)]
            end = _end(args[0])
        elif self.starts_factor(nxt) or nxt.kind == "-":
            args = [self.expr(BP_UNARY)]
            end = _end(args[0])
        else:
            raise self.error(nxt, f"{tok.text} needs an argument, like {tok.text}(x)")
        return self.finish_call(tok, spec.name, args, end)

    def finish_call(self, tok: Token, op: str, args: list[Expr], end: int) -> Expr:
        spec = OPS[op]
        arity = spec.arity or 1
        most = arity + len(spec.params)
        if not arity <= len(args) <= most:
            want = f"{arity}" if most == arity else f"{arity} to {most}"
            plural = "s" if most != 1 else ""
            raise ParseError(f"{tok.text} takes {want} argument{plural}, got {len(args)}",
                             (tok.span[0], end), self.source)
        params: list[tuple[str, float]] = []
        for (pname, _default), arg in zip(spec.params, args[arity:]):
            value = constant_value(arg)
            if value is None or np.ndim(value) != 0:
                raise ParseError(f"the {pname} of {tok.text} must be a number", (_start(arg), _end(arg)),
                                 self.source)
            params.append((pname, float(value)))
        return Call(op, tuple(args[:arity]), (tok.span[0], end), tuple(params))


def _start(expr: Expr) -> int:
    return expr.span[0]


def _end(expr: Expr) -> int:
    return expr.span[1]


