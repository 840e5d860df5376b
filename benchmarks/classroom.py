"""A classroom on one server: ``python -m benchmarks.classroom [--sessions 10] [--seconds 180]``.

Starts its own ``streamlit run app.py`` on a free 127.0.0.1 port (:mod:`benchmarks.app_server`:
loopback only, stopped by its PID at the end), then drives ``--sessions`` Chromium sessions (one
headless browser, one context each) for ``--seconds``. Every session loops: type a new expression
``x*y + K`` (K unique to the session and the round), set a new value of y, step back one step in
the step player and forward again with its own buttons, pausing 1.5–4 s between actions like a
student. After each action it waits for the page to show exactly its own numbers (the summary
``f = x·y + K`` and the player's drawing holding K and f, with no number that belongs to another
session) and records how long that took. A step is taken in the player's frame without the
server; the page learns the step reached a moment later (for its downloads, a rerun of the step
panel), so a step has two figures: to the drawing, and to "Download step k" on the page.

Phase 1 runs the sessions alone. The next phases (skip them with ``--no-heavy``) run them again
with one more session that keeps loading the issue's near-limit input (19,889 characters, 16,788
steps) through a ``?expr=`` link, each time with another value of y so that no cache answers it;
they record how long that session waits for its first part (the value and gradients: "Read as"
and the summary) and for its result or the over-budget message. ``--heavy-browser`` says where
that session's browser runs:

- ``shared``: in the light sessions' Chromium, at their priority. Every renderer then shares the
  benchmark machine's cores with the server, so the near-limit page's own rendering (its player
  of 16,788 steps) slows the other students' browser-only steps: a cost no class has, since each
  student's browser runs on their own laptop.
- ``idle``: in a Chromium of its own in the kernel's idle scheduling class (``chrt --idle``),
  standing for that student's laptop: it gets only the cores the server and the ten measured
  browsers leave idle, so what the others measure is the server's share of the near-limit input
  (the server and the light sessions' browser are exactly those of the other phases). Its own
  waits are then longer than a laptop's: the server's time for the near-limit input is in
  ``server_heavy_reruns_by_phase`` (with ``--server-log``) beside the shared phase's.
- ``both`` (the default): a phase with each, so the report shows the old figure beside the fair one.

With ``--server-log FILE`` the server also logs each call and rerun of its worker pool
(``GNN_POOL_LOG=1``), and the report adds the server's own rerun times (``server_reruns``): the
part of a session's wait that the server spent, apart from the browser's page load; and per
phase those of the light sessions alone (``server_light_reruns_by_phase``, reruns for texts under
1,000 characters) with their p95 ratio: the others' latency on the server, which the browsers
sharing the benchmark machine's cores do not blur.

Reported per phase: the CPU seconds of the light sessions' Chromium and, in an ``idle`` phase, of
the near-limit session's own (``browser_cpu_s``); p50 and p95 latency of edit -> graph (the expression or a value changed), of a
step (to the drawing, and to the page's downloads), the number of actions, errors (timeouts, pages showing an error, numbers of another
session), and the resident memory of the server with its workers over time. The numbers depend on
the machine: read them beside its core count and load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shlex
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["main", "phase", "Tally", "NEAR_LIMIT", "PHASES", "cpu_seconds", "descendants", "rss_mb"]

from .app_server import CHROMIUM_ARGS, App, start_app, stop_app
from .server_watch import MemoryLog, cpu_seconds, descendants, rerun_figures, rss_mb

MAX_SESSIONS = 40
MAX_SECONDS = 1800
WAIT_MS = 30_000  # an action that shows nothing for this long is an error
THINK = (1.5, 4.0)  # seconds a student pauses between actions
LOAD_MS = 240_000  # a first visit that shows no graph for this long is an error
STAGGER = 3.0  # seconds between two sessions' first visits
NEAR_LIMIT = "x = 1; y = {y}; " + " + ".join(f"sin({k}x) y" for k in range(1, 1400))

PLAYER = 'iframe[title*="graphviz_nn_player"]'  # the step player, a Streamlit component

# The page's summary line shows f (read in the page).
_SUMMARY_SHOWS = """(f) => {
  const text = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')].map(e => e.innerText).join('\\n');
  return new RegExp('(^|\\\\s)f = ' + f + '(?![0-9.])').test(text);
}"""
# The player's drawing holds the session's marker and f (read in the player's frame).
_DRAWING_SHOWS = """([f, marker]) => {
  const words = [...document.querySelectorAll('.gnn-stage svg text')].map(t => t.textContent.trim());
  return words.includes(marker) && words.some(w => w === f || w.endsWith(' ' + f) || w.endsWith('= ' + f));
}"""
# The player shows step k of n: its counter and its drawing's caption (in the player's frame).
_STEP_SHOWN = """([k, n]) => {
  const c = document.querySelector('.gnn-counter'), g = document.querySelector('.gnn-stage svg');
  return !!c && c.textContent === `step ${k} of ${n}` && !!g && g.textContent.includes(`step ${k} of ${n}`);
}"""
_STEPS = """() => { const m = /^step (\\d+) of (\\d+)$/.exec((document.querySelector('.gnn-counter') || {}).textContent || '');
  return m && m[1] === m[2] ? +m[2] : 0; }"""
# What a reader sees: the drawing's text elements (not node ids in tooltips), the page's main
# column (not the sidebar's slider bounds).
_DRAWN_TEXT = """() => [...document.querySelectorAll('.gnn-stage svg text')].map(t => t.textContent).join(' ')"""
_MAIN_TEXT = """() => (document.querySelector('[data-testid="stMain"]') || document.body).innerText"""
_ERRORS = """() => [...document.querySelectorAll('[data-testid="stAlertContentError"], [data-testid="stException"]')]
  .map(e => e.innerText).join(' | ')"""
# The near-limit page's first part: its value and gradients ("Read as" and the summary), or already its end.
_HEAVY_READ = """() => /Read as/.test(document.body.innerText) ? 'read'
  : (/needs more than [0-9.,]+ (s|MB)/.test(document.body.innerText) ? 'message' : false)"""
_HEAVY_DONE = """() => {
  const text = document.body.innerText;
  if (/needs more than [0-9.,]+ (s|MB)/.test(text)) return 'message';
  if (document.querySelector('.gnn-graph[data-state="current"] svg')) return 'drawing';
  return document.querySelector('iframe[title*="graphviz_nn_player"]') ? 'player' : false;
}"""


@dataclass
class Tally:
    """What one phase measured."""

    edit: list[float] = field(default_factory=list)
    step: list[float] = field(default_factory=list)
    step_page: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    heavy: list[tuple[float, str, float | None]] = field(default_factory=list)  # (to the end, what, to the summary)
    browser_cpu: dict[str, float | None] = field(default_factory=dict)  # CPU seconds of each Chromium

    def summary(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

        return {"edits": len(self.edit), "steps": len(self.step),
                "edit_p50_s": pct(self.edit, 0.5), "edit_p95_s": pct(self.edit, 0.95),
                "step_p50_s": pct(self.step, 0.5), "step_p95_s": pct(self.step, 0.95),
                "step_to_downloads_p50_s": pct(self.step_page, 0.5),
                "step_to_downloads_p95_s": pct(self.step_page, 0.95),
                "errors": len(self.errors), "error_examples": self.errors[:5],
                "heavy_loads": [{"to_end_s": round(t, 2), "to_summary_s": None if first is None else round(first, 2),
                                 "shown": outcome} for t, outcome, first in self.heavy],
                "browser_cpu_s": self.browser_cpu}


# --------------------------------------------------------------------------- sessions


async def player_frame(page: Any, timeout: float | None = None) -> Any:
    """The step player's frame on ``page`` (waits until the page has one, at most ``timeout`` ms;
    by default the page's timeout)."""
    handle = await page.wait_for_selector(PLAYER, state="attached", timeout=timeout)
    frame = await handle.content_frame()
    if frame is None:
        raise RuntimeError("the player's frame has no document")
    return frame


