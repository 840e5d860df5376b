"""Number formatting for labels: a table of (input, expected) pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphviz_nn.notation.numfmt import MINUS, format_number, format_shape, format_tensor, latex_number

M = MINUS


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (4.0, 4, "4"),
        (-4.0, 4, f"{M}4"),
        (-0.0, 4, "0"),
        (0, 4, "0"),
        (2.5, 4, "2.5"),
        (10.345867603869062, 4, "10.35"),
        (1 / 3, 4, "0.3333"),
        (-1 / 3, 2, f"{M}0.33"),
        (19.808105698822907, 4, "19.81"),
        (123456.0, 4, "123456"),  # integers print exactly below a million
        (123456.7, 4, "123457"),
        (2_000_000.0, 4, "2e6"),
        (-1.5e9, 4, f"{M}1.5e9"),
        (1.5e-7, 4, f"1.5e{M}7"),
        (0.0001, 4, "0.0001"),
        (float("nan"), 4, "nan"),
        (float("inf"), 4, "inf"),
        (float("-inf"), 4, f"{M}inf"),
        (np.float64(0.5), 4, "0.5"),
        (np.int64(7), 4, "7"),
    ],
)
def test_format_number(value: float, digits: int, expected: str) -> None:
    assert format_number(value, digits) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-4.0, "-4"), (0.5, "0.5"), (1.5e-7, r"1.5\times 10^{-7}"), (float("nan"), r"\mathrm{NaN}"),
     (float("-inf"), r"-\infty")],
)
def test_latex_number(value: float, expected: str) -> None:
    assert latex_number(value) == expected


@pytest.mark.parametrize(("shape", "expected"), [((), ""), ((3,), "3"), ((2, 3), "2×3"), ((1, 1, 4), "1×1×4")])
def test_format_shape(shape: tuple[int, ...], expected: str) -> None:
    assert format_shape(shape) == expected


def test_small_tensors_show_every_entry_as_a_grid() -> None:
    text = format_tensor([[2, 1, 0], [0, 2, 0]])
    assert text.grid == (("2", "1", "0"), ("0", "2", "0"))
    assert text.shape_text == "2×3"
    assert format_tensor([4.0, 12.0, 8.0]).grid == (("4", "12", "8"),)
    assert format_tensor(np.eye(4)).grid is not None


def test_large_tensors_show_a_summary() -> None:
    text = format_tensor(np.arange(25.0).reshape(5, 5) - 3)
    assert text.grid is None
    assert text.summary == f"min {M}3, max 21"
    bad = np.array([1.0, float("nan"), 2.0, 3.0, 4.0])
    assert format_tensor(bad).summary == "min 1, max 4, 1 non-finite"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_formatted_numbers_round_trip_to_four_significant_digits(x: float) -> None:
    text = format_number(x).replace(M, "-")
    back = float(text)
    assert math.isclose(back, x, rel_tol=1e-3, abs_tol=1e-300) or (abs(x) < 1e-4 and abs(back - x) < 1e-7)
    assert text != "-0"


# The memo of number texts: the same text as written afresh, for every float and digits.
_any_float = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 5e-324, -1e-7, 1e6 - 0.5])


@given(_any_float, st.integers(1, 9), st.integers(1, 9))
def test_memoized_number_text_equals_the_unmemoized(x: float, d1: int, d2: int) -> None:
    from graphviz_nn.notation import numfmt

    fresh = numfmt._plain.__wrapped__
    # the same number at two precisions, and again: every call agrees with a fresh writing
    for digits in (d1, d2, d1):
        assert format_number(x, digits) == fresh(x, digits).replace("-", M)
        assert format_number(np.float64(x), digits) == fresh(x, digits).replace("-", M)


def test_signed_zero_and_nan_share_memo_entries_safely() -> None:
    assert [format_number(v) for v in (0.0, -0.0, 0.0)] == ["0", "0", "0"]
    assert [format_number(v) for v in (float("nan"), -float("nan"))] == ["nan", "nan"]
    assert format_number(np.array([0.5, -0.5])) == f"[0.5, {M}0.5]"


def test_a_number_written_twice_is_looked_up() -> None:
    from graphviz_nn.notation import numfmt

    x = 0.1234567891234
    format_number(x, 7)
    before = numfmt._plain.cache_info().hits
    assert format_number(x, 7) == "0.1234568"
    assert numfmt._plain.cache_info().hits == before + 1
    assert numfmt._plain.cache_info().maxsize == numfmt.PLAIN_MEMO
