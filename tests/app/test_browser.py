"""End to end in a real browser: Debian's chromium driven by playwright over loopback only.

Skips only where no chromium is installed (.ci/run installs it with apt when it can).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode

import pytest
from helpers import chromium_browser

from benchmarks.app_server import launch_app, stop_app, wait_healthy

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PLAYER = 'iframe[title*="graphviz_nn_player"]'
"""The step player's frame (a Streamlit component)."""
#: The longest any one wait may take. Only an upper bound: every wait ends as soon as its state
#: shows. A cold first run of the page under a loaded CI machine (the whole suite on two cores
#: beside these tests) took over 30 s, so the bound is generous.
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port, stopped by PID afterwards. The port is
    free when chosen but another process may take it before Streamlit binds it (the suite runs
    several servers at once): then Streamlit exits and another port is tried."""
    errors = []
    for _ in range(3):
        app = launch_app(keep_errors=True)
        try:
            if wait_healthy(app.url, app.proc, 120):
                yield app.url
                return
            errors.append(app.proc.stderr.read1(20_000).decode(errors="replace")
                          if app.proc.stderr and app.proc.poll() is not None else "no answer to the health check")
        finally:
            stop_app(app)
    pytest.fail(f"streamlit did not start: {errors[-1][-2000:]}")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium_browser() as b:
        yield b


def new_page(browser: object, width: int = 1366, height: int = 768, **kwargs: object) -> object:
    """A page at a laptop's size; no wait lasts longer than :data:`WAIT_MS`."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": width, "height": height}, **kwargs)
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    return page


def settled(page: object) -> None:
    """Wait until Streamlit's last run has finished and no element of an earlier run is left
    on the page. Call it after waiting for the state an action leads to (right after an action
    the previous run may still count as finished)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.locator('[data-stale="true"]')).to_have_count(0)


def summary(page: object) -> str:
    """The line under "Read as": the output's value and every gradient."""
    return page.locator('[data-testid="stMarkdownContainer"] p', has_text="Read as").first.inner_text()


def field(page: object, name: str) -> object:
    return page.get_by_role("spinbutton", name=name, exact=True)


PICK_MS = 30_000
"""How long one try at picking from the examples' menu waits for its option."""


def load_example(page: object, title: str) -> None:
    """Pick an example from the sidebar's menu, typing its title (a small screen's list shows
    only a few options at a time).

    The menu's list closes, as it does for a person, when the page around it scrolls (clicking
    an option scrolls it into view) or the drawer moves under it; its option is then gone from
    the page. So each try waits for the option to be clicked, and a try whose list closed opens
    it again by typing the title afresh: at most three tries."""
    from playwright.sync_api import Error as PlaywrightError

    box = page.locator(".st-key-example").get_by_role("combobox")
    option = page.get_by_role("option", name=title, exact=True)
    for attempt in range(3):
        box.click()
        box.fill("")
        box.fill(title)
        try:
            option.click(timeout=PICK_MS)
            return
        except PlaywrightError:
            if attempt == 2:
                raise


def test_type_set_values_step_and_download(app_url: str, browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, 1400, 1000, accept_downloads=True)
    page.goto(app_url)
    player = page.frame_locator(PLAYER)
    drawn = player.locator(".gnn-stage svg")
    # The first page draws every step of the pass for the player: on a loaded machine that and
    # Streamlit's start take a while.
    expect(drawn).to_be_visible(timeout=90_000)

    box = page.get_by_role("textbox", name="Expression or program")
    box.fill("x^2 + 3xy")
    box.press("Control+Enter")
    # x^2 + 3xy at x = 3 (y = 1, its default): 9 + 9 = 18; then y = 2.
    for name, value, shown in (("x", "3", "f = 18"), ("y", "2", "f = 27")):
        field = page.get_by_role("spinbutton", name=name, exact=True)
        field.fill(value)
        field.press("Enter")
        expect(page.get_by_text(re.compile(re.escape(shown) + r"\b")).first).to_be_visible()
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

    # The button that hands over step n's file is step n's own element: wait for it.
    button = page.locator(f'.st-key-download_svg_step{n}[data-stale="false"]').get_by_role("button", name="SVG")
    expect(button).to_be_visible()
    settled(page)
    with page.expect_download() as info:
        button.click()
    target = tmp_path / "graph.svg"
    info.value.save_as(target)
    svg = target.read_text(encoding="utf-8")
    assert "<svg" in svg and "</svg>" in svg
    assert "27" in svg and "12" in svg
    assert info.value.suggested_filename == f"graph-step{n}.svg"
    page.close()


