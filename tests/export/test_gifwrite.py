"""The GIF written from a first frame and patches (graphviz_nn.export.gifwrite).

Oracles: the frames built by pasting the patches in turn (what every frame must show), and
Pillow's own writer (``save_all``) given those frames mapped to the same palette. Every frame is
decoded by Pillow, which composites frames as the GIF says (transparency, disposal), as browsers
do. A block moved by a pixel, a wrong palette index or a frame without its transparency fails.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.dot import RenderOptions
from graphviz_nn.export import frames, gif, gifwrite
from graphviz_nn.layout import program as layout

exe = pytest.mark.exe

WHITE, RED, GREEN, BLUE, GREY = (255, 255, 255), (200, 0, 0), (0, 160, 0), (0, 0, 255), (90, 90, 90)


def _synthetic() -> gif.Regions:
    """A 120×80 sequence: a frame that changes two places, one with overlapping patches, one
    whose patch changes nothing, one with no patch, one that puts back what was there (the
    patches have fewer pixels than a frame: the palette is made of all of them)."""
    from PIL import Image

    def box(size: tuple[int, int], colour: tuple[int, int, int], inner: tuple[int, int, int] | None = None) -> Any:
        image = Image.new("RGB", size, colour)
        if inner is not None:
            image.paste(inner, (1, 1, size[0] - 1, size[1] - 1))
        return image

    first = Image.new("RGB", (120, 80), WHITE)
    first.paste(GREY, (2, 2, 20, 8))
    patches = [
        [gif.Patch(0, 0, box((10, 6), WHITE, RED)), gif.Patch(45, 30, box((12, 8), BLUE))],
        [gif.Patch(5, 5, box((20, 20), GREEN)), gif.Patch(10, 10, box((8, 8), RED, BLUE))],
        [gif.Patch(30, 0, box((10, 10), WHITE))],  # white on white: nothing changes
        [],
        [gif.Patch(0, 0, first.crop((0, 0, 60, 40)))],  # back to the first frame
    ]
    return gif.Regions(first, patches)


def _pasted(regions: gif.Regions) -> list[np.ndarray]:
    canvas = regions.first.copy()
    out = [np.asarray(canvas, dtype=int)]
    for some in regions.patches:
        for patch in some:
            canvas.paste(patch.image, (patch.left, patch.top))
        out.append(np.asarray(canvas, dtype=int))
    return out


def _decoded(data: bytes) -> list[np.ndarray]:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    out = []
    for k in range(image.n_frames):
        image.seek(k)
        out.append(np.asarray(image.convert("RGB"), dtype=int))
    return out


def test_every_frame_shows_the_patches_pasted_in_turn() -> None:
    from PIL import Image

    regions = _synthetic()
    data = gifwrite.patched_gif(regions, 700)
    decoded, pasted = _decoded(data), _pasted(regions)
    assert len(decoded) == len(pasted) == 6
    for k, (mine, truth) in enumerate(zip(decoded, pasted)):
        assert np.array_equal(mine, truth), k
    image = Image.open(io.BytesIO(data))
    assert image.info["loop"] == 0 and image.info["duration"] == 700
    assert data.startswith(b"GIF89a") and data.endswith(b";")


def _broken(monkeypatch: pytest.MonkeyPatch, change: Any) -> bytes:
    real = gifwrite.patch_blocks

    def blocks(first: Any, patches: list[list[Any]]) -> Any:
        for k, block in enumerate(real(first, patches)):
            yield change(k, block)

    monkeypatch.setattr(gifwrite, "patch_blocks", blocks)
    return gifwrite.patched_gif(_synthetic(), 700)


@pytest.mark.parametrize("breakage", ["a block moved a pixel", "a wrong palette index", "no transparency",
                                      "transparent first frame"])
def test_a_broken_container_is_caught(monkeypatch: pytest.MonkeyPatch, breakage: str) -> None:
    """The comparison above fails when the file places or colours a block wrongly."""
    from dataclasses import replace

    def change(k: int, block: gifwrite.Block) -> gifwrite.Block:
        if breakage == "a block moved a pixel" and k == 1:
            return replace(block, left=block.left + 1)
        if breakage == "a wrong palette index" and k == 2:
            pixels = block.pixels.copy()
            pixels[pixels != gifwrite.CLEAR] = (pixels[pixels != gifwrite.CLEAR] + 1) % gifwrite.CLEAR
            return replace(block, pixels=pixels)
        if breakage == "no transparency" and k == 1:
            return replace(block, clear=False)
        if breakage == "transparent first frame" and k == 0:
            pixels = block.pixels.copy()
            pixels[:3, :3] = gifwrite.CLEAR
            return replace(block, pixels=pixels, clear=True)
        return block

    decoded, pasted = _decoded(_broken(monkeypatch, change)), _pasted(_synthetic())
    assert any(not np.array_equal(mine, truth) for mine, truth in zip(decoded, pasted))


def test_blocks_hold_only_what_changes() -> None:
    from PIL import Image

    regions = _synthetic()
    palette = gifwrite.palette_of([gifwrite.patch_sheet(regions.first, regions.patches)])

    def mapped(image: Any) -> Any:
        return image.quantize(palette=palette, dither=Image.Dither.NONE)

    patches = [[gif.Patch(p.left, p.top, mapped(p.image)) for p in some] for some in regions.patches]
    blocks = list(gifwrite.patch_blocks(mapped(regions.first), patches))
    assert [(b.left, b.top, b.pixels.shape, b.clear) for b in blocks] == [
        (0, 0, (80, 120), False),
        (1, 1, (37, 56), True),  # the red square's inside to the blue box's corner
        (5, 5, (20, 20), True),  # the green square (the blue one inside it drawn over)
        (0, 0, (1, 1), True), (0, 0, (1, 1), True),  # nothing changes: one clear pixel
        (1, 1, (37, 56), True),
    ]
    assert (blocks[1].pixels == gifwrite.CLEAR).sum() > blocks[1].pixels.size // 2  # the white between


@pytest.mark.parametrize("shape", [(1, 1), (7, 300), (300, 7), (64, 64)])
def test_lzw_data_is_the_image(shape: tuple[int, int]) -> None:
    """A GIF of one block holds exactly the indices given (Pillow's encoder, rows in order)."""
    from PIL import Image

    rng = np.random.default_rng(sum(shape))
    pixels = rng.integers(0, 6, size=shape, dtype=np.uint8) * 40
    table = bytes(range(256)) * 3
    block = gifwrite.Block(0, 0, pixels, False)
    data = gifwrite.gif_file((shape[1], shape[0]), table, iter([(block, gifwrite.lzw_data(pixels, table))]), 100)
    image = Image.open(io.BytesIO(data))
    assert np.array_equal(np.asarray(image), pixels)


def test_patch_sheet_holds_every_colour_of_the_sequence() -> None:
    """The palette is made from the first frame and the patches packed below it: every colour
    any frame shows is on the sheet, in fewer pixels than the frames."""
    from PIL import Image

    first = Image.new("RGB", (50, 40), (255, 255, 255))
    first.paste((200, 0, 0), (5, 5, 20, 20))
    patches = [[gif.Patch(0, 0, Image.new("RGB", (10, 10 + k), (0, 20 * k, 0)))] for k in range(1, 8)]
    patches[3].append(gif.Patch(0, 30, Image.new("RGB", (50, 5), (0, 0, 255))))
    sheet = gifwrite.patch_sheet(first, patches)
    colours = {colour for _, colour in sheet.getcolors(10_000)}
    assert colours == {(255, 255, 255), (200, 0, 0), (0, 0, 255), *((0, 20 * k, 0) for k in range(1, 8))}
    assert sheet.crop((0, 0, 50, 40)).tobytes() == first.tobytes()
    assert sheet.size[0] == 50 and sheet.size[1] < 40 + 17 + 17 + 5 + 1  # side by side
    few = gifwrite.patch_sheet(first, patches, most=0.2)  # 400 pixels of patches: every third
    assert len({colour for _, colour in few.getcolors(10_000)}) < len(colours)


@exe
@pytest.mark.parametrize("options", [RenderOptions(), RenderOptions(background="dark", theme="lecture")],
                         ids=["white", "dark"])
def test_the_written_gif_is_pillows_gif_of_the_same_frames(options: RenderOptions) -> None:
    """A real sequence: every frame of the written GIF equals the frame Pillow's own writer
    stores for the pasted frame mapped to the same palette (the GIF made before)."""
    from PIL import Image

    try:
        program = layout.find_program("dot")
    except gnn.GnnError:
        pytest.skip("needs the system dot")
    res = gnn.evaluate("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})
    steps = frames.frame_options(res, options)
    sources = frames._sources(res, steps)
    background = (30, 30, 30) if options.background == "dark" else (255, 255, 255)
    regions = gif.region_frames(sources, program, 96.0, options.timeout, background)
    assert regions is not None
    palette = gifwrite.palette_of([gifwrite.patch_sheet(regions.first, regions.patches)])
    pasted = [Image.fromarray(np.asarray(frame, dtype=np.uint8), "RGB").quantize(
        palette=palette, dither=Image.Dither.NONE) for frame in _pasted(regions)]
    out = io.BytesIO()
    pasted[0].save(out, "GIF", save_all=True, append_images=pasted[1:], loop=0, duration=1000,
                   optimize=False, disposal=1)
    mine, pillows = _decoded(frames.gif_bytes(res, options)), _decoded(out.getvalue())
    assert len(mine) == len(pillows) == len(steps)
    for k, (a, b) in enumerate(zip(mine, pillows)):
        assert np.array_equal(a, b), k


def test_a_palette_without_a_free_index_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Index 255 must stay free for "unchanged": a palette of 256 colours is refused, not written."""
    from PIL import Image

    full = Image.new("P", (16, 16))
    full.putpalette(bytes(range(256)) * 3)
    monkeypatch.setattr(gifwrite, "palette_of", lambda samples: full)
    with pytest.raises(ValueError, match="255 colours"):
        gifwrite.patched_gif(_synthetic(), 700)
