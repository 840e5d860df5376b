"""The op registry is the only description of an op.

Every entry has every field; its templates fill and agree with its numbers; and no module
outside ``graphviz_nn/ops/`` holds a table keyed by op names or spells an op's templates, LaTeX
symbol or code, so the facts cannot drift apart again (an AST scan of the package).
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pytest

from graphviz_nn.ops import ASSOCIATIVITY, ATOM, OPS, OpSpec, fill

PKG = Path(__file__).resolve().parents[2] / "graphviz_nn"

#: Fields an entry may leave empty, and the entries that do (anything else must be set).
MAY_BE_EMPTY = {
    "local": "structural ops give a vector-Jacobian product instead",
    "vjp": "elementwise ops give a local derivative instead",
    "aliases": "most ops have one name",
    "params": "most ops have no settings",
    "binding_power": "only infix operators have one",
    "prefix_power": "only ops written before their operand",
    "postfix_power": "only ops written after their operand",
    "arity": "concat takes any number of operands (None)",
    "called": "infix operators and ops written as a sign, brackets or a mark are not called",
    "scaling": "only a product, quotient, negation or copy scales its one array operand",
    "latex_commands": "only some functions have a LaTeX command of their own",
}


@pytest.mark.parametrize("name", list(OPS))
def test_every_entry_has_every_field(name: str) -> None:
    spec = OPS[name]
    for field in dataclasses.fields(OpSpec):
        value = getattr(spec, field.name)
        if field.name in MAY_BE_EMPTY:
            continue
        if field.name == "text" and name == "identity":
            continue  # a named copy has no text of its own: ``b = a``
        if field.name == "derivative_latex" and name == "prepend1":
            continue  # its Jacobian picks entries; no formula is written (the panel says J)
        assert value not in ("", (), None), f"{name}.{field.name} is empty"
    assert (spec.local is None) != (spec.vjp is None), f"{name}: exactly one of local and vjp"
    assert spec.assoc in ASSOCIATIVITY
    assert sum(1 for p in (spec.binding_power, spec.prefix_power, spec.postfix_power) if p) <= 1
    operands = 2 if spec.arity is None else spec.arity
    assert len(spec.numpy_vjp) in (1, operands)
    if spec.derivative_latex:
        assert len(spec.derivative_latex) in (1, operands)
    for p, _default in spec.params:  # a parameter shows wherever the op is written
        assert "{" + p in spec.plain and "{" + p in spec.latex, (name, p)
        assert "{" + p in spec.numpy_code and "{" + p in spec.torch_code, (name, p)


@pytest.mark.parametrize("name", list(OPS))
def test_templates_fill_without_leftover_placeholders(name: str) -> None:
    spec = OPS[name]
    parts = ["a", "b"]
    params = spec.fill_params({}, str)
    for template in (spec.plain, spec.latex, spec.reading, *spec.derivative_latex):
        text = fill(template, parts, **params)
        assert "{0}" not in text and "?" not in text, (name, template, text)
    for template in (spec.numpy_code, spec.torch_code, *spec.numpy_vjp):
        text = fill(template, parts, g="g", out="out", i="0", **params)
        assert "{" not in text.replace("{{", ""), (name, template, text)


def test_binding_powers_read_as_textbooks_write_them() -> None:
    # (op, operand, operand's power, form) -> brackets?, against a hand-written table
    cases = [
        ("sub", 1, OPS["add"].power, "plain", True),      # a − (b + c)
        ("add", 1, OPS["add"].power, "plain", False),     # a + b + c
        ("sub", 0, OPS["sub"].power, "plain", False),     # a − b − c
        ("pow", 0, OPS["pow"].power, "plain", True),      # (a^b)^c
        ("pow", 1, OPS["pow"].power, "plain", False),     # a^b^c = a^(b^c)
        ("neg", 0, OPS["pow"].power, "plain", False),     # −x^2 = −(x^2)
        ("pow", 0, OPS["neg"].power, "plain", True),      # (−x)^2
        ("mul", 1, OPS["neg"].power, "plain", True),      # x·(−y), with a sign
        ("div", 1, OPS["add"].power, "latex", False),     # \frac{a}{b + c}
        ("div", 1, OPS["add"].power, "plain", True),      # a/(b + c)
        ("sin", 0, OPS["add"].power, "plain", False),     # sin(a + b)
        ("sqrt", 0, OPS["add"].power, "plain", True),     # √(a + b)
        ("transpose", 0, OPS["matmul"].power, "plain", True),  # (A B)ᵀ
        ("abs", 0, OPS["add"].power, "plain", False),     # |a + b|
    ]
    for op, i, power, form, expected in cases:
        signed = op == "mul"
        assert OPS[op].brackets(i, power, form, signed) is expected, (op, i, power, form)
    assert OPS["sin"].power == ATOM


def test_the_slope_is_a_placeholder_everywhere() -> None:
    spec = OPS["leaky_relu"]
    params = spec.fill_params({"slope": 0.2}, lambda v: f"{v:g}")
    assert fill(spec.plain, ["z"], **params) == "LeakyReLU(z, 0.2)"
    assert "0.2" in fill(spec.latex, ["z"], **params)
    assert "0.2" in fill(spec.derivative_template(0, {"slope": 0.2}, lambda v: f"{v:g}"), ["z"])
    assert "\\alpha" not in "".join(spec.derivative_latex)


@pytest.mark.parametrize("name", [n for n, s in OPS.items() if s.arity == 1 and s.local is not None])
def test_numpy_code_agrees_with_the_forward_and_local_derivative(name: str) -> None:
    """The exported code is the registry's too: its NumPy source gives the engine's numbers."""
    spec = OPS[name]
    x = np.array([0.3, 0.7, 1.9])
    env = {"np": np, "math": math, "_erf": np.vectorize(math.erf, otypes=[float]), "x": x}
    params = {p: repr(float(d)) for p, d in spec.params}
    out = spec.forward(x)
    forward = eval(fill(spec.numpy_code, ["x"], **params), env)  # our own templates, not user input
    np.testing.assert_allclose(forward, out, rtol=1e-12)
    env["out"], env["g"] = out, np.ones_like(x)
    flow = eval(fill(spec.numpy_vjp[0], ["x"], g="g", out="out", **params), env)
    np.testing.assert_allclose(flow * np.ones_like(x), spec.local(0, out, x), rtol=1e-12)


# ------------------------------------------------------------------ nothing outside ops/ restates an op

def _spelled() -> set[str]:
    """Texts only the registry may hold: every template, every LaTeX symbol with a command,
    every code line, every multi-character symbol that is not a word."""
    found: set[str] = set()
    for spec in OPS.values():
        texts = [spec.plain, spec.latex, spec.reading, spec.numpy_code, spec.torch_code,
                 *spec.numpy_vjp, *spec.derivative_latex, spec.latex_symbol, spec.symbol]
        for text in texts:
            if text in ("{0}", "") or (text.isascii() and text.isalpha()) or re.fullmatch(r"-?\d+", text):
                continue  # a bare operand, a word, a number: not the op's own spelling
            if re.fullmatch(r"\\[A-Za-z]+", text):
                continue  # one TeX command (\times) is a character of many texts
            if "{" in text or "\\" in text or (len(text) > 1 and not text.isalpha()):
                found.add(text)
    return found


def _op_names() -> set[str]:
    return set(OPS) | {alias for spec in OPS.values() for alias in spec.aliases}


def violations(tree: ast.AST) -> list[str]:
    """Tables keyed by (or listing) two or more op names, and strings that spell an op."""
    names, spelled = _op_names(), _spelled()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            ops = [k for k in keys if k in names]
            if len(ops) >= 2:
                found.append(f"line {node.lineno}: a table keyed by op names {ops}")
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            ops = [k for k in items if k in names]
            if len(ops) >= 2 and len(ops) == len(node.elts):
                found.append(f"line {node.lineno}: a list of op names {ops}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in spelled:
            found.append(f"line {node.lineno}: spells an op: {node.value!r}")
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    restated = ast.parse('_PLAIN = {"add": "{0} + {1}", "sub": "{0} − {1}"}\n'
                         'strict = op in ("sub", "div")\ncode = "np.exp({0})"')
    assert len(violations(restated)) == 5
    assert violations(ast.parse('x = OPS["add"].binding_power\nlabel = " + ".join(parts)')) == []


#: Findings that are not op facts, and why (module -> {finding: reason}).
NOT_OP_FACTS = {
    "export/plots.py": {"a table keyed by op names ['sigmoid', 'tanh']":
                        "the plot menu: display names -> programs, not facts about the ops"},
    "networks/layers.py": {
        "a table keyed by op names ['relu', 'sigmoid', 'tanh', 'identity', 'softplus', 'gelu', 'softmax']":
        "the layer-spec vocabulary: layer names a spec may use -> the function each one calls"},
}
@pytest.mark.parametrize("path", sorted(p for p in PKG.rglob("*.py") if "ops" not in p.relative_to(PKG).parts[:1]),
                         ids=lambda p: str(p.relative_to(PKG)))
def test_no_module_outside_ops_restates_an_op(path: Path) -> None:
    module = str(path.relative_to(PKG))
    found = violations(ast.parse(path.read_text(encoding="utf-8")))
    known = set(NOT_OP_FACTS.get(module, {}))
    found = [f for f in found if f.split(": ", 1)[1] not in known]
    assert not found, f"{module} restates op facts:\n" + "\n".join(found)


# ------------------------------------------------------------------ the new facts drive their readers

def test_callable_names_are_the_called_ops() -> None:
    from graphviz_nn.ops import FUNCTIONS
    called = {n for n, spec in OPS.items() if spec.called}
    assert set(FUNCTIONS.values()) == called
    assert called.isdisjoint({"neg", "concat", "identity", "transpose", "add", "matmul"})


@pytest.mark.parametrize("name", sorted(n for n, s in OPS.items() if s.latex_commands))
def test_each_latex_command_reads_as_its_op(name: str) -> None:
    """``\\sin(x)`` is sin; ``\\ln(x)`` is log; every command the registry names is read."""
    import graphviz_nn as gnn

    for command in OPS[name].latex_commands:
        args = "(x)" if OPS[name].arity == 1 else "(x, y)"
        res = gnn.evaluate(f"f = \\{command}{args}", {"x": 0.5, "y": 0.25})
        ops = {d.get("op") for _, d in res.graph.nodes(data=True)}
        assert name in ops, (command, ops)


def test_a_latex_command_no_op_names_stays_an_error() -> None:
    from graphviz_nn.errors import ParseError
    from graphviz_nn.language.parser import parse

    with pytest.raises(ParseError, match="unknown LaTeX command"):
        parse("f = \\relu(x)")


def test_tooltip_text_reads_signs_and_marks_from_the_registry() -> None:
    import graphviz_nn as gnn
    from graphviz_nn.core.graph import node_formula

    cases = [("-(x*y)", "−(x × y)"), ("-x^2", "−(x ^ 2)"), ("(-x)*y", "(−x) × y"),
             ("sum((x*y)^T)", "sum((x × y)ᵀ)"), ("(-x)^T", "(−x)ᵀ"), ("-sqrt(x + y)", "−sqrt(x + y)"),
             ("sqrt(-x)", "sqrt(−x)"), ("(x^T)^T", "xᵀᵀ")]
    for text, expected in cases:
        res = gnn.evaluate("f = " + text, {"x": 2, "y": 3})
        assert node_formula(res.graph, res.graph.graph["output"]) == "f = " + expected, text


def test_a_row_scaled_by_numbers_stays_a_row() -> None:
    """``-xᵀ`` and ``2xᵀ`` are rows (the scaling ops), ``xᵀ + 1`` is not listed as one."""
    from graphviz_nn.core.graph import _is_row

    assert [n for n, s in OPS.items() if s.scaling] == ["mul", "div", "neg", "identity"]
    for op in ("mul", "div", "neg", "identity"):
        assert _is_row(op, [1, 2], [(3,), ()], (3,), {1})
    assert not _is_row("add", [1, 2], [(3,), ()], (3,), {1})
