"""Property-based fuzzing: whatever text or spec comes in, only our own errors come out.

The parser (``gnn.evaluate``, ``gnn.canonical``) gets random text from a grammar-aware alphabet
and mutations (deletions, insertions, swaps, duplicated brackets) of valid examples; the spec
loader (``network.parse_spec``) gets TOML specs built from the examples with mutated keys,
values and chains, and raw text mutations of them. Anything but a ``GnnError`` subclass is a
bug, and so is a run longer than a few seconds (inputs are small).

``GNN_FUZZ_EXAMPLES`` (default 300) sets the number of examples per test.

Crashes found are pinned below in ``CRASHES`` with the message each now gives (the spec
loader's seed, loss and values of the wrong type crashed with ValueError, TypeError,
OverflowError and AttributeError until the loader checked the type of every key). A crash
found later is pinned the same way, marked ``xfail(strict=True)`` with the reason until it is
fixed.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphviz_nn as gnn
from graphviz_nn.networks import network
from graphviz_nn.errors import GnnError, ValueInputError
from helpers import time_limit

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
N = int(os.environ.get("GNN_FUZZ_EXAMPLES", "300"))
"""Examples per fuzz test; ``GNN_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py`` digs deeper."""
FUZZ = settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=max(1, N // 2), deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECONDS = 10


def only_our_errors(call, *args, **kwargs) -> Any:
    """Run ``call``; a GnnError is fine, any other exception fails the test."""
    with time_limit(SECONDS):
        try:
            return call(*args, **kwargs)
        except GnnError as err:
            err.render()  # rendering the message must not crash either
            return None


# ------------------------------------------------------------------ expressions and programs

PIECES = [
    "x", "y", "z", "w1", "W", "v", "xy", "a", "b", "T", "alpha", "α", "\\alpha", "w_0", "w_{10}", "x_",
    "0", "2", "1.5", ".5", "1e-3", "2.5E2", "1e400", "0.0", "e", "pi", "π", "nan", "inf",
    "sin", "cos", "exp", "log", "sqrt", "tanh", "sigmoid", "σ", "relu", "leaky_relu", "softplus", "max",
    "min", "sum", "mean", "norm", "abs", "softmax", "foo", "\\sin", "\\frac", "\\sqrt", "\\left(", "\\right)",
    "\\cdot", "\\|", "\\top", "\\mathbf{x}", "\\operatorname{relu}", "\\foo", "\\", "\\,",
    "(", ")", "[", "]", "{", "}", "<", ">", "|", "||", "‖", "^", "**", "+", "-", "−", "*", "·", "×", "⊙",
    "/", "÷", "@", ",", ";", "\n", "=", "_", "ᵀ", "^T", " ", "  ", "#", ".", "$", "'", "e^", "^{", "^<",
]
VALUE_SETS = [
    {},
    {"x": 1.5, "y": -0.5, "z": 2.0, "a": 0.0, "b": 3.0, "v": 1.0, "W": 2.0, "alpha": 0.1, "w1": -1, "T": 2},
    {"x": [1.0, -2.0], "y": [0.5, 0.0], "W": [[1, 2], [3, 4]], "v": [1, 2, 3], "z": 0.0, "a": [[1, 0]]},
    {"x": "nan", "y": "inf", "z": 0, "W": [[0.0]], "v": [1e308, -1e308]},
]
random_text = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)


def valid_sources() -> list[str]:
    found = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.gnn"))]
    return found + [
        "sin(xy)/z + e^<xz>/(xy)", "\\frac{\\sin(xy)}{z} + \\frac{e^{xz}}{xy}", "3x^2y", "1/2 x", "-x^2",
        "2^3^2", "x(y+1)", "1/2 ||W2 tanh(W1 x + b) - y||^2", "a = x*y + z; b = (x + x)*a; w = a*b",
        "leaky_relu(x, 0.2) + softplus(y, 2)", "max(x, y) - min(x, y)", "\\sqrt{x^2 + y^2}", "|x| + ||v||",
        "x^\\top y", "[x, y, 1]", "σ(w_0 x_0 + w_1 x_1 + b)", "W = [[1, 2], [3, 4]]\nv = [1, 2]\nu = W v",
    ]


VALID = valid_sources()


@st.composite
def mutated_source(draw) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        n = len(text)
        i = draw(st.integers(0, n))
        op = draw(st.sampled_from(["delete", "insert", "swap", "bracket", "replace"]))
        if op == "delete" and n:
            j = draw(st.integers(i, min(n, i + 6)))
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(PIECES)) + text[i:]
        elif op == "swap" and n >= 2:
            i, j = sorted((min(i, n - 1), draw(st.integers(0, n - 1))))
            text = text[:i] + text[j] + text[i + 1:j] + text[i] + text[j + 1:]
        elif op == "bracket":
            text = text[:i] + draw(st.sampled_from(list("()[]{}<>|"))) * draw(st.integers(1, 3)) + text[i:]
        elif op == "replace" and n:
            text = text[:min(i, n - 1)] + draw(st.sampled_from(PIECES)) + text[min(i, n - 1) + 1:]
    return text


def check_text(text: str, values: dict) -> None:
    only_our_errors(gnn.canonical, text)
    only_our_errors(gnn.inputs, text)
    res = only_our_errors(gnn.evaluate, text, values)
    if res is not None:
        json.dumps(res.to_json())  # the JSON of whatever evaluated is valid JSON


@FUZZ
@given(random_text, st.sampled_from(VALUE_SETS))
def test_random_text_raises_only_our_errors(text, values):
    check_text(text, values)


@FUZZ
@given(mutated_source(), st.sampled_from(VALUE_SETS))
def test_mutated_examples_raise_only_our_errors(text, values):
    check_text(text, values)


@SOME
@given(st.text(max_size=40))
def test_arbitrary_unicode_raises_only_our_errors(text):
    check_text(text, {"x": 1.0, "y": 2.0})


@SOME
@given(st.text(alphabet="()[]{}<>|x+^-", max_size=60), st.integers(2, 12))
def test_small_limits_raise_limit_or_parse_errors(text, limit):
    with time_limit(SECONDS):
        try:
            gnn.evaluate(text, {"x": 1.0}, max_depth=limit, max_nodes=limit * 2, max_chars=limit * 4)
        except GnnError:
            pass


# ------------------------------------------------------------------ specs

LOSS_NAMES = ["mse", "sse", "half_sse", "bce", "cross_entropy", "none", "MSE", "hinge", "", " mse "]
CHAIN_PIECES = ["Linear(2->2)", "Linear(2->1)", "Linear(3)", "Linear(1->1)", "Linear()", "Linear(a->b)",
                "ReLU", "Sigmoid", "Tanh", "Identity", "LeakyReLU(0.1)", "Softplus(2)", "GELU", "Softmax",
                "Scale(2)", "5*ReLU", "MSE", "BCE", "Foo", "->", "(", ")", "$", ",", "", "2"]


def toml_value(value: Any) -> str:
    """A small TOML writer (strings, numbers, booleans, arrays, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_text(data: dict[str, dict[str, Any]]) -> str:
    lines = []
    for table, body in data.items():
        lines.append(f"[{table}]")
        lines += [f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


SPECS = {p.name: tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.toml"))}
SPEC_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.toml"))]

scalars = st.one_of(st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True, width=32),
                    st.sampled_from(["1", "abc", "[1, 2]", "nan", "", "[[1], [2, 3]]"]), st.booleans())
small_arrays = st.one_of(
    st.lists(st.floats(-5, 5, width=32), min_size=0, max_size=4),
    st.integers(1, 3).flatmap(lambda c: st.lists(st.lists(st.floats(-5, 5, width=32), min_size=c, max_size=c),
                                                 min_size=1, max_size=3)),
    st.lists(st.lists(st.integers(-2, 2), max_size=3), max_size=3),  # possibly ragged
)
any_value = st.one_of(scalars, small_arrays, st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 2), max_size=2))
seeds = st.one_of(st.integers(-3, 2**64), st.floats(allow_nan=True), st.sampled_from(["abc", "1", True]),
                  st.just([1]))


