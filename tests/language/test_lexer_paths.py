"""The lexer's two paths give the same tokens: plain ASCII text is read by one ``findall``
(:func:`_plain_tokens`), anything else by the master pattern's loop (:func:`_tokens`, which
reads every text). Over every example, every test program and thousands of generated texts
(plain and not), :func:`tokenize` must equal the master loop token for token (kind, text, span,
blank before), or fail with the same message at the same place; and the plain path must be
taken for the plain texts, so the comparison is not empty."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from graphviz_nn.errors import ParseError
from graphviz_nn.language import lexer
from graphviz_nn.networks.network import parse_spec

ROOT = Path(__file__).resolve().parents[2]
PLAIN = "xyzwab01239 +-*/^()[]{},=;<>|@.eE\n\t\r_"
ODD = PLAIN + "#\\·αΓ∂_{}ᵀ‖−\f"
WORDS = ["x", "y1", "w12", "b0_0", "h1_12", "x_a", "leaky_relu", "relu", "sin", "e", "pi", "xy", "1.5", ".5",
         "2e3", "1e", "3.", "1.2.3", "**", "||", "_", "x_", "w_{1}", "w_{}", "#c\n", "\\frac", "x^{(1)}"]


def outcome(read, text):
    """Tokens as plain tuples, or the error's message and span."""
    try:
        return [tuple(t) for t in read(text)]
    except ParseError as err:
        return ("error", err.message, err.span)


def master(text):
    tokens = lexer._tokens(text)
    return lexer._layer_indices(tokens, text) if "^" in text and "{" in text else tokens


def texts_of_examples() -> list[str]:
    found = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.gnn"))]
    found += [parse_spec(p.read_text(encoding="utf-8"), p.name).program
              for p in sorted((ROOT / "examples").glob("*.toml"))]
    return found


def generated(rng: random.Random, alphabet: str, n: int) -> list[str]:
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))))
        else:
            out.append(rng.choice(["", " ", "  "]).join(rng.choice(WORDS + list(alphabet))
                                                        for _ in range(rng.randint(1, 8))))
    return out


@pytest.mark.parametrize("text", texts_of_examples(), ids=lambda t: t[:30])
def test_examples_read_the_same_by_both_paths(text):
    assert outcome(lexer.tokenize, text) == outcome(master, text)


@pytest.mark.parametrize("alphabet", [PLAIN, ODD], ids=["plain", "odd"])
def test_generated_texts_read_the_same_by_both_paths(alphabet):
    rng = random.Random(len(alphabet))
    plain_taken = 0
    texts = generated(rng, alphabet, 4000)
    for text in texts:
        assert outcome(lexer.tokenize, text) == outcome(master, text), repr(text)
        plain_taken += lexer._plain_tokens(text) is not None
    assert plain_taken > (len(texts) // 5 if alphabet == PLAIN else 50)


def test_the_plain_path_reads_a_long_generated_program():
    """A layer written out neuron by neuron, as the benchmarks and networks generate."""
    rng = random.Random(5)
    lines = [f"h0_{j} = relu(b0_{j} + " + " + ".join(f"w{j}_{i}*x{i}" for i in range(12)) + ")" for j in range(30)]
    text = "\n".join(lines) + "\ny = " + " + ".join(f"{rng.uniform(-2, 2):.3f}*h0_{j}" for j in range(30))
    assert lexer._plain_tokens(text) is not None
    assert outcome(lexer.tokenize, text) == outcome(master, text)


@pytest.mark.parametrize("text,expected", [
    ("b0_0 + w1*x0", [("WORD", "b0_0", (0, 4), False), ("+", "+", (5, 6), True), ("WORD", "w1", (7, 9), True),
                      ("*", "*", (9, 10), False), ("WORD", "x0", (10, 12), False)]),
    ("(x\n+ y)\nz", [("(", "(", (0, 1), False), ("WORD", "x", (1, 2), False), ("+", "+", (3, 4), True),
                     ("WORD", "y", (5, 6), True), (")", ")", (6, 7), False), ("NL", "\n", (7, 8), False),
                     ("WORD", "z", (8, 9), True)]),
    ("x ** 2 ||y||", [("WORD", "x", (0, 1), False), ("^", "**", (2, 4), True), ("NUM", "2", (5, 6), True),
                      ("||", "||", (7, 9), True), ("WORD", "y", (9, 10), False), ("||", "||", (10, 12), False)]),
])
def test_plain_tokens_by_hand(text, expected):
    tokens = lexer._plain_tokens(text)
    assert tokens is not None
    assert [t[:4] for t in tokens[:-1]] == expected
    assert tokens[-1][:3] == ("EOF", "", (len(text), len(text)))


@pytest.mark.parametrize("text", ["x\f", "1.2.3", "x_a", "x # c", "a·b", "w_{1}", "x_", "é"])
def test_the_plain_path_declines_what_it_does_not_read(text):
    assert lexer._plain_tokens(text) is None
