"""What the worker-pool tests share: a clock the test moves, waiting for a state of the pool,
and killing the worker that runs a call (as the memory limit would)."""

from __future__ import annotations

import os
import signal
import threading
import time


class Clock:
    """A rerun's clock that moves only when the test moves it (no test waits on real time)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def wait_until(state, limit: float = 300.0) -> None:
    """Wait for ``state()`` to hold (polling; ``limit`` only stops a broken test from hanging)."""
    done = threading.Event()
    for _ in range(int(limit / 0.01)):
        if state():
            return
        done.wait(0.01)
    raise AssertionError("the pool never reached the state the test waits for")


def kill_busy(pool) -> None:
    """Kill the process of the worker running a call (as the memory limit would)."""
    (worker,) = list(pool._busy)
    os.killpg(worker.process.pid, signal.SIGKILL)


def burn_cpu(seconds: float) -> int:
    """Run in a worker: compute until this process has used ``seconds`` of CPU time, then
    say at which CPU priority (``nice``) it ended."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        sum(range(10_000))
    return os.nice(0)
