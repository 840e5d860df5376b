"""Worksheets: blank out chosen values and gradients, draw them as numbered gaps, check answers.

A :class:`Worksheet` lists its :class:`Blank` entries (numbered from 1). :func:`render_options`
turns a worksheet into the ``RenderOptions`` that draw it (``____ (1)`` where the number was) or
its answer key (the number beside ``(1)``), so every export format (SVG, PDF, TikZ, …) can write
both. :func:`check_answers` compares a student's entries with the engine's numbers (relative
tolerance) and, for a wrong gradient, names the local derivatives to look at::

    ∂L/∂a1 = ∂L/∂z2 · ∂z2/∂a1 = ∂L/∂z2 · w2

>>> from graphviz_nn import evaluate
>>> res = evaluate("z = w x + b; L = z^2", {"w": 3, "x": 2, "b": 1})
>>> sheet = choose_blanks(res, "grads")
>>> [b.label for b in sheet.blanks]
['∂L/∂w', '∂L/∂x', '∂L/∂b', '∂L/∂z']
>>> [(c.number, c.ok) for c in check_answers(res, sheet, {1: "28", 2: "41"})][:2]
[(1, True), (2, False)]
>>> check_answers(res, sheet, {2: "41"})[1].hint
'∂L/∂x = ∂L/∂z · ∂z/∂x = ∂L/∂z · w'
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import networkx as nx
import numpy as np

from ..errors import ValueInputError
from ..language.names import canonical_name

__all__ = ["BLANK_CHOICES", "Blank", "Worksheet", "Check", "choose_blanks", "in_reading_order", "render_options",
           "check_answers", "answer_value", "DEFAULT_RTOL"]

#: What to blank out: every gradient, every value, or both.
BLANK_CHOICES = ("grads", "values", "both")
#: Relative tolerance of :func:`check_answers` (answers written to 3–4 digits pass).
DEFAULT_RTOL = 5e-3
_MAX_HINT_PATHS = 64


@dataclass(frozen=True)
class Blank:
    """One gap: ``number`` (from 1), the graph ``node``, ``kind`` (``value`` or ``grad``), a
    ``label`` such as ``a1`` or ``∂L/∂a1``, and the engine's ``expected`` number."""

    number: int
    node: str
    kind: str
    label: str
    expected: Any


@dataclass(frozen=True)
class Worksheet:
    """The blanks of one worksheet, in number order."""

    blanks: tuple[Blank, ...]

    def triples(self) -> tuple[tuple[str, str, int], ...]:
        """``(node, kind, number)`` for ``RenderOptions.blanks``."""
        return tuple((b.node, b.kind, b.number) for b in self.blanks)


@dataclass(frozen=True)
class Check:
    """One checked entry: ``ok`` within tolerance; ``hint`` names what to look at when it is not
    (empty when right or unanswered); ``given`` is ``None`` when the blank was left empty."""

    number: int
    label: str
    ok: bool
    given: Any
    expected: Any
    hint: str


# --------------------------------------------------------------------------- naming


def _label(graph: nx.MultiDiGraph, node: str, kind: str) -> str:
    """``a1`` for a value, ``∂L/∂a1`` for a gradient (unnamed nodes by their formula)."""
    from .captions import node_ref_text, partial_text

    if kind == "value":
        return node_ref_text(graph, node)
    return partial_text(graph, graph.graph["output"], node)


# --------------------------------------------------------------------------- choosing


def _candidates(graph: nx.MultiDiGraph, kind: str) -> list[str]:
    """Nodes whose value (ops) or gradient (inputs and ops but the output) can be blanked.

    Where a program names its intermediates, only named ones (as a sheet asks for z1, a1, …);
    a plain expression has no names, so every operation counts.
    """
    output = graph.graph["output"]
    ops = [n for n, d in graph.nodes(data=True) if d.get("kind") == "op"]
    named = [n for n in ops if graph.nodes[n].get("name")]
    chosen_ops = named if named else ops
    if kind == "value":
        return [n for n in graph.nodes if n in chosen_ops or n == output]
    inputs = [n for n, d in graph.nodes(data=True) if d.get("kind") == "input"]
    return [n for n in graph.nodes if (n in inputs or n in chosen_ops) and n != output
            and graph.nodes[n].get("grad") is not None]


def _resolve(graph: nx.MultiDiGraph, wanted: Sequence[str]) -> list[str]:
    """Node ids for names (``a1``, ``alpha``), labels (``α``) or ids (``n3``)."""
    by_name: dict[str, str] = {}
    for n, d in graph.nodes(data=True):
        for key in (d.get("name"), d.get("label")):
            if key:
                by_name.setdefault(str(key), n)
    out = []
    for raw in wanted:
        text = str(raw).strip()
        node = text if text in graph else by_name.get(text) or by_name.get(canonical_name(text))
        if node is None:
            names = ", ".join(sorted(str(d["name"]) for _, d in graph.nodes(data=True) if d.get("name")))
            raise ValueInputError(f"no node called {text!r} to blank out; named nodes: {names}")
        if node not in out:
            out.append(node)
    return out


