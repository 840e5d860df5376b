"""A small pool of worker processes that run the page's heavy functions within a budget.

Each worker is a fresh Python process (``python -c "...workers import main; main()"``) in its
own session, talking over its standard input and output. Not ``multiprocessing``: its spawn and
forkserver methods re-import the ``__main__`` module in every child, and under Streamlit that is
the app script itself; forking the threaded server directly could copy a held lock. A worker
imports the page modules once (:data:`PRELOAD`, about a second), serves one call at a time and
stays alive between calls, so its caches (prepared programs, evaluations, pinned layouts) stay
warm; a call goes to the worker that last served the same text when that one is free, and a
replacement for a stopped worker starts at once in the background.

The budget (:class:`~graphviz_nn.page.budget.Budget`):

- **time**: the server waits at most ``seconds`` for the answer. Past that it kills the
  worker's process group (the worker and any layout program it started), starts nothing in its
  place until a call needs one, and the call ends with
  :class:`~graphviz_nn.page.budget.OverBudget`. A call still running after ``nice_after``
  seconds is lowered in CPU priority, so the quick calls of other sessions go first; its worker
  is replaced after the call (an unprivileged process cannot raise its priority again).
- **memory**: a worker limits its own address space (``RLIMIT_AS``, inherited by the layout
  program it runs). An allocation past it raises ``MemoryError`` (the page shows the memory
  message) and the worker is replaced after that call; a worker that dies ends the call with
  the same message. A worker whose resident memory has grown past half its budget (its
  caches) is also replaced after the call, so workers never creep up to their limit.

Answers come back pickled; the server keeps up to ``result_cache_mb`` of them, least recently
used first out (its only cache of page results), and identical calls in flight at the same time
(a class opening one link) share one computation. Answers over budget (and errors) are kept for
a minute only: a busy moment should not mark an input as too large for long.
"""

from __future__ import annotations

import atexit
import importlib
import subprocess
import sys
import os
import pickle
import resource
import signal
import threading
import time
from collections import OrderedDict
from multiprocessing.connection import Connection
from typing import Any

from . import budget as budget_module
from .budget import Budget, OverBudget, over_budget_message

__all__ = ["Pool", "PRELOAD", "main"]

#: Modules a worker imports before its first call.
PRELOAD = ["graphviz_nn.page.view", "graphviz_nn.page.teach", "graphviz_nn.page.worksheet",
           "graphviz_nn.page.downloads", "graphviz_nn.page.netview", "graphviz_nn.layout.steady",
           "graphviz_nn.export.files"]
OVER_KEEP_SECONDS = 60.0
"""How long an over-budget answer is remembered (the same call then answers at once)."""
STARTUP_SECONDS = 120.0
"""How long a new worker may take to import the package (not counted in any call's budget)."""
READY = b"ready"  # a new worker's first message
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _rss_mb() -> float:
    """This process's resident memory in MB (Linux ``/proc``; 0 where unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def main() -> None:
    """A worker process: ``python -c "from graphviz_nn.page.workers import main; main()" MB SECONDS``.

    Calls arrive on standard input and replies leave on the original standard output, which
    is then pointed at standard error so that nothing printed can corrupt a reply."""
    memory_mb, seconds = int(sys.argv[1]), float(sys.argv[2])
    out = os.dup(1)
    os.dup2(2, 1)
    reader, writer = Connection(0, writable=False), Connection(out, readable=False)
    for module in PRELOAD:
        importlib.import_module(module)
    writer.send_bytes(READY)
    _serve(reader, writer, memory_mb, seconds)


def _serve(conn: Connection, reply_to: Connection, memory_mb: int, seconds: float) -> None:
    """A worker's life: one call at a time from ``conn`` until the pipe closes or it retires.

    A reply is ``pickle((status, value, retire))``: ``("ok", result)``, ``("raise", error)`` or
    ``("over", "memory")``; ``retire`` says this worker exits after the reply."""
    if memory_mb > 0:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    budget_module._MEMORY["budget"] = Budget(seconds=seconds, memory_mb=memory_mb)
    while True:
        try:
            job = conn.recv_bytes()
        except (EOFError, OSError):
            return
        budget_module._MEMORY["seen"] = False
        try:
            module, name, args, kwargs = pickle.loads(job)
            reply: tuple[str, Any] = ("ok", getattr(importlib.import_module(module), name)(*args, **kwargs))
        except MemoryError:
            reply = ("over", "memory")
        except Exception as err:  # the server raises it in the caller's thread
            reply = ("raise", err if _travels(err) else RuntimeError(f"{type(err).__name__}: {err}"))
        retire = (reply[0] == "over" or budget_module._MEMORY["seen"]
                  or (memory_mb > 0 and _rss_mb() > memory_mb / 2))
        try:
            data = pickle.dumps((*reply, retire), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data, retire = pickle.dumps(("over", "memory", True)), True
        except Exception as err:
            data = pickle.dumps(("raise", RuntimeError(f"the answer could not be sent: {err}"), retire))
        try:
            reply_to.send_bytes(data)
        except OSError:
            return
        if retire:
            return


def _travels(err: Exception) -> bool:
    """Whether ``err`` comes out of a pickle round trip (a few exception types do not)."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return False
    return True


