"""The command line: `python -m graphviz_nn eval ...` run in a subprocess."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESIGN = "sin(xy)/z + e^<xz>/(xy)"
AT_123 = ["--at", "x=1", "--at", "y=2", "--at", "z=3"]

# f = sin(xy)/z + e^{xz}/(xy) and its gradients at (1, 2, 3), derived by hand
F_123 = math.sin(2) / 3 + math.exp(3) / 2
GRAD_123 = {
    "x": 2 * math.cos(2) / 3 + math.exp(3),
    "y": math.cos(2) / 3 - math.exp(3) / 4,
    "z": -math.sin(2) / 9 + math.exp(3) / 2,
}


def run(*args: str, command=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = command or [sys.executable, "-m", "graphviz_nn"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )


def run_json(*args: str) -> dict:
    proc = run(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)  # exactly one JSON object, nothing else on stdout


# --------------------------------------------------------------------------------------
# Readable table
# --------------------------------------------------------------------------------------

def test_eval_table():
    proc = run("eval", DESIGN, *AT_123)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "10.3" in out  # the output value 10.3459...
    for word in ("x", "y", "z", "sin", "exp"):
        assert word in out
    assert len(out.strip().splitlines()) >= 10  # one row per node at least
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------

def test_eval_json_shape_and_values():
    data = run_json("eval", DESIGN, *AT_123)
    assert set(data) >= {"canonical", "output", "gradients", "nodes", "edges"}
    assert data["canonical"] == "((sin((x * y)) / z) + (exp((x * z)) / (x * y)))"
    assert set(data["output"]) >= {"name", "value"}
    assert data["output"]["value"] == pytest.approx(F_123, rel=1e-12)
    assert data["gradients"] == pytest.approx(GRAD_123, rel=1e-12)

    nodes = data["nodes"]
    assert [n["id"] for n in nodes] == [f"n{i}" for i in range(10)]
    for n in nodes:
        assert set(n) >= {"id", "label", "kind", "op", "value", "grad", "shape"}
        assert n["kind"] in ("input", "constant", "op")
        assert n["shape"] == []
    inputs = {n["label"]: n for n in nodes if n["kind"] == "input"}
    assert set(inputs) == {"x", "y", "z"}
    assert inputs["x"]["op"] is None
    assert inputs["x"]["value"] == 1.0
    assert inputs["y"]["value"] == 2.0
    for name, grad in GRAD_123.items():
        assert inputs[name]["grad"] == pytest.approx(grad, rel=1e-12)
    assert all(isinstance(n["op"], str) for n in nodes if n["kind"] == "op")

    edges = data["edges"]
    assert len(edges) == 12
    ids = {n["id"] for n in nodes}
    for e in edges:
        assert set(e) >= {"source", "target", "arg", "local"}
        assert e["source"] in ids and e["target"] in ids
        assert isinstance(e["arg"], int)
        assert int(e["source"][1:]) < int(e["target"][1:])


def test_eval_json_agrees_with_api():
    import graphviz_nn as gnn

    data = run_json("eval", DESIGN, *AT_123)
    api = gnn.evaluate(DESIGN, {"x": 1, "y": 2, "z": 3}).to_json()
    assert json.loads(json.dumps(api)) == data


def test_eval_json_local_derivatives_of_a_product():
    # w = x*y at x=2, y=5: d w/d x = y = 5, d w/d y = x = 2
    data = run_json("eval", "x*y", "--at", "x=2", "--at", "y=5")
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    local = {labels[e["source"]]: e["local"] for e in data["edges"]}
    assert local == {"x": 5.0, "y": 2.0}
    assert data["output"]["value"] == 10.0
    assert data["gradients"] == {"x": 5.0, "y": 2.0}


def test_at_with_json_arrays():
    data = run_json("eval", "sum(W x)", "--at", "W=[[1, 2], [3, 4]]", "--at", "x=[1, 1]")
    assert data["output"]["value"] == 10.0
    assert data["gradients"]["W"] == [[1.0, 1.0], [1.0, 1.0]]
    assert data["gradients"]["x"] == [4.0, 6.0]
    shapes = {n["label"]: n["shape"] for n in data["nodes"] if n["kind"] == "input"}
    assert shapes == {"W": [2, 2], "x": [2]}


def test_array_output_as_nested_lists():
    data = run_json("eval", "W x", "--at", "W=[[1, 2], [3, 4]]", "--at", "x=[1, -1]")
    assert data["output"]["value"] == [-1.0, -1.0]
    assert data["canonical"] == "(W @ x)"


NONFINITE = [
    ("log(x)", "x=0", "-inf", "inf"),
    ("1/x", "x=0", "inf", "-inf"),
    ("x/x", "x=0", "nan", None),
]


@pytest.mark.parametrize(("text", "at", "value", "grad"), NONFINITE)
def test_nonfinite_numbers_as_strings(text, at, value, grad):
    data = run_json("eval", text, "--at", at)
    assert data["output"]["value"] == value
    if grad is not None:
        assert data["gradients"]["x"] == grad


def test_nonfinite_entries_inside_arrays():
    data = run_json("eval", "log(x)", "--at", "x=[0, 1]")
    assert data["output"]["value"] == ["-inf", 0.0]
    assert data["gradients"]["x"] == ["inf", 1.0]


def test_table_has_value_and_gradient_columns():
    proc = run("eval", "x*y", "--at", "x=2", "--at", "y=5")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    x_rows = [r for r in rows if r and r[0] == "x"]
    assert x_rows, proc.stdout
    assert any(r[:4] == ["×", "x", "×", "y"] for r in rows), proc.stdout  # formula by names
    assert "2" in x_rows[0] and "5" in x_rows[0]  # value of x and d(xy)/dx


def test_file_program(tmp_path):
    path = tmp_path / "net.gnn"
    path.write_text(
        "# seed 004\n"
        "x = 1\n"
        "y = 2  # an input defined by its value\n"
        "z = 3\n"
        "a = x*y + z\n"
        "b = (x + x)*a\n"
        "w = a*b\n",
        encoding="utf-8",
    )
    data = run_json("eval", "--file", str(path))
    assert data["output"]["value"] == 50.0
    assert data["output"]["name"] == "w"
    assert data["gradients"] == {"x": 90.0, "y": 20.0, "z": 20.0}
    assert data["canonical"] == "x = 1; y = 2; z = 3; a = ((x * y) + z); b = ((x + x) * a); w = (a * b)"


def test_file_with_at_override_values(tmp_path):
    path = tmp_path / "p.gnn"
    path.write_text("a = x*y + z\nb = (x + x)*a\nw = a*b\n", encoding="utf-8")
    data = run_json("eval", "--file", str(path), *AT_123)
    assert data["output"]["value"] == 50.0


def test_console_script():
    exe = Path(sys.executable).parent / "graphviz-nn"
    if not exe.exists():
        exe = shutil.which("graphviz-nn")
    if not exe:
        pytest.skip("graphviz-nn console script not installed")
    proc = run("eval", "x*y", "--at", "x=2", "--at", "y=5", "--json", command=[str(exe)])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["output"]["value"] == 10.0


# --------------------------------------------------------------------------------------
# Errors: exit code 2, one message on stderr, a caret, never a traceback
# --------------------------------------------------------------------------------------

def assert_clean_failure(proc):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert "Traceback" not in proc.stdout
    assert proc.stderr.strip()


@pytest.mark.parametrize(
    ("text", "at", "message", "column"),
    [
        ("sin(x)) + 1", ["--at", "x=1"], "unexpected ')'", 7),
        ("x $ y", ["--at", "x=1", "--at", "y=1"], "unknown character '$'", 3),
        ("sin(x + 1", ["--at", "x=1"], "unclosed '('", 4),
        ("foo(x)", ["--at", "x=1"], "unknown function 'foo'", 1),
    ],
)
def test_syntax_error_with_caret(text, at, message, column):
    proc = run("eval", text, *at)
    assert_clean_failure(proc)
    lines = proc.stderr.splitlines()
    assert any(message in line for line in lines)
    echoed = [i for i, line in enumerate(lines) if line.strip() == text]
    assert echoed, proc.stderr
    i = echoed[0]
    source_start = lines[i].index(text)
    caret_line = lines[i + 1]
    assert caret_line.strip().startswith("^")
    assert caret_line.index("^") - source_start + 1 == column


def test_missing_inputs_listed_by_name():
    proc = run("eval", "x*y + z", "--at", "y=1")
    assert_clean_failure(proc)
    assert "missing values for inputs: x, z" in proc.stderr


def test_missing_inputs_with_json():
    proc = run("eval", "x*y + z", "--json")
    assert_clean_failure(proc)
    assert "x, y, z" in proc.stderr


@pytest.mark.parametrize("at", ["x=abc", "x=[1, 2", "x", "x=[[1, 2], [3]]"])
def test_bad_value_is_a_clean_error(at):
    proc = run("eval", "x + 1", "--at", at)
    assert_clean_failure(proc)


def test_shape_error_is_clean():
    proc = run("eval", "W x", "--at", "W=[[1, 2, 3], [4, 5, 6]]", "--at", "x=[1, 2]")
    assert_clean_failure(proc)
    assert "2×3" in proc.stderr


def test_missing_file_is_clean(tmp_path):
    proc = run("eval", "--file", str(tmp_path / "nope.gnn"))
    assert_clean_failure(proc)
    assert "nope.gnn" in proc.stderr


def test_error_in_file_names_the_line(tmp_path):
    path = tmp_path / "bad.gnn"
    path.write_text("x = 1\na = x*2\na = x + 1\n", encoding="utf-8")
    proc = run("eval", "--file", str(path))
    assert_clean_failure(proc)
    assert "'a' is assigned twice" in proc.stderr
    assert "line 3, column 1" in proc.stderr


def test_deep_nesting_is_clean():
    proc = run("eval", "(" * 50_000 + "x" + ")" * 50_000, "--at", "x=1")
    assert proc.returncode in (0, 2)
    assert "Traceback" not in proc.stderr
    assert "RecursionError" not in proc.stderr
