"""GIF image data for images that are mostly long runs of one index, coded a run at a time.

A frame of a sequence drawn by regions (:mod:`graphviz_nn.export.gifwrite`) is mostly the
"unchanged" index: an LZW coder that looks at every pixel (Pillow's) spends most of its time on
those runs. :func:`run_data` codes the image as runs instead (numpy finds them): a run of at
least :data:`LONG` pixels is coded with the dictionary entries of that index's runs (the longest
one it has, then each entry the decoder is about to make, one pixel longer, as long as the run
lasts: LZW's "KwKwK" case), every other pixel as itself. Only entries whose strings the coder
made itself are used; a clear code starts the dictionary afresh before it fills up. The codes
are packed with numpy, so the per-pixel work is numpy's and the Python loop runs once per long
run. The file is a little larger than Pillow's for the same image, and decodes to the same
indices (checked against Pillow's and Chromium's decoders in the tests).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LONG", "run_data", "pack"]

LONG = 8
"""Shortest run of one index coded as a run (shorter ones: a code per pixel)."""
_CLEAR, _END, _FIRST = 256, 257, 258  # the clear and end codes of 8-bit pixels, the first entry
_LAST = 4094  # the last entry made before the dictionary is started afresh (4095 is the most)


def _widths(counts: list[int]) -> Any:
    """The bit width of every code of a stream whose windows (codes after each clear code, the
    clear code ending a window counted in it) have ``counts`` codes: 9 bits for the first code
    after a clear, then as many as the decoder's next entry needs (at most 12)."""
    parts = []
    for count in counts:
        j = np.arange(count)
        nxt = np.where(j == 0, _FIRST, _FIRST + j - 1)  # the decoder's next entry before code j
        parts.append(np.minimum(12, np.maximum(9, np.floor(np.log2(nxt)).astype(np.int64) + 1)))
    return np.concatenate(parts)


def pack(codes: Any, widths: Any) -> bytes:
    """``codes`` of ``widths`` bits packed least significant bit first, as GIF does."""
    starts = np.cumsum(widths) - widths
    bits = np.zeros(int(widths.sum()) + 7, dtype=np.uint8)
    for b in range(12):
        some = widths > b
        bits[starts[some] + b] = (codes[some] >> b) & 1
    return np.packbits(bits[:int(widths.sum())], bitorder="little").tobytes()


def _sub_blocks(data: bytes) -> bytes:
    """``data`` in sub-blocks of at most 255 bytes, each after its length, then the empty one."""
    out = bytearray()
    for at in range(0, len(data), 255):
        part = data[at:at + 255]
        out.append(len(part))
        out += part
    out.append(0)
    return bytes(out)


def run_data(pixels: Any) -> bytes:
    """The image data of ``pixels`` (``uint8``, rows × columns) as a GIF stores it after the
    image descriptor: the minimum code size (8), the LZW codes in sub-blocks, the terminator.

    The loop only counts: the pixels outside long runs are coded as themselves (their codes
    are the pixels, taken by numpy), and the loop notes every other code (runs, clear codes)
    with the number of such pixels before it; numpy puts them in place."""
    flat = np.ascontiguousarray(pixels, dtype=np.uint8).ravel()
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [flat.size]))
    long = (ends - starts) >= LONG
    extra: list[int] = [_CLEAR]  # the codes that are not pixels: the stream starts with a clear code
    where: list[int] = [0]  # how many pixel codes come before each of them
    counts: list[int] = [1]  # codes in each window, its closing clear code included
    j = 0  # codes in the window so far
    before = 0  # pixel codes so far
    runs: dict[int, list[int]] = {}  # index -> the code of each run length (list[k]: length k + 2)

    def clear() -> None:
        nonlocal j
        extra.append(_CLEAR)
        where.append(before)
        counts.append(j + 1)
        j = 0
        runs.clear()

    def literals(count: int) -> None:
        nonlocal j, before
        while count:
            room = _LAST - (_FIRST + j - 1) if j else _LAST - _FIRST + 2
            take = min(room, count)
            j, before, count = j + take, before + take, count - take
            if count:
                clear()

    add, at = extra.append, where.append
    done = 0
    for start, end, index in zip(starts[long].tolist(), ends[long].tolist(), flat[starts[long]].tolist()):
        if start > done:
            literals(start - done)
        done, left = end, end - start
        known = runs.get(index)
        if known is not None and left <= len(known) + 1 and _FIRST + j - 1 < _LAST:  # one entry is the run
            add(index if left == 1 else known[left - 2])
            at(before)
            j += 1
            continue
        while left:
            if _FIRST + j - 1 >= _LAST:  # the dictionary is full: afresh
                clear()
            known = runs.setdefault(index, [])
            length = min(len(known) + 1, left)  # the longest run entry that fits
            add(index if length == 1 else known[length - 2])
            at(before)
            j, left = j + 1, left - length
            while left > length and _FIRST + j - 1 < _LAST:  # the entry the decoder makes next
                entry = _FIRST + j - 1
                add(entry)
                at(before)
                length += 1
                if length - 2 == len(known):
                    known.append(entry)
                j, left = j + 1, left - length
    if done < flat.size:
        literals(flat.size - done)
    extra.append(_END)
    where.append(before)
    counts.append(j + 1)
    short = ~long
    plain = np.repeat(flat[starts[short]].astype(np.int64), (ends - starts)[short])  # the pixels outside long runs
    codes = np.insert(plain, np.array(where, dtype=np.int64), np.array(extra, dtype=np.int64))
    return b"\x08" + _sub_blocks(pack(codes, _widths(counts)))