@st.composite
def mutated_spec(draw) -> str:
    data = json.loads(json.dumps(draw(st.sampled_from(list(SPECS.values())))))  # deep copy
    net, values = data.setdefault("network", {}), data.setdefault("values", {})
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["chain", "loss", "bias", "init", "seed", "names", "title", "unknown",
                                   "drop", "value", "drop_value", "add_value"]))
        if op == "chain":
            pieces = draw(st.lists(st.sampled_from(CHAIN_PIECES), min_size=0, max_size=6))
            net["chain"] = draw(st.sampled_from([" -> ", " ", ""])).join(pieces)
        elif op == "loss":
            net["loss"] = draw(st.one_of(st.sampled_from(LOSS_NAMES), st.integers(0, 2), st.just(["mse"])))
        elif op == "bias":
            net["bias"] = draw(st.sampled_from(["separate", "folded", "none", "FOLDED", 1]))
        elif op == "init":
            net["init"] = draw(st.one_of(st.sampled_from(["random", "zeros", "Random"]), st.floats(-2, 2),
                                         st.integers(-2, 2), st.booleans(), st.just([1])))
        elif op == "seed":
            net["seed"] = draw(seeds)
        elif op == "names":
            net["names"] = draw(st.dictionaries(st.sampled_from(["W1", "b1", "x", "zz"]),
                                                st.sampled_from(["alpha", "<b>", "w_{1}", ""]), max_size=2))
        elif op == "title":
            net["title"] = draw(st.one_of(st.text(max_size=10), st.integers(), st.just({"a": 1})))
        elif op == "unknown":
            net[draw(st.sampled_from(["activation", "lr", "Chain"]))] = 1
        elif op == "drop" and net:
            net.pop(draw(st.sampled_from(sorted(net))))
        elif op == "value" and values:
            values[draw(st.sampled_from(sorted(values)))] = draw(any_value)
        elif op == "drop_value" and values:
            values.pop(draw(st.sampled_from(sorted(values))))
        elif op == "add_value":
            values[draw(st.sampled_from(["W9", "x", "y", "b1", "z"]))] = draw(any_value)
    return toml_text(data)


