"""The layer-network part of the app, as pure functions: spec form <-> TOML, steps, neuron view.

The page edits a network through a :class:`SpecForm`: the chain, loss, bias mode, init, seed
and a values editor holding the ``[values]`` table as TOML lines. A form becomes a
:class:`~graphviz_nn.networks.network.Network` with :func:`network`; an uploaded spec file becomes a
form with :func:`read_spec` (which rejects a bad file with the same ``GnnError`` the CLI
shows). The computation-graph view of a network is the ordinary pipeline over
``Network.program`` with :func:`program_values` and :func:`display_labels`.

>>> form = SpecForm(chain="Linear(2->2) -> ReLU -> Linear(2->1)", loss="half_sse", bias="folded",
...                 values_text="x = [1, 2]\\ny = 3\\nW1 = [[2, 1, 0], [0, 2, 0]]\\nW2 = [[0, 1, 2]]")
>>> res = network(form).evaluate()
>>> float(res.value), res.gradients["W2"].tolist()
(8.0, [[4.0, 12.0, 8.0]])
>>> print(values_toml({"x": 1, "W1": [[0.6000000000000001]], "b1": [-1.0]}))
x = 1
W1 = [[0.6]]
b1 = [-1]
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from ..errors import ParseError, RenderError, ValueInputError
from ..language.sources import decode
from ..networks.network import BIAS_MODES, Network, from_chain, parse_spec
from ..networks.layers import LOSSES
from .dispatch import bounded

__all__ = [
    "SpecForm",
    "StepResult",
    "NeuronView",
    "LOSS_CHOICES",
    "BIAS_CHOICES",
    "read_spec",
    "network",
    "spec_toml",
    "values_toml",
    "parse_init",
    "program_values",
    "display_labels",
    "take_steps",
    "neuron_view",
    "loss_of",
    "form_values",
    "chain_loss",
    "with_chain_loss",
    "edited_chain",
    "SHOWN_DIGITS",
]

LOSS_CHOICES: tuple[str, ...] = tuple(LOSSES)
BIAS_CHOICES: tuple[str, ...] = BIAS_MODES


@dataclass(frozen=True)
class SpecForm:
    """What the network form holds; hashable, so the app can cache on it.

    ``init`` is the text of the init field: empty (every parameter given), ``random``, or a
    number. ``values_text`` is the ``[values]`` table as TOML lines (``x = [1, 2]``).
    ``names`` (display names such as ``W1 -> alpha``) and ``title`` come from a spec file.
    ``exact_text`` holds trained values at full precision while ``values_text`` shows them
    rounded to :data:`SHOWN_DIGITS` digits: a value still shown as rounded is computed with its
    exact number, one edited by hand with what was typed.
    """

    chain: str
    loss: str = "none"
    bias: str = "separate"
    init: str = ""
    seed: int = 0
    values_text: str = ""
    names: tuple[tuple[str, str], ...] = ()
    title: str = ""
    exact_text: str = ""


#: Significant digits of trained values in the values editor (the computation keeps them all).
SHOWN_DIGITS = 6


# --------------------------------------------------------------------------- TOML


def _toml_number(value: float, exact: bool = False) -> str:
    """A float as TOML: integers without a point, others to 15 significant digits (``exact``:
    the shortest text that reads back as the same float)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(float(value)) if exact else f"{value:.15g}"
    return text if any(c in text for c in ".e") else text + ".0"


def _toml_value(value: Any, exact: bool = False) -> str:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return _toml_number(float(arr), exact)
    return "[" + ", ".join(_toml_value(v, exact) for v in arr) + "]"


