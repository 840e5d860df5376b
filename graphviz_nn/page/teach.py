"""The app's teaching panels: the chain rule taken apart, backprop checked, local derivatives, plots.

Each reads the page's evaluation cache (:mod:`graphviz_nn.page.view`) and never raises for
anything a user can type; a mistake comes back as a :class:`~graphviz_nn.page.view.Issue`.

- :func:`chain_rule_panels`: every path from the output down to one or two chosen inputs as a
  product of local derivatives (by name, as formulas, as numbers), factors the two share marked;
  :func:`chain_rule_drawing` draws those paths thick on the graph.
- :func:`gradient_check_rows`: backprop beside central differences for every input.
- :func:`edge_formulas`: the local derivative on every edge as one LaTeX block.
- :func:`function_plot`: a one-variable expression and its backprop derivative over a range.

>>> rows, _ = gradient_check_rows("x^2 y", {"x": "3", "y": "2"})
>>> [(r.name, r.backprop, r.ok) for r in rows]
[('x', '12', True), ('y', '9', True)]
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..explain.captions import format_latex_number, format_number
from .dispatch import bounded
from ..draw.options import RenderOptions
from .evaluations import Labels, ValuesArg, cached_evaluation, with_defaults
from .issues import Issue, issue_of
from .view import MAX_EDGE_TERMS, MAX_LATEX_PATHS

__all__ = [
    "SHARED_COLOR",
    "FactorRow",
    "ChainPanel",
    "chain_rule_panels",
    "chain_rule_drawing",
    "GradCheckRow",
    "gradient_check_rows",
    "edge_formulas",
    "function_plot",
]

#: Colour of the factors two targets share, in the chain-rule equations.
SHARED_COLOR = "#d35400"


@dataclass(frozen=True)
class FactorRow:
    """One factor of one path: ``∂z1/∂w1``, its formula ``x``, its value, and whether the other
    chosen target's paths contain the same factor (the same stretch of edges)."""

    path: int
    factor: str
    formula: str
    value: str
    shared: bool


@dataclass(frozen=True)
class ChainPanel:
    """The chain rule for one target: every path from the output down to it as a product.

    ``equation`` is LaTeX (``aligned``): the factors by name, then as formulas, then as
    numbers with the total; shared factors are drawn in :data:`SHARED_COLOR`.
    """

    target: str
    label: str
    output: str
    n_paths: int
    truncated: bool
    total: str
    equation: str
    rows: tuple[FactorRow, ...]
    products: tuple[str, ...]
    edges: frozenset[tuple[str, str, int]] = frozenset()

    @property
    def n_shared(self) -> int:
        """How many factors (over all paths) the other target shares."""
        return sum(1 for r in self.rows if r.shared)


def _marked(tex: str, shared: bool) -> str:
    """``tex`` in :data:`SHARED_COLOR` when the other target shares it."""
    return f"{{\\color{{{SHARED_COLOR}}}{{{tex}}}}}" if shared else tex


def _latex_factor_value(value: Any, digits: int) -> str:
    """A factor's number as LaTeX, bracketed when negative; ``J`` when it is a Jacobian (no one number)."""
    if value is None:
        return r"\text{J}"
    tex = format_latex_number(value, digits)
    return f"\\left({tex}\\right)" if tex.startswith("-") else tex


def _compound(tex: str) -> bool:
    """True when a factor needs brackets in a product: a top-level sum, difference or sign."""
    bare = tex
    while True:  # drop bracketed groups, innermost first
        shorter = re.sub(r"\\left\((?:(?!\\left\().)*?\\right\)", "()", bare)
        if shorter == bare:
            break
        bare = shorter
    return any(s in bare for s in (" + ", " - ")) or bare.startswith("-")


def _sum_of(terms: list[str], n_paths: int) -> str:
    """The paths' products as one sum, the first :data:`MAX_LATEX_PATHS` written out."""
    shown = terms[:MAX_LATEX_PATHS]
    if n_paths == 1:
        return shown[0]
    body = " + ".join(f"\\left({t}\\right)" for t in shown)
    return body + (r" + \cdots" if n_paths > len(shown) else "")


