"""The statements of a pass are spelled with a memo (:func:`graphviz_nn.draw.markup.dot_statement`:
everything but the label spelled once per distinct set of values): every statement equals the
plain spelling (:func:`dot_string` and :func:`dot_attrs`), for every example, several looks,
and the steady layout's walk over the pass."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.draw import markup
from graphviz_nn.draw.dot import to_dot
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.draw.steps import step_changes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.gnn"))
OPTIONS = [RenderOptions(), RenderOptions(theme="micrograd"),
           RenderOptions(theme="print", edge_text="both", rankdir="TB", background="dark"),
           RenderOptions(edge_labels=True, color_by_sign=True, highlight_nodes=frozenset({"n0"}))]


def test_a_statement_is_spelled_as_dot_attrs_spells_it() -> None:
    memo: dict = {}
    attrs = {"id": "n0", "class": "op", "tooltip": 'a < "b"', "color": None, "peripheries": 2,
             "label": "<<TABLE><TR><TD>x</TD></TR></TABLE>>"}
    plain = markup.dot_statement(None, 'n"0', attrs)
    assert plain == '  "n\\"0" [id="n0" class="op" tooltip="a &lt; &quot;b&quot;" peripheries="2" label=<<TABLE><TR><TD>x</TD></TR></TABLE>>]'
    assert markup.dot_statement(memo, 'n"0', attrs) == plain
    assert markup.dot_statement(memo, 'n"0', {**attrs, "label": "<y>"}) == plain.replace(
        "<<TABLE><TR><TD>x</TD></TR></TABLE>>", "<y>")  # the head kept, the label new
    assert markup.dot_statement(memo, 'n"0', {**attrs, "class": "input"}) == plain.replace('"op"', '"input"')
    assert markup.dot_statement(memo, "a", {"id": "e", "label": None}, "b") == '  "a" -> "b" [id="e"]'
    assert markup.dot_statement(memo, "a", {"label": None}) == '  "a"'
    assert markup.dot_statement(memo, "a", {"label": "x"}) == '  "a" [label="x"]'
    assert markup.dot_statement(memo, "a", {"label": "x", "id": "b"}) == '  "a" [label="x" id="b"]'
    assert markup.dot_statement(memo, "a", {"id": ["not", "a", "key"]}) == """  "a" [id="['not', 'a', 'key']"]"""


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_statement_of_a_pass_is_the_plain_spelling(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = gnn.evaluate(path.read_text(encoding="utf-8"))
    spell = markup.dot_statement
    checked = []

    def both(memo, name, attrs, target=None):
        made = spell(memo, name, attrs, target)
        assert made == spell(None, name, attrs, target)
        checked.append(memo is not None)
        return made

    for module in ("nodes", "edges"):
        monkeypatch.setattr(f"graphviz_nn.draw.{module}.dot_statement", both)
    for opts in OPTIONS:
        for _ in step_changes(res, opts):
            pass
        to_dot(res, dataclasses.replace(opts, step=1))
        to_dot(res, opts)
    assert checked and all(checked)
