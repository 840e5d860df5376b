"""A small pool of worker processes that run the page's heavy functions within a budget.

The workers are :class:`~graphviz_nn.page.worker.Worker` processes (one call at a time each,
alive between calls so their caches stay warm); a call goes to the worker that last served the
same text when that one is free. Workers are started in the background (ahead of the first
call, after one is stopped, and while calls wait with fewer than ``workers`` running), never in
a caller's thread. Calls and answers travel as the messages of :mod:`graphviz_nn.page.wire`.

The budget (:class:`~graphviz_nn.page.budget.Budget`):

- **time**: the server waits at most ``seconds`` for the answer. Past that it kills the
  worker's process group (the worker and any layout program it started), and the call ends with
  :class:`~graphviz_nn.page.budget.OverBudget`.
- **CPU priority**: every worker runs ``worker_nice`` steps below the server (the server's page
  building for every session goes first). A call that has used ``nice_after`` seconds of CPU,
  and every call of a heavy rerun from its start, runs at the lowest priority
  (:data:`~graphviz_nn.page.budget.HEAVY_NICE`), so the quick calls of other sessions go first;
  its worker is replaced after the call (an unprivileged process cannot raise its priority again).
- **pages that have gone**: a rerun that can tell when its session ended
  (:attr:`~graphviz_nn.page.budget.Rerun.watched`; the app's reruns can) has its call stopped
  within :data:`GONE_POLL_SECONDS` of the browser tab closing or reloading, its worker replaced:
  no worker keeps computing a page nobody will see.
- **wall time per rerun**: inside an open :class:`~graphviz_nn.page.budget.Rerun` a call waits
  for a worker and runs only until the rerun's deadline (``rerun_seconds`` after the rerun
  began): cut there, it ends with the rerun's message (``busy`` if it never got a worker), and
  once the deadline has passed the rerun's further calls end at once. Answers from the cache
  are still given, so the next rerun of the same page goes further.
- **fair shares**: a rerun makes one call at a time, so it never holds more than one worker.
  Waiting calls are served lightest first: by the worker CPU time their rerun has already used
  (then in order of arrival), and a call of a *heavy* rerun (one that has already used
  ``nice_after`` seconds of worker CPU time) never takes the last free worker while another is
  running a heavy call: one worker always stays for the light calls of the other sessions.
- **memory**: a worker limits its own address space (``RLIMIT_AS``, inherited by the layout
  program it runs). An allocation past it raises ``MemoryError`` (the page shows the memory
  message) and the worker is replaced after that call; a worker that dies ends the call with
  the same message. A worker whose resident memory has grown past half its budget (its
  caches) is also replaced after the call, so workers never creep up to their limit.

The server keeps up to ``result_cache_mb`` of encoded answers (:class:`~graphviz_nn.page.answers.Answers`,
its only cache of page results), and identical calls in flight at the same time (a class opening
one link) share one computation. Answers over budget (and errors) are kept for a minute only: a
busy moment should not mark an input as too large for long; a call cut short by its rerun's
deadline is not kept at all (it may fit in a rerun of its own).

With ``GNN_POOL_LOG=1`` in the environment the pool writes one line per call to standard error
(its function, the wait for a worker, the running time and the outcome), and
:func:`graphviz_nn.page.dispatch.rerun_budget` one per rerun: where a slow page spent its time.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import sys
import threading
import time
from typing import Any

from . import wire
from .answers import Answers, Flight
from .budget import Budget, OverBudget, Rerun, current_rerun, over_budget_message
from .worker import STARTUP_SECONDS, CpuClock, Worker

__all__ = ["Pool", "OVER_KEEP_SECONDS", "GONE_POLL_SECONDS", "LOG"]

OVER_KEEP_SECONDS = 60.0
"""How long an over-budget answer is remembered (the same call then answers at once)."""
CUT_SHORT = (("over", "rerun"), ("over", "busy"))
"""Replies that say only that the caller's rerun ran out of time: never kept, never shared."""
CPU_POLL_SECONDS = 0.25
"""How often the CPU time of a call not yet lowered is read (``/proc``: microseconds)."""
GONE_POLL_SECONDS = 0.5
"""How often a call whose rerun can tell (:attr:`Rerun.watched`) looks whether its page is still open."""
LOG = logging.getLogger("graphviz_nn.page.workers")
"""Where the pool (and :func:`~graphviz_nn.page.dispatch.rerun_budget`) say what took the time."""


