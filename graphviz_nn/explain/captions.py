"""Step captions: what happens at each step of the trace, in words, plain text and LaTeX.

A forward step shows the node's formula, the formula with the operand values put in, and
the result (``z1 = w1·x + w01 = 3·1 + (−1) = 2``). A backward step shows the chain rule on
one edge, upstream × local = contribution, and, where a node fans out to several uses, the
sum of the contributions that have arrived so far.

Everything here is a pure function of an evaluation (``api.Evaluation``: ``graph`` and
``trace``) and reads op notation from the one op registry, ``ops.OPS``.

>>> format_number(-1.0)
'−1'
>>> format_number(0.841470984807896)
'0.8415'
>>> latex_name("w_10"), latex_name("alpha"), latex_name("x")
('w_{10}', '\\\\alpha', 'x')
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from ..notation import numfmt
from ..language.names import GREEK, is_plain_name, latex_text, name_marks
from ..ops import OPS, derivative_template

__all__ = [
    "Caption",
    "format_number",
    "format_latex_number",
    "latex_name",
    "caption_at",
    "all_captions",
    "EdgeTerm",
    "edge_terms",
    "edge_terms_latex",
    "EDGE_MODES",
    "node_ref_text",
    "partial_text",
    "backward_arrow",
]

MINUS = numfmt.MINUS
#: Expanded formulas longer than this many characters fall back to one level (operands by value).
FORMULA_BUDGET = 60
#: Arrays with more elements than this are shown by shape, not by their entries.
MAX_SHOWN_ELEMENTS = 12




@dataclass(frozen=True)
class Caption:
    """What one step of the trace does.

    ``title`` is a short heading, ``words`` explains the step in a sentence or two,
    ``plain`` is the equation in plain Unicode text and ``latex`` the same for ``st.latex``.
    """

    step: int
    phase: str
    title: str
    words: str
    plain: str
    latex: str


# --------------------------------------------------------------------------- numbers


def format_number(value: Any, digits: int = 4) -> str:
    """A value as short plain text: ``−1``, ``0.8415``, ``[4, 12, 8]``, ``array 20×20``.

    Scalars follow :mod:`graphviz_nn.notation.numfmt`, the same rules as the drawn labels.

    >>> format_number(np.array([[4.0, 4, 8], [8, 8, 16]]))
    '[[4, 4, 8], [8, 8, 16]]'
    """
    if value is None:
        return ""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return numfmt.format_number(arr.item(), digits)
    if arr.size > MAX_SHOWN_ELEMENTS:
        return "array " + "×".join(str(n) for n in arr.shape)

    def nested(a: np.ndarray) -> str:
        if a.ndim == 0:
            return numfmt.format_number(a.item(), digits)
        return "[" + ", ".join(nested(row) for row in a) + "]"

    return nested(arr)


def format_latex_number(value: Any, digits: int = 4) -> str:
    r"""A value as LaTeX: ``-1``, vectors as columns, matrices as ``bmatrix``.

    >>> format_latex_number(np.array([1.0, 2.0]))
    '\\begin{bmatrix}1 \\\\ 2\\end{bmatrix}'
    """
    if value is None:
        return ""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return numfmt.latex_number(arr.item(), digits)
    if arr.size > MAX_SHOWN_ELEMENTS or arr.ndim > 2:
        return r"\text{array } " + r" \times ".join(str(n) for n in arr.shape)
    rows = arr.reshape(-1, 1) if arr.ndim == 1 else arr  # vectors are columns
    body = r" \\ ".join(" & ".join(numfmt.latex_number(x, digits) for x in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def _is_negative(value: Any) -> bool:
    arr = np.asarray(value)
    return arr.ndim == 0 and bool(np.isreal(arr)) and float(arr) < 0


def latex_name(name: str) -> str:
    r"""A canonical variable name as LaTeX: ``w_10`` -> ``w_{10}``, ``alpha`` -> ``\alpha``.

    Trailing digits become a subscript (``w1`` -> ``w_{1}``), as on a problem sheet.

    >>> latex_name("beta_2"), latex_name("loss"), latex_name("w01"), latex_name("w_0^(1)")
    ('\\beta_{2}', '\\mathrm{loss}', 'w_{01}', '{w_{0}}^{(1)}')

    A name the grammar cannot make is escaped text, so it never becomes a TeX command.
    """
    if not is_plain_name(name):
        return r"\text{" + latex_text(name) + "}"
    core, accent, index = name_marks(name)
    if accent is not None or index is not None:  # \hat{y}, w^{(1)}
        tex = latex_name(core)
        tex = f"\\{accent}{{{tex}}}" if accent else tex
        return f"{{{tex}}}^{{({index})}}" if index is not None else tex
    base, _, sub = name.partition("_")

    def part(text: str) -> str:
        if text in GREEK:
            return "\\" + text
        if len(text) > 1 and not text.isdigit():
            return r"\mathrm{" + text + "}"
        return text

    if not base:
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    head = base.rstrip("0123456789")
    digits = base[len(head):]
    if head and digits and not sub:
        return f"{part(head)}_{{{digits}}}"
    return part(base) + ("_{" + ",".join(part(s) for s in sub.split("_")) + "}" if sub else "")


# --------------------------------------------------------------------------- formulas

# How each op reads in one line of plain text. ``{0}``, ``{1}`` are the operands and
# ``{args}`` all of them; ops not listed are written ``symbol(args)``. LaTeX comes from the
# registry's own ``latex`` templates.
_PLAIN = {
    "add": "{0} + {1}", "sub": "{0} − {1}", "mul": "{0}·{1}", "div": "{0}/{1}",
    "matmul": "{0} @ {1}", "pow": "{0}^{1}", "neg": "−{0}", "sqrt": "√{0}",
    "abs": "|{0}|", "norm": "‖{0}‖", "transpose": "{0}ᵀ", "concat": "[{args}]", "identity": "{0}",
}
_NEG_POWER = 30  # -x^2 is -(x^2); -x*y is (-x)*y
_POSTFIX_POWER = 50
_ATOM = 100  # names, numbers, function calls, bracketed forms


def _power(op: str | None) -> int:
    """Binding power of an op's result: how tightly it holds together inside a larger formula."""
    if op == "neg":
        return _NEG_POWER
    if op == "transpose":
        return _POSTFIX_POWER
    spec = OPS.get(op or "")
    return spec.binding_power if spec is not None and spec.binding_power > 0 else _ATOM


