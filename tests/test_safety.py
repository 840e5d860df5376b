"""Safety: user text never reaches eval/exec/pickle, exports escape everything a user typed,
documented limits hold (fast, with a LimitError, never RecursionError/MemoryError/a hang), and
non-finite values are visible in the CLI, the JSON and the app.

Known gaps are ``xfail(strict=True)`` with the reason; they fail the suite once fixed.
"""

from __future__ import annotations

import ast
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import graphviz_nn as gnn
from graphviz_nn.core import graph
from graphviz_nn.layout import program as layout
from graphviz_nn.networks import network
from graphviz_nn.language import parser
from graphviz_nn.language import values
from graphviz_nn.errors import GnnError, LayoutNotFoundError, LimitError, RenderError
from graphviz_nn.export.files import export_bytes
from graphviz_nn.draw.dot import RenderOptions
from bounded import cli_bounded, python_bounded, run_bounded
from helpers import time_limit

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted((ROOT / "graphviz_nn").rglob("*.py")) + [ROOT / "app.py"]


def _layout_available() -> bool:
    try:
        layout.find_program()
    except LayoutNotFoundError:
        return False
    return True


needs_layout = pytest.mark.skipif(not _layout_available(), reason="no Graphviz layout program")


# ------------------------------------------------------------------ 1. no eval of user data

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile", "parse_expr", "sympify",
                   "import_module", "loads_pickle"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
