"""The builder's written-out path for the commonest node (two scalar operands, neither a
constant, no parameters) makes exactly the table the general path makes: every column, every
name, input, constant, merged node and resolved implicit product, over the examples, the test
programs and random programs, with merging on and off. (Values and gradients of the built
programs are checked against central differences and the seeds elsewhere in tests/core.)"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from graphviz_nn.core import graph
from graphviz_nn.language.parser import parse
from graphviz_nn.networks.network import parse_spec

from test_lazy_steps import ARRAY_CASES
from test_schedule import CASES, mlp_program, random_program
from test_tree_not_kept import CASES as JUXTAPOSED

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def table(text: str, values: dict, merge: bool) -> dict:
    program = parse(text, values)
    nodes = graph.build_nodes(program, {**program.defaults, **values}, merge=merge)
    columns = {name: getattr(nodes, name) for name in ("kind", "op", "shape", "span", "params", "args", "needs",
                                                         "plain", "name", "label")}
    columns["level"] = nodes.level.tolist()
    consts = {i: np.asarray(v).tolist() for i, v in nodes.const.items()}
    return dict(columns=columns, inputs=nodes.inputs, output=(nodes.output, nodes.output_name), consts=consts,
                resolved=dict(nodes.resolved), canonical=nodes.canonical, reading=nodes.reading)


def programs() -> list[tuple[str, dict]]:
    found = list(CASES) + list(ARRAY_CASES) + list(JUXTAPOSED) + [mlp_program(4, [5, 3, 1])]
    found += [(p.read_text(encoding="utf-8"), {}) for p in sorted(EXAMPLES.glob("*.gnn"))]
    for p in sorted(EXAMPLES.glob("*.toml")):
        net = parse_spec(p.read_text(encoding="utf-8"), p.name)
        found.append((net.program, dict(net.values)))
    rng = random.Random(11)
    found += [random_program(rng, rng.randint(1, 4), rng.randint(1, 8)) for _ in range(40)]
    found += [("a = x*y; b = x*y; c = x*y + x*y; d = 2*x*y + x*y*2; a + b + c + d", {"x": 1.5, "y": -2.0}),
              ("x y + y x + x y", {"x": 1.0, "y": 2.0}), ("max(x, y) + x^y + x/y - x", {"x": 2.0, "y": 3.0})]
    return found


@pytest.mark.parametrize("merge", [True, False])
def test_the_written_out_path_builds_the_general_paths_table(monkeypatch, merge):
    built = [table(text, values, merge) for text, values in programs()]
    monkeypatch.setattr(graph._Builder, "op_node", graph._Builder.op_node_any)
    for (text, values), fast in zip(programs(), built):
        assert fast == table(text, values, merge), text


def test_the_written_out_path_is_taken(monkeypatch):
    """The common node goes through it: the general path is not asked for ``w*x`` terms."""
    calls = []
    general = graph._Builder.op_node_any

    def counted(self, call, args, fresh=False):
        calls.append(call.op)
        return general(self, call, args, fresh)
    monkeypatch.setattr(graph._Builder, "op_node_any", counted)
    text, values = mlp_program(3, [4, 1])
    table(text, values, True)
    assert "mul" not in calls and calls.count("relu") == 4