@dataclass(frozen=True)
class _Expr:
    plain: str
    latex: str
    power: int


def _paren(expr: _Expr) -> _Expr:
    return _Expr(f"({expr.plain})", rf"\left({expr.latex}\right)", _ATOM)


def _operand(op: str | None, i: int, expr: _Expr) -> _Expr:
    """Wrap operand ``i`` of ``op`` in parentheses where the precedence needs it."""
    spec = OPS.get(op or "")
    if op == "neg":
        return _paren(expr) if expr.power <= _NEG_POWER else expr
    if op == "transpose":
        return _paren(expr) if expr.power < _ATOM else expr
    if spec is None or spec.binding_power == 0:
        return expr  # function call: its own parentheses
    bp = spec.binding_power
    if op == "pow":  # right associative; the exponent sits in braces in LaTeX
        if i == 0:
            return _paren(expr) if expr.power <= bp else expr
        return _Expr(f"({expr.plain})" if expr.power <= bp else expr.plain, expr.latex, _ATOM)
    if op == "div" and i == 1:
        return _Expr(f"({expr.plain})" if expr.power <= bp else expr.plain, expr.latex, _ATOM)
    strict = i == 1 and op in ("sub", "div", "matmul")
    if expr.power < bp or (strict and expr.power == bp):
        return _paren(expr)
    return expr


def _plain_op(op: str | None, data: dict[str, Any]) -> str:
    if op in _PLAIN:
        return _PLAIN[op]
    spec = OPS.get(op or "")
    symbol = spec.symbol if spec is not None else str(op or data.get("label") or "?")
    return symbol + "({args})"


