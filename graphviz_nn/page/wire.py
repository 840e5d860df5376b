"""The messages between the app's server and its own worker processes (the only pickling here).

The server and its workers (:mod:`graphviz_nn.page.worker`) talk over the worker's standard
input and output, framed by :class:`multiprocessing.connection.Connection`; each message is a
pickle. Pickle runs code while loading, so it is used on trusted internal data only:

- a **call** is built by the server from a page function's name and its arguments (the text, the
  values, frozen option dataclasses): a user's text travels *inside* it as a ``str``, and only a
  worker, a child process the server started from this package, loads it;
- a **reply** is built by the worker from what that page function returned (frozen dataclasses,
  tuples, strings, bytes), and only the server loads it.

No byte a user sent is ever loaded as a pickle: user input reaches the server as Streamlit widget
values and URL parameters, which are strings, and never crosses this module except as a field of
a call the server built. A worker that could be made to send a hostile reply would already run
code as the server's user, so a reply crosses no trust boundary either.

>>> call = encode_call("graphviz_nn.page.view", "build_view", ("x*y",), {})
>>> decode_call(call)
('graphviz_nn.page.view', 'build_view', ('x*y',), {})
>>> decode_reply(encode_reply("ok", 6, False))
('ok', 6, False)
"""

from __future__ import annotations

import pickle
from typing import Any

__all__ = ["encode_call", "decode_call", "encode_reply", "decode_reply", "reply_status", "travels"]

Reply = tuple[str, Any, bool]
"""``(status, value, retire)``: ``("ok", result)``, ``("raise", error)`` or ``("over", kind)``
with ``kind`` ``"time"``, ``"memory"`` or ``"rerun"``; ``retire``: the worker exits after it."""


def encode_call(module: str, name: str, args: tuple, kwargs: dict) -> bytes:
    """A call of ``module.name(*args, **kwargs)`` as the server sends it (also its cache key)."""
    return pickle.dumps((module, name, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)


def decode_call(data: bytes) -> tuple[str, str, tuple, dict]:
    """In a worker: the call the server sent."""
    module, name, args, kwargs = pickle.loads(data)
    return module, name, args, kwargs


def encode_reply(status: str, value: Any, retire: bool) -> bytes:
    """A reply; raises what pickling ``value`` raises (the worker turns that into an error reply)."""
    return pickle.dumps((status, value, retire), protocol=pickle.HIGHEST_PROTOCOL)


def decode_reply(data: bytes) -> Reply:
    """In the server: a reply of its worker (or one the pool made itself)."""
    status, value, retire = pickle.loads(data)
    return status, value, retire


def reply_status(data: bytes) -> str:
    """``"ok"``, ``"raise"`` or ``"over"``."""
    return decode_reply(data)[0]


def travels(err: BaseException) -> bool:
    """Whether ``err`` survives the trip to the server (a few exception types do not pickle)."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return False
    return True
