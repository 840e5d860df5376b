"""Display flags: defined once (cli/options.py) from RenderOptions, the same on every command that
draws, checked once by RenderOptions (one message naming the allowed values, exit code 2)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from graphviz_nn.cli.main import build_parser, main
from graphviz_nn.cli.options import DISPLAY_FIELDS, display_options, flag_of
from graphviz_nn.draw.options import CHOICES, RenderOptions

DRAWING_COMMANDS = ("render", "steps", "worksheet", "explain")


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def display_flags(parser: argparse.ArgumentParser) -> set[str]:
    group = next(g for g in parser._action_groups if g.title == "drawing")
    return {flag for action in group._group_actions for flag in action.option_strings}


def test_every_drawing_command_takes_the_same_display_flags() -> None:
    commands = subparsers(build_parser())
    expected = {flag_of(field) for field in DISPLAY_FIELDS}
    assert {"--theme", "--no-values", "--no-grads", "--edge-text", "--rankdir", "--digits",
            "--color-by-sign", "--edge-labels"} <= expected
    for name in DRAWING_COMMANDS:
        assert display_flags(commands[name]) == expected, name
    for name in set(commands) - set(DRAWING_COMMANDS):  # eval, code, plot draw no graph
        assert not any(g.title == "drawing" for g in commands[name]._action_groups), name


def test_display_flags_are_fields_of_the_options_type_with_its_defaults() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(RenderOptions)}
    args = build_parser().parse_args(["render", "x", "-o", "x.svg"])
    assert display_options(args) == RenderOptions()
    for field in DISPLAY_FIELDS:
        assert getattr(args, field) == fields[field]


@pytest.mark.parametrize("command", DRAWING_COMMANDS)
def test_flags_reach_the_options(command: str) -> None:
    extra = ["--wrt", "x"] if command == "explain" else []
    args = build_parser().parse_args([command, "x*y", "-o", "out.svg", *extra, "--theme", "print", "--no-grads",
                                      "--rankdir", "tb", "--digits", "6", "--color-by-sign", "--title", "T",
                                      "--no-merge", "--constant-grads"])
    opts = display_options(args)
    assert (opts.theme, opts.show_grads, opts.rankdir, opts.digits, opts.color_by_sign, opts.title) == (
        "print", False, "TB", 6, True, "T")
    assert (opts.merge, opts.constant_grads) == (False, True)


@pytest.mark.parametrize("command", DRAWING_COMMANDS)
@pytest.mark.parametrize(("flag", "value", "field"), [("--theme", "neon", "theme"), ("--rankdir", "RL", "rankdir"),
                                                      ("--edge-text", "words", "edge_text"),
                                                      ("--background", "pink", "background")])
def test_a_bad_display_value_is_one_message_with_the_choices(command: str, flag: str, value: str, field: str,
                                                             tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    extra = ["--wrt", "x"] if command == "explain" else []
    out = tmp_path / "out.svg"
    code = main([command, "x*y", "--at", "x=1", "--at", "y=2", "-o", str(out), *extra, flag, value])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [f"error: unknown {field} {value!r}; choose one of: {', '.join(CHOICES[field])}"]
    assert not out.exists()


def test_bad_digits_are_checked_by_the_options_type(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    assert main(["render", "x", "--at", "x=1", "-o", str(tmp_path / "a.dot"), "--digits", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: digits must be an integer from 1 to 15, got 0"


def test_options_are_a_cache_key() -> None:
    a = RenderOptions(theme="print", highlight_edges={("n0", "n1", 0)}, blanks=(("n0", "grad", 1),))
    b = RenderOptions(theme="print", highlight_edges=frozenset({("n0", "n1", 0)}), blanks=(("n0", "grad", 1),))
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert RenderOptions(merge=False) != RenderOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.theme = "lecture"  # type: ignore[misc]
