"""What the page shows instead of a result: an :class:`Issue`, made from any exception by
:func:`issue_of` (the message with its caret, and what to do in words). The page never shows
a traceback.

>>> from graphviz_nn.errors import ParseError
>>> issue = issue_of(ParseError("unexpected ')'", (2, 3)), "x+)")
>>> issue.kind, issue.column, issue.message.splitlines()[-1]
('syntax', 3, '    ^')
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import (
    GnnError,
    LimitError,
    MissingValueError,
    ParseError,
    RenderError,
    ShapeError,
    UnknownNameError,
    ValueInputError,
)
from .budget import OVER_BUDGET_ADVICE, OverBudget, memory_error_seen

__all__ = ["Issue", "issue_of"]


@dataclass(frozen=True)
class Issue:
    """Something the user should fix, ready to show.

    ``kind`` is one of ``syntax``, ``missing``, ``value``, ``shape``, ``limit``, ``render``,
    ``internal``; ``message`` is the full message (with the source line and a caret when the
    error has a position); ``explanation`` says in words what to do; ``names`` lists inputs
    that lack values.
    """

    kind: str
    message: str
    explanation: str
    column: int | None = None
    names: tuple[str, ...] = ()


_EXPLAIN = {
    "syntax": "The text could not be read. The caret marks where reading stopped; fix the text "
              "there. Write products as x*y or xy, powers as x^2, functions as sin(x).",
    "missing": "Give every input a value in its field below the expression.",
    "value": "A value must be a number such as 2 or -0.5, or a JSON array such as [1, 2] "
             "(a vector) or [[1, 2], [3, 4]] (a 2×2 matrix).",
    "shape": "The shapes of the operands do not fit this operation. Check the array values: "
             "a matrix product needs the inner sizes to agree, elementwise operations need "
             "equal (or broadcastable) shapes.",
    "limit": "The problem is larger than this tool draws; make it smaller.",
    "render": "The graph was computed but could not be drawn.",
    "internal": "Something went wrong inside graphviz_nn. Please report the text and values "
                "that caused it.",
}


def issue_of(exc: BaseException, text: str) -> Issue:
    """An exception as an :class:`Issue` (message with caret, explanation in words)."""
    if isinstance(exc, OverBudget):
        return Issue(kind="limit", message=exc.message, explanation=OVER_BUDGET_ADVICE)
    if isinstance(exc, MemoryError):
        return Issue(kind="limit", message=memory_error_seen(), explanation=OVER_BUDGET_ADVICE)
    if isinstance(exc, GnnError):
        exc.with_source(text)
        loc = exc.location
        if isinstance(exc, MissingValueError):
            names = tuple(exc.names)
            return Issue(kind="missing", message=exc.render(),
                         explanation=f"Give a value for {', '.join(names)} in the field"
                                     + ("s" if len(names) > 1 else "") + " below the expression.",
                         names=names)
        kind = ("syntax" if isinstance(exc, (ParseError, UnknownNameError)) else
                "value" if isinstance(exc, ValueInputError) else
                "shape" if isinstance(exc, ShapeError) else
                "limit" if isinstance(exc, LimitError) else
                "render" if isinstance(exc, RenderError) else "syntax")
        return Issue(kind=kind, message=exc.render(), explanation=_EXPLAIN[kind], column=loc.column if loc else None)
    return Issue(kind="internal", message=f"{type(exc).__name__}: {exc}", explanation=_EXPLAIN["internal"])
