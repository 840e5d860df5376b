"""The player's inspector entries written with shared helpers (one path folder, one memo of node
names for the whole graph) are the entries written for each node and edge on its own."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from graphviz_nn.explain.chainrule import edge_formulas, path_folder
from graphviz_nn.export.player.data import edge_info, node_info
from graphviz_nn.page import netview
from graphviz_nn.page.evaluations import cached_evaluation, with_defaults

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _evaluation(name: str):
    if "=" in name:  # a program written here
        return cached_evaluation(name, with_defaults(name, {}))
    path = EXAMPLES / name
    if path.suffix == ".toml":
        net = netview.network(netview.read_spec(path.read_text(encoding="utf-8")))
        text, values, labels = net.program, netview.program_values(net), netview.display_labels(net)
    else:
        text, values, labels = path.read_text(encoding="utf-8"), (), ()
    return cached_evaluation(text, with_defaults(text, dict(values)), labels)


@pytest.mark.parametrize("name", ["cs189_matrix_loss.gnn", "mit_4layer_chain.gnn", "design.gnn",
                                  "nyu_classification.toml", "cmu_alpha_beta.toml",
                                  "f = sin(0.123456 x * x) + x*1.98765"])  # constants: names by digits
def test_shared_helpers_write_what_each_entry_alone_writes(name: str) -> None:
    res = _evaluation(name)
    graph = res.graph
    output = graph.graph["output"]
    reach = nx.ancestors(graph, output) | {output}
    fold, memo = path_folder(graph), {}
    for digits in (4, 2):  # one memo for two precisions: each must keep its own names
        for node in graph.nodes:
            assert node_info(res, node, digits, reach, fold, memo) == node_info(res, node, digits), node
        formulas = edge_formulas(graph)
        for u, v, key, d in graph.edges(keys=True, data=True):
            edge = (u, v, int(d.get("arg", key)))
            assert edge_info(res, edge, formulas, digits, memo) == edge_info(res, edge, formulas, digits), edge
    assert memo  # the names were kept


@pytest.mark.parametrize("name", ["cs189_matrix_loss.gnn", "nyu_classification.toml"])
def test_captions_with_the_inspectors_memo_are_the_captions_alone(name: str) -> None:
    from graphviz_nn.explain.captions import all_captions

    res = _evaluation(name)
    memo: dict = {}
    for node in res.graph.nodes:  # the inspector first fills the memo, then the captions read it
        node_info(res, node, 4, None, None, memo)
    assert memo and all_captions(res, 4, memo) == all_captions(res, 4)
