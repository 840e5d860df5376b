"""End to end in a real browser: Debian's chromium driven by playwright over loopback only.

Skips only where no chromium is installed (.ci/run installs it with apt when it can).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PLAYER = 'iframe[title*="graphviz_nn_player"]'
"""The step player's frame (a Streamlit component)."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port, stopped by PID afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.fail(f"streamlit did not start: {err[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (.ci/run installs it with apt as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def test_type_set_values_step_and_download(app_url: str, browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    page.goto(app_url)
    player = page.frame_locator(PLAYER)
    drawn = player.locator(".gnn-stage svg")
    # The first page draws every step of the pass for the player: on a loaded machine that and
    # Streamlit's start take a while.
    expect(drawn).to_be_visible(timeout=90_000)

    box = page.get_by_role("textbox", name="Expression or program")
    box.fill("x^2 + 3xy")
    box.press("Control+Enter")
    for name, value in (("x", "3"), ("y", "2")):
        field = page.get_by_role("spinbutton", name=name, exact=True)
        field.fill(value)
        field.press("Enter")
    # f = x^2 + 3xy at x=3, y=2: 9 + 18 = 27; df/dx = 2x + 3y = 12; df/dy = 3x = 9.
    summary = page.get_by_text(re.compile(r"f = 27"))
    expect(summary).to_be_visible()
    expect(page.get_by_text(re.compile(r"∂f/∂x = 12 · ∂f/∂y = 9"))).to_be_visible()
    # The summary can arrive a moment before the new drawing: wait for the drawing itself.
    expect(drawn).to_contain_text("27", timeout=90_000)
    svg_text = drawn.text_content() or ""
    assert "27" in svg_text and "12" in svg_text and "9" in svg_text

    # The player opens at the end; step back one step, then forward to the end with Next. The
    # step it rests on comes back to the page for the downloads.
    counter = player.locator(".gnn-counter")
    expect(counter).to_have_text(re.compile(r"^step (\d+) of \1$"))
    match = re.match(r"step (\d+) of (\d+)", counter.text_content() or "")
    assert match is not None
    n = int(match.group(2))
    expect(page.get_by_text(f"Download step {n}", exact=True)).to_be_visible()
    player.get_by_role("button", name="Previous step (←)").click()
    expect(counter).to_have_text(f"step {n - 1} of {n}")
    expect(drawn).to_contain_text(f"step {n - 1} of {n}")
    expect(page.get_by_text(f"Download step {n - 1}", exact=True)).to_be_visible()
    player.get_by_role("button", name="Next step (→)").click()
    expect(counter).to_have_text(f"step {n} of {n}")
    expect(drawn).to_contain_text(f"step {n} of {n}")
    expect(drawn).to_contain_text("27")
    expect(page.get_by_text(f"Download step {n}", exact=True)).to_be_visible()

    # The download buttons come after the trace table, so they may still be the previous step's
    # when the caption and drawing have changed: download until the button is this step's.
    deadline = time.monotonic() + 30
    while True:
        with page.expect_download() as info:
            page.get_by_role("button", name="SVG", exact=True).click()
        if info.value.suggested_filename == f"graph-step{n}.svg" or time.monotonic() > deadline:
            break
    target = tmp_path / "graph.svg"
    info.value.save_as(target)
    svg = target.read_text(encoding="utf-8")
    assert "<svg" in svg and "</svg>" in svg
    assert "27" in svg and "12" in svg
    assert info.value.suggested_filename == f"graph-step{n}.svg"
    page.close()


def test_network_upload_and_gradient_step(app_url: str, browser: object) -> None:
    """Layer network mode: a bad upload is refused with the graph kept; a step grows the curve."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    page.goto(app_url)
    expect(page.frame_locator(PLAYER).locator(".gnn-stage svg")).to_be_visible(timeout=90_000)
    page.get_by_text("Layer network", exact=True).click()
    expect(page.get_by_text("The chain expands into this program")).to_be_visible()
    # The α/β network of CMU 10-301 recitation 5: l = 8, dl/dbeta = [4 12 8].
    expect(page.get_by_text(re.compile(r"∂L/∂β = \[\[4, 12, 8\]\]"))).to_be_visible()
    frames = page.locator(PLAYER)
    # While Streamlit reruns after the mode switch, the expression page's player can still be on
    # screen beside the network's (which comes last): wait for the network's drawing, then
    # until exactly one player is left.
    drawn = page.frame_locator(PLAYER).last.locator(".gnn-stage svg")
    expect(drawn).to_contain_text("β", timeout=90_000)
    expect(frames).to_have_count(1)
    expect(drawn).to_contain_text("8")

    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "bad.toml", "mimeType": "application/toml", "buffer": b"[network]\nchain = 3 ->\n"}])
    expect(page.get_by_text("The spec file was not loaded")).to_be_visible()
    expect(page.get_by_text(re.compile(r"bad\.toml: TOML syntax error"))).to_be_visible()
    expect(frames).to_have_count(1)
    expect(drawn).to_be_visible()  # the α/β graph stays
    expect(page.get_by_text(re.compile(r"∂L/∂β = \[\[4, 12, 8\]\]"))).to_be_visible()

    page.get_by_role("button", name="Take a step").click()
    expect(page.get_by_text(re.compile(r"Loss 8 before the first step"))).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_be_visible()
    page.close()
