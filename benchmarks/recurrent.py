"""rnncore against ``torch.nn`` for RNN, LSTM and GRU: forward + backward of a sequence.

Both run in this process on the CPU in float32; each figure is the median of
repeated runs after a warm-up. Ratios above 1 mean rnncore is slower.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from benchmarks import naive
from rnncore import gru, lstm, rnn

SHAPES = {"small": (100, 32, 64, 128), "large": (50, 256, 256, 512)}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def median_ms(runners: dict, repeats: int, rounds: int = 3) -> dict[str, float]:
    """Median milliseconds of each runner over ``rounds`` blocks of ``repeats`` runs.

    Each runner is timed in a block of consecutive runs after a warm-up call,
    and the blocks rotate (a, b, c, a, b, c, ...) so slow drifts of the machine
    reach every runner. Blocks rather than single runs interleaved: numpy's
    BLAS threads and torch's OpenMP threads both spin for a while after a call,
    and on two cores a runner started right after the other one competes with
    its spinning threads and is timed slower than it is.
    """
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, fn in runners.items():
            fn()  # warm-up: first-touch allocations, thread pools awake
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(ts) for name, ts in times.items()}


def make_params(kind, D, H, rng, dtype=np.float32):
    k = GATES[kind]
    scale = 1.0 / np.sqrt(H)
    params = {
        "U": rng.uniform(-scale, scale, (k * H, D)).astype(dtype),
        "W": rng.uniform(-scale, scale, (k * H, H)).astype(dtype),
        "b": rng.uniform(-scale, scale, (k * H,)).astype(dtype),
    }
    return params


def rnncore_runner(kind, x, params, dh):
    def run_rnn():
        h, cache = rnn.rnn_forward(x, **params)
        return rnn.rnn_backward(dh, cache)

    def run_lstm():
        h, cache = lstm.lstm_forward(x, **params)
        return lstm.lstm_backward(dh, cache)

    def run_gru():
        h, cache = gru.gru_forward(x, **params, b_hn=np.zeros(params["W"].shape[1], np.float32), variant="torch")
        return gru.gru_backward(dh, cache)

    return {"rnn": run_rnn, "lstm": run_lstm, "gru": run_gru}[kind]


def naive_runner(kind, x, params, dh):
    fn = {
        "rnn": naive.rnn_forward_backward,
        "lstm": naive.lstm_forward_backward,
        "gru": naive.gru_forward_backward,
    }[kind]
    return lambda: fn(x, params, dh)


def torch_runner(kind, x, params, dh):
    import torch

    from rnncore.torch_ref import to_torch

    p = dict(params)
    if kind == "gru":
        p["b_hn"] = np.zeros(params["W"].shape[1], np.float32)
    module = to_torch(kind, [p], dtype=np.float32)
    xt = torch.tensor(x, requires_grad=True)
    dht = torch.tensor(dh)

    def run():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        h, _ = module(xt)
        h.backward(dht)

    return run


def measure(repeats: dict[str, int] | None = None, rounds: int = 3) -> list[dict]:
    """One row per (cell, shape): milliseconds for rnncore, per-gate numpy and torch."""
    repeats = repeats or {"small": 7, "large": 2}
    rng = np.random.default_rng(0)
    rows = []
    for shape_name, (T, N, D, H) in SHAPES.items():
        x = rng.standard_normal((T, N, D)).astype(np.float32)
        dh = rng.standard_normal((T, N, H)).astype(np.float32)
        for kind in ("rnn", "lstm", "gru"):
            params = make_params(kind, D, H, rng)
            row = {"cell": kind, "shape": shape_name, "T,N,D,H": f"{T},{N},{D},{H}"}
            runners = {
                "rnncore": rnncore_runner(kind, x, params, dh),
                "per-gate": naive_runner(kind, x, params, dh),
                "torch": torch_runner(kind, x, params, dh),
            }
            row.update(median_ms(runners, repeats[shape_name], rounds))
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    head = (
        f"{'cell':<5} {'shape':<6} {'T,N,D,H':<15} {'rnncore ms':>11} {'per-gate ms':>12} "
        f"{'torch ms':>9} {'rnncore/torch':>14} {'per-gate/torch':>15}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['cell']:<5} {r['shape']:<6} {r['T,N,D,H']:<15} {r['rnncore']:>11.1f} {r['per-gate']:>12.1f} "
            f"{r['torch']:>9.1f} {r['rnncore'] / r['torch']:>14.2f} {r['per-gate'] / r['torch']:>15.2f}"
        )
    return "\n".join(lines)
