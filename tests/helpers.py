"""Helpers shared by the test modules: a wall-clock guard for tests that must fail, not hang, and
the headless Chromium the browser tests drive."""

from __future__ import annotations

import shutil
import signal
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise ``TimeoutError`` when the block runs longer than ``seconds``."""
    def expired(signum, frame):  # noqa: ARG001
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


#: How the browser tests start Debian's chromium: headless, and nothing reaches the network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@contextmanager
def chromium_browser() -> Iterator[object]:
    """A playwright Browser on the system's chromium (the test is skipped where it is missing)."""
    import pytest

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (.ci/run installs it with apt as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