def _toml_string(text: str) -> str:
    """A TOML basic string (JSON escapes are valid TOML escapes)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def values_toml(values: Mapping[str, Any], exact: bool = False) -> str:
    """The ``[values]`` lines for ``values`` (numbers or nested lists / arrays); ``exact`` writes
    every float so that it reads back bit for bit."""
    return "\n".join(f"{name} = {_toml_value(v, exact)}" for name, v in values.items())


def _rounded(value: Any, digits: int = SHOWN_DIGITS) -> Any:
    """``value`` to ``digits`` significant digits (what the editor shows)."""
    arr = np.asarray(value, dtype=float)
    shown = np.vectorize(lambda v: float(f"{v:.{digits}g}"), otypes=[float])(arr) if arr.size else arr
    return float(shown) if arr.ndim == 0 else shown


def form_values(form: SpecForm) -> dict[str, Any]:
    """The values the form computes with: what the editor holds, except that a value still
    showing the rounded trained number (6 digits after a step, 15 from a spec file) uses the
    exact number behind it."""
    values = _values(form.values_text)
    if not form.exact_text:
        return values
    exact = _values(form.exact_text)
    for name, typed in values.items():
        if name in exact:
            try:
                typed_arr = np.asarray(typed, dtype=float)
                if any(np.array_equal(typed_arr, np.asarray(_rounded(exact[name], d))) for d in (SHOWN_DIGITS, 15)):
                    values[name] = exact[name]
            except (TypeError, ValueError):
                continue  # an edit that is not a number array: the network reports it
    return values


def spec_toml(form: SpecForm) -> str:
    """The form as a spec file (what the download button hands out; :func:`read_spec` reads it)."""
    lines = ["[network]"]
    if form.title:
        lines.append(f"title = {_toml_string(form.title)}")
    lines.append(f"chain = {_toml_string(form.chain)}")
    lines.append(f"loss = {_toml_string(form.loss)}")
    lines.append(f"bias = {_toml_string(form.bias)}")
    init = parse_init(form.init)
    if init is not None:
        lines.append(f"init = {_toml_string(init) if isinstance(init, str) else _toml_number(init)}")
        lines.append(f"seed = {int(form.seed)}")
    if form.names:
        lines.append("names = { " + ", ".join(f"{k} = {_toml_string(v)}" for k, v in form.names) + " }")
    values = values_toml(form_values(form), exact=True) if form.exact_text else form.values_text.strip()
    return "\n".join(lines) + "\n\n[values]\n" + values + "\n"


def parse_init(text: str) -> str | float | None:
    """The init field: empty -> ``None``, ``random`` -> ``"random"``, a number -> float."""
    key = str(text).strip()
    if not key or key.lower() == "none":
        return None
    if key.lower() == "random":
        return "random"
    try:
        return float(key)
    except ValueError:
        raise ValueInputError(f"init must be empty, random or a number, got {key!r}") from None


def _values(values_text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(values_text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"values: TOML syntax error: {exc}. Write one value per line, "
                         "e.g. x = [1, 2] or W1 = [[2, 1], [0, 2]]") from None
    nested = [k for k, v in data.items() if isinstance(v, dict)]
    if nested:
        raise ValueInputError(f"values: {nested[0]} is a table; write {nested[0]} = a number or a list")
    return data


# --------------------------------------------------------------------------- form <-> network


@functools.lru_cache(maxsize=16)
def network(form: SpecForm) -> Network:
    """The network the form describes; raises ``GnnError`` (with a caret into the chain), a
    ``LimitError`` for more than ``pipeline.APP_MAX_PARAMETERS`` weights and biases. A loss the
    chain names wins over the Loss menu."""
    from .evaluations import APP_MAX_PARAMETERS

    form = with_chain_loss(form)
    if form.loss not in LOSSES:
        raise ValueInputError(f"unknown loss {form.loss!r}; valid losses: {', '.join(LOSSES)}")
    return from_chain(form.chain, form_values(form), loss=form.loss, bias=form.bias,
                      init=parse_init(form.init), seed=int(form.seed),
                      display_names=dict(form.names), title=form.title, max_parameters=APP_MAX_PARAMETERS)


def chain_loss(chain: str) -> str | None:
    """The loss a chain names at its end (``… -> MSE`` -> ``mse``), or ``None`` (also when the
    chain does not parse: the network reports that)."""
    from ..errors import GnnError
    from ..networks.layers import parse_chain

    try:
        return parse_chain(chain)[1]
    except GnnError:
        return None


def with_chain_loss(form: SpecForm) -> SpecForm:
    """The form with the loss its chain names, if it names one: ``… -> MSE`` sets the loss, as
    the chain field's own example promises, instead of clashing with the Loss menu."""
    named = chain_loss(form.chain)
    return replace(form, loss=named) if named is not None and named != form.loss else form


def edited_chain(form: SpecForm, chain: str) -> SpecForm:
    """The form after its chain was edited: display names of parameters the new network still
    has stay (``W1`` drawn as α), and so does the title, marked as edited."""
    new = with_chain_loss(replace(form, chain=chain))
    try:
        built = network(replace(new, names=()))
        params = set(built.parameters) | set(built.values)
    except Exception:  # the new chain does not build yet: keep the names for when it does
        params = {k for k, _ in form.names}
    title = form.title if not form.title or form.title.endswith("(edited)") else f"{form.title} (edited)"
    return replace(new, names=tuple((k, v) for k, v in form.names if k in params), title=title)


