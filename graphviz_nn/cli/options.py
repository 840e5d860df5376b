"""The display flags of every ``graphviz-nn`` command that draws, made from :class:`RenderOptions`.

:func:`add_display_options` adds one flag per field of :data:`DISPLAY_FIELDS` (a field that is
on by default becomes ``--no-…``, one that is off ``--…``, a word or number ``--… VALUE``),
with the field's default; :func:`display_options` turns them back into the one options type,
which checks them: an unknown value is one message naming the allowed ones (exit code 2).

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_display_options(parser)
>>> args = parser.parse_args(["--theme", "print", "--no-grads", "--rankdir", "tb"])
>>> opts = display_options(args)
>>> opts.theme, opts.show_grads, opts.rankdir, opts.digits
('print', False, 'TB', 4)
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..draw.options import CHOICES, RenderOptions

__all__ = ["DISPLAY_FIELDS", "add_display_options", "display_options", "flag_of"]

#: The fields of :class:`RenderOptions` a command that draws takes from its flags, with their help.
DISPLAY_FIELDS: dict[str, str] = {
    "theme": "the look of the drawing",
    "background": "the page behind the drawing",
    "show_values": "hide node values",
    "show_grads": "hide gradients",
    "edge_labels": "show the local derivative and contribution on edges (as --edge-text value)",
    "edge_text": "what edges write: the local derivative's value (with upstream × local = contribution), "
                 "its formula, or both (implies edge labels)",
    "rankdir": "direction: left to right or top to bottom",
    "digits": "significant digits, 1 to 15",
    "color_by_sign": "colour gradients by sign",
    "title": "a title above the drawing",
    "detail": "compact draws a large graph as boxes; auto does so from 250 nodes",
    "layout_program": "the layout program: dot, graphviz-pure, or auto (dot when installed)",
    "steady": "lay out each step on its own (by default every step keeps the finished graph's positions)",
    "wrap": "never cut a long, thin graph into rows",
}
_FIELDS = {field.name: field for field in dataclasses.fields(RenderOptions)}


def flag_of(field: str) -> str:
    """The command-line flag of a field: ``show_grads`` (on by default) -> ``--no-grads``."""
    default = _FIELDS[field].default
    if default is True:
        return "--no-" + field.removeprefix("show_").replace("_", "-")
    return "--" + field.replace("_", "-")


def add_display_options(parser: argparse.ArgumentParser) -> None:
    """Add the display flags (one per :data:`DISPLAY_FIELDS` entry) to ``parser``."""
    group = parser.add_argument_group("drawing")
    for field, text in DISPLAY_FIELDS.items():
        default = _FIELDS[field].default
        flag = flag_of(field)
        if isinstance(default, bool):
            group.add_argument(flag, dest=field, action="store_false" if default else "store_true",
                               default=default, help=text)
        elif field in CHOICES:  # checked by RenderOptions, which names the allowed values
            shown = f" (default {default})" if default is not None else ""
            group.add_argument(flag, dest=field, default=default, metavar="|".join(CHOICES[field]),
                               help=f"{text}{shown}")
        elif field == "digits":
            group.add_argument(flag, dest=field, type=int, default=default, metavar="N",
                               help=f"{text} (default {default})")
        else:
            group.add_argument(flag, dest=field, default=default, metavar="TEXT", help=text)


def display_options(args: argparse.Namespace, **extra: Any) -> RenderOptions:
    """The :class:`RenderOptions` the display flags (and ``--no-merge``, ``--constant-grads``)
    choose; ``extra`` sets other fields. Raises :class:`~graphviz_nn.errors.RenderError`
    naming the allowed values of a bad one."""
    chosen = {field: getattr(args, field) for field in DISPLAY_FIELDS}
    if isinstance(chosen["rankdir"], str):
        chosen["rankdir"] = chosen["rankdir"].upper()
    chosen["merge"] = not getattr(args, "no_merge", False)
    chosen["constant_grads"] = bool(getattr(args, "constant_grads", False))
    return RenderOptions(**{**chosen, **extra})
