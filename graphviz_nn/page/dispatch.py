"""The switch that sends the page's heavy functions to worker processes.

Page functions decorated with :func:`bounded` run in the calling process until the app calls
:func:`start`; from then on they run in the worker pool of :mod:`graphviz_nn.page.workers`,
within the :class:`~graphviz_nn.page.budget.Budget`. The CLI, the Python API and the tests
never start a pool: there every decorated function is a plain call.

The app opens :func:`rerun_budget` around each run of its script (and of its step fragment): the
run then ends within :attr:`~graphviz_nn.page.budget.Budget.rerun_seconds` of wall time (its
calls, their waits for a worker and the page building between them), with the over-budget
message where its time ran out.
"""

from __future__ import annotations

import functools
import logging
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from .budget import RERUN, Budget, OverBudget, Rerun, current_rerun

__all__ = ["bounded", "start", "stop", "pool", "rerun_budget"]

F = TypeVar("F", bound=Callable[..., Any])

_POOL: Any = None  # the running workers.Pool, or None: every bounded function runs in place


def pool() -> Any:
    """The running pool (:class:`graphviz_nn.page.workers.Pool`) or ``None``."""
    return _POOL


def start(budget: Budget | None = None) -> Any:
    """Send every :func:`bounded` function to a worker pool from now on (idempotent: a second
    call returns the running pool). ``budget.workers == 0`` keeps everything in process."""
    global _POOL
    if _POOL is None:
        budget = budget or Budget.from_env()
        if budget.workers <= 0:
            return None
        from .workers import Pool

        _POOL = Pool(budget)
    return _POOL


def stop() -> None:
    """Stop the pool's workers; bounded functions run in place again."""
    global _POOL
    running, _POOL = _POOL, None
    if running is not None:
        running.close()


@contextmanager
def rerun_budget(stopped: Callable[[], bool] | None = None) -> Iterator[Rerun]:
    """One rerun of the page: the bounded calls made inside end by its deadline,
    :attr:`Budget.rerun_seconds` of wall time after it was opened (the running pool's budget),
    or as soon as ``stopped()`` says that its page has gone (:meth:`Rerun.gone`).
    Opened again inside an open one (the step fragment within a whole run) it is the same rerun.

    >>> with rerun_budget() as outer, rerun_budget() as inner:
    ...     inner is outer
    True
    """
    outer = current_rerun()
    if outer is not None:
        yield outer
        return
    running = _POOL
    rerun = Rerun((running.budget if running is not None else Budget.from_env()).rerun_seconds, stopped=stopped)
    token = RERUN.set(rerun)
    try:
        yield rerun
    finally:
        RERUN.reset(token)
        logging.getLogger("graphviz_nn.page.workers").info(
            "rerun: %.2f s of wall time, %.2f s of it in workers, text of %d characters",
            time.monotonic() - rerun.started, rerun.used, rerun.text_chars)


def bounded(over: Callable[..., Any] | None = None) -> Callable[[F], F]:
    """Run the decorated page function in a worker while a pool runs (:func:`start`).

    Its first argument names the problem (the text): calls for the same text go to the same
    worker when it is free, so that worker's caches serve them. ``over(error, *args, **kwargs)``
    gives what the function returns instead when the call is over budget; without it the
    :class:`OverBudget` error is raised. Results are pickled, so arguments and results must be
    plain data (they are: the page's functions take and return frozen dataclasses and tuples).
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            running = _POOL
            if running is None:
                return fn(*args, **kwargs)
            try:
                return running.call(fn.__module__, fn.__qualname__, args, kwargs,
                                    str(args[0]) if args else "")
            except OverBudget as err:
                if over is None:
                    raise
                return over(err, *args, **kwargs)

        return call  # type: ignore[return-value]

    return decorate