async def shows(page: Any, f: int, marker: int) -> None:
    """Wait until the summary says f and the player's drawing holds the marker and f."""
    await page.wait_for_function(_SUMMARY_SHOWS, arg=str(f), polling=50)
    frame = await player_frame(page)
    await frame.wait_for_function(_DRAWING_SHOWS, arg=[str(f), str(marker)], polling=50)


async def light_session(browser: Any, url: str, index: int, until: float, tally: Tally) -> None:
    """A student: new expression, new value, a step back and forward, over and over."""
    rng = random.Random(index)
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    base = 200 * (index + 1)  # K and f = x·y + K stay in [base, base + 199]: no other session's range
    x, y = 2, 1
    try:
        await asyncio.sleep(index * STAGGER)  # students arrive over a few seconds, not at once
        if not await load(page, url, index, tally):
            return
        box = page.get_by_role("textbox", name="Expression or program")
        rounds = 0
        while time.monotonic() < until:
            k = base + (rounds % 100)
            rounds += 1
            try:
                await box.fill(f"x*y + {k}")
                t0 = time.perf_counter()
                await box.press("Control+Enter")
                await shows(page, x * y + k, k)
                tally.edit.append(time.perf_counter() - t0)
                await check_own_numbers(page, index, base, tally)
                await asyncio.sleep(rng.uniform(*THINK))

                y = rng.choice([v for v in range(1, 10) if v != y])
                field_y = page.get_by_role("spinbutton", name="y", exact=True)
                await field_y.fill(str(y))
                t0 = time.perf_counter()
                await field_y.press("Enter")
                await shows(page, x * y + k, k)
                tally.edit.append(time.perf_counter() - t0)
                await check_own_numbers(page, index, base, tally)
                await asyncio.sleep(rng.uniform(*THINK))

                frame = await player_frame(page)
                n = await frame.evaluate(_STEPS)  # the player opens at the end: step n of n
                if not n:
                    raise RuntimeError("the player does not rest on its last step")
                for button, shown in (("Previous step (←)", n - 1), ("Next step (→)", n)):
                    t0 = time.perf_counter()
                    await frame.get_by_role("button", name=button).click()
                    await frame.wait_for_function(_STEP_SHOWN, arg=[shown, n], polling=50)
                    tally.step.append(time.perf_counter() - t0)
                    await page.get_by_text(f"Download step {shown}", exact=True).wait_for()
                    tally.step_page.append(time.perf_counter() - t0)
                    await asyncio.sleep(rng.uniform(*THINK))
            except Exception as err:  # a timeout or a page gone wrong: count it, reload, go on
                tally.errors.append(f"session {index}: {type(err).__name__}: {str(err).splitlines()[0][:160]}")
                try:
                    shown_error = await page.evaluate(_ERRORS)
                    if shown_error:
                        tally.errors.append(f"session {index} page error: {shown_error[:200]}")
                except Exception:
                    pass
                if not await load(page, url, index, tally):
                    return
                x, y = 2, 1
    finally:
        await context.close()


