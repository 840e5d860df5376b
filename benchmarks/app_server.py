"""The Streamlit server and the Chromium flags the browser benchmarks share.

``benchmarks.browser``, ``benchmarks.classroom`` and ``benchmarks.player`` each start a
``streamlit run`` of their own on a free 127.0.0.1 port (loopback only), wait for its health
check, drive headless Chromium (:data:`CHROMIUM_ARGS`) against it and stop it by its process
id at the end: ``with running_app() as app: page.goto(app.url)``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["ROOT", "CHROMIUM_ARGS", "App", "free_port", "wait_healthy", "launch_app", "start_app", "stop_app", "running_app"]

ROOT = Path(__file__).resolve().parent.parent
#: Headless Chromium that reaches nothing but the loopback server it is pointed at.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
START_SECONDS = 90.0
"""How long a server may take to answer its first health check (imports on a loaded machine)."""


@dataclass
class App:
    """A running ``streamlit run``: its process and port."""

    proc: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float = START_SECONDS) -> bool:
    """Wait until the Streamlit server at ``url`` answers its health check (True), or ``proc``
    ends or ``seconds`` pass without an answer (False)."""
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def launch_app(script: str | Path = "app.py", root: Path = ROOT, port: int | None = None,
               env: dict[str, str] | None = None, log: Path | None = None, keep_errors: bool = False) -> App:
    """``streamlit run script`` from the checkout ``root`` (its package first on the path) on
    127.0.0.1, without waiting for it. ``log``: a file for the server's output (by default it is
    dropped); ``keep_errors``: its standard error stays readable as ``app.proc.stderr`` (a test
    shows why a server did not start)."""
    port = port or free_port()
    environ = {**os.environ, "PYTHONPATH": str(root), **(env or {})}
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 (the server keeps it)
    errors = subprocess.PIPE if keep_errors else subprocess.STDOUT if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=root, env=environ, stdout=out, stderr=errors)
    if log is not None:
        out.close()  # the server holds its own copy
    return App(proc, port)


def start_app(script: str | Path = "app.py", root: Path = ROOT, port: int | None = None,
              env: dict[str, str] | None = None, log: Path | None = None) -> App:
    """:func:`launch_app`, returning once ``/_stcore/health`` answers; or it is stopped and the
    program exits with a message."""
    app = launch_app(script, root, port, env, log)
    if wait_healthy(app.url, app.proc, START_SECONDS):
        return app
    stop_app(app)
    raise SystemExit(f"streamlit did not start: {script} on port {app.port}")


def stop_app(app: App, also: Iterable[int] = ()) -> None:
    """Stop the server by its process id (TERM, then KILL), then the processes ``also`` names
    that are still running (its worker processes, found while it ran)."""
    proc = app.proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
    for pid in also:
        if pid != proc.pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


@contextmanager
def running_app(script: str | Path = "app.py", root: Path = ROOT,
                env: dict[str, str] | None = None) -> Iterator[App]:
    """:func:`start_app` for the block, stopped when it ends (also on an error)."""
    app = start_app(script, root, env=env)
    try:
        yield app
    finally:
        stop_app(app)
