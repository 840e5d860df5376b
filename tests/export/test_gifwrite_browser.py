"""The hand-written GIF in Chromium: its own GIF decoder (WebCodecs ``ImageDecoder``) shows every
frame as the frame built by pasting the patches in turn, each for its duration."""

from __future__ import annotations

import base64
from typing import Any, Iterator

import numpy as np
import pytest
from helpers import chromium_browser

from graphviz_nn.export import giflzw, gifwrite
from test_giflzw import CASES, TABLE
from test_gifwrite import _pasted, _synthetic

pytestmark = [pytest.mark.browser, pytest.mark.exe]

_OPEN = """async (b64) => {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    window.gif = new ImageDecoder({data: bytes, type: 'image/gif'});
    await window.gif.tracks.ready;
    return window.gif.tracks.selectedTrack.frameCount;
}"""
_FRAME = """async (k) => {
    const frame = (await window.gif.decode({frameIndex: k})).image;
    const canvas = new OffscreenCanvas(frame.displayWidth, frame.displayHeight);
    const context = canvas.getContext('2d');
    context.drawImage(frame, 0, 0);
    const duration = frame.duration;
    frame.close();
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let text = '';
    for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
    return [canvas.width, canvas.height, duration, btoa(text)];
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as b:
        yield b


def _open(browser: Any, data: bytes) -> tuple[Any, int]:
    """A page holding an ``ImageDecoder`` of ``data``, and its number of frames."""
    page = browser.new_page()
    page.route("https://gif.test/", lambda route: route.fulfill(body="<p>gif</p>", content_type="text/html"))
    page.goto("https://gif.test/")  # a secure context (ImageDecoder), served from memory
    return page, page.evaluate(_OPEN, base64.b64encode(data).decode("ascii"))


@pytest.mark.parametrize("name", ["all different", "runs of every length", "a frame", "one long run"])
def test_chromium_decodes_data_coded_by_runs(browser: Any, name: str) -> None:
    """Chromium reads the run coder's codes (entries it is about to make, fresh dictionaries,
    growing widths) as Pillow does: the grey palette shows each index as its own grey."""
    pixels = CASES[name]()
    block = gifwrite.Block(0, 0, pixels, False)
    data = gifwrite.gif_file((pixels.shape[1], pixels.shape[0]), TABLE, iter([(block, giflzw.run_data(pixels))]), 100)
    page, count = _open(browser, data)
    try:
        width, height, _, shown = page.evaluate(_FRAME, 0)
        rgba = np.frombuffer(base64.b64decode(shown), dtype=np.uint8).reshape(height, width, 4)
        assert count == 1 and (width, height) == (pixels.shape[1], pixels.shape[0])
        assert np.array_equal(rgba[:, :, 0], pixels) and np.array_equal(rgba[:, :, 2], pixels)
    finally:
        page.close()


def test_chromium_shows_every_frame_as_pasted(browser: Any) -> None:
    regions = _synthetic()
    data = gifwrite.patched_gif(regions, 700)
    page, count = _open(browser, data)
    try:
        pasted = _pasted(regions)
        assert count == len(pasted)
        for k, truth in enumerate(pasted):
            width, height, duration, pixels = page.evaluate(_FRAME, k)
            shown = np.frombuffer(base64.b64decode(pixels), dtype=np.uint8).reshape(height, width, 4).astype(int)
            assert (width, height, duration) == (120, 80, 700_000), k
            assert np.array_equal(shown[:, :, :3], truth) and (shown[:, :, 3] == 255).all(), k
    finally:
        page.close()
