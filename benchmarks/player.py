"""6. The step player in Chromium: milliseconds per step in the page beside a Streamlit rerun per
step (how the app stepped before the player), and Play's steps per second.

Per example the exported player page is opened from file://, left until it has typeset every
caption (it does so while idle, in the first second or so), and every step is taken in turn
(``gnnPlayer.go(k)``): "step" is the script's work plus the style and layout it forces, "to
paint" also waits for the next frame (so it is at least the time to the next vsync). Play runs
at 10 steps/s from step 0 to the end; the figure reports the steps per second reached and the
longest gap between two steps. The rerun row times the old way on the design example: a
Streamlit page whose Next button reruns the script, which draws the next step with
:func:`graphviz_nn.page.view.build_view` (cache cleared, as for a step not seen before) and
sends the SVG; timed from the click until the drawing says the new step.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from . import Figure, Row
from .app_server import CHROMIUM_ARGS, ROOT, running_app

__all__ = ["player_figure"]

RERUN_APP = '''
import streamlit as st
from graphviz_nn.page import view as pipeline

text = open(r"{design}", encoding="utf-8").read()
n = pipeline.build_view(text, draw=False).n_steps
st.session_state.setdefault("k", 0)
if st.button("Next"):
    st.session_state.k = (st.session_state.k + 1) % (n + 1)
pipeline._draw.cache_clear()
view = pipeline.build_view(text, step=st.session_state.k)
st.markdown('<div class="drawn">' + pipeline.inline_svg(view.svg).replace("\\n", " ") + "</div>",
            unsafe_allow_html=True)
'''

STEP_JS = """async () => {
  const p = window.gnnPlayer, work = [], paint = [];
  const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  p.go(0); await frame();
  for (let k = 1; k <= p.n; k++) {
    const t0 = performance.now();
    p.go(k);
    document.body.getBoundingClientRect(); p.svg.getBoundingClientRect();
    work.push(performance.now() - t0);
    await frame();
    paint.push(performance.now() - t0);
  }
  return {work, paint};
}"""

PLAY_JS = """() => new Promise(done => {
  const p = window.gnnPlayer, root = document.querySelector('.gnn-player'), times = [];
  p.go(0);
  p.speed = 10;
  const watch = new MutationObserver(() => {
    times.push(performance.now());
    if (+root.dataset.step >= p.n || !p.playing) { watch.disconnect(); done(times); }
  });
  watch.observe(root, {attributes: true, attributeFilter: ['data-step']});
  p.play();
})"""


def _examples(quick: bool) -> list[tuple[str, Any]]:
    import graphviz_nn as gnn
    from graphviz_nn.networks.network import load_spec
    from graphviz_nn.page.examples import list_examples

    found = []
    for ex in list_examples():
        if quick and ex.slug not in ("design", "mit_4layer_chain"):
            continue
        path = ROOT / "examples" / f"{ex.slug}.{'toml' if ex.kind == 'spec' else 'gnn'}"
        found.append((f"{ex.slug} ({ex.kind})", load_spec(path).evaluate() if ex.kind == "spec" else gnn.evaluate(ex.text)))
    return found


def _rerun_ms(browser: Any, repeat: int) -> list[float]:
    """Milliseconds from a click on Next to the next step's drawing, through Streamlit reruns."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "rerun_app.py"
        script.write_text(RERUN_APP.format(design=ROOT / "examples" / "design.gnn"), encoding="utf-8")
        with running_app(script) as app:
            url = app.url
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(url)
            page.wait_for_selector(".drawn svg", timeout=60_000)
            times = []
            for k in range(1, repeat + 1):
                start = time.perf_counter()
                page.get_by_role("button", name="Next").click()
                page.wait_for_function(f"() => (document.querySelector('.drawn svg') || {{}}).textContent"
                                       f"?.includes('step {k} of ')", timeout=60_000)
                times.append((time.perf_counter() - start) * 1e3)
            page.close()
            return times


def player_figure(quick: bool) -> Figure:
    """6. Per step in the player vs a Streamlit rerun; Play's steps per second."""
    fig = Figure(6, "Step player in Chromium: ms per step vs a Streamlit rerun per step; Play at 10 steps/s")
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        fig.notes.append("chromium or playwright is missing: figure skipped")
        return fig
    from graphviz_nn.export.player import player_html

    worst_step, worst_rate, slowest_gap = 0.0, float("inf"), 0.0
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for name, res in _examples(quick):
                path = Path(tmp) / "player.html"
                path.write_text(player_html(res), encoding="utf-8")
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.goto(path.as_uri())
                page.wait_for_selector(".gnn-stage svg")
                page.wait_for_function("() => window.gnnPlayer.warmed", timeout=60_000)  # captions typeset
                steps = page.evaluate(STEP_JS)
                work = statistics.median(steps["work"]) / 1e3
                paint = statistics.median(steps["paint"]) / 1e3
                worst_step = max(worst_step, work)
                size = path.stat().st_size
                fig.rows.append(Row(f"{name}: {len(steps['work'])} steps, {size / 1e3:.0f} kB: median step",
                                    work, note=f"to paint {paint * 1e3:.1f} ms"))
                fig.rows.append(Row(f"{name}: median step to the next painted frame", paint))
                if name.startswith(("design", "mit_4layer_chain (program)")):
                    times = page.evaluate(PLAY_JS)
                    gaps = [b - a for a, b in zip(times, times[1:])]
                    rate = (len(times) - 1) / ((times[-1] - times[0]) / 1e3) if len(times) > 1 else 0.0
                    worst_rate = min(worst_rate, rate)
                    slowest_gap = max(slowest_gap, max(gaps, default=0.0))
                    fig.notes.append(f"{name}: Play at 10 steps/s reached {rate:.2f} steps/s, "
                                     f"longest gap {max(gaps, default=0.0):.0f} ms")
                page.close()
            rerun = _rerun_ms(browser, 4 if quick else 10)
            fig.rows.append(Row("design: Streamlit rerun per step (Next, build_view, SVG), median",
                                statistics.median(rerun) / 1e3))
            fig.ratios["player_step_ms_worst"] = worst_step * 1e3
            fig.targets["player_step_ms_worst"] = "< 30"
            fig.ratios["rerun_over_player_step"] = statistics.median(rerun) / 1e3 / max(worst_step, 1e-6)
            if worst_rate != float("inf"):
                fig.ratios["play_steps_per_second"] = worst_rate
                fig.targets["play_steps_per_second"] = "10 (smooth: no gap over 150 ms)"
                fig.ratios["play_longest_gap_ms"] = slowest_gap
        finally:
            browser.close()
    return fig
