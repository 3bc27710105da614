"""The bridge to PyTorch: parameter mappings and autograd twins of rnncore's functions.

Two uses:

* ``to_torch_*`` / ``from_torch_*`` copy weights between rnncore's parameter
  dicts and ``torch.nn.RNN``, ``LSTM``, ``GRU`` and their ``*Cell``\\ s, so the
  modules' outputs and gradients can be compared with rnncore's.
  PyTorch keeps two biases (``bias_ih`` and ``bias_hh``) where the book has one:
  rnncore's ``b`` is their sum, except the GRU's candidate, whose recurrent bias
  sits inside ``r ⊙ (·)`` and becomes ``b_hn``.
* ``*_torch`` functions compute what the rnncore function of the same name
  computes, written with torch operations so autograd differentiates them;
  :func:`autograd` turns one into named numpy gradients. These cover what has
  no ``torch.nn`` twin: peepholes, the lecture's GRU, leaky units, attention.

torch is imported lazily so that rnncore itself does not need it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


def _torch():
    import torch

    return torch


# --------------------------------------------------------------------------- autograd


def autograd(fn: Callable, inputs: Mapping[str, object], dout, wrt: list[str] | None = None) -> dict[str, np.ndarray]:
    """Named gradients of ``Σ fn(**inputs) ⊙ dout`` by torch autograd, in float64.

    Float arrays in ``inputs`` become float64 tensors (those in ``wrt``, default
    all of them, with ``requires_grad``); everything else is passed unchanged.
    ``fn`` may return a tensor or a tuple of tensors (``dout`` then a matching tuple).
    """
    torch = _torch()
    names = wrt if wrt is not None else [k for k, v in inputs.items() if _is_float(v)]
    args = {}
    for k, v in inputs.items():
        if _is_float(v):
            args[k] = torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=k in names)
        else:
            args[k] = v
    out = fn(**args)
    outs = out if isinstance(out, tuple | list) else (out,)
    douts = dout if isinstance(out, tuple | list) else (dout,)
    total = sum((o * torch.as_tensor(np.asarray(d, dtype=np.float64))).sum() for o, d in zip(outs, douts, strict=True))
    grads = torch.autograd.grad(total, [args[k] for k in names], allow_unused=True)
    return {
        k: np.zeros(np.shape(inputs[k])) if g is None else g.detach().numpy() for k, g in zip(names, grads, strict=True)
    }


def _is_float(v) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


def _t(x):
    return None if x is None else _torch().as_tensor(x)


# --------------------------------------------------------------------------- twins


def rnn_forward_torch(x, U, W, b, h0=None):
    """Twin of :func:`rnncore.rnn.rnn_forward`: ``h (T, N, H)``."""
    torch = _torch()
    h = torch.zeros(x.shape[1], U.shape[0], dtype=x.dtype) if h0 is None else h0
    hs = []
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ U.T + h @ W.T + b)
        hs.append(h)
    return torch.stack(hs)


def lstm_forward_torch(x, U, W, b, h0=None, c0=None, p=None, return_cells=False):
    """Twin of :func:`rnncore.lstm.lstm_forward` (with optional peepholes ``p (3, H)``)."""
    torch = _torch()
    N, H = x.shape[1], W.shape[1]
    h = torch.zeros(N, H, dtype=x.dtype) if h0 is None else h0
    c = torch.zeros(N, H, dtype=x.dtype) if c0 is None else c0
    hs, cs = [], []
    for t in range(x.shape[0]):
        a = x[t] @ U.T + h @ W.T + b
        a_i, a_f, a_g, a_o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        if p is not None:
            a_i = a_i + p[0] * c
            a_f = a_f + p[1] * c
        c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
        if p is not None:
            a_o = a_o + p[2] * c
        h = torch.sigmoid(a_o) * torch.tanh(c)
        hs.append(h)
        cs.append(c)
    return (torch.stack(hs), torch.stack(cs)) if return_cells else torch.stack(hs)


def gru_forward_torch(x, U, W, b, h0=None, b_hn=None, variant="lecture"):
    """Twin of :func:`rnncore.gru.gru_forward`, both variants."""
    torch = _torch()
    N, H = x.shape[1], W.shape[1]
    h = torch.zeros(N, H, dtype=x.dtype) if h0 is None else h0
    hs = []
    for t in range(x.shape[0]):
        ax = x[t] @ U.T + b
        ah = h @ W[: 2 * H].T
        r = torch.sigmoid(ax[:, :H] + ah[:, :H])
        z = torch.sigmoid(ax[:, H : 2 * H] + ah[:, H:])
        if variant == "lecture":
            n = torch.tanh(ax[:, 2 * H :] + (r * h) @ W[2 * H :].T)
            h = (1 - z) * h + z * n
        else:
            n = torch.tanh(ax[:, 2 * H :] + r * (h @ W[2 * H :].T + b_hn))
            h = (1 - z) * n + z * h
        hs.append(h)
    return torch.stack(hs)


def rnn_step_forward_torch(x, h_prev, U, W, b):
    """Twin of :func:`rnncore.rnn.rnn_step_forward`."""
    return _torch().tanh(x @ U.T + h_prev @ W.T + b)


def lstm_step_forward_torch(x, h_prev, c_prev, U, W, b, p=None):
    """Twin of :func:`rnncore.lstm.lstm_step_forward`: ``(h, c)``."""
    h, c = lstm_forward_torch(x[None], U, W, b, h_prev, c_prev, p, return_cells=True)
    return h[0], c[0]


def gru_step_forward_torch(x, h_prev, U, W, b, b_hn=None, variant="lecture"):
    """Twin of :func:`rnncore.gru.gru_step_forward`."""
    return gru_forward_torch(x[None], U, W, b, h_prev, b_hn, variant)[0]


def leaky_forward_torch(x, U, W, b, alpha, h0=None):
    """Twin of :func:`rnncore.leaky.leaky_forward`."""
    torch = _torch()
    h = torch.zeros(x.shape[1], U.shape[0], dtype=x.dtype) if h0 is None else h0
    alpha = torch.as_tensor(alpha, dtype=x.dtype)
    hs = []
    for t in range(x.shape[0]):
        h = alpha * h + (1 - alpha) * torch.tanh(x[t] @ U.T + h @ W.T + b)
        hs.append(h)
    return torch.stack(hs)


def skip_rnn_forward_torch(x, U, W, W_d, b, d, h0=None):
    """Twin of :func:`rnncore.skip.skip_rnn_forward`."""
    torch = _torch()
    h0 = torch.zeros(x.shape[1], U.shape[0], dtype=x.dtype) if h0 is None else h0
    hs = [h0]
    for t in range(1, x.shape[0] + 1):
        hs.append(torch.tanh(x[t - 1] @ U.T + hs[t - 1] @ W.T + hs[max(t - d, 0)] @ W_d.T + b))
    return torch.stack(hs[1:])


def attention_forward_torch(query, keys, values, mask=None, score="dot", W_q=None, W_k=None, v_a=None):
    """Twin of :func:`rnncore.attention.attention_forward`: ``(context, weights)``."""
    torch = _torch()
    if score == "additive":
        u = torch.tanh((query @ W_q.T)[:, None] + (keys @ W_k.T)[None, :])  # (T, S, N, A)
        e = torch.einsum("tsna,a->tns", u, v_a)
    else:
        e = torch.einsum("tnh,snh->tns", query, keys)
        if score == "scaled_dot":
            e = e / keys.shape[-1] ** 0.5
    if mask is not None:
        m = torch.as_tensor(np.asarray(mask, dtype=bool)).T[None]
        e = e.masked_fill(~m, float("-inf"))
    weights = torch.softmax(e, dim=-1)
    return torch.einsum("tns,snh->tnh", weights, values), weights


def affine_forward_torch(h, V, c):
    """Twin of :func:`rnncore.layers.affine_forward`."""
    return h @ V.T + c


def softmax_cross_entropy_torch(o, y, mask=None, reduction="sum"):
    """Twin of :func:`rnncore.losses.softmax_cross_entropy` (the loss only)."""
    torch = _torch()
    logp = torch.log_softmax(o, dim=-1)
    picked = torch.gather(logp, -1, torch.as_tensor(y)[..., None])[..., 0]
    w = torch.ones_like(picked) if mask is None else torch.as_tensor(np.asarray(mask, dtype=np.float64))
    loss = -(w * picked).sum()
    return loss / w.sum() if reduction == "mean" else loss


def squared_error_torch(y_hat, y, mask=None, reduction="sum"):
    """Twin of :func:`rnncore.losses.squared_error` (the loss only)."""
    torch = _torch()
    d2 = ((y_hat - y) ** 2).sum(-1)
    w = torch.ones_like(d2) if mask is None else torch.as_tensor(np.asarray(mask, dtype=np.float64))
    loss = 0.5 * (w * d2).sum()
    return loss / w.sum() if reduction == "mean" else loss


def embedding_forward_torch(tokens, E):
    """Twin of :func:`rnncore.layers.embedding_forward`."""
    return E[_torch().as_tensor(tokens)]


# --------------------------------------------------------------------------- nn modules


def _module_dtype(dtype):
    torch = _torch()
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]


def _set(param, value):
    torch = _torch()
    with torch.no_grad():
        param.copy_(torch.as_tensor(np.asarray(value)))


def _split_bias(b, H, recurrent_part=None):
    """PyTorch's ``(bias_ih, bias_hh)`` for one summed bias: all of it in ``bias_ih``."""
    b = np.asarray(b)
    b_hh = np.zeros_like(b)
    if recurrent_part is not None:
        b_hh[2 * H :] = recurrent_part
    return b, b_hh


