"""Evaluate one text for many values: parse, build and compile once, then run the schedule.

:func:`prepare` reads a text with starting values; :meth:`Prepared.evaluate` takes changed
values and returns the same :class:`~graphviz_nn.core.api.Evaluation` that :func:`evaluate`
would (equal value, gradients, trace, warnings and graph attributes), without parsing or
building again. The work per call is the compiled schedule's run
(:mod:`graphviz_nn.core.schedule`): values, gradients and the trace stay in its arrays, and the
networkx graph is copied and filled only when something reads ``res.graph`` (a drawing, JSON).

A new value with another shape, or a value for a name the text would read differently (``xy``
as one name rather than x·y), builds again; the last few builds are kept.

>>> p = prepare("a = x*y + x; b = relu(a)*y", {"x": 2, "y": 3})
>>> p.evaluate().value, p.evaluate({"y": -1}).gradients
(24.0, {'x': 0.0, 'y': 0.0})
>>> p.evaluate({"x": 1}).gradients
{'x': 12.0, 'y': 7.0}
"""

from __future__ import annotations

import threading
from functools import partial
from collections import OrderedDict
from typing import Any, Mapping

import networkx as nx
import numpy as np

from .api import Evaluation, assigned_in, evaluation_warnings
from ..errors import GnnError, ParseError
from .graph import MAX_NODES, build_nodes
from .nodes import Nodes
from ..language.guards import GcPaused
from ..language.parser import MAX_CHARS, MAX_DEPTH, parse
from .schedule import Schedule, Trace, compile_schedule
from ..language.syntax import Program
from ..language.values import owned_values

__all__ = ["Prepared", "prepare", "evaluate"]

KEEP_BUILDS = 4
"""How many builds (one per set of names and shapes) a :class:`Prepared` keeps."""


