"""Layer networks in the app (issue 5) and the chain-rule panels (issue 6).

The pure functions of graphviz_nn.page.netview first, then the page through AppTest. Expected
numbers come from the seed sheets (MIT 6.390 recitation 8, CMU 10-301 recitation 5, Mazur's
worked example) or by hand, never from the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.ipc
import pytest

from apphelp import current_graph, open_tab
from graphviz_nn.page import netview
from graphviz_nn.errors import GnnError
from graphviz_nn.page.netview import SpecForm

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SPECS = sorted(EXAMPLES.glob("*.toml"))


def spec_form(stem: str) -> SpecForm:
    return netview.read_spec((EXAMPLES / f"{stem}.toml").read_text(encoding="utf-8"), f"{stem}.toml")


def values_of(form: SpecForm) -> dict:
    return dict(netview.network(form).values)


# --------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_example_spec_reads_into_a_form_and_back(path: Path) -> None:
    form = netview.read_spec(path.read_text(encoding="utf-8"), path.name)
    again = netview.read_spec(netview.spec_toml(form), "again.toml")
    assert again == form
    a, b = values_of(form), values_of(again)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_the_alpha_beta_spec_gives_the_sheets_numbers() -> None:
    # CMU 10-301 recitation 5: yhat = 7, l = 8, dl/dbeta = [4 12 8], dl/dalpha = [[4 4 8], [8 8 16]].
    form = spec_form("cmu_alpha_beta")
    assert dict(form.names) == {"W1": "alpha", "W2": "beta"}
    res = netview.network(form).evaluate()
    assert float(res.value) == 8.0
    assert res.gradients["W2"].tolist() == [[4, 12, 8]]
    assert res.gradients["W1"].tolist() == [[4, 4, 8], [8, 8, 16]]


def test_one_step_on_the_mit_chain_moves_w1_from_3_to_0_6() -> None:
    # MIT 6.390 recitation 8: L = (g - y)^2 = (5 - 2)^2 = 9, dL/dw1 = 24, w1 = 3 - 0.1 * 24 = 0.6.
    form = spec_form("mit_4layer_chain")
    result = netview.take_steps(form, 0.1, 1)
    assert result.losses[0] == 9.0 and len(result.losses) == 2
    assert "W1 = 0.6\n" in result.form.values_text + "\n"
    assert float(np.ravel(values_of(result.form)["W1"])[0]) == pytest.approx(0.6)
    assert result.form.chain == form.chain and result.form.loss == form.loss
    two = netview.take_steps(result.form, 0.1, 1)
    assert two.losses[0] == pytest.approx(result.losses[1])


def test_mazur_step_matches_the_published_update() -> None:
    # Mazur: E_total = 0.298371109; w5 = 0.35891648 after one step with eta = 0.5.
    result = netview.take_steps(spec_form("mazur_2_2_2"), 0.5, 1)
    assert result.losses[0] == pytest.approx(0.298371109, abs=1e-9)
    assert values_of(result.form)["W2"][0][0] == pytest.approx(0.35891648, abs=1e-8)


BAD_SPECS = [
    ("[network]\nchain = \"Linear(2->2) -> ReLU\"\n[values]\nx = [1, 2\n", "TOML"),
    ("[network]\nloss = \"mse\"\n", "chain"),
    ("[network]\nchain = \"Linear(2->2) -> Wiggle\"\n[values]\nx = [1, 2]\n", "Wiggle"),
    ("[network]\nchain = \"Linear(2->1)\"\ncolour = 3\n[values]\nx = [1, 2]\n", "colour"),
    ("[network]\nchain = \"Linear(2->1)\"\n[values]\nx = [1, 2]\nW1 = [[1, 2, 3]]\nb1 = [0]\n", "W1"),
]


@pytest.mark.parametrize("text, word", BAD_SPECS)
def test_a_bad_spec_is_a_gnn_error_with_a_message(text: str, word: str) -> None:
    with pytest.raises(GnnError) as info:
        netview.read_spec(text, "bad.toml")
    assert word in info.value.render()


def test_form_errors_point_into_the_chain() -> None:
    form = SpecForm(chain="Linear(2->2) -> Wiggle", values_text="x = [1, 2]", init="random")
    with pytest.raises(GnnError) as info:
        netview.network(form)
    lines = info.value.render().splitlines()
    row = next(i for i, line in enumerate(lines) if line.strip() == form.chain)
    assert lines[row + 1].index("^") == lines[row].index("Wiggle")
    with pytest.raises(GnnError):
        netview.network(SpecForm(chain="Linear(2->1)", values_text="x = [1, 2", init="random"))
    with pytest.raises(GnnError):
        netview.parse_init("sometimes")


def test_random_init_fills_missing_parameters_with_the_seed() -> None:
    form = SpecForm(chain="Linear(2->3) -> Tanh -> Linear(3->1)", loss="mse", init="random", seed=7,
                    values_text="x = [1, -1]\ny = 0.5")
    values = values_of(form)
    assert np.shape(values["W1"]) == (3, 2) and np.shape(values["W2"]) == (1, 3)
    assert np.array_equal(values_of(form)["W1"], values["W1"])


def test_values_toml_round_trips_through_toml() -> None:
    import tomllib

    values = {"x": [1.0, -0.5], "W1": np.array([[0.1 + 0.2, 3.0]]), "y": 2.0, "big": 1e-7}
    back = tomllib.loads(netview.values_toml(values))
    assert back["x"] == [1, -0.5] and back["y"] == 2 and back["W1"][0][1] == 3
    assert back["W1"][0][0] == pytest.approx(0.3, abs=1e-15) and back["big"] == pytest.approx(1e-7)


def test_neuron_view_draws_small_networks_and_explains_big_ones() -> None:
    small = netview.neuron_view(spec_form("cmu_alpha_beta"))
    assert small.svg.lstrip().startswith(("<?xml", "<svg")) and not small.message
    big = SpecForm(chain="Linear(40->30) -> ReLU -> Linear(30->1)", init="random",
                   values_text="x = [" + ", ".join(["1"] * 40) + "]")
    view = netview.neuron_view(big)
    assert not view.svg and "computation-graph" in view.message


# --------------------------------------------------------------------------- the page

st_testing = pytest.importorskip("streamlit.testing.v1")
APP = str(ROOT / "app.py")


def start() -> "st_testing.AppTest":
    return st_testing.AppTest.from_file(APP, default_timeout=240).run()  # a bound on one run, not a wait


def load(at: "st_testing.AppTest", slug: str, kind: str = "spec") -> "st_testing.AppTest":
    """Pick ``examples/<slug>.toml`` (or the ``.gnn`` program) from the examples menu."""
    from graphviz_nn.page.examples import list_examples

    title = next(ex.title for ex in list_examples() if ex.slug == slug and ex.kind == kind)
    return at.selectbox(key="example").set_value(title).run()


def plain(at: "st_testing.AppTest") -> str:
    """Every markdown text with the markdown escapes taken out."""
    return "\n".join(m.value for m in at.markdown).replace("\\", "")


def table(at: "st_testing.AppTest", column: str, n: int = 0):  # -> pandas.DataFrame
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    return frames[n]


def test_the_alpha_beta_spec_shows_loss_8_and_its_gradients() -> None:
    at = load(start(), "cmu_alpha_beta")
    assert not at.exception and not at.error
    assert at.radio(key="mode").value == "Layer network"
    assert at.text_input(key="net_chain").value == "Linear(2->2) -> ReLU -> Linear(2->1)"
    assert at.selectbox(key="net_loss").value == "half_sse" and at.selectbox(key="net_bias").value == "folded"
    text = plain(at)
    assert "L = 8**" in text
    assert "∂L/∂β = [[4, 12, 8]]" in text and "∂L/∂α = [[4, 4, 8], [8, 8, 16]]" in text
    assert any("yhat = W2 [1, a1]" in c.value for c in at.code)  # the expanded program is shown
    assert "<svg" in current_graph(at)


def test_take_a_step_moves_w1_and_grows_the_loss_curve() -> None:
    at = load(start(), "mit_4layer_chain")
    assert "W1 = 3\n" in at.text_area(key="net_values").value
    before = current_graph(at)
    at.number_input(key="net_lr").set_value(0.1).run()
    at.button(key="net_step").click().run()
    assert not at.exception and not at.error
    assert "W1 = 0.6\n" in at.text_area(key="net_values").value
    assert at.session_state["net_losses"] == [9.0, pytest.approx(2.56)]  # (5 - 2)^2, then after the step
    assert current_graph(at) != before
    assert "Loss 9 before the first step" in plain(at)
    at.button(key="net_step").click().run()
    assert len(at.session_state["net_losses"]) == 3
    charts = [c.proto for c in at.get("vega_lite_chart") if '"loss"' in c.proto.spec]
    assert len(charts) == 1 and json.loads(charts[0].spec)["encoding"]["y"]["field"] == "loss"
    curve = pyarrow.ipc.open_stream(charts[0].data.data).read_all().column("loss").to_pylist()
    assert curve == at.session_state["net_losses"] and curve[:2] == [9.0, pytest.approx(2.56)]
    at.button(key="net_reset").click().run()
    assert "W1 = 3\n" in at.text_area(key="net_values").value and at.session_state["net_losses"] == []


def loss_chart(at: object) -> tuple[str, list[float]]:
    """The loss chart's spec text as sent to the browser, and the losses its data holds."""
    charts = [c.proto for c in at.get("vega_lite_chart") if '"loss"' in c.proto.spec]  # type: ignore[attr-defined]
    assert len(charts) == 1
    return charts[0].spec, pyarrow.ipc.open_stream(charts[0].data.data).read_all().column("loss").to_pylist()


