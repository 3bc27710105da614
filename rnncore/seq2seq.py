"""Encoder–decoder (sequence to sequence) models, with or without attention.

Book notation (chapter *Architectures*, section *Sequence to sequence*). The
encoder reads the source and its final state becomes the decoder's initial
state, as in Sutskever et al. 2014 (the decoder of Cho et al. 2014 also reads
the context at every step; this one does not)::

    h_enc(j) = f(h_enc(j-1), x(j); θ_enc),            j = 1..S
    h_dec(0) = h_enc(S)                                (the context C)
    h_dec(t) = f(h_dec(t-1), E[y(t-1)]; θ_dec)         y(0) = BOS
    o(t)     = c + V z(t),   z(t) = h_dec(t)           (no attention; c is the output bias)

Here z(t) is the vector the output layer reads (``z`` in rnncore's code,
where attention is used); it is not the GRU's update gate z(t).

With attention (chapter *Attention*; Luong et al. 2015), the decoder state
h(t) = h_dec(t) is the query, the encoder states are the keys and the values,
and the output reads the context C(t) and the state::

    C(t), α(t, ·) = attend(q = h(t), k = v = h_enc(1..S))
    z(t) = h̄(t) = tanh(W_C [C(t); h(t)] + b_C)        (code: W_c, b_c; ctx is C(t))

h̄(t) is Luong's attentional state (written h-bar in the book; h̃ is the GRU's
candidate), and ``z`` holds it in the code.

The encoder reads padding like any other symbol (the mask reaches only the
attention), so its states depend on how much padding precedes a sequence:
decode with the padding used in training (chapter *Attention*, "A date that
comes out wrong").

Training feeds the true previous token (teacher forcing); :meth:`Seq2Seq.greedy`
feeds back the model's own previous prediction (free running), and
:meth:`Seq2Seq.beam_search` keeps the ``B`` best partial outputs instead of one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnncore.activations import log_softmax
from rnncore.attention import SCORES, attention_backward, attention_forward
from rnncore.cells import get_cell
from rnncore.layers import affine_backward, affine_forward, embedding_backward, embedding_forward
from rnncore.losses import softmax_cross_entropy


class BeamResult(NamedTuple):
    """What :meth:`Seq2Seq.beam_search` returns.

    ``tokens (L, N)``: the best output of each source; ``score (N,)``: its summed
    log-probability ``log p(y | x)``; ``beams (L, N, B)`` and ``beam_scores (N, B)``:
    the whole final beam, best first; ``lengths (N, B)``: each hypothesis's length
    (up to and including EOS). After EOS a hypothesis is padded with EOS.
    """

    tokens: np.ndarray
    score: np.ndarray
    beams: np.ndarray
    beam_scores: np.ndarray
    lengths: np.ndarray


class Seq2Seq:
    """An encoder–decoder over token sequences; parameters in one flat dict.

    Keys: ``E_src, E_tgt`` (embeddings), ``enc.U, enc.W, enc.b`` and ``dec.*``
    (the two cells), ``V, c`` (output), and with attention ``W_c, b_c`` (the book's
    ``W_C, b_C``) plus,
    for the additive score, ``att.W_q, att.W_k, att.v_a``.

    Args:
        cell: a name from :data:`rnncore.cells.CELLS`, used by encoder and decoder.
        src_vocab, tgt_vocab: vocabulary sizes; hidden: ``H``; embed: embedding size.
        attention: ``None`` or a score from :data:`rnncore.attention.SCORES`.
        seed: seeds the initial parameters.
    """

    def __init__(
        self,
        cell: str,
        src_vocab: int,
        tgt_vocab: int,
        hidden: int,
        embed: int = 16,
        attention: str | None = None,
        seed: int = 0,
    ):
        if attention is not None and attention not in SCORES:
            raise ValueError(f"Seq2Seq: attention must be None or one of {SCORES}, got {attention!r}")
        self.cell = get_cell(cell)
        self.attention = attention
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(hidden)
        p = {
            "E_src": rng.standard_normal((src_vocab, embed)) * 0.1,
            "E_tgt": rng.standard_normal((tgt_vocab, embed)) * 0.1,
        }
        for prefix in ("enc", "dec"):
            for name, value in self.cell.init(embed, hidden, rng).items():
                p[f"{prefix}.{name}"] = value
        p["V"] = rng.uniform(-k, k, (tgt_vocab, hidden))
        p["c"] = np.zeros(tgt_vocab)
        if attention is not None:
            k2 = 1.0 / np.sqrt(2 * hidden)
            p["W_c"] = rng.uniform(-k2, k2, (hidden, 2 * hidden))
            p["b_c"] = np.zeros(hidden)
        if attention == "additive":
            p["att.W_q"] = rng.uniform(-k, k, (hidden, hidden))
            p["att.W_k"] = rng.uniform(-k, k, (hidden, hidden))
            p["att.v_a"] = rng.uniform(-k, k, (hidden,))
        self.params: dict[str, np.ndarray] = p

    # ------------------------------------------------------------------ pieces

    def _sub(self, prefix: str) -> dict[str, np.ndarray]:
        return {name: self.params[f"{prefix}.{name}"] for name in self.cell.param_names}

    def _att_kwargs(self) -> dict:
        if self.attention != "additive":
            return {}
        return {
            "W_q": self.params["att.W_q"],
            "W_k": self.params["att.W_k"],
            "v_a": self.params["att.v_a"],
        }

    def encode(self, src):
        """Encoder states ``(S, N, H)``, its final state dict, and the caches."""
        xs, emb_cache = embedding_forward(src, self.params["E_src"])
        h_enc, enc_cache, final = self.cell.forward(xs, self._sub("enc"))
        return h_enc, final, (emb_cache, enc_cache)

    def _readout(self, h_dec, h_enc, src_mask):
        """Logits from decoder states (through attention if configured)."""
        if self.attention is None:
            o, out_cache = affine_forward(h_dec, self.params["V"], self.params["c"])
            return o, None, (out_cache, None, None)
        ctx, weights, att_cache = attention_forward(h_dec, h_enc, h_enc, src_mask, self.attention, **self._att_kwargs())
        pre, comb_cache = affine_forward(np.concatenate([ctx, h_dec], axis=-1), self.params["W_c"], self.params["b_c"])
        z = np.tanh(pre)
        o, out_cache = affine_forward(z, self.params["V"], self.params["c"])
        return o, weights, (out_cache, (comb_cache, z), att_cache)

    def _decode_step(self, token, state, h_enc, src_mask):
        """One free-running decoder step from the previous tokens ``(N,)``: ``(o (N, K), weights or None, state)``."""
        xt, _ = embedding_forward(token[None], self.params["E_tgt"])
        h_dec, _, state = self.cell.forward(xt, self._sub("dec"), state)
        o, weights, _ = self._readout(h_dec, h_enc, src_mask)
        return o[0], (None if weights is None else weights[0]), state

    def _teacher_forced_logits(self, src, tgt_in, src_mask):
        """Logits ``(T, N, K)`` when every step is fed the given previous token ``tgt_in (T, N)``."""
        h_enc, final, _ = self.encode(src)
        xt, _ = embedding_forward(tgt_in, self.params["E_tgt"])
        h_dec, _, _ = self.cell.forward(xt, self._sub("dec"), final)
        return self._readout(h_dec, h_enc, src_mask)[0]

    # ------------------------------------------------------------------ training

    def loss_and_grads(self, batch):
        """Teacher-forced mean cross-entropy and its gradients.

        ``batch = (src (S, N), tgt_in (T, N), tgt_out (T, N), [src_mask (S, N), tgt_mask (T, N)])``:
        ``tgt_in`` starts with BOS and is ``tgt_out`` shifted right by one.
        """
        src, tgt_in, tgt_out, *masks = batch
        src_mask = masks[0] if masks else None
        tgt_mask = masks[1] if len(masks) > 1 else None
        h_enc, final, (emb_src, enc_cache) = self.encode(src)
        xt, emb_tgt = embedding_forward(tgt_in, self.params["E_tgt"])
        h_dec, dec_cache, _ = self.cell.forward(xt, self._sub("dec"), final)
        o, _, (out_cache, comb, att_cache) = self._readout(h_dec, h_enc, src_mask)
        loss, do = softmax_cross_entropy(o, tgt_out, mask=tgt_mask, reduction="mean")

        g_out = affine_backward(do, out_cache)
        grads = {"V": g_out.dV, "c": g_out.dc}
        dh_enc = np.zeros_like(h_enc)
        if self.attention is None:
            dh_dec = g_out.dh
        else:
            comb_cache, z = comb
            g_comb = affine_backward(g_out.dh * (1.0 - z**2), comb_cache)
            grads.update(W_c=g_comb.dV, b_c=g_comb.dc)
            H = h_dec.shape[-1]
            dctx, dh_dec = g_comb.dh[..., :H], g_comb.dh[..., H:]
            g_att = attention_backward(dctx, att_cache)
            dh_dec = dh_dec + g_att.dquery
            dh_enc += g_att.dkeys + g_att.dvalues
            if self.attention == "additive":
                grads.update({"att.W_q": g_att.dW_q, "att.W_k": g_att.dW_k, "att.v_a": g_att.dv_a})
        dxt, g_dec, dstate0 = self.cell.backward(dh_dec, dec_cache)
        grads["E_tgt"] = embedding_backward(dxt, emb_tgt)
        # The decoder's initial state is the encoder's final state: its gradient flows back.
        dxs, g_enc, _ = self.cell.backward(dh_enc, enc_cache, dstate0)
        grads["E_src"] = embedding_backward(dxs, emb_src)
        grads.update({f"dec.{k}": v for k, v in g_dec.items()})
        grads.update({f"enc.{k}": v for k, v in g_enc.items()})
        return loss, grads

    # ------------------------------------------------------------------ inference

    def greedy(self, src, bos: int, length: int, src_mask=None):
        """Free-running decoding: each step's argmax is the next step's input.

        Returns ``(tokens (length, N), attention weights (length, N, S) or None)``.
        """
        h_enc, state, _ = self.encode(src)
        N = h_enc.shape[1]
        token = np.full(N, bos)
        tokens, weights = [], []
        for _ in range(length):
            o, w, state = self._decode_step(token, state, h_enc, src_mask)
            token = o.argmax(axis=-1)
            tokens.append(token)
            if w is not None:
                weights.append(w)
        return np.stack(tokens), (np.stack(weights) if weights else None)

    def beam_search(
        self, src, bos: int, length: int, beam: int = 4, src_mask=None, eos: int | None = None, length_norm: float = 0.0
    ) -> BeamResult:
        """Beam search: keep the ``B = beam`` most probable partial outputs at every step.

        A hypothesis ``y(1..t)`` has the score ``log p(y(1..t) | x) = Σ_{t' ≤ t} log ŷ(t')[y(t')]``,
        with ``ŷ(t') = softmax(o(t'))`` computed with ``y(1..t'-1)`` fed back (free
        running, as in :meth:`greedy`). At each step every one of the ``B`` hypotheses
        is extended by each of the ``K`` tokens, and the ``B`` of the ``B·K``
        candidates with the highest *ranking score* are kept::

            rank(y) = log p(y | x) / |y|^β        β = length_norm (0: no normalisation)

        ``|y|`` counts the tokens up to and including EOS. With ``eos`` given, a
        hypothesis that has emitted EOS is finished: its score and length freeze and
        it stays in the beam, competing with the unfinished ones. ``beam=1`` is
        :meth:`greedy` (ties aside). Beam search is exact when ``B ≥ K^(L−1)`` (every
        prefix is kept); for smaller ``B`` it is a heuristic and may even return a
        less probable output than greedy decoding.

        Shapes: ``src (S, N)`` ids, ``src_mask (S, N)``; internally the ``N·B``
        hypotheses run as one batch (row ``n·B + b``). Returns a :class:`BeamResult`.
        """
        if beam < 1:
            raise ValueError(f"Seq2Seq.beam_search: beam must be at least 1, got {beam}")
        h_enc, state, _ = self.encode(src)
        N, B = h_enc.shape[1], beam
        K = self.params["V"].shape[0]
        h_enc = np.repeat(h_enc, B, axis=1)
        src_mask = None if src_mask is None else np.repeat(src_mask, B, axis=1)
        state = {name: np.repeat(value, B, axis=0) for name, value in state.items()}
        rows = np.arange(N)[:, None]
        logp = np.full((N, B), -np.inf)
        logp[:, 0] = 0.0  # the B copies of the empty hypothesis count once
        lengths = np.zeros((N, B), dtype=np.int64)
        done = np.zeros((N, B), dtype=bool)
        history = np.zeros((0, N, B), dtype=np.int64)
        token = np.full(N * B, bos)
        for _ in range(length):
            o, _, state = self._decode_step(token, state, h_enc, src_mask)
            step = log_softmax(o).reshape(N, B, K)
            if eos is not None:  # a finished hypothesis continues only with EOS, at no cost
                step = np.where(done[..., None], -np.inf, step)
                step[..., eos] = np.where(done, 0.0, step[..., eos])
            cand = logp[..., None] + step  # (N, B, K)
            cand_len = (lengths + ~done)[..., None]
            rank = cand / cand_len**length_norm if length_norm else cand
            top = np.argsort(-rank.reshape(N, B * K), axis=1, kind="stable")[:, :B]
            parent, new = top // K, top % K
            logp = cand.reshape(N, B * K)[rows, top]
            lengths = np.broadcast_to(cand_len, (N, B, K)).reshape(N, B * K)[rows, top]
            done = done[rows, parent] | (new == eos) if eos is not None else done
            history = np.concatenate([history[:, rows, parent], new[None]])
            token = new.reshape(N * B)
            flat = (rows * B + parent).reshape(N * B)
            state = {name: value[flat] for name, value in state.items()}
        rank = logp / np.maximum(lengths, 1) ** length_norm if length_norm else logp
        order = np.argsort(-rank, axis=1, kind="stable")
        beams = history[:, rows, order]
        beam_scores = logp[rows, order]
        return BeamResult(beams[:, :, 0], beam_scores[:, 0], beams, beam_scores, lengths[rows, order])

    def log_prob(self, src, y, bos: int, src_mask=None, eos: int | None = None):
        """``log p(y | x) = Σ_t log ŷ(t)[y(t)]`` of given outputs ``y (L, N)``, one number per column.

        Teacher-forced: step ``t`` is fed ``y(t-1)`` (``bos`` at ``t = 1``). With ``eos``
        given, the terms after each column's first EOS are left out, as in
        :meth:`beam_search`. Returns ``(N,)``.
        """
        y = np.asarray(y)
        tgt_in = np.concatenate([np.full((1, y.shape[1]), bos, dtype=y.dtype), y[:-1]])
        o = self._teacher_forced_logits(src, tgt_in, src_mask)
        picked = np.take_along_axis(log_softmax(o), y[..., None], axis=-1)[..., 0]
        if eos is not None:  # keep the terms up to and including the first EOS
            picked = np.where(np.cumsum(y == eos, axis=0) - (y == eos) > 0, 0.0, picked)
        return picked.sum(axis=0)

    def teacher_forced_predictions(self, src, tgt_in, src_mask=None):
        """Argmax predictions when every step is given the true previous token."""
        return self._teacher_forced_logits(src, tgt_in, src_mask).argmax(axis=-1)