@functools.lru_cache(maxsize=64)
def _chain_rule(text: str, values: tuple[tuple[str, str], ...], targets: tuple[str, ...], digits: int,
                labels: Labels, merge: bool = True, constant_grads: bool = False) -> tuple[ChainPanel, ...]:
    """The panels of :func:`chain_rule_panels` for merged values (cached; raises GnnError)."""
    from ..explain.chainrule import explain, latex_name

    res = cached_evaluation(text, values, labels, constant_grads, merge)
    shown = dict(labels)
    graph = res.graph
    panels = []
    for rule in explain(res, list(targets)):
        head_name = latex_name(shown.get(rule.target, rule.target))
        head = f"\\frac{{\\partial {rule.output}}}{{\\partial {head_name}}}"
        names, formulas, numbers, rows, products = [], [], [], [], []
        for i, path in enumerate(rule.paths, start=1):
            names.append(" \\cdot ".join(_marked(f.name_latex, f.shared) for f in path.factors))
            formulas.append(" \\cdot ".join(
                _marked(f"\\left({f.latex}\\right)" if _compound(f.latex) and len(path.factors) > 1 else f.latex,
                        f.shared) for f in path.factors))
            numbers.append(" \\cdot ".join(_marked(_latex_factor_value(f.value, digits), f.shared)
                                           for f in path.factors))
            products.append(format_number(path.value, digits) if path.value is not None else "—")
            for f in path.factors:
                top, bottom, formula = f.texts  # spelled by the notation layer, as the drawing labels names
                rows.append(FactorRow(i, f"∂{top}/∂{bottom}", formula,
                                      format_number(f.value, digits) if f.value is not None else "—",
                                      f.shared))
        total_tex = format_latex_number(rule.total, digits)
        n = max(rule.count, len(rule.paths))
        if n == 0:
            equation = f"{head} = 0 \\quad \\text{{(no path from the output)}}"
        else:
            equation = (f"\\begin{{aligned}}{head} &= {_sum_of(names, n)} \\\\ &= {_sum_of(formulas, n)}"
                        f" \\\\ &= {_sum_of(numbers, n)} = {total_tex}\\end{{aligned}}")
        node = res.inputs[rule.target]
        panels.append(ChainPanel(rule.target, str(graph.nodes[node].get("label") or rule.target),
                                 rule.output_text, n, rule.truncated,
                                 format_number(rule.total, digits), equation, tuple(rows), tuple(products),
                                 frozenset(e for p in rule.paths for f in p.factors for e in f.edges)))
    return tuple(panels)


@bounded(over=lambda err, text, *args, **kwargs: ((), issue_of(err, text)))
def chain_rule_panels(text: str, values: ValuesArg | None, targets: tuple[str, ...] | list[str],
                      digits: int = 4, labels: Labels = (), *, merge: bool = True,
                      constant_grads: bool = False) -> tuple[tuple[ChainPanel, ...], Issue | None]:
    """The chain rule for each of ``targets`` (input names; with two, shared factors are marked),
    on the graph the picture draws: ``merge`` and ``constant_grads`` are the picture's options
    (:class:`~graphviz_nn.draw.options.RenderOptions`), so with ``merge=False`` the paths are
    the tree's and every edge a panel names is an edge of that drawing.

    Never raises: an error comes back as an :class:`Issue`.

    >>> panels, issue = chain_rule_panels("z = w x + b; L = z^2", {"w": "3", "x": "2", "b": "1"}, ["w"])
    >>> [(r.factor, r.formula, r.value) for r in panels[0].rows], panels[0].total
    ([('∂L/∂z', '2 z', '14'), ('∂z/∂w', 'x', '2')], '28')
    """
    try:
        return _chain_rule(text, with_defaults(text, values), tuple(targets), digits, tuple(labels), merge,
                           constant_grads), None
    except Exception as exc:  # the page must never show a traceback
        return (), issue_of(exc, text)


@dataclass(frozen=True)
class GradCheckRow:
    """Backprop beside central differences for one input; ``ok`` when they agree to 1e-4."""

    name: str
    label: str
    backprop: str
    numeric: str
    relative_error: str
    ok: bool


@functools.lru_cache(maxsize=32)
def _gradient_check(text: str, values: tuple[tuple[str, str], ...], digits: int,
                    labels: Labels) -> tuple[GradCheckRow, ...]:
    """The rows of :func:`gradient_check_rows` for merged values (cached; raises GnnError)."""
    res = cached_evaluation(text, values, labels)
    report = res.gradient_check()
    rows = []
    for name, node in res.graph.graph["inputs"].items():
        label = str(res.graph.nodes[node].get("label") or name)
        if name not in report:
            rows.append(GradCheckRow(name, label, format_number(res.gradients.get(name), digits),
                                     "— (not checked: the check's work is bounded)", "—", True))
            continue
        entry = report[name]
        backprop, numeric, error = entry
        sample = "" if entry.checked is None else f" ({len(entry.checked):,} of {entry.size:,} entries)"
        rows.append(GradCheckRow(name, label, format_number(backprop, digits) + sample,
                                 format_number(numeric, digits) + sample,
                                 f"{error:.1e}", bool(np.isfinite(error) and error < 1e-4)))
    return tuple(rows)


@bounded(over=lambda err, text, *args, **kwargs: ((), issue_of(err, text)))
def gradient_check_rows(text: str, values: ValuesArg | None, digits: int = 4,
                        labels: Labels = ()) -> tuple[tuple[GradCheckRow, ...], Issue | None]:
    """Backprop and finite-difference gradients of every input with the relative error.

    >>> rows, _ = gradient_check_rows("x^2 y", {"x": "3", "y": "2"})
    >>> [(r.name, r.backprop, r.numeric, r.ok) for r in rows]
    [('x', '12', '12', True), ('y', '9', '9', True)]
    """
    try:
        return _gradient_check(text, with_defaults(text, values), digits, tuple(labels)), None
    except Exception as exc:
        return (), issue_of(exc, text)


