"""Layout runs on a kept ``dot`` process: the same bytes as one run per graph, one start for
many requests, and every failure as the ordinary run reports it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import graphviz_nn as gnn
from graphviz_nn.draw.dot import RenderOptions, to_dot
from graphviz_nn.errors import RenderError
from graphviz_nn.layout import kept
from graphviz_nn.layout import program as layout
from graphviz_nn.layout.steady import PIN_ARGS, step_source

HAVE_DOT = layout.locate("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="needs the system dot")


def sources() -> list[str]:
    """Three drawings of different sizes: the design-like example at two steps and another graph."""
    res = gnn.evaluate("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})
    other = gnn.evaluate("sin(x)*y", {"x": 0.5, "y": 2})
    return [to_dot(res, RenderOptions(step=3)), to_dot(other), to_dot(res)]


@pytest.fixture(autouse=True)
def fresh() -> None:
    kept.close_all()
    yield
    kept.close_all()


@pytest.mark.exe
@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "json", "json0"])
def test_kept_outputs_are_the_bytes_of_one_run_per_graph_and_one_process_serves_them(fmt: str) -> None:
    program = layout.find_program("dot")
    texts = sources()
    alone = [layout.run_layout(text, fmt, program) for text in texts]
    before = kept.started()
    for _ in range(3):  # three requests, one graph each and all at once
        assert [kept.run_kept([text], fmt, program)[0] for text in texts] == alone
        assert kept.run_kept(texts, fmt, program) == alone
    assert kept.started() == before + 1


@pytest.mark.exe
@needs_dot
def test_pinned_steps_from_a_kept_process_equal_one_run_each() -> None:
    res = gnn.evaluate("a = x*y + z; b = (x + x)*a; w = a*b", {"x": 1, "y": 2, "z": 3})
    program = layout.find_program("dot")
    pinned = [step_source(res, RenderOptions(step=k, layout_program="dot")) for k in range(len(res.trace) + 1)]
    assert all(args == PIN_ARGS for _, args in pinned)
    alone = [layout.run_layout(source, "svg", program, extra_args=PIN_ARGS) for source, _ in pinned]
    assert kept.run_kept([source for source, _ in pinned], "svg", program, extra_args=PIN_ARGS) == alone


@pytest.mark.exe
@needs_dot
@pytest.mark.parametrize("bad", ["digraph b { x -> [ }\n", 'digraph d { a [label=<<B>x</I>>] }\n'],
                         ids=["syntax", "label"])
def test_a_failing_graph_fails_as_the_ordinary_run_does_and_the_next_one_works(bad: str) -> None:
    program = layout.find_program("dot")
    texts = sources()
    assert kept.run_kept(texts[:1], "svg", program) == [layout.run_layout(texts[0], "svg", program)]
    with pytest.raises(RenderError) as ordinary:
        layout.run_layout(bad + " ", "svg", program)  # not the remembered failure: a run of its own
    with pytest.raises(RenderError) as mine:
        kept.run_kept([bad], "svg", program)
    assert mine.value.message.splitlines()[:2] == ordinary.value.message.splitlines()[:2]
    assert kept.run_kept(texts[1:2], "svg", program) == [layout.run_layout(texts[1], "svg", program)]


@pytest.mark.exe
def test_a_program_that_never_answers_times_out_with_the_ordinary_message(tmp_path: Path) -> None:
    silent = tmp_path / "dot"
    silent.write_text("#!/bin/sh\nexec sleep 30\n")
    silent.chmod(0o755)
    program = layout.LayoutProgram("dot", str(silent))
    with pytest.raises(RenderError, match="within 0.5 s"):
        kept.run_kept(["digraph { a }\n"], "svg", program, timeout=0.5)
    before = kept.started()
    with pytest.raises(RenderError, match="within 0.5 s"):  # remembered: fails at once, nothing started
        kept.run_kept(["digraph { a }\n"], "svg", program, timeout=0.5)
    assert kept.started() == before


@pytest.mark.exe
@needs_dot
def test_a_process_started_by_another_process_is_not_used() -> None:
    program = layout.find_program("dot")
    text = sources()[1]
    kept.run_kept([text], "svg", program)
    before = kept.started()
    for idle in kept._IDLE.values():
        for proc in idle:
            proc.owner = os.getpid() + 1  # as if this process were a fork of the one that started it
    assert kept.run_kept([text], "svg", program) == [layout.run_layout(text, "svg", program)]
    assert kept.started() == before + 1


def test_other_programs_and_formats_run_the_ordinary_way(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(layout, "run_layout_many",
                        lambda texts, fmt, program, *args: calls.append((program.name, fmt)) or [b"x"] * len(texts))
    assert kept.run_kept(["digraph {}"], "svg", layout.LayoutProgram("graphviz-pure", "/x")) == [b"x"]
    assert kept.run_kept(["digraph {}"], "png", layout.LayoutProgram("dot", "/x")) == [b"x"]
    assert calls == [("graphviz-pure", "svg"), ("dot", "png")]
