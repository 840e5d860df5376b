"""The five core figures, each timed beside its peer in the same run (targets: the speed goals
for text -> first answer, docs/PERFORMANCE.md)."""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from graphviz_nn.core import engine
from graphviz_nn.core.prepared import evaluate, prepare
from graphviz_nn.core.reference import reference_evaluate
from graphviz_nn.core.graph import build_graph
from graphviz_nn.language.lexer import tokenize
from graphviz_nn.language.parser import parse
from graphviz_nn.core.schedule import compiled_evaluate

from . import Figure, Row, best_of
from .workloads import (DESIGN, batch_points, hand_numpy, long_sum, micrograd_mlp,
                        micrograd_step, mlp_program, products_program)

__all__ = ["mlp_figure", "batch_figure", "pipeline_figure", "parse_figure", "memory_figure"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _built(text: str, values: dict):
    program = parse(text, values)
    merged = {**program.defaults, **values}
    graph = build_graph(program, merged)
    return program, graph, {name: merged[name] for name in graph.graph["inputs"]}


def mlp_figure(quick: bool) -> Figure:
    """1. Forward + backward of a scalar MLP against micrograd 0.1.0 on the identical network.

    micrograd keeps its weights in the model and rebuilds the graph on every call; ours keeps
    them in a :class:`~graphviz_nn.core.prepared.Prepared` and runs the compiled schedule. Both give
    the output and every gradient; ours also keeps every node's value and gradient and the
    trace (in arrays) for the renderer, which fills the networkx graph only when it draws.
    """
    fig = Figure(1, "Scalar MLP forward + backward vs micrograd 0.1.0")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # micrograd's recursive topo sort
    try:
        model, xs = micrograd_mlp(16, [64, 64, 1])
    except ImportError:
        fig.notes.append("micrograd is not installed (pip install micrograd==0.1.0): figure skipped")
        return fig
    text, values = mlp_program(model, xs)
    start = time.perf_counter()
    prepared = prepare(text, values)
    prepare_seconds = time.perf_counter() - start
    res = prepared.evaluate()
    graph = res.graph
    n_nodes = graph.number_of_nodes()
    fig.title += f" (MLP(16, [64, 64, 1]): {n_nodes:,} nodes, {graph.number_of_edges():,} edges)"
    x0 = values["x0"]
    repeat = 5 if quick else 15
    best = best_of({
        "micrograd": lambda: micrograd_step(model, xs),
        "evaluate": lambda: prepared.evaluate(),
        "one": lambda: prepared.evaluate({"x0": x0}),
        "all": lambda: prepared.evaluate(values),
    }, repeat)
    # Agreement with micrograd (same operations in the same order).
    out = micrograd_step(model, xs)
    grads = [res.gradients[f"x{i}"] for i in range(len(xs))]
    agree = np.allclose(res.value, out.data, rtol=1e-12) and np.allclose(grads, [x.grad for x in xs], rtol=1e-9)
    fig.notes.append(f"our output and input gradients {'match' if agree else 'DO NOT match'} micrograd's")
    fig.notes.append(f"{len(values):,} inputs (16 x, {len(values) - 16:,} weights and biases); "
                     f"the trace has {len(res.trace):,} steps")
    slow = best_of({
        "fill": lambda: prepared.evaluate().graph,
        "engine": lambda: _engine(graph, res.values),
        "evaluate": lambda: evaluate(text, values),
        "prepare": lambda: prepare(text, values),
        "reference": lambda: reference_evaluate(text, values),
    }, 1 if quick else 5)
    fig.rows = [
        Row("micrograd: model(x) + backward()", best["micrograd"]),
        Row("ours: prepared.evaluate() (values held, like micrograd's model)", best["evaluate"]),
        Row("ours: prepared.evaluate({x0: …}) (one value changed)", best["one"]),
        Row(f"ours: prepared.evaluate(values) (all {len(values):,} values passed)", best["all"]),
        Row("ours: prepare(text, values) (parse, build, compile; once; first call)", prepare_seconds),
        Row("ours: prepare(text, values), best of the repeats", slow["prepare"]),
        Row("ours: … + res.graph filled for the renderer (copy + attributes)", slow["fill"]),
        Row("ours: per-node engine forward + backward on the built graph", slow["engine"]),
        Row("ours: gnn.evaluate (text -> everything: prepare + the compiled schedule)", slow["evaluate"]),
        Row("ours: reference_evaluate (text -> everything, per-node reference engine)", slow["reference"]),
    ]
    fig.ratios = {
        "mlp_speedup": best["micrograd"] / best["evaluate"],
        "mlp_speedup_one_value": best["micrograd"] / best["one"],
        "mlp_speedup_all_values": best["micrograd"] / best["all"],
        "mlp_speedup_with_graph": best["micrograd"] / slow["fill"],
        "mlp_speedup_per_node_engine": best["micrograd"] / slow["engine"],
        "mlp_evaluate_vs_micrograd": best["micrograd"] / slow["evaluate"],
        "mlp_prepare_ms": slow["prepare"] * 1e3,
    }
    fig.targets = {"mlp_speedup": ">= 20", "mlp_speedup_one_value": ">= 10",
                   "mlp_evaluate_vs_micrograd": ">= 0.33", "mlp_prepare_ms": "<= 100"}
    return fig


def _engine(graph, used):
    trace = engine.forward(graph, used)
    trace += engine.backward(graph, first_index=len(trace) + 1)
    return trace


def batch_figure(quick: bool) -> Figure:
    """2. sin(xy)/z + e^<xz>/(xy) over 10^6 points, value and gradients, vs hand-written numpy."""
    n = 10**5 if quick else 10**6
    fig = Figure(2, f"{DESIGN} over {n:,} points: value + 3 gradients vs hand-written numpy")
    values = batch_points(n)
    x, y, z = values["x"], values["y"], values["z"]
    prepared = prepare(DESIGN, values)
    best = best_of({
        "hand": lambda: hand_numpy(x, y, z),
        "evaluate": lambda: evaluate(DESIGN, values),
        "prepared": lambda: prepared.evaluate(),
        "everything": lambda: prepared.evaluate().nonfinite,
    }, 5 if quick else 11)
    res = evaluate(DESIGN, values)
    expected = hand_numpy(x, y, z)
    got = [res.value, res.gradients["x"], res.gradients["y"], res.gradients["z"]]
    worst = max(float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0))) for a, b in zip(got, expected))
    fig.notes.append(f"largest difference from the hand-written result: {worst:.1e} (relative, scale >= 1)")
    fig.rows = [
        Row("hand-written numpy", best["hand"]),
        Row("gnn.evaluate", best["evaluate"]),
        Row("prepared.evaluate() (read and built once)", best["prepared"]),
        Row("prepared.evaluate() + res.nonfinite (every node's value and gradient made)", best["everything"]),
    ]
    fig.ratios = {"batch_vs_numpy_evaluate": best["evaluate"] / best["hand"],
                  "batch_vs_numpy_prepared": best["prepared"] / best["hand"],
                  "batch_vs_numpy_every_array": best["everything"] / best["hand"]}
    fig.targets = {"batch_vs_numpy_evaluate": "<= 1.2", "batch_vs_numpy_prepared": "<= 1.2"}
    return fig