def to_torch(kind: str, layers: list[Mapping[str, np.ndarray]], dtype=np.float64, bidirectional=False):
    """A ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` (``kind`` = "rnn", "lstm", "gru") holding ``layers``.

    ``layers`` lists one parameter dict per layer (and per direction, forward
    first, when ``bidirectional``), with rnncore's keys ``U, W, b`` (and ``b_hn``
    for the GRU, whose torch variant this is). Module input is time-major.
    """
    torch = _torch()
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    dirs = 2 if bidirectional else 1
    if len(layers) % dirs:
        raise ValueError(f"to_torch: {len(layers)} parameter dicts for {dirs} directions")
    first = layers[0]
    H = np.shape(first["W"])[1]
    D = np.shape(first["U"])[1]
    module = cls(D, H, num_layers=len(layers) // dirs, bidirectional=bidirectional)
    module = module.to(_module_dtype(dtype))
    for index, params in enumerate(layers):
        suffix = f"l{index // dirs}" + ("_reverse" if index % dirs else "")
        _load(module, suffix, kind, params, H)
    return module


def from_torch(kind: str, module) -> list[dict[str, np.ndarray]]:
    """rnncore parameter dicts (one per layer and direction) from a torch module."""
    dirs = 2 if module.bidirectional else 1
    H = module.hidden_size
    out = []
    for layer in range(module.num_layers):
        for d in range(dirs):
            suffix = f"l{layer}" + ("_reverse" if d else "")
            out.append(_unload(module, suffix, kind, H))
    return out


def to_torch_cell(kind: str, params: Mapping[str, np.ndarray], dtype=np.float64):
    """A ``torch.nn.RNNCell`` / ``LSTMCell`` / ``GRUCell`` holding ``params``."""
    torch = _torch()
    cls = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind]
    H = np.shape(params["W"])[1]
    cell = cls(np.shape(params["U"])[1], H).to(_module_dtype(dtype))
    _load(cell, "", kind, params, H)
    return cell


