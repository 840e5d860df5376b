"""The app's work budget: page functions run in worker processes and end over budget with a
message in that call only, while the next call works; and every cache the page keeps is bounded.

The budget tests assert on outcomes (an over-budget issue, then a right answer), never on
how long anything took: the moderate input needs far more than the tiny budget (its 16,788
trace steps alone take longer to caption), the small one a few hundredths of a second.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from pathlib import Path

import pytest

import graphviz_nn
from graphviz_nn.core import prepared
from graphviz_nn.layout import steady
from graphviz_nn.page import budget, dispatch, downloads
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.page import evaluations, view as page_view
from graphviz_nn.page.answers import Answers
from pool_helpers import Clock, kill_busy, wait_until

#: The issue's near-limit input: 19,889 characters, 16,788 trace steps.
NEAR_LIMIT = "x = 1; y = 2; " + " + ".join(f"sin({k}x) y" for k in range(1, 1400))


@pytest.fixture
def tiny_budget():
    """A pool whose calls may take 2 s; stopped afterwards (bounded functions run in place again)."""
    dispatch.stop()
    pool = dispatch.start(budget.Budget(seconds=2, memory_mb=1024, workers=2, warm=1))
    yield pool
    dispatch.stop()


def test_the_near_limit_input_is_what_the_issue_measured():
    assert len(NEAR_LIMIT) == 19_889 <= evaluations.APP_MAX_CHARS


def test_over_the_time_budget_the_view_says_so_and_the_next_input_works(tiny_budget):
    view = page_view.build_view(NEAR_LIMIT, ())
    assert view.issue is not None and view.issue.kind == "limit"
    assert view.issue.message == ("this input needs more than 2 s to evaluate and draw, "
                                  "the most the app gives one problem")
    assert "budget" in view.issue.explanation and not view.svg
    assert tiny_budget.counts["over_time"] == 1
    # x y + y at x = 2, y = 4: 12; ∂/∂x = y = 4, ∂/∂y = x + 1 = 3 (by hand).
    small = page_view.build_view("x*y + y", {"x": "2", "y": "4"})
    assert small.issue is None
    assert (small.value, dict(small.gradients)) == ("12", {"x": "4", "y": "3"})
    assert "<svg" in small.svg
    # Asked again, the over-budget answer comes back at once (remembered for a minute).
    again = page_view.build_view(NEAR_LIMIT, ())
    assert again.issue == view.issue and tiny_budget.counts["over_time"] == 1


def test_a_call_without_a_fallback_raises_the_limit_error(tiny_budget):
    with pytest.raises(graphviz_nn.LimitError, match="needs more than 2 s"):
        tiny_budget.call("time", "sleep", (600,), {}, "")
    assert downloads.export("x*y", {"x": "2", "y": "3"}, RenderOptions(), None, "dot").startswith(b"digraph")


def test_over_the_memory_budget_the_view_says_so_and_the_worker_is_replaced():
    dispatch.stop()
    pool = dispatch.start(budget.Budget(seconds=60, memory_mb=600, workers=1, warm=1))
    try:
        # A row of 3,000 plus a column of 3,000 broadcasts to 9 million entries (72 MB an array);
        # each intermediate keeps its value, gradient and contributions.
        row, column = "[[" + ", ".join(["1"] * 3000) + "]]", "[" + ", ".join(["[1]"] * 3000) + "]"
        view = page_view.build_view("a = x + y; b = exp(a) sin(a) + cos(a) a + a^2", {"x": row, "y": column},
                                    draw=False)
        assert view.issue is not None and view.issue.kind == "limit"
        assert view.issue.message == "this input needs more than 600 MB of memory, the most the app gives one problem"
        small = page_view.build_view("x^2 + 3xy", {"x": "2", "y": "1"})
        assert (small.issue, small.value, dict(small.gradients)) == (None, "10", {"x": "7", "y": "6"})
        assert pool.counts["started"] >= 2  # the worker that ran out of memory was replaced
    finally:
        dispatch.stop()


def test_the_app_shows_the_over_budget_message(monkeypatch):
    st_testing = pytest.importorskip("streamlit.testing.v1")
    app = str(Path(__file__).resolve().parents[2] / "app.py")
    dispatch.stop()
    monkeypatch.setenv("GNN_BUDGET_SECONDS", "2")
    try:
        at = st_testing.AppTest.from_file(app, default_timeout=60)
        at.query_params["expr"] = NEAR_LIMIT
        at.run()
        assert not at.exception
        assert any("this input needs more than 2 s to evaluate and draw" in e.value for e in at.error)
        assert any("budget" in i.value for i in at.info)
    finally:
        dispatch.stop()


@pytest.fixture
def clocked():
    """Open a rerun of ``seconds`` on a test clock in this thread: ``clocked(seconds)`` gives
    ``(rerun, clock)``; closed at the end."""
    tokens = []

    def open_rerun(seconds: float) -> tuple[budget.Rerun, Clock]:
        clock = Clock()
        rerun = budget.Rerun(seconds, clock=clock)
        tokens.append(budget.RERUN.set(rerun))
        return rerun, clock

    yield open_rerun
    for token in reversed(tokens):
        budget.RERUN.reset(token)


def test_a_rerun_ends_at_its_deadline_and_the_next_rerun_starts_afresh(clocked):
    dispatch.stop()
    pool = dispatch.start(budget.Budget(seconds=60, rerun_seconds=6, memory_mb=1024, workers=2, warm=1))
    try:
        pool.warming.join()
        rerun, clock = clocked(6)
        assert pool.call("math", "hypot", (3.0, 4.0), {}, "") == 5.0
        # The worker CPU time a call used is counted (it orders the waiting calls): a sum of
        # 30 million numbers takes a worker tenths of a second of CPU.
        assert pool.call("builtins", "sum", (range(30_000_000),), {}, "") == 30_000_000 * 29_999_999 // 2
        assert rerun.used > 0
        # Each call alone is far within its own 60 s, but the rerun's deadline is half a second
        # away: a call that needs more is cut there, with the rerun's message.
        clock.now = 5.5
        with pytest.raises(budget.OverBudget) as cut:
            pool.call("time", "sleep", (600,), {}, "")
        assert cut.value.kind == "rerun"
        assert cut.value.message == ("this input needs more than 6 s for one page (its drawing, steps "
                                     "and panels together), the most the app gives one problem")
        # Past the deadline (page building between calls counts too) the next call ends at
        # once, without a worker, unless it is cached.
        clock.now = 6.0
        started = pool.counts["started"]
        with pytest.raises(budget.OverBudget, match="more than 6 s for one page"):
            pool.call("math", "hypot", (5.0, 12.0), {}, "")
        assert pool.call("math", "hypot", (3.0, 4.0), {}, "") == 5.0
        assert pool.counts["over_rerun"] == 2 and pool.counts["over_time"] == 0
        # The next rerun has its whole budget; a call cut short by a rerun was not remembered
        # as over budget, and a call outside any rerun (a download) has the per-call budget.
        fresh, _ = clocked(6)
        assert fresh is not rerun and fresh.left() == 6.0 and fresh.used == 0.0
        assert pool.call("math", "hypot", (5.0, 12.0), {}, "") == 13.0
        assert pool.counts["started"] >= started  # the cut worker was replaced
    finally:
        dispatch.stop()
    with dispatch.rerun_budget() as outer, dispatch.rerun_budget() as inner:
        assert inner is outer and 0 < outer.left() <= outer.seconds


def test_a_rerun_that_never_gets_a_worker_ends_at_its_deadline_with_a_message(clocked):
    dispatch.stop()
    pool = dispatch.start(budget.Budget(seconds=600, rerun_seconds=20, memory_mb=1024, workers=1, warm=1))
    blocked = threading.Thread(target=_ignore_over, args=(pool, "time", "sleep", (600,)), daemon=True)
    try:
        pool.warming.join()
        blocked.start()  # a download (no rerun) holds the only worker
        wait_until(lambda: len(pool._busy) == 1)
        # The worker stays busy for ten minutes, far past this rerun's deadline (a second away).
        with dispatch.rerun_budget() as rerun, pytest.raises(budget.OverBudget) as late:
            rerun.deadline = rerun.started + 1.0
            pool.call("math", "hypot", (3.0, 4.0), {}, "")
        assert late.value.kind == "busy"
        assert late.value.message == ("the app is busy with other problems and could not start this one "
                                      "within 20 s; try again in a moment")
        assert pool.counts["over_busy"] == 1 and blocked.is_alive()  # the other call runs on
        # The message is not remembered: once a worker is free, the same call runs.
        kill_busy(pool)
        blocked.join(300)
        clocked(20)
        assert pool.call("math", "hypot", (3.0, 4.0), {}, "") == 5.0
    finally:
        dispatch.stop()


def _ignore_over(pool, module: str, name: str, args: tuple) -> None:
    """A call outside any rerun (a download) whose end, over budget or killed, does not matter."""
    try:
        pool.call(module, name, args, {}, "")
    except budget.OverBudget:
        pass


def _in_rerun(pool, used: float, args: tuple, done: list, label: str) -> None:
    """In a rerun of its own that has already used ``used`` s of worker time (its clock stands
    still), call ``math.hypot(*args)`` and note ``(label, result)`` in ``done``."""
    rerun = budget.Rerun(600, clock=Clock())
    rerun.charge(used)
    budget.RERUN.set(rerun)  # this thread's context only
    done.append((label, pool.call("math", "hypot", args, {}, "")))


def test_waiting_calls_are_served_lightest_first():
    dispatch.stop()
    pool = dispatch.start(budget.Budget(seconds=600, memory_mb=1024, workers=1, warm=1))
    done: list = []
    try:
        pool.warming.join()
        threading.Thread(target=_ignore_over, args=(pool, "time", "sleep", (600,)), daemon=True).start()
        wait_until(lambda: len(pool._busy) == 1)
        heavy = threading.Thread(target=_in_rerun, args=(pool, 100.0, (3.0, 4.0), done, "heavy"), daemon=True)
        heavy.start()
        wait_until(lambda: len(pool._waiting) == 1)
        light = threading.Thread(target=_in_rerun, args=(pool, 0.0, (5.0, 12.0), done, "light"), daemon=True)
        light.start()
        wait_until(lambda: len(pool._waiting) == 2)
        kill_busy(pool)  # the worker comes free (replaced): the light call, second in line, goes first
        heavy.join(300)
        light.join(300)
        assert done == [("light", 13.0), ("heavy", 5.0)]
    finally:
        dispatch.stop()


def test_a_heavy_rerun_never_takes_the_last_free_worker():
    dispatch.stop()
    pool = dispatch.start(budget.Budget(seconds=600, memory_mb=1024, workers=2, warm=2, nice_after=3))
    done: list = []
    try:
        pool.warming.join()
        wait_until(lambda: len(pool._idle) == 2)
        # A heavy rerun (it has used 100 s of worker time) holds one worker ...
        first = threading.Thread(target=_heavy_sleep, args=(pool,), daemon=True)
        first.start()
        wait_until(lambda: len(pool._busy) == 1)
        # ... so another heavy rerun's call waits although the second worker is free ...
        second = threading.Thread(target=_in_rerun, args=(pool, 100.0, (3.0, 4.0), done, "heavy"), daemon=True)
        second.start()
        wait_until(lambda: len(pool._waiting) == 1)
        assert len(pool._idle) == 1 and done == []
        # ... and the light calls of everyone else take it.
        with dispatch.rerun_budget():
            assert pool.call("math", "hypot", (8.0, 15.0), {}, "") == 17.0
        assert done == [] and len(pool._waiting) == 1
        kill_busy(pool)  # the heavy call ends: the waiting heavy call may run now
        second.join(300)
        assert done == [("heavy", 5.0)]
    finally:
        dispatch.stop()


def _heavy_sleep(pool) -> None:
    rerun = budget.Rerun(600, clock=Clock())
    rerun.charge(100.0)
    budget.RERUN.set(rerun)
    try:
        pool.call("time", "sleep", (600,), {}, "")
    except budget.OverBudget:
        pass


def test_the_app_ends_a_rerun_past_its_budget_with_the_message(monkeypatch):
    st_testing = pytest.importorskip("streamlit.testing.v1")
    app = str(Path(__file__).resolve().parents[2] / "app.py")
    dispatch.stop()
    # Every call may take 60 s, but the run as a whole gets no time at all: its first call (the
    # view) ends at once and the page says why, as it would for any rerun past its deadline.
    monkeypatch.setenv("GNN_BUDGET_SECONDS", "60")
    monkeypatch.setenv("GNN_RERUN_SECONDS", "0")
    try:
        at = st_testing.AppTest.from_file(app, default_timeout=60)
        at.query_params["expr"] = "x*y + 7"
        at.run()
        assert not at.exception
        assert any("needs more than 0 s for one page" in e.value for e in at.error)
        assert dispatch.pool().counts["over_time"] == 0 and dispatch.pool().counts["over_rerun"] >= 1
    finally:
        dispatch.stop()


def test_a_worker_that_comes_up_after_the_pool_closed_is_stopped(monkeypatch):
    from graphviz_nn.page import worker, workers

    started = []
    real_ready = worker.Worker.ready
    pool = None

    mark = 777  # this pool's memory budget: tells its worker from a late one of an earlier test's pool

    def ready_after_close(self):
        up = real_ready(self)
        if self.process.args[3] != str(mark):  # (python, -c, code, MB, …): a late worker of another pool
            return up
        started.append(self)
        while pool is None:  # the constructor's warm-up may reach here before it returns
            threading.Event().wait(0.01)
        pool.close()  # the app stopped while this worker imported the package
        return up

    monkeypatch.setattr(worker.Worker, "ready", ready_after_close)
    pool = workers.Pool(budget.Budget(workers=1, warm=1, memory_mb=mark))
    pool.warming.join(60)
    assert len(started) == 1 and started[0].process.poll() is not None  # stopped, not left running
    assert pool.pids() == []


def test_the_code_export_and_the_plot_samples_run_in_the_workers():
    """Both take seconds for a long program: they must not run in the server's process."""
    from graphviz_nn.page import exports, teach

    dispatch.stop()
    pool = dispatch.start(budget.Budget(seconds=120, memory_mb=1024, workers=1, warm=1))
    try:
        script = exports.code_export("x^2 + 3xy", {"x": "2", "y": "1"}, RenderOptions(), "numpy")
        data, issue = teach.function_samples("x^2", "x", -1.0, 1.0)
        assert pool.counts["calls"] == 2 and pool.counts["cached"] == 0
        assert b"import numpy as np" in script and issue is None
        # x^2 on [-1, 1] and its derivative 2x, at both ends (by hand)
        assert (float(data.y[0]), float(data.dy[0]), float(data.dy[-1])) == (1.0, -2.0, 2.0)
    finally:
        dispatch.stop()


