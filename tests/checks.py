"""Helpers that check one function's gradients the two independent ways.

Every backward pass in rnncore is compared with (1) central differences in
float64 and (2) torch autograd of the function's twin in
:mod:`rnncore.torch_ref`.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from rnncore.gradcheck import check_gradients, relative_error
from rnncore.torch_ref import autograd

# Shapes include the edge cases T = 1, N = 1, H = 1.
dims = st.fixed_dictionaries(
    {
        "T": st.integers(1, 4),
        "N": st.integers(1, 3),
        "D": st.integers(1, 4),
        "H": st.integers(1, 4),
        "seed": st.integers(0, 2**32 - 1),
    }
)


def normal(rng, *shape, scale=0.5):
    return rng.standard_normal(shape) * scale


def assert_gradients(forward, inputs, analytic, dout, twin=None, fd_tol=1e-6, torch_tol=1e-10, time_major=()):
    """Assert ``analytic`` (``{arg name: gradient}``) matches differences and autograd."""
    result = check_gradients(forward, inputs, analytic, dout, tol=fd_tol, time_major=set(time_major))
    assert result.ok, f"finite differences disagree:\n{result}"
    if twin is not None:
        reference = autograd(twin, inputs, dout, wrt=list(analytic))
        for name, grad in analytic.items():
            err = relative_error(reference[name], grad)
            assert err <= torch_tol, f"{name}: relative error {err:.2e} against torch autograd"


def assert_close(expected, actual, tol, what=""):
    err = relative_error(np.asarray(expected, dtype=np.float64), np.asarray(actual, dtype=np.float64))
    assert err <= tol, f"{what}: relative error {err:.2e} > {tol:.0e}"


def assert_float32_close(torch_value, ours, truth, tol, what=""):
    """rnncore's float32 result is as accurate as torch's: both are judged against the float64 truth.

    Comparing two float32 results with each other adds their rounding errors, and
    a sum of terms of both signs (a weight gradient with H = 1, say) can amplify
    them past any fixed relative tolerance (measured: 1.09e-5 between rnncore and
    torch on one draw, where each was within 7e-6 of the truth). So ours must be
    within ``tol`` of ``truth`` (the same computation in float64 on the same
    float32 inputs, itself checked against torch to 1e-12), or no more than ten
    times further from it than torch's own float32 result is.
    """
    ours_err = relative_error(np.asarray(truth, dtype=np.float64), np.asarray(ours, dtype=np.float64))
    torch_err = relative_error(np.asarray(truth, dtype=np.float64), np.asarray(torch_value, dtype=np.float64))
    assert ours_err <= max(tol, 10 * torch_err), (
        f"{what}: relative error {ours_err:.2e} from the float64 result (torch's float32: {torch_err:.2e})"
    )


def assert_each_matches_torch(pairs, dtype, tol):
    """``(name, torch's, ours, float64 truth)`` for each result: equal to ``tol`` in float64, as accurate in float32."""
    for name, theirs, ours, truth in pairs:
        if dtype == np.float64:
            assert_close(theirs, ours, tol, name)
        else:
            assert_float32_close(theirs, ours, truth, tol, name)