@st.composite
def mutated_spec_text(draw) -> str:
    text = draw(st.sampled_from(SPEC_TEXTS))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(['"', "[", "]", "=", "\n", "{", "}", ",", "#", "x", "1",
                                                    "->", "seed = 1\n", "\n[values]\n"])) + text[i:]
        else:
            j = min(len(text), i + draw(st.integers(1, 20)))
            text = text[:j] + text[i:j] + text[j:]
    return text


def check_spec(text: str) -> None:
    net = only_our_errors(network.parse_spec, text)
    if net is not None:
        only_our_errors(net.evaluate)


@FUZZ
@given(mutated_spec())
def test_mutated_specs_raise_only_our_errors(text):
    check_spec(text)


@SOME
@given(mutated_spec_text())
def test_mutated_spec_text_raises_only_our_errors(text):
    check_spec(text)


@SOME
@given(st.lists(st.sampled_from(CHAIN_PIECES), max_size=8).map(" -> ".join),
       st.sampled_from([None, *LOSS_NAMES]), st.sampled_from(["separate", "folded"]))
def test_random_chains_raise_only_our_errors(chain, loss, bias):
    net = only_our_errors(network.from_chain, chain, {"x": [1.0, 2.0], "y": [1.0]}, loss=loss, bias=bias,
                          init="random")
    if net is not None:
        only_our_errors(net.evaluate)


# ------------------------------------------------------------------ crashes found (pinned)
# Each raised a plain Python exception before the loader checked types; now one clear message.

NET = '[network]\nchain = "Linear(2->2) -> ReLU -> Linear(2->1)"\nloss = "mse"\n'
VALS = '[values]\nx = [1, 2]\ny = 1\nW1 = [[1, 0], [0, 1]]\nb1 = [0, 0]\nW2 = [[1, 1]]\nb2 = [0]\n'
CRASHES = [
    (NET + 'seed = "abc"\n' + VALS, "seed must be a whole number >= 0, got 'abc'"),
    (NET + "seed = [1]\n" + VALS, "seed must be a whole number >= 0, got [1]"),
    (NET + "seed = inf\n" + VALS, "seed must be a whole number >= 0, got inf"),
    (NET + "seed = nan\n" + VALS, "seed must be a whole number >= 0, got nan"),
    (NET + 'init = "random"\nseed = -1\n[values]\nx = [1, 2]\ny = 1\n', "seed must be a whole number >= 0, got -1"),
    (NET.replace('loss = "mse"', "loss = 5") + VALS, "loss must be text in quotes, got 5"),
    ("values = 1\n" + NET, "values must be a table: [values] with lines like x = [1, 2]"),
]


@pytest.mark.parametrize("text,message", CRASHES, ids=[m.split(",")[0] for _, m in CRASHES])
def test_pinned_crashes_give_one_clear_message(text, message):
    with time_limit(SECONDS), pytest.raises(ValueInputError) as err:
        network.parse_spec(text).evaluate()
    assert str(err.value).splitlines()[0] == f"spec.toml: {message}"


def test_a_valid_seed_still_evaluates():
    assert np.isfinite(network.parse_spec(NET + "seed = 3\n" + VALS).evaluate().value).all()
