"""The Streamlit page through streamlit.testing.v1.AppTest (no browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apphelp import current_graph, open_tab, player
from graphviz_nn.page.examples import list_examples

st_testing = pytest.importorskip("streamlit.testing.v1")
AppTest = st_testing.AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
#: Longest one script run may take. Only a bound: a run ends when the script does. The first
#: run in a test worker (imports, the first drawing) took over 60 s on a CI machine loaded with
#: the whole suite and the browser tests on two cores.
RUN_SECONDS = 240


def start(**query: str) -> "AppTest":
    at = AppTest.from_file(APP, default_timeout=RUN_SECONDS)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def graph(at: "AppTest") -> str:
    """The drawn SVG of the current graph (not the greyed one): the step player's finished frame."""
    return current_graph(at)


def texts(at: "AppTest") -> str:
    return "\n".join(m.value for m in at.markdown)


def test_default_page_renders() -> None:
    at = start()
    assert not at.exception
    assert not at.error
    assert at.text_area(key="text").value == "x^2 + 3xy"
    svg = graph(at)
    assert "<svg" in svg and "<?xml" not in svg
    # x = 2, y = 1 by default: f = 10, df/dx = 7, df/dy = 6.
    assert "f = 10" in texts(at) and "∂f/∂x = 7" in texts(at) and "∂f/∂y = 6" in texts(at)
    assert "= 10" in svg and "= 7" in svg
    assert "**Download step 15**" in texts(at)  # the finished graph: 8 nodes, the seed, 6 edges from inputs
    assert len(at.get("download_button")) == 5 + 4  # this step, all steps (code, worksheet, plot: when opened)


def test_editing_the_expression_and_a_value_changes_the_graph() -> None:
    at = start()
    before = graph(at)
    at.text_area(key="text").set_value("x*y + y").run()
    assert not at.exception and not at.error
    after_text = graph(at)
    assert after_text != before
    # x = 2, y = 1: 3; then y = 4: 2*4 + 4 = 12, df/dx = y = 4, df/dy = x + 1 = 3.
    assert "f = 3" in texts(at)
    at.number_input(key="num:y").set_value(4).run()
    assert "f = 12" in texts(at) and "∂f/∂x = 4" in texts(at) and "∂f/∂y = 3" in texts(at)
    assert graph(at) != after_text
    assert at.query_params["expr"] == ["x*y + y"] or at.query_params["expr"] == "x*y + y"


def test_the_player_holds_every_step_and_the_step_it_reports_sets_the_downloads() -> None:
    at = start()
    data = player(at)
    n = data["n"]
    assert n == 15 and len(data["steps"]) == n + 1 and len(data["drawing"]["frames"]) == n + 1
    assert data["steps"][3]["plain"] == "x^2 = 2^2 = 4"  # the third forward step
    assert "= 4" in current_graph(at, 3) and "= 4" not in current_graph(at, 2)
    assert current_graph(at, 3) != current_graph(at, 4) != graph(at)
    at.session_state["player"] = 3  # what the player sends once stepping rests at step 3
    at.run()
    assert not at.exception
    assert "**Download step 3**" in texts(at)
    assert player(at) == data  # the same data again: the player keeps its step and view
    at.session_state["player"] = 99
    at.run()
    assert f"**Download step {n}**" in texts(at)  # clamped
    at.number_input(key="num:y").set_value(4).run()
    assert f"**Download step {n}**" in texts(at)  # new values start at the finished graph


def test_a_pass_longer_than_a_step_sequence_plays() -> None:
    text = "\n".join(["a1 = sin(x)"] + [f"a{i} = sin(a{i - 1})" for i in range(2, 201)])  # 403 frames
    at = start()
    at.text_area(key="text").set_value(text).run()
    assert not at.exception and not at.error
    data = player(at)
    assert data is not None and data["n"] == 402 and len(data["drawing"]["frames"]) == 403
    assert "<svg" in current_graph(at, 201) and "**Download step 402**" in texts(at)


def test_a_bad_expression_shows_the_error_and_keeps_the_last_graph() -> None:
    at = start()
    good = graph(at)
    at.text_area(key="text").set_value("x + * y").run()
    assert not at.exception
    assert at.text_area(key="text").value == "x + * y"  # the user's text stays
    message = at.error[0].value
    assert "column 5" in message and "x + * y" in message
    lines = message.splitlines()
    line = next(i for i, s in enumerate(lines) if s.strip() == "x + * y")
    assert lines[line + 1].index("^") == lines[line].index("*")
    stale = [m.value for m in at.markdown if 'data-state="stale"' in m.value]
    assert len(stale) == 1 and "grayscale" in stale[0]
    labels = lambda svg: re.findall(r">([^<>]*)</text>", svg)  # noqa: E731  (the drawing's words)
    assert labels(stale[0]) == labels(good) and "= 10" in labels(good)
    assert at.number_input(key="num:x").value == 2  # the value fields survive the typo
    at.text_area(key="text").set_value("x + y").run()
    assert not at.error and "f = 3" in texts(at)


def test_shape_and_value_errors_are_explained_in_words() -> None:
    at = start()
    at.text_area(key="text").set_value("W @ v").run()  # both default to scalars
    assert at.error and not at.exception
    assert any("shape" in i.value.lower() for i in at.info)
    at.text_area(key="text").set_value("v = [1, 2]\nv @ v").run()
    assert not at.error and "f = 5" in texts(at)  # 1*1 + 2*2
    at.text_input(key="val:v").set_value("[1, oops]").run()
    assert at.error and not at.exception
    assert any("JSON array" in i.value for i in at.info)


