"""Layer chains (``Linear(2->2) -> ReLU -> Linear(2->1)``) -> a program in our own language.

A chain expands into ordinary statements (``z1 = W1 x + b1``, ``a1 = relu(z1)``, …) that the
same parser, graph builder and engine evaluate: there is no second engine. The parameters of
the k-th Linear layer are ``W{k}`` (out × in) and ``b{k}``; with a folded bias, ``W{k}`` has an
extra first column that multiplies a constant 1 and there is no ``b{k}``.

>>> layers, loss = parse_chain("Linear(2->2) -> ReLU -> Linear(2->1) -> MSE")
>>> [l.kind for l in layers], loss
(['linear', 'relu', 'linear'], 'mse')
>>> print(program_text(layers, "half_sse", "folded", batch=False))
z1 = W1 [1, x]
a1 = relu(z1)
yhat = W2 [1, a1]
L = 1/2 sum((yhat - y)^2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import LimitError, ParseError
from ..language import values

__all__ = ["Layer", "Statement", "statements", "parse_chain", "program_text", "loss_statement", "ACTIVATIONS", "LOSSES", "linear_layers"]

ACTIVATIONS = {
    "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "identity": "",
    "leakyrelu": "leaky_relu", "softplus": "softplus", "gelu": "gelu", "softmax": "softmax",
}
"""Activation layer names (lower case, no underscores) -> function of the language."""

LOSSES = {
    "mse": "L = mean((yhat - y)^2)",
    "sse": "L = sum((yhat - y)^2)",
    "half_sse": "L = 1/2 sum((yhat - y)^2)",
    "bce": "L = mean(-(y * log(yhat) + (1 - y) * log(1 - yhat)))",
    "cross_entropy": "L = -sum(y * log(softmax(yhat)))",
    "none": "",
}
"""Loss name -> the statement it adds (for one example; see :func:`loss_statement` for a batch).
Every reduction is PyTorch's default: ``mse`` and ``bce`` average over every entry
(``MSELoss``, ``BCELoss``), ``cross_entropy`` sums over the classes and averages over the
batch (``CrossEntropyLoss`` with class probabilities as targets); ``sse`` and ``half_sse``
are sums (``MSELoss(reduction="sum")``, and half of it). docs/LANGUAGE.md has the table."""


def loss_statement(loss: str, rows: int | None = None) -> str:
    """The statement a loss adds; with ``rows`` (a batch of that many examples, one per row)
    cross-entropy is divided by the batch size, as PyTorch's mean over the batch."""
    text = LOSSES[loss]
    if loss == "cross_entropy" and rows is not None and rows != 1:
        return f"L = -sum(y * log(softmax(yhat))) / {rows}"
    return text

_LOSS_ALIASES = {"mse": "mse", "sse": "sse", "halfsse": "half_sse", "half_sse": "half_sse",
                 "bce": "bce", "crossentropy": "cross_entropy", "cross_entropy": "cross_entropy",
                 "ce": "cross_entropy", "none": "none"}

_TOKEN = re.compile(r"\s*(?:(?P<num>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<arrow>->|→)|(?P<punct>[(),*·×]))")


@dataclass(frozen=True)
class Layer:
    """One layer: ``kind`` is ``linear`` or an activation; ``span`` locates it in the chain."""

    kind: str
    span: tuple[int, int]
    in_features: int | None = None
    out_features: int | None = None
    param: float | None = None
    scale: float = 1.0
    text: str = ""


def linear_layers(layers: list[Layer]) -> list[Layer]:
    """The Linear layers, in order (the k-th owns ``W{k}`` and ``b{k}``)."""
    return [layer for layer in layers if layer.kind == "linear"]


