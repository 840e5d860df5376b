"""The page on the screens students use, in Chromium: with each example loaded, the player's
drawing, its Next button and the step caption are inside a laptop's 1,366×768 viewport without
any scrolling, and the caption is not cut; on a 400×900 phone the player's drawing starts inside
the first screen (under the title and the mode switch, before the problem's text and values) and
shows the right numbers, the caption is inside the screen's width and whole (a long one, the
autoencoder's matrices, scrolls in a box of at most a third of the screen, so the drawing stays
in the first screen) and the step buttons are big enough to press.

Every check waits for the example's own player (its "step n of n", with ``n`` computed here from
the example) before it measures; no fixed sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest

import re

from graphviz_nn.core.reference import reference_evaluate
from graphviz_nn.explain.captions import format_number
from graphviz_nn.page import netview
from graphviz_nn.page.examples import Example, list_examples
from helpers import LABEL_PX, READABLE_PX, example_player_data
from test_browser import PLAYER, app_url, browser, load_example, new_page, settled  # noqa: F401

pytestmark = pytest.mark.browser

EXAMPLES = list_examples()
LAPTOP = (1366, 768)
PHONE = (400, 900)
MIN_DRAWING_SHOWN = 200
"""On a phone's first screen this many CSS pixels of the drawing's height show, or all of it
when it is shorter (a wide drawing fitted to a phone's width can be a thin strip)."""
#: As LABEL_PX, for the edges' labels (the neuron view's weights).
EDGE_LABEL_PX = LABEL_PX.replace("g.node text", "g.edge text")
MAX_CAPTION = 0.33
"""The largest share of a phone's screen height the step caption takes (a longer one scrolls)."""


def oracle(example: Example) -> tuple[str, list[str]]:
    """The example's output value and its gradients as the page writes them (4 digits),
    computed by the per-node reference engine on the example's own text or spec."""
    if example.kind == "spec":
        net = netview.network(netview.read_spec(example.text, f"{example.slug}.toml"))
        res = reference_evaluate(net.program, dict(net.values))
    else:
        res = reference_evaluate(example.text)
    return format_number(res.value, 4), [format_number(g, 4) for g in res.gradients.values()]


def steps_of(example: Example) -> int:
    """How many steps the player shows for the example (the app's own player data)."""
    return int(example_player_data(example)["n"])


def show(page: Any, example: Example, phone: bool) -> Any:
    """Load ``example`` from the menu and wait for its player; returns the player's frame."""
    from playwright.sync_api import expect

    if phone:  # the sidebar is a drawer on a phone: open it, pick, close it
        page.get_by_test_id("stExpandSidebarButton").click()
    load_example(page, example.title)
    if phone:
        page.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click()
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    # Two examples in a row may have as many steps (design, design_latex): wait for this one's
    # own text (or chain and values) before the player's counter can say anything.
    if example.kind == "spec":
        form = netview.read_spec(example.text, f"{example.slug}.toml")
        expect(page.get_by_role("textbox", name="Layer chain")).to_have_value(form.chain)
        expect(page.get_by_role("textbox", name="Values", exact=True)).to_have_value(form.values_text)
    else:
        expect(page.get_by_role("textbox", name="Expression or program")).to_have_value(
            example.text.rstrip("\n") + "\n")
    n = steps_of(example)
    # A switch between the two modes draws a new player while the old one is still on the page.
    expect(page.frame_locator(PLAYER).last.locator(".gnn-counter")).to_have_text(f"step {n} of {n}")
    settled(page)
    expect(page.locator(PLAYER)).to_have_count(1)
    player = page.frame_locator(PLAYER)
    expect(player.locator(".gnn-counter")).to_have_text(f"step {n} of {n}")
    expect(player.locator(".gnn-stage svg")).to_be_visible()
    expect(player.locator(".gnn-cap-title")).to_contain_text(f"Step {n} of {n}")
    return player


def inside(box: dict | None, width: int, height: int) -> bool:
    return (box is not None and box["x"] >= -0.5 and box["y"] >= -0.5
            and box["x"] + box["width"] <= width + 0.5 and box["y"] + box["height"] <= height + 0.5)


def not_cut(locator: Any) -> bool:
    """The element shows all its content: nothing hidden below or beside its box."""
    return bool(locator.evaluate("e => e.scrollHeight <= e.clientHeight + 1"))


def whole_width(locator: Any) -> bool:
    """No part of the element cuts its text at the side (an ellipsis, a clipped box)."""
    return bool(locator.evaluate(
        "e => [e, ...e.querySelectorAll('*')].every(d => getComputedStyle(d).overflowX === 'visible'"
        " || d.scrollWidth <= d.clientWidth + 1)"))


def readable(locator: Any) -> bool:
    """All the element's content can be read: it shows all of it, or what it does not show is
    reached by scrolling inside its box (a phone's long caption scrolls in its own box)."""
    return not_cut(locator) or bool(locator.evaluate(
        "e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY) && e.clientHeight > 40"))


def test_laptop_screen_holds_graph_next_and_caption_for_every_example(app_url: str, browser: Any) -> None:
    width, height = LAPTOP
    page = new_page(browser, width, height)
    page.goto(app_url)
    problems = []
    for example in EXAMPLES:
        player = show(page, example, phone=False)
        boxes = {"drawing": player.locator(".gnn-view").bounding_box(),  # the graph's box (Fit keeps labels readable)
                 "Next": player.get_by_role("button", name="Next").bounding_box(),
                 "caption": player.locator(".gnn-caption").bounding_box()}
        scrolled = page.get_by_test_id("stMain").evaluate("e => e.scrollTop")
        for what, box in boxes.items():
            if not inside(box, width, height):
                problems.append(f"{example.slug} ({example.kind}): {what} at {box}")
        if scrolled:
            problems.append(f"{example.slug} ({example.kind}): the page scrolled by {scrolled} px")
        if not not_cut(player.locator(".gnn-caption")):
            problems.append(f"{example.slug} ({example.kind}): the caption is cut")
        if example.kind == "spec":  # "Take a step" beside the graph, and the form's choices readable
            step = page.get_by_role("button", name="Take a step").bounding_box()
            if not inside(step, width, height):
                problems.append(f"{example.slug} (spec): Take a step at {step}")
            for name in ("loss", "bias"):
                menu = page.locator(f'.st-key-net_{name} [data-testid="stSelectbox"]')
                if not whole_width(menu):
                    problems.append(f"{example.slug} (spec): the {name} menu's value is cut")
    page.close()
    assert not problems, "\n".join(problems)


def test_phone_caption_whole_and_controls_usable(app_url: str, browser: Any) -> None:
    width, height = PHONE
    page = new_page(browser, width, height)
    page.goto(app_url)
    problems = []
    for example in EXAMPLES:
        player = show(page, example, phone=True)
        caption = player.locator(".gnn-caption")
        caption.scroll_into_view_if_needed()
        box = caption.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
            problems.append(f"{example.slug} ({example.kind}): the caption is not inside the screen's width: {box}")
        if not readable(caption):
            problems.append(f"{example.slug} ({example.kind}): the caption is cut")
        for name in ("Prev", "Next"):
            button = player.get_by_role("button", name=name)
            button.scroll_into_view_if_needed()
            b = button.bounding_box()
            if not inside(b, width, height) or b["width"] < 40 or b["height"] < 24:
                problems.append(f"{example.slug} ({example.kind}): {name} is not a button to press: {b}")
        drawing = player.locator(".gnn-view")  # the graph's box (Fit keeps labels readable)
        drawing.scroll_into_view_if_needed()
        d = drawing.bounding_box()
        if d is None or d["width"] < 100 or d["x"] < 0 or d["x"] + d["width"] > width + 0.5:
            problems.append(f"{example.slug} ({example.kind}): the drawing does not fit the screen's width: {d}")
        page.get_by_test_id("stMain").evaluate("e => e.scrollTo(0, 0)")
    page.close()
    assert not problems, "\n".join(problems)


def test_laptop_next_steps_without_scrolling(app_url: str, browser: Any) -> None:
    """Pressing Next where it is: the step changes and the page does not move."""
    from playwright.sync_api import expect

    example = next(e for e in EXAMPLES if e.slug == "design" and e.kind == "program")
    page = new_page(browser, *LAPTOP)
    page.goto(app_url)
    player = show(page, example, phone=False)
    n = steps_of(example)
    player.get_by_role("button", name="Prev").click()
    expect(player.locator(".gnn-counter")).to_have_text(f"step {n - 1} of {n}")
    player.get_by_role("button", name="Next").click()
    expect(player.locator(".gnn-counter")).to_have_text(f"step {n} of {n}")
    assert page.get_by_test_id("stMain").evaluate("e => e.scrollTop") == 0
    page.close()


def test_typing_a_matrix_into_a_matrix_field_changes_the_result(app_url: str, browser: Any) -> None:
    """1/2 ||W2 tanh(W1 x + b) - y||^2 opened from a link with W1 = 3I; W1's field is a matrix
    field; typing [[1, 2], [0, -1]] gives the loss numpy computes for that matrix."""
    import re
    from urllib.parse import urlencode

    import numpy as np
    from playwright.sync_api import expect

    from graphviz_nn.explain.captions import format_number

    def loss(W1: Any) -> float:
        W1, x, b, W2 = np.asarray(W1, dtype=float), np.array([0.5, -1]), np.array([0.1, 0.2]), np.array([[1, -2.0]])
        return 0.5 * float(np.sum((W2 @ np.tanh(W1 @ x + b) - 0.3) ** 2))

    query = {"expr": "1/2 ||W2 tanh(W1 x + b) - y||^2", "v_W1": "[[3, 0], [0, 3]]", "v_x": "[0.5, -1]",
             "v_b": "[0.1, 0.2]", "v_W2": "[[1, -2]]", "v_y": "0.3"}
    page = new_page(browser, *LAPTOP)
    page.goto(f"{app_url}/?{urlencode(query)}")
    result = page.locator('[data-testid="stMarkdownContainer"] p', has_text="Read as").first
    expect(result).to_contain_text(f"= {format_number(loss([[3, 0], [0, 3]]))} ·")
    box = page.get_by_role("textbox", name=re.compile(r"^W1 · 2×2 matrix"))
    box.fill("[[1, 2], [0, -1]]")
    box.press("Enter")
    expect(result).to_contain_text(f"= {format_number(loss([[1, 2], [0, -1]]))} ·")
    settled(page)
    expect(box).to_have_value("[[1, 2], [0, -1]]")
    # a ragged matrix: the error and its caret, the entry kept
    box.fill("[[1, 2], [0]]")
    box.press("Enter")
    expect(page.get_by_test_id("stAlert").first).to_contain_text("rows do not all have the same length")
    typed = page.get_by_role("textbox", name=re.compile(r"^W1 · not a value"))  # the label says so
    expect(typed).to_have_value("[[1, 2], [0]]")
    page.close()


def test_phone_first_screen_shows_the_drawing_with_the_right_numbers(app_url: str, browser: Any) -> None:
    """On a 400×900 phone, with each example loaded and the page at its top: the title and the
    mode switch, then the player, whose drawing starts inside the first screen and shows the
    output's value; scrolled on, the problem's text and the summary line with the value and
    every gradient the reference engine computes."""
    width, height = PHONE
    page = new_page(browser, width, height)
    page.goto(app_url)
    main = page.get_by_test_id("stMain")
    problems = []
    for example in EXAMPLES:
        player = show(page, example, phone=True)
        main.evaluate("e => e.scrollTo(0, 0)")
        page.wait_for_function("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop === 0")
        where = f"{example.slug} ({example.kind})"
        drawing = player.locator(".gnn-view").bounding_box()
        frame = page.locator(PLAYER).bounding_box()
        mode = page.locator(".st-key-mode").bounding_box()
        if drawing is None or not (drawing["y"] >= 0 and
                                   drawing["y"] + min(drawing["height"], MIN_DRAWING_SHOWN) <= height):
            problems.append(f"{where}: the drawing ({drawing}) does not start inside the first screen")
        caption = player.locator(".gnn-caption").bounding_box()
        if caption is None or caption["height"] > MAX_CAPTION * height:  # a long caption scrolls instead
            problems.append(f"{where}: the caption ({caption}) takes more than {MAX_CAPTION:.0%} of the screen")
        if mode is None or frame is None or not mode["y"] + mode["height"] <= frame["y"]:
            problems.append(f"{where}: the mode switch ({mode}) is not above the player ({frame})")
        value, gradients = oracle(example)
        texts = [t.strip() for t in player.locator(".gnn-stage svg text").all_text_contents()]
        for entry in value.strip("[]").split(", "):
            if f"= {entry}" not in texts and entry not in texts:
                problems.append(f"{where}: the drawing does not show the output's value {entry}")
        text_box = page.locator(".st-key-text, .st-key-net_chain").first.bounding_box()
        if text_box is None or frame is None or text_box["y"] < frame["y"] + frame["height"]:
            problems.append(f"{where}: the problem's text ({text_box}) is not below the player ({frame})")
        line = page.locator('[data-testid="stMarkdownContainer"] p', has_text=" · ∂").first
        line.scroll_into_view_if_needed()
        shown = line.inner_text().splitlines()[-1].strip()
        parts = [re.match(r"^(∂\S+/∂\S+|[^\s=]+) = (.+)$", part.strip()) for part in shown.split(" · ")]
        numbers = [m.group(2) for m in parts if m]
        if numbers != [value, *gradients]:
            problems.append(f"{where}: the summary line reads {shown!r}, the reference engine {[value, *gradients]}")
        box = line.bounding_box()
        if not inside(box, width, height):
            problems.append(f"{where}: the summary line is not on the screen once scrolled to: {box}")




def test_laptop_wide_graphs_readable_at_fit(app_url: str, browser: Any) -> None:
    """The wide graphs (the MIT chain, the α/β network, the autoencoder, the α/β network's neuron
    view) open in the app with node labels of at least READABLE_PX at Fit, the step's node in view;
    the neuron view opens at Fit, its node and weight labels at least READABLE_PX."""
    from playwright.sync_api import expect

    wide = [e for e in EXAMPLES if e.slug in ("mit_4layer_chain", "cmu_alpha_beta", "mit_autoencoder")]
    page = new_page(browser, *LAPTOP)
    page.goto(app_url)
    problems = []
    for example in wide:
        player = show(page, example, phone=False)
        expect(player.locator(".gnn-player")).to_have_attribute("data-fit", "whole")  # it opens on the whole graph
        player.get_by_role("button", name=re.compile(r"^Fit the graph")).click()  # Fit: a readable size
        frame = page.locator(PLAYER).element_handle().content_frame()
        frame.wait_for_function("() => window.gnnPlayer.autoFit === 'fit'")
        least = frame.evaluate(LABEL_PX)
        if least < READABLE_PX - 0.01:
            problems.append(f"{example.slug} ({example.kind}): node labels of {least:.2f} px")
        seen = frame.evaluate("""() => { const t = window.gnnPlayer.focusNode(); if (!t) return true;
            const r = t.getBoundingClientRect(), v = document.querySelector('.gnn-view').getBoundingClientRect();
            return r.left >= v.left - 0.5 && r.right <= v.right + 0.5 && r.top >= v.top - 0.5 && r.bottom <= v.bottom + 0.5; }""")
        if not seen:
            problems.append(f"{example.slug} ({example.kind}): the last step's node is out of view")
        if example.kind == "spec" and example.slug == "cmu_alpha_beta":
            page.get_by_text("Neurons", exact=True).click()
            neurons = page.frame_locator(PLAYER).last
            expect(neurons.locator(".gnn-player.gnn-static .gnn-stage svg")).to_be_visible()
            settled(page)
            frame = page.locator(PLAYER).last.element_handle().content_frame()
            frame.wait_for_function("() => window.gnnPlayer.autoFit === 'fit'")  # it opens at Fit
            least, weights = frame.evaluate(LABEL_PX), frame.evaluate(EDGE_LABEL_PX)
            if least < READABLE_PX - 0.01 or weights < READABLE_PX - 0.01:
                problems.append(f"{example.slug} neuron view opened: node labels of {least:.2f} px, "
                                f"weight labels of {weights:.2f} px")
            neurons.get_by_role("button", name=re.compile(r"^Fit the graph")).click()
            frame.wait_for_function("() => window.gnnPlayer.autoFit === 'fit'")
            least, weights = frame.evaluate(LABEL_PX), frame.evaluate(EDGE_LABEL_PX)
            if least < READABLE_PX - 0.01 or weights < READABLE_PX - 0.01:
                problems.append(f"{example.slug} neuron view: node labels of {least:.2f} px, "
                                f"weight labels of {weights:.2f} px")
            page.get_by_text("Computation graph", exact=True).click()
            n = steps_of(example)  # as show(): the new player first, then the run's end, then one frame
            expect(page.frame_locator(PLAYER).last.locator(".gnn-counter")).to_have_text(f"step {n} of {n}")
            settled(page)
            expect(page.locator(PLAYER)).to_have_count(1)  # the neuron view's frame is gone
            expect(player.locator(".gnn-counter")).to_be_visible()
    page.close()
    assert not problems, "\n".join(problems)
