"""The merge switch and the extra downloads (code, neuron view) on the page, through AppTest.
What the files hold is checked without Streamlit in tests/test_page_exports.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from apphelp import current_graph, open_code
from graphviz_nn.page.examples import list_examples

st_testing = pytest.importorskip("streamlit.testing.v1")
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def start(**query: str) -> "st_testing.AppTest":
    at = st_testing.AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def graph(at: "st_testing.AppTest") -> str:
    """The finished frame of the step player."""
    return current_graph(at)


def download_keys(at: "st_testing.AppTest") -> set[str]:
    return {b.key for b in at.get("download_button")}


def test_the_merge_switch_draws_a_tree_with_the_same_numbers() -> None:
    at = start(expr="sin(x)*sin(x) + x", v_x="0.5")
    assert not at.exception and not at.error
    assert at.toggle(key="merge").value is True
    summary = [m.value for m in at.markdown if "∂f/∂x" in m.value]
    assert graph(at).count("op sin") == 1  # sin(x) computed once, used twice
    at.toggle(key="merge").set_value(False).run()
    assert not at.exception and not at.error
    assert graph(at).count("op sin") == 2  # a tree: each written sin(x) its own node
    # d/dx (sin²x + x) at 0.5 = sin(1) + 1 = 1.841: the same either way
    assert [m.value for m in at.markdown if "∂f/∂x" in m.value] == summary
    assert "∂f/∂x = 1.841" in summary[0].replace("\\", "")


def test_the_code_downloads_sit_beside_the_graph() -> None:
    at = start()
    assert any(e.label.startswith("Export as code") for e in at.expander)
    assert not {"download_code_numpy", "download_code_torch"} & download_keys(at)  # made when opened
    open_code(at)
    assert not at.exception
    assert {"download_code_numpy", "download_code_torch"} <= download_keys(at)


def test_the_neuron_view_has_its_downloads() -> None:
    at = start()
    title = next(ex.title for ex in list_examples() if ex.slug == "cmu_alpha_beta" and ex.kind == "spec")
    at.selectbox(key="example").set_value(title).run()
    assert not {k for k in download_keys(at) if k.startswith("download_neurons_")}
    at.radio(key="net_view").set_value("Neurons").run()
    assert not at.exception and not at.error
    keys = download_keys(open_code(at))
    assert {f"download_neurons_{fmt}" for fmt in ("svg", "png", "pdf", "dot")} <= keys
    assert {"download_code_numpy", "download_code_torch"} <= keys
