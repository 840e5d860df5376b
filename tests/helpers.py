"""Helpers shared by the test modules: a wall-clock guard for tests that must fail, not hang, and
the headless Chromium the browser tests drive."""

from __future__ import annotations

import shutil
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from benchmarks.app_server import CHROMIUM_ARGS  # headless, and nothing reaches the network


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


class PlayerFile:
    """A player HTML file opened from ``file://`` in a new page of ``browser``: it records what the
    page logged (console errors, page errors, dialogs) and refuses every request that leaves the
    file. ``close`` asserts that nothing was logged or refused."""

    def __init__(self, browser: Any, path: Path, viewport: dict[str, int] | None = None,
                 timeout_ms: int = 30_000) -> None:
        from playwright.sync_api import expect

        self.page = browser.new_page(viewport=viewport or {"width": 1366, "height": 768})
        self.page.set_default_timeout(timeout_ms)
        expect.set_options(timeout=timeout_ms)
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.locator(".gnn-stage svg g.node").first.wait_for()

    def _route(self, route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def counter(self, k: int, n: int) -> None:
        """Wait until the player says "step k of n"."""
        from playwright.sync_api import expect

        expect(self.page.locator(".gnn-counter")).to_have_text(f"step {k} of {n}")

    def node_text(self, node: str) -> str:
        """The drawn text of the node whose SVG id is ``node`` ("" when it is not drawn)."""
        return self.page.evaluate("(id) => { for (const g of document.querySelectorAll('.gnn-stage g.node'))"
                                  " if (g.id === id) return g.textContent; return null; }", node) or ""

    def close(self) -> None:
        assert not self.errors, self.errors
        assert not self.refused, self.refused
        self.page.close()


def sin_chain(links: int) -> str:
    """A program ``a_i = sin(a_(i-1))·y + c``: 4 nodes a link, for long passes and wrapped rows."""
    lines, previous = ["x = 0.5", "y = 1.5"], "x"
    for i in range(links):
        lines.append(f"a{i} = sin({previous}) * y + {i % 7 + 1}")
        previous = f"a{i}"
    return "\n".join([*lines, previous])


def run_script(tmp_path: Path, script: str | bytes) -> dict:
    """Run a generated Python script in a fresh interpreter; its stdout read as JSON."""
    import json
    import subprocess
    import sys

    path = tmp_path / "script.py"
    path.write_bytes(script.encode() if isinstance(script, str) else script)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def example_player_data(example: Any) -> dict:
    """The data the app sends its step player for ``example`` (a program with its default
    values, or a layer spec's program with its values and display names)."""
    import json

    from graphviz_nn.draw.options import RenderOptions
    from graphviz_nn.page import netview
    from graphviz_nn.page.player import player_issue
    from graphviz_nn.page.view import input_fields

    if example.kind == "spec":
        net = netview.network(netview.read_spec(example.text, f"{example.slug}.toml"))
        text, values, labels = net.program, netview.program_values(net), netview.display_labels(net)
    else:
        text, labels = example.text, ()
        values = tuple((f.name, f.default) for f in input_fields(text))
    data, issue = player_issue(text, values, RenderOptions(), labels)
    assert issue is None, issue
    return json.loads(data)


READABLE_PX = 10
"""The smallest node label a person reads on a laptop (the player's Fit keeps labels this large)."""

#: The smallest rendered font size of the drawing's node labels, in CSS pixels: each text's font
#: size (in the drawing's units) times the ratio of its box on the screen to its box in the drawing.
LABEL_PX = """() => {
    let least = Infinity;
    for (const t of document.querySelectorAll('.gnn-stage svg g.node text')) {
        const b = t.getBBox();
        if (!b.height || !t.textContent.trim()) continue;
        least = Math.min(least, parseFloat(t.getAttribute('font-size')) * t.getBoundingClientRect().height / b.height);
    }
    return least;
}"""
