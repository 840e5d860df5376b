"""Guards the reader runs under: the garbage collector paused while trees are built, and room
on the stack for deeply nested text."""

from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
from typing import Iterator

__all__ = ["GcPaused", "recursion_room"]


class GcPaused:
    """Tokens and syntax trees hold no reference cycles, so the cyclic garbage collector has
    nothing to find while they are built; pausing it spares a 10,000-term text several full
    collections (57 -> ~45 ms).

    Resuming the collector is the last thing :func:`parse` does: the first allocation after it
    starts a collection over everything built while it was paused (~3 ms for 10,000 terms), so
    that collection comes in the caller's code if the caller keeps the tree, and never comes if
    it drops it. (A ``@contextmanager`` would allocate its ``StopIteration`` right after.)"""

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self.was_enabled:
            gc.enable()


@contextmanager
def recursion_room(max_depth: int) -> Iterator[None]:
    """The parser recurses about four frames per nesting level; make room, then restore."""
    old = sys.getrecursionlimit()
    need = 8 * max_depth + 1000
    if old < need:
        sys.setrecursionlimit(need)
    try:
        yield
    finally:
        if old < need:
            sys.setrecursionlimit(old)