def test_the_loss_chart_spec_stays_the_same_text_across_steps_and_only_its_data_grows() -> None:
    """The browser rebuilds a Vega view only when the spec text changes: it must not change with
    the number of steps (it did past 30 steps, when the points were dropped)."""
    at = load(start(), "cmu_alpha_beta")
    start_spec, start_curve = loss_chart(at)  # on the page before any step: the loss of the values
    assert start_curve == [8.0] and "Loss 8 with these values" in plain(at)  # the published l = 8
    at.number_input(key="net_lr").set_value(0.01).run()
    at.button(key="net_step").click().run()
    first_spec, first = loss_chart(at)
    assert first_spec == start_spec
    assert first == at.session_state["net_losses"] and first[0] == 8.0  # the published l = 8
    for _ in range(3):
        at.button(key="net_step10").click().run()
    assert not at.exception and not at.error
    spec, curve = loss_chart(at)
    assert len(curve) == 32 and curve == at.session_state["net_losses"] and curve[:2] == first
    assert spec == first_spec


def test_a_bad_upload_shows_an_error_and_keeps_the_graph_then_a_good_one_loads() -> None:
    at = load(start(), "cmu_alpha_beta")
    good = current_graph(at)
    at.file_uploader(key="spec_upload").set_value(("bad.toml", b"[network]\nchain = 3 ->\n", "application/toml"))
    at.run()
    assert not at.exception
    assert at.error and "bad.toml" in at.error[0].value and "TOML" in at.error[0].value
    assert current_graph(at) == good  # the form still holds the α/β network
    assert at.text_input(key="net_chain").value == "Linear(2->2) -> ReLU -> Linear(2->1)"
    spec = (EXAMPLES / "mit_4layer_chain.toml").read_bytes()
    at.file_uploader(key="spec_upload").set_value(("mit.toml", spec, "application/toml")).run()
    assert not at.error and "W1 = 3" in at.text_area(key="net_values").value
    assert "L = 9**" in plain(at)


