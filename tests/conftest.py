"""Shared test configuration: tests marked ``exe`` need a Graphviz layout program."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run: a flaky test is a failing test, so a
# case hypothesis finds is kept as a pinned example instead of turning up in one CI run of ten.
settings.register_profile("repeatable", derandomize=True)
settings.load_profile("repeatable")

# The app's work budget (docs/LIMITS.md) bounds a class's server; only tests/page/test_budget.py
# tests it, with budgets of its own. Everywhere else (AppTest runs of the app, the browser tests'
# server, which inherits this environment) a loaded CI machine must not turn an ordinary page
# into an over-budget message: their budget is far above any page they make.
os.environ.setdefault("GNN_BUDGET_SECONDS", "120")
os.environ.setdefault("GNN_RERUN_SECONDS", "300")

from graphviz_nn.errors import LayoutNotFoundError
from graphviz_nn.layout.program import find_program


def _has_layout() -> bool:
    try:
        find_program()
    except LayoutNotFoundError:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``@pytest.mark.exe`` tests only where neither ``dot`` nor ``graphviz-pure`` exists
    (``graphviz-pure`` is a dependency, so a normal install runs them all)."""
    if _has_layout():
        return
    skip = pytest.mark.skip(reason="needs dot or graphviz-pure")
    for item in items:
        if "exe" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _page_functions_in_place(request: pytest.FixtureRequest) -> None:
    """Outside ``tests/app`` the page's bounded functions run in this process, as in the CLI
    and the API: an app test that ran earlier in the same process started the app's worker
    pool, which would otherwise take those calls away from the caches and monkeypatches a test
    looks at. (Tests that need a pool start their own.)"""
    if not request.node.nodeid.replace("\\", "/").startswith("tests/app/"):
        from graphviz_nn.page import dispatch

        if dispatch.pool() is not None:
            dispatch.stop()