def test_the_download_is_the_shown_steps_while_the_rerun_finishes(app_url: str, browser: object,
                                                                   tmp_path: Path) -> None:
    """When the player rests on a new step the page reruns its downloads: "Download step k" can
    show a moment before the buttons are redrawn. Clicked in that moment, the earlier run's
    button takes no click, so the file is always the step on the page."""
    from playwright.sync_api import expect

    page = new_page(browser, accept_downloads=True)
    page.goto(app_url)
    player = page.frame_locator(PLAYER)
    counter = player.locator(".gnn-counter")
    expect(counter).to_have_text(re.compile(r"^step (\d+) of \1$"))
    settled(page)
    match = re.match(r"step (\d+) of (\d+)", counter.text_content() or "")
    assert match is not None
    n = int(match.group(2))
    for attempt in range(5):
        player.get_by_role("button", name="Previous step (←)").click()
        expect(page.get_by_text(f"Download step {n - 1}", exact=True)).to_be_visible()
        settled(page)
        player.get_by_role("button", name="Next step (→)").click()
        expect(page.get_by_text(f"Download step {n}", exact=True)).to_be_visible()
        with page.expect_download() as info:  # at once: the buttons may still be the last run's
            page.get_by_role("button", name="SVG", exact=True).click()
        assert info.value.suggested_filename == f"graph-step{n}.svg", attempt
        path = tmp_path / f"attempt{attempt}.svg"
        info.value.save_as(path)
        assert f"step {n} of {n}" in path.read_text(encoding="utf-8"), attempt
        settled(page)
    page.close()


#: (example file, published numbers on the summary line, the fields' values) of three sheets.
LOADED = [
    ("design.gnn", ["f = 10.35"], {"x": "1", "y": "2", "z": "3"}),
    ("mit_4layer_chain.gnn", ["L = 9", "∂L/∂w1 = 24"], {"x": "1", "y": "2", "w1": "3", "w01": "-1"}),
    ("nyu_program.gnn", ["w = 50", "∂w/∂x = 90"], {"x": "1", "y": "2", "z": "3"}),
]


def example_title(file: str) -> str:
    first = (EXAMPLES / file).read_text(encoding="utf-8").splitlines()[0]
    return first.lstrip("#").strip()


@pytest.mark.parametrize("file, numbers, fields", LOADED, ids=[f for f, _, _ in LOADED])
def test_a_loaded_example_keeps_its_values_through_toggles(app_url: str, browser: object, file: str,
                                                           numbers: list[str], fields: dict[str, str]) -> None:
    """The browser keeps each field's last value: after loading an example the fields must show
    the example's values, or the next rerun (a toggle, a chain-rule target) computes with old ones."""
    from playwright.sync_api import expect

    page = new_page(browser)
    page.goto(app_url)
    expect(page.frame_locator(PLAYER).locator(".gnn-stage svg")).to_be_visible()
    settled(page)
    load_example(page, example_title(file))
    expect(page.get_by_role("textbox", name="Expression or program")).to_have_value(
        (EXAMPLES / file).read_text(encoding="utf-8").rstrip("\n") + "\n")
    expect(page.get_by_text(re.compile(re.escape(numbers[0]) + r"\b")).first).to_be_visible()
    settled(page)

    def check(after: str) -> None:
        shown = summary(page)
        for number in numbers:
            assert re.search(re.escape(number) + r"(\s|$| ·)", shown), (after, shown)
        for name, value in fields.items():
            assert field(page, name).input_value() == value, (after, name)
            assert f"{name} = {value};" in shown, (after, name, shown)  # "Read as" agrees

    check("loaded")
    page.get_by_text("Dark background").click()
    expect(page.get_by_role("switch", name="Dark background")).to_be_checked()
    settled(page)
    check("dark background")
    targets = page.locator(".st-key-targets").get_by_role("combobox")
    targets.click()
    targets.press_sequentially("x")
    expect(page.get_by_role("option", name="x", exact=True)).to_be_visible()
    targets.press("Enter")
    targets.press("Escape")  # close the list (while open, the rest of the page is hidden from it)
    expect(page.get_by_role("listbox")).to_have_count(0)
    expect(page.locator('.gnn-graph[data-state="paths"]')).to_be_visible()
    settled(page)
    check("a chain-rule target")
    page.close()


