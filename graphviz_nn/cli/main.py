"""``graphviz-nn``: evaluate and draw from the command line.

Errors exit with code 2 and one message on stderr (with a caret under the column for syntax
errors); a traceback never reaches the user.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import teach as cli_teach
from .options import add_display_options, display_options
from ..core.api import Evaluation, to_jsonable
from ..core.prepared import evaluate
from ..errors import GnnError, ValueInputError, visible
from ..core.graph import node_formula
from ..networks.network import Network, from_chain, load_spec
from ..export.writing import write_bytes
from ..language.sources import read_text
from ..language.values import parse_assignment

__all__ = ["main", "build_parser"]

EXIT_USER_ERROR = 2
EXIT_INTERNAL = 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with the ``eval`` and ``render`` commands."""
    parser = argparse.ArgumentParser(
        prog="graphviz-nn",
        description="Turn an expression or program into a computation graph; run forward and "
                    "backward passes; draw and export it.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("text", nargs="?", help="expression or program, e.g. 'sin(xy)/z + e^<xz>/(xy)'")
        p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                       help="value of an input: a number or a JSON array (repeatable)")
        p.add_argument("--file", metavar="PATH", help="read the expression or program from a file")
        p.add_argument("--no-merge", action="store_true",
                       help="keep a tree: do not merge identical subexpressions")
        p.add_argument("--constant-grads", action="store_true",
                       help="give constants a gradient and backward steps too (by default, as in "
                            "PyTorch, only what depends on an input gets one)")
        net = p.add_argument_group("neural-network specs")
        net.add_argument("--spec", metavar="FILE.toml", help="a network spec file ([network] and [values])")
        net.add_argument("--chain", metavar="CHAIN", help="a layer chain, e.g. 'Linear(2->2) -> ReLU -> Linear(2->1)'")
        net.add_argument("--loss", help="mse, sse, half_sse, bce, cross_entropy or none (with --chain)")
        net.add_argument("--bias", default=None, help="separate (default) or folded (with --chain)")
        net.add_argument("--init", help="missing parameters: random, or a number (with --chain)")
        net.add_argument("--seed", type=int, default=0, help="seed for --init random")

    ev = sub.add_parser("eval", help="print values and gradients (a table, or --json)")
    common(ev)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--check", action="store_true", help="add a finite-difference gradient check")
    ev.add_argument("--sgd-steps", type=int, default=0, metavar="N",
                    help="with a network: take N gradient-descent steps and report the loss per step")
    ev.add_argument("--lr", type=float, default=0.1, help="learning rate for --sgd-steps (default 0.1)")

    ex = sub.add_parser("explain", help="write d output / d input as products of local derivatives along every path")
    common(ex)
    ex.add_argument("--wrt", action="append", required=True, metavar="NAME",
                    help="target input (repeat for a second target: shared factors are marked)")
    ex.add_argument("--latex", action="store_true", help="print the chain rule in LaTeX")
    ex.add_argument("-o", "--output", metavar="OUT.svg", help="also draw the graph with the paths highlighted")
    add_display_options(ex)
    ex.set_defaults(edge_text="both")

    cg = sub.add_parser("code", help="export the graph as a standalone NumPy or PyTorch script")
    common(cg)
    cg.add_argument("--lang", choices=["numpy", "torch"], default="numpy", help="numpy (default) or torch")
    cg.add_argument("--steps", type=int, default=0,
                    help="with a network: a training loop of N gradient-descent steps")
    cg.add_argument("--lr", type=float, default=0.1, help="learning rate for --steps (default 0.1)")
    cg.add_argument("-o", "--output", metavar="OUT.py", help="write the script here instead of printing it")

    pl = sub.add_parser("plot", help="plot a one-variable expression and its backprop derivative")
    pl.add_argument("text", nargs="?", help="expression, e.g. 'gelu(x)'")
    pl.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.svg, OUT.png or OUT.pdf")
    pl.add_argument("--var", help="the variable to plot (default: the only input without a value)")
    pl.add_argument("--range", nargs=2, type=float, default=(-3.0, 3.0), metavar=("LO", "HI"))
    pl.add_argument("--points", type=int, default=601)
    pl.add_argument("--at", action="append", default=[], metavar="NAME=VALUE", help="values of other inputs")

    rd = sub.add_parser("render", help="draw the graph to SVG, PNG, PDF, DOT, JSON, TikZ, or an HTML step player")
    common(rd)
    rd.add_argument("-o", "--output", required=True, metavar="OUT",
                    help="output file; the format comes from its suffix (.svg .png .pdf .dot .json .tex, "
                         "or .html: a page that steps through the whole pass, no network needed)")
    rd.add_argument("--format", help="output format when the suffix does not say it")
    rd.add_argument("--step", type=int, default=None, help="draw the state after trace step K")
    rd.add_argument("--view", choices=["graph", "neurons"], default="graph",
                    help="with a network: the computation graph (default) or one node per unit "
                         "(edge labels then write the weights' gradients)")
    add_display_options(rd)
    cli_teach.add_commands(sub, common)
    return parser