FORBIDDEN_ATTRS = {("sympy", "sympify"), ("sympy", "parse_expr"), ("os", "system"), ("os", "popen"),
                   ("np", "load"), ("numpy", "load")}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def dangerous_uses(source: str, filename: str) -> list[str]:
    """Calls and imports that could run user text as code (or unpickle it)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{Path(filename).name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            head, _, last = name.rpartition(".")
            if isinstance(node.func, ast.Name) and name in FORBIDDEN_CALLS:
                found.append(f"{where} call {name}()")
            elif head.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{where} call {name}()")
            elif (head.split(".")[-1], last) in FORBIDDEN_ATTRS or last in {"parse_expr", "sympify", "literal_eval"}:
                found.append(f"{where} call {name}()")
            elif last in {"run", "Popen", "call", "check_output", "check_call"} and any(
                    k.arg == "shell" for k in node.keywords):
                found.append(f"{where} {name}(shell=...)")
        elif isinstance(node, ast.Import):
            found += [f"{where} import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if mod.split(".")[0] in FORBIDDEN_MODULES or mod.startswith("sympy.parsing"):
                found.append(f"{where} from {mod} import …")
            found += [f"{where} from {mod} import {a.name}" for a in node.names
                      if a.name in FORBIDDEN_CALLS | {"sympify", "parse_expr"}]
    return found


#: Modules allowed to pickle, and why that never touches bytes a user sent.
PICKLE_ALLOWED = {"graphviz_nn/page/wire.py": "the messages between the app's server and the worker "
                  "processes it started itself (trusted internal data only): a call the server built "
                  "(a user's text rides inside it as a str) and the answer a worker built; no byte a "
                  "user sent is ever unpickled"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_eval_exec_compile_pickle_or_sympy_parsing(path):
    found = dangerous_uses(path.read_text(encoding="utf-8"), str(path))
    if str(path.relative_to(ROOT)) in PICKLE_ALLOWED:
        found = [f for f in found if not re.search(r"\bpickle\b", f)]
    assert found == []


def test_the_checker_catches_what_it_looks_for():
    bad = ("import pickle\nfrom marshal import loads\nimport sympy\neval(x)\nexec('1')\ncompile(s, 'f', 'eval')\n"
           "__import__('os')\nsympy.sympify(t)\nsympy.parse_expr(t)\npickle.loads(b)\n"
           "subprocess.run(c, shell=True)\nfrom sympy.parsing.sympy_parser import parse_expr\n")
    assert len(dangerous_uses(bad, "bad.py")) == 12  # the last line counts twice: module and name
    assert dangerous_uses("import re\nre.compile('x')\nast.parse(s)\njson.loads(s)\n", "ok.py") == []


def test_only_the_layout_module_starts_programs():
    starters = []
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "subprocess" in names:
                    starters.append(str(path.relative_to(ROOT)))
    # layout/program.py runs the layout program and layout/kept.py keeps the same program
    # running (the one program.find_program found); page/worker.py starts the app's own worker
    # processes (this Python, this package), never a program a user names.
    assert set(starters) <= {"graphviz_nn/layout/program.py", "graphviz_nn/layout/kept.py",
                             "graphviz_nn/page/worker.py"}, starters


def test_user_text_that_looks_like_python_is_not_run(tmp_path):
    marker = tmp_path / "pwned"
    for text in [f"__import__('os').system('touch {marker}')", f"exec(\"open('{marker}','w')\")",
                 "().__class__.__bases__[0].__subclasses__()", "eval(x)", "lambda: 1", "x if y else z",
                 "import os", "{{7*7}}", "${7*7}", "`id`"]:
        try:
            gnn.evaluate(text, {"x": 1, "y": 2, "z": 3})
        except GnnError:
            pass
    assert not marker.exists()


# ------------------------------------------------------------------ 2. escaping in exports

EVIL = ("<script>alert(\"x\")</script> & 'q' {a} }{ \\N \\input{/etc/passwd} \\write18{rm -rf ~} "
        "$y$ 50% #1 ~ ^ _ ]]> <!-- --> <b onload=alert(1)>")
SPEC = f"""[network]
title = {json.dumps(EVIL)}
chain = "Linear(2->2) -> ReLU -> Linear(2->1)"
loss = "mse"
names = {{ W1 = {json.dumps(EVIL)}, x = "<img src=x onerror=alert(1)>", b2 = "}}{{\\\\" }}
[values]
x = [1, 2]
y = 1
W1 = [[1, 0], [0, 1]]
b1 = [0, 0]
W2 = [[1, 1]]
b2 = [0]
"""


@pytest.fixture(scope="module")
def evil_network():
    net = network.parse_spec(SPEC)
    assert net.title == EVIL
    return net, net.evaluate()


def test_dot_escapes_titles_and_display_names(evil_network):
    net, res = evil_network
    dot = export_bytes(res, "dot", RenderOptions(title=net.title)).decode("utf-8")
    for raw in ("<script", "</script", "<img", "<b onload", "<!--", '"x")'):
        assert raw not in dot
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in dot
    assert "&lt;img src=x onerror=alert(1)&gt;" in dot


@needs_layout
def test_svg_has_no_user_markup_and_shows_the_text(evil_network):
    net, res = evil_network
    svg = export_bytes(res, "svg", RenderOptions(title=net.title)).decode("utf-8")
    root = ET.fromstring(svg)  # well-formed XML despite the quotes and brackets
    tags = {el.tag.rsplit("}", 1)[-1].lower() for el in root.iter()}
    assert not tags & {"script", "img", "b", "iframe", "foreignobject"}
    for el in root.iter():
        assert not [a for a in el.attrib if a.lower().startswith("on")], el.attrib
    text = " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))
    assert "<script>alert(\"x\")</script> & 'q' {a}" in text.replace("\xa0", " ")
    assert "<img src=x onerror=alert(1)>" in text.replace("\xa0", " ")


def _unescaped_braces(tex: str) -> int:
    body = re.sub(r"\\[{}]", "", tex.replace("\\\\", ""))
    depth = 0
    for ch in body:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, "a '}' closes more than was opened"
    return depth


@needs_layout
def test_tikz_escapes_user_text(evil_network):
    net, res = evil_network
    tex = export_bytes(res, "tex", RenderOptions(title=net.title)).decode("utf-8")
    assert _unescaped_braces(tex) == 0
    for raw in ("\\input{/etc/passwd}", "\\write18", "<script>", "<img"):
        assert raw not in tex
    title_line = next(line for line in tex.splitlines() if "alert" in line)
    for raw in ("$y$", "50%", " #1", "\\N", " ~ "):
        assert raw not in title_line
    assert r"\textbackslash{}input\{/etc/passwd\}" in title_line
    assert r"\{a\} \}\{" in title_line and r"\$y\$ 50\% \#1" in title_line


@needs_layout
def test_tikz_names_from_the_grammar_stay_math():
    res = gnn.evaluate("w_{10} + alpha_1 * loss2", {"w_10": 1, "alpha_1": 2, "loss2": 3})
    tex = export_bytes(res, "tex", RenderOptions(title="{}")).decode("utf-8")
    assert _unescaped_braces(tex) == 0
    assert "w_{10}" in tex and r"\alpha_{1}" in tex


def test_program_names_and_source_never_become_markup():
    res = gnn.evaluate("a_1 = x # <script>alert(1)</script> {\"q\"}\nloss = a_1 * y", {"x": 1, "y": 2})
    dot = export_bytes(res, "dot", RenderOptions(title='"}; node [label="pwn"]; {"')).decode("utf-8")
    assert "<script" not in dot and 'label="pwn"' not in dot


# ------------------------------------------------------------------ 3. limits


def fast_outcome(text: str, vals: dict | None = None, seconds: int = 10, **limits) -> str:
    """'ok' or 'limit' within ``seconds``; any other exception propagates and fails the test."""
    with time_limit(seconds):
        try:
            gnn.evaluate(text, vals or {}, **limits)
        except LimitError as err:
            assert "limit" in err.message or "deeper than" in err.message or "more than" in err.message
            return "limit"
    return "ok"


def test_input_length_limit():
    text = "x+" * (parser.MAX_CHARS // 2) + "x"
    with pytest.raises(LimitError, match=f"the limit is {parser.MAX_CHARS:,}"):
        with time_limit(5):
            gnn.evaluate(text, {"x": 1})
    assert fast_outcome("x + y", {"x": 1, "y": 2}, max_chars=4) == "limit"


@pytest.mark.parametrize("opener, closer", [("(", ")"), ("[", "]"), ("{", "}"), ("|", "|"), ("||", "||"),
                                            ("-", ""), ("+", ""), ("x^", ""), ("sin(", ")"), ("e^<", ">"),
                                            ("\\sqrt{", "}"), ("\\frac{1}{", "}"), ("2^-", "")])
def test_deep_nesting_is_a_limit_error_not_a_recursion_error(opener, closer):
    n = 3 * parser.MAX_DEPTH
    assert fast_outcome(opener * n + "x" + closer * n, {"x": 0.5}) == "limit"


@pytest.mark.parametrize("opener, closer", [("(", ")"), ("-", ""), ("x^", ""), ("sin(", ")")])
def test_nesting_just_under_the_limit_evaluates(opener, closer):
    n = parser.MAX_DEPTH // 2 - 5
    assert fast_outcome(opener * n + "x" + closer * n, {"x": 0.5}) == "ok"
    res = gnn.evaluate(opener * n + "x" + closer * n, {"x": 0.5})
    json.dumps(res.to_json())
    assert sys.getrecursionlimit() < 10_000  # the parser restores the recursion limit


def test_node_limit():
    text = "+".join(str(i) for i in range(2000))
    assert fast_outcome(text, max_nodes=500) == "limit"
    assert fast_outcome("a = x\nb = a + a\nc = b * b\nd = c - 1", {"x": 1}, max_nodes=4) == "limit"
    with pytest.raises(LimitError, match="more than 500 nodes"):
        gnn.evaluate(text, max_nodes=500)
    assert graph.MAX_NODES == 200_000


def test_tensor_size_limit():
    with pytest.raises(LimitError, match=f"the limit is {values.MAX_ELEMENTS:,}"):
        gnn.evaluate("sum(x)", {"x": np.zeros(values.MAX_ELEMENTS + 1)})
    with pytest.raises(LimitError):
        values.to_value(np.zeros((values.MAX_ELEMENTS // 1000 + 1, 1000)), "W")


def test_tensor_size_limit_reads_the_module_setting(monkeypatch):
    monkeypatch.setattr(values, "MAX_ELEMENTS", 100)
    with pytest.raises(LimitError, match="value of x has 101 entries; the limit is 100"):
        gnn.evaluate("x + 1", {"x": np.ones(101)})
    with pytest.raises(LimitError):
        gnn.evaluate("x + 1", {"x": json.dumps([[1.0] * 11] * 10)})


def test_broadcast_results_respect_the_tensor_limit(monkeypatch):
    monkeypatch.setattr(values, "MAX_ELEMENTS", 1000)
    with pytest.raises(LimitError):
        gnn.evaluate("x + y", {"x": np.ones(100), "y": np.ones((100, 1))})


@pytest.mark.parametrize("text, vals", [
    ("10^10^10", {}), ("x^1e308", {"x": 2}), ("x^1e308", {"x": [2.0, 0.5, -2.0]}), ("2^1000000", {}),
    ("x^x^x^x", {"x": 10}), ("e^e^e^e^e", {}), ("exp(exp(exp(x)))", {"x": 10}), ("x^-1e308", {"x": 0}),
    ("W^1e308", {"W": [[2, 1], [1, 2]]}), ("(-8)^(1/3)", {}), ("1e308 * 1e308 - 1e308 * 1e308", {}),
    ("0^-1", {}), ("softmax(x)", {"x": [1e308, -1e308]}), ("norm(x)^1e10", {"x": [3, 4]}),
    ("1e400", {}), ("x", {"x": "1e999"}),
])
def test_huge_powers_evaluate_quickly_and_flag_non_finite_values(text, vals):
    with time_limit(5):
        res = gnn.evaluate(text, vals)
    json.dumps(res.to_json(), allow_nan=False)  # non-finite numbers travel as strings
    if not np.all(np.isfinite(res.value)):
        assert res.nonfinite and res.output in res.nonfinite
        assert any("non-finite" in w for w in res.warnings)


@needs_layout
def test_layout_program_runs_with_a_timeout():
    res = gnn.evaluate("x^2 + 3xy", {"x": 2, "y": 1})
    with pytest.raises(RenderError, match="did not finish laying out the graph within"):
        export_bytes(res, "svg", RenderOptions(timeout=1e-6))
    with pytest.raises(RenderError, match="timeout must be a positive number"):
        RenderOptions(timeout=0)


def test_the_app_binds_loopback_in_the_makefile():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    app_rule = make.split("\napp:", 1)[1].split("\n\n", 1)[0]
    assert "--server.address 127.0.0.1" in app_rule


def test_the_app_binds_loopback_by_default():
    import tomllib

    config = ROOT / ".streamlit" / "config.toml"
    assert tomllib.loads(config.read_text(encoding="utf-8"))["server"]["address"] in ("127.0.0.1", "localhost")


def test_limits_are_documented():
    doc = (ROOT / "docs" / "LIMITS.md").read_text(encoding="utf-8")
    for name, default in [("MAX_CHARS", parser.MAX_CHARS), ("MAX_DEPTH", parser.MAX_DEPTH),
                          ("MAX_NODES", graph.MAX_NODES), ("MAX_ELEMENTS", values.MAX_ELEMENTS),
                          ("timeout", int(layout.DEFAULT_TIMEOUT))]:
        assert name in doc and f"{default:,}" in doc, name


# ------------------------------------------------------------------ 4. non-finite values, visibly


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphviz_nn", *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def _strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"bare {name} in JSON")

    return json.loads(text, parse_constant=refuse)


def test_cli_table_shows_nan_and_inf_and_warns():
    done = _cli("eval", "log(x) + 1/y + sqrt(z)", "--at", "x=0", "--at", "y=0", "--at", "z=-1")
    assert done.returncode == 0, done.stderr
    assert "-inf" in done.stdout and "nan" in done.stdout and "inf" in done.stdout
    assert "warning: non-finite values (nan or inf) at" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_json_flags_non_finite_nodes():
    done = _cli("eval", "log(x) * y", "--at", "x=0", "--at", "y=[1, 2]", "--json")
    assert done.returncode == 0, done.stderr
    data = _strict_json(done.stdout)
    assert data["output"]["value"] == ["-inf", "-inf"]
    flagged = {n["id"] for n in data["nodes"] if n["nonfinite"]}
    assert flagged and data["output"]["id"] in flagged
    assert any("non-finite" in w for w in data["warnings"])
    assert "warning: non-finite" in done.stderr


def test_api_json_and_dot_mark_non_finite_nodes():
    res = gnn.evaluate("a = log(x); b = a * y; c = y + 1", {"x": 0, "y": 2})
    data = res.to_json()
    json.dumps(data, allow_nan=False)
    marked = [n["id"] for n in data["nodes"] if n["nonfinite"]]
    assert marked == res.nonfinite and res.inputs["y"] not in marked
    dot = export_bytes(res, "dot").decode("utf-8")
    for node in marked:
        line = next(line for line in dot.splitlines() if line.strip().startswith(f'"{node}" ['))
        assert "nonfinite" in line


def test_app_view_shows_non_finite_values():
    from graphviz_nn.page import view as pipeline

    view = pipeline.build_view("log(x) * y", {"x": "0", "y": "2"})
    assert view.ok
    assert view.nonfinite and any("non-finite" in w for w in view.warnings)
    assert "inf" in view.value


# ------------------------------------------------------------------ 5. hostile inputs, bounded
#
# Each case runs as ``python -m graphviz_nn`` under resource limits: address space (memory) and
# CPU seconds are bounds the run must stay within, not timings. A run past a bound dies
# (MemoryError -> "internal error", SIGXCPU) and fails the exit-code assertion.

MEMORY_MB = 1536
"""Address space of one bounded CLI run (the interpreter, NumPy and the layout program)."""
CPU_SECONDS = 60


def one_message(done: subprocess.CompletedProcess, *expected: str) -> str:
    """The run ended with exit 2 and one ``error:`` line holding every ``expected`` text."""
    err = done.stderr
    assert done.returncode == 2, f"exit {done.returncode}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line for line in err.splitlines() if not line.startswith("  ")]  # caret lines are indented
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for text in expected:
        assert text in err, err
    return err


def in_process(args: list[str], capsys) -> tuple[int, str, str]:
    """``graphviz-nn ARGS`` through ``cli.main`` in this interpreter: (exit code, stdout, stderr)."""
    from graphviz_nn.cli import main as cli

    try:
        code = cli.main(args)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def _many_terms(n: int) -> str:
    return " + ".join(f"sin(x*{i})" for i in range(1, n + 1))


@needs_layout
def test_a_gif_too_large_to_hold_is_refused_within_the_bounds(tmp_path):
    """15 terms with edge text: 135 frames of 6,000×2,500 pixels (this took 388 s and 12.4 GB)."""
    done = cli_bounded("steps", _many_terms(15), "--at", "x=0.3", "--edge-text", "both", "-o", "g.gif",
                       cwd=tmp_path, memory_mb=1024, cpu_seconds=30)
    one_message(done, "too large for a GIF", "write OUT.pdf, OUT.zip or a folder of SVG frames")
    assert not list(tmp_path.iterdir())


@needs_layout
def test_the_same_sequence_as_pdf_and_zip_stays_within_the_bounds(tmp_path):
    for out in ("g.pdf", "g.zip"):
        done = cli_bounded("steps", _many_terms(10), "--at", "x=0.3", "--edge-text", "both", "-o", out,
                           cwd=tmp_path, memory_mb=1024, cpu_seconds=120)
        assert done.returncode == 0, done.stderr
        assert "steps 0–79 (80 frames)" in done.stderr  # 89 trace steps less the 10 constants' backward steps, + step 0
    assert len(re.findall(rb"/Type\s*/Page(?!s)", (tmp_path / "g.pdf").read_bytes())) == 80
    import zipfile

    with zipfile.ZipFile(tmp_path / "g.zip") as archive:
        assert len(archive.namelist()) == 80


def test_gif_resolution_drops_to_fit_and_refuses_below_the_floor():
    from graphviz_nn.export import frames

    assert frames.gif_dpi((500, 300), 20) == frames.GIF_DPI  # 667×400 pixels: as drawn
    big = frames.gif_dpi((3000, 2000), 10)  # 4,000×2,667 at 96 dpi: over the frame bound
    width, height = 3000 * big / 72, 2000 * big / 72
    assert width * height == pytest.approx(frames.MAX_FRAME_PIXELS)
    many = frames.gif_dpi((1500, 1000), 300)  # 300 frames of 2,000×1,333: over the total bound
    assert 300 * (1500 * many / 72) * (1000 * many / 72) == pytest.approx(frames.MAX_GIF_PIXELS)
    with pytest.raises(LimitError, match="too large for a GIF"):
        frames.gif_dpi((4516, 1865), 135)


@needs_layout
def test_gif_frames_shrink_to_the_pixel_budget(monkeypatch):
    from PIL import Image, ImageSequence

    from graphviz_nn.export import frames

    res = gnn.evaluate("sin(x) * cos(x)", {"x": 0.5})
    count = frames.frame_count(res)
    full = Image.open(io.BytesIO(frames.gif_bytes(res))).size
    monkeypatch.setattr(frames, "MAX_GIF_PIXELS", full[0] * full[1] * count // 4)
    monkeypatch.setattr(frames, "MIN_GIF_DPI", 10)
    small = Image.open(io.BytesIO(frames.gif_bytes(res)))
    assert sum(1 for _ in ImageSequence.Iterator(small)) == count
    assert small.size[0] * small.size[1] * count <= frames.MAX_GIF_PIXELS * 1.05  # rounding of pixels
    assert small.size[0] < full[0] * 0.6


@pytest.mark.parametrize("seconds", ["nan", "1e300", "-1", "0", "inf"])
def test_gif_seconds_outside_what_a_gif_stores_are_refused(seconds, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = in_process(["steps", "x*2", "--at", "x=1", "--seconds", seconds, "-o", "g.gif"], capsys)
    assert code == 2 and err.startswith("error: seconds per frame must be a number from 0.02 to 655.35"), err
    assert not (tmp_path / "g.gif").exists()


def test_dev_zero_and_a_fifo_without_writer_are_refused_within_the_bounds(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for option, path in (("--file", "/dev/zero"), ("--spec", "/dev/zero"), ("--file", str(fifo)),
                         ("--spec", str(fifo))):
        done = cli_bounded("eval", option, path, cwd=tmp_path, memory_mb=512, cpu_seconds=20)
        one_message(done, f"cannot read {path}: not a regular file")


def test_a_file_past_the_size_limit_is_refused_while_reading(tmp_path):
    from graphviz_nn.language import sources

    big = tmp_path / "big.txt"
    big.write_text("x + " * 1000 + "x", encoding="utf-8")
    with pytest.raises(LimitError, match="larger than 1,000 bytes"):
        sources.read_text(big, limit=1000)
    assert sources.read_text(big, limit=10_000).startswith("x + x")


@pytest.mark.parametrize("data, message", [
    (b"x + \xff", "input.txt is not UTF-8 text: byte 0xff at line 1, byte 5; save it as UTF-8"),
    (b"a = 1\nb = \xc3(", "input.txt is not UTF-8 text: byte 0xc3 at line 2, byte 5; save it as UTF-8"),
])
def test_invalid_utf8_in_a_file_isone_message(data, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.txt").write_bytes(data)
    code, out, err = in_process(["eval", "--file", "input.txt"], capsys)
    assert (code, out, err) == (2, "", f"error: {message}\n")
    (tmp_path / "spec.toml").write_bytes(b'[network]\nchain = "Linear(1)\xfe"\n')
    code, out, err = in_process(["eval", "--spec", "spec.toml"], capsys)
    assert (code, err) == (2, "error: spec.toml is not UTF-8 text: byte 0xfe at line 2, byte 19; save it as UTF-8\n")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.txt").write_bytes("\ufeffx^2 + 1".encode("utf-8"))
    code, out, err = in_process(["eval", "--file", "input.txt", "--at", "x=3", "--json"], capsys)
    assert code == 0, err
    data = _strict_json(out)
    assert data["output"]["value"] == 10.0 and data["gradients"]["x"] == 6.0
    spec = '\ufeff[network]\nchain = "Linear(1->1)"\nloss = "mse"\n[values]\nx = [2]\ny = 1\nW1 = [[3]]\nb1 = [1]\n'
    (tmp_path / "spec.toml").write_text(spec, encoding="utf-8")
    code, out, err = in_process(["eval", "--spec", "spec.toml", "--json"], capsys)
    assert code == 0, err
    assert _strict_json(out)["output"]["value"] == pytest.approx(36.0)  # (3·2 + 1 − 1)²


def test_the_app_reads_uploaded_specs_as_utf8_with_or_without_a_mark():
    from graphviz_nn.page import netview

    spec = '[network]\nchain = "Linear(1->1)"\nloss = "mse"\n[values]\nx = [2]\ny = 1\nW1 = [[3]]\nb1 = [1]\n'
    for data in (spec.encode("utf-8"), b"\xef\xbb\xbf" + spec.encode("utf-8")):
        assert netview.read_spec(data, "up.toml").chain == "Linear(1->1)"
    with pytest.raises(GnnError, match="up.toml is not UTF-8 text: byte 0xff at line 5"):
        netview.read_spec(spec.replace("x = [2]", "x = [2] #").encode("utf-8").replace(b"#", b"#\xff"), "up.toml")


def test_deep_json_and_toml_are_one_message_within_the_bounds(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.toml").write_text(f"[values]\nx = {deep}\n", encoding="utf-8")
    one_message(cli_bounded("eval", "--spec", "deep.toml", cwd=tmp_path, memory_mb=MEMORY_MB, cpu_seconds=20),
                "deep.toml: nested too deeply to read")
    tables = "[network]\nchain = \"Linear(1)\"\n[values]\nx = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n"
    (tmp_path / "tables.toml").write_text(tables, encoding="utf-8")
    one_message(cli_bounded("eval", "--spec", "tables.toml", cwd=tmp_path, memory_mb=MEMORY_MB, cpu_seconds=20),
                "nested too deeply")
    with pytest.raises(LimitError, match="value of x is nested too deeply to read"):
        values.parse_assignment("x=" + deep)
    with pytest.raises(GnnError):
        gnn.evaluate("x", {"x": deep})


@pytest.mark.parametrize("digits", [400, 5000])
def test_huge_whole_numbers_areone_message(digits, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    number = "9" * digits
    code, out, err = in_process(["eval", "x + 1", "--at", f"x={number}"], capsys)
    assert (code, out) == (2, "") and err == (f"error: value of x holds a {digits:,}-digit whole number, too "
                                              "large for a float (the largest is about 1.8e+308)\n")
    spec = f'[network]\nchain = "Linear(1->1)"\nloss = "mse"\n[values]\nx = [{number}]\ny = 1\n'
    (tmp_path / "spec.toml").write_text(spec, encoding="utf-8")
    code, out, err = in_process(["eval", "--spec", "spec.toml", "--init", "1"], capsys)
    assert code == 2 and "whole number" in err and err.count("\n") == 1, err
    with pytest.raises(GnnError, match="whole number"):
        gnn.evaluate("x", {"x": 10 ** digits - 1})


@pytest.mark.parametrize("chain, message", [
    ("Linear(-2->1)", "Linear needs at least 1 unit, got -2"),
    ("Linear(2->" + "1234567890" * 3 + "1)", "larger than a value may be; the limit is 10,000,000 entries"),
])
def test_impossible_layer_sizes_are_one_message_within_the_bounds(chain, message, tmp_path):
    for init in ("1", "random"):
        done = cli_bounded("eval", "--chain", chain, "--init", init, "--at", "x=[1, 2]", cwd=tmp_path,
                           memory_mb=768, cpu_seconds=20)
        one_message(done, message)


def test_output_to_dev_full_isone_message(tmp_path, monkeypatch, capsys):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    monkeypatch.chdir(tmp_path)
    for args in (["render", "x*2", "--at", "x=1", "-o", "/dev/full", "--format", "dot"],
                 ["code", "x*2", "--at", "x=1", "-o", "/dev/full"],
                 ["render", "x*2", "--at", "x=1", "-o", "/dev/full", "--format", "json"]):
        code, out, err = in_process(args, capsys)
        assert (code, err) == (2, "error: cannot write /dev/full: No space left on device\n"), (args, err)
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")  # the device is still one


# ------------------------------------------------------------------ 6. a failed write keeps the old file


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part") or ".part" in p.name)


@needs_layout
@pytest.mark.parametrize("args, name", [
    (["render", "x*2", "--at", "x=1", "-o", "keep.svg"], "keep.svg"),
    (["render", "x*2", "--at", "x=1", "-o", "keep.gv"], "keep.gv"),
    (["code", "x*2", "--at", "x=1", "-o", "keep.py"], "keep.py"),
    (["steps", "x*2", "--at", "x=1", "-o", "keep.zip"], "keep.zip"),
    (["explain", "x*2", "--at", "x=1", "--wrt", "x", "-o", "keep.svg"], "keep.svg"),
])
def test_a_write_past_the_file_size_limit_keeps_the_existing_file(args, name, tmp_path):
    old = b"the good file of an earlier run\n"
    (tmp_path / name).write_bytes(old)
    done = cli_bounded(*args, cwd=tmp_path, file_size=600, memory_mb=MEMORY_MB, cpu_seconds=CPU_SECONDS)
    one_message(done, f"cannot write {name}: File too large")
    assert (tmp_path / name).read_bytes() == old
    assert _leftovers(tmp_path) == []


def test_writing_keeps_links_and_permissions(tmp_path):
    from graphviz_nn.export import writing

    real = tmp_path / "real.svg"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    writing.write_bytes(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert real.stat().st_mode & 0o777 == 0o640
    assert _leftovers(tmp_path) == []


@needs_layout
def test_a_worksheet_writes_its_sheet_and_key_together_or_neither(tmp_path, monkeypatch, capsys):
    from graphviz_nn.export import writing as userfiles

    monkeypatch.chdir(tmp_path)
    real, calls = userfiles._write_temp, []

    def fail_on_the_key(target, data):
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(target, data)

    monkeypatch.setattr(userfiles, "_write_temp", fail_on_the_key)
    code, _, err = in_process(["worksheet", "x*2", "--at", "x=1", "-o", "ws.svg"], capsys)
    assert (code, err) == (2, "error: cannot write ws-key.svg: No space left on device\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # not the sheet without its key
    (tmp_path / "ws.svg").write_text("old sheet")
    (tmp_path / "ws-key.svg").write_text("old key")
    calls.clear()
    code, _, err = in_process(["worksheet", "x*2", "--at", "x=1", "-o", "ws.svg"], capsys)
    assert code == 2
    assert (tmp_path / "ws.svg").read_text() == "old sheet" and (tmp_path / "ws-key.svg").read_text() == "old key"
    assert _leftovers(tmp_path) == []
    monkeypatch.setattr(userfiles, "_write_temp", real)
    code, _, err = in_process(["worksheet", "x*2", "--at", "x=1", "-o", "ws.svg"], capsys)
    assert code == 0, err
    assert b"<svg" in (tmp_path / "ws.svg").read_bytes() and b"<svg" in (tmp_path / "ws-key.svg").read_bytes()


@needs_layout
def test_a_steps_folder_never_mixes_in_frames_of_an_earlier_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = in_process(["steps", "sin(x) * cos(x)", "--at", "x=1", "-o", "frames"], capsys)
    assert code == 0, err
    first = sorted(p.name for p in (tmp_path / "frames").iterdir())
    (tmp_path / "frames" / "notes.txt").write_text("mine")
    code, _, err = in_process(["steps", "x*2", "--at", "x=1", "-o", "frames"], capsys)
    assert code == 0, err
    second = sorted(p.name for p in (tmp_path / "frames").iterdir())
    count = len(gnn.evaluate("x*2", {"x": 1}).trace) + 1
    assert second == ["notes.txt"] + [f"step-{k:03d}.svg" for k in range(count)]
    assert len(first) > count
    assert _leftovers(tmp_path) == []


@needs_layout
def test_a_failed_steps_folder_keeps_the_earlier_frames(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for k in range(3):
        (folder / f"step-{k:03d}.svg").write_text("old")
    done = cli_bounded("steps", "sin(x) * cos(x)", "--at", "x=1", "-o", "frames", cwd=tmp_path, file_size=600,
                       memory_mb=MEMORY_MB, cpu_seconds=CPU_SECONDS)
    one_message(done, "cannot write frames: File too large")
    assert sorted(p.read_text() for p in folder.iterdir()) == ["old"] * 3
    assert _leftovers(tmp_path) == []


# ------------------------------------------------------------------ 7. every --json parses strictly


@pytest.mark.parametrize("args, check", [
    (["eval", "log(x)", "--at", "x=0", "--json", "--check"],
     lambda d: d["gradient_check"]["x"]["backprop"] == "inf" and isinstance(d["gradient_check"]["x"]["relative_error"], str)),
    (["eval", "--chain", "Linear(1->1)", "--loss", "mse", "--init", "1", "--at", "x=[100]", "--at", "y=[1]",
      "--sgd-steps", "200", "--lr", "10", "--json"],
     lambda d: d["losses"][0] == 10000.0 and "inf" in d["losses"] and d["losses"][-1] == "nan"),
    (["eval", "--chain", "Linear(1->1)", "--loss", "mse", "--init", "1", "--at", "x=[1]", "--at", "y=[1]",
      "--sgd-steps", "2", "--lr", "nan", "--json"],
     lambda d: d["lr"] == "nan" and d["losses"] == [1.0, "nan", "nan"] and d["parameters"]["W1"] == [["nan"]]),
    (["eval", "x / y", "--at", "x=[1, -1, 0]", "--at", "y=0", "--json"],
     lambda d: d["output"]["value"] == ["inf", "-inf", "nan"]),
])
def test_every_json_output_parses_strictly(args, check, capsys):
    code, out, err = in_process(args, capsys)
    assert code == 0, err
    assert check(_strict_json(out)), out


def test_json_files_parse_strictly(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = in_process(["render", "sqrt(x) * 1e309", "--at", "x=-1", "-o", "out.json"], capsys)
    assert code == 0, err
    data = _strict_json((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert data["output"]["value"] == "nan"


def test_a_diverging_training_run_warns(capsys):
    code, _, err = in_process(["eval", "--chain", "Linear(1->1)", "--loss", "mse", "--init", "1", "--at", "x=[100]",
                               "--at", "y=[1]", "--sgd-steps", "200", "--lr", "10"], capsys)
    assert code == 0
    assert err.startswith("warning: the loss became inf at step ") and "smaller --lr" in err
    assert "RuntimeWarning" not in err


# ------------------------------------------------------------------ 8. generated code with non-finite numbers


def _run_generated(args: list[str], tmp_path: Path, capsys) -> dict:
    code, script, err = in_process(["code", *args], capsys)
    assert code == 0, err
    path = tmp_path / "gen.py"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # the script's own json.dumps: NaN and Infinity are Python's spelling


@pytest.mark.parametrize("args, expect", [
    (["x*2", "--at", "x=inf"], {"value": math.inf, "x": 2.0}),
    (["x*2", "--at", "x=-inf"], {"value": -math.inf, "x": 2.0}),
    (["x*2 + y", "--at", "x=nan", "--at", "y=1"], {"value": math.nan, "x": 2.0}),
    (["x*1e309", "--at", "x=1"], {"value": math.inf, "x": math.inf}),
    (["leaky_relu(x, 1e999)", "--at", "x=-1"], {"value": -math.inf, "x": math.inf}),
    (["x*2", "--at", "x=[1, 1e999]"], {"value": [2.0, math.inf], "x": [2.0, 2.0]}),
])
def test_generated_numpy_code_runs_with_non_finite_numbers(args, expect, tmp_path, capsys):
    data = _run_generated(args, tmp_path, capsys)
    np.testing.assert_equal(data["value"], expect["value"])
    np.testing.assert_equal(data["gradients"]["x"], expect["x"])


def test_generated_training_code_runs_with_lr_nan(tmp_path, capsys):
    data = _run_generated(["--chain", "Linear(1->1)", "--loss", "mse", "--init", "1", "--at", "x=[1]", "--at",
                           "y=[1]", "--steps", "2", "--lr", "nan"], tmp_path, capsys)
    assert data["losses"][0] == 1.0 and math.isnan(data["losses"][1])
    assert math.isnan(data["parameters"]["W1"][0][0])
    code, script, _ = in_process(["code", "--lang", "torch", "--chain", "Linear(1->1)", "--loss", "mse", "--init",
                                  "inf", "--at", "x=[1]", "--at", "y=[1]", "--steps", "2", "--lr", "nan"], capsys)
    assert code == 0
    ast.parse(script)
    assert "lr = float('nan')" in script and "[[float('inf')]]" in script


# ------------------------------------------------------------------ 9. smaller: reproducible files, spellings


@needs_layout
def test_pdf_and_step_zip_bytes_are_the_same_every_run():
    import zipfile

    from graphviz_nn.export import frames

    res = gnn.evaluate("sin(x) * y", {"x": 1, "y": 2})
    pdf = export_bytes(res, "pdf")
    dates = re.findall(rb"/(?:CreationDate|ModDate) ?\(D:(\d{14})", pdf)
    assert set(dates) <= {b"19700101000000"}
    assert export_bytes(res, "pdf") == pdf
    archive = frames.svg_zip(res)
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        assert {info.date_time for info in zipped.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert frames.svg_zip(res) == archive
    assert frames.pdf_bytes(res) == frames.pdf_bytes(res)


def test_pdf_dates_are_fixed_in_place():
    from graphviz_nn.export.files import fixed_pdf_dates

    raw = b"<< /CreationDate (D:20261128102616Z) /ModDate (D:20261128102617+01'00') >>"
    fixed = fixed_pdf_dates(raw)
    assert fixed == b"<< /CreationDate (D:19700101000000Z) /ModDate (D:19700101000000+01'00') >>"
    assert len(fixed) == len(raw)  # the cross-reference offsets stay right


def test_gv_is_dot_and_a_leading_minus_needs_no_double_dash(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = in_process(["render", "x*2", "--at", "x=1", "-o", "f.gv"], capsys)
    assert code == 0, err
    assert (tmp_path / "f.gv").read_text(encoding="utf-8").startswith("digraph")
    code, out, err = in_process(["eval", "-x^2", "--at", "x=3", "--json"], capsys)
    assert code == 0, err
    data = _strict_json(out)
    assert data["output"]["value"] == -9.0 and data["gradients"]["x"] == -6.0
    code, out, err = in_process(["eval", "--at", "x=3", "-x", "--json"], capsys)
    assert code == 0 and _strict_json(out)["output"]["value"] == -3.0
    code, _, err = in_process(["eval", "-x", "--nonsense"], capsys)
    assert code == 2 and "unrecognized arguments" in err


@pytest.mark.parametrize("value, message", [
    (np.array([1 + 2j, 3]), "value of x is complex"),
    (np.complex128(1 + 1j), "value of x is complex"),
    (1j, "value of x is complex"),
    (np.ma.masked_array([1.0, 2.0], mask=[0, 1]), "value of x is a masked array"),
    (np.ma.masked_array([[1.0, 2.0]], mask=False), "value of x is a masked array"),
])
def test_the_api_refuses_complex_and_masked_arrays(value, message):
    with pytest.raises(GnnError, match=message):
        gnn.evaluate("sum(x * 2)", {"x": value})


@pytest.mark.parametrize("entries", [[1e-200, 1e-200], [3e-170, -4e-170], [1e200, 1e200], [3.0, 4.0]])
def test_norm_keeps_tiny_and_huge_entries(entries):
    res = gnn.evaluate("norm(x)", {"x": entries})
    expected = math.hypot(*entries)  # scaled internally: the oracle does not square raw entries
    assert res.value == pytest.approx(expected, rel=1e-15)
    x = np.array(entries)
    for i in range(len(x)):
        h = abs(x[i]) * 1e-6
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        numeric = (math.hypot(*up) - math.hypot(*down)) / (2 * h)
        assert res.gradients["x"][i] == pytest.approx(numeric, rel=1e-6)


def test_limits_doc_agrees_with_the_code():
    from graphviz_nn.page import evaluations as pipeline

    doc = (ROOT / "docs" / "LIMITS.md").read_text(encoding="utf-8")
    assert "no `.streamlit/config.toml`" not in doc and (ROOT / ".streamlit" / "config.toml").exists()
    assert "same text limits as the API" not in doc
    assert f"APP_MAX_CHARS = {pipeline.APP_MAX_CHARS:,}" in doc
    xfails = [p.name for p in (ROOT / "tests").glob("test_*.py")
              if re.search(r"(@pytest\.mark\.xfail\(|marks=pytest\.mark\.xfail)", p.read_text(encoding="utf-8"))]
    gaps = doc.split("## Known gaps", 1)[1]
    if "None are tracked" in gaps:  # the known_bad cases of the catalogue are strict xfails too
        assert not any(json.loads(line).get("known_bad") for path in (ROOT / "tests/data/bad_inputs").glob("*.jsonl")
                       for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        assert xfails == []


# ------------------------------------------------------------------ 10. networks, LaTeX, control characters, explosive work
# Each case runs in a child process under RLIMIT_AS / RLIMIT_CPU (tests/bounded.py): it must end
# with exit 2 and one message, or a correct result, inside the bounds.


@pytest.mark.parametrize("args, needles", [
    (["eval", "--chain", "Linear(100000->100000) -> ReLU -> Linear(1)", "--init", "random", "--at", "x=[1]"],
     ["W1 of this chain would have 10,000,000,000 entries", "the limit is 10,000,000"]),
    (["eval", "--chain", "Linear(20000) -> Linear(20000)", "--init", "random", "--at", "x=[1, 2]"],
     ["W2 of this chain would have 400,000,000 entries"]),
    (["eval", "--chain", "Linear(3000) -> Linear(3000) -> Linear(3000)", "--init", "0.5", "--at", "x=[1, 2]"],
     ["this network would have 18,015,000 parameters; the limit is 10,000,000"]),
])
def test_network_size_is_checked_before_any_parameter_is_made(args, needles):

    one_message(cli_bounded(*args, memory_mb=700, cpu_seconds=30), *needles)


def test_spec_with_random_init_is_checked_before_any_parameter_is_made(tmp_path):

    (tmp_path / "big.toml").write_text('[network]\nchain = "Linear(20000) -> Linear(20000)"\ninit = "random"\n'
                                       "[values]\nx = [1, 2]\n", encoding="utf-8")
    one_message(cli_bounded("eval", "--spec", str(tmp_path / "big.toml"), memory_mb=700, cpu_seconds=30),
                 "W2 of this chain would have 400,000,000 entries")


def test_network_parameter_limit_counts_from_the_chain(monkeypatch):
    monkeypatch.setattr(network, "MAX_PARAMETERS", 16)
    with pytest.raises(LimitError, match="the limit is 16"):
        network.from_chain("Linear(2->4) -> Linear(4->1)", {"x": [1, 2]}, init=0.5)  # W1 8, b1 4, W2 4, b2 1
    with pytest.raises(LimitError) as info:
        network.from_chain("Linear(2->4) -> Linear(4->1)", {"x": [1, 2]}, init=0.5, max_parameters=16)
    assert info.value.message == "this network would have 17 parameters; the limit is 16 (the largest is W1, 4 × 2)"
    network.from_chain("Linear(2->4) -> Linear(4->1)", {"x": [1, 2]}, init=0.5, max_parameters=17)


def test_the_app_refuses_big_networks_before_making_them():

    code = ("from graphviz_nn.page import netview\n"
            "from graphviz_nn.errors import LimitError\n"
            "form = netview.SpecForm(chain='Linear(2->3000) -> ReLU -> Linear(3000->3000) -> Linear(3000->1)',"
            " init='random', values_text='x = [1, 2]')\n"
            "try:\n    netview.network(form)\nexcept LimitError as err:\n    print(err.message)\n"
            "spec = '[network]\\nchain = \"Linear(2->3000) -> Linear(3000->3000)\"\\ninit = \"random\"\\n"
            "[values]\\nx = [1, 2]\\n'\n"
            "try:\n    netview.read_spec(spec)\nexcept LimitError as err:\n    print(err.message)\n")
    done = python_bounded(code, memory_mb=500, cpu_seconds=30)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == ["this network would have 9,015,001 parameters; the limit is 100,000 (the largest is W2, 3,000 × 3,000)",
                     "this network would have 9,012,000 parameters; the limit is 100,000 "
                     "(the largest is W2, 3,000 × 3,000)"]


def test_app_caches_key_long_value_texts_by_digest():
    """A network's weights reach the page caches as short keys; the values are the same."""
    from graphviz_nn.page import evaluations as pipeline, keys as pipeline_keys, netview

    form = netview.SpecForm(chain="Linear(2->40) -> ReLU -> Linear(40->40) -> Linear(40->1)", init="random", seed=3,
                            values_text="x = [1, 2]")
    net = netview.network(form)
    values = netview.program_values(net)
    assert max(len(raw) for _, raw in values) > pipeline_keys.LONG_VALUE_CHARS
    merged = pipeline.with_defaults(net.program, values)
    assert max(len(raw) for _, raw in merged) <= pipeline_keys.LONG_VALUE_CHARS
    res = pipeline.cached_evaluation(net.program, merged)
    assert np.array_equal(res.values["W2"], net.values["W2"])
    assert float(res.value[0]) == pytest.approx(float(net.evaluate().value[0]), rel=1e-12)


