"""The app's pure pipeline, without Streamlit: values, gradients, errors, examples, exports.

Expected numbers are derived by hand (or taken from the seed sheets), never from the code
under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphviz_nn.page import evaluations, view as pipeline
from graphviz_nn.page import downloads as pipeline_downloads
from graphviz_nn.page import teach as pipeline_teach
from graphviz_nn.page.examples import EXAMPLES_DIR, Example, list_examples
from graphviz_nn.draw.options import RenderOptions
from graphviz_nn.errors import RenderError
from graphviz_nn.page.evaluations import input_fields
from graphviz_nn.page.view import build_view, inline_svg

# f = x^2 + 3xy at x=2, y=1: f = 4 + 6 = 10, df/dx = 2x + 3y = 7, df/dy = 3x = 6.
HAND = [
    ("x^2 + 3xy", {"x": "2", "y": "1"}, "10", {"x": "7", "y": "6"}),
    ("x^2 + 3xy", {"x": "1", "y": "2"}, "7", {"x": "8", "y": "3"}),
    # (x + y) z at x=-2, y=5, z=-4 (CS231n): f = -12, df/dx = df/dy = z = -4, df/dz = 3.
    ("(x + y) z", {"x": "-2", "y": "5", "z": "-4"}, "−12", {"x": "−4", "y": "−4", "z": "3"}),
    # x*y with vectors: sum is not involved, so use a dot product: w @ x = 1*3 + 2*4 = 11.
    ("w @ x", {"w": "[1, 2]", "x": "[3, 4]"}, "11", {"w": "[3, 4]", "x": "[1, 2]"}),
]


@pytest.mark.parametrize("text, values, value, grads", HAND)
def test_values_and_gradients_by_hand(text: str, values: dict, value: str, grads: dict) -> None:
    view = build_view(text, values, draw=False)
    assert view.issue is None
    assert view.value == value
    assert dict(view.gradients) == grads


def test_view_has_canonical_trace_table_and_captions() -> None:
    view = build_view("x^2 + 3xy", {"x": "2", "y": "1"})
    assert view.ok and view.canonical
    assert "x" in view.canonical and "y" in view.canonical
    assert view.n_steps == len(view.rows) > 0
    assert len(view.captions) == view.n_steps + 1  # step 0 is the bare graph
    assert view.step == view.n_steps  # no step given: the finished graph
    assert [r.step for r in view.rows] == list(range(1, view.n_steps + 1))
    assert view.rows[0].phase == "forward" and view.rows[-1].phase == "backward"
    assert view.svg.lstrip().startswith(("<?xml", "<svg"))
    assert ">10<" in view.svg.replace("= ", "").replace("=", "")  # the output value is drawn


def test_step_changes_the_drawing_and_caption() -> None:
    bare = build_view("x^2 + 3xy", {"x": "2", "y": "1"}, step=0)
    full = build_view("x^2 + 3xy", {"x": "2", "y": "1"})
    assert bare.step == 0 and bare.svg != full.svg
    assert bare.caption is not None and bare.caption.phase == "start"
    assert full.caption is not None and full.caption.phase == "backward"
    clamped = build_view("x^2 + 3xy", {"x": "2", "y": "1"}, step=10_000)
    assert clamped.step == full.n_steps


def test_defaults_make_a_new_expression_draw_at_once() -> None:
    fields = input_fields("sin(a b) + c")
    assert [f.name for f in fields] == ["a", "b", "c"]
    assert all(f.default for f in fields)
    assert len({f.default for f in fields}) == 3  # distinct, so products are easy to follow
    assert build_view("sin(a b) + c", {}, draw=False).ok


def test_program_defaults_fill_the_fields_and_user_values_override_them() -> None:
    text = "x = 1\nw = [[1, 2]]\nz = w @ [x, x]\n"
    fields = {f.name: f for f in input_fields(text)}
    assert fields["x"].default == "1" and not fields["x"].is_array
    assert fields["w"].is_array and fields["w"].default == "[[1, 2]]"
    # z = w @ [x, x] = 1*x + 2*x = 3x; with x = 2: 6, dz/dx = 3.
    view = build_view(text, {"x": "2"}, draw=False)
    assert view.value.strip("[]") == "6"
    assert dict(view.gradients)["x"] == "3"


ERRORS = [
    ("x*", {}, "syntax"),
    ("sin(x", {"x": "1"}, "syntax"),
    ("x $ y", {}, "syntax"),
    ("x*y", {"x": "2", "y": ""}, "missing"),
    ("x*y", {"x": "abc", "y": "1"}, "value"),
    ("W @ x", {"W": "[[1, 2], [3, 4]]", "x": "[1, 2, 3]"}, "shape"),
]


@pytest.mark.parametrize("text, values, kind", ERRORS)
def test_bad_input_comes_back_as_an_issue_never_an_exception(text: str, values: dict, kind: str) -> None:
    view = build_view(text, values)
    assert view.issue is not None
    assert view.issue.kind == kind
    assert view.issue.explanation
    assert "Traceback" not in view.issue.message
    assert not view.svg


def test_syntax_error_has_a_caret_under_the_column() -> None:
    view = build_view("x + * y", {})
    issue = view.issue
    assert issue is not None and issue.kind == "syntax" and issue.column == 5
    lines = issue.message.splitlines()
    assert lines[1].strip() == "x + * y"
    assert lines[2].index("^") == lines[1].index("*")


def test_missing_value_names_the_inputs() -> None:
    view = build_view("x*y + z", {"x": "1", "y": "", "z": " "}, draw=False)
    assert view.issue is not None and view.issue.names == ("y", "z")
    assert "y" in view.issue.explanation and "z" in view.issue.explanation


def test_nonfinite_results_are_explained_in_words() -> None:
    view = build_view("log(x)", {"x": "0"}, draw=False)
    assert view.ok
    assert view.value == "−inf"
    assert "not finite" in view.nonfinite and "log" in view.nonfinite
    assert build_view("log(x)", {"x": "1"}, draw=False).nonfinite == ""


def test_options_reach_the_renderer() -> None:
    lr = build_view("x*y", {"x": "2", "y": "3"}, RenderOptions(rankdir="LR"))
    tb = build_view("x*y", {"x": "2", "y": "3"}, RenderOptions(rankdir="TB"))
    no_grads = build_view("x*y", {"x": "2", "y": "3"}, RenderOptions(show_grads=False))
    assert lr.svg != tb.svg
    assert lr.svg != no_grads.svg
    # the page's options are the picture's: checked once, when made, never at draw time
    with pytest.raises(RenderError, match="unknown theme 'no-such-theme'; choose one of: lecture, micrograd, print"):
        RenderOptions(theme="no-such-theme")


def test_downloaded_svg_is_the_drawn_svg() -> None:
    values = {"x": "2", "y": "1"}
    options = RenderOptions()
    view = build_view("x^2 + 3xy", values, options, step=5)
    data = pipeline_downloads.export("x^2 + 3xy", values, options, 5, "svg")
    assert data.decode("utf-8") == view.svg


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("dot", b"digraph"),
                                        ("tex", b"tikzpicture")])
def test_every_download_format(fmt: str, magic: bytes) -> None:
    data = pipeline_downloads.export("x^2 + 3xy", {"x": "2", "y": "1"}, RenderOptions(), None, fmt)
    assert magic in data[:4000]


def test_inline_svg_strips_the_prolog_and_zooms() -> None:
    svg = '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- x -->\n<svg width="100pt" height="50pt" viewBox="0 0 100 50"><g/></svg>'
    out = inline_svg(svg, 150)
    assert out.startswith("<svg") and "<!" not in out and "<?" not in out
    assert 'width="150pt"' in out and 'height="75pt"' in out and 'viewBox="0 0 100 50"' in out
    assert inline_svg(svg, 100).startswith('<svg width="100pt"')


def test_example_loader(tmp_path: Path) -> None:
    (tmp_path / "b.gnn").write_text("# Second one\n# more\nx = 2\nx^2\n", encoding="utf-8")
    (tmp_path / "a.gnn").write_text("\n#   First   \ny = 1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("# ignored\n", encoding="utf-8")
    found = list_examples(tmp_path)
    assert [(e.slug, e.title) for e in found] == [("a", "First"), ("b", "Second one")]
    assert found[1].text == "# Second one\n# more\nx = 2\nx^2\n"
    assert list_examples(tmp_path / "missing") == []


EXAMPLES = list_examples()


@pytest.mark.skipif(not EXAMPLES, reason="no examples/*.gnn yet")
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.slug for e in EXAMPLES])
def test_every_example_evaluates_and_draws(example: Example) -> None:
    if example.kind == "spec":  # a layer spec: the app draws the program it expands into
        from graphviz_nn.page import netview

        net = netview.network(netview.read_spec(example.text, f"{example.slug}.toml"))
        view = build_view(net.program, netview.program_values(net), labels=netview.display_labels(net))
    else:
        view = build_view(example.text, {})
    assert view.issue is None, view.issue
    assert view.svg and view.n_steps > 0
    assert all(c.plain or c.step == 0 for c in view.captions)


def _example(slug: str) -> Example:
    found = [e for e in EXAMPLES if e.slug == slug]
    if not found:
        pytest.skip(f"examples/{slug}.gnn not present")
    return found[0]


def test_seed_000_four_layer_chain() -> None:
    # MIT 6.390 recitation 8: g = 5, L = (5 - 2)^2 = 9, dL/dw1 = dL/dw01 = 24.
    view = build_view(_example("mit_4layer_chain").text, {}, draw=False)
    grads = dict(view.gradients)
    assert view.value == "9"
    assert grads["w1"] == "24" and grads["w01"] == "24"


def test_seed_002_alpha_beta_network() -> None:
    # CMU 10-301 recitation 5: dl/dbeta = [4 12 8], dl/dalpha = [[4 4 8], [8 8 16]], l = 8.
    view = build_view(_example("cmu_alpha_beta").text, {}, draw=False)
    grads = dict(view.gradients)
    assert view.value in ("8", "[8]")  # yhat is β (1×3) @ [1, z]: a 1-vector
    assert grads["beta"] == "[[4, 12, 8]]"
    assert grads["alpha"] == "[[4, 4, 8], [8, 8, 16]]"


def test_seed_004_program() -> None:
    # a = xy + z = 5, b = 2x a = 10, w = ab = 50; dw/dx = b*y + a*(2a + 2x*y) = 20 + 5*(10+4) = 90,
    # dw/dy = b*x + a*2x*x = 10 + 10 = 20, dw/dz = b + a*2x = 10 + 10 = 20.
    view = build_view(_example("nyu_program").text, {}, draw=False)
    assert view.output == "w" and view.value == "50"
    assert dict(view.gradients) == {"x": "90", "y": "20", "z": "20"}


# --------------------------------------------------------------------------- layer specs and teaching panels


def test_examples_include_the_layer_specs() -> None:
    examples = list_examples()
    specs = {ex.slug: ex for ex in examples if ex.kind == "spec"}
    assert "cmu_alpha_beta" in specs and "mit_4layer_chain" in specs
    assert specs["cmu_alpha_beta"].title.startswith("CMU 10-301 recitation 5")
    assert all(ex.kind == "program" for ex in examples[: len(examples) - len(specs)])  # programs first


def test_display_labels_rename_inputs_in_the_summary_and_drawing() -> None:
    text = "L = (w x - y)^2"
    view = build_view(text, {"w": "2", "x": "3", "y": "1"}, labels=(("w", "alpha"),))
    assert dict(view.labels)["w"] == "α" and "α" in view.svg
    assert dict(view.gradients)["w"] == "30"  # 2 (wx - y) x = 2 * 5 * 3



def test_value_changes_reuse_the_compiled_text_and_match_a_fresh_read() -> None:
    """One text, values typed one after another (a bad one among them), labels on and off:
    each view holds the numbers by hand, as a fresh ``gnn.evaluate`` would."""
    text = "L = (w*x - y)^2"
    evaluations._PREPARED.clear()
    evaluations.cached_evaluation.cache_clear()  # earlier tests in this process may have evaluated it
    first = build_view(text, {"w": "2", "x": "3", "y": "1"}, draw=False)
    assert (first.value, dict(first.gradients)) == ("25", {"w": "30", "x": "20", "y": "−10"})
    assert len(evaluations._PREPARED) == 1
    bad = build_view(text, {"w": "2", "x": "[1, oops", "y": "1"}, draw=False)
    assert bad.issue is not None and bad.issue.kind == "value"
    later = build_view(text, {"w": "1", "x": "3", "y": "1"}, draw=True, labels=(("w", "alpha"),))
    # (w x - y)^2 = 4; d/dw = 2 (wx - y) x = 12, d/dx = 2 (wx - y) w = 4, d/dy = -4.
    assert (later.value, dict(later.gradients)) == ("4", {"w": "12", "x": "4", "y": "−4"})
    assert "α" in later.svg
    plain = build_view(text, {"w": "1", "x": "3", "y": "2"}, draw=True)
    assert "α" not in plain.svg and plain.value == "1"  # labels of one view never leak into the next
    assert len(evaluations._PREPARED) == 1  # the same names: no second read
    build_view("x^2 + 3xy", {"x": "2", "y": "1"}, draw=False)
    assert len(evaluations._PREPARED) == 2

CHAIN_RULE = [
    # (text, values, target, rows as (path, factor, formula, value), total) — derived by hand.
    ("z = w x + b\nL = z^2", {"w": "3", "x": "2", "b": "1"}, "w",
     [(1, "∂L/∂z", "2 z", "14"), (1, "∂z/∂w", "x", "2")], "28"),
    # f = x*y + x: two paths to x, products y = 3 and 1.
    ("x*y + x", {"x": "2", "y": "3"}, "x", [(1, "∂f/∂x", "y", "3"), (2, "∂f/∂x", "1", "1")], "4"),
]


@pytest.mark.parametrize("text, values, target, rows, total", CHAIN_RULE)
def test_chain_rule_panels_by_hand(text: str, values: dict, target: str, rows: list, total: str) -> None:
    panels, issue = pipeline_teach.chain_rule_panels(text, values, [target])
    assert issue is None and len(panels) == 1
    panel = panels[0]
    assert [(r.path, r.factor, r.formula, r.value) for r in panel.rows] == rows
    assert panel.total == total and panel.equation.endswith(f"= {total}\\end{{aligned}}")


def test_chain_rule_panels_mark_the_factors_two_targets_share() -> None:
    text = (Path(EXAMPLES_DIR) / "mit_4layer_chain.gnn").read_text(encoding="utf-8")
    (w1, w01), issue = pipeline_teach.chain_rule_panels(text, {}, ["w1", "w01"])
    assert issue is None
    assert len(w1.rows) == 9 and w1.products == ("24",) and w1.total == "24"  # MIT recitation 8
    assert w1.n_shared == 8 and not w1.rows[-1].shared and w1.rows[-1].formula == "x"
    assert w01.n_shared == 8 and w01.rows[-1].formula == "1"
    assert pipeline_teach.SHARED_COLOR in w1.equation
    _, bad = pipeline_teach.chain_rule_panels(text, {}, ["nope"])
    assert bad is not None and "nope" in bad.message


def test_gradient_check_rows_agree_with_hand_gradients() -> None:
    # x^2 y at x = 3, y = 2: df/dx = 2xy = 12, df/dy = x^2 = 9.
    rows, issue = pipeline_teach.gradient_check_rows("x^2 y", {"x": "3", "y": "2"})
    assert issue is None
    assert [(r.name, r.backprop, r.numeric, r.ok) for r in rows] == [("x", "12", "12", True), ("y", "9", "9", True)]
    assert all(float(r.relative_error) < 1e-6 for r in rows)
    rows, issue = pipeline_teach.gradient_check_rows("x +", {})
    assert rows == () and issue is not None and issue.kind == "syntax"


def test_edge_formulas_write_formula_value_or_both() -> None:
    values = {"x": "3", "y": "2"}  # d(x^2)/dx = 2x = 6, d(xy)/dx = y = 2
    formula, count = pipeline_teach.edge_formulas("x^2 + x y", values, "formula")
    value, _ = pipeline_teach.edge_formulas("x^2 + x y", values, "value")
    both, _ = pipeline_teach.edge_formulas("x^2 + x y", values, "both")
    assert count == 5  # x^2, x y and the sum; nothing flows back to the constant exponent 2
    assert r"&= 2\,x" in formula and "= 6" not in formula
    assert "&= 6" in value and r"2\,x" not in value
    assert r"2\,x = 6" in both and "y = 2" in both
    assert pipeline_teach.edge_formulas("x +", {}, "both") == ("", 0)


def test_the_app_limits_text_length_and_graph_size() -> None:
    from graphviz_nn.page.evaluations import APP_MAX_CHARS, APP_MAX_NODES
    from graphviz_nn.page.view import build_view

    long_text = "+".join(["x"] * (APP_MAX_CHARS // 2 + 2))
    view = build_view(long_text, {})
    assert view.issue is not None and view.issue.kind == "limit"
    assert view.issue.message == f"input is {len(long_text):,} characters; the limit is {APP_MAX_CHARS:,}"
    assert APP_MAX_NODES == 50_000


def test_a_view_with_display_labels_evaluates_once():
    """Drawing a view reuses the evaluation its tables were made from (the drawing used to be
    keyed by the display labels, so it missed the cache and evaluated a second time)."""
    text, labels = "x = 1\nw1 = 3\nz = w1 x", (("w1", "alpha"),)
    evaluations.cached_evaluation.cache_clear()
    pipeline._draw.cache_clear()
    view = pipeline.build_view(text, {}, pipeline.RenderOptions(), None, labels=labels)
    assert view.issue is None and view.svg
    info = evaluations.cached_evaluation.cache_info()
    assert (info.misses, info.currsize) == (1, 1), info


def test_the_numbers_only_view_makes_no_captions_or_trace_rows():
    """The page reads only the numbers of a view made with draw=False (the player has its own
    captions); for a long pass the captions were most of the work."""
    numbers = build_view("x^2 + 3xy", {"x": "3", "y": "2"}, draw=False)
    drawn = build_view("x^2 + 3xy", {"x": "3", "y": "2"})
    # f = 9 + 18 = 27, ∂f/∂x = 2x + 3y = 12, ∂f/∂y = 3x = 9 (by hand), the same in both.
    assert (numbers.value, dict(numbers.gradients)) == (drawn.value, dict(drawn.gradients)) == ("27", {"x": "12", "y": "9"})
    assert numbers.n_steps == drawn.n_steps == len(drawn.captions) - 1 > 0
    assert numbers.captions == () and numbers.rows == () and not numbers.svg
    assert drawn.rows and drawn.caption is not None
