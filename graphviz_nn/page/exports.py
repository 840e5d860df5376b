"""More files behind the app's download buttons: the graph as a NumPy or PyTorch script (what the
CLI's ``code`` command writes) and the neuron view of a layer network in every drawing format.

>>> from graphviz_nn.draw.options import RenderOptions
>>> script = code_export("x^2 + 3xy", {"x": "2", "y": "1"}, RenderOptions(), "numpy").decode()
>>> "import numpy as np" in script
True
"""

from __future__ import annotations

from .dispatch import bounded
from .netview import SpecForm, network
from ..draw.options import RenderOptions
from .evaluations import Labels, ValuesArg, cached_evaluation, with_defaults

__all__ = ["CODE_EXPORTS", "code_export", "NEURON_FORMATS", "neuron_export"]

#: Code downloads: (language for :func:`code_export`, file name, MIME type, button label).
CODE_EXPORTS: tuple[tuple[str, str, str, str], ...] = (
    ("numpy", "graph_numpy.py", "text/x-python", "NumPy script"),
    ("torch", "graph_torch.py", "text/x-python", "PyTorch script"),
)

#: Neuron-view downloads: (format, file extension, MIME type, button label).
NEURON_FORMATS: tuple[tuple[str, str, str, str], ...] = (
    ("svg", "svg", "image/svg+xml", "SVG"),
    ("png", "png", "image/png", "PNG"),
    ("pdf", "pdf", "application/pdf", "PDF"),
    ("dot", "dot", "text/vnd.graphviz", "DOT"),
)


@bounded()  # a script of a long program takes a second to write: not in the server's process
def code_export(text: str, values: ValuesArg | None, options: RenderOptions, lang: str,
                labels: Labels = ()) -> bytes:
    """The page's graph (with its values, merged or not as ``options.merge`` says) as a
    standalone script that recomputes the value and every gradient: ``lang`` is ``numpy`` or
    ``torch``. Raises ``GnnError`` when the text does not evaluate."""
    from ..errors import RenderError
    from ..export.codegen import numpy_script, torch_script

    makers = {"numpy": numpy_script, "torch": torch_script}
    if lang not in makers:
        raise RenderError(f"unknown script language {lang!r}; choose one of: {', '.join(makers)}")
    res = cached_evaluation(text, with_defaults(text, values), labels, options.constant_grads, options.merge)
    return makers[lang](res).encode("utf-8")


def neuron_export(form: SpecForm, fmt: str, options: RenderOptions, show_weight_grads: bool = False) -> bytes:
    """The neuron view of the network form (a :class:`~graphviz_nn.page.netview.SpecForm`) as
    ``fmt`` (svg, png, pdf or dot), drawn with the page's values, gradients, direction and
    digits. Raises ``GnnError`` (a bad form, a network too big to draw, no layout program)."""
    from ..draw.neurons import NeuronOptions, neuron_dot
    from ..export.files import dot_bytes

    net = network(form)
    opts = NeuronOptions(show_weights=True, show_weight_grads=show_weight_grads, show_values=options.show_values,
                         show_grads=options.show_grads, rankdir=options.rankdir, digits=options.digits)
    return dot_bytes(neuron_dot(net, net.evaluate(), opts), fmt)
