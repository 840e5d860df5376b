"""The step player's payload for the Streamlit component: compact JSON of exactly the player's
data, without the escapes only a ``<script>`` block needs."""

from __future__ import annotations

import json
from dataclasses import replace

from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.export.player import embed_json, player_data
from graphviz_nn.page import player as page_player
from graphviz_nn.page.evaluations import cached_evaluation, with_defaults


def test_the_payload_is_the_players_data_unescaped() -> None:
    text = "f = sin(x) * y\nL = f^2"
    options = RenderOptions()
    payload = page_player.player_json(text, {"x": "0.5", "y": "2"}, options)
    values = with_defaults(text, {"x": "0.5", "y": "2"})
    data = player_data(cached_evaluation(text, values), replace(options, step=None))
    assert json.loads(payload) == json.loads(embed_json(data)) == data
    assert "<svg" in payload or "<g id=" in payload  # the SVG pieces as they are
    assert "\\u003c" not in payload and len(payload) < len(embed_json(data))


def test_the_neuron_drawing_payload_is_unescaped_too() -> None:
    svg = '<svg width="10pt" height="10pt">\n<g id="graph0" class="graph">\n<title>t</title>\n</g>\n</svg>\n'
    payload = page_player.drawing_json(svg, "a < b", False)
    assert json.loads(payload)["title"] == "a < b" and "\\u003c" not in payload
