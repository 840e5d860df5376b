"""The compiled level schedule against the reference engine: same trace, step for step and
number for number, and the same node and edge attributes, on the examples, random programs,
tensors, non-finite values and a 10,000-node MLP. No timing here (see benchmarks/)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from graphviz_nn.core import engine
from graphviz_nn.core import schedule
from graphviz_nn.core.engine import state_at
from graphviz_nn.core.graph import build_graph
from graphviz_nn.networks.network import parse_spec
from graphviz_nn.language.parser import parse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIELDS = ("value", "upstream", "local", "contribution", "grad_after")


def same(a, b) -> bool:
    """Equal numbers, nan equal to nan, scalars as float in both, arrays of equal shape."""
    if a is None or b is None:
        return a is None and b is None
    if type(a) is float or type(b) is float:
        return type(a) is type(b) and (a == b or (math.isnan(a) and math.isnan(b)))
    return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)


def both(text: str, values: dict | None = None, merge: bool = True, constant_grads: bool = False):
    """The same program evaluated by the engine and by the schedule, on two fresh graphs."""
    values = dict(values or {})
    program = parse(text, values)
    merged = {**program.defaults, **values}
    reference = build_graph(program, merged, merge=merge)
    compiled = build_graph(program, merged, merge=merge)
    used = {name: merged[name] for name in reference.graph["inputs"]}
    trace = engine.forward(reference, used)
    trace += engine.backward(reference, first_index=len(trace) + 1, constant_grads=constant_grads)
    fast = schedule.compiled_evaluate(compiled, used, constant_grads=constant_grads)
    return reference, trace, compiled, fast


def assert_equal(reference, trace, compiled, fast) -> None:
    assert len(fast) == len(trace)
    for a, b in zip(trace, fast):
        assert (a.index, a.phase, a.node, a.edge) == (b.index, b.phase, b.node, b.edge), (a, b)
        for name in FIELDS:
            assert same(getattr(a, name), getattr(b, name)), (name, a, b)
    for node, attrs in reference.nodes(data=True):
        other = compiled.nodes[node]
        assert same(attrs["value"], other["value"]), (node, attrs["value"], other["value"])
        assert same(attrs["grad"], other["grad"]), (node, attrs["grad"], other["grad"])
    for u, v, k, attrs in reference.edges(keys=True, data=True):
        other = compiled.edges[u, v, k]
        assert set(attrs) == set(other), (u, v, k)
        for name in ("local", "contribution"):
            if name in attrs:
                assert same(attrs[name], other[name]), (u, v, k, name, attrs[name], other[name])


def check(text: str, values: dict | None = None, merge: bool = True, constant_grads: bool = False) -> None:
    assert_equal(*both(text, values, merge, constant_grads))


# ------------------------------------------------------------------ table of programs

CASES = [
    ("sin(xy)/z + e^<xz>/(xy)", {"x": 1, "y": 2, "z": 3}),
    ("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3}),  # fan-out, x + x
    ("x*x*x + 2*x + 2*3", {"x": 1.5}),  # constants, a constant-only subtree
    ("2*3", {}),  # nothing depends on an input
    ("b = 2*x; c = b + 1; b", {"x": 4}),  # the output has a consumer after it
    ("x^y + y^x - x^-1 + (-x)^0.5", {"x": 2, "y": 3}),  # nan from a negative base
    ("log(x - 2)*y + 1/(x - x)", {"x": 1, "y": 2}),  # nan and inf
    ("sqrt(x)*0 + abs(y) + max(x, y) - min(x, y)", {"x": 0, "y": -1}),
    ("leaky_relu(x) + softplus(y) + gelu(z) + sigmoid(x) + tanh(y) + relu(z)", {"x": -1, "y": 0.5, "z": 2}),
    ("sum(x) + mean(x*2) + norm(x) + tan(x)", {"x": 0.3}),  # reductions of scalars run one at a time
    ("sum(W x + b) * a + a^2", {"W": [[1, 2], [3, 4]], "x": [1, -1], "b": [0.5, 0.5], "a": 2}),
    ("1/2 ||W2 tanh(W1 x + b) - y||^2",
     {"W1": [[1, 2], [3, 4]], "W2": [[1, 0], [0.5, -1]], "x": [1, 2], "b": [0, 1], "y": [1, 0]}),
    ("a*x + x*a + softmax([a, a*2, 3])", {"a": 0.7, "x": [1.0, 2.0, 3.0]}),  # scalar into tensors
    ("sin(xy)/z + e^<xz>/(xy)", {"x": [1, 2, 3], "y": [2, 0, 1], "z": [3, 4, 0]}),  # a batch
    # one level's group of products where some members multiply a constant, some a variable
    ("x*2 + y*z + 3*x + z*y*4 + 1/2*(2*3)", {"x": 1.5, "y": -2, "z": 0.5}),
    ("1/2 (x - y)^2 + x^2", {"x": 3, "y": 1}),
]


@pytest.mark.parametrize("text,values", CASES)
@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("constant_grads", [False, True])
def test_cases_equal_the_engine(text, values, merge, constant_grads):
    check(text, values, merge, constant_grads)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.gnn")), ids=lambda p: p.stem)
def test_example_programs(path):
    check(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_example_layer_specs(path):
    net = parse_spec(path.read_text(encoding="utf-8"), path.name)
    check(net.program, dict(net.values))


# ------------------------------------------------------------------ random programs

UNARY = ["exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "abs", "softplus", "gelu",
         "leaky_relu", "tan"]
BINARY = ["+", "-", "*", "/", "^"]


def random_program(rng: random.Random, n_inputs: int, n_statements: int) -> tuple[str, dict]:
    names = [f"x{i}" for i in range(n_inputs)]
    values = {n: rng.choice([rng.uniform(-2, 2), rng.uniform(0.1, 3), 0.0, -1.0]) for n in names}
    pool = list(names)

    def expr(depth: int) -> str:
        if depth == 0 or rng.random() < 0.25:
            return rng.choice(pool) if rng.random() < 0.85 else rng.choice(["2", "0.5", "pi", "3"])
        kind = rng.random()
        if kind < 0.55:
            return f"({expr(depth - 1)} {rng.choice(BINARY)} {expr(depth - 1)})"
        if kind < 0.7:
            return f"{rng.choice(['max', 'min'])}({expr(depth - 1)}, {expr(depth - 1)})"
        if kind < 0.8:
            return f"-{expr(depth - 1)}"
        return f"{rng.choice(UNARY)}({expr(depth - 1)})"

    lines = []
    for k in range(n_statements):
        lines.append(f"h{k} = {expr(rng.randint(1, 4))}")
        pool.append(f"h{k}")  # later statements reuse it: fan-out
    lines.append(" + ".join(rng.sample(pool[n_inputs:], min(3, n_statements))))
    return "\n".join(lines), values


@pytest.mark.parametrize("seed", range(60))
def test_random_programs(seed):
    rng = random.Random(seed)
    text, values = random_program(rng, rng.randint(1, 4), rng.randint(1, 8))
    check(text, values, merge=seed % 3 != 0)


# ------------------------------------------------------------------ a big scalar MLP

def mlp_program(n_in: int, widths: list[int], seed: int = 0) -> tuple[str, dict]:
    """A scalar MLP written neuron by neuron: ``h = relu(b + w*x + …)``, last layer linear."""
    rng = random.Random(seed)
    values = {f"x{i}": rng.uniform(-1, 1) for i in range(n_in)}
    previous = list(values)
    lines = []
    k = 0
    for layer, width in enumerate(widths):
        current = []
        for j in range(width):
            bias = f"b{layer}_{j}"
            values[bias] = rng.uniform(-1, 1)
            terms = [bias]
            for source in previous:
                k += 1
                values[f"w{k}"] = rng.uniform(-1, 1)
                terms.append(f"w{k}*{source}")
            body = " + ".join(terms)
            name = f"h{layer}_{j}"
            lines.append(f"{name} = relu({body})" if layer < len(widths) - 1 else f"{name} = {body}")
            current.append(name)
        previous = current
    lines.append(f"loss = ({previous[0]} - 1)^2")
    return "\n".join(lines), values


def test_mlp_of_ten_thousand_nodes():
    text, values = mlp_program(16, [52, 52, 1])
    reference, trace, compiled, fast = both(text, values)
    assert reference.number_of_nodes() >= 10_000
    assert_equal(reference, trace, compiled, fast)
    for k in (0, 1, reference.number_of_nodes(), len(trace) // 2, len(trace)):
        a, b = state_at(trace, k), state_at(fast, k)
        assert (a.computed, a.done_edges, a.current) == (b.computed, b.done_edges, b.current)


# ------------------------------------------------------------------ the lazy trace

def test_state_at_works_on_the_lazy_trace():
    _, trace, _, fast = both("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})
    for k in range(-1, len(trace) + 2):
        a, b = state_at(trace, k), state_at(fast, k)
        assert (a.step, a.computed, a.done_edges, a.current, a.phase) == (b.step, b.computed, b.done_edges,
                                                                          b.current, b.phase)
        assert a.grads == b.grads


def test_trace_is_a_sequence():
    _, trace, _, fast = both("x*y + x", {"x": 2, "y": 3})
    assert len(fast) == len(trace) and list(fast) == trace and fast == trace
    assert fast[-1] == trace[-1] and fast[:3] == trace[:3] and fast[::2] == trace[::2]
    with pytest.raises(IndexError):
        fast[len(trace)]


def test_a_schedule_runs_again_with_new_values():
    text = "a = x*y + z; b = (x + x)*a; w = a*b + sin(a)"
    program = parse(text)
    graph = build_graph(program, {"x": 1.0, "y": 2.0, "z": 3.0})
    compiled = schedule.compile_schedule(graph)
    for x in (1.0, -2.0, 0.0):
        values = {"x": x, "y": 2.0, "z": 3.0}
        fast = compiled.run(values)
        reference = build_graph(program, values)
        trace = engine.forward(reference, values)
        trace += engine.backward(reference, first_index=len(trace) + 1)
        assert_equal(reference, trace, graph, fast)


