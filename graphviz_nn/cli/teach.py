"""Teaching commands of ``graphviz-nn``: ``steps`` (every step as frames) and ``worksheet``
(blanks plus an answer key), and the drawing ``explain -o OUT.svg`` writes.

``cli.py`` wires them in with two lines::

    cli_teach.add_commands(sub, common)          # in build_parser
    COMMANDS.update(cli_teach.COMMANDS)          # beside COMMANDS
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any, Callable

from ..draw.options import RenderOptions
from ..errors import ValueInputError
from .options import add_display_options, display_options

__all__ = ["add_commands", "COMMANDS", "write_explain_drawing", "key_path"]


def add_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``steps`` and ``worksheet`` to the ``graphviz-nn`` subcommands."""
    st = sub.add_parser("steps", help="every forward and backward step as frames: OUT.gif, OUT.pdf, "
                                      "OUT.zip or a directory of numbered SVGs")
    common(st)
    st.add_argument("-o", "--output", required=True, metavar="OUT",
                    help="OUT.gif (animation), OUT.pdf (one step a page), OUT.zip or DIR (step-000.svg, …)")
    st.add_argument("--seconds", type=float, default=1.0, help="seconds per GIF frame (default 1)")
    add_display_options(st)

    ws = sub.add_parser("worksheet", help="blank out values or gradients: OUT and its answer key OUT-key")
    common(ws)
    ws.add_argument("-o", "--output", required=True, metavar="OUT",
                    help="OUT.svg, OUT.pdf, OUT.png or OUT.tex; the key goes to OUT-key with the same suffix")
    ws.add_argument("--blank", choices=["grads", "values", "both"], default="grads",
                    help="what to blank out (default: every gradient)")
    ws.add_argument("--nodes", action="append", default=[], metavar="NAME",
                    help="blank out only these nodes (repeatable, or comma-separated)")
    ws.add_argument("--sample", type=int, default=None, metavar="K",
                    help="keep K blanks chosen at random (by --seed)")
    add_display_options(ws)
    ws.set_defaults(edge_text="formula")


def key_path(path: str | Path) -> Path:
    """``sheet.pdf`` -> ``sheet-key.pdf``."""
    p = Path(path)
    return p.with_name(f"{p.stem}-key{p.suffix}")


def run_steps(args: argparse.Namespace, load: Callable[[argparse.Namespace], Any]) -> int:
    """``graphviz-nn steps`` (``load`` evaluates what the command line names)."""
    from ..export.frames import steps_text, write_steps

    options = display_options(args)
    res = load(args)
    written = write_steps(res, args.output, options, seconds_per_frame=args.seconds)
    where = written[0] if len(written) == 1 else f"{args.output} ({len(written)} SVG files)"
    print(f"wrote {where}: {steps_text(len(res.trace))}", file=sys.stderr)
    return 0


def run_worksheet(args: argparse.Namespace, load: Callable[[argparse.Namespace], Any]) -> int:
    """``graphviz-nn worksheet``: the sheet, its key, and the blanks listed on stdout (``load``
    evaluates what the command line names)."""
    from ..export.files import export_bytes, format_for_path, reading_order
    from ..export.writing import write_files
    from ..explain.worksheet import choose_blanks, in_reading_order, render_options

    base = display_options(args)
    fmt = format_for_path(args.output)
    if fmt in ("dot", "json"):
        raise ValueInputError("a worksheet is a drawing: write OUT.svg, OUT.pdf, OUT.png or OUT.tex")
    res = load(args)
    nodes = [n.strip() for item in args.nodes for n in item.split(",") if n.strip()]
    sheet = choose_blanks(res, args.blank, nodes or None, args.sample, args.seed)
    sheet = in_reading_order(sheet, reading_order(res, render_options(sheet, base)))
    sheet_path, answers_path = Path(args.output), key_path(args.output)
    write_files({sheet_path: export_bytes(res, fmt, render_options(sheet, base, key=False)),
                 answers_path: export_bytes(res, fmt, render_options(sheet, base, key=True))})
    for blank in sheet.blanks:
        print(f"({blank.number}) {blank.label}")
    print(f"wrote {sheet_path} and {answers_path} ({len(sheet.blanks)} blanks)", file=sys.stderr)
    return 0


def write_explain_drawing(res: Any, rules: list[Any], path: str | Path, options: RenderOptions | None = None) -> Path:
    """The graph with every chain-rule path of ``rules`` drawn thick and dashed (``explain -o``),
    with the display ``options`` (formulas and terms on every edge unless they say otherwise;
    the title names the targets unless they give one)."""
    from ..export.files import export_file

    edges = frozenset(e for rule in rules for p in rule.paths for f in p.factors for e in f.edges)
    nodes = frozenset(n for e in edges for n in e[:2])
    base = options if options is not None else RenderOptions(edge_text="both")
    title = base.title or f"chain-rule paths to {', '.join(rule.target for rule in rules)}"
    return export_file(res, path, dataclasses.replace(base, highlight_edges=edges, highlight_nodes=nodes, title=title))


COMMANDS: dict[str, Callable[[argparse.Namespace, Callable[[argparse.Namespace], Any]], int]] = {
    "steps": run_steps, "worksheet": run_worksheet}
