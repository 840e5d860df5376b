"""Step captions: what happens at each step of the trace, in words, plain text and LaTeX.

A forward step shows the node's formula, the formula with the operand values put in, and
the result (``z1 = w1·x + w01 = 3·1 + (−1) = 2``). A backward step shows the chain rule on
one edge, upstream × local = contribution, and, where a node fans out to several uses, the
sum of the contributions that have arrived so far.

Everything here is a pure function of an evaluation (``api.Evaluation``: ``graph`` and
``trace``); every name, number and formula is spelled by :mod:`graphviz_nn.notation`.

>>> from graphviz_nn import evaluate
>>> res = evaluate("yhat = w1 x; L = (yhat - y)^2", {"w1": 3, "x": 1, "y": 2})
>>> print(caption_at(res, 3).latex)
\\hat{y} = w_{1} \\cdot x = 3 \\cdot 1 = 3
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ..notation.derivatives import in_product, local_latex
from ..notation.formulas import in_edges, leaf, node_formula, node_ref, node_ref_text, output_ref, partial, partial_text
from ..notation.numfmt import format_number, is_negative
from ..notation.numfmt import latex_number as format_latex_number
from ..notation.symbols import latex_name
from .edgeterms import EDGE_MODES, EdgeTerm, edge_terms, edge_terms_latex

__all__ = [
    "Caption",
    "TraceFacts",
    "caption_at",
    "all_captions",
    "backward_arrow",
    "MAX_SUM_TERMS",
    # spelled by notation/ and explain/edgeterms.py; named here for the callers that read them here
    "format_number",
    "format_latex_number",
    "latex_name",
    "node_formula",
    "node_ref_text",
    "partial_text",
    "EdgeTerm",
    "edge_terms",
    "edge_terms_latex",
    "EDGE_MODES",
]


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


def _describe(graph: Any, node: str, digits: int = 4, memo: dict | None = None) -> str:
    data = graph.nodes[node]
    if data.get("name"):
        return str(data.get("label") or data["name"])
    if data.get("kind") == "constant":
        return f"the constant {data.get('label')}"
    return node_ref(graph, node, digits, memo).plain


# --------------------------------------------------------------------------- captions


def _forward_caption(res: Any, k: int, step: Any, digits: int, n_forward: int, memo: dict | None = None) -> Caption:
    graph = res.graph
    node = step.node
    data = graph.nodes[node]
    value_plain = format_number(step.value, digits)
    value_latex = format_latex_number(step.value, digits)
    title = f"Forward {k}/{n_forward}: {node_ref(graph, node, digits, memo).plain}"
    kind = data.get("kind")
    if kind == "input":
        ref = leaf(data, False, digits)
        return Caption(k, "forward", title, f"{ref.plain} is an input; its value is {value_plain}.",
                       f"{ref.plain} = {value_plain}", f"{ref.latex} = {value_latex}")
    if kind == "constant":
        ref = leaf(data, False, digits)
        return Caption(k, "forward", title, f"The constant {ref.plain} enters the graph.",
                       f"{ref.plain} = {value_plain}" if ref.plain != value_plain else value_plain,
                       f"{ref.latex} = {value_latex}" if ref.latex != value_latex else value_latex)
    symbolic, substituted = node_formula(graph, node, digits)
    plain_parts = [symbolic.plain, substituted.plain, value_plain]
    latex_parts = [symbolic.latex, substituted.latex, value_latex]
    if data.get("name"):
        name = leaf(data, False, digits)
        plain_parts.insert(0, name.plain)
        latex_parts.insert(0, name.latex)
    plain = " = ".join(_dedupe(plain_parts))
    latex = " = ".join(_dedupe(latex_parts))
    operands = [_describe(graph, src, digits, memo) for src, _ in in_edges(graph, node)]
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

    def __init__(self, res: Any, memo: dict | None = None):
        self.steps: list[Any] = list(res.trace)
        self.n_forward = sum(1 for s in self.steps if s.phase == "forward")
        self.arrivals: dict[str, list[int]] = {}
        for k, s in enumerate(self.steps, start=1):
            if s.edge is not None:
                self.arrivals.setdefault(s.edge[0], []).append(k)
        self.memo: dict = {} if memo is None else memo  # node references (formulas.node_ref)

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
    out = output_ref(graph)
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
    src_ref = node_ref(graph, source, digits, facts.memo)
    dst_ref = node_ref(graph, target, digits, facts.memo)
    d_out_src = partial(out, src_ref)
    d_out_dst = partial(out, dst_ref)
    d_dst_src = partial(dst_ref, src_ref)
    up_p, up_l = format_number(step.upstream, digits), format_latex_number(step.upstream, digits)
    con_p, con_l = format_number(step.contribution, digits), format_latex_number(step.contribution, digits)
    arrived, total = _fan_out(res, k, source, facts)
    title = f"{title}: {dst_ref.plain} → {src_ref.plain}"  # as backward_arrow writes it
    if total > 1:
        title += f" (use {len(arrived)} of {total})"
    elif any(u != source and node_ref(graph, u, digits, facts.memo) == src_ref for u, _ in in_edges(graph, target)):
        title += f" (operand {_arg + 1})"
    if step.local is not None:
        loc_p, loc_l = format_number(step.local, digits), format_latex_number(step.local, digits)
        loc_p = f"({loc_p})" if is_negative(step.local) else loc_p
        loc_l = f"({loc_l})" if is_negative(step.local) else loc_l
        plain = f"{d_out_dst[0]} × {d_dst_src[0]} = {up_p} × {loc_p} = {con_p}"
        symbolic = in_product(local_latex(graph, target, _arg, lambda n: node_ref(graph, n, digits, facts.memo), digits))
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


def backward_arrow(graph: Any, edge: tuple[str, str, int], digits: int = 4, memo: dict | None = None) -> str:
    """A backward step in the direction the gradient flows, from the node that sends it to the
    node whose gradient changes: ``f → sin(x·y)/z``. Titles, sentences and the drawn note all
    use this one direction (``memo``: the node references already worked out, as for
    :func:`~graphviz_nn.notation.formulas.node_ref`)."""
    source, target, _ = edge
    return f"{node_ref(graph, target, digits, memo).plain} → {node_ref(graph, source, digits, memo).plain}"


def _paren_neg(text: str, value: Any) -> str:
    return f"({text})" if is_negative(value) else text


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


def all_captions(res: Any, digits: int = 4, memo: dict | None = None) -> list[Caption]:
    """Captions for steps 0..len(trace), from one pass over the trace (``memo``: a dict of the
    node references worked out, as for :func:`~graphviz_nn.notation.formulas.node_ref`, which
    the caller may share with other texts of the same graph)."""
    facts = TraceFacts(res, memo)
    return [caption_at(res, k, digits, facts) for k in range(len(facts.steps) + 1)]
