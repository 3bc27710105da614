"""Straightforward per-gate LSTM, GRU and RNN of the kind common in course code.

Only the benchmark uses these: they show what the fused, preallocated layout
of :mod:`rnncore` buys. They are checked against rnncore in
``tests/test_benchmarks.py`` so the comparison is between equal computations.
Each gate has its own ``U_k, W_k, b_k``; every step calls a step function that
allocates its results and keeps a tuple cache; weight gradients accumulate
inside the time loop.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def split_gates(params, n_gates):
    """Per-gate ``(U_k, W_k, b_k)`` from stacked ``U, W, b``."""
    H = params["W"].shape[1]
    return [
        (
            params["U"][k * H : (k + 1) * H],
            params["W"][k * H : (k + 1) * H],
            params["b"][k * H : (k + 1) * H],
        )
        for k in range(n_gates)
    ]


def lstm_forward_backward(x, params, dh):
    """Forward then backward of a whole sequence; returns ``(h, dx, dW-stacked)``."""
    gates = split_gates(params, 4)
    T, N, _ = x.shape
    H = params["W"].shape[1]
    h, c = np.zeros((N, H), x.dtype), np.zeros((N, H), x.dtype)
    caches, hs = [], []
    for t in range(T):
        pre = [x[t] @ U.T + h @ W.T + b for U, W, b in gates]
        i, f, g, o = _sigmoid(pre[0]), _sigmoid(pre[1]), np.tanh(pre[2]), _sigmoid(pre[3])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        caches.append((x[t], h, c, i, f, g, o, c_new))
        h, c = h_new, c_new
        hs.append(h)
    dgates = [[np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)] for U, W, b in gates]
    dx = np.zeros_like(x)
    dh_next, dc_next = np.zeros((N, H), x.dtype), np.zeros((N, H), x.dtype)
    for t in reversed(range(T)):
        xt, h_prev, c_prev, i, f, g, o, c_t = caches[t]
        dh_t = dh[t] + dh_next
        tc = np.tanh(c_t)
        dc = dc_next + dh_t * o * (1 - tc**2)
        da = [
            dc * g * i * (1 - i),
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g**2),
            dh_t * tc * o * (1 - o),
        ]
        dh_next = np.zeros_like(h_prev)
        for k, (U, W, _) in enumerate(gates):
            dgates[k][0] += da[k].T @ xt
            dgates[k][1] += da[k].T @ h_prev
            dgates[k][2] += da[k].sum(axis=0)
            dx[t] += da[k] @ U
            dh_next += da[k] @ W
        dc_next = dc * f
    dW = np.concatenate([d[1] for d in dgates])
    return np.stack(hs), dx, dW


def gru_forward_backward(x, params, dh):
    """Lecture-form GRU, per gate; returns ``(h, dx, dW-stacked)``."""
    (Ur, Wr, br), (Uz, Wz, bz), (Un, Wn, bn) = split_gates(params, 3)
    T, N, _ = x.shape
    H = Wr.shape[1]
    h = np.zeros((N, H), x.dtype)
    caches, hs = [], []
    for t in range(T):
        r = _sigmoid(x[t] @ Ur.T + h @ Wr.T + br)
        z = _sigmoid(x[t] @ Uz.T + h @ Wz.T + bz)
        n = np.tanh(x[t] @ Un.T + (r * h) @ Wn.T + bn)
        caches.append((x[t], h, r, z, n))
        h = (1 - z) * h + z * n
        hs.append(h)
    dUr, dWr, dUz, dWz, dUn, dWn = (np.zeros_like(a) for a in (Ur, Wr, Uz, Wz, Un, Wn))
    dx = np.zeros_like(x)
    dh_next = np.zeros((N, H), x.dtype)
    for t in reversed(range(T)):
        xt, h_prev, r, z, n = caches[t]
        d = dh[t] + dh_next
        dan = d * z * (1 - n**2)
        daz = d * (n - h_prev) * z * (1 - z)
        drh = dan @ Wn
        dar = drh * h_prev * r * (1 - r)
        dUr += dar.T @ xt
        dWr += dar.T @ h_prev
        dUz += daz.T @ xt
        dWz += daz.T @ h_prev
        dUn += dan.T @ xt
        dWn += dan.T @ (r * h_prev)
        dx[t] = dar @ Ur + daz @ Uz + dan @ Un
        dh_next = d * (1 - z) + drh * r + dar @ Wr + daz @ Wz
    return np.stack(hs), dx, np.concatenate([dWr, dWz, dWn])


def rnn_forward_backward(x, params, dh):
    """Step-by-step Elman RNN; returns ``(h, dx, dW)``."""
    U, W, b = params["U"], params["W"], params["b"]
    T, N, _ = x.shape
    h = np.zeros((N, W.shape[0]), x.dtype)
    hs, prevs = [], []
    for t in range(T):
        prevs.append(h)
        h = np.tanh(x[t] @ U.T + h @ W.T + b)
        hs.append(h)
    dU, dW = np.zeros_like(U), np.zeros_like(W)
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(h)
    for t in reversed(range(T)):
        da = (dh[t] + dh_next) * (1 - hs[t] ** 2)
        dU += da.T @ x[t]
        dW += da.T @ prevs[t]
        dx[t] = da @ U
        dh_next = da @ W
    return np.stack(hs), dx, dW