def _tokens(chain: str) -> list[tuple[str, str, tuple[int, int]]]:
    pos = 0
    found = []
    while pos < len(chain):
        if chain[pos:].strip() == "":
            break
        m = _TOKEN.match(chain, pos)
        if m is None or m.end() == pos:
            bad = len(chain[pos:]) - len(chain[pos:].lstrip())
            raise ParseError(f"unexpected {chain[pos + bad]!r} in the layer chain", (pos + bad, pos + bad + 1), chain)
        kind = m.lastgroup or "punct"
        found.append((kind, m.group(kind), (m.start(kind), m.end(kind))))
        pos = m.end()
    return found


def parse_chain(chain: str) -> tuple[list[Layer], str | None]:
    """Read a chain; return its layers and the loss named at its end (or ``None``)."""
    toks = _tokens(chain)
    if not toks:
        raise ParseError("empty layer chain: write e.g. Linear(2->2) -> ReLU -> Linear(2->1)", (0, 0), chain)
    groups: list[list[tuple[str, str, tuple[int, int]]]] = [[]]
    depth = 0
    opener: tuple[int, int] | None = None
    for tok in toks:
        if tok[1] == "(":
            depth, opener = depth + 1, tok[2]
        elif tok[1] == ")":
            depth -= 1
        elif tok[1] == "," and depth == 0:
            raise ParseError("unexpected ',' in the layer chain; separate layers with '->'", tok[2], chain)
    if depth > 0 and opener is not None:
        raise ParseError("unclosed '(' in the layer chain", opener, chain)
    for tok in toks:
        if tok[0] == "arrow" and not _inside_parens(groups[-1]):
            if not groups[-1]:
                raise ParseError("a layer is missing before '->'", tok[2], chain)
            groups.append([])
        else:
            groups[-1].append(tok)
    if not groups[-1]:
        raise ParseError("the chain ends with '->'; add a layer after it", (len(chain), len(chain)), chain)
    layers: list[Layer] = []
    loss = None
    for i, group in enumerate(groups):
        layer_or_loss = _layer(group, chain)
        if isinstance(layer_or_loss, str):
            if i != len(groups) - 1:
                raise ParseError(f"the loss {group[0][1]} must come last", group[0][2], chain)
            loss = layer_or_loss
        else:
            layers.append(layer_or_loss)
    if not linear_layers(layers):
        raise ParseError("the chain needs at least one Linear layer", (0, len(chain)), chain)
    return layers, loss


def _inside_parens(group: list[tuple[str, str, tuple[int, int]]]) -> bool:
    depth = 0
    for kind, text, _ in group:
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
    return depth > 0


def _layer(group: list[tuple[str, str, tuple[int, int]]], chain: str) -> Layer | str:
    span = (group[0][2][0], group[-1][2][1])
    text = chain[span[0]:span[1]]
    scale = 1.0
    rest = list(group)
    if rest[0][0] == "num":  # 5*ReLU, 5 ReLU
        scale = float(rest[0][1])
        rest = rest[1:]
        if rest and rest[0][1] in "*·×":
            rest = rest[1:]
    if not rest or rest[0][0] != "name":
        raise ParseError(f"expected a layer name in {text!r}", span, chain)
    name_tok = rest[0]
    key = name_tok[1].lower().replace("_", "")
    args = _arguments(rest[1:], chain, span)
    if key in _LOSS_ALIASES and scale == 1.0 and not args:
        return _LOSS_ALIASES[key]
    if key == "linear":
        _check_units(args, span, chain)
        if len(args) == 1 and isinstance(args[0], int):
            return Layer("linear", span, None, args[0], text=text)
        if len(args) == 2 and all(isinstance(a, int) for a in args):
            return Layer("linear", span, args[0], args[1], text=text)
        raise ParseError("Linear takes Linear(in->out) or Linear(out) with whole numbers", span, chain)
    if key == "scale":
        if len(args) != 1:
            raise ParseError("Scale takes one number, like Scale(0.5)", name_tok[2] if not args else span, chain)
        return Layer("identity", span, scale=float(args[0]), text=text)
    if key in ACTIVATIONS:
        param = None
        if key in ("leakyrelu", "softplus") and len(args) == 1:
            param = float(args[0])
        elif args:
            raise ParseError(f"{name_tok[1]} takes no arguments" if key not in ("leakyrelu", "softplus")
                             else f"{name_tok[1]} takes one number", span, chain)
        return Layer(key, span, param=param, scale=scale, text=text)
    valid = "Linear, ReLU, Sigmoid, Tanh, Identity, LeakyReLU(slope), Softplus(beta), GELU, Softmax, " \
            "Scale(c) or c*ReLU; losses MSE, SSE, HalfSSE, BCE, CrossEntropy"
    raise ParseError(f"unknown layer {name_tok[1]!r}; valid layers: {valid}", name_tok[2], chain)


