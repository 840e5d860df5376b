"""An animated GIF written from a first frame and, for every later frame, the patches that change it.

A sequence drawn by regions (:class:`~graphviz_nn.export.gif.Regions`) already knows where each
frame differs from the one before, so the file is written here rather than by Pillow's
``save_all`` (which compares whole frames to find the changed box): frame 0 is one image over
the whole screen, every later frame one image over the box of the pixels its patches change,
the pixels in that box it leaves as they were being the transparent index :data:`CLEAR` (disposal
"do not dispose": they show the frame before). Every image uses the one global palette
(:func:`palette_of`, 255 colours, so index 255 is free for :data:`CLEAR`). An image that is
mostly :data:`CLEAR` is coded a run at a time (:func:`~graphviz_nn.export.giflzw.run_data`,
a few times faster than a coder that looks at every pixel); the first frame and any other image
by Pillow (:func:`lzw_data`: a one-image GIF written by Pillow, its image data cut out). Images
are coded two at a time. A viewer that composites frames as GIF says (browsers, Pillow) shows
each frame exactly as the frame built by pasting the patches in turn.
"""

from __future__ import annotations

import io
import math
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Iterator

import numpy as np

from .giflzw import run_data

__all__ = ["CLEAR", "Block", "lzw_data", "gif_file", "palette_of", "patch_sheet", "patch_blocks", "patched_gif"]

CLEAR = 255
"""The palette index every image after the first uses for "unchanged" (its transparent index)."""
_WORKERS = 2  # images encoded at a time


@dataclass(frozen=True)
class Block:
    """One frame's image: palette indices (``uint8``, rows × columns) placed at ``(left, top)``
    of the screen; ``clear``: whether :data:`CLEAR` in it means "as in the frame before"."""

    left: int
    top: int
    pixels: Any
    clear: bool


def lzw_data(pixels: Any, palette: bytes) -> bytes:
    """The image data of ``pixels`` (``uint8`` palette indices) as a GIF stores it after the
    image descriptor: the LZW minimum code size, the data sub-blocks and their terminator (written
    by Pillow, the indices kept as they are)."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), "P")
    image.putpalette(palette)
    out = io.BytesIO()
    image.save(out, "GIF", optimize=False, interlace=False)
    data = out.getvalue()
    at = 13 + ((3 << ((data[10] & 7) + 1)) if data[10] & 0x80 else 0)  # past the screen and its palette
    while data[at] == 0x21:  # an extension: its label, then sub-blocks up to an empty one
        at += 2
        while data[at]:
            at += data[at] + 1
        at += 1
    flags = data[at + 9] if data[at] == 0x2C else 0
    if data[at] != 0x2C or data[-1] != 0x3B or flags & 0x40:
        raise ValueError("Pillow wrote a GIF of another shape than one image, rows in order")
    at += 10 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
    return data[at:-1]


def gif_file(size: tuple[int, int], palette: bytes, blocks: Iterator[tuple[Block, bytes]], duration: int) -> bytes:
    """A looping GIF of ``size`` with the global ``palette`` (768 bytes): one frame per block
    (with its image data: :func:`lzw_data` or :func:`~graphviz_nn.export.giflzw.run_data`)
    showing ``duration`` milliseconds, disposal "do not dispose"."""
    if len(palette) != 768:
        raise ValueError("a GIF palette of 256 colours is 768 bytes")
    width, height = size
    if not (0 < width < 65536 and 0 < height < 65536):
        raise ValueError(f"a GIF is at most 65,535 pixels wide and high, not {width}×{height}")
    out = [b"GIF89a", struct.pack("<HHBBB", width, height, 0xF7, 0, 0), palette,
           b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"]  # loop for ever
    delay = max(0, min(65535, round(duration / 10)))
    for block, data in blocks:
        rows, columns = block.pixels.shape
        out.append(struct.pack("<BBBBHBB", 0x21, 0xF9, 4, (1 << 2) | int(block.clear), delay,
                               CLEAR if block.clear else 0, 0))
        out.append(struct.pack("<BHHHHB", 0x2C, block.left, block.top, columns, rows, 0))
        out.append(data)
    out.append(b"\x3b")
    return b"".join(out)


def palette_of(samples: list[Any]) -> Any:
    """One palette of at most 255 colours for every frame (fast octree over the sample images
    side by side: the frames share the theme's few flat colours and their anti-aliased edges), so
    each frame is only mapped to it, and the GIF holds one colour table."""
    from PIL import Image

    width, height = samples[0].size
    sheet = samples[0]
    if len(samples) > 1:
        sheet = Image.new("RGB", (width, height * len(samples)))
        for i, image in enumerate(samples):
            sheet.paste(image, (0, height * i))
    return sheet.quantize(colors=255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def patch_sheet(first: Any, patches: list[list[Any]], most: float = 1) -> Any:
    """The first frame with the patches packed in rows below it, on the frame's background (its
    corner): the colours of the whole sequence in a few times fewer pixels than its frames. When
    the patches have more than ``most`` frames' pixels, an even share of them."""
    from PIL import Image

    width, height = first.size
    images = [patch.image for some in patches for patch in some]
    total = sum(image.size[0] * image.size[1] for image in images)
    images = images[::max(1, math.ceil(total / (most * width * height)))]
    x = y = row = 0
    places = []
    for image in sorted(images, key=lambda image: -image.size[1]):  # shelves of falling height
        if x + image.size[0] > width:
            x, y, row = 0, y + row, 0
        places.append((image, (x, height + y)))
        x, row = x + image.size[0], max(row, image.size[1])
    sheet = Image.new("RGB", (width, height + y + row), first.getpixel((0, 0)))
    sheet.paste(first, (0, 0))
    for image, place in places:
        sheet.paste(image, place)
    return sheet


