"""What one call of the page may use (time, memory) and the message past it.

Streamlit runs every session's script in one server process, so a heavy input would hold the
server (its cores and the interpreter lock) for every student. Page functions decorated with
:func:`graphviz_nn.page.dispatch.bounded` run in the worker pool of
:mod:`graphviz_nn.page.workers` once the app has started it, where a call that needs more than
:attr:`Budget.seconds` or :attr:`Budget.memory_mb` ends with :class:`OverBudget` (its message
says so) in that session only.

One change of the page (a Streamlit rerun) makes several such calls: the view, the player's
data, the step's drawing, the teaching panels. Each call gets at most :attr:`Budget.seconds`,
and one rerun at most :attr:`Budget.rerun_seconds` of wall time from its start (:class:`Rerun`,
opened by :func:`graphviz_nn.page.dispatch.rerun_budget`): its calls, their waits for a free
worker and the page building between them. A call still running at the rerun's deadline is
cut there, and the rerun's later calls end with the over-budget message at once.

The budget comes from the environment (``GNN_BUDGET_SECONDS``, ``GNN_RERUN_SECONDS``,
``GNN_BUDGET_MEMORY_MB``, ``GNN_WORKERS``, ``GNN_WORKER_NICE``, ``GNN_RESULT_CACHE_MB``;
:meth:`Budget.from_env`), so
a deployment lowers or raises it without editing code; ``GNN_WORKERS=0`` runs everything in the
server process.

>>> b = Budget(seconds=10, memory_mb=2048)
>>> print(over_budget_message("time", b))
this input needs more than 10 s to evaluate and draw, the most the app gives one problem
>>> print(over_budget_message("memory", b))
this input needs more than 2,048 MB of memory, the most the app gives one problem
>>> print(over_budget_message("rerun", b))
this input needs more than 14 s for one page (its drawing, steps and panels together), the most the app gives one problem
>>> print(over_budget_message("busy", b))
the app is busy with other problems and could not start this one within 14 s; try again in a moment
"""

from __future__ import annotations

import os
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import LimitError

__all__ = ["Budget", "OverBudget", "Rerun", "over_budget_message", "OVER_BUDGET_ADVICE", "memory_error_seen",
           "current_rerun", "RERUN", "WORKER_MEMORY", "HEAVY_NICE"]

HEAVY_NICE = 19
"""The CPU priority (``nice``) of a worker running heavy work: the lowest, so that on a busy
machine a heavy call gets only the time nobody else wants (it ends at its wall-clock budget
whatever it got)."""

#: What the page says under an over-budget message.
OVER_BUDGET_ADVICE = ("The app gives each problem a time and memory budget so that one large input "
                      "cannot slow the page down for everyone else. Make the problem smaller (fewer "
                      "terms, nodes or array entries), or run it with the graphviz-nn command line "
                      "or the Python API, which have no time budget.")


@dataclass(frozen=True)
class Budget:
    """The limits of one call and the size of the pool that serves the calls.

    ``seconds``: wall time of one call (evaluation, layout and drawing included) before its
    worker is stopped. ``rerun_seconds``: wall time of one rerun of the page from its start,
    every call and every wait for a worker included (:class:`Rerun`). ``memory_mb``: the address space a worker may map (its layout program
    included). ``workers``: most worker processes at once (each serves one call at a time).
    ``warm``: workers started ahead of the first call. ``result_cache_mb``: pickled answers
    the server keeps (its only cache of page results). ``worker_nice``: how much lower than the
    server's the CPU priority of every worker is (``nice``; the server's page building for every
    session goes first). ``nice_after``: CPU seconds after which a running call (and every call
    of a rerun that has used that much worker CPU time) runs at the lowest CPU priority
    (:data:`HEAVY_NICE`), so quick calls of other sessions go first.
    """

    seconds: float = 10.0
    rerun_seconds: float = 14.0
    memory_mb: int = 1024
    workers: int = 3
    warm: int = 2
    result_cache_mb: int = 64
    worker_nice: int = 2
    nice_after: float = 3.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Budget":
        """The budget with any ``GNN_*`` variable of ``environ`` (default ``os.environ``) applied.

        >>> Budget.from_env({"GNN_BUDGET_SECONDS": "5", "GNN_WORKERS": "4"}).seconds
        5.0
        """
        env = os.environ if environ is None else environ
        base = cls(workers=max(2, (os.cpu_count() or 1) + 1))
        workers = int(env.get("GNN_WORKERS", base.workers))
        return cls(seconds=float(env.get("GNN_BUDGET_SECONDS", base.seconds)),
                   rerun_seconds=float(env.get("GNN_RERUN_SECONDS", base.rerun_seconds)),
                   memory_mb=int(env.get("GNN_BUDGET_MEMORY_MB", base.memory_mb)),
                   workers=workers, warm=min(base.warm, workers),
                   result_cache_mb=int(env.get("GNN_RESULT_CACHE_MB", base.result_cache_mb)),
                   worker_nice=int(env.get("GNN_WORKER_NICE", base.worker_nice)), nice_after=base.nice_after)


