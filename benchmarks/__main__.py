"""``python -m benchmarks [--json] [--quick] [--only N ...]``: the table, then one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

import numpy as np

from . import Figure
from .figures import batch_figure, memory_figure, mlp_figure, parse_figure, pipeline_figure
from .pinned import pinned_figure
from .player import player_figure

FIGURES = {1: mlp_figure, 2: batch_figure, 3: pipeline_figure, 4: parse_figure, 5: memory_figure,
           6: player_figure, 7: pinned_figure}


def table(figures: list[Figure]) -> str:
    lines = []
    for fig in figures:
        lines.append(f"\n{fig.number}. {fig.title}")
        for row in fig.rows:
            lines.append(f"   {row.label:<58} {row.shown()}")
        for name, value in fig.ratios.items():
            target = fig.targets.get(name)
            lines.append(f"   {name:<58} {value:10.2f}" + (f"   (target {target})" if target else ""))
        for note in fig.notes:
            lines.append(f"   note: {note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--json", action="store_true", help="also print one JSON object with each ratio")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes (a smoke run)")
    parser.add_argument("--only", type=int, nargs="*", choices=sorted(FIGURES), help="figure numbers to run")
    args = parser.parse_args(argv)
    figures = []
    for number in args.only or sorted(FIGURES):
        fig = FIGURES[number](args.quick)
        figures.append(fig)
        print(table([fig]), flush=True)
    if args.json:
        result = {
            "machine": {"python": platform.python_version(), "numpy": np.__version__,
                        "cpus": os.cpu_count(), "platform": platform.platform(), "quick": args.quick},
            "ratios": {name: round(value, 4) for fig in figures for name, value in fig.ratios.items()},
            "targets": {name: t for fig in figures for name, t in fig.targets.items()},
            "rows": {f"{fig.number}. {row.label}": (round(row.seconds * 1e3, 3) if row.seconds is not None
                                                    else row.bytes)
                     for fig in figures for row in fig.rows},
        }
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
