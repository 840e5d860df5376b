"""Speed and memory benchmarks for graphviz_nn: ``python -m benchmarks [--json] [--quick]``.

Every figure times our code and its peer in the same run, interleaved (peer, ours, peer, ours,
…) and keeps the best of N with :func:`time.perf_counter`, so machine load hits both alike;
the ratio is what to read. See docs/PERFORMANCE.md for the latest table.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Row", "Figure", "best_of"]


def best_of(functions: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Seconds per call, best of ``repeat`` rounds; the functions take turns within a round.

    A full garbage collection runs before each call, off the clock, so a call pays for the
    collections its own allocations start and not for the garbage of the call before it
    (micrograd leaves ~50,000 ``Value`` objects in reference cycles per step)."""
    best = {name: float("inf") for name in functions}
    for _ in range(max(1, repeat)):
        for name, fn in functions.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


@dataclass
class Row:
    """One measured line: ``seconds`` or ``bytes`` (one of them), and a note."""

    label: str
    seconds: float | None = None
    bytes: int | None = None
    note: str = ""

    def shown(self) -> str:
        if self.seconds is not None:
            return f"{self.seconds * 1e3:10.2f} ms"
        if self.bytes is not None:
            return f"{self.bytes / 2**20:10.1f} MiB"
        return f"{'—':>13}"


@dataclass
class Figure:
    """One figure of issue 7: rows, the headline ratios and their targets."""

    number: int
    title: str
    rows: list[Row] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
