"""When each number of the inspector becomes known, and what the inspector shows at a step.

The drawing at step ``k`` shows a node's value once its forward step is done, and during the
backward pass the gradient accumulated so far (each backward step along an edge adds one
contribution). :func:`add_timeline` writes into the inspector's entries of
:func:`~graphviz_nn.export.player.data.player_data` the steps at which that happens: ``at``
(the node's forward step), ``grads`` (``[step, gradient so far]`` after each step that changes
it: the seed, each contribution) and each use's and edge's ``step`` (the backward step whose
contribution flows along it). :func:`inspector_at` reads the entry at one step, as the page's
script does (``player.js``, ``Player.nodeAt``), so the numbers the panel writes can be checked
here against :func:`graphviz_nn.core.engine.state_at`.

>>> import graphviz_nn as gnn
>>> from graphviz_nn.export.player.data import node_info
>>> res = gnn.evaluate("x*y + x", {"x": 2, "y": 3})
>>> info = add_timeline(res, {"n0": node_info(res, "n0")}, {})["n0"]
>>> info["at"], info["grads"]
(1, [[7, '1'], [8, '4']])
>>> [inspector_at(info, k)["grad"] for k in (2, 7, 8)]
[None, '1', '4']
"""

from __future__ import annotations

from typing import Any

from ...explain.captions import format_number

__all__ = ["add_timeline", "inspector_at"]


def add_timeline(res: Any, nodes: dict[str, dict], edges: dict[str, dict], digits: int = 4) -> dict[str, dict]:
    """``nodes`` (and ``edges``) with the steps at which their numbers are known written in."""
    forward: dict[str, int] = {}
    grads: dict[str, list[list[Any]]] = {}
    flowed: dict[str, int] = {}
    for k, step in enumerate(res.trace, start=1):
        if step.phase == "forward":
            forward[str(step.node)] = k
        elif step.edge is None:  # the seed
            grads.setdefault(str(step.node), []).append([k, format_number(step.contribution, digits)])
        else:
            grads.setdefault(str(step.edge[0]), []).append([k, format_number(step.grad_after, digits)])
            flowed["{}-{}-{}".format(*step.edge)] = k  # the drawn edge's id
    for node, info in nodes.items():
        info["at"] = forward.get(node)
        info["grads"] = grads.get(node, [])
        for use in info.get("uses", []):
            use["step"] = flowed.get(use["edge"])
    for ident, info in edges.items():
        info["step"] = flowed.get(ident)
        info["at"] = forward.get(info["target"])  # the local derivative is known once the op is computed
    return nodes


def inspector_at(info: dict[str, Any], k: int) -> dict[str, Any]:
    """What the inspector writes for a node at step ``k``: ``value`` (``None`` until its forward
    step), ``grad`` (the gradient so far, ``None`` before the first contribution), the uses with
    ``done`` (its contribution has flowed) and the written sum of the contributions so far."""
    at = info.get("at")
    value = info["value"] if at is not None and k >= at else None
    grad = None
    for step, text in info.get("grads", []):
        if step <= k:
            grad = text
    uses = [{**use, "done": use.get("step") is not None and k >= use["step"]} for use in info.get("uses", [])]
    done = [use["contribution"] or "?" for use in uses if use["done"]]
    total = None
    if len(uses) > 1 and grad is not None and done:
        total = " + ".join(f"({c})" if c.startswith("−") else c for c in done) + f" = {grad}"
    return {"value": value, "grad": grad, "uses": uses, "sum": total,
            "pending": sum(1 for use in uses if not use["done"])}