async def load(page: Any, url: str, index: int, tally: Tally) -> bool:
    """Open the app (three tries); False when it never showed the player's drawing."""
    for _ in range(3):
        try:
            await page.goto(url, timeout=LOAD_MS)
            frame = await player_frame(page, LOAD_MS)
            await frame.wait_for_selector(".gnn-stage svg", timeout=LOAD_MS)
            return True
        except Exception as err:
            tally.errors.append(f"session {index} load: {type(err).__name__}: {str(err).splitlines()[0][:120]}")
    return False


async def check_own_numbers(page: Any, index: int, base: int, tally: Tally) -> None:
    """Neither the player's drawing nor the page's text holds a number in another session's
    range [200(s+1), 200(s+1) + 199]."""
    frame = await player_frame(page)
    drawing = await frame.evaluate(_DRAWN_TEXT)
    text = await page.evaluate(_MAIN_TEXT)
    for where, shown in (("drawing", drawing), ("page", text)):
        for number in map(int, re.findall(r"(?<![\d.])\d{3,4}(?![\d.])", shown)):
            if 200 <= number and not base <= number < base + 200:
                tally.errors.append(f"session {index}'s {where} shows {number}, a number of another session")
    shown_error = await page.evaluate(_ERRORS)
    if shown_error:
        tally.errors.append(f"session {index} page error: {shown_error[:200]}")


