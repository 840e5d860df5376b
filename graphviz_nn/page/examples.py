"""The example problems the app offers, read from the repository's ``examples/`` folder.

``examples/*.gnn`` are programs whose first ``#`` comment line is the title;
``examples/*.toml`` are layer specs whose ``[network]`` table has the title.

>>> example = read_example(EXAMPLES_DIR / "cs231n_simple.gnn")
>>> example.slug, example.kind
('cs231n_simple', 'program')
>>> read_example(EXAMPLES_DIR / "cmu_alpha_beta.toml").kind
'spec'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["EXAMPLES_DIR", "Example", "read_example", "list_examples"]

#: The repository's ``examples/`` folder (beside the package, not inside it).
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Example:
    """One example problem: ``slug`` is the file stem, ``title`` its first comment line (a
    spec's ``[network]`` title), ``kind`` is ``program`` (``.gnn``) or ``spec`` (``.toml``)."""

    slug: str
    title: str
    text: str
    kind: str = "program"


def read_example(path: Path) -> Example:
    """Read one ``.gnn`` or ``.toml`` file; the title is a spec's ``title``, else the first
    ``#`` comment line, else the file stem."""
    import tomllib

    text = path.read_text(encoding="utf-8")
    title = path.stem.replace("_", " ")
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and stripped.lstrip("#").strip():
            title = stripped.lstrip("#").strip()
            break
    kind = "spec" if path.suffix == ".toml" else "program"
    if kind == "spec":
        try:
            title = str(tomllib.loads(text).get("network", {}).get("title") or title)
        except tomllib.TOMLDecodeError:
            pass  # the app reports the error when the example is picked
        title = f"{title} (layer spec)"
    return Example(path.stem, title, text.strip("\n") + "\n", kind)


def list_examples(directory: Path | None = None) -> list[Example]:
    """Every ``*.gnn`` program, then every ``*.toml`` layer spec, in ``directory`` (default: the
    repository's ``examples/``), each by file name."""
    directory = EXAMPLES_DIR if directory is None else Path(directory)
    if not directory.is_dir():
        return []
    return [read_example(path) for pattern in ("*.gnn", "*.toml") for path in sorted(directory.glob(pattern))]