def test_app_memory_stays_bounded_over_seed_changes():
    """Twelve seed changes of a network at the app's parameter limit fit in a fixed memory bound."""

    code = ("from graphviz_nn.page import netview, view as pipeline\n"
            "from graphviz_nn.draw.options import RenderOptions\n"
            "for seed in range(12):\n"
            "    form = netview.SpecForm(chain='Linear(2->310) -> ReLU -> Linear(310->310) -> Linear(310->1)',"
            " init='random', seed=seed, values_text='x = [1, 2]')\n"
            "    net = netview.network(form)\n"
            "    view = pipeline.build_view(net.program, netview.program_values(net), RenderOptions(), None)\n"
            "    assert view.issue is None, view.issue\n"
            "print('ok')\n")
    done = python_bounded(code, memory_mb=1200, cpu_seconds=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


SECRET = "SECRET-MARKER-4711"
HOSTILE_TEX = ["\\input secret ", "\\input{secret}", "\\loop\\iftrue\\repeat", "\\def\\a{\\a}\\a",
               "\\catcode`\\^^M=13 ", "^^5cinput secret", "\x00\x07\x1b[31m\x0b\uffff"]


@pytest.mark.parametrize("command", [
    ["render", "x_{\\input secret } = 3\ny = x_{\\input secret } * 2", "--edge-text", "both", "-o", "leak.tex"],
    ["worksheet", "x_{\\input secret } = 3\ny = x_{\\input secret } * 2", "-o", "ws.tex"],
    ["explain", "y = x_{\\loop\\iftrue\\repeat} * 2", "--wrt", "x", "--latex"],
])
def test_latex_commands_cannot_be_typed_into_a_name(tmp_path, command):

    done = cli_bounded(*command, memory_mb=1024, cpu_seconds=30, cwd=tmp_path)
    one_message(done, "a backslash in a subscript")
    assert not list(tmp_path.iterdir())


def _hostile_evaluation():
    """A graph whose names, constant label and title hold TeX that reads a file or never ends:
    names the grammar can no longer make, put in directly to test the writers' escaping."""
    res = gnn.evaluate("y = x_1 * 2 + w_1\nL = sin(y)", {"x_1": 3, "w_1": 0.5})
    graph = res.graph
    inputs = graph.graph["inputs"]
    graph.nodes[inputs["x_1"]]["name"] = "x_" + HOSTILE_TEX[0]
    graph.nodes[inputs["w_1"]]["name"] = HOSTILE_TEX[2]
    named = [n for n, d in graph.nodes(data=True) if d.get("name") == "y"]
    graph.nodes[named[0]]["name"] = "y_" + HOSTILE_TEX[3]
    const = [n for n, d in graph.nodes(data=True) if d.get("kind") == "constant"]
    graph.nodes[const[0]]["label"] = HOSTILE_TEX[1]
    return res


@needs_layout
@pytest.mark.skipif(not shutil.which("pdflatex"), reason="no pdflatex")
@pytest.mark.parametrize("edge_text", ["both", "formula", None])
def test_compiled_tikz_never_reads_a_file_the_user_names(tmp_path, edge_text):
    """pdflatex -no-shell-escape in a folder holding secret.tex: the log and the PDF's text never
    show it, and pdflatex finishes inside a CPU bound (a TeX loop would be killed)."""

    tex = export_bytes(_hostile_evaluation(), "tex",
                       RenderOptions(title=" ".join(HOSTILE_TEX[:-1]), edge_text=edge_text)).decode("utf-8")
    (tmp_path / "secret.tex").write_text(SECRET + "\n", encoding="utf-8")
    (tmp_path / "graph.tex").write_text(tex, encoding="utf-8")
    done = run_bounded(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "graph.tex"],
                       memory_mb=2048, cpu_seconds=60, cwd=tmp_path)
    log = (tmp_path / "graph.log").read_text(encoding="latin-1")
    assert done.returncode == 0, log[-3000:]
    assert "secret.tex" not in log and SECRET not in log
    text = subprocess.run(["pdftotext", str(tmp_path / "graph.pdf"), "-"], capture_output=True, text=True).stdout
    assert SECRET not in text
    assert "input secret" in text.replace("\n", " ")  # shown as text, not run


