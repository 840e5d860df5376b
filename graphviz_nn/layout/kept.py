"""Layout runs on a ``dot`` process kept open: one start serves many layouts.

Starting ``dot`` costs more than the layouts the step player asks of it (loading its plugins:
~10–30 ms on an idle machine, 70–100 ms on a loaded one, against a few milliseconds of layout
for a teaching graph), and a new text asks for several runs one after another (measure every
node version, lay out the finished drawing, draw the pinned sheets). ``dot`` reads graph after
graph from its input and writes each one's output as soon as it has read it, so
:func:`run_kept` keeps a few processes per (program, format, arguments) open and hands each
request to an idle one: the outputs are the same bytes as one run per graph
(:func:`~graphviz_nn.layout.program.run_layout_many`; the SVG root group's id is written as
for a run of its own).

A layout must not depend on what the process laid out before: ``dot`` keeps some state from
graph to graph (the ids of unnamed objects count on; named subgraphs are visited in the order
of their names' addresses), so the drawings name every subgraph that could be a sibling of
another named one only inside an unnamed group (:mod:`graphviz_nn.draw.wrap`).

Only ``dot`` reads that way (graphviz-pure reads all of its input first), and only ``json``,
``json0`` and ``svg`` outputs are split here; anything else runs as before. A request that fails in any way
(the process ends, writes an error, or a write breaks) is run again the ordinary way, which
gives the ordinary message (and remembers the failure); a request past its timeout ends its
process and fails with the ordinary timeout message, remembered as the ordinary run remembers
it (asked again, it fails at once). A process started in another process (a
fork) is never used.
"""

from __future__ import annotations

import atexit
import os
import re
import selectors
import subprocess
import threading
import time

from ..errors import RenderError
from . import program as layout

__all__ = ["run_kept", "KEEP", "close_all", "started"]

KEEP = 2
"""Idle processes kept per (program, format, arguments): the player draws its sheets in two
batches at once."""
_FORMATS = {"svg": b"</svg>\n", "json": b"\n}\n", "json0": b"\n}\n"}  # how each output ends (a JSON text: its closing line)
_ROOT = re.compile(rb'<g id="[^"]*_graph0" class="graph"')
_Key = tuple[str, str, tuple[str, ...]]
_IDLE: dict[_Key, list["_Process"]] = {}
_LOCK = threading.Lock()
_STARTED = [0]


def started() -> int:
    """How many layout processes this module has started (for tests and benchmarks)."""
    return _STARTED[0]


class _Failed(Exception):
    """The kept process could not answer: the request is run the ordinary way."""


class _Process:
    """One ``dot`` process reading graphs from a pipe."""

    def __init__(self, cmd: list[str]) -> None:
        self.owner = os.getpid()
        self.popen = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      bufsize=0)
        _STARTED[0] += 1
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            os.set_blocking(stream.fileno(), False)  # type: ignore[union-attr]

    def ask(self, data: bytes, count: int, end: bytes, timeout: float) -> list[bytes]:
        """Write ``data`` (``count`` graphs) and read until ``count`` outputs ending in ``end``
        have come; the outputs. Raises :class:`_Failed` or ``subprocess.TimeoutExpired``."""
        deadline = time.monotonic() + timeout
        stdin, stdout, stderr = self.popen.stdin, self.popen.stdout, self.popen.stderr
        out = bytearray()
        errors = bytearray()
        view = memoryview(data)
        done = last = 0  # outputs read, and where the last one ended
        ends: list[int] = []
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            selector.register(stderr, selectors.EVENT_READ)  # type: ignore[arg-type]
            if view:
                selector.register(stdin, selectors.EVENT_WRITE)  # type: ignore[arg-type]
            while done < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(self.popen.args, timeout)
                for key, _ in selector.select(left):
                    if key.fileobj is stdin:
                        try:
                            written = os.write(stdin.fileno(), view[:1 << 16])  # type: ignore[union-attr]
                        except BlockingIOError:
                            continue
                        except OSError as exc:  # the process ended
                            raise _Failed(str(exc)) from exc
                        view = view[written:]
                        if not view:
                            selector.unregister(stdin)  # type: ignore[arg-type]
                        continue
                    try:
                        chunk = os.read(key.fileobj.fileno(), 1 << 20)  # type: ignore[union-attr]
                    except BlockingIOError:
                        continue
                    if not chunk:
                        raise _Failed("the layout program ended")
                    if key.fileobj is stderr:
                        errors += chunk
                        if b"Error" in errors:
                            raise _Failed(errors.decode("utf-8", "replace"))
                        continue
                    start = max(last, len(out) - len(end) + 1)  # an end may straddle two reads
                    out += chunk
                    found = out.find(end, start)
                    while found >= 0:
                        done += 1
                        last = found + len(end)
                        ends.append(last)
                        found = out.find(end, last)
        if len(out) != last or done != count:
            raise _Failed("the layout program wrote more than it was asked for")
        return [bytes(out[a:b]) for a, b in zip([0, *ends], ends)]

    def close(self) -> None:
        """End the process (it ends by itself once its input closes)."""
        try:
            self.popen.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        try:
            self.popen.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        for stream in (self.popen.stdout, self.popen.stderr):
            stream.close()  # type: ignore[union-attr]


