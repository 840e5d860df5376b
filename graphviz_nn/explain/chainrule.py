"""Chain-rule paths: ∂L/∂w written as products of local derivatives along every path.

Pick a target input: every path from it to the output is found, anonymous intermediate nodes
are folded into the factor between two named nodes (so ``z1 = w1 x + w01`` gives the factor
∂z1/∂w1 = x, as a sheet writes it), and the factors are listed from the output down, the order a
recitation sheet writes them in. With two targets, the factors they share are marked.

>>> from graphviz_nn import evaluate
>>> res = evaluate("z = w x + b; a = relu(z); L = (a - y)^2", {"w": 3, "x": 1, "b": -1, "y": 2})
>>> [f.text for f in explain(res, ["w"])[0].paths[0].factors]
['∂L/∂a = 2 (a − y)', '∂a/∂z = 1[z > 0]', '∂z/∂w = x']
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import networkx as nx

from ..core.api import Evaluation
from ..errors import ValueInputError
from ..language.names import canonical_name
from ..notation.derivatives import local_forms
from ..ops import ATOM
from ..notation.formulas import Expr, node_expr
from ..notation.numfmt import format_number
from ..notation.plaintext import latex_to_text
from ..notation.symbols import latex_name, plain_name

__all__ = ["Factor", "PathProduct", "ChainRule", "explain", "factor_table", "latex_name", "latex_to_text",
           "edge_formulas", "path_factors", "path_folder", "count_paths", "edge_paths", "MAX_PATHS"]

MAX_PATHS = 64
"""Most paths listed per target (a DAG can have exponentially many)."""
DIGITS = 6
"""Significant digits of a number inside a formula (a constant exponent, a parameter)."""


@dataclass
class Factor:
    """∂numerator/∂denominator along one stretch of a path, symbolically and as a number."""

    numerator: str
    denominator: str
    latex: str
    value: Any
    edges: tuple[tuple[str, str, int], ...]
    shared: bool = False
    plain: tuple[str, str, str] = ()
    """(numerator, denominator, formula) in plain text, each name as the drawing labels it (``ŷ``)."""

    @property
    def name_latex(self) -> str:
        """``\\frac{\\partial z_{1}}{\\partial w_{1}}``."""
        return f"\\frac{{\\partial {self.numerator}}}{{\\partial {self.denominator}}}"

    @property
    def text(self) -> str:
        """``∂z1/∂w1 = x`` in plain text."""
        top, bottom, formula = self.texts
        return f"∂{top}/∂{bottom} = {formula}"

    @property
    def texts(self) -> tuple[str, str, str]:
        """(numerator, denominator, formula) in plain text, spelled from the graph (never read
        back from the LaTeX: ``x_10`` stays ``x₁₀``)."""
        return self.plain


@dataclass
class PathProduct:
    """One path from the output down to the target, as a product of factors."""

    nodes: list[str]
    factors: list[Factor]
    value: Any


@dataclass
class ChainRule:
    """Every path to one target; ``total`` is the engine's gradient (the sum over paths)."""

    target: str
    output: str
    paths: list[PathProduct] = field(default_factory=list)
    total: Any = None
    truncated: bool = False
    count: int = 0
    """How many paths there are in all (``paths`` lists at most ``max_paths`` of them)."""
    output_text: str = ""
    """The output in plain text, as the drawing labels it (``ŷ``, ``L``, ``f``)."""

    @property
    def latex(self) -> str:
        """∂L/∂w = Σ over paths of the product of factors, in LaTeX."""
        head = f"\\frac{{\\partial {self.output}}}{{\\partial {latex_name(self.target)}}}"
        terms = [" \\cdot ".join(f.name_latex for f in p.factors) for p in self.paths]
        return f"{head} = " + " + ".join(f"\\left({t}\\right)" if len(self.paths) > 1 else t for t in terms)


class _Namer:
    """LaTeX for nodes: names for named nodes, formulas (as deep as :data:`DEPTH`) for anonymous
    ones, written by :mod:`graphviz_nn.notation.formulas`."""

    def __init__(self, graph: nx.MultiDiGraph):
        self.graph = graph
        self.cache: dict[str, Expr] = {}
        self.forms: dict[tuple[str, int], Expr] = {}

    def expr(self, node: str) -> Expr:
        """The node as a formula in both forms, with its binding power."""
        found = self.cache.get(node)
        if found is None:
            found = self.cache[node] = node_expr(self.graph, node, DEPTH)
        return found

    def __call__(self, node: str) -> str:
        return self.expr(node).latex


DEPTH = 7
"""Levels of an anonymous node's formula written out before ``\\cdots``; never the internal id."""


