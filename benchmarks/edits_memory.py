"""Memory after many distinct edits: ``python -m benchmarks.edits_memory [--sessions 10] [--edits 1000]``.

No browser: ``--sessions`` Streamlit sessions (``AppTest``, each with its own session state) run
the app script in this process, with the worker pool the app starts, as the server would. The
sessions take turns; each edit is a new expression (``x*y + K``, K never repeats) or a new value
of y, so every edit misses every cache once. Prints the resident memory of this process (the
server's part) and of its workers every ``--every`` edits, then the largest figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_EDITS = 5000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.edits_memory", description=__doc__)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 40 or not 1 <= args.edits <= MAX_EDITS:
        parser.error(f"--sessions 1..40, --edits 1..{MAX_EDITS}")
    from streamlit.testing.v1 import AppTest

    from benchmarks.classroom import descendants, rss_mb
    from graphviz_nn.page import dispatch

    sessions = [AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run() for _ in range(args.sessions)]
    pool = dispatch.pool()
    me = os.getpid()
    samples, errors, start = [], 0, time.monotonic()
    for edit in range(1, args.edits + 1):
        at = sessions[edit % args.sessions]
        if edit % 2:
            at.text_area(key="text").set_value(f"x*y + {edit}").run()
        else:
            at.number_input(key="num:y").set_value(float(edit % 97 + 1)).run()
        errors += len(at.exception) + len(at.error)
        if edit % args.every == 0 or edit == args.edits:
            workers = [p for p in descendants(me) if p != me]
            samples.append({"edits": edit, "seconds": round(time.monotonic() - start, 1),
                            "server_mb": round(rss_mb(me), 1),
                            "workers_mb": round(sum(rss_mb(p) for p in workers), 1),
                            "workers": len(workers), "answers_mb": round(pool.answers.size / 2**20, 1) if pool else None})
            print(json.dumps(samples[-1]), flush=True)
    report = {"sessions": args.sessions, "edits": args.edits, "errors": errors, "samples": samples,
              "pool_counts": pool.counts if pool else None,
              "server_mb_max": max(s["server_mb"] for s in samples),
              "workers_mb_max": max(s["workers_mb"] for s in samples)}
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    dispatch.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
