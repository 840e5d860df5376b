"""Switching examples right after editing one: the next example shows its own fields and numbers.

Loading the CS189 matrix loss (its x is the vector [1, -1]), editing its text and a value, then
loading the design example (x = 1) must show design's x as a number field holding 1 and design's
published numbers, whether each action waits for the page or follows the last at once: an edit
the browser sends for the old problem (a vector field committing on blur as the menu opens) must
not land in the new one. No fixed sleeps: every wait is for the state asserted.
"""

from __future__ import annotations

import os
import re

import pytest

from test_browser import (PLAYER, app_url, browser, example_title, field, load_example,  # noqa: F401
                          new_page, settled, summary)

pytestmark = pytest.mark.browser

MATRIX = "cs189_matrix_loss.gnn"
DESIGN = "design.gnn"
#: design.gnn: f = sin(xy)/z + e^(xz)/(xy) at (1, 2, 3): sin(2)/3 + e³/2 = 10.35, and
#: ∂f/∂x = y cos(xy)/z + (xz - 1) e^(xz)/(x²y) = 2 cos(2)/3 + 2e³/2 = 19.81 (by hand; CMU 10-301).
DESIGN_NUMBERS = ("f = 10.35", "∂f/∂x = 19.81")
#: (how the value is changed, whether each action waits for the page before the next): x's
#: field committed with Enter, x's field left for the blur (the menu opening) to commit, or
#: another input's field (b) with Enter, so that x's field still holds [1, -1] at the switch.
WAYS = [("enter", True), ("enter", False), ("blur", False), ("other", False)]
#: ``GNN_REPEAT=N`` runs every case N times (to hunt the race; the suite runs each once).
REPEAT = range(max(1, int(os.environ.get("GNN_REPEAT", "1"))))


def _text_box(page: object) -> object:
    return page.get_by_role("textbox", name="Expression or program")


def _vector_field(page: object, name: str) -> object:
    """The vector/matrix field of ``name`` (its label also shows the shape)."""
    return page.get_by_role("textbox", name=re.compile(rf"^{re.escape(name)} · "))


@pytest.mark.parametrize("again", REPEAT, ids=lambda i: f"run{i}")
@pytest.mark.parametrize("way, wait", WAYS, ids=[f"{w}-{'waiting' if t else 'at-once'}" for w, t in WAYS])
def test_loading_an_example_right_after_edits_shows_its_own_fields(app_url: str, browser: object,  # noqa: F811
                                                                   way: str, wait: bool, again: int) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    page.goto(app_url)
    expect(page.frame_locator(PLAYER).locator(".gnn-stage svg")).to_be_visible()
    settled(page)
    load_example(page, example_title(MATRIX))
    x = _vector_field(page, "x")
    expect(x).to_have_value("[1, -1]")
    settled(page)

    # Edit the text (Ctrl+Enter applies it): y = [0, 1] becomes y = [0, 2].
    box = _text_box(page)
    box.fill(box.input_value().replace("y = [0, 1]", "y = [0, 2]"))
    box.press("Control+Enter")
    if wait:
        expect(page.get_by_text(re.compile(r"y = \[0, 2\];")).first).to_be_visible()
        settled(page)
    # Change a value in its field: committed with Enter, or left for the blur to commit.
    changed = _vector_field(page, "b") if way == "other" else x
    changed.fill("[0.5, 1]" if way == "other" else "[2, -1]")
    if way != "blur":
        changed.press("Enter")
        if wait:
            expect(box).to_have_value(re.compile(r"\nx = \[2, -1\]\n"))
            settled(page)
    load_example(page, example_title(DESIGN))

    expect(box).to_have_value(_design_text())
    number_x = field(page, "x")
    expect(number_x).to_have_value("1")
    for number in DESIGN_NUMBERS:
        expect(page.get_by_text(re.compile(re.escape(number) + r"\b")).first).to_be_visible()
    settled(page)
    # Once every run has finished: still design's problem, its fields and its numbers only.
    shown = summary(page)
    assert all(re.search(re.escape(n) + r"(\s|$| ·)", shown) for n in DESIGN_NUMBERS), shown
    assert "x = 1; y = 2; z = 3;" in shown, shown
    assert number_x.input_value() == "1"
    expect(_vector_field(page, "x")).to_have_count(0)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    expect(box).to_have_value(_design_text())
    drawn = page.frame_locator(PLAYER).locator(".gnn-stage svg")
    expect(drawn).to_contain_text("10.35")
    page.close()


def _design_text() -> str:
    from test_browser import EXAMPLES

    return (EXAMPLES / DESIGN).read_text(encoding="utf-8").rstrip("\n") + "\n"