def _is_compound(text: str) -> bool:
    return any(op in text for op in (" + ", " - ", "\\cdot", " "))


def _edge_forms(graph: nx.MultiDiGraph, namer: _Namer, target: str, arg: int) -> Expr:
    """The local derivative on one edge; ``J`` (a Jacobian) where the op writes no formula
    (written once per namer: a path folds the same edges as many other paths do)."""
    found = namer.forms.get((target, arg))
    if found is None:
        forms = local_forms(graph, target, arg, namer.expr, DIGITS)
        found = namer.forms[(target, arg)] = forms if forms.latex else Expr("J", "J", forms.power)
    return found


def _product(pieces: list[Expr]) -> Expr:
    """Local derivatives multiplied along a stretch: ones left out, signs gathered in front."""
    kept = [p for p in pieces if p.latex != "1"]
    negative = sum(1 for p in kept if p.latex == "-1") % 2 == 1
    kept = [p for p in kept if p.latex != "-1"]
    several = len(kept) > 1
    latex = " \\cdot ".join(f"\\left({p.latex}\\right)" if several and _is_compound(p.latex) else p.latex
                             for p in kept) or "1"
    plain = " · ".join(f"({p.plain})" if several and _is_compound(p.latex) else p.plain for p in kept) or "1"
    if negative:
        latex = "-" + (f"\\left({latex}\\right)" if " " in latex else latex)
        plain = "−" + (f"({plain})" if " " in plain else plain)
    return Expr(plain, latex, ATOM)


def _is_anchor(graph: nx.MultiDiGraph, node: str, output: str) -> bool:
    attrs = graph.nodes[node]
    return node == output or attrs["kind"] == "input" or bool(attrs["name"])


def _factors(graph: nx.MultiDiGraph, namer: _Namer, path: list[tuple[str, str, int]], output: str,
             out_tex: str) -> list[Factor]:
    """Fold a path (edges from the target up to the output) into factors between anchors."""
    factors: list[Factor] = []
    stretch: list[tuple[str, str, int]] = []
    start = path[0][0]
    for edge in path:
        stretch.append(edge)
        top = edge[1]
        if not _is_anchor(graph, top, output):
            continue
        formula = _product([_edge_forms(graph, namer, t, k) for _, t, k in stretch])
        value: Any = 1.0
        for s, t, k in stretch:
            local = graph.edges[s, t, k].get("local")
            if local is None or value is None:
                value = None
            else:
                value = value * local
        numerator = Expr("f", out_tex, ATOM) if top == output and out_tex == "f" else namer.expr(top)
        bottom = namer.expr(start)
        factors.append(Factor(numerator.latex, bottom.latex, formula.latex, value, tuple(stretch),
                              plain=(numerator.plain, bottom.plain, formula.plain)))
        stretch = []
        start = top
    return list(reversed(factors))


def edge_formulas(graph: nx.MultiDiGraph, form: str = "latex") -> dict[tuple[str, str, int], str]:
    """The local derivative ∂target/∂source on every edge as LaTeX (``form="plain"``: as plain
    text, each name as the drawing labels it), keyed ``(source, target, arg)``.

    >>> from graphviz_nn import evaluate
    >>> edge_formulas(evaluate("x*y", {"x": 2, "y": 3}).graph)
    {('n0', 'n2', 0): 'y', ('n1', 'n2', 1): 'x'}
    >>> list(edge_formulas(evaluate("yhat = 2 x_10; L = yhat^2", {"x_10": 1}).graph, "plain").values())
    ['2', '2 ŷ']
    """
    namer = _Namer(graph)
    out = {}
    for u, v, k, d in graph.edges(keys=True, data=True):
        source = graph.nodes[u]
        if source.get("grad") is None and source.get("value") is not None:
            continue  # nothing flows back to a node without a gradient (a constant)
        arg = int(d.get("arg", k))
        forms = _edge_forms(graph, namer, v, arg)
        out[(u, v, arg)] = forms.plain if form == "plain" else forms.latex
    return out


def path_factors(graph: nx.MultiDiGraph, path: list[tuple[str, str, int]]) -> list[Factor]:
    """A path of edges (from any node up to the output) folded into factors, output first.

    The same folding :func:`explain` uses: anonymous intermediates are absorbed into the factor
    between two named nodes, so the last factor is ∂(first named use)/∂(start of the path).
    """
    return path_folder(graph)(path)


def path_folder(graph: nx.MultiDiGraph) -> Callable[[list[tuple[str, str, int]]], list[Factor]]:
    """:func:`path_factors` for many paths of one graph: the formulas of its nodes and edges are
    written once, for every path that goes through them (the graph must not change meanwhile)."""
    output = graph.graph["output"]
    namer = _Namer(graph)
    out_tex = namer(output) if graph.nodes[output]["name"] else "f"
    return lambda path: _factors(graph, namer, list(path), output, out_tex)