def pipeline_figure(quick: bool) -> Figure:
    """3. Text to DOT for each example; for a 2,000-node graph, its share beside the layout's."""
    fig = Figure(3, "Text -> DOT per example; a 2,000-node graph beside the layout program")
    try:
        from graphviz_nn.draw.dot import to_dot
    except ImportError:
        fig.notes.append("graphviz_nn.draw.dot.to_dot is not available: figure skipped")
        return fig
    from graphviz_nn.networks.network import parse_spec

    def pipeline(text: str, values: dict) -> str:
        return to_dot(evaluate(text, values))

    worst = 0.0
    for path in sorted(EXAMPLES.glob("*.gnn")) + sorted(EXAMPLES.glob("*.toml")):
        source = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            net = parse_spec(source, path.name)
            text, values = net.program, dict(net.values)
        else:
            text, values = source, {}
        seconds = best_of({"p": lambda: pipeline(text, values)}, 5 if quick else 20)["p"]
        worst = max(worst, seconds)
        fig.rows.append(Row(f"{path.name}: text -> DOT", seconds))
    fig.ratios["examples_worst_ms"] = worst * 1e3
    fig.targets["examples_worst_ms"] = "< 10"
    model, xs = micrograd_mlp_or_none(8, [22, 22, 1])
    text, values = big_program(model, xs)
    best = best_of({"dot": lambda: pipeline(text, values)}, 1 if quick else 3)
    dot = pipeline(text, values)
    _, graph, _ = _built(text, values)
    fig.rows.append(Row(f"{graph.number_of_nodes():,}-node program: text -> DOT", best["dot"]))
    try:
        from graphviz_nn.layout.program import find_program, run_layout

        program = find_program()
        start = time.perf_counter()
        run_layout(dot, "svg", program, timeout=600)
        layout = time.perf_counter() - start
        fig.rows.append(Row(f"  layout program ({program.name}) DOT -> SVG", layout))
        fig.ratios["large_graph_dot_share"] = best["dot"] / (best["dot"] + layout)
    except Exception as exc:  # no layout program, or it failed: report and go on
        fig.notes.append(f"layout skipped: {exc}".splitlines()[0])
    return fig


