"""Neural-network specs: a layer chain plus values, from a TOML file or from arguments.

A :class:`Network` expands into a program (see :mod:`graphviz_nn.networks.layers`) and evaluates with the
same engine as any expression. ``step(lr)`` applies one gradient-descent update to every
parameter; ``train(steps, lr)`` records the loss per step.

>>> net = from_chain("Linear(2->2) -> ReLU -> Linear(2->1)", loss="half_sse", bias="folded",
...                  values={"x": [1, 2], "y": 3, "W1": [[2, 1, 0], [0, 2, 0]], "W2": [[0, 1, 2]]})
>>> res = net.evaluate()
>>> float(res.value), res.gradients["W2"].tolist(), res.gradients["W1"].tolist()
(8.0, [[4.0, 12.0, 8.0]], [[4.0, 4.0, 8.0], [8.0, 8.0, 16.0]])
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from ..core.api import Evaluation
from ..core.prepared import evaluate
from ..errors import GnnError, LimitError, MissingValueError, ParseError, ShapeError, ValueInputError, visible
from ..language import values as _values_module
from .layers import LOSSES, Layer, linear_layers, parse_chain, program_text
from ..language.names import MAX_DISPLAY_NAME_CHARS, MAX_TITLE_CHARS, display_label, text_problem
from ..ops import format_shape
from ..core.schedule import compile_schedule
from ..language.sources import read_text
from ..language.values import normalize_values

__all__ = ["Network", "TrainingResult", "from_chain", "load_spec", "parse_spec", "parameter_shapes",
           "BIAS_MODES", "SPEC_KEYS", "MAX_PARAMETERS"]

BIAS_MODES = ("separate", "folded")
SPEC_KEYS = {"chain", "loss", "bias", "init", "seed", "title", "names"}
MAX_PARAMETERS = 10_000_000
"""Most weights and biases one network may hold, counted from the chain before any is made."""


@dataclass(frozen=True)
class TrainingResult:
    """Loss before each step, and the network after the last one."""

    losses: list[float]
    network: "Network"


@dataclass(frozen=True)
class Network:
    """A layer chain with its loss, bias mode and values (inputs, target and parameters)."""

    chain: str
    layers: tuple[Layer, ...]
    loss: str
    bias: str
    values: Mapping[str, Any]
    display_names: Mapping[str, str] = field(default_factory=dict)
    title: str = ""

    @property
    def batch(self) -> bool:
        """True when ``x`` holds several rows (one example per row)."""
        return np.ndim(self.values["x"]) == 2

    @property
    def program(self) -> str:
        """The statements the chain expands into."""
        rows = int(np.shape(self.values["x"])[0]) if self.batch else None
        return program_text(list(self.layers), self.loss, self.bias, batch=self.batch, rows=rows)

    @property
    def parameters(self) -> list[str]:
        """``W1, b1, W2, …`` in layer order."""
        names = []
        for k, _layer in enumerate(linear_layers(list(self.layers)), start=1):
            names.append(f"W{k}")
            if self.bias != "folded":
                names.append(f"b{k}")
        return names

    def evaluate(self) -> Evaluation:
        """Forward and backward pass; display names (``W1`` drawn as ``α``) are applied."""
        res = evaluate(self.program, self.values)
        for name, shown in self.display_names.items():
            node = res.inputs.get(name)
            if node is not None:
                res.graph.nodes[node]["label"] = display_label(shown)
                res.graph.nodes[node]["shown"] = shown
        return res

    def step(self, lr: float) -> tuple["Network", Evaluation]:
        """One gradient-descent update of every parameter; returns the new network and the
        evaluation the update used."""
        res = self.evaluate()
        updated = dict(self.values)
        for name in self.parameters:
            updated[name] = np.asarray(self.values[name], dtype=float) - lr * np.asarray(res.gradients[name])
        return replace(self, values=updated), res

    def train(self, steps: int, lr: float) -> TrainingResult:
        """``steps`` updates; ``losses[i]`` is the loss before update ``i`` (then after the last)."""
        if self.loss == "none":
            raise ValueInputError("training needs a loss: set loss = \"mse\" (or another) in the spec")
        res = self.evaluate()
        schedule = compile_schedule(res.graph)  # parse, build and compile once; run every step
        values = {name: res.values[name] for name in res.inputs}
        losses = []
        with np.errstate(all="ignore"):  # a diverging run shows as inf/nan losses, not warnings
            for _ in range(max(0, int(steps))):
                loss, grads = schedule.gradients(values)
                losses.append(float(np.sum(loss)))
                for name in self.parameters:
                    values[name] = np.asarray(values[name], dtype=float) - lr * np.asarray(grads[name])
            losses.append(float(np.sum(schedule.gradients(values)[0])))
        updated = {**self.values, **{name: values[name] for name in self.parameters}}
        return TrainingResult(losses, replace(self, values=updated))


def from_chain(chain: str, values: Mapping[str, Any] | None = None, *, loss: str | None = None,
               bias: str = "separate", init: Any = None, seed: int = 0,
               display_names: Mapping[str, str] | None = None, title: str = "",
               max_parameters: int | None = None) -> Network:
    """Build a :class:`Network` from a chain, checking every shape against the values.

    The parameter count is read from the chain (and the width of ``x``) before any parameter
    is made, so a chain over ``max_parameters`` (default :data:`MAX_PARAMETERS`) raises
    ``LimitError`` without allocating.
    """
    layers, chain_loss = parse_chain(chain)
    loss = _choose_loss(loss, chain_loss, chain)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueInputError(f"seed must be a whole number >= 0, got {seed!r}")
    if bias not in BIAS_MODES:
        raise ValueInputError(f"bias must be one of {', '.join(BIAS_MODES)}, got {bias!r}")
    _check_texts(title, display_names or {})
    vals = _shape_values(normalize_values(values), layers, bias)
    _check_size(vals, layers, bias, chain, MAX_PARAMETERS if max_parameters is None else max_parameters)
    vals = _initialise(vals, layers, bias, init, seed, chain)
    vals = _check_shapes(vals, layers, bias, loss, chain)
    return Network(chain, tuple(layers), loss, bias, vals, dict(display_names or {}), title)


def _check_texts(title: str, display_names: Mapping[str, str]) -> None:
    """Titles and display names are short plain text: no control characters (they would break
    every drawing and reach the terminal as they are)."""
    problem = text_problem(title, MAX_TITLE_CHARS)
    if problem:
        raise ValueInputError(f"the title {problem}")
    for name, shown in display_names.items():
        problem = text_problem(str(name), MAX_DISPLAY_NAME_CHARS) or text_problem(str(shown), MAX_DISPLAY_NAME_CHARS)
        if problem:
            raise ValueInputError(f"the display name {visible(str(name))} = {visible(str(shown))[:MAX_DISPLAY_NAME_CHARS]!r} "
                                  f"{problem}")


def _choose_loss(loss: str | None, chain_loss: str | None, chain: str) -> str:
    if loss is not None:
        key = loss.strip().lower()
        if key not in LOSSES:
            raise ValueInputError(f"unknown loss {loss!r}; valid losses: {', '.join(LOSSES)}")
        if chain_loss is not None and chain_loss != key:
            raise ValueInputError(f"the chain ends with loss {chain_loss} but loss {key!r} was also given; "
                                  "name the loss once")
        return key
    return chain_loss or "none"


def _shape_values(vals: dict[str, Any], layers: list[Layer], bias: str) -> dict[str, Any]:
    """Accept the shapes sheets write: scalar weights of 1-unit layers, column vectors."""
    out = dict(vals)
    for k in range(1, len(linear_layers(layers)) + 1):
        if f"W{k}" in out and np.ndim(out[f"W{k}"]) == 0:
            out[f"W{k}"] = np.array([[out[f"W{k}"]]], dtype=float)
        if f"W{k}" in out and np.ndim(out[f"W{k}"]) == 1:
            out[f"W{k}"] = np.asarray(out[f"W{k}"], dtype=float)[np.newaxis]
        if f"b{k}" in out and np.ndim(out[f"b{k}"]) == 0:
            out[f"b{k}"] = np.array([out[f"b{k}"]], dtype=float)
        if f"b{k}" in out and np.ndim(out[f"b{k}"]) == 2 and np.shape(out[f"b{k}"])[1] == 1:
            out[f"b{k}"] = np.asarray(out[f"b{k}"], dtype=float)[:, 0]
    if "x" in out:
        x = out["x"]
        if np.ndim(x) == 0:
            out["x"] = np.array([x], dtype=float)
        elif np.ndim(x) == 2 and np.shape(x)[1] == 1 and np.shape(x)[0] > 1 and _first_in(layers) not in (None, 1):
            out["x"] = np.asarray(x, dtype=float)[:, 0]
    if "y" in out and np.ndim(out["y"]) == 2 and np.shape(out["y"])[1] == 1 and np.ndim(out.get("x", 0)) < 2:
        out["y"] = np.asarray(out["y"], dtype=float)[:, 0]
    return out


def _first_in(layers: list[Layer]) -> int | None:
    return linear_layers(layers)[0].in_features


def parameter_shapes(layers: list[Layer], bias: str, features: int) -> list[tuple[str, tuple[int, int] | tuple[int], Layer]]:
    """``(name, shape, layer)`` of every parameter the chain needs when ``x`` has ``features``
    features (declared input sizes win, as for the init); whole Python numbers, nothing allocated."""
    shapes: list[tuple[str, tuple[int, int] | tuple[int], Layer]] = []
    for k, layer in enumerate(linear_layers(layers), start=1):
        fan_in = layer.in_features if layer.in_features is not None else features
        n_out = layer.out_features if layer.out_features is not None else 1
        shapes.append((f"W{k}", (n_out, fan_in + (1 if bias == "folded" else 0)), layer))
        if bias != "folded":
            shapes.append((f"b{k}", (n_out,), layer))
        features = n_out
    return shapes


def _check_size(vals: Mapping[str, Any], layers: list[Layer], bias: str, chain: str, limit: int) -> None:
    """Raise ``LimitError`` when the chain's parameters would pass ``limit`` entries in all, or
    one of them, or one layer's outputs for the batch in ``x``, would pass ``values.MAX_ELEMENTS``."""
    if "x" not in vals:
        return  # _initialise names the missing x
    sized = [(name, shape, layer, math.prod(shape))
             for name, shape, layer in parameter_shapes(layers, bias, int(np.shape(vals["x"])[-1]))]
    per_value = _values_module.MAX_ELEMENTS
    for name, shape, layer, size in sized:
        if size > per_value:
            raise LimitError(f"{name} of this chain would have {size:,} entries ({_dims(shape)}); "
                             f"the limit is {per_value:,} entries per value", layer.span, chain)
    rows = math.prod(int(n) for n in np.shape(vals["x"])[:-1])  # examples in a batch (1 without one)
    for name, shape, layer, _ in sized:
        if name[0] == "W" and rows * shape[0] > per_value:
            raise LimitError(f"the outputs of this layer would have {rows * shape[0]:,} entries ({rows:,} examples × "
                             f"{shape[0]:,} units); the limit is {per_value:,} entries per value", layer.span, chain)
    total = sum(size for *_, size in sized)
    if total > limit:
        name, shape, layer, _ = max(sized, key=lambda item: item[3])
        raise LimitError(f"this network would have {total:,} parameters; the limit is {limit:,} "
                         f"(the largest is {name}, {_dims(shape)})", layer.span, chain)


