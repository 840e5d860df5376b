"""A classroom on one server: ``python -m benchmarks.classroom [--sessions 10] [--seconds 180]``.

Starts its own ``streamlit run app.py`` on a free 127.0.0.1 port (stopped by its PID at the end;
loopback only), then drives ``--sessions`` Chromium sessions (one headless browser, one context
each) for ``--seconds``. Every session loops: type a new expression ``x*y + K`` (K unique to the
session and the round), set a new value of y, step back one step, step forward again, pausing
1.5–4 s between actions like a student. After each action it waits for the page to show exactly
its own numbers (the summary ``f = x·y + K`` and a drawing holding K and f, with no number that
belongs to another session) and records how long that took.

Phase 1 runs the sessions alone. Phase 2 (skip with ``--no-heavy``) runs them again with one more
session that keeps loading the issue's near-limit input (19,889 characters, 16,788 steps) through a
``?expr=`` link, each time with another value of y so that no cache answers it; it records how long
that session waits for its result or the over-budget message.

Reported per phase: p50 and p95 latency of edit -> graph (the expression or a value changed) and of
a step, the number of actions, errors (timeouts, pages showing an error, numbers of another
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
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
MAX_SESSIONS = 40
MAX_SECONDS = 1800
WAIT_MS = 30_000  # an action that shows nothing for this long is an error
THINK = (1.5, 4.0)  # seconds a student pauses between actions
LOAD_MS = 240_000  # a first visit that shows no graph for this long is an error
STAGGER = 3.0  # seconds between two sessions' first visits
NEAR_LIMIT = "x = 1; y = {y}; " + " + ".join(f"sin({k}x) y" for k in range(1, 1400))

# The drawing and the summary both show the session's numbers (read in the browser).
_SHOWS = """([f, marker]) => {
  const g = document.querySelector('.gnn-graph[data-state="current"] svg');
  if (!g || !g.textContent.includes(marker)) return false;
  const text = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')].map(e => e.innerText).join('\\n');
  return new RegExp('(^|\\\\s)f = ' + f + '(?![0-9.])').test(text) && g.textContent.includes(f);
}"""
_STEP_SHOWN = """([k, n]) => {
  const g = document.querySelector('.gnn-graph[data-state="current"] svg');
  const caption = [...document.querySelectorAll('strong')].some(e => e.innerText.startsWith(`Step ${k} of ${n}`));
  return caption && !!g && g.textContent.includes(`step ${k} of ${n}`);
}"""
_ERRORS = """() => [...document.querySelectorAll('[data-testid="stAlertContentError"], [data-testid="stException"]')]
  .map(e => e.innerText).join(' | ')"""
_HEAVY_DONE = """() => {
  const text = document.body.innerText;
  return /needs more than [0-9.]+ s/.test(text) || /needs more than [0-9,]+ MB/.test(text)
    || !!document.querySelector('.gnn-graph[data-state="current"] svg');
}"""


@dataclass
class Tally:
    """What one phase measured."""

    edit: list[float] = field(default_factory=list)
    step: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    heavy: list[tuple[float, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

        return {"edits": len(self.edit), "steps": len(self.step),
                "edit_p50_s": pct(self.edit, 0.5), "edit_p95_s": pct(self.edit, 0.95),
                "step_p50_s": pct(self.step, 0.5), "step_p95_s": pct(self.step, 0.95),
                "errors": len(self.errors), "error_examples": self.errors[:5],
                "heavy_loads": [(round(t, 2), outcome) for t, outcome in self.heavy]}


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int) -> subprocess.Popen:
    """``streamlit run app.py`` on 127.0.0.1:``port``; returns once it answers its health check."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    stop_server(proc, [])
    raise SystemExit("streamlit did not start")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of ``pid`` (with ``children``: also of its reaped children)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def stop_server(proc: subprocess.Popen, seen: list[int]) -> None:
    """Stop the server by its PID, then any of its worker processes still running (by PID)."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
    for pid in seen:
        if pid != proc.pid:
            try:
                os.kill(pid, 9)
            except OSError:
                pass


class MemoryLog:
    """Samples the resident memory of the server and of its workers every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 2.0):
        self.pid, self.every, self.start = pid, every, time.monotonic()
        self.samples: list[tuple[float, float, float]] = []  # (seconds, server MB, workers MB)
        self.cpu: list[tuple[float, float]] = []  # (seconds, CPU seconds of the server and its workers)
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            tree = descendants(self.pid)
            self.pids.update(tree)
            now = round(time.monotonic() - self.start, 1)
            self.samples.append((now, round(rss_mb(self.pid), 1),
                                 round(sum(rss_mb(p) for p in tree if p != self.pid), 1)))
            self.cpu.append((now, cpu_seconds(self.pid, children=True)
                             + sum(cpu_seconds(p, children=True) for p in tree if p != self.pid)))

    def cpu_between(self, first: int, last: int) -> float | None:
        """Cores the server and its workers kept busy on average between two samples."""
        if last - first < 2 or last > len(self.cpu):
            return None
        (t0, c0), (t1, c1) = self.cpu[first], self.cpu[last - 1]
        return round((c1 - c0) / (t1 - t0), 2) if t1 > t0 else None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------- sessions


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
                await page.wait_for_function(_SHOWS, arg=[str(x * y + k), str(k)], polling=50)
                tally.edit.append(time.perf_counter() - t0)
                await check_own_numbers(page, index, base, tally)
                await asyncio.sleep(rng.uniform(*THINK))

                y = rng.choice([v for v in range(1, 10) if v != y])
                field_y = page.get_by_role("spinbutton", name="y", exact=True)
                await field_y.fill(str(y))
                t0 = time.perf_counter()
                await field_y.press("Enter")
                await page.wait_for_function(_SHOWS, arg=[str(x * y + k), str(k)], polling=50)
                tally.edit.append(time.perf_counter() - t0)
                await check_own_numbers(page, index, base, tally)
                await asyncio.sleep(rng.uniform(*THINK))

                n = 10  # x*y + K: 5 nodes forward, the seed, 4 edges back
                for button, shown in (("Prev", n - 1), ("Next", n)):
                    t0 = time.perf_counter()
                    await page.get_by_role("button", name=button).click()
                    await page.wait_for_function(_STEP_SHOWN, arg=[shown, n], polling=50)
                    tally.step.append(time.perf_counter() - t0)
                    await asyncio.sleep(rng.uniform(*THINK))
            except Exception as err:  # a timeout or a page gone wrong: count it, reload, go on
                tally.errors.append(f"session {index}: {type(err).__name__}: {str(err).splitlines()[0][:160]}")
                try:
                    shown = await page.evaluate(_ERRORS)
                    if shown:
                        tally.errors.append(f"session {index} page error: {shown[:200]}")
                except Exception:
                    pass
                if not await load(page, url, index, tally):
                    return
                x, y = 2, 1
    finally:
        await context.close()