def choose_blanks(res: Any, blank: str = "grads", nodes: Sequence[str] | None = None,
                  sample: int | None = None, seed: int = 0) -> Worksheet:
    """Pick the blanks of a worksheet.

    ``blank`` is ``grads``, ``values`` or ``both``; ``nodes`` (names or ids) restricts the
    blanks to those nodes; ``sample`` keeps a random ``sample`` of them, chosen by ``seed``
    (the same seed always gives the same sheet). Blanks are numbered in graph order, values
    before gradients for the same node.
    """
    if blank not in BLANK_CHOICES:
        raise ValueInputError(f"unknown blank choice {blank!r}; choose one of: {', '.join(BLANK_CHOICES)}")
    graph = res.graph
    kinds = ("value", "grad") if blank == "both" else ("value",) if blank == "values" else ("grad",)
    pool = [(n, k) for n in graph.nodes for k in kinds if n in set(_candidates(graph, k))]
    if nodes:
        picked = _resolve(graph, nodes)
        pool = [(n, k) for n in picked for k in kinds
                if (k == "value" and graph.nodes[n].get("kind") == "op") or
                (k == "grad" and n != graph.graph["output"] and graph.nodes[n].get("grad") is not None)]
        if not pool:
            raise ValueInputError(f"nothing to blank out at {', '.join(nodes)} ({blank}); inputs have "
                                  "given values and the output's gradient is 1")
    if sample is not None:
        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
            raise ValueInputError(f"sample must be a positive number of blanks, got {sample!r}")
        keep = set(random.Random(seed).sample(range(len(pool)), min(sample, len(pool))))
        pool = [item for i, item in enumerate(pool) if i in keep]
    blanks = []
    for number, (node, kind) in enumerate(pool, start=1):
        expected = graph.nodes[node]["grad" if kind == "grad" else "value"]
        blanks.append(Blank(number, node, kind, _label(graph, node, kind), expected))
    return Worksheet(tuple(blanks))


def in_reading_order(sheet: Worksheet, order: Sequence[str]) -> Worksheet:
    """The same blanks numbered 1, 2, … in ``order`` (node ids as the drawing reads, e.g. from
    :func:`graphviz_nn.export.files.reading_order`), a node's value before its gradient; nodes
    missing from ``order`` keep their graph order, after the others."""
    rank = {node: i for i, node in enumerate(order)}
    ordered = sorted(sheet.blanks, key=lambda b: (rank.get(b.node, len(rank)), b.number))
    return Worksheet(tuple(dataclasses.replace(b, number=i) for i, b in enumerate(ordered, start=1)))


def render_options(sheet: Worksheet, options: Any, key: bool = False) -> Any:
    """``RenderOptions`` drawing the worksheet (``key=False``) or its answer key.

    Edges keep only formulas (``edge_text="formula"`` when edge labels were asked for): numbers
    on edges would give blanks away. The finished state is drawn (no step).
    """
    opts = options
    edge_text = "formula" if opts.edge_mode is not None else None
    return dataclasses.replace(opts, blanks=sheet.triples(), show_answers=key, step=None,
                               edge_labels=False, edge_text=edge_text, detail="full")


# --------------------------------------------------------------------------- checking


#: Longest typed answer read as an expression.
MAX_ANSWER_CHARS = 200


def answer_value(text: Any) -> float | np.ndarray | None:
    """A typed answer as a number (or array); ``None`` for an empty entry.

    Besides numbers (``0.5``, ``-2``, ``1,5``, ``[1, 2]``) an answer may be an expression of
    numbers, read by the project's own parser and evaluator (never ``eval``): ``1/3``,
    ``-2/3``, ``e^2``, ``sqrt(2)``, ``2π``. Raises ``ValueInputError`` for anything else
    (names, statements, text that does not parse).

    >>> answer_value("1/3"), answer_value("-2/3"), round(answer_value("e^2"), 6), answer_value("3,5")
    (0.3333333333333333, -0.6666666666666666, 7.389056, 3.5)
    """
    from ..language.values import to_value

    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str):
        return to_value(text, "the answer")
    text = text.strip().replace("−", "-")
    if "[" not in text and re.fullmatch(r"[+-]?\d+,\d+", text):
        text = text.replace(",", ".")  # a decimal comma
    try:
        return to_value(text, "the answer")
    except ValueInputError:
        return _expression_value(text)


def _expression_value(text: str) -> float | np.ndarray:
    """An answer such as ``1/3`` or ``e^2``: an expression of numbers and constants only."""
    from ..core.api import inputs
    from ..core.prepared import evaluate
    from ..errors import GnnError

    if len(text) > MAX_ANSWER_CHARS or re.search(r"[=;\n]", text):
        raise ValueInputError("an answer is one number or an expression of numbers, such as 1/3 or e^2")
    try:
        names = [name for name, given in inputs(text).items() if given is None]
        if names:
            raise ValueInputError(f"an answer is a number, not a formula in {', '.join(names)}; "
                                  "work it out from the values on the drawing")
        value = evaluate(text, {}).value
    except ValueInputError:
        raise
    except GnnError as err:
        raise ValueInputError(f"cannot read {text!r} as a number: {err.message}") from None
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueInputError(f"{text} is not a finite number")
    return float(arr) if arr.ndim == 0 else arr


