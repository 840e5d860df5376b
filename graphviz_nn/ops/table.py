"""The registry's entries: every op declared once, with its numbers, its notation and its code.

Each entry holds the numpy forward and the local derivative (elementwise ops) or the
vector-Jacobian product (structural ops), the drawn symbol, the canonical text, plain and
LaTeX templates, the derivative in LaTeX, binding powers and associativity, and the NumPy and
PyTorch source of code export (forward, then per operand what flows back). Templates name
their parameters (``{slope}``), so every output shows the value an op was computed with.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import kernels as k
from .spec import OpSpec

__all__ = ["SPECS"]


def _op(name: str, arity: int | None, forward: Callable, symbol: str, text: str, latex: str,
        code: tuple[str, tuple[str, ...], str], *, plain: str | None = None, reading: str | None = None,
        latex_symbol: str | None = None,
        shape: Callable = k.elementwise_shape, local: Callable | None = None, vjp: Callable | None = None,
        binding_power: int = 0, prefix_power: int = 0, postfix_power: int = 0, assoc: str = "left",
        aliases: tuple[str, ...] = (), params: tuple[tuple[str, float], ...] = (),
        derivative_latex: tuple[str, ...] = (), description: str = "", called: bool | None = None,
        scaling: bool = False, latex_commands: tuple[str, ...] = ()) -> OpSpec:
    """One entry. A function's plain form is ``symbol(operands, parameters)`` and it reads back
    as ``text(operands)`` and its LaTeX symbol is ``\\mathrm{symbol}`` unless given; ``code`` is (NumPy forward, NumPy per operand, PyTorch).
    A function (not infix) is called by name unless ``called=False``."""
    extra = "".join(f", {{{p}}}" for p, _ in params)
    plain = plain if plain is not None else f"{symbol}({{args}}{extra})"
    numpy_code, numpy_vjp, torch_code = code
    return OpSpec(name=name, arity=arity, forward=forward, symbol=symbol, text=text, plain=plain,
                  latex_symbol=latex_symbol if latex_symbol is not None else f"\\mathrm{{{symbol}}}",
                  reading=reading if reading is not None else f"{text}({{args}})", latex=latex,
                  shape=shape, local=local, vjp=vjp, binding_power=binding_power,
                  prefix_power=prefix_power, postfix_power=postfix_power, assoc=assoc, aliases=aliases,
                  params=params, derivative_latex=derivative_latex,
                  description=description or name.replace("_", " "), numpy_code=numpy_code,
                  numpy_vjp=numpy_vjp, torch_code=torch_code,
                  called=not binding_power if called is None else called, scaling=scaling,
                  latex_commands=latex_commands)


def _infix(name: str, forward: Callable, symbol: str, text: str, latex: str, plain: str, power: int,
           code: tuple[str, tuple[str, ...], str], **kw: Any) -> OpSpec:
    """An operator written between its operands; it reads back as its plain form."""
    return _op(name, 2, forward, symbol, text, latex, code, plain=plain, reading=plain,
               binding_power=power, **kw)


def _call(name: str, forward: Callable, latex: str, numpy_code: str, numpy_vjp: str, torch_code: str,
          local: Callable, derivative: str, symbol: str | None = None, **kw: Any) -> OpSpec:
    """A one-operand function written ``name(x)`` whose derivative is elementwise."""
    return _op(name, 1, forward, symbol or name, name, latex, (numpy_code, (numpy_vjp,), torch_code),
               local=local, derivative_latex=(derivative,), **kw)


def _leaky_relu(a: Any, slope: float = 0.01) -> Any:
    return np.where(np.asarray(a) > 0, a, slope * np.asarray(a, dtype=float))


def _softplus(a: Any, beta: float = 1.0) -> Any:
    return np.logaddexp(0.0, beta * np.asarray(a, dtype=float)) / beta


SPECS: list[OpSpec] = [
    # Infix operators: binding powers drive the Pratt parser and every printer's brackets.
    _infix("add", np.add, "+", "+", "{0} + {1}", "{0} + {1}", 10, ("{0} + {1}", ("{g}", "{g}"), "{0} + {1}"),
           assoc="both", local=lambda i, out, a, b: 1.0, derivative_latex=("1", "1"), description="sum", latex_symbol="+"),
    _infix("sub", np.subtract, "−", "-", "{0} - {1}", "{0} − {1}", 10, ("{0} - {1}", ("{g}", "-{g}"), "{0} - {1}"),
           local=lambda i, out, a, b: 1.0 if i == 0 else -1.0, derivative_latex=("1", "-1"), description="difference", latex_symbol="-"),
    _infix("mul", np.multiply, "×", "*", "{0} \\cdot {1}", "{0}·{1}", 20,
           ("{0} * {1}", ("{g} * {1}", "{g} * {0}"), "{0} * {1}"), assoc="both",
           local=lambda i, out, a, b: b if i == 0 else a, derivative_latex=("{1}", "{0}"),
           description="elementwise product", latex_symbol="\\times", scaling=True),
    _infix("div", np.divide, "÷", "/", "\\frac{{{0}}}{{{1}}}", "{0}/{1}", 20,
           ("{0} / {1}", ("{g} / {1}", "-{g} * {out} / {1}"), "{0} / {1}"), local=k.div_local,
           derivative_latex=("\\frac{{1}}{{{1}}}", "-\\frac{{{0}}}{{{1}^2}}"), description="quotient", latex_symbol="\\div",
           scaling=True),
    _infix("matmul", np.matmul, "@", "@", "{0} {1}", "{0} @ {1}", 20,
           ("{0} @ {1}", ("_matmul_grad_a({g}, {0}, {1})", "_matmul_grad_b({g}, {0}, {1})"), "{0} @ {1}"),
           shape=k.matmul_shape, vjp=k.matmul_vjp, derivative_latex=("\\delta\\, {1}^\\top", "{0}^\\top \\delta"),
           description="matrix product", latex_symbol="\\mathtt{@}"),
    _infix("pow", np.power, "^", "^", "{{{0}}}^{{{1}}}", "{0}^{1}", 40,
           ("np.power({0}, {1})", ("{g} * {1} * np.power({0}, {1} - 1)", "{g} * {out} * np.log({0})"),
            "torch.pow({0}, {1})"), assoc="right", local=k.pow_local,
           derivative_latex=("{1}\\,{0}^{{{1}-1}}", "{0}^{{{1}}} \\ln {0}"), description="power", latex_symbol="\\text{\\textasciicircum}"),
    # Prefix minus: -x^2 is -(x^2), -x*y is (-x)*y.
    _op("neg", 1, np.negative, "−", "-", "-{0}", ("-{0}", ("-{g}",), "-{0}"), plain="−{0}", reading="−{0}",
        prefix_power=30, local=lambda i, out, a: -1.0, derivative_latex=("-1",), description="negation", latex_symbol="-",
        called=False, scaling=True),
    # Functions.
    _call("exp", np.exp, "e^{{{0}}}", "np.exp({0})", "{g} * {out}", "torch.exp({0})",
          lambda i, out, a: out, "e^{{{0}}}", latex_commands=("exp",)),
    _call("log", np.log, "\\ln\\left({0}\\right)", "np.log({0})", "{g} / {0}", "torch.log({0})",
          lambda i, out, a: 1.0 / np.asarray(a, dtype=float), "\\frac{{1}}{{{0}}}", aliases=("ln",),
          latex_commands=("log", "ln")),
    _call("sin", np.sin, "\\sin\\left({0}\\right)", "np.sin({0})", "{g} * np.cos({0})", "torch.sin({0})",
          lambda i, out, a: np.cos(a), "\\cos\\left({0}\\right)", latex_commands=("sin",)),
    _call("cos", np.cos, "\\cos\\left({0}\\right)", "np.cos({0})", "-{g} * np.sin({0})", "torch.cos({0})",
          lambda i, out, a: -np.sin(a), "-\\sin\\left({0}\\right)", latex_commands=("cos",)),
    _call("tan", np.tan, "\\tan\\left({0}\\right)", "np.tan({0})", "{g} * (1 + {out} ** 2)", "torch.tan({0})",
          lambda i, out, a: 1.0 + np.asarray(out) ** 2, "1 + \\tan^2\\left({0}\\right)",
          latex_commands=("tan",)),
    _call("sqrt", np.sqrt, "\\sqrt{{{0}}}", "np.sqrt({0})", "{g} * 0.5 / {out}", "torch.sqrt({0})",
          lambda i, out, a: 0.5 / np.asarray(out), "\\frac{{1}}{{2\\sqrt{{{0}}}}}", symbol="√",
          plain="√{0}", prefix_power=50, latex_symbol="\\surd"),
    _call("abs", np.abs, "\\left|{0}\\right|", "np.abs({0})", "{g} * np.sign({0})", "torch.abs({0})",
          lambda i, out, a: np.sign(a), "\\operatorname{{sign}}\\left({0}\\right)", symbol="|·|",
          plain="|{0}|", reading="|{0}|", latex_symbol="\\lvert\\ \\rvert"),
    _call("tanh", np.tanh, "\\tanh\\left({0}\\right)", "np.tanh({0})", "{g} * (1 - {out} ** 2)", "torch.tanh({0})",
          lambda i, out, a: 1.0 - np.asarray(out) ** 2, "1 - \\tanh^2\\left({0}\\right)",
          latex_commands=("tanh",)),
    _call("sigmoid", k.sigmoid, "\\sigma\\left({0}\\right)", "1 / (1 + np.exp(-{0}))", "{g} * {out} * (1 - {out})",
          "torch.sigmoid({0})", lambda i, out, a: np.asarray(out) * (1.0 - np.asarray(out)),
          "\\sigma\\left({0}\\right)\\left(1 - \\sigma\\left({0}\\right)\\right)", symbol="σ",
          aliases=("σ", "sigma"), latex_symbol="\\sigma", latex_commands=("sigma",)),
    _call("relu", lambda a: np.maximum(a, 0.0), "\\operatorname{{ReLU}}\\left({0}\\right)", "np.maximum({0}, 0.0)",
          "{g} * ({0} > 0)", "torch.relu({0})", lambda i, out, a: (np.asarray(a) > 0).astype(float),
          "\\mathbb{{1}}\\left[{0} > 0\\right]", symbol="ReLU"),
    _call("leaky_relu", _leaky_relu, "\\operatorname{{LeakyReLU}}\\left({0}, {slope}\\right)",
          "np.where({0} > 0, {0}, {slope} * {0})", "{g} * np.where({0} > 0, 1.0, {slope})",
          "torch.nn.functional.leaky_relu({0}, {slope})",
          lambda i, out, a, slope=0.01: np.where(np.asarray(a) > 0, 1.0, slope),
          "\\mathbb{{1}}\\left[{0} > 0\\right] + {slope}\\,\\mathbb{{1}}\\left[{0} \\le 0\\right]",
          symbol="LeakyReLU", params=(("slope", 0.01),)),
    _call("softplus", _softplus, "\\operatorname{{softplus}}\\left({0}, {beta}\\right)",
          "np.logaddexp(0.0, {beta} * {0}) / {beta}", "{g} / (1 + np.exp(-{beta} * {0}))",
          "torch.nn.functional.softplus({0}, beta={beta})",
          lambda i, out, a, beta=1.0: k.sigmoid(beta * np.asarray(a, dtype=float)),
          "\\sigma\\left({beta_factor}{0}\\right)", params=(("beta", 1.0),)),
    _call("gelu", k.gelu, "\\operatorname{{GELU}}\\left({0}\\right)", "0.5 * {0} * (1 + _erf({0} / np.sqrt(2)))",
          "{g} * (0.5 * (1 + _erf({0} / np.sqrt(2))) + {0} * np.exp(-0.5 * {0} ** 2) / np.sqrt(2 * np.pi))",
          "torch.nn.functional.gelu({0})", k.gelu_local,
          "\\Phi\\left({0}\\right) + {0}\\,\\varphi\\left({0}\\right)", symbol="GELU"),
    _op("max", 2, lambda a, b: np.where(np.asarray(a) >= b, a, b).astype(float), "max", "max",
        "\\max\\left({0}, {1}\\right)",
        ("np.where({0} >= {1}, {0}, {1})", ("{g} * ({0} >= {1})", "{g} * ({0} < {1})"),
         "torch.where({0} >= {1}, {0}, {1})"),
        local=lambda i, out, a, b: (np.asarray(a) >= b).astype(float) if i == 0 else (np.asarray(a) < b).astype(float),
        derivative_latex=("\\mathbb{{1}}\\left[{0} \\ge {1}\\right]", "\\mathbb{{1}}\\left[{0} < {1}\\right]"),
        latex_commands=("max",)),
    _op("min", 2, lambda a, b: np.where(np.asarray(a) <= b, a, b).astype(float), "min", "min",
        "\\min\\left({0}, {1}\\right)",
        ("np.where({0} <= {1}, {0}, {1})", ("{g} * ({0} <= {1})", "{g} * ({0} > {1})"),
         "torch.where({0} <= {1}, {0}, {1})"),
        local=lambda i, out, a, b: (np.asarray(a) <= b).astype(float) if i == 0 else (np.asarray(a) > b).astype(float),
        derivative_latex=("\\mathbb{{1}}\\left[{0} \\le {1}\\right]", "\\mathbb{{1}}\\left[{0} > {1}\\right]"),
        latex_commands=("min",)),
    # Reductions and structure.
    _op("sum", 1, lambda a: np.sum(a), "Σ", "sum", "\\sum {0}",
        ("np.sum({0})", ("{g} * np.ones_like({0})",), "torch.sum({0})"), shape=k.reduce_shape,
        local=lambda i, out, a: np.ones(np.shape(a)), derivative_latex=("\\mathbf{{1}}",), latex_symbol="\\Sigma"),
    _op("mean", 1, lambda a: np.mean(a), "mean", "mean", "\\operatorname{{mean}}\\left({0}\\right)",
        ("np.mean({0})", ("{g} * np.ones_like({0}) / np.size({0})",), "torch.mean({0})"), shape=k.reduce_shape,
        local=lambda i, out, a: np.full(np.shape(a), 1.0 / max(1, np.size(a))),
        derivative_latex=("\\frac{{1}}{{n}}\\mathbf{{1}}",)),
    _op("norm", 1, k.norm, "‖·‖", "norm", "\\left\\|{0}\\right\\|",
        ("np.hypot.reduce(np.ravel({0}))", ("{g} * {0} / {out}",), "torch.sqrt(torch.sum({0} ** 2))"),
        plain="‖{0}‖", reading="‖{0}‖", shape=k.reduce_shape, local=k.norm_local,
        derivative_latex=("\\frac{{{0}}}{{\\left\\|{0}\\right\\|}}",), latex_symbol="\\lVert\\ \\rVert"),
    _op("softmax", 1, k.softmax, "softmax", "softmax", "\\operatorname{{softmax}}\\left({0}\\right)",
        ("_softmax({0})", ("{out} * ({g} - np.sum({g} * {out}, axis=-1, keepdims=True))",), "torch.softmax({0}, dim=-1)"),
        shape=k.same_shape, vjp=k.softmax_vjp, derivative_latex=("\\operatorname{{diag}}(s) - s s^\\top",),
        description="softmax over the last axis"),
    _op("prepend1", 1, k.prepend_one, "[1, ·]", "prepend1", "\\begin{{bmatrix}}1 & {0}\\end{{bmatrix}}",
        ("_prepend1({0})", ("_unprepend1({g}, {0})",), "_prepend1({0})"),
        shape=k.prepend_one_shape, vjp=k.prepend_one_vjp,
        description="put a constant 1 in front (a folded intercept x0 = 1); for a matrix, a column of ones", latex_symbol="[1,\\ \\ldots]"),
    _op("transpose", 1, lambda a: np.transpose(a), "ᵀ", "transpose", "{{{0}}}^\\top",
        ("np.transpose({0})", ("np.transpose({g})",), "_transpose({0})"), plain="{0}ᵀ", reading="{0}ᵀ",
        postfix_power=40, shape=k.transpose_shape, vjp=lambda i, g, out, a: np.transpose(g),
        derivative_latex=("\\delta^\\top",), latex_symbol="{}^{\\top}", called=False),
    _op("concat", None, k.concat_forward, "[ , ]", "concat", "\\left[{args}\\right]",
        ("_concat({args})", ("_unconcat({g}, {i}, {args})",), "_concat({args})"), plain="[{args}]",
        reading="[{args}]", shape=k.concat_shape, vjp=k.concat_vjp,
        derivative_latex=("\\text{{its entries of }} \\delta",), description="join scalars and vectors into one vector", latex_symbol="[\\ ,\\ ]",
        called=False),
    _op("identity", 1, lambda a: np.array(a, dtype=float) if np.ndim(a) else float(a), "=", "", "{0}",
        ("{0}", ("{g}",), "{0}"), plain="{0}", reading="{0}", shape=k.same_shape,
        local=lambda i, out, a: 1.0, derivative_latex=("1",), description="a named copy (b = a)", latex_symbol="=",
        called=False, scaling=True),
]
"""Every op, in the order the documentation lists them."""
