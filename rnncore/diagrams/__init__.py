"""The book's schematics, drawn from code in one visual language (see :mod:`rnncore.diagrams._canvas`).

Each function returns a :class:`Diagram`: a matplotlib figure with its alt
text, shown as SVG in a notebook and written with ``Diagram.save(path)``.
The data plots (curves, heatmaps) are in :mod:`rnncore.plotting`.

===================================  ==========================================
:mod:`rnncore.diagrams.graphs`       computational graphs: unfolding, the Elman
                                     network, task shapes, BPTT, the graphical model
:mod:`rnncore.diagrams.cells`        inside one step: leaky units, skips, LSTM, GRU
:mod:`rnncore.diagrams.architectures`  networks of cells: teacher forcing, deep,
                                     bidirectional, encoder–decoder, attention
===================================  ==========================================
"""

from rnncore.diagrams import architectures, cells, graphs
from rnncore.diagrams._canvas import Canvas, Diagram, plain
from rnncore.diagrams.architectures import *  # noqa: F403
from rnncore.diagrams.cells import *  # noqa: F403
from rnncore.diagrams.graphs import *  # noqa: F403

#: Every diagram function of the book, by name.
DIAGRAMS = {name: getattr(module, name) for module in (graphs, cells, architectures) for name in module.__all__}

__all__ = ["Canvas", "Diagram", "plain", "DIAGRAMS", *DIAGRAMS]
