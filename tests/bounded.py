"""Run a case in a child process under memory and CPU limits (imported by the test modules).

The limits are bounds, not timings: a case that needs more memory than ``memory_mb`` fails
with a ``MemoryError`` (or is killed), one that needs more CPU than ``cpu_seconds`` is killed
by ``SIGXCPU``, one that writes a file past ``file_size`` bytes gets ``EFBIG``; either way the
test sees it in the exit status.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _limits(memory_mb: int, cpu_seconds: int, file_size: int | None):
    def apply() -> None:
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        if file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    return apply


def run_bounded(args: list[str], *, memory_mb: int = 1024, cpu_seconds: int = 30, cwd: Path | str | None = None,
                stdin: str | None = None, file_size: int | None = None) -> subprocess.CompletedProcess:
    """``args`` (a whole command line) under the limits (``file_size``: the largest file it may
    write, in bytes); text output captured."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd or ROOT, env=env, input=stdin,
                          preexec_fn=_limits(memory_mb, cpu_seconds, file_size), timeout=10 * cpu_seconds + 60)


def cli_bounded(*args: str, **limits) -> subprocess.CompletedProcess:
    """``graphviz-nn ARGS`` under the limits of :func:`run_bounded`."""
    return run_bounded([sys.executable, "-m", "graphviz_nn", *args], **limits)


def python_bounded(code: str, **limits) -> subprocess.CompletedProcess:
    """A Python snippet under the limits of :func:`run_bounded`."""
    return run_bounded([sys.executable, "-c", code], **limits)