def _latex_op(op: str | None) -> str:
    spec = OPS.get(op or "")
    if op == "div":
        return r"\frac{{{0}}}{{{1}}}"
    if spec is None:
        return r"\operatorname{" + str(op) + r"}\left({args}\right)"
    return spec.latex


def _fill(template: str, parts: Sequence[str]) -> str:
    """Put operand texts into an op template (``{0}``, ``{1}``, ``{args}``; ``{{`` is a brace)."""
    out: list[str] = []
    i = 0
    while i < len(template):
        if template.startswith("{{", i):
            out.append("{")
            i += 2
        elif template.startswith("}}", i):
            out.append("}")
            i += 2
        elif template.startswith("{args}", i):
            out.append(", ".join(parts))
            i += 6
        elif template[i] == "{" and template.find("}", i) > i and template[i + 1:template.find("}", i)].isdigit():
            close = template.find("}", i)
            index = int(template[i + 1:close])
            out.append(parts[index] if index < len(parts) else "?")
            i = close + 1
        else:
            out.append(template[i])
            i += 1
    return "".join(out)


def _leaf(data: dict[str, Any], value_mode: bool, digits: int) -> _Expr:
    if value_mode:
        value = data.get("value")
        plain, latex = format_number(value, digits), format_latex_number(value, digits)
        if _is_negative(value):
            return _Expr(f"({plain})", rf"\left({latex}\right)", _ATOM)
        return _Expr(plain, latex, _ATOM)
    name = data.get("name")
    label = str(data.get("label") or name or "?")
    if name:
        return _Expr(label, latex_name(str(name)), _ATOM)
    latex = {"π": r"\pi"}.get(label, label.replace(MINUS, "-"))
    return _Expr(label, latex, _ATOM)


def _in_edges(graph: Any, node: str) -> list[tuple[str, int]]:
    """Operands of ``node`` in argument order, as (source, arg)."""
    edges = [(u, int(d.get("arg", k))) for u, _, k, d in graph.in_edges(node, keys=True, data=True)]
    return sorted(edges, key=lambda e: e[1])


def _combine(graph: Any, node: str, operands: Sequence[_Expr]) -> _Expr:
    data = graph.nodes[node]
    op = data.get("op")
    if op == "identity" and operands:
        return operands[0]
    wrapped = [_operand(op, i, e) for i, e in enumerate(operands)]
    if op not in _PLAIN:  # a call brackets its arguments itself: sin(−1.5), not sin((−1.5))
        wrapped = [_Expr(e.plain[1:-1], e.latex[len(r"\left("):-len(r"\right)")], e.power)
                   if re.fullmatch(r"\(−[\d.e+−]+\)", e.plain) and e.latex.startswith(r"\left(") else e
                   for e in wrapped]
    plain = _fill(_plain_op(op, data), [e.plain for e in wrapped])
    latex = _fill(_latex_op(op), [e.latex for e in wrapped])
    params = data.get("params") or {}
    if params and plain.endswith(")") and latex.endswith(r"\right)"):  # a function with settings:
        values = [numfmt.format_number(float(v)) for v in params.values()]  # softplus(x, 2), as typed
        plain = plain[:-1] + "".join(f", {v}" for v in values) + ")"
        latex = latex[:-len(r"\right)")] + "".join(f", {v.replace(MINUS, '-')}" for v in values) + r"\right)"
    return _Expr(plain, latex, _power(op))


class _TooLong(Exception):
    """A formula outgrew its budget while it was being written out."""


_ELIDED = _Expr("…", r"\cdots", _ATOM)


