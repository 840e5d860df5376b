"""``python -m benchmarks.browser [--repeats N] [--only SLUG[.KIND] ...] [--no-gif] [--json]``: the
app's latency in a real browser, for every example (``--only mit_4layer_chain.spec``: the layer
spec only; ``--only mit_4layer_chain``: the program and the spec).

Starts ``streamlit run app.py`` on a free 127.0.0.1 port (stopped by its PID at the end) and
drives Debian's chromium through playwright at 1,366×768. For each example it loads the example
from the menu, then measures from the user's action to the new drawing on the page:

* **edit → graph**: the text gets ``*k`` appended to its last line (a new text every time, so
  nothing is cached) and Ctrl+Enter; programs only;
* **value → graph**: the first number field gets a new value and Enter; programs only;
* **take a step**: the network's "Take a step" button; layer specs only;
* **GIF**: a click on the GIF download until the file has arrived (and the server CPU of the first,
  cold download: the others are served from the cache);

"The new drawing" is the moment the step player's drawing (``.gnn-stage svg`` in the player's
frame, ``iframe[title*="graphviz_nn_player"]``, the newest when a rerun briefly shows two) holds
other markup than before the action (the page polls once per animation frame). Every figure is
the median of ``--repeats`` runs after one warm-up run; the first (cold) run is reported too.
Beside each time, the **server's CPU** for the action (the app's process, its workers and the
layout programs they ran, from ``/proc``; each run's share of each on standard error): on a
loaded machine the time is mostly waiting for a core, the CPU is what the action costs.
**In page**: the median of the same runs on the page's own clock, from the user's input reaching
the page (the Enter key's or the pointer's event) to the animation frame that first holds the new
drawing: the latency a user sees, without the driver's round trips around it (typing the text in,
finding the button, reading the answer back: 40–70 ms of the time above).
**Browser**: the median of the browser's CPU milliseconds from the action to the new drawing
(every chromium process: the page, the player's frame, painting): the page's own work, apart
from waiting, at 10 ms resolution.
Nothing here is a test: the figures go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .app_server import CHROMIUM_ARGS, ROOT, start_app, stop_app

VIEWPORT = {"width": 1366, "height": 768}
PLAYER = 'iframe[title*="graphviz_nn_player"]'
GRAPH = ".gnn-stage svg"
TIMEOUT_MS = 60_000
GIF_TIMEOUT_MS = 300_000

# The player's drawing, read from its frame (the component is served from the page's origin).
# The player mounts new data into the same frame, so "new" means other markup than before.
_SVG = (f"(() => {{ const fs = document.querySelectorAll('{PLAYER}'); const f = fs[fs.length - 1]; "
        f"const d = f && f.contentDocument; return d ? d.querySelector('{GRAPH}') : null; }})()")
_MARK_OLD = f"() => {{ const s = {_SVG}; window.__gnnOld = s ? s.outerHTML : ''; }}"
_NEW_GRAPH = (f"() => {{ const s = {_SVG}; const now = performance.now(); "
              f"const seen = !!s && s.outerHTML !== window.__gnnOld; if (seen) window.__gnnSeen = now; return seen; }}")
# The page's own clock: when the user's action reached the page (the Enter key of Ctrl+Enter or
# of a value field, the pointer pressed on a button), so that the driver's own round trips
# (typing the text, finding the button, reading the result back) are left out.
_WATCH_INPUT = """() => { if (window.__gnnWatch) return; window.__gnnWatch = true;
  window.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.__gnnAct = e.timeStamp; }, true);
  window.addEventListener('pointerdown', (e) => { window.__gnnAct = e.timeStamp; }, true); }"""
_IN_PAGE = "() => window.__gnnSeen - window.__gnnAct"
_ANY_GRAPH = f"() => !!{_SVG}"


@dataclass
class Row:
    """One example's figures in milliseconds (``None``: does not apply)."""

    slug: str
    kind: str
    nodes: int = 0
    edit_cold: float | None = None
    edit: float | None = None
    value_cold: float | None = None
    value: float | None = None
    step_cold: float | None = None
    step: float | None = None
    edit_cpu: float | None = None
    value_cpu: float | None = None
    step_cpu: float | None = None
    edit_page: float | None = None
    edit_browser: float | None = None
    value_page: float | None = None
    value_browser: float | None = None
    step_page: float | None = None
    step_browser: float | None = None
    gif_cold: float | None = None
    gif: float | None = None
    gif_cold_cpu: float | None = None
    runs: dict[str, list[float]] = field(default_factory=dict)