def test_without_a_pool_bounded_functions_run_in_place():
    dispatch.stop()
    assert dispatch.pool() is None
    assert page_view.build_view("x*y", {"x": "2", "y": "3"}, draw=False).value == "6"


def test_the_budget_comes_from_the_environment():
    b = budget.Budget.from_env({"GNN_BUDGET_SECONDS": "4.5", "GNN_BUDGET_MEMORY_MB": "512",
                                "GNN_WORKERS": "1", "GNN_RESULT_CACHE_MB": "8", "GNN_RERUN_SECONDS": "9"})
    assert (b.seconds, b.memory_mb, b.workers, b.warm, b.result_cache_mb, b.rerun_seconds) == (4.5, 512, 1, 1, 8, 9.0)
    assert dispatch.start(budget.Budget(workers=0)) is None and dispatch.pool() is None


# --------------------------------------------------------------------------- cache bounds


def _package_modules() -> list[object]:
    return [importlib.import_module(m.name)
            for m in pkgutil.walk_packages(graphviz_nn.__path__, "graphviz_nn.")
            if not m.name.endswith("__main__")]


def test_every_lru_cache_of_the_package_has_a_size_bound():
    found = {}
    for module in _package_modules():
        for name, obj in vars(module).items():
            inner = obj
            while inner is not None and not hasattr(inner, "cache_info"):
                inner = getattr(inner, "__wrapped__", None)
            if inner is not None and getattr(obj, "__module__", None) == module.__name__:
                found[f"{module.__name__}.{name}"] = inner.cache_parameters()["maxsize"]
    assert len(found) >= 12, found  # the page's caches, names, netview, ...
    assert all(size is not None and size <= 8192 for size in found.values()), found