def test_latex_name_writers_escape_names_the_grammar_cannot_make():
    from graphviz_nn.draw import tikz
    from graphviz_nn.explain import captions, chainrule

    for write in (captions.latex_name, chainrule.latex_name, tikz.latex_name):
        for raw in HOSTILE_TEX:
            out = write("x_" + raw)
            assert "\\input" not in out and "\\loop" not in out and "\\def" not in out and "\\catcode" not in out
            assert "^^" not in out and not any(ord(ch) < 32 or ord(ch) > 126 for ch in out), (write, out)


CONTROL = ["\u0007", "\u0000", "\u001b[2J", "\u000b", "\uffff", "\u202e", "\u0085"]


@pytest.mark.parametrize("where", ["title", "names"])
@pytest.mark.parametrize("char", CONTROL)
def test_control_characters_in_a_spec_are_refused_withone_message(tmp_path, where, char):

    quoted = json.dumps(f"a{char}b")  # TOML reads JSON's \\uXXXX escapes
    text = f"title = {quoted}" if where == "title" else f"names = {{ W1 = {quoted} }}"
    (tmp_path / "spec.toml").write_text(f'[network]\nchain = "Linear(1->1)"\n{text}\n'
                                        "[values]\nx = 1\nW1 = 2\nb1 = 0\n", encoding="utf-8")
    for command in (["eval", "--spec", "spec.toml"], ["render", "--spec", "spec.toml", "-o", "g.svg"]):
        done = cli_bounded(*command, memory_mb=1024, cpu_seconds=30, cwd=tmp_path)
        one_message(done, "holds the control character U+")
        assert not errors_visible(done.stderr), repr(done.stderr)
        assert not (tmp_path / "g.svg").exists()