async def heavy_session(browser: Any, url: str, until: float, tally: Tally) -> None:
    """Keeps loading the near-limit input (a new y each time) and waits for its answer: the
    over-budget message, or its drawing (the player's, or the one drawing shown without it)."""
    from urllib.parse import quote

    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    y = 2
    try:
        while time.monotonic() < until:
            y += 1
            t0 = time.perf_counter()
            try:
                await page.goto(f"{url}/?expr={quote(NEAR_LIMIT.format(y=y))}", timeout=LOAD_MS)
                read = await page.wait_for_function(_HEAVY_READ, polling=100, timeout=120_000)
                first = time.perf_counter() - t0 if await read.json_value() == "read" else None
                done = await page.wait_for_function(_HEAVY_DONE, polling=100, timeout=120_000)
                outcome = await done.json_value()
                if outcome == "player":
                    frame = await player_frame(page, 120_000)
                    await frame.wait_for_selector(".gnn-stage svg", timeout=120_000)
                text = await page.evaluate("() => document.body.innerText")
                found = re.search(r"needs more than [0-9.,]+ (s|MB)[^\n]*", text)
                tally.heavy.append((time.perf_counter() - t0, found.group(0) if found else f"result shown ({outcome})",
                                    first))
            except Exception as err:
                tally.heavy.append((time.perf_counter() - t0, f"no answer: {type(err).__name__}", None))
            await asyncio.sleep(2.0)
    finally:
        await context.close()


async def browser_cpu(browser: Any) -> float | None:
    """CPU seconds of ``browser``'s processes so far (browser, renderers, GPU, utilities), as
    Chromium counts them; None when it cannot say."""
    try:
        session = await browser.new_browser_cdp_session()
        info = await session.send("SystemInfo.getProcessInfo")
        return round(sum(p["cpuTime"] for p in info["processInfo"]), 1)
    except Exception:
        return None


def idle_chromium(chromium: str, folder: Path) -> Path:
    """A launcher in ``folder`` that runs ``chromium`` in the kernel's SCHED_IDLE class (``chrt
    --idle 0``): it and every process and thread it starts run only on a core nothing else wants.
    (Niceness alone does not hold: Chromium sets its processes' niceness itself, and as root
    it may lower it back to 0; it leaves their scheduling class alone.)"""
    chrt = shutil.which("chrt")
    if chrt is None:
        raise SystemExit("chrt (util-linux) is not installed")
    launcher = folder / "chromium-idle"
    launcher.write_text(f"#!/bin/sh\nexec {shlex.quote(chrt)} --idle 0 {shlex.quote(chromium)} \"$@\"\n",
                        encoding="utf-8")
    launcher.chmod(0o755)
    return launcher


async def phase(url: str, sessions: int, seconds: float, heavy: str | None = None) -> Tally:
    """One phase: the light sessions, and with ``heavy`` the near-limit session too, in the same
    Chromium as theirs (``"shared"``) or in a Chromium of its own at idle priority (``"idle"``:
    its student's laptop, see the module's text)."""
    import tempfile

    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed")
    tally = Tally()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        heavy_browser = browser
        try:
            with tempfile.TemporaryDirectory(prefix="gnn-classroom-") as folder:
                if heavy == "idle":
                    heavy_browser = await p.chromium.launch(executable_path=idle_chromium(chromium, Path(folder)),
                                                            args=CHROMIUM_ARGS)
                until = time.monotonic() + seconds
                jobs = [light_session(browser, url, i, until, tally) for i in range(sessions)]
                if heavy:
                    jobs.append(heavy_session(heavy_browser, url, until, tally))
                await asyncio.gather(*jobs)
                tally.browser_cpu["light_sessions"] = await browser_cpu(browser)
                if heavy_browser is not browser:
                    tally.browser_cpu["near_limit_session"] = await browser_cpu(heavy_browser)
        finally:
            if heavy_browser is not browser:
                await heavy_browser.close()
            await browser.close()
    return tally