def test_a_bad_chain_is_explained_and_the_last_graph_stays_greyed() -> None:
    at = load(start(), "cmu_alpha_beta")
    at.text_input(key="net_chain").set_value("Linear(2->2) -> Wiggle -> Linear(2->1)").run()
    assert not at.exception and at.error
    assert "Wiggle" in at.error[0].value
    assert [m for m in at.markdown if 'data-state="stale"' in m.value]
    at.text_input(key="net_chain").set_value("Linear(2->2) -> ReLU -> Linear(2->1)").run()
    assert not at.error and "L = 8**" in plain(at)


def test_neuron_view_switches_and_falls_back_for_big_networks() -> None:
    at = load(start(), "cmu_alpha_beta")
    graph_view = current_graph(at)
    at.radio(key="net_view").set_value("Neurons").run()
    assert not at.exception and not at.error
    neurons = current_graph(at)
    assert neurons != graph_view and "half_sse" in neurons
    at.text_input(key="net_init").set_value("random").run()
    at.text_input(key="net_chain").set_value("Linear(40->30) -> ReLU -> Linear(30->1)").run()
    at.text_area(key="net_values").set_value("x = [" + ", ".join(["1"] * 40) + "]\ny = 1").run()
    assert not at.exception and not at.error
    assert any("computation-graph" in i.value.replace("\\", "") for i in at.info)
    assert "<svg" in current_graph(at)  # the computation graph instead