def _expand(graph: Any, node: str, value_mode: bool, digits: int, top: bool, depth: int = 0,
            budget: int | None = None, limit: int = 12) -> _Expr:
    """The formula of ``node``: named nodes and leaves by name (or value), unnamed ops expanded
    ``limit`` levels deep and ``…`` below that. With a ``budget``, stop with :class:`_TooLong`
    as soon as a part is longer (a formula contains its parts, so the whole would be too),
    which keeps the work bounded."""
    data = graph.nodes[node]
    if not top and (data.get("kind") != "op" or data.get("name")):
        return _leaf(data, value_mode, digits)
    if not top and depth >= limit:
        return _ELIDED
    operands = [_expand(graph, src, value_mode, digits, False, depth + 1, budget, limit)
                for src, _ in _in_edges(graph, node)]
    expr = _combine(graph, node, operands)
    if budget is not None and len(expr.plain) > budget:
        raise _TooLong
    return expr


def _shortened(graph: Any, node: str, budget: int, digits: int) -> _Expr:
    """The symbolic formula of ``node`` expanded as deep as fits in ``budget`` characters
    (``sin(…)/z``); at least one level, however long. Never a node id."""
    best = _expand(graph, node, False, digits, True, limit=1)
    for limit in range(2, 13):
        try:
            deeper = _expand(graph, node, False, digits, True, budget=budget, limit=limit)
        except _TooLong:
            break
        if deeper == best:
            break
        best = deeper
    return best


def _one_level(graph: Any, node: str, value_mode: bool, digits: int) -> _Expr:
    """The formula of ``node``: symbolic, as deep as fits in :data:`FORMULA_BUDGET`; with
    values, each operand shown as its value."""
    if not value_mode:
        return _shortened(graph, node, FORMULA_BUDGET, digits)
    operands = [_leaf(graph.nodes[src], True, digits) for src, _ in _in_edges(graph, node)]
    return _combine(graph, node, operands)


def node_formula(graph: Any, node: str, digits: int = 4) -> tuple[_Expr, _Expr]:
    """(symbolic formula, formula with values) of an op node, short enough to read.

    Unnamed operands are expanded (``x·y`` rather than an internal id) while the formula stays
    under :data:`FORMULA_BUDGET` characters; longer ones expand as deep as fits, ``…`` below,
    and the formula with values shows one level (operands by value).
    """
    try:
        symbolic = _expand(graph, node, False, digits, True, budget=FORMULA_BUDGET)
    except _TooLong:
        return _one_level(graph, node, False, digits), _one_level(graph, node, True, digits)
    return symbolic, _expand(graph, node, True, digits, True)


#: Longest formula used to refer to an unnamed node in ∂-notation before it is shortened.
REF_BUDGET = 24


def _node_ref(graph: Any, node: str, digits: int, memo: dict | None = None) -> _Expr:
    """How a node is referred to in ∂-notation: its name, or its (short) formula (``memo``
    keeps what one pass over the steps has already worked out)."""
    if memo is not None:
        key = ("ref", node, digits)
        found = memo.get(key)
        if found is None:
            found = memo[key] = _node_ref(graph, node, digits)
        return found
    data = graph.nodes[node]
    if node == graph.graph.get("output"):
        return _output_ref(graph)
    if data.get("kind") != "op" or data.get("name"):
        return _leaf(data, False, digits)
    symbolic, _ = node_formula(graph, node, digits)
    if len(symbolic.plain) > REF_BUDGET:
        return _shortened(graph, node, REF_BUDGET, digits)
    return symbolic


def node_ref_text(graph: Any, node: str, digits: int = 4) -> str:
    """A node in plain text as the captions name it: ``a1``, ``x·y``, ``f`` for an unnamed output."""
    return _node_ref(graph, node, digits).plain


def partial_text(graph: Any, top: str, node: str, digits: int = 4) -> str:
    """``∂top/∂node`` in plain text (``∂L/∂a1``, ``∂f/∂(x·y)``)."""
    return _partial(_node_ref(graph, top, digits), _node_ref(graph, node, digits))[0]


def _describe(graph: Any, node: str, digits: int = 4, memo: dict | None = None) -> str:
    data = graph.nodes[node]
    if data.get("name"):
        return str(data.get("label") or data["name"])
    if data.get("kind") == "constant":
        return f"the constant {data.get('label')}"
    return _node_ref(graph, node, digits, memo).plain