def _check_units(args: list[float | int], span: tuple[int, int], chain: str) -> None:
    """Units of a Linear layer are whole numbers from 1 to the number of entries a value may have."""
    limit = values.MAX_ELEMENTS
    for count in args:
        if isinstance(count, int) and count < 1:
            raise ParseError(f"Linear needs at least 1 unit, got {count}", span, chain)
        if isinstance(count, int) and count > limit:
            raise LimitError(f"Linear with {count:.3g} units is larger than a value may be; the limit is "
                             f"{limit:,} entries", span, chain)


def _arguments(toks: list[tuple[str, str, tuple[int, int]]], chain: str, span: tuple[int, int]) -> list[float | int]:
    if not toks:
        return []
    if toks[0][1] != "(" or toks[-1][1] != ")":
        raise ParseError(f"expected '(' … ')' after the layer name in {chain[span[0]:span[1]]!r}", toks[0][2], chain)
    args: list[float | int] = []
    for kind, text, tspan in toks[1:-1]:
        if kind == "num":
            value = float(text)
            args.append(int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value)
        elif kind == "arrow" or text == ",":
            continue
        else:
            raise ParseError(f"unexpected {text!r} in layer arguments", tspan, chain)
    return args


@dataclass(frozen=True)
class Statement:
    """One statement of an expanded chain: which Linear layer it belongs to (1-based), whether
    it is the layer's pre-activation, its name and its right-hand side."""

    layer: int
    pre_activation: bool
    name: str
    rhs: str


def statements(layers: list[Layer], bias: str, *, batch: bool) -> list[Statement]:
    """The statements of the network part of a chain (the last one is named ``yhat``)."""
    result: list[Statement] = []
    h = "x"
    k = 0
    for layer in layers:
        if layer.kind == "linear":
            k += 1
            name = f"z{k}"
            if bias == "folded":
                rhs = f"prepend1({h}) W{k}^T" if batch else f"W{k} [1, {h}]"
            else:
                rhs = f"{h} W{k}^T + b{k}" if batch else f"W{k} {h} + b{k}"
        elif layer.kind == "identity" and layer.scale == 1.0:
            continue  # the identity adds nothing to the graph
        else:
            name = f"a{k}"
            if result and result[-1].name == name:
                name = f"{name}_{len(result)}"
            fn = ACTIVATIONS[layer.kind]
            arg = h if layer.param is None else f"{h}, {layer.param:g}"
            rhs = f"{fn}({arg})" if fn else h
            if layer.scale != 1.0:
                rhs = f"{layer.scale:g} {rhs}"
        result.append(Statement(k, layer.kind == "linear", name, rhs))
        h = name
    last = result[-1]
    result[-1] = Statement(last.layer, last.pre_activation, "yhat", last.rhs)
    return result


def program_text(layers: list[Layer], loss: str, bias: str, *, batch: bool, rows: int | None = None) -> str:
    """The statements a chain stands for, in our own language (``rows``: the batch size, which
    a loss averaged over the batch divides by)."""
    lines = [f"{st.name} = {st.rhs}" for st in statements(layers, bias, batch=batch)]
    if LOSSES[loss]:
        lines.append(loss_statement(loss, rows if batch else None))
    return "\n".join(lines)
