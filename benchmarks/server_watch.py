"""What the classroom benchmark watches of its server: its processes' memory and CPU over time
(:class:`MemoryLog`, from /proc) and its own rerun times from its log (:func:`rerun_figures`)."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["descendants", "cpu_seconds", "rss_mb", "MemoryLog", "LIGHT_CHARS", "rerun_figures"]


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of ``pid`` (with ``children``: also of its reaped children)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class MemoryLog:
    """Samples the resident memory of the server and of its workers every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 2.0):
        self.pid, self.every, self.start = pid, every, time.monotonic()
        self.samples: list[tuple[float, float, float]] = []  # (seconds, server MB, workers MB)
        self.cpu: list[tuple[float, float]] = []  # (seconds, CPU seconds of the server and its workers)
        self.pids: set[int] = set()
        self.loads: list[tuple[float, float]] = []  # (seconds, 1-minute load average)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            tree = descendants(self.pid)
            self.pids.update(tree)
            now = round(time.monotonic() - self.start, 1)
            self.loads.append((now, round(os.getloadavg()[0], 1)))
            self.samples.append((now, round(rss_mb(self.pid), 1),
                                 round(sum(rss_mb(p) for p in tree if p != self.pid), 1)))
            self.cpu.append((now, cpu_seconds(self.pid, children=True)
                             + sum(cpu_seconds(p, children=True) for p in tree if p != self.pid)))

    def cpu_between(self, first: int, last: int) -> float | None:
        """Cores the server and its workers kept busy on average between two samples."""
        if last - first < 2 or last > len(self.cpu):
            return None
        (t0, c0), (t1, c1) = self.cpu[first], self.cpu[last - 1]
        return round((c1 - c0) / (t1 - t0), 2) if t1 > t0 else None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


RERUN_LINE = re.compile(r"^(\S+ \S+) gnn-pool rerun: ([0-9.]+) s of wall time, ([0-9.]+) s of it in workers"
                         r"(?:, text of (\d+) characters)?", re.M)
LIGHT_CHARS = 1000
"""A rerun for a text shorter than this is one of the light sessions' (theirs are ``x*y + K``)."""


def rerun_figures(log: Path, span: tuple[float, float] | None = None, light: bool = False,
                  heavy: bool = False) -> dict[str, Any]:
    """The server's own view of its reruns (its log's ``rerun:`` lines): how many, the longest
    wall times, and the p95: what the server took, apart from the browsers' page loads. With
    ``span`` only the reruns that ended within it; with ``light`` only those for a text shorter
    than :data:`LIGHT_CHARS` (the other sessions', not the near-limit input's); with ``heavy``
    only the others (the near-limit input's)."""
    from datetime import datetime

    walls = []
    for m in RERUN_LINE.finditer(log.read_text(encoding="utf-8", errors="replace")):
        if span is not None:
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            if not span[0] <= at <= span[1]:
                continue
        if (light and int(m.group(4) or 0) >= LIGHT_CHARS) or (heavy and int(m.group(4) or 0) < LIGHT_CHARS):
            continue
        walls.append(float(m.group(2)))
    walls.sort()
    if not walls:
        return {"reruns": 0}
    return {"reruns": len(walls), "wall_p50_s": walls[len(walls) // 2],
            "wall_p95_s": walls[min(len(walls) - 1, int(0.95 * len(walls)))], "wall_longest_s": walls[-5:]}