# --------------------------------------------------------------------------- captions


def _partial(out: _Expr, wrt: _Expr) -> tuple[str, str]:
    if out.power < _ATOM:
        out = _Expr(f"({out.plain})", rf"\left({out.latex}\right)", _ATOM)
    plain_wrt = wrt.plain if wrt.power >= _ATOM else f"({wrt.plain})"
    latex_wrt = wrt.latex if wrt.power >= _ATOM else rf"\left({wrt.latex}\right)"
    return f"∂{out.plain}/∂{plain_wrt}", rf"\frac{{\partial {out.latex}}}{{\partial {latex_wrt}}}"


def _output_ref(graph: Any) -> _Expr:
    out = graph.graph.get("output")
    data = graph.nodes[out] if out in graph.nodes else {}
    if data.get("name"):
        return _Expr(str(data.get("label") or data["name"]), latex_name(str(data["name"])), _ATOM)
    return _Expr("f", "f", _ATOM)


def _forward_caption(res: Any, k: int, step: Any, digits: int, n_forward: int, memo: dict | None = None) -> Caption:
    graph = res.graph
    node = step.node
    data = graph.nodes[node]
    value_plain = format_number(step.value, digits)
    value_latex = format_latex_number(step.value, digits)
    title = f"Forward {k}/{n_forward}: {_node_ref(graph, node, digits, memo).plain}"
    kind = data.get("kind")
    if kind == "input":
        ref = _leaf(data, False, digits)
        return Caption(k, "forward", title, f"{ref.plain} is an input; its value is {value_plain}.",
                       f"{ref.plain} = {value_plain}", f"{ref.latex} = {value_latex}")
    if kind == "constant":
        ref = _leaf(data, False, digits)
        return Caption(k, "forward", title, f"The constant {ref.plain} enters the graph.",
                       f"{ref.plain} = {value_plain}" if ref.plain != value_plain else value_plain,
                       f"{ref.latex} = {value_latex}" if ref.latex != value_latex else value_latex)
    symbolic, substituted = node_formula(graph, node, digits)
    plain_parts = [symbolic.plain, substituted.plain, value_plain]
    latex_parts = [symbolic.latex, substituted.latex, value_latex]
    if data.get("name"):
        name = _leaf(data, False, digits)
        plain_parts.insert(0, name.plain)
        latex_parts.insert(0, name.latex)
    plain = " = ".join(_dedupe(plain_parts))
    latex = " = ".join(_dedupe(latex_parts))
    operands = [_describe(graph, src, digits, memo) for src, _ in _in_edges(graph, node)]
    if data.get("name"):
        words = f"Compute {data.get('label') or data['name']} = {data.get('op')} of {_join_words(operands)}: {plain}."
    else:
        words = f"Compute {data.get('op')} ({data.get('label')}) of {_join_words(operands)}: {plain}."
    return Caption(k, "forward", title, words, plain, latex)


