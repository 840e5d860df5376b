"""Image data coded a run at a time (graphviz_nn.export.giflzw), decoded by Pillow.

The oracle is Pillow's GIF decoder: a one-image GIF holding the data must decode to exactly the
indices coded. The images cover the coder's cases: a single pixel, pixels that are all different
(many fresh dictionaries), runs of every length around :data:`LONG`, runs longer than one
dictionary can reach, several indices' runs side by side, and frames as the sequences make them
(mostly the clear index). A coder whose entries are one off, or whose code widths grow a code
late, fails.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from graphviz_nn.export import giflzw, gifwrite

TABLE = bytes(v for v in range(256) for _ in range(3))  # a grey palette: every index its own grey


def _decoded(pixels: np.ndarray, data: bytes) -> np.ndarray:
    from PIL import Image

    block = gifwrite.Block(0, 0, pixels, False)
    gif = gifwrite.gif_file((pixels.shape[1], pixels.shape[0]), TABLE, iter([(block, data)]), 100)
    return np.asarray(Image.open(io.BytesIO(gif)))


def _frame_like(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Mostly index 255, with boxes of one index and boxes of noise (text)."""
    rng = np.random.default_rng(seed)
    pixels = np.full(shape, 255, dtype=np.uint8)
    for _ in range(30):
        y, x = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        pixels[y:y + rng.integers(1, 40), x:x + rng.integers(1, 300)] = rng.integers(0, 255)
    for _ in range(6):
        y, x = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        box = pixels[y:y + 30, x:x + 200]
        box[...] = rng.integers(0, 256, size=box.shape)
    return pixels


def _runs_of_every_length() -> np.ndarray:
    values = [k % 7 * 30 for k in range(200)]
    row = np.concatenate([np.full(n, v, dtype=np.uint8) for n, v in zip(range(1, 201), values)])
    return row.reshape(1, -1)


CASES = {
    "one pixel": lambda: np.array([[3]], dtype=np.uint8),
    "one clear pixel": lambda: np.array([[255]], dtype=np.uint8),
    "all different": lambda: np.random.default_rng(1).integers(0, 256, size=(120, 130)).astype(np.uint8),
    "runs of every length": _runs_of_every_length,
    "one long run": lambda: np.full((700, 900), 255, dtype=np.uint8),
    "long runs of two indices": lambda: np.repeat(np.array([[0, 255]] * 40, dtype=np.uint8), 1500, axis=1),
    "runs of LONG - 1 and LONG": lambda: np.array([[1] * (giflzw.LONG - 1) + [2] * giflzw.LONG] * 3, dtype=np.uint8),
    "a frame": lambda: _frame_like((300, 3000), 2),
    "a tall frame": lambda: _frame_like((2000, 1500), 3),
}


@pytest.mark.parametrize("name", list(CASES))
def test_run_data_decodes_to_the_pixels(name: str) -> None:
    pixels = CASES[name]()
    assert np.array_equal(_decoded(pixels, giflzw.run_data(pixels)), pixels)


def test_long_runs_are_coded_as_runs() -> None:
    """A frame of one index takes a few codes a row, not one a pixel (here: 9.6 MB of pixels)."""
    pixels = np.full((3000, 3200), 255, dtype=np.uint8)
    assert len(giflzw.run_data(pixels)) < 60_000
    frame = _frame_like((300, 3000), 2)
    assert len(giflzw.run_data(frame)) < frame.size / 4


@pytest.mark.parametrize("breakage", ["entries one off", "widths a code late"])
def test_a_broken_coder_is_caught(monkeypatch: pytest.MonkeyPatch, breakage: str) -> None:
    pixels = _frame_like((300, 3000), 2)
    if breakage == "entries one off":
        monkeypatch.setattr(giflzw, "_FIRST", giflzw._FIRST + 1)
    else:
        real = giflzw._widths

        def late(counts: list[int]) -> np.ndarray:
            widths = real(counts)
            grows = np.flatnonzero(np.diff(widths) > 0) + 1
            widths[grows] -= 1  # the first code of each new width still at the old one
            return widths

        monkeypatch.setattr(giflzw, "_widths", late)
    try:
        decoded = _decoded(pixels, giflzw.run_data(pixels))
    except (OSError, ValueError, SyntaxError):
        return  # Pillow refuses the data: caught too
    assert not np.array_equal(decoded, pixels)


def test_pack_puts_the_least_significant_bit_first() -> None:
    # 256 (9 bits: 0b100000000) then 5 (9 bits) then 257 (10 bits)
    data = giflzw.pack(np.array([256, 5, 257]), np.array([9, 9, 10]))
    bits = "".join(f"{byte:08b}"[::-1] for byte in data)
    assert bits[:28] == "000000001" + "101000000" + "1000000010"
    assert len(data) == 4
