"""layout: which program is chosen, the clear error when there is none, failures and timeouts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphviz_nn.layout import program as layout
from graphviz_nn.errors import LayoutNotFoundError, RenderError


def only(monkeypatch: pytest.MonkeyPatch, **found: str | None) -> None:
    """Pretend that only the given programs are installed."""
    monkeypatch.delenv(layout.ENV_VAR, raising=False)
    monkeypatch.setattr(layout, "locate", lambda name: found.get(name.replace("-", "_")))


def test_system_dot_is_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, dot="/usr/bin/dot", graphviz_pure="/venv/bin/graphviz-pure")
    assert layout.find_program() == layout.LayoutProgram("dot", "/usr/bin/dot")


def test_graphviz_pure_is_used_without_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, graphviz_pure="/venv/bin/graphviz-pure")
    prog = layout.find_program()
    assert prog.name == "graphviz-pure" and "pdf" not in prog.formats and "svg" in prog.formats


def test_neither_gives_one_clear_error_saying_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch)
    with pytest.raises(LayoutNotFoundError) as err:
        layout.find_program()
    assert "pip install graphviz-pure" in str(err.value) and "apt install graphviz" in str(err.value)


def test_requested_program_that_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, graphviz_pure="/venv/bin/graphviz-pure")
    with pytest.raises(LayoutNotFoundError, match="'dot' was requested but is not installed"):
        layout.find_program("dot")


def test_environment_variable_picks_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, dot="/usr/bin/dot", graphviz_pure="/venv/bin/graphviz-pure")
    monkeypatch.setenv(layout.ENV_VAR, "graphviz-pure")
    assert layout.find_program().name == "graphviz-pure"
    monkeypatch.setenv(layout.ENV_VAR, "circo")
    with pytest.raises(RenderError, match="choose one of: auto, dot, graphviz-pure"):
        layout.find_program()


def test_graphviz_pure_is_found_next_to_python_when_not_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "graphviz-pure"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(layout.shutil, "which", lambda name: None)
    assert layout.locate("graphviz-pure") == str(fake)
    assert layout.locate("dot") is None


def test_timeout_becomes_a_render_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: object, **kwargs: object) -> None:
        assert kwargs["timeout"] == 7
        raise subprocess.TimeoutExpired("dot", 7)

    monkeypatch.setattr(layout.subprocess, "run", slow)
    with pytest.raises(RenderError, match="within 7 s"):
        layout.run_layout("digraph {}", "svg", layout.LayoutProgram("dot", "/usr/bin/dot"), timeout=7)


def test_program_failure_reports_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    done = subprocess.CompletedProcess(["dot"], 1, b"", b"Error: syntax error in line 1")
    monkeypatch.setattr(layout.subprocess, "run", lambda *a, **k: done)
    with pytest.raises(RenderError, match="syntax error in line 1"):
        layout.run_layout("digraph {", "svg", layout.LayoutProgram("dot", "/usr/bin/dot"))


def test_format_the_program_cannot_write() -> None:
    with pytest.raises(RenderError, match="graphviz-pure cannot write 'pdf'"):
        layout.run_layout("digraph {}", "pdf", layout.LayoutProgram("graphviz-pure", "/x"))


@pytest.mark.exe
@pytest.mark.parametrize("name", layout.PROGRAMS)
def test_each_installed_program_lays_out(name: str) -> None:
    path = layout.locate(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    out = layout.run_layout('digraph { a -> b }', "plain", layout.LayoutProgram(name, path))
    assert out.startswith(b"graph ") and b"node a " in out and os.path.isabs(path)