def _uses(graph: nx.MultiDiGraph, node: str) -> list[tuple[str, str]]:
    """(use, local derivative in text) for every way ``node`` reaches the output in one factor.

    In a program with named intermediates, anonymous operations fold into the factor up to the
    next named node (``∂z2/∂a1 = w2`` although ``w2·a1`` is a node of its own), as a sheet
    writes it; a plain expression has no names, so each use is the operation right above.
    """
    from .chainrule import edge_formulas, edge_paths, path_factors

    output = graph.graph["output"]
    if any(d.get("kind") == "op" and d.get("name") and n != output for n, d in graph.nodes(data=True)):
        found: dict[tuple, tuple[str, str]] = {}
        for path in itertools.islice(edge_paths(graph, node, output), _MAX_HINT_PATHS):
            factor = path_factors(graph, list(path))[-1]
            found.setdefault(factor.edges, (factor.edges[-1][1], factor.texts[2]))
        return list(found.values())
    formulas = edge_formulas(graph, "plain")
    return [(v, formulas[(node, v, int(d.get("arg", k)))])
            for _, v, k, d in graph.out_edges(node, keys=True, data=True)]


def _grad_hint(graph: nx.MultiDiGraph, node: str) -> str:
    """∂L/∂n as the sum over its uses of ∂L/∂use · ∂use/∂n, by name and by formula."""
    from .captions import partial_text

    output = graph.graph["output"]
    head = partial_text(graph, output, node)
    names, formulas = [], []
    for use, local in _uses(graph, node):
        if use == output:
            names.append(partial_text(graph, output, node))
            formulas.append(local)
            continue
        local = f"({local})" if re.search(r" [+−-] ", local) else local
        up = partial_text(graph, output, use)
        names.append(f"{up} · {partial_text(graph, use, node)}")
        formulas.append(up if local == "1" else f"{up} · {local}")
    if not names:
        return f"{head} = 0: no path leads from it to the output"
    if all(n == head for n in names) and all(_is_number(f) for f in formulas):
        # only the last operation uses it and every local derivative is a number: writing them
        # out would be the answer itself
        from .captions import node_formula, node_ref_text

        last = node_formula(graph, output)[0].plain
        uses = "" if len(names) == 1 else f", once for each of its {len(names)} uses there, added up"
        return (f"{head} is the local derivative of the last operation, {last}, with respect to "
                f"{node_ref_text(graph, node)}{uses}: which rule does that operation follow?")
    if names == [head]:
        return f"{head} = {formulas[0]}: the local derivative of the last operation"
    return f"{head} = " + " + ".join(names) + " = " + " + ".join(formulas)


def _is_number(formula: str) -> bool:
    """Whether a derivative formula is a bare number (``1``, ``−2``, ``0.5``): no name in it."""
    return re.fullmatch(r"[\s\d.,()+·/−-]*\d[\s\d.,()+·/−-]*", formula) is not None


def _value_hint(graph: nx.MultiDiGraph, node: str) -> str:
    from .captions import node_formula, node_ref_text

    formula = node_formula(graph, node)[0].plain
    name = node_ref_text(graph, node)
    if name == formula:
        return f"compute {formula} from the values of its operands"
    return f"{name} = {formula}: put in the values of its operands"


def check_answers(res: Any, sheet: Worksheet, answers: Mapping[int, Any],
                  rtol: float = DEFAULT_RTOL, atol: float = 1e-9) -> list[Check]:
    """Check each blank: ``answers`` maps blank numbers to typed text (or numbers).

    An entry is right when it is within ``rtol`` (relative) or ``atol`` of the engine's value.
    A wrong gradient gets a hint naming the local derivatives on the edges into that gradient;
    a wrong value, the formula that computes it. Unreadable text counts as wrong with a hint
    saying what to type.
    """
    graph = res.graph
    out = []
    for blank in sheet.blanks:
        raw = answers.get(blank.number, answers.get(str(blank.number)))  # type: ignore[call-overload]
        try:
            given = answer_value(raw)
        except ValueInputError:
            out.append(Check(blank.number, blank.label, False, raw, blank.expected,
                             "type a number such as 2, -0.5, 1.5e-3, 1/3 or e^2"))
            continue
        if given is None:
            out.append(Check(blank.number, blank.label, False, None, blank.expected, ""))
            continue
        expected = np.asarray(blank.expected, dtype=float)
        ok = np.shape(given) == expected.shape and bool(
            np.allclose(given, expected, rtol=rtol, atol=atol, equal_nan=True))
        hint = "" if ok else (_grad_hint(graph, blank.node) if blank.kind == "grad"
                              else _value_hint(graph, blank.node))
        out.append(Check(blank.number, blank.label, ok, given, blank.expected, hint))
    return out
