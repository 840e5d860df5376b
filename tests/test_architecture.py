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
STAGES = ("language", "core", "networks", "notation", "explain", "draw", "layout", "export", "cli", "page", "ui")
MAX_LINES = 400
APP = ROOT / "app.py"
APP_MAX_LINES = 100

#: Distribution name -> the top-level module it provides, where the two differ.
IMPORT_NAME = {"pillow": "PIL", "graphviz-pure": None}
#: Declared runtime packages that no module imports, and why they are declared anyway.
NOT_IMPORTED = {"graphviz-pure": "ships the graphviz-pure layout program that layout/program.py runs"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_from_target(node: ast.ImportFrom, package: str) -> str:
    """The absolute module a ``from … import`` statement inside ``package`` reads from."""
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path) -> list[tuple[str, int]]:
    """Package modules imported anywhere in ``path`` (function bodies included), with lines."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            target = _import_from_target(node, package)
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


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in [*PKG.rglob("*.py"), APP]
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_app_py_only_wires_the_ui_stage():
    """``app.py`` is a short script over :mod:`graphviz_nn.ui`: the widgets live in the package."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    lines = len(APP.read_text(encoding="utf-8").splitlines())
    assert lines <= APP_MAX_LINES, f"app.py has {lines} lines"
    reached = [node.module if isinstance(node, ast.ImportFrom) else alias.name
               for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               for alias in node.names]
    package = [m for m in reached if m and m.startswith("graphviz_nn")]
    assert package and all(m == "graphviz_nn.ui" or m.startswith("graphviz_nn.ui.") for m in package), package
    defined = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert defined == ["main"], defined


def test_only_the_ui_stage_imports_streamlit():
    """The page's functions stay pure (testable without Streamlit); widgets live in ``ui/``."""
    found = []
    for path in PKG.rglob("*.py"):
        if path.relative_to(PKG).parts[0] == "ui":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] == "streamlit"]
    assert found == []


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reaches(source: str, module: str, is_package: bool = False) -> list[str]:
    """Where ``source`` (the text of ``module``) uses a private name (``_x``, not ``__x__``) of
    another package module: ``from graphviz_nn.m import _x``, or ``m._x`` on a name it imported
    from the package (a module, a class or a function)."""
    package = module if is_package else module.rsplit(".", 1)[0]
    tree = ast.parse(source)
    imported: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _import_from_target(node, package)
            if not target.startswith("graphviz_nn"):
                continue
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"{node.lineno}: from {target} import {alias.name}")
                imported.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            imported |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("graphviz_nn")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in imported:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_reaches_another_modules_private_name():
    """A name with a leading underscore belongs to its module; what another module needs is made
    public (and documented) there. Tests may look inside."""
    found = [f"{path.relative_to(ROOT)}:{hit}" for path in PKG.rglob("*.py")
             for hit in private_reaches(path.read_text(encoding="utf-8"), _module_name(path),
                                        path.name == "__init__.py")]
    found += [f"app.py:{hit}" for hit in private_reaches(APP.read_text(encoding="utf-8"), "app")]
    assert found == [], "\n".join(found)


def test_the_private_name_check_finds_each_form():
    """The check above on a module that reaches in every way it knows, beside uses it allows."""
    source = ("from graphviz_nn.page.evaluations import _prepared_for\n"
              "from ..page import budget as b\nfrom . import keys\nimport graphviz_nn.page.view\n"
              "from os import _exit\nimport numpy as np\n"
              "b.WORKER_MEMORY\nkeys._x\ngraphviz_nn.page.view._draw.cache_info\nb.__name__\nnp._core\n")
    hits = [hit.split(": ", 1)[1] for hit in private_reaches(source, "graphviz_nn.ui.example")]
    assert hits == ["from graphviz_nn.page.evaluations import _prepared_for", "keys._x",
                    "graphviz_nn.page.view._draw"]