class _Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, budget: Budget):
        env = {**os.environ, **{var: "1" for var in _THREAD_VARS}}  # the workers are the parallelism
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from graphviz_nn.page.workers import main; main()",
             str(budget.memory_mb), str(budget.seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            start_new_session=True)  # its own process group: stopped with its layout programs
        assert self.process.stdin is not None and self.process.stdout is not None
        self.send = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.conn = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.key = ""  # the text it served last
        self.niced = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def ready(self) -> bool:
        """Wait until the worker has imported the package (its first message); False if it
        did not in :data:`STARTUP_SECONDS`."""
        try:
            return self.conn.poll(STARTUP_SECONDS) and self.conn.recv_bytes() == READY
        except (EOFError, OSError):
            return False

    def renice(self) -> None:
        """Lower the CPU priority of the worker and its layout programs (never raised again)."""
        try:
            os.setpriority(os.PRIO_PGRP, self.process.pid, 10)
        except OSError:
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.pid, 10)
            except OSError:
                return
        self.niced = True

    def kill(self) -> None:
        """Stop the worker and every process of its group, and reap it."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.process.kill()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.send.close()
        self.conn.close()


class _Answers:
    """Pickled answers by pickled call, least recently used out past ``limit`` bytes."""

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


class _Flight:
    """A call in progress that identical calls wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.data = b""


