"""The server's cache of the workers' answers, bounded in bytes, and calls in flight.

>>> answers = Answers(limit=100)  # an answer may take an eighth of it
>>> answers.put(b"call", b"answer")
>>> answers.get(b"call"), answers.size  # bytes of call and answer
(b'answer', 10)
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

__all__ = ["Answers", "Flight"]


class Answers:
    """Encoded answers by encoded call, least recently used out past ``limit`` bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[bytes, tuple[bytes, float | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[1] is not None and found[1] < time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: bytes, data: bytes, keep: float | None = None) -> None:
        """Keep ``data`` (for ``keep`` seconds, or until pushed out); an answer larger than an
        eighth of the limit is not kept."""
        if len(key) + len(data) > self.limit // 8:
            return
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (data, None if keep is None else time.monotonic() + keep)
            self.size += len(key) + len(data)
            while self.size > self.limit:
                self._drop(next(iter(self._items)))

    def __len__(self) -> int:
        return len(self._items)

    def _drop(self, key: bytes) -> None:
        data, _ = self._items.pop(key)
        self.size -= len(key) + len(data)


class Flight:
    """A call in progress that identical calls wait for; ``data`` is its encoded reply."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.data = b""
