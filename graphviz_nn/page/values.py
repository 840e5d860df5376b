"""Where the app's input values come from: one source of truth for the text and the value fields.

An input that the text gives a value (``x = 1``, ``W = [[1, 2]]``) takes it from the text, and
its field edits that literal in the text: typing 5 into x's field turns the line into ``x = 5``.
Every other input (``x`` in ``x^2 + 3xy``) keeps the value typed into its field in ``free``.
So what is drawn, what the fields show and what "Read as" says always agree: loading an example
or typing a program sets the fields from the text, and no field can hold an old number that the
page silently computes with.

A field entry the text cannot take (``[1, oops]``, or ``nan``, which a program cannot spell) is
kept in ``free`` for that input so the field still shows what was typed, and :func:`page_inputs`
reports it as an :class:`~graphviz_nn.page.issues.Issue` instead of computing anything.

All functions are pure and take and return hashable values, so the app stores a
:class:`ValueState` in its session and tests call them without Streamlit.

>>> state = ValueState("x = 1\\ny = 2\\nx*y")
>>> state = set_value(state, "x", "5")
>>> state.text
'x = 5\\ny = 2\\nx*y'
>>> page_inputs(state).values
(('x', '5'), ('y', '2'))
>>> page_inputs(set_value(ValueState("x*y"), "y", "3")).values
(('x', '2'), ('y', '3'))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import GnnError, ValueInputError
from .evaluations import APP_MAX_CHARS, InputField, input_fields, value_text
from .issues import Issue, issue_of

__all__ = ["ValueState", "PageInputs", "literal_spans", "set_value", "set_values", "edit_text",
           "page_inputs", "number_text", "set_entry"]

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ValueState:
    """The page's values: the ``text`` (which holds every value it assigns) and ``free``, the
    field entries of inputs the text leaves open (plus entries the text could not take)."""

    text: str
    free: Pairs = ()


@dataclass(frozen=True)
class PageInputs:
    """What the value fields show and what the page computes with.

    ``fields`` are the text's inputs in first-use order; ``values`` pairs each with the text of
    its field (the same order); ``issue`` is set when the text cannot be read or a field holds
    an entry the text cannot take: then nothing may be computed from ``values``. ``given``
    names the inputs whose value lives in the text.
    """

    fields: tuple[InputField, ...] = ()
    values: Pairs = ()
    issue: Issue | None = None
    given: frozenset[str] = field(default_factory=frozenset)


@functools.lru_cache(maxsize=64)
def literal_spans(text: str) -> dict[str, tuple[int, int]]:
    """Where the text writes each input's value: ``{name: (start, end)}`` of the literal in
    ``name = literal`` (a number, a negative number or an array). Empty when the text cannot
    be read.

    >>> literal_spans("x = -1; y = [[1, 2]]; z = 2*x; x*y*z")
    {'x': (4, 6), 'y': (12, 20)}
    """
    from ..language.parser import parse
    from ..language.syntax import Assign

    try:
        program = parse(text, max_chars=APP_MAX_CHARS)
    except GnnError:
        return {}
    return {s.name: (s.expr.span[0], s.expr.span[1]) for s in program.statements
            if isinstance(s, Assign) and s.name in program.defaults}


def number_text(number: float) -> str:
    """A number field's value as the text the page computes with (``2`` rather than ``2.0``).

    >>> number_text(2.0), number_text(0.1), number_text(-1e-05)
    ('2', '0.1', '-1e-05')
    """
    return value_text(float(number))


def _free(state: ValueState) -> dict[str, str]:
    return dict(state.free)


def _pairs(values: Mapping[str, str]) -> Pairs:
    return tuple(sorted(values.items()))


def _written(text: str, name: str, raw: str) -> str | None:
    """``text`` with the literal of ``name`` replaced by ``raw``'s value, or None when ``raw``
    is not a value or the text could not hold it (the result must read back to the same value)."""
    from ..language.values import to_value

    spans = literal_spans(text)
    if name not in spans:
        return None
    try:
        value = to_value(raw, name)
    except GnnError:
        return None
    if not np.all(np.isfinite(value)):
        return None  # a program spells no nan or infinity
    start, end = spans[name]
    if {f.name: f.default for f in input_fields(text)}.get(name) == value_text(value):
        return text  # the same value: the text keeps its own spelling (1.0, 6.8813735870195432)
    new = text[:start] + value_text(value) + text[end:]
    try:
        read = input_fields(new)
    except GnnError:
        return None
    back = {f.name: f.default for f in read}
    if back.get(name) != value_text(value) or name not in literal_spans(new):
        return None
    return new


def set_value(state: ValueState, name: str, raw: str) -> ValueState:
    """A value typed into ``name``'s field: written into the text when the text gives ``name``
    its value (and can hold this one), else kept as the field's entry."""
    free = _free(state)
    if name in literal_spans(state.text):
        new = _written(state.text, name, raw)
        if new is not None:
            free.pop(name, None)
            return ValueState(new, _pairs(free))
    free[name] = str(raw)
    return ValueState(state.text, _pairs(free))


