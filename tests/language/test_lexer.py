"""Lexer tests: text -> tokens as (kind, text, start, end, space_before), and lexer errors.

The expected tokens are written by hand from the rules in ``graphviz_nn/lexer.py``: the cases
pin what the parser relies on and the golden tests see only indirectly (spans, whether blanks
came before a token after a comment, a line break or LaTeX spacing, where a subscript ends).
"""

from __future__ import annotations

import pytest

from graphviz_nn.errors import ParseError
from graphviz_nn.language.lexer import tokenize

F, T = False, True

TOKENS = [
    ("x1 + 2", [("WORD", "x1", 0, 2, F), ("+", "+", 3, 4, T), ("NUM", "2", 5, 6, T), ("EOF", "", 6, 6, F)]),
    # trailing blanks count as space before the end
    ("x  ", [("WORD", "x", 0, 1, F), ("EOF", "", 3, 3, T)]),
    # the blank before a comment carries over to the line break after it
    ("x # note\ny", [("WORD", "x", 0, 1, F), ("NL", "\n", 8, 9, T), ("WORD", "y", 9, 10, T),
                     ("EOF", "", 10, 10, F)]),
    # a comment alone is no space
    ("x#c", [("WORD", "x", 0, 1, F), ("EOF", "", 3, 3, F)]),
    # a line break inside brackets is a blank, not a statement break
    ("(x\n+ y)", [("(", "(", 0, 1, F), ("WORD", "x", 1, 2, F), ("+", "+", 3, 4, T), ("WORD", "y", 5, 6, T),
                  (")", ")", 6, 7, F), ("EOF", "", 7, 7, F)]),
    # LaTeX spacing makes neither a token nor a space
    (r"a\,b", [("WORD", "a", 0, 1, F), ("WORD", "b", 3, 4, F), ("EOF", "", 4, 4, F)]),
    ("x**2 || y", [("WORD", "x", 0, 1, F), ("^", "**", 1, 3, F), ("NUM", "2", 3, 4, F), ("||", "||", 5, 7, T),
                   ("WORD", "y", 8, 9, T), ("EOF", "", 9, 9, F)]),
    ("x ⋅ y", [("WORD", "x", 0, 1, F), ("*", "⋅", 2, 3, T), ("WORD", "y", 4, 5, T), ("EOF", "", 5, 5, F)]),
    ("αβ", [("WORD", "alpha", 0, 1, F), ("WORD", "beta", 1, 2, F), ("EOF", "", 2, 2, F)]),
    # a function name keeps its underscores; a name keeps one subscript letter
    ("leaky_relu(x)", [("WORD", "leaky_relu", 0, 10, F), ("(", "(", 10, 11, F), ("WORD", "x", 11, 12, F),
                       (")", ")", 12, 13, F), ("EOF", "", 13, 13, F)]),
    ("x_a + 1", [("WORD", "x_a", 0, 3, F), ("+", "+", 4, 5, T), ("NUM", "1", 6, 7, T), ("EOF", "", 7, 7, F)]),
    ("w_{10}x", [("WORD", "w_{10}", 0, 6, F), ("WORD", "x", 6, 7, F), ("EOF", "", 7, 7, F)]),
    (r"\frac{1}{2}", [("CMD", "frac", 0, 5, F), ("{", "{", 5, 6, F), ("NUM", "1", 6, 7, F), ("}", "}", 7, 8, F),
                      ("{", "{", 8, 9, F), ("NUM", "2", 9, 10, F), ("}", "}", 10, 11, F), ("EOF", "", 11, 11, F)]),
]


@pytest.mark.parametrize(("text", "expected"), TOKENS, ids=[t for t, _ in TOKENS])
def test_tokens(text: str, expected: list[tuple]) -> None:
    got = [(t.kind, t.text, t.span[0], t.span[1], t.space_before) for t in tokenize(text)]
    assert got == expected


ERRORS = [
    ("x_{}", "empty subscript; write x_{1} or drop the '_{}'", (1, 4)),
    ("1.2.3", "malformed number", (0, 4)),
    ("x € y", "unknown character '€'", (2, 3)),
    ("x_", "missing subscript after '_', like x_1 or x_{10}", (1, 2)),
    ("\\", "a backslash must start a LaTeX command such as \\frac", (0, 1)),
]


@pytest.mark.parametrize(("text", "message", "span"), ERRORS, ids=[t for t, _, _ in ERRORS])
def test_errors(text: str, message: str, span: tuple[int, int]) -> None:
    with pytest.raises(ParseError) as caught:
        tokenize(text)
    assert (caught.value.message, caught.value.span) == (message, span)


def test_long_sum() -> None:
    text = " + ".join(f"x{i}" for i in range(1, 1001))
    tokens = tokenize(text)
    assert [t.kind for t in tokens] == ["WORD", "+"] * 999 + ["WORD", "EOF"]
    assert tokens[-2].span == (len(text) - 5, len(text))
    assert all(t.space_before for t in tokens[1:-1])
