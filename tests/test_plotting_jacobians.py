"""The book's plotting helpers and the Jacobian diagnostics."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rnncore import jacobians, plotting, rnn  # noqa: E402
from rnncore.cells import orthogonal  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_gradient_norm_plot_draws_each_series():
    ax = plotting.plot_gradient_norms({"ρ=0.9": 0.9 ** np.arange(10), "ρ=1.1": 1.1 ** np.arange(10)})
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 1.1 ** np.arange(10))


def test_gate_and_attention_heatmaps():
    axes = plotting.plot_gate_activations(
        {"i": np.random.default_rng(0).random((5, 3)), "f": np.random.default_rng(0).random((5, 3))}, tokens="abcde"
    )
    assert len(axes) == 2 and [t.get_text() for t in axes[-1].get_xticklabels()] == list("abcde")
    w = np.random.default_rng(0).dirichlet(np.ones(4), size=3)
    ax = plotting.plot_attention(w, list("wxyz"), list("abc"))
    np.testing.assert_array_equal(ax.images[0].get_array(), w)
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_attention(w.T, list("wxyz"), list("abc"))


def test_learning_curves_smooth():
    ax = plotting.plot_learning_curves({"a": np.arange(10.0)}, smooth=3)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.arange(1.0, 9.0))


@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_jacobians_match_torch(T, H, seed):
    rng = np.random.default_rng(seed)
    U, W, b = rng.standard_normal((H, 2)), rng.standard_normal((H, H)), rng.standard_normal(H)
    x, h0 = rng.standard_normal((T, 1, 2)), rng.standard_normal((1, H))
    _, cache = rnn.rnn_forward(x, U, W, b, h0=h0)
    J = jacobians.rnn_jacobians(cache)
    Wt, Ut, bt, xt = (torch.tensor(a) for a in (W, U, b, x))

    def final_from(h, t):
        for k in range(t, T):
            h = torch.tanh(xt[k, 0] @ Ut.T + h @ Wt.T + bt)
        return h

    for t in range(T + 1):
        ref = torch.autograd.functional.jacobian(lambda h, t=t: final_from(h, t), torch.tensor(cache.hs[t, 0]))
        np.testing.assert_allclose(J[t], ref.numpy(), rtol=1e-10, atol=1e-12)


def test_linear_regime_norms_follow_the_spectral_radius():
    # Tiny states keep tanh in its linear range: ‖∂h(T)/∂h(t)‖ ≈ ρ^(T−t) for a normal W.
    rng = np.random.default_rng(0)
    Q = orthogonal(4, rng)
    for rho in (0.8, 1.0, 1.2):
        W = Q * rho  # orthogonal times ρ: every singular value is ρ
        assert jacobians.spectral_radius(W) == pytest.approx(rho)
        x = np.zeros((12, 1, 1))
        _, cache = rnn.rnn_forward(x, np.zeros((4, 1)), W, np.zeros(4), h0=np.full((1, 4), 1e-6))
        norms = jacobians.jacobian_norms(cache)
        np.testing.assert_allclose(norms, rho ** np.arange(12, -1, -1), rtol=1e-6)
    np.testing.assert_allclose(jacobians.spectral_radius(jacobians.with_spectral_radius(W, 0.5)), 0.5)