def _dims(shape: tuple[int, ...]) -> str:
    return " × ".join(f"{n:,}" for n in shape)


def _initialise(vals: dict[str, Any], layers: list[Layer], bias: str, init: Any, seed: int,
                chain: str) -> dict[str, Any]:
    out = dict(vals)
    missing = [n for n in ("x",) if n not in out]
    if missing:
        raise MissingValueError(missing)
    features = int(np.shape(out["x"])[-1])
    rng = np.random.default_rng(seed)
    absent: list[str] = []
    for k, layer in enumerate(linear_layers(layers), start=1):
        fan_in = layer.in_features if layer.in_features is not None else features
        n_out = layer.out_features
        if n_out is None:
            raise ParseError(f"Linear {k} needs its number of outputs", layer.span, chain)
        cols = fan_in + (1 if bias == "folded" else 0)
        for name, shape in ((f"W{k}", (n_out, cols)), (f"b{k}", (n_out,))):
            if name.startswith("b") and bias == "folded" or name in out:
                continue
            if init is None:
                absent.append(name)
            elif isinstance(init, str) and init.lower() == "random":
                out[name] = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=shape) if name[0] == "W" else np.zeros(shape)
            elif isinstance(init, (int, float)) and not isinstance(init, bool):
                out[name] = np.full(shape, float(init))
            else:
                raise ValueInputError(f"init must be \"random\" or a number, got {init!r}")
        features = n_out
    if absent:
        raise MissingValueError(absent)
    return out


