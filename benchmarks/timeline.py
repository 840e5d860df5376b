"""``python -m benchmarks.timeline [--only SLUG[.KIND] ...] [--repeats N] [--profile FILE]``: where
the time of one action goes in the browser, from the user's action to the new drawing.

Drives the app as :mod:`benchmarks.browser` does (the same server and browser; the actions: an edit
of a program with Ctrl+Enter, "Take a step" of a layer spec) with marks recorded in the page and in the
player's frame (one clock, milliseconds after the action):

* ``keydown`` / ``pointerdown`` / ``click``: the driver's input reaching the page,
* ``ws-out`` / ``ws-in``: each websocket message sent / received (its size in bytes and the
  start of its text, which names the element it carries),
* ``render``: a ``streamlit:render`` message reaching the player's frame (the data's length,
  whether it is the data already shown),
* ``replace`` / ``mount``: the player swapping the new numbers in / a new player (its duration),
* ``longtask``: the browser's main thread busy for 50 ms or more (its duration),
* ``graph``: the new drawing on the page (what :mod:`benchmarks.browser` times).

``--log FILE``: the server's output with the worker pool's lines (each call's wait and run).
``--profile FILE``: a CPU profile of the page's main thread (Chrome DevTools' ``.cpuprofile``)
over the timed runs, with the functions that took most of it printed. A diagnostic, not a test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from .app_server import CHROMIUM_ARGS, ROOT, start_app, stop_app
from .browser import _ANY_GRAPH, _MARK_OLD, _NEW_GRAPH, TIMEOUT_MS, VIEWPORT, edited, load_example

# Runs in the page and in every frame before their own scripts.
_INSTRUMENT = r"""
(() => {
  const top = window.top === window;
  const log = top ? (window.__gnnT = []) : null;
  const T = (what, extra) => {
    const rec = [performance.timeOrigin + performance.now(), what, extra === undefined ? null : extra];
    try { (top ? log : window.top.__gnnT).push(rec); } catch (e) {}
  };
  window.__gnnMark = T;
  if (top) {
    const WS = window.WebSocket;
    const Wrapped = function (...args) {
      const ws = new WS(...args);
      ws.addEventListener('message', (e) => {
        const n = e.data.byteLength || e.data.size || e.data.length;
        let text = '';
        if (e.data instanceof ArrayBuffer) {
          text = new TextDecoder('latin1').decode(new Uint8Array(e.data, 0, Math.min(n, 400)))
            .replace(/[^\x20-\x7e]+/g, ' ').slice(0, 70);
        }
        T('ws-in', [n, text]);
      });
      const send = ws.send.bind(ws);
      ws.send = (d) => { T('ws-out', d.byteLength || d.size || d.length); send(d); };
      return ws;
    };
    Wrapped.prototype = WS.prototype;
    ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach((k) => { Wrapped[k] = WS[k]; });
    window.WebSocket = Wrapped;
    ['keydown', 'pointerdown', 'click'].forEach((t) => window.addEventListener(t, () => T(t), true));
    try {
      new PerformanceObserver((l) => l.getEntries().forEach((e) =>
        log.push([performance.timeOrigin + e.startTime, 'longtask', Math.round(e.duration)])))
        .observe({ entryTypes: ['longtask'] });
    } catch (e) {}
  } else {
    let shown = null;
    window.addEventListener('message', (ev) => {
      const m = ev.data;
      if (!m || m.type !== 'streamlit:render') return;
      const d = (m.args || {}).data || '';
      T('render', [d.length, d === shown]);
      shown = d;
    }, true);
    let wrapped = false;
    Object.defineProperty(window, 'gnnPlayer', {
      configurable: true,
      get() { return this.__p; },
      set(p) {
        this.__p = p;
        T('mount');
        const proto = Object.getPrototypeOf(p);
        if (!wrapped) {
          wrapped = true;
          const replace = proto.replace;
          proto.replace = function (...a) {
            const t = performance.now();
            const r = replace.apply(this, a);
            T('replace', [Math.round((performance.now() - t) * 10) / 10, r]);
            return r;
          };
        }
      },
    });
  }
})();
"""


def one(page, action) -> list[tuple[float, str, object]]:
    """The marks of one action, in milliseconds after it."""
    page.evaluate(_MARK_OLD)
    page.evaluate("() => { window.__gnnT.length = 0; }")
    t0 = page.evaluate("() => performance.timeOrigin + performance.now()")
    print(f"   action at {t0 / 1000:.3f}")
    action()
    page.wait_for_function(_NEW_GRAPH, polling="raf", timeout=TIMEOUT_MS)
    page.evaluate("() => window.__gnnMark('graph')")
    marks = page.evaluate("() => window.__gnnT.slice()")
    return [(round(t - t0, 1), what, extra) for t, what, extra in marks]


def show(name: str, marks: list) -> None:
    print(f"-- {name}")
    for t, what, extra in marks:
        print(f"  {t:8.1f} {what:9s} {json.dumps(extra) if extra is not None else ''}")
    ins = [m for m in marks if m[1] == "ws-in"]
    print(f"  ({len(ins)} messages in, {sum(m[2][0] for m in ins)} bytes)")


def top_functions(profile: dict, n: int = 25) -> list[tuple[float, str]]:
    """The ``n`` functions with the most self time in a ``.cpuprofile``, in milliseconds."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    self_us: Counter = Counter()
    deltas = profile.get("timeDeltas", [])
    for sample, dt in zip(profile.get("samples", []), deltas):
        f = nodes[sample]["callFrame"]
        where = f"{f['functionName'] or '(anon)'} {f['url'].rsplit('/', 1)[-1]}:{f['lineNumber']}"
        self_us[where] += dt
    return [(us / 1000, where) for where, us in self_us.most_common(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.timeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=["cmu_alpha_beta"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--script", default="app.py", help="the page script (a wrapper of app.py that profiles it, say)")
    parser.add_argument("--log", type=Path, help="the server's output, with the worker pool's lines")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from graphviz_nn.page.examples import list_examples

    examples = [ex for ex in list_examples() if ex.slug in args.only or f"{ex.slug}.{ex.kind}" in args.only]
    app = start_app(args.script, root=args.root.resolve(), env={"GNN_POOL_LOG": "1"} if args.log else None, log=args.log)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.add_init_script(_INSTRUMENT)
            page.goto(app.url)
            page.wait_for_function(_ANY_GRAPH, polling="raf", timeout=TIMEOUT_MS)
            cdp = None
            if args.profile:
                cdp = page.context.new_cdp_session(page)
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            for ex in examples:
                load_example(page, ex.title)
                time.sleep(1)
                if cdp:
                    cdp.send("Profiler.start")
                if ex.kind == "program":
                    box = page.get_by_role("textbox", name="Expression or program")
                    for k in range(2, args.repeats + 3):
                        show(f"{ex.slug} edit {k}", one(page, lambda: (box.fill(edited(ex.text, k)),
                                                                      box.press("Control+Enter"))))
                        time.sleep(0.5)
                else:
                    button = page.get_by_role("button", name="Take a step")
                    for k in range(args.repeats + 1):
                        show(f"{ex.slug} step {k}", one(page, button.click))
                        time.sleep(0.5)
                if cdp:
                    prof = cdp.send("Profiler.stop")["profile"]
                    args.profile.write_text(json.dumps(prof))
                    for ms, where in top_functions(prof):
                        print(f"  {ms:8.1f} ms  {where}")
            browser.close()
    finally:
        stop_app(app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