def test_the_form_survives_a_trip_to_the_expression_mode() -> None:
    at = load(start(), "mit_4layer_chain")
    at.button(key="net_step").click().run()
    values = at.text_area(key="net_values").value
    at.radio(key="mode").set_value("Expression or program").run()
    assert at.text_area(key="text").value == "x^2 + 3xy"
    at.radio(key="mode").set_value("Layer network").run()
    assert at.text_area(key="net_values").value == values and len(at.session_state["net_losses"]) == 2


def test_the_chain_rule_panel_for_w1_and_w01() -> None:
    # MIT 6.390 recitation 8: one path of 9 factors, 6 * 1 * 1 * 1 * 1 * 1 * 4 * 1 * x = 24; w01 shares
    # every factor but the last (∂z1/∂w1 = x versus ∂z1/∂w01 = 1).
    at = load(start(), "mit_4layer_chain", "program")
    assert at.radio(key="mode").value == "Expression or program"
    at.multiselect(key="targets").set_value(["w1"]).run()
    assert not at.exception and not at.error
    factors = table(at, "shared")
    assert len(factors) == 9 and set(factors["path"]) == {1}
    assert list(factors["factor"])[0] == "∂L/∂g" and list(factors["formula"])[-1] == "x"
    assert np.prod([float(v) for v in factors["value"]]) == 24
    assert "∂L/∂w1 = 24**" in plain(at) and "∂L/∂w01 = 24**" not in plain(at)
    assert any(r"\frac{\partial z_{1}}{\partial w_{1}}" in l.value and "= 24" in l.value for l in at.latex)
    at.multiselect(key="targets").set_value(["w1", "w01"]).run()
    first, second = table(at, "shared", 0), table(at, "shared", 1)
    assert (first["shared"] == "●").sum() == 8 and first["shared"].iloc[-1] == ""
    assert (second["shared"] == "●").sum() == 8
    assert "∂L/∂w01 = 24**" in plain(at)


def test_two_paths_are_summed() -> None:
    # f = x*y + x at x = 2, y = 3: df/dx = y + 1 = 4 over two paths (y and 1).
    at = start()
    at.text_area(key="text").set_value("x*y + x").run()
    at.number_input(key="num:y").set_value(3).run()
    at.multiselect(key="targets").set_value(["x"]).run()
    factors = table(at, "shared")
    assert set(factors["path"]) == {1, 2}
    assert any("Path products: 3 + 1 = 4" in c.value for c in at.caption)


def test_gradient_check_and_edge_formulas() -> None:
    at = start()  # x^2 + 3xy at x = 2, y = 1: df/dx = 2x + 3y = 7, df/dy = 3x = 6
    assert not [d for d in at.dataframe if "finite difference" in d.value.columns]  # computed on demand
    open_tab(at, "Gradient check").button(key="gradcheck_run").click().run()
    check = table(at, "finite difference")
    assert list(check["input"]) == ["x", "y"] and list(check["backprop"]) == ["7", "6"]
    assert list(check["finite difference"]) == ["7", "6"] and set(check["agree"]) == {"✓"}
    assert all(float(e) < 1e-6 for e in check["relative error"])
    at.number_input(key="num:y").set_value(2).run()  # a new problem: asked for again
    assert not [d for d in at.dataframe if "finite difference" in d.value.columns]
    plain_graph = current_graph(at)
    assert not at.latex  # the edge formulas are made when their tab opens
    open_tab(at, "Edge formulas").radio(key="edge_mode").set_value("formula").run()
    latex = at.latex[-1].value
    assert r"2\,x" in latex and "= 4" not in latex  # d(x^2)/dx = 2x; no values
    formula_graph = current_graph(at)
    # the formula on the edges; only the last step's edge (x into x², d(x²)/dx = 2x) adds its value
    assert "local y" in formula_graph and "local y = 1" not in formula_graph
    assert "local 2 x = 4" in formula_graph
    at.radio(key="edge_mode").set_value("both").run()
    assert r"2\,x = 4" in at.latex[-1].value
    assert "local 2 x = 4" in current_graph(at)  # formula and value on the drawn edge
    assert plain_graph != formula_graph
