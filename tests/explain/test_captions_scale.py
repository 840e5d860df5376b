"""Captions for every step read the trace a bounded number of times per step, not once per step
per step: the app captions every step of a pass, and a pass of 16,788 steps took minutes."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import graphviz_nn
from graphviz_nn.explain.captions import all_captions, caption_at


class CountingTrace(Sequence):
    """A trace that counts how many steps were read from it."""

    def __init__(self, steps: list):
        self.steps, self.reads = steps, 0

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k):
        found = self.steps[k]
        self.reads += len(found) if isinstance(k, slice) else 1
        return found

    def __iter__(self):
        for step in self.steps:
            self.reads += 1
            yield step


def test_all_captions_reads_each_step_a_bounded_number_of_times():
    terms = 40  # y is used 40 times: 40 contributions arrive at it
    res = graphviz_nn.evaluate(" + ".join(f"sin({k}x) y" for k in range(1, terms + 1)), {"x": 1, "y": 2})
    trace = CountingTrace(list(res.trace))
    counted = SimpleNamespace(graph=res.graph, trace=trace)
    captions = all_captions(counted, 4)
    assert len(captions) == len(trace) + 1
    assert trace.reads <= 3 * len(trace), (trace.reads, len(trace))  # was about len(trace)² / 2
    # The same captions as one at a time: the shared walk changes nothing they say.
    for k in (0, 1, len(trace) // 2, len(trace)):
        assert captions[k] == caption_at(res, k, 4)
    # The last contribution to y sums all 40 (y's gradient is Σ sin(kx) at x = 1).
    last = max(k for k, step in enumerate(res.trace, start=1) if step.edge and res.graph.nodes[step.edge[0]].get("name") == "y")
    assert "is used 40 times, so its gradient is the sum of all 40 contributions" in captions[last].words