async def load(page: Any, url: str, index: int, tally: Tally) -> bool:
    """Open the app (three tries); False when it never showed its graph."""
    for _ in range(3):
        try:
            await page.goto(url, timeout=LOAD_MS)
            await page.wait_for_selector('.gnn-graph[data-state="current"] svg', timeout=LOAD_MS)
            return True
        except Exception as err:
            tally.errors.append(f"session {index} load: {type(err).__name__}: {str(err).splitlines()[0][:120]}")
    return False


async def check_own_numbers(page: Any, index: int, base: int, tally: Tally) -> None:
    """The drawing holds no number in another session's range [200(s+1), 200(s+1) + 199]."""
    text = await page.locator('.gnn-graph[data-state="current"] svg').first.text_content() or ""
    for number in map(int, re.findall(r"(?<![\d.])\d{3,4}(?![\d.])", text)):
        if 200 <= number and not base <= number < base + 200:
            tally.errors.append(f"session {index} shows {number}, a number of another session")
    shown = await page.evaluate(_ERRORS)
    if shown:
        tally.errors.append(f"session {index} page error: {shown[:200]}")


async def heavy_session(browser: Any, url: str, until: float, tally: Tally) -> None:
    """Keeps loading the near-limit input (a new y each time) and waits for its answer."""
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
                await page.wait_for_function(_HEAVY_DONE, polling=100, timeout=120_000)
                text = await page.evaluate("() => document.body.innerText")
                found = re.search(r"needs more than [0-9.,]+ (s|MB)", text)
                tally.heavy.append((time.perf_counter() - t0, found.group(0) if found else "result shown"))
            except Exception as err:
                tally.heavy.append((time.perf_counter() - t0, f"no answer: {type(err).__name__}"))
            await asyncio.sleep(2.0)
    finally:
        await context.close()


async def phase(url: str, sessions: int, seconds: float, heavy: bool) -> Tally:
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed")
    tally = Tally()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            until = time.monotonic() + seconds
            jobs = [light_session(browser, url, i, until, tally) for i in range(sessions)]
            if heavy:
                jobs.append(heavy_session(browser, url, until, tally))
            await asyncio.gather(*jobs)
        finally:
            await browser.close()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10, help="concurrent student sessions (10)")
    parser.add_argument("--seconds", type=float, default=180, help="length of each phase (180)")
    parser.add_argument("--no-heavy", action="store_true", help="skip the phase with the near-limit input")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS or not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--sessions must be 1..{MAX_SESSIONS} and --seconds 1..{MAX_SECONDS}")
    port = free_port()
    server = start_server(port)
    memory = MemoryLog(server.pid)
    url = f"http://127.0.0.1:{port}"
    report: dict[str, Any] = {"sessions": args.sessions, "seconds_per_phase": args.seconds,
                              "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    try:
        for name, heavy in (("alone", False), ("with_near_limit_input", True)):
            if heavy and args.no_heavy:
                continue
            mark = len(memory.samples)
            tally = asyncio.run(phase(url, args.sessions, args.seconds, heavy))
            report[name] = tally.summary()
            report[name]["memory_mb_server_workers"] = memory.samples[mark:][::5]
            report[name]["server_and_workers_cores_busy"] = memory.cpu_between(mark, len(memory.cpu))
            report[name]["rss_mb_at_end"] = memory.samples[-1][1:] if memory.samples else None
            print(json.dumps({name: report[name]}, indent=1), flush=True)
    finally:
        memory.stop()
        stop_server(server, sorted(memory.pids))
    samples = memory.samples
    report["rss_mb"] = {"server_max": max((s[1] for s in samples), default=0),
                        "workers_max": max((s[2] for s in samples), default=0),
                        "total_max": max((s[1] + s[2] for s in samples), default=0),
                        "server_last": samples[-1][1] if samples else 0}
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps({k: v for k, v in report.items() if k not in ("alone", "with_near_limit_input")}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
