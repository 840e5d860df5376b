"""The exported step player in a real Chromium, opened from file:// with every network request
refused: it draws, steps by keys and buttons, shows the right numbers at chosen steps, opens the
inspector on a click, fits every example at 1,366×768, and logs no error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from helpers import LABEL_PX, READABLE_PX, PlayerFile, chromium_browser, example_player_data

import graphviz_nn as gnn
from graphviz_nn.networks.network import load_spec
from graphviz_nn.page.examples import list_examples
from graphviz_nn.export.player import player_html
from graphviz_nn.draw.options import RenderOptions

pytestmark = [pytest.mark.browser, pytest.mark.exe]

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1366, "height": 768}
ALL = "The whole graph, however small (a)"
"""The button that fits the whole graph at any size (Fit keeps the labels readable)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as b:
        yield b


class Opened(PlayerFile):
    """A page on a player file, with what it logged and every request that tried to leave it."""

    def __init__(self, browser: Any, path: Path) -> None:
        super().__init__(browser, path, VIEWPORT, timeout_ms=20_000)

    def graph_box(self) -> dict[str, float]:
        return self.page.evaluate("""() => {
            const r = document.querySelector('.gnn-stage svg').getBoundingClientRect();
            const v = document.querySelector('.gnn-view').getBoundingClientRect();
            return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                    vl: v.left, vt: v.top, vr: v.right, vb: v.bottom,
                    w: window.innerWidth, h: window.innerHeight};
        }""")


def write(res: Any, path: Path, **options: Any) -> Path:
    path.write_text(player_html(res, RenderOptions(**options)), encoding="utf-8")
    return path


