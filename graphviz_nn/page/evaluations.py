"""The page's evaluation cache, shared by every page module: the value fields of a text
(:func:`input_fields`), one :class:`~graphviz_nn.core.prepared.Prepared` kept per text and set
of filled-in names (:func:`_prepared_for`), and one evaluation per (text, values, labels,
constant gradients, merge) (:func:`cached_evaluation`); and the app's size limits.

>>> [(f.name, f.default) for f in input_fields("x^2 + 3xy")]
[('x', '2'), ('y', '1')]
>>> cached_evaluation("x*y", (("x", "2"), ("y", "3"))).value
6.0
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .keys import compact, expand

__all__ = ["InputField", "input_fields", "value_text", "normalise_values", "cached_evaluation", "with_defaults",
           "ValuesArg", "Labels", "DEFAULT_VALUES", "APP_MAX_CHARS", "APP_MAX_NODES", "APP_MAX_PARAMETERS",
           "KEEP_PREPARED"]

#: Values given to inputs the text does not define, in order of first use: distinct small
#: numbers, so every product and gradient on the page is easy to follow by hand.
DEFAULT_VALUES = ("2", "1", "3", "0.5", "-1", "1.5", "4", "-2")
ValuesArg = Mapping[str, str] | tuple[tuple[str, str], ...]
#: Display names drawn instead of input names (a spec's ``names``: ``W1`` drawn as ``α``).
Labels = tuple[tuple[str, str], ...]

APP_MAX_CHARS = 20_000
"""Longest text the app evaluates (the API and CLI allow 2,000,000): a hosted app serves a class."""
APP_MAX_NODES = 50_000
"""Largest graph the app builds (the API and CLI allow 200,000)."""
APP_MAX_PARAMETERS = 100_000
"""Most weights and biases a layer network may have in the app (the API and CLI allow
10,000,000): every parameter travels through the page's caches as the text of a value field."""


@dataclass(frozen=True)
class InputField:
    """One value field: the input's canonical ``name``, its pretty ``label``, the default text."""

    name: str
    label: str
    default: str
    is_array: bool


def value_text(value: Any) -> str:
    """A program default or user value as the text of its field (JSON for arrays).

    >>> value_text(2.0), value_text([[1.0, 0.5]])
    ('2', '[[1, 0.5]]')
    """
    if value is None:
        return ""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        number = float(arr)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return json.dumps(arr.tolist()).replace(".0,", ",").replace(".0]", "]")


@functools.lru_cache(maxsize=64)
def input_fields(text: str) -> tuple[InputField, ...]:
    """The value fields for ``text``: every input in first-use order with a default value.

    Program lines ``x = 2`` give the default; other inputs get distinct small numbers
    (:data:`DEFAULT_VALUES`) so a new expression draws at once. Raises ``GnnError`` when the
    text cannot be read.
    """
    from ..core.api import inputs
    from ..language.names import display_label

    found = inputs(text, max_chars=APP_MAX_CHARS)
    fields = []
    spare = iter(DEFAULT_VALUES * 8)
    for name, value in found.items():
        default = value_text(value) if value is not None else next(spare, "1")
        fields.append(InputField(name=name, label=display_label(name), default=default,
                                  is_array=bool(np.ndim(value) > 0)))
    return tuple(fields)


def normalise_values(values: ValuesArg | None) -> tuple[tuple[str, str], ...]:
    """Sorted (name, text) pairs; long texts as digest keys (:mod:`graphviz_nn.page.keys`)."""
    items = values.items() if isinstance(values, Mapping) else (values or ())
    return tuple(sorted((str(k), compact(str(v))) for k, v in items))


KEEP_PREPARED = 16
"""How many texts (each with its set of filled-in names) stay read, built and compiled."""
_PREPARED: OrderedDict[tuple[str, frozenset[str], bool, bool], Any] = OrderedDict()
_PREPARED_LOCK = threading.Lock()  # Streamlit serves sessions from several threads


def _prepared_for(text: str, given: dict[str, str], constant_grads: bool = False, merge: bool = True) -> Any:
    """The text read, built and compiled once per set of filled-in names, so that changing a
    value only runs the compiled schedule. Raises ``GnnError`` (and keeps nothing) when the
    text or the values are bad."""
    from ..core.prepared import prepare

    key = (text, frozenset(given), constant_grads, merge)
    with _PREPARED_LOCK:
        found = _PREPARED.get(key)
        if found is not None:
            _PREPARED.move_to_end(key)
            return found
    made = prepare(text, given, max_chars=APP_MAX_CHARS, max_nodes=APP_MAX_NODES,
                   constant_grads=constant_grads, merge=merge)
    with _PREPARED_LOCK:
        _PREPARED[key] = made
        while len(_PREPARED) > KEEP_PREPARED:
            _PREPARED.popitem(last=False)
    return made


@functools.lru_cache(maxsize=32)
def cached_evaluation(text: str, values: tuple[tuple[str, str], ...], labels: Labels = (),
                      constant_grads: bool = False, merge: bool = True) -> Any:
    """Evaluate with the fields' values (program defaults fill the rest); inputs named in
    ``labels`` are drawn with their display names; ``merge=False`` keeps the graph a tree.
    Cached: pure. Exactly ``gnn.evaluate``'s result, from a
    :class:`~graphviz_nn.core.prepared.Prepared` kept per text, filled-in names and merge."""
    from ..language.names import display_label

    given = {name: expand(raw) for name, raw in values if raw.strip() != ""}
    res = _prepared_for(text, given, constant_grads, merge).evaluate(given)
    for name, shown in labels:
        node = res.graph.graph["inputs"].get(name)
        if node is not None:
            res.graph.nodes[node]["label"] = display_label(shown)
            res.graph.nodes[node]["shown"] = shown
    return res


def with_defaults(text: str, values: ValuesArg | None) -> tuple[tuple[str, str], ...]:
    """The fields' values with the defaults of :func:`input_fields` filled in (raises GnnError)."""
    given = dict(normalise_values(values))
    return normalise_values({f.name: given.get(f.name, f.default) for f in input_fields(text)})
