"""A player of a long pass (thousands of steps) in a real Chromium: its trace table keeps only a
window of rows in the page, yet scrolls, marks the current step and answers clicks like the whole
table; its captions are typeset near the shown step, not all ahead."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from helpers import chromium_browser

import graphviz_nn as gnn
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.export.player import player_data, player_html

pytestmark = [pytest.mark.browser, pytest.mark.exe]

TERMS = 160
"""``sin(k·x)·y`` terms: about 11 steps each, so the table is longer than player.js's TABLE_ALL (1,500)."""
TABLE_ALL = 1500
KATEX_COUNTER = """(() => {
  let katex;
  window.__typeset = 0;
  Object.defineProperty(window, 'katex', {configurable: true, get: () => katex, set: (value) => {
    const render = value.renderToString;
    value.renderToString = function () { window.__typeset += 1; return render.apply(this, arguments); };
    katex = value;
  }});
})()"""
# The rows the table box shows: their steps, in order.
_VISIBLE_STEPS = """() => {
  const box = document.querySelector('.gnn-table-box').getBoundingClientRect();
  return [...document.querySelectorAll('.gnn-trace tbody tr[data-step]')].filter(tr => {
    const r = tr.getBoundingClientRect(); return r.bottom > box.top + 20 && r.top < box.bottom;
  }).map(tr => +tr.dataset.step);
}"""


@pytest.fixture(scope="module")
def long_pass(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[Any]]]:
    text = "x = 1; y = 2; " + " + ".join(f"sin({k}x) y" for k in range(1, TERMS + 1))
    res = gnn.evaluate(text)
    path = tmp_path_factory.mktemp("long") / "long.html"
    path.write_text(player_html(res, RenderOptions()), encoding="utf-8")
    return path, player_data(res, RenderOptions())["rows"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as b:
        yield b


def cell(value: Any) -> str:
    """A trace row's cell as the table shows it."""
    return "" if value is None else str(value)


def open_player(browser: Any, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(KATEX_COUNTER)
    page.goto(path.as_uri())
    page.locator(".gnn-stage svg g.node").first.wait_for()
    return page, errors


def test_long_table_draws_a_window_that_scrolls_marks_and_clicks(browser: Any, long_pass: tuple[Path, list]) -> None:
    from playwright.sync_api import expect

    path, rows = long_pass
    n = len(rows)
    assert n > TABLE_ALL
    page, errors = open_player(browser, path)
    try:
        counter = page.locator(".gnn-counter")
        expect(counter).to_have_text(f"step {n} of {n}")
        drawn = page.locator(".gnn-trace tbody tr[data-step]")
        assert drawn.count() < TABLE_ALL  # a window, not the whole pass
        # the last step's row is drawn, current and in view, its cells the trace's last row
        current = page.locator(".gnn-trace tr.gnn-current")
        expect(current).to_have_attribute("data-step", str(n))
        assert n in page.evaluate(_VISIBLE_STEPS)
        assert current.locator("td").all_text_contents() == [cell(c) for c in rows[-1]]

        # Home, then one step: the first row is current and shown at the top
        page.locator(".gnn-view").click(position={"x": 5, "y": 5})
        page.keyboard.press("Home")
        expect(counter).to_have_text(f"step 0 of {n}")
        expect(current).to_have_count(0)
        page.keyboard.press("ArrowRight")
        expect(current).to_have_attribute("data-step", "1")
        assert page.evaluate(_VISIBLE_STEPS)[0] == 1

        # scrolled to the middle of the pass, the box shows consecutive rows from there, with
        # their own cells; a click on one goes to its step
        page.evaluate("() => { const b = document.querySelector('.gnn-table-box'); b.scrollTop = b.scrollHeight / 2; }")
        page.wait_for_function(f"() => {{ const s = ({_VISIBLE_STEPS})(); return s.length > 3 && s[0] > {n // 4}; }}")
        shown = page.evaluate(_VISIBLE_STEPS)
        assert shown == list(range(shown[0], shown[0] + len(shown))) and shown[0] < 3 * n // 4
        target = shown[len(shown) // 2]
        row = page.locator(f'.gnn-trace tbody tr[data-step="{target}"]')
        assert row.locator("td").all_text_contents() == [cell(c) for c in rows[target - 1]]
        row.click()
        expect(counter).to_have_text(f"step {target} of {n}")
        expect(current).to_have_attribute("data-step", str(target))

        # scrolled to the very end and back to the top, the first and last rows are drawn there
        page.evaluate("() => { const b = document.querySelector('.gnn-table-box'); b.scrollTop = b.scrollHeight; }")
        page.wait_for_function(f"() => ({_VISIBLE_STEPS})().includes({n})")
        page.evaluate("() => { document.querySelector('.gnn-table-box').scrollTop = 0; }")
        page.wait_for_function(f"() => ({_VISIBLE_STEPS})()[0] === 1")

        # End: the last step is current again, its row drawn and brought into view
        page.keyboard.press("End")
        expect(current).to_have_attribute("data-step", str(n))
        page.wait_for_function(f"() => ({_VISIBLE_STEPS})().includes({n})")
        assert not errors, errors
    finally:
        page.close()


def test_long_pass_typesets_only_the_captions_near_the_shown_step(browser: Any, long_pass: tuple[Path, list]) -> None:
    from playwright.sync_api import expect

    path, rows = long_pass
    n = len(rows)
    page, errors = open_player(browser, path)
    try:
        expect(page.locator(".gnn-counter")).to_have_text(f"step {n} of {n}")
        page.wait_for_function("() => window.gnnPlayer && window.gnnPlayer.warmEnd !== undefined"
                               " && window.gnnPlayer.warmNext >= window.gnnPlayer.warmEnd && !window.gnnPlayer.warming")
        assert 0 < page.evaluate("() => window.__typeset") < 100  # not the whole pass's captions
        # a step far from the end shows its caption typeset by KaTeX, and its neighbours' are typeset ahead
        page.evaluate(f"() => window.gnnPlayer.go({n // 2})")
        expect(page.locator(".gnn-counter")).to_have_text(f"step {n // 2} of {n}")
        expect(page.locator(".gnn-cap-tex .katex").first).to_be_attached()
        page.wait_for_function(f"() => window.gnnPlayer.warmNext >= {n // 2 + 40} && !window.gnnPlayer.warming")
        assert page.evaluate("() => window.__typeset") < 200
        assert not errors, errors
    finally:
        page.close()