def set_entry(state: ValueState, name: str, raw: str, kind: str) -> ValueState:
    """What was typed into ``name``'s field of ``kind`` (a number, a vector/matrix, a batch;
    :mod:`graphviz_nn.page.fields`): its value as :func:`set_value` takes it, or, when it is no
    value of that kind, the typed text kept as the field's entry so that :func:`page_inputs`
    (given the kinds) says why, with a caret under the typed text.

    >>> state = set_entry(ValueState("1/2 ||W x||^2"), "W", "[[1, 2], [0, -1]]", "array")
    >>> state.free
    (('W', '[[1, 2], [0, -1]]'),)
    >>> print(page_inputs(set_entry(state, "W", "[[1, 2], [0]]", "array"), {"W": "array"}).issue.message)
    W: the rows do not all have the same length (a matrix is rectangular) at column 12
      [[1, 2], [0]]
                 ^
    """
    from .fields import read_entry

    try:
        value = read_entry(name, raw, kind)
    except GnnError:
        free = _free(state)
        free[name] = str(raw)
        return ValueState(state.text, _pairs(free))
    return set_value(state, name, value)


def set_values(state: ValueState, values: Mapping[str, str]) -> ValueState:
    """Several field entries at once (a link's ``?v_x=2&v_y=3``), each as :func:`set_value`."""
    for name, raw in values.items():
        state = set_value(state, name, raw)
    return state


def edit_text(state: ValueState, text: str) -> ValueState:
    """A new text: its own values win; entries typed for inputs it leaves open stay."""
    given = literal_spans(text)
    free = {name: raw for name, raw in state.free if name not in given}
    return ValueState(text, _pairs(free))


def _entry_issue(text: str, name: str, raw: str) -> Issue:
    """Why the field of ``name`` (whose value the text gives) holds an entry the text did not take."""
    from ..language.values import to_value

    try:
        to_value(raw, name)
    except GnnError as err:
        return issue_of(err, text)
    start, end = literal_spans(text)[name]
    err = ValueInputError(f"{name} is given in the text as {name} = {text[start:end]}; "
                          f"{raw!r} cannot be written there (a program holds finite numbers and arrays "
                          f"of them): change the text or type a finite value")
    return issue_of(err, text)


def page_inputs(state: ValueState, kinds: Mapping[str, str] | None = None) -> PageInputs:
    """The fields of ``state.text`` with the value each shows (and the page computes with).
    ``kinds`` are the field kinds the user chose (name -> ``number``, ``array``, ``batch``); an
    entry that is no value of its field's kind is reported with a caret under the entry."""
    from .fields import field_kind, read_entry

    try:
        fields = input_fields(state.text)
    except Exception as exc:  # a text that cannot be read: the page shows why
        return PageInputs(issue=issue_of(exc, state.text))
    given = literal_spans(state.text)
    free = _free(state)
    values = []
    issue = None
    for f in fields:
        if f.name in given and f.name in free:
            issue = issue or _entry_issue(state.text, f.name, free[f.name])
            values.append((f.name, free[f.name]))
        elif f.name in given:
            values.append((f.name, f.default))
        else:
            raw = free.get(f.name, f.default)
            if f.name in free and kinds is not None and issue is None:
                try:
                    read_entry(f.name, raw, field_kind(raw, kinds.get(f.name)))
                except GnnError as err:
                    issue = issue_of(err, state.text)
            values.append((f.name, raw))
    return PageInputs(fields, tuple(values), issue, frozenset(given))
