"""Names as the reader spells them: a plain ASCII name is its own spelling (the shortcut
:func:`canonical_name` takes), everything else is folded; a word seen again is read as it was
the first time (the table of words :func:`expand_words` keeps), whether it stays a name, splits
into a product or names a function."""

from __future__ import annotations

import pytest

from graphviz_nn.language.lexer import tokenize
from graphviz_nn.language.names import canonical_name
from graphviz_nn.language.parser import parse
from graphviz_nn.language.printer import canonical
from graphviz_nn.language.words import expand_words


@pytest.mark.parametrize("raw,expected", [
    ("x", "x"), ("w12", "w12"), ("loss", "loss"), ("alpha", "alpha"), ("X1", "X1"), ("1", "1"),
    (" x ", "x"), ("α", "alpha"), ("α1", "alpha1"), ("\\alpha", "alpha"), ("x_{1}", "x_1"), ("x_1", "x_1"),
    ("w_{1, 2}", "w_1,2"), ("w^{(1)}", "w^(1)"), ("w^{[l-1]}", "w^(l-1)"), ("θ_{2}", "theta_2"),
])
def test_canonical_names(raw, expected):
    assert canonical_name(raw) == expected


@pytest.mark.parametrize("text,known,expected", [
    ("b0_1 + b0_1*x + b0_1", set(), "((b0_1 + (b0_1 * x)) + b0_1)"),
    ("xy + xy*z + xy", set(), "(((x * y) + ((x * y) * z)) + (x * y))"),
    ("xy + xy*z + xy", {"xy"}, "((xy + (xy * z)) + xy)"),
    ("sin(x) + sin(x) + pi*pi", set(), "((sin(x) + sin(x)) + (pi * pi))"),
    ("alpha + alpha*alpha", set(), "(alpha + (alpha * alpha))"),
])
def test_a_word_seen_again_reads_as_it_did_first(text, known, expected):
    splits: dict = {}
    tokens = expand_words(tokenize(text), known, text, splits)
    first = {}
    for tok in tokens:
        if tok.kind in ("NAME", "WORD", "FUNC", "CONST"):
            first.setdefault(text[tok.span[0]:tok.span[1]], (tok.kind in ("NAME", "WORD"), tok.text))
            assert first[text[tok.span[0]:tok.span[1]]] == (tok.kind in ("NAME", "WORD"), tok.text)
    assert canonical(parse(text, known)) == expected