class OverBudget(LimitError):
    """A call needed more time or memory than :class:`Budget` gives one problem."""

    def __init__(self, message: str, kind: str = "time"):
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> tuple[Any, ...]:
        return (OverBudget, (self.message, self.kind))


def over_budget_message(kind: str, budget: Budget) -> str:
    """The one-line message of a call over its ``time`` or ``memory`` budget, of a rerun over
    its ``rerun`` budget, or of a rerun whose time ran out while every worker was ``busy``
    with other calls (it never started)."""
    if kind == "time":
        return (f"this input needs more than {budget.seconds:g} s to evaluate and draw, "
                "the most the app gives one problem")
    if kind == "rerun":
        return (f"this input needs more than {budget.rerun_seconds:g} s for one page (its drawing, "
                "steps and panels together), the most the app gives one problem")
    if kind == "busy":
        return (f"the app is busy with other problems and could not start this one within "
                f"{budget.rerun_seconds:g} s; try again in a moment")
    return f"this input needs more than {budget.memory_mb:,} MB of memory, the most the app gives one problem"


class Rerun:
    """One rerun of the page: its wall-clock deadline, ``seconds`` after it was opened, and
    the worker CPU time its calls have used so far (``used``; the pool serves the waiting calls of
    lighter reruns first).

    >>> r = Rerun(20.0)
    >>> 19.0 < r.left() <= 20.0
    True
    >>> r.charge(12.5); r.used
    12.5
    >>> Rerun(0.0).left() <= 0
    True

    ``stopped``, when given, says whether the page this rerun draws has gone (its browser tab
    closed or reloaded): the pool then ends the rerun's call at once instead of running it for
    nobody (:meth:`gone`).
    """

    def __init__(self, seconds: float, clock: Any = time.monotonic, stopped: Callable[[], bool] | None = None):
        self.seconds = seconds
        self.used = 0.0
        self.text_chars = 0
        """The length of the longest problem text its calls were for (the pool's log says it)."""
        self._stopped = stopped
        self.watched = stopped is not None
        """Whether :meth:`gone` can ever be true (the pool then looks every moment)."""
        self._clock = clock
        self.started = clock()
        self.deadline = self.started + seconds

    def left(self) -> float:
        """Seconds of wall time until the rerun's deadline (0 or less: none)."""
        return self.deadline - self._clock()

    def gone(self) -> bool:
        """Whether nobody waits for this rerun any more (its session ended); never raises."""
        if self._stopped is None:
            return False
        try:
            return bool(self._stopped())
        except Exception:  # a question about the session must never break the page
            return False

    def charge(self, seconds: float) -> None:
        """Count ``seconds`` of worker CPU time against this rerun (its weight in the queue)."""
        self.used += seconds


RERUN: ContextVar[Rerun | None] = ContextVar("gnn_rerun", default=None)
"""The rerun the current thread's calls belong to (each Streamlit script run has its thread)."""


def current_rerun() -> Rerun | None:
    """The open rerun budget of this thread's page run, or ``None`` (a download, the CLI)."""
    return RERUN.get()


WORKER_MEMORY: dict[str, Any] = {"budget": None, "seen": False}
"""Set inside a worker process (:mod:`graphviz_nn.page.worker`): its ``budget``, and whether the
call it runs ``seen`` a ``MemoryError`` (then the worker is replaced after the call)."""


def memory_error_seen(budget: Budget | None = None) -> str:
    """Called where a ``MemoryError`` is caught and turned into a message: the message, and in a
    worker a note that the worker should be replaced after this call."""
    WORKER_MEMORY["seen"] = True
    return over_budget_message("memory", budget or WORKER_MEMORY["budget"] or Budget.from_env())