def errors_visible(text: str) -> list[str]:
    """Characters a terminal would act on (escape sequences, bells, overrides) in ``text``."""
    from graphviz_nn.errors import UNPRINTABLE

    return UNPRINTABLE.findall(text.replace("\n", ""))


def test_error_lines_never_echo_control_characters():

    done = cli_bounded("eval", "x + \x1b[31my\x07", "--at", "x=1", memory_mb=1024, cpu_seconds=30)
    one_message(done, "unknown character '\\x1b' at column 5", "  x + ?[31my?\n      ^")
    assert not errors_visible(done.stderr)


@pytest.mark.parametrize("length", [301, 200_000])
def test_long_titles_are_refused_withone_message(tmp_path, length):

    (tmp_path / "spec.toml").write_text(f'[network]\nchain = "Linear(1->1)"\ntitle = "{"t" * length}"\n'
                                        "[values]\nx = 1\nW1 = 2\nb1 = 0\n", encoding="utf-8")
    done = cli_bounded("render", "--spec", "spec.toml", "-o", "g.svg", memory_mb=1024, cpu_seconds=30, cwd=tmp_path)
    one_message(done, f"spec.toml: the title is {length:,} characters; the limit is 300")
    with pytest.raises(RenderError, match=f"the title is {length:,} characters; the limit is 300"):
        RenderOptions(title="t" * length)
    assert network.parse_spec(f'[network]\nchain = "Linear(1->1)"\ntitle = "{"t" * 300}"\n'
                              "[values]\nx = 1\nW1 = 2\nb1 = 0\n").title == "t" * 300


