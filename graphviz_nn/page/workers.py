"""A small pool of worker processes that run the page's heavy functions within a budget.

The workers are :class:`~graphviz_nn.page.worker.Worker` processes (one call at a time each,
alive between calls so their caches stay warm); a call goes to the worker that last served the
same text when that one is free, and a replacement for a stopped worker starts at once in the
background. Calls and answers travel as the messages of :mod:`graphviz_nn.page.wire`.

The budget (:class:`~graphviz_nn.page.budget.Budget`):

- **time**: the server waits at most ``seconds`` for the answer. Past that it kills the
  worker's process group (the worker and any layout program it started), starts nothing in its
  place until a call needs one, and the call ends with
  :class:`~graphviz_nn.page.budget.OverBudget`. A call still running after ``nice_after``
  seconds is lowered in CPU priority, so the quick calls of other sessions go first; its worker
  is replaced after the call (an unprivileged process cannot raise its priority again).
- **time per rerun**: inside an open :class:`~graphviz_nn.page.budget.Rerun` a call may run no
  longer than the rerun has left, its running time is charged to the rerun, and once nothing is
  left the rerun's further calls end over budget without running. Answers from the cache cost
  nothing, so the next rerun of the same page goes further.
- **memory**: a worker limits its own address space (``RLIMIT_AS``, inherited by the layout
  program it runs). An allocation past it raises ``MemoryError`` (the page shows the memory
  message) and the worker is replaced after that call; a worker that dies ends the call with
  the same message. A worker whose resident memory has grown past half its budget (its
  caches) is also replaced after the call, so workers never creep up to their limit.

The server keeps up to ``result_cache_mb`` of encoded answers (:class:`~graphviz_nn.page.answers.Answers`,
its only cache of page results), and identical calls in flight at the same time (a class opening
one link) share one computation. Answers over budget (and errors) are kept for a minute only: a
busy moment should not mark an input as too large for long; a call cut short by its rerun's
budget is not kept at all (it may fit in a rerun of its own).
"""

from __future__ import annotations

import atexit
import threading
import time
from typing import Any

from . import wire
from .answers import Answers, Flight
from .budget import Budget, OverBudget, Rerun, current_rerun, over_budget_message
from .worker import Worker

__all__ = ["Pool", "OVER_KEEP_SECONDS"]

OVER_KEEP_SECONDS = 60.0
"""How long an over-budget answer is remembered (the same call then answers at once)."""


class Pool:
    """Worker processes for :func:`graphviz_nn.page.dispatch.bounded` calls (see the module)."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._starting = 0
        self._flights: dict[bytes, Flight] = {}
        self.answers = Answers(budget.result_cache_mb * 2**20)
        self.counts = {"calls": 0, "cached": 0, "shared": 0, "over_time": 0, "over_memory": 0,
                       "over_rerun": 0, "started": 0, "reniced": 0}
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
        while True:
            data = self.answers.get(job)
            if data is not None:
                self.counts["cached"] += 1
                return self._answer(data)
            if rerun is not None and rerun.left() <= 0:
                self.counts["over_rerun"] += 1
                raise OverBudget(over_budget_message("rerun", self.budget), "rerun")
            with self._cond:
                flight = self._flights.get(job)
                leader = flight is None
                if leader:
                    flight = self._flights[job] = Flight()
            if leader:
                return self._answer(self._lead(job, key, flight, rerun))
            self.counts["shared"] += 1
            flight.done.wait()
            if wire.decode_reply(flight.data)[:2] != ("over", "rerun"):  # else: cut short by the
                return self._answer(flight.data)                       # leader's rerun, run it here

    def _lead(self, job: bytes, key: str, flight: Flight, rerun: Rerun | None) -> bytes:
        """Run ``job`` for every caller waiting on ``flight``; keep its answer."""
        limit = self.budget.seconds if rerun is None else min(self.budget.seconds, rerun.left())
        try:
            try:
                flight.data, ran = self._run(job, key, limit)
            except Exception as err:  # no worker could take the call: say so to every waiter
                flight.data, ran = wire.encode_reply("raise", RuntimeError(f"the app could not run this: {err}"), False), 0.0
            if rerun is not None:  # the time a worker ran it, not the wait for a free worker
                rerun.charge(ran)
            status, value, _ = wire.decode_reply(flight.data)
            if status == "ok":
                self.answers.put(job, flight.data)
            elif (status, value) != ("over", "rerun"):  # failures are remembered a minute only
                self.answers.put(job, flight.data, OVER_KEEP_SECONDS)
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

    def _run(self, job: bytes, key: str, limit: float, tries: int = 2) -> tuple[bytes, float]:
        """Send ``job`` to a worker and wait for its reply for at most ``limit`` seconds (the
        time budget, or what the rerun has left when that is less): the reply, and the seconds
        from sending the call to its end."""
        worker = self._acquire(key)
        try:
            worker.send.send_bytes(job)
        except OSError:  # it ended while idle (it had just retired): another worker takes the call
            self._release(worker, retire=True)
            if tries > 1:
                return self._run(job, key, limit, tries - 1)
            raise
        start = time.monotonic()
        deadline = start + limit
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
                    self._release(worker, retire=wire.decode_reply(data)[2] or worker.niced)
                    return data, time.monotonic() - start
                if not lowered and time.monotonic() >= start + self.budget.nice_after:
                    worker.renice()
                    lowered = True
                    self.counts["reniced"] += 1
        except (EOFError, OSError):  # the worker died: killed for its memory, or crashed
            self._release(worker, retire=True)
            self.counts["over_memory"] += 1
            return wire.encode_reply("over", "memory", True), time.monotonic() - start
        self._release(worker, retire=True)
        kind = "time" if limit >= self.budget.seconds else "rerun"
        self.counts[f"over_{kind}"] += 1
        return wire.encode_reply("over", kind, True), time.monotonic() - start

    # ------------------------------------------------------------------ workers

    def _acquire(self, key: str) -> Worker:
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
                keep = not self._closed
                if keep:
                    self._idle.append(worker)
                    self._cond.notify_all()
            if not keep:  # the pool closed while it was starting: it would outlive the pool
                worker.kill()
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
        for worker in workers:
            worker.kill()