def processes(children: bool) -> tuple[dict[int, int], dict[int, float], dict[int, str]]:
    """Every process's parent, CPU milliseconds used so far and name, from ``/proc``; with
    ``children``, the CPU of its ended and waited-for children is counted in its own."""
    tick, parent, used, name = os.sysconf("SC_CLK_TCK"), {}, {}, {}
    last = 15 if children else 13  # utime, stime (, cutime, cstime)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = raw.rsplit(")", 1)[1].split()
        proc = int(stat.parent.name)
        parent[proc] = int(fields[1])
        used[proc] = 1000 * sum(int(f) for f in fields[11:last]) / tick
        name[proc] = raw.split("(", 1)[1].rsplit(")", 1)[0]
    return parent, used, name


def depth_under(proc: int, root: int, parent: dict[int, int]) -> int | None:
    """How many generations ``proc`` is below ``root`` (0: itself), or ``None`` when it is not."""
    depth = 0
    while proc in parent and proc != root:
        proc, depth = parent[proc], depth + 1
    return depth if proc == root else None


def cpu_parts(pid: int) -> dict[str, float]:
    """CPU milliseconds used so far by the process ``pid`` (``server``), the processes under it
    that are layout programs (``layout``: ``dot``, ``neato``) and the others (``workers``), the
    ended and waited-for ones included (a layout program, a stopped worker: counted in their
    parent's share)."""
    parent, used, name = processes(children=True)
    parts = {"server": 0.0, "workers": 0.0, "layout": 0.0}
    for proc, ms in used.items():
        depth = depth_under(proc, pid, parent)
        if depth is not None:
            parts["server" if depth == 0 else "layout" if name[proc] in ("dot", "neato") else "workers"] += ms
    return parts


def server_cpu(pid: int) -> float:
    """CPU milliseconds used so far by the process ``pid`` and every process under it."""
    return sum(cpu_parts(pid).values())


def cpu_of(pid: int, run: object) -> tuple[float, float]:
    """``(milliseconds, server CPU milliseconds)`` of ``run()``, which returns the milliseconds;
    the server's CPU by part (:func:`cpu_parts`) goes to standard error."""
    before = cpu_parts(pid)
    ms = run()  # type: ignore[operator]
    after = cpu_parts(pid)
    parts = {k: round(after[k] - before[k]) for k in before}
    print(f"  {ms:.0f} ms, server CPU {sum(parts.values())} ms: {json.dumps(parts)}", file=sys.stderr, flush=True)
    return ms, sum(parts.values())