def _count(n: int, word: str) -> str:
    """``1 output``, ``2 outputs``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _check_shapes(vals: Mapping[str, Any], layers: list[Layer], bias: str, loss: str,
                  chain: str) -> dict[str, Any]:
    """Check every parameter's shape and the target's against the network's output; return the
    values with a length-N target of an N×1 output read as one value per row (N×1), so the loss
    compares row with row instead of broadcasting to N×N."""
    out = dict(vals)
    features = int(np.shape(vals["x"])[-1])
    folded = bias == "folded"
    for k, layer in enumerate(linear_layers(layers), start=1):
        where = f"Linear {k}"
        if layer.in_features is not None and layer.in_features != features:
            raise ShapeError(f"{where}: declared {_count(layer.in_features, 'input')} but its input has "
                             f"{_count(features, 'feature')}", layer.span, chain)
        w = np.shape(vals[f"W{k}"])
        rows = layer.out_features if layer.out_features is not None else (w[0] if w else 1)
        expected = (rows, features + (1 if folded else 0))
        if w != expected:
            why = f"{_count(rows, 'output')} × {_count(features, 'input feature')}" + (" + 1 folded bias" if folded else "")
            raise ShapeError(f"{where}: W{k} is {format_shape(w)} but must be {format_shape(expected)} ({why})",
                             layer.span, chain)
        if not folded:
            b = np.shape(vals[f"b{k}"])
            if b != (rows,):
                raise ShapeError(f"{where}: b{k} is {format_shape(b)} but the layer has {_count(rows, 'output')}",
                                 layer.span, chain)
        features = rows
    if loss != "none":
        if "y" not in vals:
            raise MissingValueError(["y"])
        y = tuple(np.shape(vals["y"]))
        out_shape = tuple(np.shape(vals["x"])[:-1]) + (features,)
        per_row = len(out_shape) == 2 and out_shape[1] == 1 and y == out_shape[:1]
        if not (y == out_shape or (y == () and out_shape == (1,)) or per_row):
            raise ShapeError(f"the target y is {format_shape(y)} but the network outputs {format_shape(out_shape)}",
                             (0, len(chain)), chain)
        if per_row:
            out["y"] = np.asarray(vals["y"], dtype=float).reshape(out_shape)
    return out


def parse_spec(text: str, filename: str = "spec.toml", *, max_parameters: int | None = None) -> Network:
    """Read a TOML spec (``[network]`` and ``[values]`` tables); ``max_parameters`` as for
    :func:`from_chain`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"{filename}: TOML syntax error: {exc}") from None
    except RecursionError:
        raise LimitError(f"{filename}: nested too deeply to read (arrays or tables inside one another)") from None
    except ValueError:  # Python refuses to read a whole number of more than 4,300 digits
        long = re.search(r"[0-9_]{4300,}", text)
        line = text.count("\n", 0, long.start()) + 1 if long else 0
        raise ValueInputError(f"{filename}: line {line}: a whole number of more than 4,300 digits, "
                              "too large for a float") from None
    stray = sorted(k for k in set(data) - {"network", "values"} if k in SPEC_KEYS)
    if stray:
        raise ValueInputError(f"{filename}: {stray[0]} must be inside [network]; a spec has [network] and [values]")
    unknown_tables = set(data) - {"network", "values"}
    if unknown_tables:
        raise ValueInputError(f"{filename}: unknown table(s) {', '.join(sorted(unknown_tables))}; "
                              "a spec has [network] and [values]")
    net = data.get("network")
    if not isinstance(net, dict) or "chain" not in net:
        raise ValueInputError(f"{filename}: [network] needs chain = \"Linear(2->2) -> ReLU -> Linear(2->1)\"")
    unknown = set(net) - SPEC_KEYS
    if unknown:
        raise ValueInputError(f"{filename}: unknown key(s) in [network]: {', '.join(sorted(unknown))}; "
                              f"valid keys: {', '.join(sorted(SPEC_KEYS))}")
    values = data.get("values", {})
    if not isinstance(values, dict):
        raise ValueInputError(f"{filename}: values must be a table: [values] with lines like x = [1, 2]")
    for key in ("chain", "loss", "bias", "title"):
        if key in net and not isinstance(net[key], str):
            raise ValueInputError(f"{filename}: {key} must be text in quotes, got {net[key]!r}")
    init = net.get("init")
    if isinstance(init, int) and not isinstance(init, bool) and abs(init) > 2 ** 1023:
        raise ValueInputError(f"{filename}: init is a whole number too large for a float")
    if init is not None and (isinstance(init, bool) or not isinstance(init, (str, int, float))):
        raise ValueInputError(f"{filename}: init must be \"random\" or a number, got {init!r}")
    seed = net.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueInputError(f"{filename}: seed must be a whole number >= 0, got {seed!r}")
    names = net.get("names", {})
    if not isinstance(names, dict):
        raise ValueInputError(f"{filename}: names must be a table like names = {{ W1 = \"alpha\" }}")
    for key, shown in names.items():
        if not isinstance(shown, str):
            raise ValueInputError(f"{filename}: names must map names to text, like names = {{ W1 = \"alpha\" }}; "
                                  f"got {key} = {shown!r}")
    try:
        return from_chain(net["chain"], values, loss=net.get("loss"), bias=net.get("bias", "separate"),
                          init=init, seed=seed, display_names={str(k): v for k, v in names.items()},
                          title=net.get("title", ""), max_parameters=max_parameters)
    except GnnError as err:
        if err.source is None:
            err.message = f"{filename}: {err.message}"
        raise


def load_spec(path: str) -> Network:
    """Read a spec file (``.toml``)."""
    return parse_spec(read_text(path), path)