@needs_layout
def test_drawings_survive_control_characters_in_labels():
    """Labels that reach the drawing another way (the API) are shown with U+FFFD, never a
    Graphviz syntax error."""
    res = gnn.evaluate("y = x * 2", {"x": 3})
    node = res.inputs["x"]
    res.graph.nodes[node]["label"] = "".join(CONTROL) + "<b>"
    svg = export_bytes(res, "svg", RenderOptions()).decode("utf-8")
    ET.fromstring(svg)
    assert "\ufffd" in svg and "\x1b" not in svg and "\x00" not in svg
    with pytest.raises(RenderError, match="the title holds the control character U\\+0007 at position 2"):
        RenderOptions(title="a\u0007")


# ------------------------------------------------------------------ 6. work that explodes on short inputs


def test_gradient_check_of_a_large_input_is_sampled_and_bounded():
    """36 s before (20,000 forward passes); now a sample, inside a CPU bound, agreeing with backprop."""

    x = json.dumps([round(i / 10_000, 4) for i in range(10_000)])
    done = cli_bounded("eval", "sum(sin(x)*cos(x) + tanh(x)^2 + sigmoid(x)*x)", "--at", f"x={x}", "--check",
                       "--json", memory_mb=1024, cpu_seconds=20)
    assert done.returncode == 0, done.stderr
    check = json.loads(done.stdout)["gradient_check"]["x"]
    picked = check["checked_entries"]
    assert 10 <= len(picked) < 10_000 and picked[0] == 0 and picked[-1] == 9_999
    xs = np.array([i / 10_000 for i in picked])
    s = 1 / (1 + np.exp(-xs))
    oracle = np.cos(2 * xs) + 2 * np.tanh(xs) * (1 - np.tanh(xs) ** 2) + s * (1 - s) * xs + s  # d/dx by hand
    np.testing.assert_allclose(check["backprop"], oracle, rtol=1e-9)
    np.testing.assert_allclose(check["numeric"], oracle, rtol=1e-5, atol=1e-7)


