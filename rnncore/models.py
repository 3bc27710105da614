"""The thin model layer: a parameter dict, and a gradient dict with the same keys.

:class:`SequenceModel` covers the single-layer shapes the book trains:

=============  ===========  ===========  ================================
input          readout      loss         example
=============  ===========  ===========  ================================
``tokens``     ``all``      ``ce``       character language model, tagging
``vectors``    ``last``     ``squared``  adding problem (sequence → number)
``vectors``    ``all``      ``squared``  noisy sine prediction
``tokens``     ``last``     ``ce``       sequence classification
=============  ===========  ===========  ================================

The forward pass is embedding (tokens only) → recurrent cell → affine output
``o(t) = c + V h(t)`` → loss; the backward pass runs the same pieces in reverse.
Losses are means over the positions that count, so learning rates do not
depend on batch size or length.
"""

from __future__ import annotations

import numpy as np

from rnncore.activations import softmax
from rnncore.cells import get_cell
from rnncore.layers import affine_backward, affine_forward, embedding_backward, embedding_forward
from rnncore.losses import softmax_cross_entropy, squared_error


class SequenceModel:
    """A recurrent network with one cell, an optional embedding and an output layer.

    Args:
        cell: a name from :data:`rnncore.cells.CELLS`.
        n_in: input size ``D`` (``input="vectors"``) or vocabulary size (``"tokens"``).
        hidden: ``H``.
        n_out: ``K``, the number of classes or regression outputs.
        input: ``"tokens"`` (integer ids, ``(T, N)``) or ``"vectors"`` (``(T, N, D)``).
        readout: ``"all"`` (an output at every step) or ``"last"`` (one at ``t = T``).
        loss: ``"ce"`` (softmax cross-entropy) or ``"squared"``.
        embed: embedding size for token input (default ``hidden``).
        seed: seeds the initial parameters.
        recurrent_init: ``"uniform"`` or ``"orthogonal"`` (see :meth:`rnncore.cells.Cell.init`).
    """

    def __init__(
        self,
        cell: str,
        n_in: int,
        hidden: int,
        n_out: int,
        input: str = "tokens",
        readout: str = "all",
        loss: str = "ce",
        embed: int | None = None,
        seed: int = 0,
        recurrent_init: str = "uniform",
    ):
        for name, value, allowed in (
            ("input", input, ("tokens", "vectors")),
            ("readout", readout, ("all", "last")),
            ("loss", loss, ("ce", "squared")),
        ):
            if value not in allowed:
                raise ValueError(f"SequenceModel: {name} must be one of {allowed}, got {value!r}")
        self.cell = get_cell(cell)
        self.input, self.readout, self.loss = input, readout, loss
        rng = np.random.default_rng(seed)
        D = (embed or hidden) if input == "tokens" else n_in
        self.params: dict[str, np.ndarray] = self.cell.init(D, hidden, rng, recurrent=recurrent_init)
        if input == "tokens":
            self.params["E"] = rng.standard_normal((n_in, D)) * 0.1
        k = 1.0 / np.sqrt(hidden)
        self.params["V"] = rng.uniform(-k, k, (n_out, hidden))
        self.params["c"] = np.zeros(n_out)

    def _cell_params(self):
        return {k: self.params[k] for k in self.cell.param_names}

    def forward(self, x, state0=None):
        """Outputs ``o`` (``(T, N, K)`` or ``(N, K)``), the final state, and the caches."""
        if self.input == "tokens":
            xs, emb_cache = embedding_forward(x, self.params["E"])
        else:
            xs, emb_cache = np.asarray(x, dtype=np.float64), None
        h, cell_cache, final = self.cell.forward(xs, self._cell_params(), state0)
        top = h if self.readout == "all" else h[-1]
        o, out_cache = affine_forward(top, self.params["V"], self.params["c"])
        return o, final, (emb_cache, cell_cache, out_cache, h.shape)

    def loss_and_grads(self, batch, state0=None, return_state: bool = False):
        """``batch = (x, y, [mask])``: the mean loss and its gradients, keyed like :attr:`params`.

        ``y`` is ``(T, N)`` class ids or ``(T, N, K)`` values for ``readout="all"``,
        ``(N,)`` or ``(N, K)`` for ``"last"``. With ``return_state`` the final state is
        returned too (for truncated BPTT, :func:`rnncore.truncated.truncated_bptt`).
        """
        x, y, *rest = batch
        mask = rest[0] if rest else None
        o, final, (emb_cache, cell_cache, out_cache, h_shape) = self.forward(x, state0)
        if self.loss == "ce":
            loss, do = softmax_cross_entropy(o, y, mask=mask, reduction="mean")
        else:
            loss, do = squared_error(o, y, mask=mask, reduction="mean")
        g_out = affine_backward(do, out_cache)
        if self.readout == "all":
            dh = g_out.dh
        else:
            dh = np.zeros(h_shape, dtype=g_out.dh.dtype)
            dh[-1] = g_out.dh
        dxs, grads, _ = self.cell.backward(dh, cell_cache)
        grads = dict(grads, V=g_out.dV, c=g_out.dc)
        if emb_cache is not None:
            grads["E"] = embedding_backward(dxs, emb_cache)
        return (loss, grads, final) if return_state else (loss, grads)

    def predict(self, x) -> np.ndarray:
        """Class ids (``loss="ce"``) or values (``"squared"``) for input ``x``."""
        o, _, _ = self.forward(x)
        return o.argmax(axis=-1) if self.loss == "ce" else o

    def sample(self, start: int, length: int, rng: np.random.Generator, temperature: float = 1.0) -> list[int]:
        """Generate ``length`` tokens one at a time, each fed back as the next input.

        Only for ``input="tokens"``, ``readout="all"``, ``loss="ce"`` (a language model).
        """
        if (self.input, self.readout, self.loss) != ("tokens", "all", "ce"):
            raise ValueError("SequenceModel.sample: only a token language model can sample")
        out, token, state = [], start, None
        for _ in range(length):
            xs, _ = embedding_forward(np.array([[token]]), self.params["E"])
            h, _, state = self.cell.forward(xs, self._cell_params(), state)
            o = h[0, 0] @ self.params["V"].T + self.params["c"]
            p = softmax(o / temperature)
            token = int(rng.choice(len(p), p=p))
            out.append(token)
        return out