class _Build:
    """One parse and build of the text for given names and shapes (a node table), its compiled
    schedule, and the networkx graph when something first reads it."""

    def __init__(self, program: Program, nodes: Nodes, constant_grads: bool = False):
        self.nodes = nodes
        self.schedule: Schedule = compile_schedule(nodes, constant_grads)
        self.assigned = assigned_in(program)
        self.inputs = nodes.inputs  # name -> node index
        self.output = f"n{nodes.output}"
        self.notes = [ParseError(message, span, program.source).render() for message, span in program.notes]
        self._graph: nx.MultiDiGraph | None = None
        for value in nodes.const.values():  # every evaluation shares the built constants
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    def input_ids(self) -> dict[str, str]:
        """Input name -> node id (a new dict each call)."""
        return {name: f"n{i}" for name, i in self.inputs.items()}

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The built graph without values (made on first read)."""
        if self._graph is None:
            self._graph = self.nodes.to_graph()
        return self._graph


class _Values:
    """Values ready to run on a build: all merged, those the build uses, those it does not."""

    def __init__(self, build: _Build, given: dict[str, Any], merged: dict[str, Any], shapes: dict[str, tuple]):
        self.build = build
        self.given = given
        self.merged = merged
        self.shapes = shapes
        self.used = {name: merged[name] for name in build.inputs}
        self.unused = set(given) - set(build.inputs) - build.assigned
        self._leaves: np.ndarray | None = None

    def leaves(self, changes: dict[str, Any] | None = None) -> np.ndarray:
        """The scalar leaves' values as the schedule takes them (made once), or a copy with
        ``changes`` (values :meth:`updated` accepted)."""
        if self._leaves is None:
            self._leaves = self.build.schedule.leaf_values(self.used)
            self._leaves.setflags(write=False)
        if not changes:
            return self._leaves
        slots = self.build.schedule.input_slot
        leaves = self._leaves.copy()
        for name, value in changes.items():
            if name in slots:
                leaves[slots[name]] = value
        return leaves

    def updated(self, changes: dict[str, Any]) -> dict[str, Any] | None:
        """The values the build uses, with ``changes``, when the same build still fits them
        (every changed name already given, with its shape); ``None`` when the text must be
        read again. Names the build does not use change nothing."""
        shapes = self.shapes
        if not all(name in shapes and (shapes[name] == () if type(value) is float else np.shape(value) == shapes[name])
                   for name, value in changes.items()):
            return None
        used = self.used
        return {**used, **{k: v for k, v in changes.items() if k in used}}


class Prepared:
    """A text read once, evaluated for any values (see :func:`prepare`)."""

    def __init__(self, text: str, values: Mapping[str, Any] | None = None, *, merge: bool = True,
                 constant_grads: bool = False, max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS,
                 max_nodes: int = MAX_NODES):
        self.text = text
        self.constant_grads = constant_grads
        self._options = dict(merge=merge, max_nodes=max_nodes)
        self._parse_options = dict(max_depth=max_depth, max_chars=max_chars)
        self._builds: OrderedDict[tuple, _Build] = OrderedDict()
        self._defaults: dict[frozenset[str], dict[str, Any]] = {}  # given names -> the text's own values
        self._lock = threading.Lock()  # one Prepared may serve several threads (the app)
        self._start = self._values_for(owned_values(values))  # bad text fails here

    def evaluate(self, values: Mapping[str, Any] | None = None) -> Evaluation:
        """Evaluate with ``values`` replacing the ones given to :func:`prepare` (any spelling
        of a name; numbers, lists, arrays or text, as :func:`evaluate` takes them)."""
        state = self._start
        used = state.used
        changes = None
        if values:
            changes = owned_values(values)
            fits = state.updated(changes)
            if fits is not None:
                used = fits
            else:
                state = self._values_for({**state.given, **changes})
                used, changes = state.used, None
        build = state.build
        nodes, schedule = build.nodes, build.schedule
        result = schedule.compute(used, state.leaves(changes))
        nonfinite = result.nonfinite  # checked when first read (made once)
        return Evaluation(
            source=self.text, _canonical=lambda: nodes.canonical, trace=Trace(result),
            value=result.node_value(schedule.output), _gradients=result.input_gradients,
            output=build.output, output_name=nodes.output_name,
            _inputs=build.input_ids, values=used if used is not state.used else dict(used), _nonfinite=nonfinite,
            _warnings=lambda: evaluation_warnings(build.notes, nonfinite(), state.unused, lambda: build.graph),
            _reading=lambda: nodes.reading, n_nodes=schedule.n_nodes,
            _graph=lambda: _filled(nodes, result, nonfinite()))

    def _parse(self, names: frozenset[str]) -> Program:
        """The syntax tree of the text with ``names`` given values (the tree is not kept: a
        build needs it once, and ``canonical`` / ``reading`` read it again if asked)."""
        return parse(self.text, names, **self._parse_options)

    def _values_for(self, given: dict[str, Any]) -> _Values:
        """Read and build for these names and shapes (or reuse a kept build)."""
        names = frozenset(given)
        try:
            with self._lock, GcPaused():  # parse, build and compile make no reference cycles
                defaults = self._defaults.get(names)
                program = None
                if defaults is None:
                    program = self._parse(names)
                    if len(self._defaults) >= KEEP_BUILDS:
                        self._defaults.clear()
                    defaults = self._defaults[names] = program.defaults
                merged = {**defaults, **given}
                shapes = {name: () if type(value) is float else np.shape(value) for name, value in merged.items()}
                key = (names, tuple(sorted((name, shape) for name, shape in shapes.items() if shape != ())))
                build = self._builds.get(key)
                if build is None:
                    if program is None:
                        program = self._parse(names)
                    nodes = build_nodes(program, merged, **self._options)
                    build = _Build(program, nodes, self.constant_grads)
                    # The tree goes while the collector is paused, so it never walks it.
                    nodes.forget_program(partial(parse, self.text, names, **self._parse_options))
                    del program
                    self._builds[key] = build
                    while len(self._builds) > KEEP_BUILDS:
                        self._builds.popitem(last=False)
                else:
                    self._builds.move_to_end(key)
        except GnnError as err:
            raise err.with_source(self.text) from None
        return _Values(build, given, merged, shapes)


def _filled(nodes: Nodes, result: Any, nonfinite: list[str]) -> nx.MultiDiGraph:
    """The built graph with one run's attributes, as the engine sets them."""
    graph = nodes.to_graph()
    result.write_back(graph, nonfinite)
    return graph


def evaluate(text: str, values: Mapping[str, Any] | None = None, *, merge: bool = True,
             constant_grads: bool = False, max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS,
             max_nodes: int = MAX_NODES) -> Evaluation:
    """Parse, build the graph, run forward and backward passes (this is ``gnn.evaluate``).

    ``values`` maps input names (any spelling: ``α``, ``alpha``, ``\\alpha``) to numbers,
    nested lists, arrays or JSON text. Values given in the text (``x = 2``) are defaults that
    ``values`` overrides. Constants get no gradient and no backward step (as in PyTorch)
    unless ``constant_grads=True``. Raises a :class:`~graphviz_nn.errors.GnnError` subclass
    on bad input.
    It is ``prepare(text, values).evaluate()``: the CLI, the app, networks and plots all run the
    compiled schedule.

    >>> evaluate("x^2 + 3xy", {"x": 2, "y": 1}).gradients
    {'x': 7.0, 'y': 6.0}
    """
    return Prepared(text, values, merge=merge, constant_grads=constant_grads, max_depth=max_depth,
                    max_chars=max_chars, max_nodes=max_nodes).evaluate()


def prepare(text: str, values: Mapping[str, Any] | None = None, **options: Any) -> Prepared:
    """Parse, build and compile ``text`` once for repeated :meth:`Prepared.evaluate` calls.

    ``values`` are the starting values and must cover every input the text does not give a
    value itself (each ``evaluate`` may replace some); ``options`` are
    :func:`evaluate`'s (``merge``, ``constant_grads``, ``max_depth``, ``max_chars``,
    ``max_nodes``). Raises a
    :class:`~graphviz_nn.errors.GnnError` subclass on bad text or values.
    """
    return Prepared(text, values, **options)