def _source(args: argparse.Namespace) -> str:
    if args.file:
        return read_text(args.file)
    if not args.text:
        raise ValueInputError("give an expression, e.g. graphviz-nn eval 'x^2 + 3xy' --at x=2 --at y=1, "
                              "or --file PATH")
    return args.text


def load_network(args: argparse.Namespace) -> Network | None:
    """The network named by ``--spec`` or ``--chain`` (``--at`` values override the spec's)."""
    values = dict(parse_assignment(a) for a in args.at)
    if args.spec:
        net = load_spec(args.spec)
        return replace(net, values={**net.values, **values}) if values else net
    if args.chain is not None:
        init: Any = args.init
        if init is not None and init.lower() != "random":
            try:
                init = float(init)
            except ValueError:
                pass  # from_chain names the allowed values
        return from_chain(args.chain, values, loss=args.loss, bias=args.bias or "separate", init=init,
                          seed=args.seed)
    return None


def load(args: argparse.Namespace) -> Evaluation:
    """Evaluate what the command line names."""
    net = load_network(args)
    if net is not None:
        return net.evaluate()
    text = _source(args)
    values = dict(parse_assignment(a) for a in args.at)
    return evaluate(text, values, merge=not args.no_merge, constant_grads=args.constant_grads)


def run_training(args: argparse.Namespace) -> int:
    """``graphviz-nn eval --spec FILE --sgd-steps N --lr η``."""
    net = load_network(args)
    if net is None:
        raise ValueInputError("--sgd-steps needs a network: --spec FILE.toml or --chain CHAIN")
    result = net.train(args.sgd_steps, args.lr)
    params = {name: to_jsonable(np.asarray(result.network.values[name])) for name in net.parameters}
    diverged = next((i for i, loss in enumerate(result.losses) if not np.isfinite(loss)), None)
    if diverged is not None:
        print(f"warning: the loss became {result.losses[diverged]} at step {diverged}; "
              "try a smaller --lr", file=sys.stderr)
    if args.json:
        print(json.dumps({"losses": to_jsonable(list(result.losses)), "lr": to_jsonable(args.lr),
                          "steps": args.sgd_steps, "parameters": params}, allow_nan=False))
        return 0
    print(f"{'step':>5}  loss")
    for i, loss in enumerate(result.losses):
        print(f"{i:>5}  {loss:.6g}")
    print("\nparameters after the last step:")
    for name in net.parameters:
        print(f"  {name} = {_fmt(result.network.values[name])}")
    return 0


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if np.ndim(value) == 0:
        return f"{float(value):.6g}"
    return np.array2string(np.asarray(value), precision=4, separator=", ", max_line_width=60,
                           threshold=20).replace("\n", " ")


def table(res: Evaluation) -> str:
    """A readable table: label, formula, value, gradient of every node in evaluation order (by
    name or formula, never an internal id); then the output and gradients."""
    rows = [("label", "formula", "value", "grad")]
    for node, attrs in res.graph.nodes(data=True):
        rows.append((attrs["label"], node_formula(res.graph, node), _fmt(attrs["value"]), _fmt(attrs["grad"])))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 4)
    lines.append("")
    lines.append(f"read as: {res.reading}")
    lines.append(f"canonical: {res.canonical}")
    lines.append(f"output {res.output_name or ''} = {_fmt(res.value)}".replace("  ", " "))
    for name, grad in res.gradients.items():
        lines.append(f"d output / d {name} = {_fmt(grad)}")
    return "\n".join(lines)


def _check_lines(res: Evaluation) -> list[str]:
    lines = ["", "gradient check (central differences):"]
    report = res.gradient_check()
    for name, entry in report.items():
        analytic, numeric, rel = entry
        sample = "" if getattr(entry, "checked", None) is None else \
            f" (at {len(entry.checked):,} of {entry.size:,} entries, spread evenly)"
        lines.append(f"  {name}: backprop {_fmt(analytic)}  numeric {_fmt(numeric)}  relative error {rel:.2e}{sample}")
    skipped = [name for name in res.inputs if name not in report]
    if skipped:
        lines.append(f"  not checked (the check's work is bounded): {', '.join(skipped)}")
    return lines


