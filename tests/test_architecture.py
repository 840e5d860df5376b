"""The package's shape: stage subpackages, imports that point one way, dependencies that match.

The layer order itself is an import-linter contract in ``pyproject.toml`` (``make test`` runs
``lint-imports``); these tests add what it does not check: no cycle anywhere, function-level
imports included, and ``pyproject.toml`` declaring exactly what the code imports.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "graphviz_nn"
STAGES = ("language", "core", "networks", "notation", "explain", "draw", "layout", "export", "cli", "page")
MAX_LINES = 400

#: Distribution name -> the top-level module it provides, where the two differ.
IMPORT_NAME = {"pillow": "PIL", "graphviz-pure": None}
#: Declared runtime packages that no module imports, and why they are declared anyway.
NOT_IMPORTED = {"graphviz-pure": "ships the graphviz-pure layout program that layout/program.py runs"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Package modules imported anywhere in ``path`` (function bodies included), with lines."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("graphviz_nn"):
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                is_module = (ROOT / (candidate.replace(".", "/") + ".py")).exists() or \
                    (ROOT / candidate.replace(".", "/") / "__init__.py").exists()
                found.append((candidate if is_module else target, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("graphviz_nn")]
    return found


def import_graph() -> nx.DiGraph:
    """Module -> imported module, over every ``.py`` file of the package except package facades."""
    graph = nx.DiGraph()
    for path in PKG.rglob("*.py"):
        if path.name == "__init__.py":
            continue  # facades re-export; importing a facade is not a dependency cycle by itself
        module = _module_name(path)
        graph.add_node(module)
        for target, line in _imports(path):
            if target != module and not target.endswith("__init__"):
                graph.add_edge(module, target, line=line)
    return graph


def test_the_stages_are_subpackages():
    for stage in STAGES:
        assert (PKG / stage / "__init__.py").exists(), stage
    flat = sorted(p.name for p in PKG.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "errors.py"], flat
    assert (PKG / "ops" / "__init__.py").exists()  # the op registry, below every stage


def test_no_import_cycle_function_level_imports_included():
    graph = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == [], "\n".join(
        f"{a} -> {b} (line {graph.edges[a, b]['line']})" for c in cycles for a, b in graph.subgraph(c).edges)


def test_no_subpackage_imports_the_package_facade():
    for path in PKG.rglob("*.py"):
        if path.parent == PKG:
            continue
        for target, line in _imports(path):
            assert target != "graphviz_nn", f"{path.relative_to(ROOT)}:{line} imports the package facade"


def _third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in list(PKG.rglob("*.py")) + [ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "graphviz_nn":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _declared_runtime() -> dict[str, str | None]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = {}
    for spec in meta["project"]["dependencies"]:
        dist = spec.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            dist = dist.split(sep)[0]
        dist = dist.strip().lower()
        names[dist] = IMPORT_NAME.get(dist, dist.replace("-", "_"))
    return names


def test_every_third_party_import_is_declared():
    declared = {module for module in _declared_runtime().values() if module}
    missing = {m: sorted(paths) for m, paths in _third_party_imports().items() if m not in declared}
    assert missing == {}, f"imported but not in [project] dependencies: {missing}"


def test_every_declared_runtime_package_is_imported():
    imported = set(_third_party_imports())
    unused = [dist for dist, module in _declared_runtime().items()
              if dist not in NOT_IMPORTED and module not in imported]
    assert unused == [], f"declared in [project] dependencies but never imported: {unused}"


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_has_a_docstring_saying_what_it_holds(stage):
    doc = ast.get_docstring(ast.parse((PKG / stage / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 5, stage


def test_one_engine_runs_every_production_path():
    """``gnn.evaluate`` is ``prepare(...).evaluate()`` (the compiled schedule); the per-node
    engine's passes are called only by the reference evaluator the tests compare against."""
    import graphviz_nn as gnn
    from graphviz_nn.core import prepared, schedule

    assert gnn.evaluate is prepared.evaluate
    res = gnn.evaluate("x^2 + 3xy", {"x": 2, "y": 1})
    assert isinstance(res.trace, schedule.Trace)
    assert (res.value, res.gradients) == (10.0, {"x": 7.0, "y": 6.0})
    callers = []
    for path in PKG.rglob("*.py"):
        if path.name in ("engine.py", "reference.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("forward", "backward") and \
                    isinstance(node.value, ast.Name) and node.value.id == "engine":
                callers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert callers == []
