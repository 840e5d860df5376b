"""The app's step player (the Streamlit component page) in a real Chromium, sent new data as the
page sends it on every rerun: new numbers in the same drawing are swapped into the player shown
(the same SVG element, the step and the view kept, the numbers a person reads the new ones); a
structural edit mounts a new player. And KaTeX's cache of typeset captions stays bounded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from helpers import chromium_browser

import graphviz_nn
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.page.player import player_issue

pytestmark = [pytest.mark.browser, pytest.mark.exe]

COMPONENT = Path(graphviz_nn.__file__).parent / "export" / "player" / "static" / "index.html"
PROGRAM = "y = tanh(w * x + b)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as b:
        yield b


def data(program: str, **values: str) -> str:
    """The player data the app sends for ``program`` with ``values``."""
    text, issue = player_issue(program, tuple(values.items()), RenderOptions(), ())
    assert issue is None, issue
    return text


class Component:
    """The component page opened from ``file://``; ``render`` sends it args as Streamlit does."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 674, "height": 700})
        self.page.set_default_timeout(30_000)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        self.page.goto(COMPONENT.as_uri())
        self.page.wait_for_function("() => !!window.GnnPlayer")

    def render(self, text: str) -> None:
        self.page.evaluate("""(d) => window.postMessage(
            {type: 'streamlit:render', args: {data: d, height: 620}}, '*')""", text)

    def texts(self, node: str) -> str:
        """The text of the drawn node ``node`` (its label with its numbers)."""
        return self.page.evaluate("""(id) => [...document.querySelectorAll('.gnn-stage g[id]')]
            .find(g => g.id === id).textContent""", node)


def widened(text: str) -> str:
    """Player data ``text`` with a drawing 400 pt wider (the same pieces): what other numbers
    bring when the layout gives their wider labels more room."""
    loaded = json.loads(text)
    heads = []
    for head in loaded["drawing"]["heads"]:
        match = re.search(r'width="([\d.]+)pt"(.*?)viewBox="([\d.]+) ([\d.]+) ([\d.]+) ', head)
        assert match, head
        width, vbw = float(match.group(1)), float(match.group(5))
        head = head.replace(f'width="{match.group(1)}pt"', f'width="{width + 400:g}pt"', 1)
        heads.append(head.replace(f'{match.group(4)} {match.group(5)} ', f'{match.group(4)} {vbw + 400:.2f} ', 1))
    loaded["drawing"]["heads"] = heads
    return json.dumps(loaded)


def node_id(text: str, label: str) -> str:
    """The SVG id of the node labelled ``label`` in player data ``text``."""
    nodes = json.loads(text)["nodes"]
    return next(k for k, v in nodes.items() if v["label"] == label)


def test_new_values_update_the_shown_player_and_an_edit_rebuilds_it(browser: Any) -> None:
    from playwright.sync_api import expect

    first, same_size = data(PROGRAM, w="0.75", x="2", b="1"), data(PROGRAM, w="0.5", x="3", b="1")
    assert json.loads(first)["drawing"]["heads"] == json.loads(same_size)["drawing"]["heads"]
    wider = widened(data(PROGRAM, w="0.25", x="2", b="1"))
    n, w = json.loads(first)["n"], node_id(first, "w")
    c = Component(browser)
    page, player = c.page, c.page.locator(".gnn-player")
    c.render(first)
    counter = player.locator(".gnn-counter")
    expect(counter).to_have_text(f"step {n} of {n}")
    player.get_by_role("button", name="Previous step (←)").click()
    player.get_by_role("button", name="Previous step (←)").click()
    expect(counter).to_have_text(f"step {n - 2} of {n}")
    player.get_by_role("button", name="Zoom in (+)").click()
    assert "0.75" in c.texts(w)
    view = page.evaluate("""() => { const p = window.gnnPlayer;
        p.svg.dataset.mark = 'first'; return [p.scale, p.tx, p.ty]; }""")

    # a value change in the same drawing: the same SVG element, the step and the zoom kept
    c.render(same_size)
    expect(player).to_have_attribute("data-updates", "1")
    expect(counter).to_have_text(f"step {n - 2} of {n}")
    assert page.evaluate("window.gnnPlayer.svg.dataset.mark") == "first"
    assert page.evaluate("document.querySelectorAll('.gnn-stage svg').length") == 1
    assert "0.5" in c.texts(w) and "0.75" not in c.texts(w)
    assert page.evaluate("() => { const p = window.gnnPlayer; return [p.scale, p.tx, p.ty]; }") == view
    expect(player.locator("table.gnn-trace tbody tr").first).to_contain_text("w = 0.5")
    expect(player.locator(".gnn-cap-title")).to_contain_text(f"Step {n - 2} of {n}")

    # other numbers that widen the drawing: still in place, the whole graph fitted again
    player.get_by_role("button", name="The whole graph, however small (a)").click()
    c.render(wider)
    expect(player).to_have_attribute("data-updates", "2")
    assert page.evaluate("window.gnnPlayer.svg.dataset.mark") == "first"
    assert "0.25" in c.texts(w)
    assert page.evaluate("window.gnnPlayer.svg.getAttribute('viewBox')") == re.search(
        r'viewBox="([^"]*)"', json.loads(wider)["drawing"]["heads"][0]).group(1)
    assert page.evaluate("window.gnnPlayer.scale") < view[0] / 1.25  # smaller than before the zoom
    expect(player).to_have_attribute("data-fit", "whole")
    box = page.evaluate("""() => { const r = document.querySelector('.gnn-stage svg').getBoundingClientRect(),
        v = document.querySelector('.gnn-view').getBoundingClientRect();
        return [r.left - v.left, v.right - r.right]; }""")
    assert abs(box[0] - box[1]) < 1.5 and min(box) >= 0, box  # centred over the view, all of it shown
    expect(player.locator("table.gnn-trace tbody tr").first).to_contain_text("w = 0.25")

    # a structural edit: a new player, at the end of the new pass
    edited = data("y = tanh(w * x)", w="0.5", x="3")
    m = json.loads(edited)["n"]
    c.render(edited)
    expect(counter).to_have_text(f"step {m} of {m}")
    page.wait_for_function("() => !window.gnnPlayer.svg.dataset.mark")
    assert page.evaluate("document.querySelector('.gnn-player').dataset.updates") is None
    assert not c.errors, c.errors
    c.page.close()


def test_the_typeset_cache_keeps_the_latest_strings_only(browser: Any) -> None:
    c = Component(browser)
    page = c.page
    page.wait_for_function("() => !!window.katex")
    size, limit = page.evaluate("""() => {
        const G = window.GnnPlayer;
        for (let i = 0; i < G.TEX_CACHE_MAX + 500; i++) G.texHtml('x_{' + i + '} = ' + i);
        G.texHtml('x_{0} = 0');  // typeset again: it went out of the cache and comes back
        return [G.texCacheSize(), G.TEX_CACHE_MAX];
    }""")
    assert 0 < limit <= 10_000
    assert size == limit
    html = page.evaluate("window.GnnPlayer.texHtml('x_{1} = 1')")
    assert html and "katex" in html
    assert not c.errors, c.errors
    c.page.close()