def test_the_app_caches_have_max_entries():
    root = Path(__file__).resolve().parents[2]
    sources = [root / "app.py", *sorted((root / "graphviz_nn" / "ui").glob("*.py"))]
    source = "".join(path.read_text(encoding="utf-8") for path in sources)
    assert source.count("@st.cache_data(max_entries=") >= 1  # the examples menu
    assert source.count("@st.cache_data(") == source.count("@st.cache_data(max_entries=")
    assert "@st.cache_data\n" not in source and "@st.cache_resource" not in source


def test_the_answer_cache_is_bounded_by_bytes_least_recently_used_out():
    answers = Answers(limit=8_000)
    for i in range(100):
        answers.put(f"k{i}".encode(), bytes(500))
        assert answers.size <= 8_000
    assert answers.get(b"k0") is None and answers.get(b"k99") == bytes(500)
    assert len(answers) == 8_000 // 503
    answers.put(b"big", bytes(1_001))  # more than an eighth of the limit: not kept
    assert answers.get(b"big") is None
    answers.put(b"brief", b"x", keep=-1.0)  # already past its time
    assert answers.get(b"brief") is None


def test_the_prepared_programs_and_their_builds_are_bounded():
    evaluations._PREPARED.clear()
    for k in range(evaluations.KEEP_PREPARED + 5):
        evaluations._prepared_for(f"x*y + {k}", {"x": "1", "y": "2"})
    assert len(evaluations._PREPARED) == evaluations.KEEP_PREPARED
    p = prepared.prepare("sum(x)", {"x": [1.0, 2.0]})
    for n in range(3, 3 + prepared.KEEP_BUILDS + 3):
        p.evaluate({"x": list(range(n))})
    assert len(p._builds) == prepared.KEEP_BUILDS and len(p._defaults) <= prepared.KEEP_BUILDS


@pytest.mark.exe
def test_the_steady_layouts_are_bounded(monkeypatch):
    from graphviz_nn.export.files import export_bytes
    from graphviz_nn.draw.dot import RenderOptions

    monkeypatch.setattr(steady, "_KEEP", 2)
    steady._CACHE.clear()
    for k in range(4):
        res = graphviz_nn.evaluate(f"x*y + {k + 2}", {"x": 1, "y": 2})
        export_bytes(res, "svg", RenderOptions(step=1))  # a step: pinned to the shared layout
    assert len(steady._CACHE) == 2


def test_module_level_dictionaries_are_bounded_tables():
    """The module-level dicts that grow at run time are keyed by op name (a fixed set)."""
    from graphviz_nn.core import schedule
    from graphviz_nn.ops import OPS

    graphviz_nn.evaluate("sin(x) * exp(x) + relu(x)", {"x": 1})
    assert schedule._ELEMENTWISE and set(schedule._ELEMENTWISE) <= set(OPS)