def _log_to_stderr() -> None:
    """With ``GNN_POOL_LOG=1``, the pool's lines go to standard error (once per process)."""
    if os.environ.get("GNN_POOL_LOG") == "1" and not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s gnn-pool %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)


class _Late(Exception):
    """A call's rerun reached its deadline before a worker came free."""


class _Gone(Exception):
    """A call's page went away (its session ended) while the call waited for a worker."""


class Pool:
    """Worker processes for :func:`graphviz_nn.page.dispatch.bounded` calls (see the module)."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._starting = 0
        self._waiting: list[tuple[float, int, bool]] = []  # (weight, arrival, heavy) of each waiting call
        self._arrivals = itertools.count()
        self._flights: dict[bytes, Flight] = {}
        self.answers = Answers(budget.result_cache_mb * 2**20)
        self.counts = {"calls": 0, "cached": 0, "shared": 0, "over_time": 0, "over_memory": 0,
                       "over_rerun": 0, "over_busy": 0, "started": 0, "reniced": 0, "abandoned": 0}
        _log_to_stderr()
        self._closed = False
        atexit.register(self.close)
        self.warming = threading.Thread(target=self._warm_up, name="gnn-warm-up", daemon=True)
        """The warm-up started with the pool (joined by tests that need it finished)."""
        self.warming.start()

    # ------------------------------------------------------------------ calls

    def call(self, module: str, name: str, args: tuple, kwargs: dict, key: str) -> Any:
        """``module.name(*args, **kwargs)`` in a worker; raises what it raises, or OverBudget.

        Inside an open :class:`Rerun` the call is charged to it (see the module)."""
        job = wire.encode_call(module, name, args, kwargs)
        rerun = current_rerun()
        self.counts["calls"] += 1
        if rerun is not None:
            rerun.text_chars = max(rerun.text_chars, len(key))
        while True:
            data = self.answers.get(job)
            if data is not None:
                self.counts["cached"] += 1
                return self._answer(data)
            if rerun is not None and rerun.left() <= 0:
                self.counts["over_rerun"] += 1
                LOG.info("%s.%s: over rerun at once (its deadline has passed)", module, name)
                raise OverBudget(over_budget_message("rerun", self.budget), "rerun")
            with self._cond:
                flight = self._flights.get(job)
                leader = flight is None
                if leader:
                    flight = self._flights[job] = Flight()
            if leader:
                return self._answer(self._lead(job, key, flight, rerun, f"{module}.{name}"))
            self.counts["shared"] += 1
            if not self._wait_for(flight, rerun):
                self.counts["over_rerun"] += 1  # this rerun's deadline came first
                raise OverBudget(over_budget_message("rerun", self.budget), "rerun")
            if wire.decode_reply(flight.data)[:2] not in CUT_SHORT:  # else: cut short by the
                return self._answer(flight.data)                    # leader's rerun, run it here

    @staticmethod
    def _wait_for(flight: Flight, rerun: Rerun | None) -> bool:
        """Wait for another caller's identical call; False when this rerun's deadline came
        first, or its page went away."""
        if rerun is None:
            return flight.done.wait()
        while not flight.done.wait(max(min(rerun.left(), GONE_POLL_SECONDS if rerun.watched else rerun.left()), 0.0)):
            if rerun.left() <= 0 or rerun.gone():
                return False
        return True

    def _lead(self, job: bytes, key: str, flight: Flight, rerun: Rerun | None, what: str) -> bytes:
        """Run ``job`` for every caller waiting on ``flight``; keep its answer."""
        asked = time.monotonic()
        ran = cpu = 0.0
        try:
            try:
                flight.data, ran, cpu = self._run(job, key, rerun)
            except _Late:  # every worker stayed busy until the rerun's deadline
                self.counts["over_busy"] += 1
                flight.data = wire.encode_reply("over", "busy", False)
            except _Gone:  # nobody waits for it any more
                self.counts["abandoned"] += 1
                flight.data = wire.encode_reply("over", "rerun", False)
            except Exception as err:  # no worker could take the call: say so to every waiter
                flight.data = wire.encode_reply("raise", RuntimeError(f"the app could not run this: {err}"), False)
            if rerun is not None:  # its weight among the waiting calls: the CPU time a worker gave it
                rerun.charge(cpu)
            status, value, _ = wire.decode_reply(flight.data)
            if status == "ok":
                self.answers.put(job, flight.data)
            elif (status, value) not in CUT_SHORT:  # failures are remembered a minute only
                self.answers.put(job, flight.data, OVER_KEEP_SECONDS)
            LOG.info("%s: waited %.2f s, ran %.2f s (%.2f s of CPU) -> %s%s", what, time.monotonic() - asked - ran,
                     ran, cpu, status, f" {value}" if status == "over" else "")
        finally:
            with self._cond:
                del self._flights[job]
            flight.done.set()
        return flight.data

    def _answer(self, data: bytes) -> Any:
        status, value, _ = wire.decode_reply(data)
        if status == "ok":
            return value
        if status == "over":
            raise OverBudget(over_budget_message(value, self.budget), value)
        raise value

    def _run(self, job: bytes, key: str, rerun: Rerun | None, tries: int = 2) -> tuple[bytes, float, float]:
        """Send ``job`` to a worker and wait for its reply for at most the time budget, or until
        the rerun's deadline when that comes first: the reply, the seconds from sending the call
        to its end, and the CPU seconds the worker spent on it (wall seconds where the system
        does not say). Raises :class:`_Late` when no worker came free before the deadline."""
        worker = self._acquire(key, rerun)
        limit = self.budget.seconds if rerun is None else min(self.budget.seconds, rerun.left())
        if limit <= 0:  # the worker came free just as the rerun's time ran out
            self._release(worker, retire=False)
            raise _Late()
        # A call of a heavy rerun runs at the lowest priority from its start; another once it
        # has used nice_after seconds of CPU (tried once, whether or not the system allowed it).
        lowered = worker.heavy and self._lower(worker)
        try:
            worker.send.send_bytes(job)
        except OSError:  # it ended while idle (it had just retired): another worker takes the call
            self._release(worker, retire=True)
            if tries > 1:
                return self._run(job, key, rerun, tries - 1)
            raise
        start = time.monotonic()
        deadline = start + limit
        cpu = CpuClock(worker, start)
        watch = rerun is not None and rerun.watched
        try:
            while True:
                now = time.monotonic()
                if now >= deadline or (watch and rerun.gone()):
                    break
                wait = deadline - now if lowered else min(deadline - now, CPU_POLL_SECONDS)
                if watch:  # look again soon whether the page is still open
                    wait = min(wait, GONE_POLL_SECONDS)
                if worker.conn.poll(max(wait, 0.0)):
                    data = worker.conn.recv_bytes()
                    used = cpu.spent()
                    # A lowered worker is not raised again (that needs privileges): replace it.
                    self._release(worker, retire=wire.decode_reply(data)[2] or worker.niced)
                    return data, time.monotonic() - start, used
                if not lowered and cpu.spent() >= self.budget.nice_after:
                    lowered = self._lower(worker)
        except (EOFError, OSError):  # the worker died: killed for its memory, or crashed
            self._release(worker, retire=True)
            self.counts["over_memory"] += 1
            return wire.encode_reply("over", "memory", True), time.monotonic() - start, cpu.spent()
        used = cpu.spent()
        self._release(worker, retire=True)
        if watch and time.monotonic() < deadline:  # its page has gone: nobody waits for it
            self.counts["abandoned"] += 1
            return wire.encode_reply("over", "rerun", True), time.monotonic() - start, used
        kind = "time" if limit >= self.budget.seconds else "rerun"
        self.counts[f"over_{kind}"] += 1
        return wire.encode_reply("over", kind, True), time.monotonic() - start, used

    def _lower(self, worker: Worker) -> bool:
        """Put ``worker`` (running a heavy call) at the lowest CPU priority; it counts against
        the heavy calls' share from now on. True: tried (whether or not the system allowed it)."""
        worker.renice()
        with self._cond:
            worker.heavy = True
        self.counts["reniced"] += 1
        return True

    # ------------------------------------------------------------------ workers

    def _acquire(self, key: str, rerun: Rerun | None) -> Worker:
        """A free worker for a call of ``rerun`` (``None``: a download or a callback, which
        waits at most :data:`~graphviz_nn.page.worker.STARTUP_SECONDS`): the one that served
        ``key`` last, else any idle one, when this call's turn has come (:meth:`_turn`); while
        calls wait and fewer than ``workers`` run, another one starts in the background.
        Raises :class:`_Late` at the rerun's deadline."""
        heavy = rerun is not None and rerun.used >= self.budget.nice_after
        me = (0.0 if rerun is None else rerun.used, next(self._arrivals), heavy)
        until = time.monotonic() + STARTUP_SECONDS
        with self._cond:
            self._waiting.append(me)
            try:
                while True:
                    if self._closed:
                        raise RuntimeError("the worker pool has stopped")
                    for dead in [w for w in self._idle if not w.alive()]:
                        self._idle.remove(dead)
                        dead.kill()
                    if self._idle and self._turn(me):
                        chosen = next((w for w in self._idle if w.key == key), self._idle[0])
                        self._idle.remove(chosen)
                        self._busy.add(chosen)
                        chosen.key, chosen.heavy = key, heavy
                        return chosen
                    if (not self._idle and not self._closed
                            and len(self._busy) + self._starting < self.budget.workers):
                        self._starting += 1
                        threading.Thread(target=self._add_worker, name="gnn-start", daemon=True).start()
                    left = until - time.monotonic() if rerun is None else rerun.left()
                    if left <= 0:
                        raise _Late()
                    if rerun is not None and rerun.watched:
                        if rerun.gone():
                            raise _Gone()
                        left = min(left, GONE_POLL_SECONDS)
                    self._cond.wait(left)
            finally:
                self._waiting.remove(me)
                self._cond.notify_all()  # the next in line may be this one's successor

    def _turn(self, me: tuple[float, int, bool]) -> bool:
        """Whether the waiting call ``me`` takes the next free worker (called with the lock
        held): the lightest waiting call goes first, and a heavy call only while another worker
        would remain for the light ones (or the pool has a single worker)."""
        heavy_running = sum(1 for w in self._busy if w.heavy)
        room_for_heavy = self.budget.workers < 2 or heavy_running + 1 < self.budget.workers
        eligible = [w for w in self._waiting if room_for_heavy or not w[2]]
        return bool(eligible) and min(eligible) == me

    def _release(self, worker: Worker, retire: bool) -> None:
        with self._cond:
            self._busy.discard(worker)
            keep = not retire and not self._closed
            if keep:
                self._idle.append(worker)
            self._cond.notify_all()
        if not keep:
            worker.kill()
            threading.Thread(target=self._warm_up, name="gnn-warm-up", daemon=True).start()

    def _start_worker(self) -> Worker | None:
        """Start one worker the caller has counted in ``_starting``; ``None`` (and the worker
        stopped) when it did not come up."""
        try:
            worker = Worker(self.budget)
            up = worker.ready()
        except OSError:
            worker, up = None, False
        finally:
            with self._cond:
                self._starting -= 1
                self._cond.notify_all()
        if not up:
            if worker is not None:
                worker.kill()
            return None
        self.counts["started"] += 1
        return worker

    def _add_worker(self) -> None:
        """Start a worker for the waiting calls (counted in ``_starting`` by the caller)."""
        worker = self._start_worker()
        if worker is None:
            return
        with self._cond:
            keep = not self._closed
            if keep:
                self._idle.append(worker)
                self._cond.notify_all()
        if not keep:  # the pool closed while it was starting: it would outlive the pool
            worker.kill()

    def _warm_up(self) -> None:
        """Start workers until ``warm`` of them run: at the start, and after one is stopped,
        so that a call seldom waits for a worker to import the package."""
        while True:
            with self._cond:
                if self._closed or len(self._idle) + len(self._busy) + self._starting >= self.budget.warm:
                    return
                self._starting += 1
            before = self.counts["started"]
            self._add_worker()
            if self.counts["started"] == before:  # it did not come up: try again at the next need
                return

    def pids(self) -> list[int]:
        """The process ids of the running workers (for memory figures)."""
        with self._cond:
            return [w.process.pid for w in [*self._idle, *self._busy]]

    def close(self) -> None:
        """Stop every worker; busy ones stop when their call ends."""
        with self._cond:
            self._closed = True
            workers, self._idle = [*self._idle], []
            self._cond.notify_all()  # waiting calls end now
        for worker in workers:
            worker.kill()