class Pool:
    """Worker processes for :func:`graphviz_nn.page.dispatch.bounded` calls (see the module)."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._starting = 0
        self._flights: dict[bytes, _Flight] = {}
        self.answers = _Answers(budget.result_cache_mb * 2**20)
        self.counts = {"calls": 0, "cached": 0, "shared": 0, "over_time": 0, "over_memory": 0,
                       "started": 0, "reniced": 0}
        self._closed = False
        atexit.register(self.close)
        threading.Thread(target=self._warm_up, name="gnn-warm-up", daemon=True).start()

    # ------------------------------------------------------------------ calls

    def call(self, module: str, name: str, args: tuple, kwargs: dict, key: str) -> Any:
        """``module.name(*args, **kwargs)`` in a worker; raises what it raises, or OverBudget."""
        job = pickle.dumps((module, name, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        self.counts["calls"] += 1
        data = self.answers.get(job)
        if data is not None:
            self.counts["cached"] += 1
            return self._answer(data)
        with self._cond:
            flight = self._flights.get(job)
            leader = flight is None
            if leader:
                flight = self._flights[job] = _Flight()
        if not leader:
            self.counts["shared"] += 1
            flight.done.wait()
            return self._answer(flight.data)
        try:
            try:
                flight.data = self._run(job, key)
            except Exception as err:  # no worker could take the call: say so to every waiter
                flight.data = pickle.dumps(("raise", RuntimeError(f"the app could not run this: {err}"), False))
            settled = pickle.loads(flight.data)[0] == "ok"  # failures are remembered a minute only
            self.answers.put(job, flight.data, None if settled else OVER_KEEP_SECONDS)
        finally:
            with self._cond:
                del self._flights[job]
            flight.done.set()
        return self._answer(flight.data)

    def _answer(self, data: bytes) -> Any:
        status, value, _ = pickle.loads(data)
        if status == "ok":
            return value
        if status == "over":
            raise OverBudget(over_budget_message(value, self.budget), value)
        raise value

    def _run(self, job: bytes, key: str, tries: int = 2) -> bytes:
        """Send ``job`` to a worker and wait for its reply within the time budget."""
        worker = self._acquire(key)
        try:
            worker.send.send_bytes(job)
        except OSError:  # it ended while idle (it had just retired): another worker takes the call
            self._release(worker, retire=True)
            if tries > 1:
                return self._run(job, key, tries - 1)
            raise
        start = time.monotonic()
        deadline = start + self.budget.seconds
        lowered = False  # tried once, whether or not the system allowed it
        try:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                wait = deadline - now if lowered else min(deadline, start + self.budget.nice_after) - now
                if worker.conn.poll(max(wait, 0.0)):
                    data = worker.conn.recv_bytes()
                    # A lowered worker is not raised again (that needs privileges): replace it.
                    self._release(worker, retire=pickle.loads(data)[2] or worker.niced)
                    return data
                if not lowered and time.monotonic() >= start + self.budget.nice_after:
                    worker.renice()
                    lowered = True
                    self.counts["reniced"] += 1
        except (EOFError, OSError):  # the worker died: killed for its memory, or crashed
            self._release(worker, retire=True)
            self.counts["over_memory"] += 1
            return pickle.dumps(("over", "memory", True))
        self._release(worker, retire=True)
        self.counts["over_time"] += 1
        return pickle.dumps(("over", "time", True))

    # ------------------------------------------------------------------ workers

    def _acquire(self, key: str) -> _Worker:
        """A free worker: the one that served ``key`` last, else any idle one, else a new one
        while fewer than ``workers`` run, else the first to come free."""
        with self._cond:
            while True:
                for dead in [w for w in self._idle if not w.alive()]:
                    self._idle.remove(dead)
                    dead.kill()
                chosen = next((w for w in self._idle if w.key == key), None)
                if chosen is None and len(self._idle) + len(self._busy) + self._starting < self.budget.workers:
                    self._starting += 1
                    break
                chosen = chosen or (self._idle[0] if self._idle else None)
                if chosen is not None:
                    self._idle.remove(chosen)
                    self._busy.add(chosen)
                    chosen.key = key
                    return chosen
                self._cond.wait()
        worker = self._start_worker()
        if worker is None:
            raise OverBudget("a worker process did not start; try again in a moment", "time")
        worker.key = key
        with self._cond:
            self._busy.add(worker)
        return worker

    def _release(self, worker: _Worker, retire: bool) -> None:
        with self._cond:
            self._busy.discard(worker)
            keep = not retire and not self._closed
            if keep:
                self._idle.append(worker)
            self._cond.notify_all()
        if not keep:
            worker.kill()
            threading.Thread(target=self._warm_up, name="gnn-warm-up", daemon=True).start()

    def _start_worker(self) -> _Worker | None:
        """Start one worker the caller has counted in ``_starting``; ``None`` (and the worker
        stopped) when it did not come up."""
        try:
            worker = _Worker(self.budget)
            up = worker.ready()
        finally:
            with self._cond:
                self._starting -= 1
                self._cond.notify_all()
        if not up:
            worker.kill()
            return None
        self.counts["started"] += 1
        return worker

    def _warm_up(self) -> None:
        """Start workers until ``warm`` of them run: at the start, and after one is stopped,
        so that a call seldom waits for a worker to import the package."""
        while True:
            with self._cond:
                if self._closed or len(self._idle) + len(self._busy) + self._starting >= self.budget.warm:
                    return
                self._starting += 1
            worker = self._start_worker()
            if worker is None:
                return
            with self._cond:
                self._idle.append(worker)
                self._cond.notify_all()

    def pids(self) -> list[int]:
        """The process ids of the running workers (for memory figures)."""
        with self._cond:
            return [w.process.pid for w in [*self._idle, *self._busy]]

    def close(self) -> None:
        """Stop every worker; busy ones stop when their call ends."""
        with self._cond:
            self._closed = True
            workers, self._idle = [*self._idle], []
        for worker in workers:
            worker.kill()