def from_torch_cell(kind: str, cell) -> dict[str, np.ndarray]:
    """rnncore parameters from a ``torch.nn.*Cell``."""
    return _unload(cell, "", kind, cell.hidden_size)


def _name(base: str, suffix: str) -> str:
    return f"{base}_{suffix}" if suffix else base


def _load(module, suffix, kind, params, H):
    _set(getattr(module, _name("weight_ih", suffix)), params["U"])
    _set(getattr(module, _name("weight_hh", suffix)), params["W"])
    b_ih, b_hh = _split_bias(params["b"], H, params.get("b_hn") if kind == "gru" else None)
    _set(getattr(module, _name("bias_ih", suffix)), b_ih)
    _set(getattr(module, _name("bias_hh", suffix)), b_hh)


def _unload(module, suffix, kind, H) -> dict[str, np.ndarray]:
    def get(base):
        return getattr(module, _name(base, suffix)).detach().cpu().numpy().copy()

    b_ih, b_hh = get("bias_ih"), get("bias_hh")
    params = {"U": get("weight_ih"), "W": get("weight_hh")}
    if kind == "gru":
        params["b"] = np.concatenate([b_ih[: 2 * H] + b_hh[: 2 * H], b_ih[2 * H :]])
        params["b_hn"] = b_hh[2 * H :]
    else:
        params["b"] = b_ih + b_hh
    return params


def module_grads(kind: str, module, suffix: str = "l0") -> dict[str, np.ndarray]:
    """The gradients held by a module after ``backward()``, mapped to rnncore's names."""
    H = module.hidden_size

    def get(base):
        return getattr(module, _name(base, suffix)).grad.detach().cpu().numpy()

    g_ih, g_hh = get("bias_ih"), get("bias_hh")
    grads = {"U": get("weight_ih"), "W": get("weight_hh")}
    if kind == "gru":
        # b_r, b_z are the sum of both biases (same gradient); b_n is bias_ih_n alone.
        grads["b"] = g_ih
        grads["b_hn"] = g_hh[2 * H :]
    else:
        grads["b"] = g_ih
    return grads