def read_spec(text: str | bytes, filename: str = "spec.toml") -> SpecForm:
    """An uploaded spec file (its text, or its bytes: UTF-8, a byte-order mark allowed) as a
    form; raises ``GnnError`` when the file is not a valid spec."""
    if isinstance(text, bytes):
        text = decode(text, filename)
    from .evaluations import APP_MAX_PARAMETERS

    net = parse_spec(text, filename, max_parameters=APP_MAX_PARAMETERS)  # the CLI's checks and messages
    data = tomllib.loads(text)
    head = data["network"]
    init = head.get("init")
    init_text = "" if init is None else str(init)
    values = data.get("values", {})
    shown, exact = values_toml(values), values_toml(values, exact=True)
    return SpecForm(chain=net.chain, loss=net.loss, bias=net.bias, init=init_text,
                    seed=int(head.get("seed", 0)), values_text=shown, exact_text="" if exact == shown else exact,
                    names=tuple((str(k), str(v)) for k, v in head.get("names", {}).items()),
                    title=net.title)


def program_values(net: Network) -> tuple[tuple[str, str], ...]:
    """The network's values as (name, field text) pairs for :func:`pipeline.build_view`."""
    from .evaluations import value_text

    return tuple((name, value_text(v)) for name, v in net.values.items())


def display_labels(net: Network) -> tuple[tuple[str, str], ...]:
    """Display names to draw (``W1`` as ``α``), as (name, shown name) pairs."""
    return tuple(sorted((str(k), str(v)) for k, v in net.display_names.items()))


# --------------------------------------------------------------------------- gradient descent


@dataclass(frozen=True)
class StepResult:
    """After ``steps`` updates: the new form and the loss before each update and after the last."""

    form: SpecForm
    losses: tuple[float, ...]


@bounded()
def take_steps(form: SpecForm, lr: float, steps: int = 1) -> StepResult:
    """``steps`` gradient-descent updates of every parameter with learning rate ``lr``.

    The new form holds every value (parameters an init filled in included), so the values
    editor shows what the next step starts from. Raises ``GnnError`` without a loss.
    """
    if not math.isfinite(lr):
        raise ValueInputError(f"the learning rate must be a finite number, got {lr!r}")
    result = network(form).train(int(steps), float(lr))
    values = {name: _as_written(name, v) for name, v in result.network.values.items()}
    shown = {name: _rounded(v) for name, v in values.items()}
    return StepResult(replace(form, values_text=values_toml(shown), exact_text=values_toml(values, exact=True)),
                      tuple(result.losses))


def _as_written(name: str, value: Any) -> Any:
    """One-unit values as a sheet writes them: ``W1 = 0.6`` rather than ``W1 = [[0.6]]``.

    ``from_chain`` reads a scalar weight, bias, input or target of a one-unit layer back into
    the same shape, so nothing changes but the text; so does a target of one value per row
    (``y = [0, 1]`` for an N×1 output).
    """
    shape = np.shape(value)
    if (name[:1] == "W" and shape == (1, 1)) or (name[:1] in "bxy" and shape == (1,)):
        return float(np.asarray(value).reshape(-1)[0])
    if name == "y" and len(shape) == 2 and shape[1] == 1 and shape[0] > 1:
        return np.asarray(value).reshape(-1)
    return value


def loss_of(form: SpecForm) -> float:
    """The summed loss (or output) of the form's network."""
    return float(np.sum(network(form).evaluate().value))


# --------------------------------------------------------------------------- neuron view


@dataclass(frozen=True)
class NeuronView:
    """The neuron-level drawing, or why there is none (``message``: fall back to the graph)."""

    svg: str = ""
    message: str = ""


@bounded(over=lambda err, *args, **kwargs: NeuronView(message=err.message))
@functools.lru_cache(maxsize=64)
def neuron_view(form: SpecForm, show_weights: bool = True, show_weight_grads: bool = False,
                show_values: bool = True, show_grads: bool = True, rankdir: str = "LR",
                digits: int = 4) -> NeuronView:
    """The neuron view of the form's network; a network too big to draw gives a message."""
    from ..draw.neurons import NeuronOptions
    from ..export.files import neuron_svg

    net = network(form)
    options = NeuronOptions(show_weights=show_weights, show_weight_grads=show_weight_grads,
                            show_values=show_values, show_grads=show_grads, rankdir=rankdir,
                            digits=digits)
    try:
        return NeuronView(svg=neuron_svg(net, net.evaluate(), options))
    except RenderError as err:
        return NeuronView(message=err.render())
