"""What the worker process costs a small input: ``python -m benchmarks.hop [--rounds 15]``.

Times the page's view of a small expression in the calling process and through a warm worker
(:mod:`graphviz_nn.page.workers`), taking turns, for three kinds of rerun: new values (evaluate
and lay out), a step of the same values (a pinned layout), and the same call again (the worker
pool answers from its cache; in process the page's caches answer). Prints the medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hop", description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    from graphviz_nn.page import budget, dispatch, view

    text = "x^2 + 3xy"
    pool = dispatch.start(budget.Budget(seconds=30, workers=1, warm=1))
    view.build_view(text, {"x": "1", "y": "1"})  # the worker is up and has read the text
    runs: dict[str, dict[str, list[float]]] = {}
    try:
        for r in range(max(1, min(args.rounds, 200))):
            for where in ("in process", "worker"):
                dispatch._POOL = pool if where == "worker" else None  # the switch bounded calls read
                values = {"x": str(r + 2 + (1000 if where == "worker" else 0)), "y": "3"}
                for kind, step in (("new values", None), ("a step", 3), ("the same again", 3)):
                    start = time.perf_counter()
                    view.build_view(text, values, step=step)
                    runs.setdefault(kind, {}).setdefault(where, []).append(time.perf_counter() - start)
    finally:
        dispatch._POOL = pool
        dispatch.stop()
    for kind, by_where in runs.items():
        cells = "  ".join(f"{w}: {statistics.median(t) * 1e3:7.1f} ms" for w, t in by_where.items())
        print(f"{kind:<16} {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