def _take(key: _Key, cmd: list[str]) -> _Process:
    with _LOCK:
        idle = _IDLE.setdefault(key, [])
        while idle:
            proc = idle.pop()
            if proc.owner == os.getpid() and proc.popen.poll() is None:
                return proc
    return _Process(cmd)


def _give_back(key: _Key, proc: _Process) -> None:
    with _LOCK:
        idle = _IDLE.setdefault(key, [])
        if len(idle) < KEEP:
            idle.append(proc)
            return
    proc.close()


def close_all() -> None:
    """End every kept process of this process (at exit, and for tests)."""
    with _LOCK:
        procs = [p for idle in _IDLE.values() for p in idle if p.owner == os.getpid()]
        _IDLE.clear()
    for proc in procs:
        proc.close()


atexit.register(close_all)


def run_kept(sources: list[str], fmt: str, program: layout.LayoutProgram | None = None,
             timeout: float = layout.DEFAULT_TIMEOUT, extra_args: tuple[str, ...] = ()) -> list[bytes]:
    """One output per DOT text of ``sources``, as :func:`~graphviz_nn.layout.program.run_layout_many`
    gives them, from a kept ``dot`` process when the program is ``dot`` and ``fmt`` is ``json``,
    ``json0`` or ``svg`` (``timeout`` is for each graph). Raises :class:`RenderError`."""
    prog = program if program is not None else layout.find_program()
    if not sources:
        return []
    if prog.name != "dot" or fmt not in _FORMATS:
        return layout.run_layout_many(sources, fmt, prog, timeout, extra_args)
    cmd = [prog.path, f"-T{fmt}", *extra_args]
    # remembered as run_layout_many's run of the same sources would be
    failed_key = layout.failure_key(sources[0] if len(sources) == 1 else "".join(sources),
                                    timeout * len(sources), cmd)
    if layout.remembered_failure(failed_key) is not None:
        return layout.run_layout_many(sources, fmt, prog, timeout, extra_args)  # fails at once
    key = (prog.path, fmt, tuple(extra_args))
    data = "".join(s if s.endswith("\n") else s + "\n" for s in sources).encode("utf-8", "surrogatepass")
    proc = _take(key, cmd)
    try:
        out = proc.ask(data, len(sources), _FORMATS[fmt], timeout * len(sources))
    except subprocess.TimeoutExpired as exc:
        proc.popen.kill()
        proc.close()
        message = (f"{prog.name} did not finish laying out the graph within {timeout:g} s; "
                   "try a smaller graph, --no-values/--no-grads, or a longer timeout")
        layout.remember_failure(failed_key, message)
        raise RenderError(message) from exc
    except (_Failed, OSError):
        proc.popen.kill()
        proc.close()
        return layout.run_layout_many(sources, fmt, prog, timeout, extra_args)  # the ordinary message
    _give_back(key, proc)
    if fmt == "svg":  # the root group's id as a run of its own writes it
        out = [_ROOT.sub(b'<g id="graph0" class="graph"', part, count=1) for part in out]
    return out
