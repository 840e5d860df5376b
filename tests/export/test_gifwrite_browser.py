"""The hand-written GIF in Chromium: its own GIF decoder (WebCodecs ``ImageDecoder``) shows every
frame as the frame built by pasting the patches in turn, each for its duration."""

from __future__ import annotations

import base64
from typing import Any, Iterator

import numpy as np
import pytest
from helpers import chromium_browser

from graphviz_nn.export import gifwrite
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
    return [canvas.width, canvas.height, duration, Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data)];
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as b:
        yield b


def test_chromium_shows_every_frame_as_pasted(browser: Any) -> None:
    regions = _synthetic()
    data = gifwrite.patched_gif(regions, 700)
    page = browser.new_page()
    try:  # a secure context (ImageDecoder), served from memory
        page.route("https://gif.test/", lambda route: route.fulfill(body="<p>gif</p>", content_type="text/html"))
        page.goto("https://gif.test/")
        count = page.evaluate(_OPEN, base64.b64encode(data).decode("ascii"))
        pasted = _pasted(regions)
        assert count == len(pasted)
        for k, truth in enumerate(pasted):
            width, height, duration, pixels = page.evaluate(_FRAME, k)
            shown = np.array(pixels, dtype=int).reshape(height, width, 4)
            assert (width, height, duration) == (120, 80, 700_000), k
            assert np.array_equal(shown[:, :, :3], truth) and (shown[:, :, 3] == 255).all(), k
    finally:
        page.close()