def micrograd_mlp_or_none(n_in: int, widths: list[int]):
    try:
        return micrograd_mlp(n_in, widths)
    except ImportError:
        return None, None


def big_program(model, xs) -> tuple[str, dict]:
    if model is not None:
        return mlp_program(model, xs)
    return products_program(500)


def parse_figure(quick: bool) -> Figure:
    """4. Parsing x1 + x2 + … + x10000."""
    fig = Figure(4, "Parse x1 + x2 + … + x10000 (text -> syntax tree)")
    text = long_sum(10_000)
    best = best_of({"tokenize": lambda: tokenize(text), "parse": lambda: parse(text)}, 3 if quick else 10)
    _, graph, _ = _built(text, {f"x{i}": 1.0 for i in range(1, 10_001)})
    fig.rows = [Row("lexer alone", best["tokenize"]), Row("parse (lexer included)", best["parse"])]
    fig.notes.append(f"the graph has {graph.number_of_nodes():,} nodes")
    fig.ratios = {"parse_10k_ms": best["parse"] * 1e3}
    fig.targets = {"parse_10k_ms": "< 25"}
    return fig


def _peak(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        kept = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del kept
    return peak


def memory_figure(quick: bool) -> Figure:
    """5. Peak memory (tracemalloc) for a 100,000-node graph."""
    n_terms = 5_000 if quick else 25_000  # 4 nodes per term
    text, values = products_program(n_terms)
    fig = Figure(5, f"Peak memory (tracemalloc) for w1*x1 + … + w{n_terms}*x{n_terms}")
    _, graph, used = _built(text, values)
    nodes = graph.number_of_nodes()
    fig.title += f": {nodes:,} nodes"
    build = _peak(lambda: _built(text, values))
    reference = _peak(lambda: evaluate(text, values))
    compiled = _peak(lambda: prepare(text, values).evaluate())
    prepared_only = _peak(lambda: prepare(text, values))
    _, graph, used = _built(text, values)
    engine_only = _peak(lambda: _engine(graph, used))
    _, graph, used = _built(text, values)
    schedule_only = _peak(lambda: compiled_evaluate(graph, used))
    fig.rows = [
        Row("parse + build the graph", bytes=build),
        Row("gnn.evaluate (text -> everything)", bytes=reference),
        Row("prepare(text, values).evaluate() (schedule compiled)", bytes=compiled),
        Row("prepare(text, values) alone", bytes=prepared_only),
        Row("per-node engine on a built graph", bytes=engine_only),
        Row("schedule on a built graph", bytes=schedule_only),
    ]
    fig.ratios = {"peak_mib_evaluate": reference / 2**20, "peak_mib_prepared": compiled / 2**20,
                  "peak_bytes_per_node_compiled": compiled / nodes,
                  "peak_bytes_per_node_evaluate": reference / nodes,
                  "peak_bytes_per_node_prepare": prepared_only / nodes,
                  "schedule_vs_engine_memory": schedule_only / engine_only}
    fig.targets = {"peak_bytes_per_node_evaluate": "<= 1024", "peak_bytes_per_node_prepare": "<= 1024"}
    return fig
