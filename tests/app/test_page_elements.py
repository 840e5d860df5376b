"""How many elements the page is made of (AppTest, no browser). Every rerun sends every element
again and the browser redraws its page once per element received, so each element costs the
browser work on every edit, value change and training step: rows of buttons and a value field
with its kind menu are one row element each, not a block of columns."""

from __future__ import annotations

from typing import Any

import pytest

from graphviz_nn.page.examples import list_examples
from test_app import start

EXAMPLE = next(ex for ex in list_examples() if ex.slug == "cmu_alpha_beta" and ex.kind == "program")
#: The page of EXAMPLE (4 value fields) in elements and blocks, sidebar included: 81 when the
#: rows of buttons and the value fields were blocks of columns, 62 as rows (and room for two more).
MOST_ELEMENTS = 64
HORIZONTAL = 2  # a flex container's direction in Streamlit's block message


def nodes(node: Any) -> list[Any]:
    """``node`` and everything under it, in page order."""
    found = [node]
    for key in sorted(getattr(node, "children", {}) or {}):
        found += nodes(node.children[key])
    return found


def row_of(at: Any, element: Any) -> Any:
    """The horizontal row element holding ``element`` directly (``None``: it is not in one)."""
    for block in nodes(at.main):
        if (getattr(block, "type", None) == "flex_container" and block.proto.flex_container.direction == HORIZONTAL
                and element in block.children.values()):
            return block
    return None


@pytest.fixture(scope="module")
def page() -> Any:
    at = start()
    at.selectbox(key="example").set_value(EXAMPLE.title).run()
    assert not at.exception and not at.error
    return at


def test_the_page_is_made_of_few_elements(page: Any) -> None:
    count = len(nodes(page.main)) + len(nodes(page.sidebar)) - 2  # the two roots are not sent
    assert count <= MOST_ELEMENTS, count


def test_a_row_of_download_buttons_is_one_element_with_its_heading(page: Any) -> None:
    buttons = [e for e in nodes(page.main) if type(e).__name__ == "DownloadButton"]
    assert len(buttons) == 9  # SVG, PNG, PDF, DOT, TikZ of the step; zip, GIF, PDF, HTML of the pass
    rows = [row_of(page, b) for b in buttons]
    assert all(row is not None for row in rows)
    distinct = list({id(row): row for row in rows}.values())
    assert len(distinct) == 2  # the step's formats, the whole pass's files
    for row in distinct:
        first = row.children[min(row.children)]
        assert type(first).__name__ == "Markdown" and first.value.startswith("**Download")


def test_a_value_field_and_its_kind_menu_share_one_row(page: Any) -> None:
    fields = [*page.text_input, *page.number_input]
    fields = [f for f in fields if f.key and f.key.startswith(("val:", "num:"))]
    assert len(fields) == 4
    for field in fields:
        row = row_of(page, field)
        assert row is not None, field.key
        menus = [e for e in row.children.values() if type(e).__name__ == "Selectbox"]
        assert [m.key for m in menus] == [f"kind:{field.key.split(':', 1)[1]}"]


SPEC = next(ex for ex in list_examples() if ex.slug == "cmu_alpha_beta" and ex.kind == "spec")
#: The network page of SPEC, counted as above: 91 with blocks of columns, 74 as rows.
MOST_NET_ELEMENTS = 76


@pytest.fixture(scope="module")
def network_page() -> Any:
    at = start()
    at.selectbox(key="example").set_value(SPEC.title).run()
    assert not at.exception and not at.error
    assert at.radio(key="mode").value == "Layer network"
    return at


def test_the_network_page_is_made_of_few_elements(network_page: Any) -> None:
    count = len(nodes(network_page.main)) + len(nodes(network_page.sidebar)) - 2
    assert count <= MOST_NET_ELEMENTS, count


def test_the_networks_options_and_its_view_switch_are_one_row_each(network_page: Any) -> None:
    at = network_page
    options = [at.selectbox(key="net_loss"), at.selectbox(key="net_bias"), at.text_input(key="net_init"),
               at.number_input(key="net_seed")]
    rows = [row_of(at, w) for w in options]
    assert rows[0] is not None and all(row is rows[0] for row in rows)
    assert len(rows[0].children) == 4
    view = row_of(at, at.radio(key="net_view"))
    assert view is not None and len(view.children) == 1  # the graph view: no ∂L/∂w switch beside it