def patch_blocks(first: Any, patches: list[list[Any]]) -> Iterator[Block]:
    """The blocks of a sequence given as palette images: ``first`` (mode ``P``) whole, then for
    every frame its ``patches`` (patches with ``left``, ``top`` and a mode ``P`` ``image``,
    pasted in order) as one block over the box of the pixels they change, :data:`CLEAR` where a
    pixel stays (a frame that changes nothing: one clear pixel)."""
    canvas = np.array(first, dtype=np.uint8)
    yield Block(0, 0, canvas.copy(), False)
    for some in patches:
        places = [(p.left, p.top, np.asarray(p.image, dtype=np.uint8)) for p in some]
        before = [canvas[t:t + a.shape[0], l:l + a.shape[1]].copy() for l, t, a in places]
        for l, t, a in places:
            canvas[t:t + a.shape[0], l:l + a.shape[1]] = a
        changed = []  # (left, top, mask) of each patch's changed pixels, cut to their box
        for (l, t, a), old in zip(places, before):
            mask = canvas[t:t + a.shape[0], l:l + a.shape[1]] != old
            rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
            if len(rows):
                r0, r1, c0, c1 = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
                changed.append((l + c0, t + r0, mask[r0:r1, c0:c1]))
        if not changed:
            yield Block(0, 0, np.full((1, 1), CLEAR, dtype=np.uint8), True)
            continue
        left, top = min(l for l, _, _ in changed), min(t for _, t, _ in changed)
        right = max(l + mask.shape[1] for l, _, mask in changed)
        bottom = max(t + mask.shape[0] for _, t, mask in changed)
        block = np.full((bottom - top, right - left), CLEAR, dtype=np.uint8)
        for l, t, mask in changed:
            h, w = mask.shape
            view = block[t - top:t - top + h, l - left:l - left + w]
            view[mask] = canvas[t:t + h, l:l + w][mask]
        yield Block(int(left), int(top), block, True)


def patched_gif(regions: Any, duration: int) -> bytes:
    """The looping GIF of a sequence drawn by regions (:class:`~graphviz_nn.export.gif.Regions`,
    RGB): the palette is made from the first frame and the patches (:func:`patch_sheet`: every
    pixel of every frame is one of theirs), every image mapped to it; each frame shows
    ``duration`` milliseconds."""
    from PIL import Image

    palette = palette_of([patch_sheet(regions.first, regions.patches)])
    colours = palette.getpalette("RGB")
    if len(colours) > 3 * CLEAR:  # every pixel is mapped to one of these: CLEAR stays free
        raise ValueError("a palette of more than 255 colours leaves no index for unchanged pixels")
    table = bytes(colours) + bytes(768 - len(colours))

    def mapped(image: Any) -> Any:
        return image.quantize(palette=palette, dither=Image.Dither.NONE)

    first = mapped(regions.first)
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:  # each block encoded while the next is made
        patches = ([replace(p, image=mapped(p.image)) for p in some] for some in regions.patches)
        blocks = [(block, pool.submit(run_data, block.pixels) if _mostly_clear(block)
                   else pool.submit(lzw_data, block.pixels, table)) for block in patch_blocks(first, patches)]
        return gif_file(first.size, table, ((block, data.result()) for block, data in blocks), duration)


def _mostly_clear(block: Block) -> bool:
    """Whether most of a block is :data:`CLEAR` (one pixel in 49 looked at): such a block is
    coded a run at a time (:func:`~graphviz_nn.export.giflzw.run_data`), others by Pillow."""
    return block.clear and bool((block.pixels[::7, ::7] == CLEAR).mean() >= 0.5)