def test_a_field_edits_the_texts_value_and_a_link_reproduces_it(app_url: str, browser: object) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    page.goto(app_url)
    expect(page.frame_locator(PLAYER).locator(".gnn-stage svg")).to_be_visible()
    settled(page)
    load_example(page, example_title("design.gnn"))
    expect(page.get_by_text(re.compile(r"f = 10\.35\b")).first).to_be_visible()
    settled(page)
    field(page, "x").fill("2")
    field(page, "x").press("Enter")
    # sin(2·2)/3 + e^(2·3)/(2·2) = -0.2523 + 100.86 = 100.6
    expect(page.get_by_text(re.compile(r"f = 100\.6\b")).first).to_be_visible()
    box = page.get_by_role("textbox", name="Expression or program")
    expect(box).to_have_value(re.compile(r"\nx = 2\ny = 2\nz = 3\n"))
    settled(page)
    assert "x = 2; y = 2; z = 3;" in summary(page)
    page.get_by_text("Gradients", exact=True).click()  # a toggle keeps it
    expect(page.frame_locator(PLAYER).locator(".gnn-stage svg")).not_to_contain_text("∂ =")
    settled(page)
    assert "x = 2; y = 2; z = 3;" in summary(page) and "f = 100.6" in summary(page)
    assert field(page, "x").input_value() == "2"

    # A link gives x = 5 and z = 4 to a program that says x = 1: the text takes them.
    page.goto(f"{app_url}/?" + urlencode({"expr": "x = 1; y = 2; x*y + z", "v_x": "5", "v_z": "4"}))
    expect(page.get_by_text(re.compile(r"f = 14\b")).first).to_be_visible()  # 5·2 + 4
    settled(page)
    expect(box).to_have_value("x = 5; y = 2; x*y + z")
    assert [field(page, n).input_value() for n in "xyz"] == ["5", "2", "4"]
    assert "x = 5; y = 2;" in summary(page)
    page.close()


def test_network_upload_and_gradient_step(app_url: str, browser: object) -> None:
    """Layer network mode: a bad upload is refused with the graph kept; a step grows the curve."""
    from playwright.sync_api import expect

    page = new_page(browser, 1400, 1400)
    page.goto(app_url)
    expect(page.frame_locator(PLAYER).locator(".gnn-stage svg")).to_be_visible()
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
    settled(page)  # the button of the finished run, not of the one the upload started

    # The loss curve is drawn before any step, with the loss of the values as its one point; the
    # steps add points to that same chart (past 30 steps too): its drawing survives them all.
    expect(page.get_by_text(re.compile(r"Loss 8 with these values"))).to_be_visible()
    points = page.locator('[data-testid="stVegaLiteChart"] .mark-symbol path')
    expect(points).to_have_count(1)
    chart = page.locator('[data-testid="stVegaLiteChart"]')
    # the step axis counts whole steps from 0 (a lone point once made it read 0.000000)
    expect(chart.locator('[aria-label^="X-axis"] .role-axis-label text')).to_have_text(["0", "1"])
    expect(chart).not_to_contain_text(".000")
    page.locator('[data-testid="stVegaLiteChart"] svg.marks').evaluate("e => { e.dataset.gnnProbe = 'first'; }")
    page.get_by_role("button", name="Take a step").click()
    expect(page.get_by_text(re.compile(r"Loss 8 before the first step"))).to_be_visible()
    settled(page)
    expect(points).to_have_count(2)
    for steps in (11, 21, 31):
        page.get_by_role("button", name="Take 10 steps").click()
        expect(page.get_by_text(re.compile(rf"after {steps} steps"))).to_be_visible()
        settled(page)
    expect(points).to_have_count(32)
    expect(page.locator('[data-testid="stVegaLiteChart"] svg.marks[data-gnn-probe="first"]')).to_have_count(1)
    page.close()
