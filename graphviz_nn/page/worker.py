"""One worker process of the app: its life (imports, then one call at a time) and the server's
handle on it (start, wait until ready, lower its priority, kill it with its layout programs).

A worker is a fresh Python process (``python -c "...worker import main; main()" MB SECONDS NICE``)
in its own session and process group, at a CPU priority ``NICE`` steps lower than the server's
(``Budget.worker_nice``; its layout programs inherit it), so that the server's own work for
every session is scheduled first; talking over its standard input and output with the messages
of :mod:`graphviz_nn.page.wire`. Not ``multiprocessing``'s process start: its spawn and
forkserver methods re-import the ``__main__`` module in every child, and under Streamlit that is
the app script itself; forking the threaded server directly could copy a held lock. Only the
pipe framing (:class:`multiprocessing.connection.Connection`) comes from ``multiprocessing``.
A worker imports the page modules once (:data:`PRELOAD`, about a second) and stays alive
between calls, so its caches (prepared programs, evaluations, pinned layouts) stay warm.
"""

from __future__ import annotations

import importlib
import os
import resource
import signal
import subprocess
import sys
import time
from multiprocessing.connection import Connection

from . import budget as budget_module
from . import wire
from .budget import HEAVY_NICE, Budget

__all__ = ["Worker", "CpuClock", "PRELOAD", "READY", "STARTUP_SECONDS", "main"]

#: Modules a worker imports before its first call.
PRELOAD = ["graphviz_nn.page.view", "graphviz_nn.page.teach", "graphviz_nn.page.worksheet",
           "graphviz_nn.page.downloads", "graphviz_nn.page.netview", "graphviz_nn.layout.steady",
           "graphviz_nn.export.files"]
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
    """A worker process: ``python -c "from graphviz_nn.page.worker import main; main()" MB SECONDS NICE``.

    It lowers its own CPU priority by ``NICE`` first (its imports included). Calls arrive on
    standard input and replies leave on the original standard output, which is then pointed at
    standard error so that nothing printed can corrupt a reply."""
    memory_mb, seconds = int(sys.argv[1]), float(sys.argv[2])
    lower = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if lower > 0:
        try:
            os.nice(lower)
        except OSError:  # not allowed here: the worker runs at the server's priority
            pass
    out = os.dup(1)
    os.dup2(2, 1)
    reader, writer = Connection(0, writable=False), Connection(out, readable=False)
    for module in PRELOAD:
        importlib.import_module(module)
    try:
        writer.send_bytes(READY)
    except OSError:  # the server stopped (or gave up on it) while it started
        return
    _serve(reader, writer, memory_mb, seconds)


def _serve(conn: Connection, reply_to: Connection, memory_mb: int, seconds: float) -> None:
    """A worker's life: one call at a time from ``conn`` until the pipe closes or it retires
    (after running out of memory, or once its resident memory passes half the budget)."""
    if memory_mb > 0:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    budget_module.WORKER_MEMORY["budget"] = Budget(seconds=seconds, memory_mb=memory_mb)
    while True:
        try:
            job = conn.recv_bytes()
        except (EOFError, OSError):
            return
        budget_module.WORKER_MEMORY["seen"] = False
        try:
            module, name, args, kwargs = wire.decode_call(job)
            status, value = "ok", getattr(importlib.import_module(module), name)(*args, **kwargs)
        except MemoryError:
            status, value = "over", "memory"
        except Exception as err:  # the server raises it in the caller's thread
            status, value = "raise", err if wire.travels(err) else RuntimeError(f"{type(err).__name__}: {err}")
        retire = (status == "over" or budget_module.WORKER_MEMORY["seen"]
                  or (memory_mb > 0 and _rss_mb() > memory_mb / 2))
        try:
            data = wire.encode_reply(status, value, retire)
        except MemoryError:
            data, retire = wire.encode_reply("over", "memory", True), True
        except Exception as err:
            data = wire.encode_reply("raise", RuntimeError(f"the answer could not be sent: {err}"), retire)
        try:
            reply_to.send_bytes(data)
        except OSError:
            return
        if retire:
            return


class Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, budget: Budget):
        env = {**os.environ, **{var: "1" for var in _THREAD_VARS}}  # the workers are the parallelism
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from graphviz_nn.page.worker import main; main()",
             str(budget.memory_mb), str(budget.seconds), str(budget.worker_nice)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            start_new_session=True)  # its own process group: stopped with its layout programs
        assert self.process.stdin is not None and self.process.stdout is not None
        self.send = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.conn = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.key = ""  # the text it served last
        self.niced = False
        self.heavy = False  # running a heavy call (the pool keeps one worker for light ones)

    def cpu_seconds(self) -> float | None:
        """CPU seconds the worker has used so far (user and system, its own and those of the
        layout programs it has waited for), from ``/proc``; ``None`` where the system does not say."""
        try:
            with open(f"/proc/{self.process.pid}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return sum(int(tick) for tick in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

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
        """Lower the worker and its layout programs to the lowest CPU priority
        (:data:`~graphviz_nn.page.budget.HEAVY_NICE`; never raised again)."""
        try:
            os.setpriority(os.PRIO_PGRP, self.process.pid, HEAVY_NICE)
        except OSError:
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.pid, HEAVY_NICE)
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


class CpuClock:
    """The CPU seconds a worker has spent since a call was sent to it (its own and those of
    the programs it started and waited for); wall seconds where ``/proc`` does not say. Read
    after the worker was stopped, it gives the last figure it read."""

    def __init__(self, worker: Worker, start: float):
        self.worker, self.start = worker, start
        self.first = worker.cpu_seconds()
        self.last = 0.0

    def spent(self) -> float:
        """CPU seconds since the call was sent (wall seconds where unknown)."""
        if self.first is None:
            return time.monotonic() - self.start
        now = self.worker.cpu_seconds()
        if now is not None:
            self.last = max(now - self.first, 0.0)
        return self.last
