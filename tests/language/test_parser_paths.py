"""The parser's shortcut for long sums (``leaf_operands``: ``x1 + x2 + …`` and ``b + w1*x1 +
w2*x2 + …`` read in one loop) gives exactly the tree the Pratt recursion gives without it: the
same nodes, spans and parameters, the same defaults and notes, and the same error (message and
span), also at the nesting limit. Compared over the examples, the test programs and thousands
of generated texts."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from graphviz_nn.errors import GnnError
from graphviz_nn.language import parser
from graphviz_nn.networks.network import parse_spec

ROOT = Path(__file__).resolve().parents[2]
LEAVES = ["x", "y", "w1", "b0_1", "2", "0.5", "pi", "e", "xy", "W"]
INFIX = ["+", "-", "*", "/", "^", "@", "**", " "]


def plain(item):
    """A tree as nested tuples (arrays as lists), to compare by value."""
    if isinstance(item, np.ndarray):
        return ("array", item.tolist())
    if isinstance(item, (list, tuple)):
        return tuple(plain(i) for i in item)
    if isinstance(item, dict):
        return tuple((k, plain(v)) for k, v in item.items())
    if hasattr(item, "__slots__"):
        return (type(item).__name__,) + tuple(plain(getattr(item, name)) for name in item.__slots__)
    return item


def outcome(text: str, max_depth: int = parser.MAX_DEPTH):
    try:
        program = parser.parse(text, {"W"}, max_depth=max_depth)
    except GnnError as err:
        return ("error", type(err).__name__, err.message, err.span)
    return plain((program.statements, program.defaults, program.notes, program.split_words))


def without_shortcut(monkeypatch, text: str, max_depth: int = parser.MAX_DEPTH):
    with monkeypatch.context() as m:
        m.setattr(parser._Parser, "leaf_operands", lambda self, left, rbp: left)
        return outcome(text, max_depth)


def generated(rng: random.Random) -> str:
    def expr(depth: int) -> str:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(LEAVES)
        pick = rng.random()
        if pick < 0.6:  # runs of leaves and operators, the shortcut's food
            parts = [rng.choice(LEAVES)]
            for _ in range(rng.randint(1, 6)):
                parts += [rng.choice(INFIX), rng.choice(LEAVES) if rng.random() < 0.8 else expr(depth - 1)]
            return "".join(parts) if rng.random() < 0.5 else " ".join(parts)
        if pick < 0.75:
            return f"({expr(depth - 1)})"
        if pick < 0.85:
            return f"-{expr(depth - 1)}"
        if pick < 0.9:
            return f"{expr(depth - 1)}^T"
        return f"{rng.choice(['sin', 'relu', 'max'])}({expr(depth - 1)}{', ' + expr(0) if rng.random() < 0.3 else ''})"

    lines = [f"h{k} = {expr(3)}" for k in range(rng.randint(0, 2))]
    tail = expr(3) + rng.choice(["", "", ")", "+", "*", " =", ",", "\n", ";"])
    return "\n".join(lines + [tail])


def test_examples_parse_the_same_without_the_shortcut(monkeypatch):
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.gnn"))]
    texts += [parse_spec(p.read_text(encoding="utf-8"), p.name).program
              for p in sorted((ROOT / "examples").glob("*.toml"))]
    for text in texts:
        assert outcome(text) == without_shortcut(monkeypatch, text), text


def test_generated_texts_parse_the_same_without_the_shortcut(monkeypatch):
    rng = random.Random(2)
    errors = 0
    for _ in range(3000):
        text = generated(rng)
        got = outcome(text)
        assert got == without_shortcut(monkeypatch, text), text
        errors += got[0] == "error"
    assert 100 < errors < 2900  # both readings and errors were compared


def one_leaf_operands(self, left, rbp):
    """The shortcut as it was before it read two-leaf products: one leaf per operator. (Its
    nesting limit is the reference: a product after ``+`` counts one level, not two.)"""
    tokens, pos, start = self.tokens, self.pos, left.span[0]
    op = tokens[pos].kind
    infix = parser._INFIX_BP.get(op)
    while infix is not None and infix[0] > rbp and op != "^":
        kind, text, span, _, _ = tokens[pos + 1]
        if kind not in parser._LEAVES:
            break
        after = tokens[pos + 2].kind
        after_infix = parser._INFIX_BP.get(after)
        if after_infix is None:
            if after not in parser._OPERAND_ENDS:
                break
        elif after_infix[0] > infix[0] or after == "^":
            break
        right = parser.Num(float(text), span) if kind == "NUM" else parser.Var(text, span)
        left = parser.Call(infix[1], (left, right), (start, span[1]))
        pos += 2
        op, infix = after, after_infix
    self.pos = pos
    return left


@pytest.mark.parametrize("max_depth", [1, 2, 3, 4])
@pytest.mark.parametrize("text", ["b + w1*x1 + w2*x2", "a - 2*x + 3/y - z", "(a + b*c) + d*e",
                                  "relu(b + w1*x1 + w2*x2)", "a + b*c*d + e", "a + b*c^2 + d",
                                  "-(a + b*c)", "((a*b + c*d))"])
def test_the_nesting_limit_is_the_same(monkeypatch, text, max_depth):
    with monkeypatch.context() as m:
        m.setattr(parser._Parser, "leaf_operands", one_leaf_operands)
        before = outcome(text, max_depth)
    assert outcome(text, max_depth) == before


def test_a_neuron_is_read_in_one_loop(monkeypatch):
    """``b + w1*x1 + …`` makes no recursive call per term."""
    calls = []
    expr = parser._Parser.expr

    def counted(self, rbp):
        calls.append(rbp)
        return expr(self, rbp)
    monkeypatch.setattr(parser._Parser, "expr", counted)
    text = "h = relu(b + " + " + ".join(f"w{i}*x{i}" for i in range(50)) + ")"
    program = parser.parse(text)
    assert len(calls) <= 3
    assert program.statements[0].expr.args[0].span == (9, len(text) - 1)