def run_eval(args: argparse.Namespace) -> int:
    """``graphviz-nn eval``."""
    if args.sgd_steps:
        return run_training(args)
    res = load(args)
    if args.json:
        payload = res.to_json()
        if args.check:
            payload["gradient_check"] = {
                k: {"backprop": to_jsonable(a), "numeric": to_jsonable(n), "relative_error": to_jsonable(r),
                    **({"checked_entries": list(e.checked)} if getattr(e, "checked", None) is not None else {})}
                for k, e in res.gradient_check().items() for a, n, r in [e]}
        print(json.dumps(payload, ensure_ascii=False, allow_nan=False))
    else:
        out = [table(res)]
        if args.check:
            out += _check_lines(res)
        print("\n".join(out))
    for warning in res.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _output_format(args: argparse.Namespace, out: Path) -> str:
    """The format ``--format`` names, else the one of the output's suffix (``.gv`` is DOT)."""
    from ..export.files import format_for_path

    return format_for_path(f"out.{args.format}" if args.format else out)


def _render_neurons(args: argparse.Namespace, out: Path) -> int:
    """``graphviz-nn render --spec FILE --view neurons -o OUT``."""
    from ..export.files import dot_bytes
    from ..draw.neurons import NeuronOptions, neuron_dot

    base = display_options(args, step=args.step)
    options = NeuronOptions(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)},
                            show_weight_grads=base.edge_mode is not None)
    net = load_network(args)
    if net is None:
        raise ValueInputError("--view neurons needs a network: --spec FILE.toml or --chain CHAIN")
    source = neuron_dot(net, None, options)
    fmt = _output_format(args, out)
    if fmt == "html":  # one drawing in the player's page: fit, zoom and pan
        from ..export.player import drawing_html

        data = drawing_html(dot_bytes(source, "svg").decode("utf-8"), net.title or "neurons")
    else:
        data = dot_bytes(source, fmt)
    _write(out, data)
    return 0


def _write(out: Path, data: bytes) -> None:
    write_bytes(out, data)
    print(f"wrote {out} ({len(data):,} bytes)", file=sys.stderr)


def run_render(args: argparse.Namespace) -> int:
    """``graphviz-nn render``."""
    from ..export.files import export_bytes

    out = Path(args.output)
    if args.view == "neurons":
        return _render_neurons(args, out)
    options = display_options(args, step=args.step)
    fmt = _output_format(args, out)
    res = load(args)
    data = export_bytes(res, fmt, options)
    for warning in res.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _write(out, data)
    return 0


def run_explain(args: argparse.Namespace) -> int:
    """``graphviz-nn explain``."""
    from ..explain.chainrule import explain, factor_table

    options = display_options(args)
    res = load(args)
    rules = explain(res, args.wrt)
    if args.output:
        print(f"wrote {cli_teach.write_explain_drawing(res, rules, args.output, options)}", file=sys.stderr)
    if args.latex:
        print("\n".join(rule.latex for rule in rules))
    else:
        print(factor_table(rules), end="")
    return 0


def run_code(args: argparse.Namespace) -> int:
    """``graphviz-nn code``."""
    from ..export.codegen import numpy_script, torch_script

    net = load_network(args)
    res = net.evaluate() if net is not None else load(args)
    parameters = net.parameters if net is not None else ()
    if args.steps and net is None:
        raise ValueInputError("--steps needs a network: --spec FILE.toml or --chain CHAIN")
    make = numpy_script if args.lang == "numpy" else torch_script
    script = make(res, steps=args.steps, lr=args.lr, parameters=parameters)
    if args.output:
        write_bytes(args.output, script.encode("utf-8"))
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(script, end="")
    return 0


def run_plot(args: argparse.Namespace) -> int:
    """``graphviz-nn plot``."""
    from ..export.plots import plot_bytes, sample

    if not args.text:
        raise ValueInputError("give an expression to plot, e.g. graphviz-nn plot 'gelu(x)' -o gelu.svg")
    out = Path(args.output)
    fmt = out.suffix.lstrip(".").lower()
    data = sample(args.text, args.var, args.range[0], args.range[1], args.points,
                  dict(parse_assignment(a) for a in args.at))
    _write(out, plot_bytes(data, fmt))
    return 0


COMMANDS = {"eval": run_eval, "render": run_render, "explain": run_explain, "code": run_code, "plot": run_plot,
            **{name: functools.partial(run, load=load) for name, run in cli_teach.COMMANDS.items()}}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``graphviz-nn`` console script; returns the exit code."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and len(unknown) == 1 and getattr(args, "text", "") is None and not unknown[0].startswith("--"):
        args.text = unknown[0]  # an expression that starts with a minus sign: eval '-x^2'
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return COMMANDS[args.command](args)
    except GnnError as err:
        print(f"error: {visible(err.render())}", file=sys.stderr)  # no escape sequence reaches the terminal
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except Exception as exc:  # a bug of ours: one line, never a traceback
        print(visible(f"internal error ({type(exc).__name__}): {exc}. Please report this input."), file=sys.stderr)
        return EXIT_INTERNAL