def _dedupe(parts: Iterable[str]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if not out or out[-1] != part:
            out.append(part)
    return out


def _join_words(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class TraceFacts:
    """What the captions of every step need from the whole trace, gathered in one pass: the
    steps, how many are forward, and for each node the steps whose contribution flows into it.
    Captions of all steps then cost time linear in the trace, not quadratic."""

    def __init__(self, res: Any):
        self.steps: list[Any] = list(res.trace)
        self.n_forward = sum(1 for s in self.steps if s.phase == "forward")
        self.arrivals: dict[str, list[int]] = {}
        for k, s in enumerate(self.steps, start=1):
            if s.edge is not None:
                self.arrivals.setdefault(s.edge[0], []).append(k)
        self.memo: dict = {}

    def arrived(self, source: str, k: int) -> list[Any]:
        """The steps up to step ``k`` whose contribution went to ``source``, in order."""
        ks = self.arrivals.get(source, [])
        return [self.steps[j - 1] for j in ks[:bisect.bisect_right(ks, k)]]


def _fan_out(res: Any, k: int, source: str, facts: TraceFacts) -> tuple[list[Any], int]:
    """Contributions to ``source`` that arrived up to step k, and how many will arrive in all."""
    return facts.arrived(source, k), int(res.graph.out_degree(source))


#: A fan-out sum in a caption writes at most this many terms (the first and the last ones).
MAX_SUM_TERMS = 10


def _sum_terms(arrived: list[Any]) -> list[Any]:
    """The contributions a caption writes out: all of them, or the first and last few with
    ``None`` standing for the ones left out, so a node used 1,000 times costs no more to
    describe at each step than one used 10 times.

    >>> _sum_terms(list(range(12)))
    [0, 1, 2, 3, 4, None, 8, 9, 10, 11]
    """
    if len(arrived) <= MAX_SUM_TERMS:
        return arrived
    head = MAX_SUM_TERMS // 2
    tail = MAX_SUM_TERMS - head - 1
    return arrived[:head] + [None] + arrived[-tail:]


def _backward_caption(res: Any, k: int, step: Any, digits: int, facts: TraceFacts) -> Caption:
    graph = res.graph
    out = _output_ref(graph)
    n_forward = facts.n_forward
    n_backward = len(facts.steps) - n_forward
    title = f"Backward {k - n_forward}/{n_backward}"
    if step.edge is None:  # the seed step
        plain = f"∂{out.plain}/∂{out.plain} = 1"
        latex = rf"\frac{{\partial {out.latex}}}{{\partial {out.latex}}} = 1"
        words = (f"Start the backward pass at the output {out.plain}: its gradient with respect to "
                 "itself is 1.")
        return Caption(k, "backward", title + ": seed", words, plain, latex)
    source, target, _arg = step.edge
    src_ref = _node_ref(graph, source, digits, facts.memo)
    dst_ref = _node_ref(graph, target, digits, facts.memo)
    d_out_src = _partial(out, src_ref)
    d_out_dst = _partial(out, dst_ref)
    d_dst_src = _partial(dst_ref, src_ref)
    up_p, up_l = format_number(step.upstream, digits), format_latex_number(step.upstream, digits)
    con_p, con_l = format_number(step.contribution, digits), format_latex_number(step.contribution, digits)
    arrived, total = _fan_out(res, k, source, facts)
    title = f"{title}: {dst_ref.plain} → {src_ref.plain}"  # as backward_arrow writes it
    if total > 1:
        title += f" (use {len(arrived)} of {total})"
    elif any(u != source and _node_ref(graph, u, digits, facts.memo) == src_ref for u, _ in _in_edges(graph, target)):
        title += f" (operand {_arg + 1})"
    if step.local is not None:
        loc_p, loc_l = format_number(step.local, digits), format_latex_number(step.local, digits)
        loc_p = f"({loc_p})" if _is_negative(step.local) else loc_p
        loc_l = f"({loc_l})" if _is_negative(step.local) else loc_l
        plain = f"{d_out_dst[0]} × {d_dst_src[0]} = {up_p} × {loc_p} = {con_p}"
        symbolic = _local_latex(graph, target, _arg, digits, facts.memo)
        middle = rf"{up_l} \cdot {symbolic} = " if symbolic and symbolic != loc_l else ""
        latex = rf"{d_out_dst[1]} \cdot {d_dst_src[1]} = {middle}{up_l} \cdot {loc_l} = {con_l}"
        words = (f"Chain rule from {dst_ref.plain} back to {src_ref.plain}: the upstream gradient "
                 f"{up_p} times the local derivative {loc_p} gives the contribution {con_p}.")
    else:
        op = graph.nodes[target].get("op")
        plain = f"{d_out_dst[0]} = {up_p} flows back through {op}: contribution {con_p}"
        latex = rf"{d_out_dst[1]} = {up_l} \;\Rightarrow\; \text{{contribution}} = {con_l}"
        words = (f"{op} is not elementwise, so the gradient {up_p} flows from {dst_ref.plain} back to "
                 f"{src_ref.plain} as a vector-Jacobian product, giving {con_p}.")
    if total > 1:
        shown = _sum_terms(arrived)
        terms_p = " + ".join(_paren_neg(format_number(s.contribution, digits), s.contribution) if s is not None
                             else f"… ({len(arrived) - len(shown) + 1} more)" for s in shown)
        terms_l = " + ".join(_paren_neg(format_latex_number(s.contribution, digits), s.contribution) if s is not None
                             else rf"\dots" for s in shown)
        sum_p = format_number(step.grad_after, digits)
        sum_l = format_latex_number(step.grad_after, digits)
        if len(arrived) == total:
            words += (f" {src_ref.plain} is used {total} times, so its gradient is the sum of all "
                      f"{total} contributions: {terms_p} = {sum_p}.")
        else:
            words += (f" {src_ref.plain} is used {total} times; {len(arrived)} of {total} "
                      f"contributions have arrived, so far {sum_p}.")
        if len(arrived) > 1:
            plain += f";  {d_out_src[0]} = {terms_p} = {sum_p}"
            latex += rf" \qquad {d_out_src[1]} = {terms_l} = {sum_l}"
        else:
            plain += f";  {d_out_src[0]} = {sum_p}"
            latex += rf" \qquad {d_out_src[1]} = {sum_l}"
        if len(arrived) < total:
            plain += f" (so far, {len(arrived)} of {total})"
            latex += rf" \;(\text{{{len(arrived)} of {total} so far}})"
    return Caption(k, "backward", title, words, plain, latex)


def backward_arrow(graph: Any, edge: tuple[str, str, int], digits: int = 4) -> str:
    """A backward step in the direction the gradient flows, from the node that sends it to the
    node whose gradient changes: ``f → sin(x·y)/z``. Titles, sentences and the drawn note all
    use this one direction."""
    source, target, _ = edge
    return f"{_node_ref(graph, target, digits).plain} → {_node_ref(graph, source, digits).plain}"


def _local_latex(graph: Any, target: str, arg: int, digits: int, memo: dict | None = None) -> str:
    """The local derivative d target / d operand ``arg`` in symbols, from the op registry."""
    op = graph.nodes[target].get("op") or ""
    spec = OPS.get(op)
    if spec is None or arg >= len(spec.derivative_latex):
        return ""
    template = derivative_template(op, arg, graph.nodes[target].get("params"), lambda v: numfmt.latex_number(v, digits))
    args = _in_edges(graph, target)
    if graph.nodes[target].get("op") == "pow" and arg == 0 and len(args) == 2:
        exponent = graph.nodes[args[1][0]]
        if exponent.get("kind") == "constant" and np.ndim(exponent.get("const")) == 0:
            return _power_rule(_node_ref(graph, args[0][0], digits, memo), float(exponent["const"]), digits)
    operands = []
    for i, (src, _) in enumerate(args):
        ref = _node_ref(graph, src, digits, memo)
        is_base = "{%d}^" % i in template
        needs = ref.power < _ATOM and (is_base or ref.power <= OPS["add"].binding_power)
        operands.append(rf"\left({ref.latex}\right)" if needs else ref.latex)
    text = _fill(template, operands)
    loose = text.startswith("-") or " + " in text or " - " in text
    return rf"\left({text}\right)" if loose else text


def _power_rule(base: _Expr, c: float, digits: int) -> str:
    r"""d/du u^c with a constant c, simplified: ``2\, x``, ``3\, x^{2}``, ``-x^{-2}``.

    >>> _power_rule(_Expr("g − y", "g - y", 10), 2.0, 4)
    '2\\,\\left(g - y\\right)'
    """
    if c == 0:
        return "0"
    if c == 1:
        return "1"
    tex = base.latex if base.power >= _ATOM else rf"\left({base.latex}\right)"
    coef = numfmt.latex_number(c, digits)
    power = "" if c - 1 == 1 else "^{" + numfmt.latex_number(c - 1, digits) + "}"
    return f"{coef}\\,{tex}{power}"


def _paren_neg(text: str, value: Any) -> str:
    return f"({text})" if _is_negative(value) else text


def caption_at(res: Any, k: int, digits: int = 4, facts: TraceFacts | None = None) -> Caption:
    """The caption of step ``k`` (0 is the bare graph, ``len(res.trace)`` the last step);
    ``facts`` (:class:`TraceFacts` of ``res``) saves reading the whole trace again."""
    facts = facts if facts is not None else TraceFacts(res)
    trace = facts.steps
    k = max(0, min(int(k), len(trace)))
    n_forward = facts.n_forward
    if k == 0:
        return Caption(0, "start", "The graph", (
            f"The graph has {res.graph.number_of_nodes()} nodes. Step through {n_forward} forward steps "
            f"(one per node) and {len(trace) - n_forward} backward steps (the seed, then one per edge)."),
            "", "")
    step = trace[k - 1]
    if step.phase == "forward":
        return _forward_caption(res, k, step, digits, n_forward, facts.memo)
    return _backward_caption(res, k, step, digits, facts)


def all_captions(res: Any, digits: int = 4) -> list[Caption]:
    """Captions for steps 0..len(trace), from one pass over the trace."""
    facts = TraceFacts(res)
    return [caption_at(res, k, digits, facts) for k in range(len(facts.steps) + 1)]


# --------------------------------------------------------------------------- edge terms

#: What the edge panel writes on each edge: the local derivative's formula, its value, or both.
EDGE_MODES = ("formula", "value", "both")


@dataclass(frozen=True)
class EdgeTerm:
    """The local derivative on one edge ``source -> target``: ∂target/∂source.

    ``formula_latex`` is empty where the op has no elementwise derivative (a matrix product,
    a sum): there the gradient flows back as a vector-Jacobian product and ``value`` is empty.
    """

    edge: tuple[str, str, int]
    name_plain: str
    name_latex: str
    formula_latex: str
    value_plain: str
    value_latex: str


def edge_terms(res: Any, digits: int = 4) -> list[EdgeTerm]:
    """Every edge a gradient flows back along, in the order of the backward pass.

    >>> from graphviz_nn import evaluate
    >>> [(t.name_plain, t.formula_latex, t.value_plain) for t in edge_terms(evaluate("x*y", {"x": 2, "y": 3}))]
    [('∂f/∂x', 'y', '3'), ('∂f/∂y', 'x', '2')]
    """
    graph = res.graph
    terms = []
    for step in res.trace:
        if step.edge is None:
            continue
        source, target, arg = step.edge
        name_plain, name_latex = _partial(_node_ref(graph, target, digits), _node_ref(graph, source, digits))
        formula = _local_latex(graph, target, int(arg), digits)
        local = step.local
        value_plain = format_number(local, digits) if local is not None else ""
        value_latex = format_latex_number(local, digits) if local is not None else ""
        terms.append(EdgeTerm((source, target, int(arg)), name_plain, name_latex, formula,
                              value_plain, value_latex))
    return terms


def edge_terms_latex(terms: Sequence[EdgeTerm], mode: str = "both") -> str:
    r"""The edge terms as one aligned LaTeX block: ``∂z/∂w = x = 1`` per line (``mode`` picks).

    >>> edge_terms_latex([EdgeTerm(("n0", "n2", 0), "∂f/∂x", r"\frac{\partial f}{\partial x}", "y", "3", "3")], "both")
    '\\begin{aligned}\\frac{\\partial f}{\\partial x} &= y = 3\\end{aligned}'
    """
    if mode not in EDGE_MODES:
        raise ValueError(f"mode must be one of {', '.join(EDGE_MODES)}, got {mode!r}")
    lines = []
    for term in terms:
        parts = []
        if mode in ("formula", "both"):
            parts.append(term.formula_latex or r"\text{(Jacobian)}")
        if mode in ("value", "both"):
            parts.append(term.value_latex or r"\text{(vector-Jacobian product)}")
        parts = _dedupe(parts)
        lines.append(term.name_latex + " &= " + " = ".join(parts))
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"
