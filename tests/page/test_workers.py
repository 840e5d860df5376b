"""The worker pool's scheduling, checked without timing anything: workers run at a lower CPU
priority than the server (and their layout programs with them), a heavy rerun's calls at the
lowest, and a call whose page has gone ends at once and frees its worker.

Priorities are read from the system (``os.getpriority``) in the worker itself and in a program
it starts, so the test sees what the scheduler sees.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from graphviz_nn.page import budget, dispatch
from graphviz_nn.ui import guard
from pool_helpers import Clock, wait_until


def _pool(**kwargs):
    dispatch.stop()
    pool = dispatch.start(budget.Budget(**{"seconds": 600, "memory_mb": 1024, "workers": 1, "warm": 1, **kwargs}))
    pool.warming.join()
    return pool


def _niceness_in_worker(pool) -> tuple[int, int]:
    """The worker's own niceness, and that of a program it starts (as a layout program is)."""
    own = pool.call("os", "getpriority", (os.PRIO_PROCESS, 0), {}, "")
    child = pool.call("subprocess", "check_output", (["nice"],), {}, "")
    return own, int(child)


def test_workers_and_their_programs_run_below_the_server():
    server = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        pool = _pool(worker_nice=3)
        expected = min(server + 3, budget.HEAVY_NICE)
        assert _niceness_in_worker(pool) == (expected, expected)
        assert expected > server or server == budget.HEAVY_NICE
        assert pool.counts["reniced"] == 0  # light calls: the worker keeps its priority
    finally:
        dispatch.stop()


def test_a_heavy_reruns_calls_run_at_the_lowest_priority_from_their_start():
    try:
        pool = _pool(worker_nice=1, nice_after=3)
        rerun = budget.Rerun(600, clock=Clock())
        rerun.charge(100.0)  # it has had 100 s of worker time already
        token = budget.RERUN.set(rerun)
        try:
            assert _niceness_in_worker(pool) == (budget.HEAVY_NICE, budget.HEAVY_NICE)
        finally:
            budget.RERUN.reset(token)
        assert pool.counts["reniced"] == 2
        # A lowered worker is replaced: the next light call runs at the workers' own priority
        # (asked as os.nice(0), another call: the answer above is in the pool's answer cache).
        expected = min(os.getpriority(os.PRIO_PROCESS, 0) + 1, budget.HEAVY_NICE)
        assert pool.call("os", "nice", (0,), {}, "") == expected
    finally:
        dispatch.stop()


def test_a_call_is_lowered_by_the_cpu_time_it_used_not_by_its_wall_time(monkeypatch):
    here = str(Path(__file__).parent)  # the workers import pool_helpers from here
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])))
    try:
        pool = _pool(worker_nice=1, nice_after=0.5)
        # Sleeping three times nice_after uses no CPU: a slow light call keeps its priority ...
        assert pool.call("time", "sleep", (1.5,), {}, "") is None
        assert pool.counts["reniced"] == 0
        # ... while one that computes is lowered once it has had 0.5 s of CPU (it says at which
        # priority it ended), and its worker is replaced after it.
        assert pool.call("pool_helpers", "burn_cpu", (2.0,), {}, "") == budget.HEAVY_NICE
        assert pool.counts["reniced"] == 1
    finally:
        dispatch.stop()


def test_a_call_whose_page_has_gone_ends_and_frees_its_worker():
    try:
        pool = _pool()
        gone = threading.Event()
        outcome: list = []

        def student() -> None:
            rerun = budget.Rerun(600, clock=Clock(), stopped=gone.is_set)
            budget.RERUN.set(rerun)  # this thread's context only
            try:
                pool.call("time", "sleep", (600,), {}, "sleepy")
            except budget.OverBudget as err:
                outcome.append(err.kind)
            outcome.append(rerun.text_chars)  # what the pool's log says of the rerun: the text's size

        running = threading.Thread(target=student, daemon=True)
        running.start()
        wait_until(lambda: len(pool._busy) == 1)
        (worker,) = list(pool._busy)
        gone.set()  # the tab is closed: the ten-minute call ends now
        running.join(300)
        assert outcome == ["rerun", len("sleepy")] and pool.counts["abandoned"] == 1
        assert worker.process.poll() is not None  # its worker was stopped
        # Nothing was remembered: the next page's call runs (on a fresh worker).
        assert pool.call("math", "hypot", (5.0, 12.0), {}, "sleepy") == 13.0
    finally:
        dispatch.stop()


def test_a_call_whose_page_has_gone_stops_waiting_for_a_worker():
    try:
        pool = _pool()
        gone = threading.Event()
        holder = budget.Rerun(600, clock=Clock())
        outcome: list = []

        def call_in(rerun, args) -> None:
            budget.RERUN.set(rerun)
            try:
                outcome.append(pool.call("time", "sleep", args, {}, ""))
            except budget.OverBudget as err:
                outcome.append(err.kind)

        busy = threading.Thread(target=call_in, args=(holder, (600,)), daemon=True)
        busy.start()
        wait_until(lambda: len(pool._busy) == 1)
        waiting = threading.Thread(target=call_in, args=(budget.Rerun(600, clock=Clock(), stopped=gone.is_set), (1,)),
                                   daemon=True)
        waiting.start()
        wait_until(lambda: len(pool._waiting) == 1)
        gone.set()
        waiting.join(300)
        assert outcome == ["rerun"] and pool.counts["abandoned"] == 1
        assert busy.is_alive()  # the other page's call runs on
    finally:
        dispatch.stop()


def test_the_app_asks_streamlit_whether_its_session_is_still_open(monkeypatch):
    from streamlit import runtime
    from streamlit.runtime import scriptrunner

    open_sessions = {"s1"}

    class Runtime:
        @staticmethod
        def exists() -> bool:
            return True

        @staticmethod
        def instance():
            return Runtime

        @staticmethod
        def is_active_session(session_id: str) -> bool:
            return session_id in open_sessions

    class Context:
        session_id = "s1"

    monkeypatch.setattr(runtime, "Runtime", Runtime)
    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda suppress_warning=False: Context)
    gone = guard.session_gone()
    assert gone is not None and gone() is False
    open_sessions.clear()  # the browser tab was closed: Streamlit dropped the session
    assert gone() is True


def test_without_a_streamlit_server_a_rerun_is_never_gone():
    assert guard.session_gone() is None  # no runtime here (the CLI, AppTest): nothing to ask
    assert not budget.Rerun(10).watched and not budget.Rerun(10).gone()


def test_the_worker_priority_comes_from_the_environment():
    assert budget.Budget.from_env({"GNN_WORKER_NICE": "7"}).worker_nice == 7
    assert budget.Budget.from_env({}).worker_nice == budget.Budget().worker_nice > 0


@pytest.fixture(autouse=True)
def _no_pool_left():
    yield
    dispatch.stop()
