"""6b. Server time of the step player for a new value: what the app computes when a field changes.

The app's player data (:func:`graphviz_nn.page.player.player_json`: evaluate, draw every step
of the pass with the steady layout, captions, trace rows, inspector entries) is asked for one
problem with a new value each time (the caches in the process then miss, as after a field
edit), in a fresh process per checkout. Run for two checkouts in the same run (this one and
``--peer DIR``, e.g. main before the change) so both see the same load; reports best-of-N and
the median in milliseconds.

    python -m benchmarks.player_values --peer /work/main --repeats 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r'''
import json, sys, time
from graphviz_nn.page.player import player_json
from graphviz_nn.draw.options import RenderOptions
text, name, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
player_json(text, {name: "0.25"}, RenderOptions())  # warm: imports, the layout program found
times = []
for i in range(repeats):
    started = time.perf_counter()
    player_json(text, {name: f"{0.5 + 0.173 * i:.3f}"}, RenderOptions())
    times.append(time.perf_counter() - started)
print(json.dumps(times))
'''


def chain(links: int) -> str:
    """A program of ``links`` named results ``a_i = sin(a_(i-1))·y + c``: 4 nodes a link."""
    lines = ["x = 0.5", "y = 1.5"]
    previous = "x"
    for i in range(links):
        lines.append(f"a{i} = sin({previous}) * y + {i % 7 + 1}")
        previous = f"a{i}"
    lines.append(previous)
    return "\n".join(lines)


PROBLEMS = {
    "design (seed 002)": ((ROOT / "examples" / "design.gnn").read_text(encoding="utf-8"), "x"),
    "chain of 45 links (183 nodes, 363 steps)": (chain(45), "x"),
}


def run(root: Path, text: str, name: str, repeats: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", CHILD, text, name, str(repeats)], env=env, cwd=root,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", type=Path, help="another checkout to time in the same run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    roots = [("this checkout", ROOT)] + ([("peer " + str(args.peer), args.peer)] if args.peer else [])
    print(f"uptime: {os.popen('uptime').read().strip()}")
    print("| problem | checkout | best of N, ms | median, ms |")
    print("|---|---|---|---|")
    for problem, (text, name) in PROBLEMS.items():
        for label, root in roots:
            times = run(root, text, name, args.repeats)
            print(f"| {problem} | {label} | {min(times) * 1000:.0f} | {statistics.median(times) * 1000:.0f} |",
                  flush=True)
    print(f"uptime: {os.popen('uptime').read().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