def test_gradient_check_spends_at_most_its_work(monkeypatch):
    from graphviz_nn.core import gradcheck

    res = gnn.evaluate("y = sum(x * w) + sum(w^2) + b", {"x": list(range(300)), "w": [0.5] * 300, "b": 1})
    calls = []
    real = gradcheck.forward_output
    monkeypatch.setattr(gradcheck, "forward_output", lambda g, v: calls.append(1) or real(g, v))
    per_pass = gradcheck.forward_cost(res.graph)
    report = gradcheck.gradient_check(res.graph, res.values, work=100 * per_pass)
    assert len(calls) * per_pass <= 100 * per_pass
    assert report["b"].checked is None and report["x"].checked is not None
    for name in report:  # every checked entry agrees with backprop
        backprop, numeric, error = report[name]
        np.testing.assert_allclose(numeric, backprop, rtol=1e-5, atol=1e-6)
    full = gradcheck.gradient_check(res.graph, res.values)  # the default work checks all 601 entries
    assert all(entry.checked is None for entry in full.values())


DEAD_BRANCH = "\n".join(["b0 = x"] + [f"b{i} = b{i - 1}*b{i - 1} + b{i - 1}" for i in range(1, 17)] + ["y = x*2"])
LIVE_BRANCH = "\n".join(["b0 = x"] + [f"b{i} = b{i - 1}*b{i - 1} + b{i - 1}" for i in range(1, 17)])


