"""Reading the app's graph area in AppTest: the step player's data (a custom component, whose
arguments AppTest keeps) or, where the page draws a plain SVG (the neuron view, a greyed graph),
that markup."""

from __future__ import annotations

import json
from typing import Any

from graphviz_nn.export.player.chunks import unpack_frame


def player(at: Any) -> dict | None:
    """The data the page sent to the step player, or ``None`` when no player is on the page."""
    found = [e for e in at.get("component_instance") if e.proto.component_name.endswith("graphviz_nn_player")]
    assert len(found) <= 1
    if not found:
        return None
    return json.loads(json.loads(found[0].proto.json_args)["data"])


def current_graph(at: Any, step: int | None = None) -> str:
    """The drawing on the page: the player's frame ``step`` (default the finished pass, where
    it opens), or the one plain ``current`` drawing."""
    data = player(at)
    if data is not None:
        return unpack_frame(data["drawing"], data["n"] if step is None else step)
    shown = [m.value for m in at.markdown if 'class="gnn-graph" data-state="current"' in m.value]
    assert len(shown) == 1
    return shown[0]


def open_tab(at: Any, title: str) -> Any:
    """Open the teaching tab ``title`` (only the open tab is made) and rerun the page."""
    from graphviz_nn.ui.teaching import TAB_KEY

    at.session_state[TAB_KEY] = title
    return at.run()


def open_code(at: Any) -> Any:
    """Open the code downloads' expander (its scripts are made only while it is open) and rerun."""
    from graphviz_nn.ui.downloads import CODE_KEY

    at.session_state[CODE_KEY] = True
    return at.run()