PHASES = (("alone", None), ("with_near_limit_input", "shared"), ("with_near_limit_input_idle", "idle"))
"""The phases: their names in the report and the near-limit session's browser (None: no such session)."""
RATIO_KEYS = (("with_near_limit_input", ""), ("with_near_limit_input_idle", "_idle"))
"""The phases compared with "alone", and the suffix of their ratios' names in the report."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10, help="concurrent student sessions (10)")
    parser.add_argument("--seconds", type=float, default=180, help="length of each phase (180)")
    parser.add_argument("--no-heavy", action="store_true", help="skip the phases with the near-limit input")
    parser.add_argument("--heavy-browser", choices=("both", "shared", "idle"), default="both",
                        help="the near-limit session's Chromium: the light sessions' own (shared), one of its "
                             "own at idle priority standing for its student's laptop (idle), or a phase with "
                             "each (both, the default)")
    parser.add_argument("--no-alone", action="store_true", help="skip the phase without it")
    parser.add_argument("--server-log", type=Path, help="write the server's output to this file")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS or not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--sessions must be 1..{MAX_SESSIONS} and --seconds 1..{MAX_SECONDS}")
    # With a log, the server says where each rerun's time went (page/workers.py, GNN_POOL_LOG).
    server: App = start_app(log=args.server_log, env={"GNN_POOL_LOG": "1"} if args.server_log else None)
    memory = MemoryLog(server.pid)
    url = server.url
    report: dict[str, Any] = {"sessions": args.sessions, "seconds_per_phase": args.seconds,
                              "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    spans: dict[str, tuple[float, float]] = {}  # each phase's start and end (seconds since the epoch)
    try:
        for name, heavy in PHASES:
            if (heavy and args.no_heavy) or (not heavy and args.no_alone) \
                    or (heavy and args.heavy_browser not in ("both", heavy)):
                continue
            mark = len(memory.samples)
            began = time.time()
            tally = asyncio.run(phase(url, args.sessions, args.seconds, heavy))
            spans[name] = (began, time.time())
            report[name] = tally.summary()
            report[name]["memory_mb_server_workers"] = memory.samples[mark:][::5]
            report[name]["server_and_workers_cores_busy"] = memory.cpu_between(mark, len(memory.cpu))
            report[name]["rss_mb_at_end"] = memory.samples[-1][1:] if memory.samples else None
            print(json.dumps({name: report[name]}, indent=1), flush=True)
    finally:
        memory.stop()
        stop_app(server, sorted(memory.pids))
    samples = memory.samples
    report["rss_mb"] = {"server_max": max((s[1] for s in samples), default=0),
                        "workers_max": max((s[2] for s in samples), default=0),
                        "total_max": max((s[1] + s[2] for s in samples), default=0),
                        "server_last": samples[-1][1] if samples else 0}
    report["load_average_at_end"] = os.getloadavg()
    report["load_average_samples"] = memory.loads[::15]
    if args.server_log is not None:
        report["server_reruns"] = rerun_figures(args.server_log)
        report["phase_spans"] = spans
        report["server_light_reruns_by_phase"] = {name: rerun_figures(args.server_log, span, light=True)
                                                  for name, span in spans.items()}
        report["server_heavy_reruns_by_phase"] = {name: rerun_figures(args.server_log, span, heavy=True)
                                                  for name, span in spans.items() if name != "alone"}
        by_phase = report["server_light_reruns_by_phase"]
        for name, suffix in RATIO_KEYS:
            if "alone" in by_phase and name in by_phase and by_phase["alone"].get("wall_p95_s") \
                    and by_phase[name].get("wall_p95_s"):
                report["server_light_rerun_p95_with_over_without" + suffix] = round(
                    by_phase[name]["wall_p95_s"] / by_phase["alone"]["wall_p95_s"], 2)
    for name, suffix in RATIO_KEYS:  # the goal: within 2x
        if "alone" in report and name in report:
            report["p95_with_over_without" + suffix] = {
                what: round(report[name][what] / report["alone"][what], 2)
                for what in ("edit_p95_s", "step_p95_s", "step_to_downloads_p95_s")
                if report["alone"][what] and report[name][what] is not None}
    print(json.dumps({k: v for k, v in report.items() if k not in dict(PHASES)}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
