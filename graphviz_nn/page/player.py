"""The app's step player: the player's data for the page's problem, from the evaluation cache.

:func:`player_json` gives the JSON text the Streamlit component draws (every step of the pass
with the steady layout, captions, trace rows, inspector entries: :mod:`graphviz_nn.export.player`);
:func:`player_issue` the same or the reason it cannot be made, never an exception. Pure and
cached, so reruns of the page send the same text and the component keeps its step and view.

>>> from graphviz_nn.draw.options import RenderOptions
>>> import json
>>> text, issue = player_issue("x*y", {"x": "2", "y": "3"}, RenderOptions())
>>> issue, json.loads(text)["n"]  # 3 forward steps, the seed, 2 backward steps
(None, 6)
"""

from __future__ import annotations

import functools
from dataclasses import replace

from .dispatch import bounded
from ..draw.options import RenderOptions
from .evaluations import Labels, ValuesArg, cached_evaluation, with_defaults, normalise_values
from .issues import Issue, issue_of

__all__ = ["player_json", "player_issue", "drawing_json", "PLAYER_HEIGHT", "PHONE_HEIGHT"]

PLAYER_HEIGHT = 660
"""Height of the player in the page, in CSS pixels (toolbar, caption, drawing, side panel): with
the page's top margin it ends inside a 768 px high laptop screen."""
PHONE_HEIGHT = 880
"""Height of the player in a phone-wide frame (480 px or less), where the toolbar wraps onto
three rows, the caption's formulas onto lines of their own and the side panel goes below the
drawing: a phone's screen high."""


@functools.lru_cache(maxsize=16)
def _player_json(text: str, values: tuple[tuple[str, str], ...], options: RenderOptions, labels: Labels) -> str:
    from ..export.player import component_json, player_data

    res = cached_evaluation(text, values, labels, options.constant_grads, options.merge)
    return component_json(player_data(res, replace(options, step=None)))


def player_json(text: str, values: ValuesArg | None, options: RenderOptions, labels: Labels = ()) -> str:
    """The player's data as JSON text for the component (:func:`~graphviz_nn.export.player.component_json`).
    Raises ``GnnError``."""
    return _player_json(text, with_defaults(text, normalise_values(values)), options, labels)


@functools.lru_cache(maxsize=8)
def drawing_json(svg: str, title: str = "", dark: bool = False) -> str:
    """One drawing without steps (the neuron view) as the player's JSON: fit, zoom and pan."""
    from ..export.player import component_json, drawing_data

    return component_json(drawing_data(svg, title, dark))


@bounded(over=lambda err, text, *args, **kwargs: ("", issue_of(err, text)))
def player_issue(text: str, values: ValuesArg | None, options: RenderOptions,
                 labels: Labels = ()) -> tuple[str, Issue | None]:
    """``(json, None)``, or ``("", issue)`` when the player cannot be made (past the player's
    budget of steps and drawn versions, ``docs/LIMITS.md``; no layout program; past the app's
    work budget): the page then shows the drawing of one step instead, with this reason."""
    try:
        return player_json(text, values, options, labels), None
    except Exception as exc:  # the page must never show a traceback
        return "", issue_of(exc, text)
