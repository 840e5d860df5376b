"""Shared test configuration: tests marked ``exe`` need a Graphviz layout program."""

from __future__ import annotations

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run: a flaky test is a failing test, so a
# case hypothesis finds is kept as a pinned example instead of turning up in one CI run of ten.
settings.register_profile("repeatable", derandomize=True)
settings.load_profile("repeatable")

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