def _on_paths(graph: nx.MultiDiGraph, node: str, output: str) -> set[str]:
    """The nodes on some path from ``node`` to ``output`` (both included; empty when none)."""
    if node == output or not nx.has_path(graph, node, output):
        return set()
    return (nx.descendants(graph, node) | {node}) & (nx.ancestors(graph, output) | {output})


def edge_paths(graph: nx.MultiDiGraph, node: str, output: str) -> Iterator[list[tuple[str, str, int]]]:
    """The edge paths from ``node`` to ``output`` one by one, walking only nodes between the two,
    so every branch ends at the output and the first paths come at once however many there are."""
    keep = _on_paths(graph, node, output)
    if len(keep) > 1:
        yield from nx.all_simple_edge_paths(graph.subgraph(keep), node, output)


def count_paths(graph: nx.MultiDiGraph, node: str, output: str) -> int:
    """How many edge paths lead from ``node`` to ``output``, counted without listing them
    (one sum per node, from the output back); ``x + x`` counts two.

    >>> from graphviz_nn import evaluate
    >>> res = evaluate("b1 = x*x + x; b2 = b1*b1 + b1; y = b2*b2 + b2", {"x": 1})
    >>> count_paths(res.graph, res.inputs["x"], res.graph.graph["output"])
    27
    """
    keep = _on_paths(graph, node, output)
    if not keep:
        return 0
    ways = {output: 1}
    for v in reversed(list(nx.topological_sort(graph.subgraph(keep)))):
        if v != output:
            ways[v] = sum(ways[w] for _, w in graph.out_edges(v) if w in keep)
    return ways[node]


def explain(res: Evaluation, wrt: list[str], max_paths: int = MAX_PATHS) -> list[ChainRule]:
    """The chain rule for each target in ``wrt`` (input names); shared factors are marked."""
    graph = res.graph
    output = graph.graph["output"]
    namer = _Namer(graph)
    out_tex = namer(output) if graph.nodes[output]["name"] else "f"
    rules = []
    for raw in wrt:
        name = canonical_name(raw)
        if name not in res.inputs:
            raise ValueInputError(f"unknown input {raw!r}; inputs: {', '.join(res.inputs)}")
        node = res.inputs[name]
        rule = ChainRule(name, out_tex, total=graph.nodes[node]["grad"], count=count_paths(graph, node, output),
                         output_text=namer.expr(output).plain if graph.nodes[output]["name"] else "f")
        for edges in itertools.islice(edge_paths(graph, node, output), max_paths + 1):
            if len(rule.paths) == max_paths:
                rule.truncated = True
                break
            factors = _factors(graph, namer, list(edges), output, out_tex)
            product: Any = 1.0
            for f in factors:
                product = None if (product is None or f.value is None) else product * f.value
            rule.paths.append(PathProduct([e[0] for e in edges] + [output], factors, product))
        rules.append(rule)
    if len(rules) >= 2:
        seen = [{f.edges for p in r.paths for f in p.factors} for r in rules]
        common = set.intersection(*seen)
        for r in rules:
            for p in r.paths:
                for f in p.factors:
                    f.shared = f.edges in common
    return rules


def _num(value: Any, digits: int = DIGITS) -> str:
    """A factor's number as the notation writes numbers; ``—`` where none is known."""
    return "—" if value is None else format_number(value, digits)


def factor_table(rules: list[ChainRule]) -> str:
    """The factor tables the ``explain`` command prints."""
    lines: list[str] = []
    for rule in rules:
        out = rule.output_text
        count = max(rule.count, len(rule.paths))
        lines.append(f"∂{out}/∂{plain_name(rule.target)}: {count:,} path{'s' if count != 1 else ''}"
                     + (f" (too many to list; the first {len(rule.paths)} follow)" if rule.truncated else ""))
        for i, path in enumerate(rule.paths, start=1):
            chain = " · ".join(f"∂{f.texts[0]}/∂{f.texts[1]}" for f in path.factors)
            lines.append(f"  path {i}: {chain}")
            width = max(len(f.text) for f in path.factors)
            for f in path.factors:
                mark = "  [shared]" if f.shared else ""
                lines.append(f"    {f.text.ljust(width)}  = {_num(f.value)}{mark}")
            lines.append(f"    product = {_num(path.value)}")
        lines.append(f"  ∂{out}/∂{plain_name(rule.target)} = {_num(rule.total)}"
                     + (" (sum over paths)" if count > 1 else ""))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