def test_chain_rule_skips_statements_that_never_reach_the_output():

    assert len(DEAD_BRANCH) < 320
    done = cli_bounded("explain", DEAD_BRANCH, "--at", "x=0.1", "--wrt", "x", memory_mb=1024, cpu_seconds=20)
    assert done.returncode == 0, done.stderr
    assert "∂y/∂x: 1 path\n" in done.stdout and "∂y/∂x = 2\n" in done.stdout


def test_chain_rule_counts_paths_before_listing_them():
    from graphviz_nn.explain.chainrule import count_paths, explain

    done = cli_bounded("explain", LIVE_BRANCH, "--at", "x=0.1", "--wrt", "x", memory_mb=1024, cpu_seconds=30)
    assert done.returncode == 0, done.stderr
    assert "∂b16/∂x: 43,046,721 paths (too many to list; the first 64 follow)" in done.stdout  # 3^16
    res = gnn.evaluate("b1 = x*x + x\nb2 = b1*b1 + b1\ny = b2*b2 + x", {"x": 0.5})
    output = res.graph.graph["output"]
    rule = explain(res, ["x"], max_paths=100)[0]
    assert count_paths(res.graph, res.inputs["x"], output) == rule.count == len(rule.paths) == 3 * 3 * 2 + 1
    x = 0.5  # the gradient is still the engine's: d/dx of (x² + x)² ... by hand
    b1, db1 = x * x + x, 2 * x + 1
    b2, db2 = b1 * b1 + b1, (2 * b1 + 1) * db1
    assert float(rule.total) == pytest.approx(2 * b2 * db2 + 1)


@needs_layout
def test_a_failed_layout_is_remembered_not_rerun(monkeypatch):
    import subprocess as sp

    from graphviz_nn.layout import kept, program

    runs = []
    real = sp.run

    def counting(*args, **kwargs):
        runs.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(program.subprocess, "run", counting)
    kept.close_all()  # with dot, drawings go to a kept process (layout/kept.py): none is open yet
    started = kept.started()
    res = gnn.evaluate("x^x^x * 3", {"x": 1.5})
    options = RenderOptions(timeout=1e-6, title="failing layout")
    for _ in range(3):
        with pytest.raises(RenderError, match="did not finish laying out the graph within 1e-06 s"):
            export_bytes(res, "svg", options)
    assert len(runs) + kept.started() - started == 1
    assert export_bytes(res, "svg", RenderOptions(title="failing layout")).startswith(b"<?xml")  # another run works
    for i in range(program.KEEP_FAILURES + 5):  # the memory of failures is bounded
        with pytest.raises(RenderError):
            program.run_layout(f"digraph {{ n{i} [label=<", "svg", timeout=30)
    assert len(program._FAILURES) <= program.KEEP_FAILURES


def test_no_error_message_carries_an_escape_sequence_to_the_terminal(tmp_path):

    (tmp_path / "spec.toml").write_text('[network]\nchain = "Linear(1->1)"\n"\\u001b[2Jx" = 1\n'
                                        "[values]\nx = 1\nW1 = 2\nb1 = 0\n", encoding="utf-8")
    done = cli_bounded("eval", "--spec", "spec.toml", memory_mb=1024, cpu_seconds=30, cwd=tmp_path)
    one_message(done, "unknown key(s) in [network]: ?[2Jx")
    assert not errors_visible(done.stderr)
