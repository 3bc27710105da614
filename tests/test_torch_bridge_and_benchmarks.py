"""The torch bridge's parameter mappings, and the benchmark's reference implementations."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks import naive
from benchmarks.recurrent import make_params, table
from rnncore import gru, lstm, rnn
from rnncore import torch_ref as tr


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (2, True)])
def test_from_torch_then_to_torch_is_the_same_module(kind, layers, bidirectional):
    torch.manual_seed(0)
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    module = cls(3, 4, num_layers=layers, bidirectional=bidirectional).double()
    params = tr.from_torch(kind, module)
    again = tr.to_torch(kind, params, bidirectional=bidirectional)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    np.testing.assert_allclose(module(x)[0].detach().numpy(), again(x)[0].detach().numpy(), rtol=1e-12)


def test_from_torch_cell_sums_the_two_biases():
    cell = torch.nn.LSTMCell(2, 3).double()
    p = tr.from_torch_cell("lstm", cell)
    np.testing.assert_allclose(p["b"], (cell.bias_ih + cell.bias_hh).detach().numpy())
    gcell = torch.nn.GRUCell(2, 3).double()
    g = tr.from_torch_cell("gru", gcell)
    np.testing.assert_allclose(g["b_hn"], gcell.bias_hh[6:].detach().numpy())


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_per_gate_reference_computes_what_rnncore_computes(kind):
    # The benchmark compares equal computations, or its ratios mean nothing.
    rng = np.random.default_rng(0)
    T, N, D, H = 4, 3, 5, 6
    x, dh = rng.standard_normal((T, N, D)), rng.standard_normal((T, N, H))
    params = make_params(kind, D, H, rng, dtype=np.float64)
    h_ref, dx_ref, dW_ref = getattr(naive, f"{kind}_forward_backward")(x, params, dh)
    forward, backward = {
        "rnn": (rnn.rnn_forward, rnn.rnn_backward),
        "lstm": (lstm.lstm_forward, lstm.lstm_backward),
        "gru": (gru.gru_forward, gru.gru_backward),
    }[kind]
    h, cache = forward(x, **params)
    g = backward(dh, cache)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12)
    np.testing.assert_allclose(g.dx, dx_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.dW, dW_ref, rtol=1e-10, atol=1e-12)


def test_table_prints_ratios():
    rows = [{"cell": "lstm", "shape": "small", "T,N,D,H": "1,2,3,4", "rnncore": 2.0, "per-gate": 3.0, "torch": 1.0}]
    out = table(rows)
    assert "2.00" in out and "3.00" in out and "rnncore/torch" in out


def test_the_benchmarks_run_from_the_declared_environment():
    """``python -m benchmarks --quick``: every module the benchmarks import is installed by pyproject.toml."""
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"], cwd=root, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rnncore/torch" in result.stdout and "gru" in result.stdout
