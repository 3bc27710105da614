"""The readable LSTM, GRU and RNN for the speed table: rnncore's step functions composed over time.

Only the benchmark uses these. The step functions are the book's equations,
one line each, written the way course code usually is: every gate has its own
matrix products, every step allocates its results and keeps its own cache, and
the weight gradients accumulate inside the time loop. Timed against rnncore's
sequence functions, they show what the fused, preallocated layout buys. The
GRU is the lecture's form. ``tests/test_torch_bridge_and_benchmarks.py`` checks
them against the sequence functions, so the comparison is between equal
computations (``tests/test_step_functions_match_kernels.py`` does so for every
variant and every gradient).
"""

from __future__ import annotations

import numpy as np

from rnncore.gru import gru_step_backward, gru_step_forward
from rnncore.lstm import lstm_step_backward, lstm_step_forward
from rnncore.rnn import rnn_step_backward, rnn_step_forward


def lstm_forward_backward(x, params, dh):
    """Forward then backward of a whole sequence from zero states; returns ``(h, dx, dW)``."""
    T, N, _ = x.shape
    H = params["W"].shape[1]
    h, c = np.zeros((N, H), x.dtype), np.zeros((N, H), x.dtype)
    caches, hs = [], []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[t], h, c, **params)
        caches.append(cache)
        hs.append(h)
    dx = np.zeros_like(x)
    dU, dW, db = (np.zeros_like(params[k]) for k in ("U", "W", "b"))
    dh_next, dc_next = np.zeros_like(h), np.zeros_like(c)
    for t in reversed(range(T)):
        g = lstm_step_backward(dh[t] + dh_next, dc_next, caches[t])
        dx[t], dh_next, dc_next = g.dx, g.dh_prev, g.dc_prev
        dU += g.dU
        dW += g.dW
        db += g.db
    return np.stack(hs), dx, dW


def gru_forward_backward(x, params, dh):
    """Lecture-form GRU, forward then backward from a zero state; returns ``(h, dx, dW)``."""
    T, N, _ = x.shape
    H = params["W"].shape[1]
    h = np.zeros((N, H), x.dtype)
    caches, hs = [], []
    for t in range(T):
        h, cache = gru_step_forward(x[t], h, **params)
        caches.append(cache)
        hs.append(h)
    dx = np.zeros_like(x)
    dU, dW, db = (np.zeros_like(params[k]) for k in ("U", "W", "b"))
    dh_next = np.zeros_like(h)
    for t in reversed(range(T)):
        g = gru_step_backward(dh[t] + dh_next, caches[t])
        dx[t], dh_next = g.dx, g.dh_prev
        dU += g.dU
        dW += g.dW
        db += g.db
    return np.stack(hs), dx, dW


def rnn_forward_backward(x, params, dh):
    """Elman RNN, forward then backward from a zero state; returns ``(h, dx, dW)``."""
    T, N, _ = x.shape
    h = np.zeros((N, params["W"].shape[0]), x.dtype)
    caches, hs = [], []
    for t in range(T):
        h, cache = rnn_step_forward(x[t], h, **params)
        caches.append(cache)
        hs.append(h)
    dx = np.zeros_like(x)
    dU, dW, db = (np.zeros_like(params[k]) for k in ("U", "W", "b"))
    dh_next = np.zeros_like(h)
    for t in reversed(range(T)):
        g = rnn_step_backward(dh[t] + dh_next, caches[t])
        dx[t], dh_next = g.dx, g.dh_prev
        dU += g.dU
        dW += g.dW
        db += g.db
    return np.stack(hs), dx, dW
