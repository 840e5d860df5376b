"""One exception hierarchy for everything a user can get wrong.

Every error carries an optional source span so the CLI and the app can repeat
the offending line with a caret under the column. Nothing here ever prints a
traceback; :meth:`GnnError.render` gives the whole user-facing message.

>>> err = ParseError("unexpected ')'", span=(8, 9), source="sin(x)) + 1")
>>> print(err.render())
unexpected ')' at column 9
  sin(x)) + 1
          ^
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "GnnError",
    "ParseError",
    "UnknownNameError",
    "MissingValueError",
    "ShapeError",
    "ValueInputError",
    "LimitError",
    "RenderError",
    "LayoutNotFoundError",
    "Location",
    "locate",
    "UNPRINTABLE",
    "visible",
]

_BMP_UNPRINTABLE = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
                    "\ufdd0-\ufdef\ufffe\uffff")
UNPRINTABLE = re.compile(
    "[" + _BMP_UNPRINTABLE
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(1, 17))
    + "]")
"""Characters no message, label or title may show as they are: control characters (all but
tab and line break), surrogates, Unicode noncharacters, line/paragraph separators and the
bidirectional overrides that reorder what a terminal shows."""

_MAYBE_UNPRINTABLE = re.compile("[" + _BMP_UNPRINTABLE + "\U0001fffe-\U0010ffff]")
""":data:`UNPRINTABLE` with its astral noncharacters widened to one range: a quick first look
(Python's ``re`` tests a class of 32 separate astral characters one by one, ten times slower)."""


def visible(text: str, replacement: str = "?") -> str:
    """``text`` with every :data:`UNPRINTABLE` character replaced, one for one (carets stay aligned).

    >>> visible("x\x1b[31m + \uffff")
    'x?[31m + ?'
    """
    if _MAYBE_UNPRINTABLE.search(text) is None:  # most texts: nothing to replace
        return text
    return UNPRINTABLE.sub(replacement, text)


@dataclass(frozen=True)
class Location:
    """A 1-based line and column inside a source text."""

    line: int
    column: int
    line_text: str


def locate(source: str, offset: int) -> Location:
    """Turn a character offset into a 1-based line, column and that line's text.

    >>> locate("a = 1\\nb = )", 10)
    Location(line=2, column=5, line_text='b = )')
    """
    offset = max(0, min(offset, len(source)))
    line_start = source.rfind("\n", 0, offset) + 1
    line_end = source.find("\n", offset)
    if line_end == -1:
        line_end = len(source)
    line = source.count("\n", 0, offset) + 1
    return Location(line, offset - line_start + 1, source[line_start:line_end])


class GnnError(Exception):
    """Base class of every error graphviz_nn reports to a user.

    ``span`` is a ``(start, end)`` pair of character offsets into ``source``.
    """

    def __init__(self, message: str, span: tuple[int, int] | None = None, source: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.source = source

    def with_source(self, source: str) -> "GnnError":
        """Attach the source text (kept if one is already attached)."""
        if self.source is None:
            self.source = source
        return self

    @property
    def location(self) -> Location | None:
        """Line and column of the span start, when both span and source are known."""
        if self.span is None or self.source is None:
            return None
        return locate(self.source, self.span[0])

    def render(self) -> str:
        """The full message: text, position, the source line and a caret under the column."""
        loc = self.location
        if loc is None:
            return self.message
        multiline = "\n" in (self.source or "")
        where = f"line {loc.line}, column {loc.column}" if multiline else f"column {loc.column}"
        width = 1
        if self.span is not None:
            width = max(1, min(self.span[1] - self.span[0], len(loc.line_text) - loc.column + 1))
        shown = visible(loc.line_text.rstrip("\r").replace("\t", " "))
        caret = " " * (loc.column - 1) + "^" * width
        return f"{self.message} at {where}\n  {shown}\n  {caret}"

    def __str__(self) -> str:
        return self.render()


class ParseError(GnnError):
    """The text is not a valid expression or program."""


class UnknownNameError(GnnError):
    """A name applied like a function is not a known function."""


class MissingValueError(GnnError):
    """Inputs without values; ``names`` lists them all."""

    def __init__(self, names: list[str], span: tuple[int, int] | None = None, source: str | None = None,
                 hint: str = ""):
        self.names = list(names)
        plural = "s" if len(self.names) != 1 else ""
        extra = f" ({hint})" if hint else ""
        super().__init__(f"missing value{plural} for input{plural}: {', '.join(self.names)}{extra}", span, source)


class ShapeError(GnnError):
    """Operands whose shapes do not fit the operation."""


class ValueInputError(GnnError):
    """A given value is not a number or a (nested) list of numbers."""


class LimitError(GnnError):
    """The input exceeds a documented resource limit."""


class RenderError(GnnError):
    """Drawing or exporting failed (bad option, layout program error or timeout)."""


class LayoutNotFoundError(RenderError):
    """Neither the system ``dot`` nor ``graphviz-pure`` is available."""