def test_the_url_reproduces_a_view() -> None:
    at = start(expr="a*b", v_a="3", v_b="5")
    assert at.text_area(key="text").value == "a*b"
    assert "f = 15" in texts(at) and "∂f/∂a = 5" in texts(at)


EXAMPLES = list_examples()


@pytest.mark.skipif(not EXAMPLES, reason="no examples yet")
def test_each_example_loads() -> None:
    """Programs go into the text box, layer specs into the network form; all draw."""
    at = start()
    titles = at.selectbox(key="example").options
    assert len(titles) == len(EXAMPLES)
    assert {ex.kind for ex in EXAMPLES} == {"program", "spec"}
    for example in EXAMPLES:
        at.selectbox(key="example").set_value(example.title).run()
        assert not at.exception, example.slug
        assert not at.error, (example.slug, [e.value for e in at.error])
        if example.kind == "spec":
            assert at.radio(key="mode").value == "Layer network", example.slug
            assert at.text_input(key="net_chain").value in example.text
        else:
            assert at.radio(key="mode").value == "Expression or program", example.slug
            assert at.text_area(key="text").value == example.text
        assert "<svg" in graph(at)


def test_read_as_shows_the_reading_and_the_bracketed_form() -> None:
    at = start()
    assert "**Read as** `x^2 + 3·x·y`" in texts(at)
    assert any("Fully bracketed: " in c.value for c in at.caption)


def test_chain_rule_tab_highlights_the_paths() -> None:
    at = start()
    at.multiselect(key="targets").set_value(["y"]).run()
    assert not at.exception
    drawn = [m.value for m in at.markdown if 'data-state="paths"' in m.value]
    assert len(drawn) == 1
    assert drawn[0].count('class="edge arg path"') == 3  # y -> x·y -> 3·x·y -> f
    assert "stroke-dasharray" in drawn[0]


def test_worksheet_tab_checks_answers_with_hints() -> None:
    at = start()  # x^2 + 3xy at x = 2, y = 1: df/dx = 7, df/dy = 6
    assert not [m for m in at.markdown if 'data-state="worksheet"' in m.value]  # made when its tab opens
    open_tab(at, "Worksheet")
    assert not at.exception
    sheet = [m.value for m in at.markdown if 'data-state="worksheet"' in m.value]
    assert len(sheet) == 1 and "____ (1)" in sheet[0]
    boxes = {t.label.split(") ", 1)[1]: t for t in at.text_input if t.key and t.key.startswith("ws_answer:")}
    assert "∂f/∂x" in boxes and "∂f/∂y" in boxes
    x_label, y_label = boxes["∂f/∂x"].label, boxes["∂f/∂y"].label  # "(k) ∂f/∂x", numbered as drawn
    boxes["∂f/∂x"].set_value("7").run()
    at.text_input(key=[t.key for t in at.text_input if t.label == y_label][0]).set_value("5").run()
    shown = texts(at)
    assert f"✓ {x_label}" in shown
    assert f"✗ {y_label}" in shown and "hint: ∂f/∂y = ∂f/∂(x·y) · ∂(x·y)/∂y = ∂f/∂(x·y) · x" in shown.replace("\\", "")


def test_function_plot_tab_draws_f_and_its_derivative() -> None:
    at = start()  # x^2 + 3xy: plotted against x with y = 1
    assert not any("f(x) = " in c.value for c in at.caption)  # made when its tab opens
    open_tab(at, "Function plot")
    assert not at.exception
    assert any("f(x) = x^2 + 3xy" in c.value for c in at.caption)
    keys = {b.key for b in at.get("download_button")}
    assert {"plot_svg", "plot_png"} <= keys
    at.selectbox(key="plot_preset").set_value("ReLU").run()
    assert not at.exception
    assert any("f(x) = relu(x)" in c.value for c in at.caption)
    assert at.selectbox(key="plot_var").options == ["x"]


def test_constant_gradients_toggle_adds_the_constants_backward_steps() -> None:
    at = start()  # x^2 + 3xy: 8 nodes, the seed, 6 edges out of nodes that depend on an input
    assert player(at)["n"] == 8 + 1 + 6
    at.toggle(key="constant_grads").set_value(True).run()
    assert not at.exception and not at.error
    assert player(at)["n"] == 8 + 1 + 8  # the exponent 2 and the factor 3 get one each
    assert "∂f/∂x = 7" in texts(at)


def test_a_power_of_one_warns_with_its_caret_in_a_code_block() -> None:
    at = start()
    at.text_area(key="text").set_value("w^1 x").run()
    assert not at.exception and not at.error
    shown = [w.value for w in at.warning if "layer index" in w.value]
    assert len(shown) == 1 and "```text\n  w^1 x\n  ^^^\n```" in shown[0]


def test_the_server_forces_no_full_collection_after_each_run() -> None:
    """Streamlit's forced full garbage collection after every run of the script cost the server
    more CPU per value change than the rest of its work for that run: it is switched off."""
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False


def test_a_reported_step_makes_no_second_view(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the player on the page, the view of the step it reports is the whole pass's view at
    that step: the run asks for no view of its own (one worker call less per run), and the
    step's downloads are that step's."""
    import graphviz_nn.ui.player as ui_player

    at = start()  # x^2 + 3xy: 15 steps
    asked: list[int | None] = []
    real = ui_player.build_view
    monkeypatch.setattr(ui_player, "build_view", lambda text, values, options, step, **kw:
                        asked.append(step) or real(text, values, options, step, **kw))
    at.session_state["player"] = 4  # what the player sends once stepping rests
    at.run()
    assert not at.exception
    assert asked and all(step is None for step in asked), asked
    assert "**Download step 4**" in texts(at)
    assert {"download_svg_step4", "download_png_step4"} <= {b.key for b in at.get("download_button")}