@bounded(over=lambda err, *args, **kwargs: ("", 0))
def edge_formulas(text: str, values: ValuesArg | None, mode: str = "both", digits: int = 4,
                  labels: Labels = ()) -> tuple[str, int]:
    """The local derivative on every edge as one LaTeX block (``mode``: formula, value or
    both) and the number of edges; at most :data:`MAX_EDGE_TERMS` are written. ``("", 0)``
    when the text does not evaluate."""
    from ..explain.captions import edge_terms, edge_terms_latex

    try:
        res = cached_evaluation(text, with_defaults(text, values), tuple(labels))
        terms = edge_terms(res, digits)
    except Exception:
        return "", 0
    return edge_terms_latex(terms[:MAX_EDGE_TERMS], mode) if terms else "", len(terms)


@bounded(over=lambda err, text, *args, **kwargs: ("", issue_of(err, text)))
def chain_rule_drawing(text: str, values: ValuesArg | None, options: RenderOptions, targets: tuple[str, ...],
                       labels: Labels = ()) -> tuple[str, Issue | None]:
    """The graph (SVG) with every chain-rule path to ``targets`` drawn thick, dashed and coloured:
    the picture ``options`` draw (merged or a tree, constants with gradients or without), with
    the paths of :func:`chain_rule_panels` for the same options on it.

    >>> svg, issue = chain_rule_drawing("z = w x + b; L = z^2", {"w": "3", "x": "2", "b": "1"}, RenderOptions(), ("w",))
    >>> issue is None and 'class="edge arg path"' in svg
    True
    """
    panels, issue = chain_rule_panels(text, values, tuple(targets), options.digits, labels,
                                      merge=options.merge, constant_grads=options.constant_grads)
    if issue is not None:
        return "", issue
    edges = frozenset(e for panel in panels for e in panel.edges)
    try:
        return _path_svg(text, with_defaults(text, values), options, edges, tuple(labels)), None
    except Exception as exc:
        return "", issue_of(exc, text)


@functools.lru_cache(maxsize=32)
def _path_svg(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions,
              edges: frozenset[tuple[str, str, int]], labels: Labels) -> str:
    """The finished graph as SVG with ``edges`` and their ends highlighted (cached)."""
    from ..export.files import export_bytes

    res = cached_evaluation(text, values, labels, options.constant_grads, options.merge)
    nodes = frozenset(n for e in edges for n in e[:2])
    opts = replace(options, step=None, highlight_edges=edges, highlight_nodes=nodes)
    return export_bytes(res, "svg", opts).decode("utf-8")



@bounded(over=lambda err, text, *args, **kwargs: (b"", issue_of(err, text)))
@functools.lru_cache(maxsize=32)
def function_plot(text: str, variable: str, lo: float, hi: float, values: tuple[tuple[str, str], ...] = (),
                  fmt: str = "svg") -> tuple[bytes, Issue | None]:
    """The plot of ``text`` and its backprop derivative over ``variable`` in [lo, hi] (other
    inputs take ``values``): picture bytes, or an issue explaining why there is none.

    >>> data, issue = function_plot("relu(x)", "x", -1.0, 1.0)
    >>> issue is None and data.startswith(b"<?xml")
    True
    """
    from ..export.plots import plot_bytes

    data, issue = function_samples(text, variable, lo, hi, values)
    if data is None:
        return b"", issue
    try:
        return plot_bytes(data, fmt), None
    except Exception as exc:  # every user mistake becomes an Issue, never a traceback
        return b"", issue_of(exc, text)


@bounded(over=lambda err, text, *args, **kwargs: (None, issue_of(err, text)))
@functools.lru_cache(maxsize=32)
def function_samples(text: str, variable: str, lo: float, hi: float,
                     values: tuple[tuple[str, str], ...] = ()) -> tuple[Any, Issue | None]:
    """``text`` and its backprop derivative at 401 points of ``variable`` in [lo, hi] (a
    :class:`~graphviz_nn.export.plots.PlotData`: what the page charts in the browser, without
    drawing a picture), or ``None`` and an issue explaining why there is none.

    >>> data, issue = function_samples("relu(x)", "x", -1.0, 1.0)
    >>> float(data.y[-1]), float(data.dy[0]), float(data.dy[-1])
    (1.0, 0.0, 1.0)
    """
    from ..export.plots import sample

    others = {name: raw for name, raw in values if name != variable and raw.strip()}
    try:
        return sample(text, variable, lo, hi, 401, others), None
    except Exception as exc:  # every user mistake becomes an Issue, never a traceback
        return None, issue_of(exc, text)