def test_design_example_steps_by_keys_and_buttons(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    res = gnn.evaluate((ROOT / "examples" / "design.gnn").read_text(encoding="utf-8"))
    n, out, x = len(res.trace), res.output, res.inputs["x"]
    opened = Opened(browser, write(res, tmp_path / "design.html"))
    page = opened.page
    opened.counter(n, n)  # opens at the finished pass
    assert "10.35" in opened.node_text(out) and "19.81" in opened.node_text(x)

    page.keyboard.press("Home")
    opened.counter(0, n)
    assert "10.35" not in opened.node_text(out)
    for k in range(1, res.n_nodes + 1):  # the forward pass, one key press a step
        page.keyboard.press("ArrowRight")
        opened.counter(k, n)
    # After the forward pass f = sin(2)/3 + e^3/2 = 10.35 (seed 002), no gradient yet.
    assert "10.35" in opened.node_text(out)
    assert "19.81" not in opened.node_text(x)
    expect(page.locator(".gnn-cap-title")).to_contain_text(f"Step {res.n_nodes} of {n}")
    expect(page.locator(".gnn-cap-tex .katex").first).to_be_visible()  # LaTeX typeset offline

    page.keyboard.press("ArrowLeft")
    opened.counter(res.n_nodes - 1, n)
    assert "10.35" not in opened.node_text(out)
    page.get_by_role("button", name="Next step (→)").click()
    opened.counter(res.n_nodes, n)
    page.get_by_role("button", name="Previous step (←)").click()
    opened.counter(res.n_nodes - 1, n)

    page.keyboard.press("End")
    opened.counter(n, n)
    assert "19.81" in opened.node_text(x)  # df/dx after the whole pass

    # Play at 1 step/s: playing lasts 23 s, so "Pause" shows long enough to be seen. At 10 steps/s
    # it lasted 2.3 s, and a loaded machine (the suite beside the browser tests) can let the
    # whole pass play, and the button turn back to Play, before the check first looks.
    page.keyboard.press("Home")
    page.locator(".gnn-speed").select_option("1")
    page.locator(".gnn-speed").blur()
    page.keyboard.press(" ")  # play
    expect(page.locator(".gnn-play")).to_have_text(re.compile("Pause"))
    expect(page.locator(".gnn-player")).to_have_attribute("data-step", re.compile(r"^([3-9]|\d\d)$"))
    page.keyboard.press(" ")  # pause
    expect(page.locator(".gnn-play")).to_have_text(re.compile("Play"))
    stopped = page.locator(".gnn-player").get_attribute("data-step")
    assert stopped is not None and 3 <= int(stopped) <= n

    # A trace-table row jumps to its step, and the current row is highlighted.
    page.locator(".gnn-trace tbody tr").nth(4).click()
    opened.counter(5, n)
    expect(page.locator(".gnn-trace tr.gnn-current td").first).to_have_text("5")

    # Click x: the inspector writes its value, gradient and the fan-out sum.
    page.keyboard.press("End")
    page.locator(f'.gnn-stage g.node[id="{x}"]').click()
    inspector = page.locator(".gnn-inspector")
    expect(inspector).to_contain_text("x (input)")
    expect(inspector).to_contain_text("∂f/∂x = 19.81")
    expect(inspector).to_contain_text("fan-out sum: ∂f/∂x = (−10.32) + 30.13 = 19.81")
    expect(inspector).to_contain_text("3 paths")
    opened.close()


def test_seed_000_chain_numbers_at_chosen_steps(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    res = gnn.evaluate((ROOT / "examples" / "mit_4layer_chain.gnn").read_text(encoding="utf-8"))
    n, w1, out = len(res.trace), res.inputs["w1"], res.output
    w1_step = next(k for k, s in enumerate(res.trace, start=1) if s.edge is not None and s.edge[0] == w1)
    opened = Opened(browser, write(res, tmp_path / "chain.html"))
    page = opened.page
    page.keyboard.press("Home")
    for _ in range(res.n_nodes):
        page.get_by_role("button", name="Next step (→)").click()
    opened.counter(res.n_nodes, n)
    assert re.search(r"=\s*9\b", opened.node_text(out))  # L = 9 after the forward pass
    page.locator(".gnn-slider").fill(str(w1_step - 1))
    opened.counter(w1_step - 1, n)
    assert "24" not in opened.node_text(w1)
    page.keyboard.press("ArrowRight")
    opened.counter(w1_step, n)
    assert re.search(r"∂\s*=\s*24\b", opened.node_text(w1))  # dL/dw1 = 24 (seed 000)
    expect(page.locator(".gnn-cap-words")).to_contain_text("gives the contribution 24")
    page.locator(f'.gnn-stage g.node[id="{w1}"]').click()
    expect(page.locator(".gnn-inspector")).to_contain_text("∂L/∂w1 = 24")
    expect(page.locator(".gnn-inspector")).to_contain_text("1 path")
    opened.close()


def test_zoom_follow_and_fit(browser: Any, tmp_path: Path) -> None:
    """At 100 % the MIT chain (3,800 px wide) does not fit; stepping to a node out of view
    moves the view to it; wheel and buttons zoom; All brings the whole graph back."""
    from playwright.sync_api import expect

    res = gnn.evaluate((ROOT / "examples" / "mit_4layer_chain.gnn").read_text(encoding="utf-8"))
    opened = Opened(browser, write(res, tmp_path / "chain.html"))
    page = opened.page
    player = page.locator(".gnn-player")
    page.get_by_role("button", name=ALL).click()
    expect(player).to_have_attribute("data-fit", "whole")
    # The player fits the graph once its view has a size (at once, or when the view is laid out).
    page.wait_for_function("() => +document.querySelector('.gnn-player').dataset.scale < 0.5")
    fitted = float(player.get_attribute("data-scale") or 0)
    assert 0 < fitted < 0.5  # the whole chain at a quarter of its size or less
    page.get_by_role("button", name="Actual size (0)").click()
    expect(player).to_have_attribute("data-scale", "1.0000")
    inside = """(id) => {
        const v = document.querySelector('.gnn-view').getBoundingClientRect();
        const g = [...document.querySelectorAll('.gnn-stage g')].find(e => e.id === id);
        const r = g.getBoundingClientRect();
        return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
    }"""
    first = res.trace[0].node  # the first forward step, at the far left of the chain
    assert not page.evaluate(inside, first)
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    opened.counter(1, len(res.trace))
    assert page.evaluate(inside, first)  # the view followed the step
    page.locator(".gnn-view").hover()
    page.mouse.wheel(0, 400)  # zoom out around the pointer
    expect(player).not_to_have_attribute("data-scale", "1.0000")
    assert float(player.get_attribute("data-scale") or 1) < 1
    page.get_by_role("button", name=ALL).click()
    expect(player).to_have_attribute("data-scale", f"{fitted:.4f}")
    # Two fingers moving apart zoom in (pointer events, as a touch screen sends them).
    page.evaluate("""() => {
        const v = document.querySelector('.gnn-view'), r = v.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        const send = (type, id, dx) => v.dispatchEvent(new PointerEvent(type, {pointerId: id, clientX: x + dx,
            clientY: y, button: 0, bubbles: true, pointerType: 'touch'}));
        send('pointerdown', 1, -20); send('pointerdown', 2, 20);
        send('pointermove', 1, -60); send('pointermove', 2, 60);
        send('pointerup', 1, -60); send('pointerup', 2, 60);
    }""")
    assert float(player.get_attribute("data-scale") or 0) == pytest.approx(fitted * 3, rel=0.01)
    page.get_by_role("button", name=ALL).click()
    expect(player).to_have_attribute("data-scale", f"{fitted:.4f}")
    box = opened.graph_box()
    assert box["vl"] <= box["left"] and box["right"] <= box["vr"] and box["vt"] <= box["top"] and box["bottom"] <= box["vb"]
    opened.close()


def test_labels_that_look_like_markup_show_as_text(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    res = gnn.evaluate("x*y + x", {"x": 2, "y": 3})
    res.graph.nodes[res.inputs["x"]]["label"] = "<script>alert(1)</script>"
    res.graph.nodes[res.inputs["y"]]["label"] = '"]; x ['
    opened = Opened(browser, write(res, tmp_path / "escape.html", title="<img src=x onerror=alert(2)>"))
    page = opened.page
    assert "<script>alert(1)</script>" in opened.node_text(res.inputs["x"])
    assert '"]; x [' in opened.node_text(res.inputs["y"])
    page.locator(f'.gnn-stage g.node[id="{res.inputs["x"]}"]').click()
    expect(page.locator(".gnn-ins-title")).to_have_text("<script>alert(1)</script> (input)")
    assert page.evaluate("document.querySelectorAll('img, .gnn-player script').length") == 0
    opened.close()  # no dialog opened, nothing logged


def example_results() -> list[tuple[str, Any]]:
    found = []
    for ex in list_examples():
        path = ROOT / "examples" / f"{ex.slug}.{'toml' if ex.kind == 'spec' else 'gnn'}"
        res = load_spec(path).evaluate() if ex.kind == "spec" else gnn.evaluate(ex.text)
        found.append((f"{ex.slug}.{ex.kind}", res))
    return found


@pytest.mark.parametrize("options", [{}, {"rankdir": "TB", "background": "dark", "theme": "micrograd"}],
                         ids=["lecture-LR", "micrograd-TB-dark"])
def test_every_example_fits_the_window_readably_when_it_opens(browser: Any, tmp_path: Path, options: dict) -> None:
    sizes = {}
    for name, res in example_results():
        path = write(res, tmp_path / f"{name}.html", **options)
        sizes[name] = path.stat().st_size
        assert sizes[name] < 1_000_000, (name, sizes[name])
        opened = Opened(browser, path)
        box = opened.graph_box()
        assert 0 <= box["vl"] and box["vr"] <= box["w"] and 0 <= box["vt"] and box["vb"] <= box["h"], (name, box)
        # it opens on the whole graph, inside the window
        assert opened.page.locator(".gnn-player").get_attribute("data-fit") == "whole", name
        assert box["vl"] <= box["left"] and box["right"] <= box["vr"], (name, box)
        assert box["vt"] <= box["top"] and box["bottom"] <= box["vb"], (name, box)
        opened.page.keyboard.press("f")  # Fit: the whole graph when readable, else a readable part of it
        opened.page.wait_for_function("() => window.gnnPlayer.autoFit === 'fit'")
        assert opened.page.evaluate(LABEL_PX) >= READABLE_PX - 0.01, name
        opened.close()


APP_FRAME = {"program": {"width": 674, "height": 660}, "spec": {"width": 674, "height": 612}}
"""The player's frame in the app on a 1,366×768 screen with the sidebar open: the player's column
is 674 px wide, the frame ``graphviz_nn.page.player.PLAYER_HEIGHT`` high, less the row of the
network's view switch for a layer spec."""
#: Every step, as a person sees it (after the frame that follows the step is drawn): the steps
#: whose node or edge is not inside the drawing's box. An edge longer than the box counts as
#: seen when the node its gradient flows back to (its tail) is inside; a node larger than the
#: box when it covers the box's middle.
UNSEEN_STEPS = """async (n) => {
    const p = window.gnnPlayer, frame = () => new Promise(r => requestAnimationFrame(() => r()));
    const byId = (id) => [...document.querySelectorAll('.gnn-stage g[id]')].find(g => g.id === id);
    const unseen = [];
    for (let k = 0; k <= n; k++) {
        p.go(k);
        await frame(); await frame();
        const focus = p.data.steps[k] && p.data.steps[k].focus;
        let g = focus && byId(focus);
        if (!g) continue;
        const v = document.querySelector('.gnn-view').getBoundingClientRect();
        let r = g.getBoundingClientRect();
        const big = r.width > v.width || r.height > v.height;
        if (big && g.classList.contains('edge')) {
            g = byId(focus.split('-')[0]);
            r = g.getBoundingClientRect();
        }
        const inX = r.width > v.width ? r.left <= v.left + v.width / 2 && r.right >= v.left + v.width / 2
                                      : r.left >= v.left - 0.5 && r.right <= v.right + 0.5;
        const inY = r.height > v.height ? r.top <= v.top + v.height / 2 && r.bottom >= v.top + v.height / 2
                                        : r.top >= v.top - 0.5 && r.bottom <= v.bottom + 0.5;
        if (!inX || !inY) unseen.push(k);
    }
    return unseen;
}"""


def app_player(example: Any) -> str:
    """The player page of ``example`` with the data the app sends its player."""
    from graphviz_nn.export.player.page import player_page

    return player_page(example_player_data(example))


def test_every_example_readable_in_the_apps_frame_and_the_step_in_view(browser: Any, tmp_path: Path) -> None:
    """In the app's frame on a laptop, every example opens with node labels of at least
    READABLE_PX, shows the whole graph whenever that keeps them readable, and at every step the
    node or edge the step works on is inside the drawing's box."""
    from playwright.sync_api import expect

    problems = []
    for example in list_examples():
        name = f"{example.slug}.{example.kind}"
        path = tmp_path / f"{name}.html"
        path.write_text(app_player(example), encoding="utf-8")
        frame = APP_FRAME[example.kind]
        opened = PlayerFile(browser, path, frame, timeout_ms=20_000)
        page, player = opened.page, opened.page.locator(".gnn-player")
        n = int(page.evaluate("window.gnnPlayer.n"))
        view = page.locator(".gnn-view").bounding_box()
        assert view and view["x"] >= 0 and view["x"] + view["width"] <= frame["width"] + 0.5, (name, view)
        assert view["y"] >= 0 and view["y"] + view["height"] <= frame["height"] + 0.5, (name, view)
        if player.get_attribute("data-fit") != "whole":  # it opens on the whole graph
            problems.append(f"{name}: the whole graph is not shown when the player opens")
        page.get_by_role("button", name=re.compile(r"^Fit the graph")).click()
        page.wait_for_function("() => window.gnnPlayer.autoFit === 'fit'")
        least = page.evaluate(LABEL_PX)
        if least < READABLE_PX - 0.01:
            problems.append(f"{name}: node labels of {least:.2f} px at fit")
        if player.get_attribute("data-fit") == "part":  # only when the whole graph would be too small
            page.get_by_role("button", name=ALL).click()
            expect(player).to_have_attribute("data-fit", "whole")
            if page.evaluate(LABEL_PX) >= READABLE_PX:
                problems.append(f"{name}: a part shown though the whole graph is readable")
            page.get_by_role("button", name=re.compile(r"^Fit the graph")).click()
            expect(player).to_have_attribute("data-fit", "part")
        unseen = page.evaluate(UNSEEN_STEPS, n)
        if unseen:
            problems.append(f"{name}: the step's node or edge out of view at steps {unseen}")
        opened.close()
    assert not problems, "\n".join(problems)
