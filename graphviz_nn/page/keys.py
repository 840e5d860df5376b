"""Value texts as the page caches' keys: a long text is keyed by its digest.

The page caches (:mod:`graphviz_nn.page.view` and the panels over it) are keyed by the text of
every value field. A layer network's weights arrive as such texts (JSON arrays), and a key
holding a megabyte-long text would stay in every cache it reaches. :func:`compact` replaces a
text longer than :data:`LONG_VALUE_CHARS` by a short key naming its SHA-256 digest and keeps
the text once, in a store bounded by :data:`KEEP_CHARS` characters; :func:`expand` gives the
text back where a value is read.

>>> short = compact("[1, 2]")
>>> short
'[1, 2]'
>>> key = compact("[" + ", ".join(["0.5"] * 2000) + "]")
>>> len(key) < 80, expand(key).count("0.5")
(True, 2000)
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from ..errors import ValueInputError

__all__ = ["compact", "expand", "LONG_VALUE_CHARS", "KEEP_CHARS"]

LONG_VALUE_CHARS = 4096
"""Value texts longer than this are keyed by their digest."""
KEEP_CHARS = 64_000_000
"""Characters of long value texts kept (least recently used dropped first)."""
_PREFIX = "\x00sha256:"  # a field's text never parses as a value starting with NUL
_STORE: OrderedDict[str, str] = OrderedDict()
_KEPT = [0]
_LOCK = threading.Lock()  # Streamlit serves sessions from several threads


def compact(raw: str) -> str:
    """``raw`` itself when short, else a key naming its digest (the text is kept for :func:`expand`)."""
    if len(raw) <= LONG_VALUE_CHARS:
        return raw
    key = _PREFIX + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    with _LOCK:
        if key in _STORE:
            _STORE.move_to_end(key)
        else:
            _STORE[key] = raw
            _KEPT[0] += len(raw)
            while _KEPT[0] > KEEP_CHARS and len(_STORE) > 1:
                _KEPT[0] -= len(_STORE.popitem(last=False)[1])
    return key


def expand(raw: str) -> str:
    """The value text a key of :func:`compact` stands for (other texts unchanged)."""
    if not raw.startswith(_PREFIX):
        return raw
    with _LOCK:
        text = _STORE.get(raw)
    if text is None:
        raise ValueInputError("a long value was dropped from the page's memory; change any field to "
                              "evaluate again")
    return text
