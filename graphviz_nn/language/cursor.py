"""A cursor over a token list for the parser: peeking, advancing, and the errors that point at
a token (an unexpected one, a bracket left open or closed by the wrong kind)."""

from __future__ import annotations

from ..errors import ParseError, locate
from .lexer import Token

__all__ = ["TokenCursor", "CLOSER", "show"]

CLOSER = {"(": ")", "[": "]", "{": "}", "<": ">"}
"""Each opening bracket's closing one."""


class TokenCursor:
    """The position in ``tokens`` (which end with EOF) and the parser's state."""

    def __init__(self, source: str, tokens: list[Token], known: set[str], max_depth: int):
        self.source = source
        self.tokens = tokens
        self.known = known
        self.max_depth = max_depth
        self.pos = 0
        self.depth = 0
        self.bars: list[str] = []
        self.unit_powers: list[tuple[str, tuple[int, int]]] = []  # (name, span) of each name^1

    def peek(self, k: int = 0) -> Token:
        if k == 0:
            return self.tokens[self.pos]  # the list ends with EOF, which advance() never passes
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "EOF":
            self.pos += 1
        return tok

    def error(self, tok: Token, message: str | None = None) -> ParseError:
        if message is None:
            message = "unexpected end of input" if tok.kind == "EOF" else f"unexpected {show(tok)}"
        return ParseError(message, tok.span, self.source)

    def expect_closer(self, opener: Token) -> Token:
        want = CLOSER[opener.kind]
        tok = self.peek()
        if tok.kind == want:
            return self.advance()
        if tok.kind in ("EOF", "NL", ";") or "\n" in self.source[opener.span[1]:tok.span[0]]:
            raise ParseError(f"unclosed '{opener.text}'", opener.span, self.source)
        if tok.kind == "," and opener.kind != "[":
            raise self.error(tok, "',' is allowed only inside [ ] (a vector) or between a function's arguments")
        if tok.kind in CLOSER.values():
            where = self.where(opener.span[0], tok.span[0])
            raise self.error(tok, f"'{tok.text}' does not match the '{opener.text}' opened at {where}; "
                                  f"close it with '{want}'")
        raise self.error(tok, f"unexpected {show(tok)}; expected '{want}' to close the '{opener.text}' "
                              f"opened at {self.where(opener.span[0], tok.span[0])}")

    def where(self, offset: int, relative_to: int) -> str:
        """``column C`` (or ``line L, column C`` when the two offsets are on different lines)."""
        at = locate(self.source, offset)
        same_line = locate(self.source, relative_to).line == at.line
        return f"column {at.column}" if same_line else f"line {at.line}, column {at.column}"


def show(tok: Token) -> str:
    """A token as an error message names it."""
    if tok.kind == "NL":
        return "line break"
    return f"'{tok.text}'"

