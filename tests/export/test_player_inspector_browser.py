"""The step player in Chromium, for what the last changes made: the inspector writes the numbers
of the current step (a value only once computed, the gradient accumulated so far and which
contributions have flowed), and passes far longer than a step sequence's frames play, in the
compact drawing of a large graph too. Pages open from file:// with every request refused;
each assertion waits for the state it checks; numbers are read from what the page shows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from helpers import PlayerFile, chromium_browser, sin_chain

import graphviz_nn as gnn
from graphviz_nn.core.engine import state_at
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.explain.captions import format_number
from graphviz_nn.export.frames import MAX_FRAMES
from graphviz_nn.export.player import player_html

pytestmark = [pytest.mark.browser, pytest.mark.exe]

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1366, "height": 768}


chain = sin_chain


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as b:
        yield b


class Page(PlayerFile):
    """A player file opened in a page that logs errors and refuses every request off the file."""

    def __init__(self, browser: Any, path: Path) -> None:
        super().__init__(browser, path, VIEWPORT, timeout_ms=30_000)

    def at(self, k: int, n: int) -> None:
        self.counter(k, n)

    def jump(self, k: int, n: int) -> None:
        """Go to step ``k`` as a person does: click its row in the trace table."""
        self.page.locator(f'.gnn-trace tbody tr[data-step="{k}"]').click()
        self.at(k, n)

    def in_viewport(self, selector: str) -> bool:
        return self.page.evaluate("""(sel) => {
            const r = document.querySelector(sel).getBoundingClientRect();
            return r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
        }""", selector)


def test_inspector_writes_the_numbers_of_the_current_step(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    res = gnn.evaluate((ROOT / "examples" / "design.gnn").read_text(encoding="utf-8"))
    n, x, trace = len(res.trace), res.inputs["x"], res.trace
    path = tmp_path / "design.html"
    path.write_text(player_html(res), encoding="utf-8")
    opened = Page(browser, path)
    page = opened.page
    inspector = page.locator(".gnn-inspector")

    page.keyboard.press("Home")
    opened.at(0, n)
    page.locator(f'.gnn-stage g.node[id="{x}"]').click()
    expect(inspector).to_contain_text("x (input)")
    expect(inspector.locator(".gnn-value")).to_have_text("value: not yet computed (step 1)")
    assert opened.in_viewport(".gnn-inspector .gnn-value")

    # After the forward pass: x = 1, no gradient yet (the backward pass starts after the seed).
    opened.jump(res.n_nodes, n)
    expect(inspector.locator(".gnn-value")).to_have_text("value = 1")
    contributions = [k for k, s in enumerate(trace, start=1) if s.edge is not None and s.edge[0] == x]
    expect(inspector.locator(".gnn-grad")).to_have_text(f"∂f/∂x: not yet (from step {contributions[0]})")
    expect(inspector).to_contain_text("0 of 2 done")

    # Between x's two contributions: the gradient so far is the engine's at that step.
    first = contributions[0]
    opened.jump(first, n)
    so_far = format_number(state_at(trace, first).grads[x])
    expect(inspector.locator(".gnn-grad")).to_have_text(f"∂f/∂x = {so_far}")
    expect(inspector).to_contain_text("1 of 2 done")
    expect(inspector.locator(".gnn-pending")).to_have_count(1)
    expect(inspector.locator(".gnn-pending")).to_contain_text(f"pending (step {contributions[1]})")
    assert so_far != "19.81"

    page.keyboard.press("End")
    opened.at(n, n)
    expect(inspector.locator(".gnn-grad")).to_have_text("∂f/∂x = 19.81")  # seed 002: df/dx at (1, 2, 3)
    expect(inspector).to_contain_text("2 of 2 done")
    expect(inspector).to_contain_text("fan-out sum: ∂f/∂x = (−10.32) + 30.13 = 19.81")

    # An edge: its contribution is pending until its step, then written out.
    edge = "{}-{}-{}".format(*trace[first - 1].edge)
    opened.jump(first - 1, n)
    page.locator(f'.gnn-stage g.edge[id="{edge}"] polygon').first.click()
    expect(inspector).to_contain_text(f"contribution: pending (flows at step {first})")
    page.keyboard.press("ArrowRight")
    opened.at(first, n)
    expect(inspector.locator(".gnn-done")).to_contain_text(format_number(trace[first - 1].contribution))
    opened.close()


@pytest.mark.parametrize("case", ["compact", "full"])
def test_a_long_pass_plays_and_shows_its_numbers(browser: Any, tmp_path: Path, case: str) -> None:
    from playwright.sync_api import expect

    # compact: 602 nodes (one box per named result), 1,203 steps; full: 242 nodes, 483 steps drawn
    # node by node (the compact drawing would switch on by itself).
    res = gnn.evaluate(chain(150 if case == "compact" else 60))
    n = len(res.trace)
    assert n > MAX_FRAMES
    path = tmp_path / f"{case}.html"
    path.write_text(player_html(res, RenderOptions(detail="auto" if case == "compact" else "full")), encoding="utf-8")
    opened = Page(browser, path)
    page = opened.page
    out = res.output
    value = format_number(res.value, 3 if case == "compact" else 4)  # the compact drawing writes 3 digits
    opened.at(n, n)
    assert value in opened.node_text(out)
    # It opens on the whole chain; Fit shows a readable part of so long a chain: the one the last step works on
    assert page.evaluate("window.gnnPlayer.autoFit") == "all"  # as whole as the smallest zoom allows
    page.keyboard.press("f")
    expect(page.locator(".gnn-player")).to_have_attribute("data-fit", "part")
    focus = page.evaluate(f"window.gnnPlayer.data.steps[{n}].focus")
    assert opened.in_viewport(f'.gnn-stage g[id="{focus}"]')
    page.screenshot(path=str(tmp_path / f"{case}-end.png"))

    page.keyboard.press("Home")
    opened.at(0, n)
    assert value not in opened.node_text(out)
    # Forward up to the output's own step: its value appears only then.
    last = res.n_nodes
    opened.jump(last - 1, n)
    assert value not in opened.node_text(out)
    page.keyboard.press("ArrowRight")
    opened.at(last, n)
    expect(page.locator(f'.gnn-stage g.node[id="{out}"]')).to_contain_text(value)
    page.screenshot(path=str(tmp_path / f"{case}-forward.png"))

    # Play at 10 steps/s: the steps advance and the drawing follows (no error, no request).
    page.locator(".gnn-speed").select_option("10")
    page.locator(".gnn-speed").blur()
    page.keyboard.press(" ")
    page.wait_for_function("(k) => +document.querySelector('.gnn-player').dataset.step >= k", arg=last + 5)
    page.keyboard.press(" ")
    expect(page.locator(".gnn-play")).to_have_text(re.compile("Play"))
    page.screenshot(path=str(tmp_path / f"{case}-playing.png"))

    # A jump back and forth by many steps rebuilds the same drawing as stepping there.
    k = int(page.locator(".gnn-player").get_attribute("data-step") or 0)
    stepped = page.evaluate("() => document.querySelector('.gnn-stage svg').innerHTML")
    page.keyboard.press("End")
    opened.at(n, n)
    page.evaluate(f"window.gnnPlayer.go({k})")
    opened.at(k, n)
    assert page.evaluate("() => document.querySelector('.gnn-stage svg').innerHTML") == stepped
    opened.close()
