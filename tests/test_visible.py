"""``errors.visible``'s quick first look never lets an unprintable character through."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from graphviz_nn.errors import UNPRINTABLE, visible


def test_every_unprintable_character_is_replaced() -> None:
    # every code point, alone and inside ordinary text: the quick look must not skip one
    for code in range(0x110000):
        ch = chr(code)
        expected = "?" if UNPRINTABLE.match(ch) else ch
        assert visible(ch) == expected, hex(code)
    assert visible("a\U0001fffeβ\U0010ffff\U0001f600") == "a?β?\U0001f600"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40))
def test_visible_replaces_what_the_full_pattern_replaces(text: str) -> None:
    assert visible(text, "\ufffd") == UNPRINTABLE.sub("\ufffd", text)
