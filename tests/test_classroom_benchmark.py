"""The classroom benchmark's own parts that need no server: the near-limit session's idle-priority
Chromium launcher and the split of the server's reruns into the light sessions' and the near-limit
input's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks.classroom import idle_chromium
from benchmarks.server_watch import rerun_figures

LOG = """\
2026-11-28 20:00:01,000 gnn-pool rerun: 0.20 s of wall time, 0.10 s of it in workers, text of 9 characters
2026-11-28 20:00:02,000 gnn-pool rerun: 0.40 s of wall time, 0.30 s of it in workers, text of 12 characters
2026-11-28 20:00:03,000 gnn-pool rerun: 11.50 s of wall time, 10.00 s of it in workers, text of 19889 characters
2026-11-28 20:10:00,000 gnn-pool rerun: 9.00 s of wall time, 0.10 s of it in workers, text of 9 characters
"""


@pytest.mark.skipif(shutil.which("chrt") is None, reason="chrt (util-linux) is not installed")
def test_idle_launcher_runs_its_program_and_children_in_the_idle_class(tmp_path: Path) -> None:
    launcher = idle_chromium("/bin/sh", tmp_path)  # the launcher passes its arguments on
    out = subprocess.run([str(launcher), "-c", "chrt -p $$; sh -c 'chrt -p $$'"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    assert out.count("SCHED_IDLE") == 2, out


def test_rerun_figures_split_light_and_near_limit_reruns_within_a_span(tmp_path: Path) -> None:
    from datetime import datetime

    log = tmp_path / "server.log"
    log.write_text(LOG, encoding="utf-8")
    span = (datetime(2026, 11, 28, 20, 0, 0).timestamp(), datetime(2026, 11, 28, 20, 5, 0).timestamp())
    assert rerun_figures(log)["reruns"] == 4
    light = rerun_figures(log, span, light=True)
    assert (light["reruns"], light["wall_p50_s"], light["wall_longest_s"]) == (2, 0.4, [0.2, 0.4])
    heavy = rerun_figures(log, span, heavy=True)
    assert (heavy["reruns"], heavy["wall_p95_s"]) == (1, 11.5)