def timed(page: object, action: object) -> float:
    """Milliseconds from ``action()`` to a new graph on the page (``nan`` when none came: a
    screenshot of the page is left in the temporary folder)."""
    from playwright.sync_api import TimeoutError as Timeout

    page.evaluate(_WATCH_INPUT)  # type: ignore[attr-defined]
    page.evaluate(_MARK_OLD)  # type: ignore[attr-defined]
    busy0 = browser_cpu_ms()
    t0 = time.perf_counter()
    action()  # type: ignore[operator]
    try:
        page.wait_for_function(_NEW_GRAPH, polling="raf", timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    except Timeout:
        shot = Path(tempfile.gettempdir()) / f"gnn-benchmark-timeout-{int(time.time())}.png"
        page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
        print(f"no new graph within {TIMEOUT_MS / 1000:g} s; the page: {shot}", file=sys.stderr)
        return float("nan")
    ms = (time.perf_counter() - t0) * 1000
    BROWSER.append(browser_cpu_ms() - busy0)
    IN_PAGE.append(float(page.evaluate(_IN_PAGE)))  # type: ignore[attr-defined]
    return ms


def browser_cpu_ms() -> float:
    """CPU milliseconds used so far by the browser this process drives: every ``chromium``
    process under it (the page's renderer, the GPU and the browser process; from ``/proc``, so
    that waiting for a core on a loaded machine does not count)."""
    parent, used, name = processes(children=False)
    me = os.getpid()
    return sum(ms for proc, ms in used.items() if "chrom" in name[proc] and depth_under(proc, me, parent) is not None)


BROWSER: list[float] = []
"""The browser's CPU milliseconds of each :func:`timed` action, from the action to the new
drawing (:func:`browser_cpu_ms`): what the page's work costs, apart from waiting."""


IN_PAGE: list[float] = []
"""The in-page milliseconds of each :func:`timed` action, in order: from the user's input
reaching the page (its event's time stamp) to the animation frame that first shows the new
drawing, on the page's clock (without the driver's round trips)."""


def load_example(page: object, title: str) -> None:
    """Pick ``title`` in the sidebar's examples menu and wait for its graph."""
    box = page.get_by_role("combobox", name="Load an example")  # type: ignore[attr-defined]
    page.evaluate(_MARK_OLD)  # type: ignore[attr-defined]
    box.click()
    box.fill(title)
    page.get_by_role("option", name=title, exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_function(_NEW_GRAPH, polling="raf", timeout=TIMEOUT_MS)  # type: ignore[attr-defined]


def edited(text: str, k: int) -> str:
    """``text`` with ``*k`` after its last statement: a new graph with the same inputs."""
    lines = text.rstrip("\n").split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip() and not lines[i].lstrip().startswith("#"):
            lines[i] = lines[i].rstrip() + f"*{k}"
            break
    return "\n".join(lines)


def gif_ms(page: object) -> float:
    """Milliseconds from a click on the GIF download to the file on disk (``nan`` past
    :data:`GIF_TIMEOUT_MS`)."""
    from playwright.sync_api import TimeoutError as Timeout

    t0 = time.perf_counter()
    try:
        with page.expect_download(timeout=GIF_TIMEOUT_MS) as info:  # type: ignore[attr-defined]
            page.get_by_role("button", name="GIF", exact=True).click()  # type: ignore[attr-defined]
        info.value.path()  # waits for the whole file
    except Timeout:
        print(f"no GIF within {GIF_TIMEOUT_MS / 1000:g} s", file=sys.stderr)
        return float("nan")
    return (time.perf_counter() - t0) * 1000


def measure(page: object, example: object, repeats: int, gif_repeats: int | None, pid: int) -> Row:
    from graphviz_nn.page.evaluations import cached_evaluation, with_defaults, input_fields
    from graphviz_nn.page.fields import is_number

    row = Row(example.slug, example.kind)  # type: ignore[attr-defined]
    load_example(page, example.title)  # type: ignore[attr-defined]
    runs: dict[str, list[float]] = {}
    if example.kind == "program":  # type: ignore[attr-defined]
        text = example.text  # type: ignore[attr-defined]
        row.nodes = cached_evaluation(text, with_defaults(text, {})).graph.number_of_nodes()
        box = page.get_by_role("textbox", name="Expression or program")  # type: ignore[attr-defined]

        def edit(k: int) -> None:
            box.fill(edited(text, k))
            box.press("Control+Enter")

        IN_PAGE.clear()
        BROWSER.clear()
        runs["edit"], runs["edit_cpu"] = zip(*(cpu_of(pid, lambda k=k: timed(page, lambda: edit(k)))
                                               for k in range(2, repeats + 3)))
        runs["edit_page"] = list(IN_PAGE)
        runs["edit_browser"] = list(BROWSER)
        timed(page, lambda: edit(1))  # back to a known text: its fields are the example's
        first = input_fields(text)[0]
        label = first.label if first.label == first.name else f"{first.label} ({first.name})"
        number = not first.is_array and is_number(first.default)
        # an array field's label also says its shape ("W1 · 2×2 matrix")
        name = re.compile(rf"^{re.escape(label)}( · .*)?$")
        field = page.get_by_role("spinbutton" if number else "textbox", name=name)  # type: ignore[attr-defined]

        def change(k: int) -> None:  # the first number in the field, plus k/2
            field.fill(re.sub(r"-?\d+(\.\d+)?", lambda m: f"{float(m.group(0)) + 0.5 * k:g}", first.default, count=1))
            field.press("Enter")

        IN_PAGE.clear()
        BROWSER.clear()
        runs["value"], runs["value_cpu"] = zip(*(cpu_of(pid, lambda k=k: timed(page, lambda: change(k)))
                                                 for k in range(1, repeats + 2)))
        runs["value_page"] = list(IN_PAGE)
        runs["value_browser"] = list(BROWSER)
    else:
        button = page.get_by_role("button", name="Take a step")  # type: ignore[attr-defined]
        IN_PAGE.clear()
        BROWSER.clear()
        runs["step"], runs["step_cpu"] = zip(*(cpu_of(pid, lambda: timed(page, button.click))
                                               for _ in range(repeats + 1)))
        runs["step_page"] = list(IN_PAGE)
        runs["step_browser"] = list(BROWSER)
    if gif_repeats is not None:
        runs["gif"], gif_cpu = zip(*(cpu_of(pid, lambda: gif_ms(page)) for _ in range(gif_repeats + 1)))
        row.gif_cold_cpu = gif_cpu[0]  # the first download makes the file; the others are cached
    for name, values in runs.items():
        warm = [v for v in values[1:] if v == v] or list(values)  # NaN (no graph) left out
        if not name.endswith(("_cpu", "_page", "_browser")):
            setattr(row, f"{name}_cold", values[0])
        setattr(row, name, statistics.median(warm))
    row.runs = {k: [round(v) if v == v else None for v in vs] for k, vs in runs.items()}
    return row


def table(rows: list[Row]) -> str:
    head = ("| example | nodes | edit → graph | value → graph | take a step | GIF |\n|---|---|---|---|---|---|")

    def cell(r: Row, name: str) -> str:
        warm, cold = getattr(r, name), getattr(r, f"{name}_cold")
        if warm is None:
            return "–"
        cpu, in_page, browser = (getattr(r, f"{name}_{part}", None) for part in ("cpu", "page", "browser"))
        text = (f"{warm:.0f} ({cold:.0f})" + (f", CPU {cpu:.0f}" if cpu is not None else "")
                + (f", in page {in_page:.0f}" if in_page is not None else "")
                + (f", browser CPU {browser:.0f}" if browser is not None else ""))
        return text.replace("nan", "–")

    body = [f"| {r.slug} ({r.kind}) | {r.nodes or ''} | {cell(r, 'edit')} | {cell(r, 'value')} | "
            f"{cell(r, 'step')} | {cell(r, 'gif')}{'' if r.gif_cold_cpu is None else f', cold CPU {r.gif_cold_cpu:.0f}'} |"
            for r in rows]
    return "\n".join([head, *body])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs after the first (default 3)")
    parser.add_argument("--gif-repeats", type=int, default=1, help="timed GIF downloads after the first (default 1)")
    parser.add_argument("--only", nargs="*", help="example slugs, or slug.program / slug.spec")
    parser.add_argument("--no-gif", action="store_true", help="no GIF downloads")
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout whose app.py runs (default: this one), e.g. an older commit's")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed")
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from graphviz_nn.page.examples import list_examples

    examples = [ex for ex in list_examples()
                if not args.only or ex.slug in args.only or f"{ex.slug}.{ex.kind}" in args.only]
    app = start_app(root=args.root.resolve())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a stopped run still stops its app
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(app.url)
            page.wait_for_function(_ANY_GRAPH, polling="raf", timeout=TIMEOUT_MS)
            for example in examples:
                row = measure(page, example, args.repeats, None if args.no_gif else args.gif_repeats, app.pid)
                rows.append(row)
                print(f"{row.slug:28s} {json.dumps(row.runs)}", file=sys.stderr, flush=True)
            browser.close()
    finally:
        stop_app(app)
    print(table(rows))
    if args.json:
        print(json.dumps([asdict(r) for r in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
