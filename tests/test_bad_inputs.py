"""The catalogue of bad inputs (tests/data/bad_inputs/*.jsonl): each case raises the expected
error class with exactly the expected message (``err.render()``, caret line included).

Every case the CLI can express also goes through it, in this interpreter (``cli.main`` with
captured output): exit code 2, the same message on stderr, no traceback; one goes through a
subprocess as a smoke test of the console entry point.

Cases marked ``known_bad`` hold a message a student would not understand (or a crash); they run
as ``xfail(strict=True)`` so the suite notices when the lead fixes them. The format is described
in tests/data/bad_inputs/README.md. To add cases, append lines without ``error``/``message``
and run ``python tests/test_bad_inputs.py --fill``; then read every new message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import graphviz_nn as gnn
from graphviz_nn import errors
from graphviz_nn.cli import main as cli
from graphviz_nn.networks import network
from graphviz_nn.language.values import parse_assignment

DATA = Path(__file__).parent / "data" / "bad_inputs"
ROOT = Path(__file__).resolve().parent.parent
KINDS = ("expression", "program", "spec", "chain", "at")


def load_cases() -> list[dict[str, Any]]:
    """Every case, with ``file`` and ``line`` added for its test id."""
    cases = []
    for path in sorted(DATA.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                case = json.loads(line)
                case["file"], case["line"] = path.stem, number
                cases.append(case)
    return cases


def run_case(case: dict[str, Any]) -> None:
    """Feed one case to the code under test; it is expected to raise."""
    kind = case["kind"]
    values = case.get("values")
    if kind in ("expression", "program"):
        gnn.evaluate(case["input"], values, **case.get("limits", {}))
    elif kind == "spec":
        network.parse_spec(case["input"]).evaluate()
    elif kind == "chain":
        opts = case.get("options", {})
        network.from_chain(case["input"], values, **opts).evaluate()
    elif kind == "at":
        parse_assignment(case["input"])
    else:
        raise AssertionError(f"unknown kind {kind!r}")


def outcome(case: dict[str, Any]) -> tuple[str, str]:
    """(error class name, rendered message); ``("", "")`` when nothing was raised."""
    try:
        run_case(case)
    except errors.GnnError as err:
        return type(err).__name__, err.render()
    except Exception as exc:  # noqa: BLE001 - a crash is what the catalogue records
        return type(exc).__name__, str(exc)
    return "", ""


CASES = load_cases()


def _param(case: dict[str, Any]):
    marks = []
    if case.get("known_bad"):
        marks.append(pytest.mark.xfail(strict=True, reason=case["known_bad"]))
    return pytest.param(case, id=f"{case['file']}:{case['line']}", marks=marks)


def test_catalogue_is_large_and_well_formed():
    assert len(CASES) >= 200
    for case in CASES:
        assert case["kind"] in KINDS, case
        assert "error" in case and "message" in case, f"run --fill: {case}"
        assert case["error"] or case.get("known_bad"), f"not an error: {case}"
        assert set(case) <= {"kind", "input", "values", "limits", "options", "error", "message",
                              "known_bad", "note", "file", "line"}, case
    inputs = [(c["kind"], c["input"], json.dumps(c.get("values"), sort_keys=True),
               json.dumps(c.get("limits"), sort_keys=True), json.dumps(c.get("options"), sort_keys=True))
              for c in CASES]
    assert len(inputs) == len(set(inputs)), "duplicate cases"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case):
    if not case["error"]:  # a known-bad case whose fix is to accept the input
        run_case(case)
        return
    cls = getattr(errors, case["error"], None)
    assert cls is not None and issubclass(cls, errors.GnnError), f"{case['error']} is not one of our errors"
    with pytest.raises(errors.GnnError) as info:
        run_case(case)
    err = info.value
    assert type(err) is cls
    assert err.render() == case["message"]


# ------------------------------------------------------------------------------ the CLI


def _cli_args(case: dict[str, Any], folder: Path | None) -> list[str] | None:
    """The command line for a case, or None when the CLI cannot express it; the input files
    are written to ``folder`` (not written when it is None)."""
    if case.get("limits") or case.get("known_bad"):
        return None
    kind = case["kind"]
    at = []
    for name, value in (case.get("values") or {}).items():
        at += ["--at", f"{name}={value if isinstance(value, str) else json.dumps(value)}"]
    if kind in ("expression", "program"):
        if folder is not None:
            (folder / "input.txt").write_text(case["input"], encoding="utf-8")
        return ["eval", "--file", "input.txt", *at]
    if kind == "spec":
        if folder is not None:
            (folder / "spec.toml").write_text(case["input"], encoding="utf-8")
        return ["eval", "--spec", "spec.toml"]
    if kind == "chain":
        opts = case.get("options", {})
        if set(opts) - {"loss", "bias", "init"} or not isinstance(opts.get("init", ""), str):
            return None
        args = ["eval", "--chain", case["input"], *at]
        for key in ("loss", "bias", "init"):
            if key in opts:
                args += [f"--{key}", opts[key]]
        return args
    if kind == "at":
        return ["eval", "x", "--at", case["input"]]
    return None


CLI_CASES = [c for c in CASES if not c.get("limits") and not c.get("known_bad")]


def test_the_cli_can_express_most_cases():
    expressible = [c for c in CLI_CASES if _cli_args(c, None) is not None]
    assert len(expressible) >= 200
    assert {c["kind"] for c in expressible} >= {"expression", "program", "spec", "chain", "at"}


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """``graphviz-nn ARGS`` in this interpreter: (exit code, stdout, stderr)."""
    try:
        code = cli.main(args)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c['file']}:{c['line']}") for c in CLI_CASES
                                  if _cli_args(c, None) is not None])
def test_cli_reports_catalogue_errors(case, tmp_path, monkeypatch, capsys):
    """Exit code 2, ``error: <message>`` as the only stderr line(s), no traceback, nothing on
    stdout (in-process: ``cli.main`` with captured output)."""
    monkeypatch.chdir(tmp_path)
    args = _cli_args(case, tmp_path)
    code, out, err = run_cli(args, capsys)
    where = f"{case['file']}:{case['line']} {args}"
    assert "Traceback" not in err and "internal error" not in err, where
    assert code == 2, f"{where}: exit {code}\n{err}"
    assert err == f"error: {case['message']}\n", f"{where}\n{err}"
    assert out == "", where


def test_cli_in_a_subprocess_exits_2_with_one_message(tmp_path):
    """One case end to end through ``python -m graphviz_nn``: the console path the others skip."""
    case = next(c for c in CLI_CASES if c["kind"] == "spec")
    args = _cli_args(case, tmp_path)
    done = subprocess.run([sys.executable, "-m", "graphviz_nn", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"error: {case['message']}\n"


# ------------------------------------------------------------------------------ filling


def fill() -> None:
    """Fill ``error`` and ``message`` of cases that lack them (existing ones are kept)."""
    for path in sorted(DATA.glob("*.jsonl")):
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            if "message" not in case:
                case["error"], case["message"] = outcome(case)
                if not case["error"]:
                    print(f"{path.name}: no error for {case['input']!r}")
            lines.append(json.dumps(case, ensure_ascii=False))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--fill"]:
        fill()
    else:
        print(__doc__)
