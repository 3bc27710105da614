"""The grading cases of every assignment: what each submission deserves.

For each assignment: the points of each graded function; one plausible wrong
implementation per function, which must lose exactly that function's points;
at least two correct implementations written differently from the solution,
which must earn full marks; and a snippet the feedback of each wrong one must
contain. Used by the end-to-end nbgrader test (``test_assignments.py``) and the
in-process test of the same cases on fresh random inputs (``test_grading_cases.py``).
"""

import html
import re
from pathlib import Path

import nbformat

SOLUTION = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.S)


def as_read(page: Path) -> str:
    """A feedback page's text as a student reads it: entities decoded, the lines of wrapped messages joined."""
    return " ".join(html.unescape(page.read_text()).split())


def solution_code(cell_source: str) -> str:
    """A solution cell's source with the solution markers removed."""
    return SOLUTION.sub(lambda m: m.group(1), cell_source)


def filled_release(course: Path, assignment: str, replace: dict[str, str] | None = None, solved: bool = True):
    """The released notebook of ``assignment`` with its answer cells filled in.

    With ``solved``, each answer cell gets the instructor's code (markers removed);
    then the cells named in ``replace`` (by grade id) get the given source.
    """
    name = f"{assignment}.ipynb"
    release = nbformat.read(course / "exercises" / assignment / name, as_version=4)
    source = nbformat.read(course / "solutions" / assignment / name, as_version=4)
    answer_cells = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in answer_cells}
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and solved:
            cell.source = solution_code(answers[grade_id])
        if replace and grade_id in replace:
            cell.source = replace[grade_id]
    return release


RECURRENCE_WRONG = {
    # W used untransposed: a classic shape-compatible mistake when H = H
    "rnn_step_forward": """def rnn_step_forward(x, h_prev, U, W, b):
    h = np.tanh(x @ U.T + h_prev @ W + b)
    return h, (x, h_prev, h, U, W)""",
    # the initial state ignored
    "rnn_forward": """def rnn_forward(x, U, W, b, h0):
    h, state = [], np.zeros_like(h0)
    for t in range(x.shape[0]):
        state, _ = rnn_step_forward(x[t], state, U, W, b)
        h.append(state)
    return np.stack(h), None""",
    # a mean where the sum is asked for
    "sequence_loss": """def sequence_loss(h, V, c, y):
    o = h @ V.T + c
    o = o - o.max(axis=-1, keepdims=True)
    log_p = o - np.log(np.exp(o).sum(axis=-1, keepdims=True))
    return float(-np.take_along_axis(log_p, y[..., None], axis=-1).mean())""",
}

RECURRENCE_ALTERNATIVE_2 = {
    "rnn_step_forward": """def rnn_step_forward(x, h_prev, U, W, b):
    # one unit at a time, after a harmless overflow warning that must not cost points
    np.exp(np.array([1000.0]))
    h = np.empty((x.shape[0], W.shape[0]))
    for i in range(W.shape[0]):
        h[:, i] = np.tanh(x @ U[i] + h_prev @ W[i] + b[i])
    return h, (x, h_prev, h, U, W)""",
    "sequence_loss": """def sequence_loss(h, V, c, y):
    o = np.einsum("tnh,kh->tnk", h, V) + c
    T, N = y.shape
    return float((np.log(np.exp(o).sum(-1)) - o[np.arange(T)[:, None], np.arange(N), y]).sum())""",
}

RECURRENCE_ALTERNATIVE = {
    "rnn_step_forward": """def rnn_step_forward(x, h_prev, U, W, b):
    # einsum: different from the reference, still correct
    a = np.einsum("hd,nd->nh", U, x) + np.einsum("hk,nk->nh", W, h_prev) + b
    h = np.tanh(a)
    return h, None""",
    "rnn_forward": """def rnn_forward(x, U, W, b, h0):
    T = x.shape[0]
    out = np.empty((T,) + h0.shape)
    h = h0
    for t in range(T):
        h = np.tanh(b + (W @ h.T).T + (U @ x[t].T).T)  # column form, transposed back
        out[t] = h
    return out, {"states": out}""",
    "sequence_loss": """def sequence_loss(h, V, c, y):
    total = 0.0
    for t in range(h.shape[0]):
        for n in range(h.shape[1]):
            o = V @ h[t, n] + c
            total += np.logaddexp.reduce(o) - o[y[t, n]]
    return total""",
}


BPTT_WRONG = {
    # the tanh derivative left out
    "rnn_step_backward": """def rnn_step_backward(dh, cache):
    da = dh
    return da @ cache.U, da @ cache.W, da.T @ cache.x, da.T @ cache.h_prev, da.sum(axis=0)""",
    # no gradient carried from h(t+1) to h(t): each step on its own
    "rnn_backward": """def rnn_backward(dh, caches):
    grads = [rnn_step_backward(dh[t], caches[t]) for t in range(dh.shape[0])]
    dx = np.stack([g[0] for g in grads])
    return dx, grads[0][1], sum(g[2] for g in grads), sum(g[3] for g in grads), sum(g[4] for g in grads)""",
    # the one-hot target never subtracted from dc
    "sequence_loss_backward": """def sequence_loss_backward(h, V, c, y):
    o = h @ V.T + c
    o = o - o.max(axis=-1, keepdims=True)
    p = np.exp(o) / np.exp(o).sum(axis=-1, keepdims=True)
    loss = float(-np.log(np.take_along_axis(p, y[..., None], axis=-1)).sum())
    do = p.copy()
    np.put_along_axis(do, y[..., None], np.take_along_axis(do, y[..., None], axis=-1) - 1, axis=-1)
    K, H = V.shape
    return loss, do @ V, do.reshape(-1, K).T @ h.reshape(-1, H), p.reshape(-1, K).sum(axis=0)""",
}

BPTT_ALTERNATIVE_2 = {
    "sequence_loss_backward": """def sequence_loss_backward(h, V, c, y):
    # softmax by hand, loops over time
    total, dh, dV, dc = 0.0, np.zeros_like(h), np.zeros_like(V), np.zeros_like(c)
    for t in range(h.shape[0]):
        o = h[t] @ V.T + c
        p = np.exp(o - o.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
        rows = np.arange(len(y[t]))
        total += -np.log(p[rows, y[t]]).sum()
        do = p.copy(); do[rows, y[t]] -= 1
        dh[t], dV, dc = do @ V, dV + do.T @ h[t], dc + do.sum(0)
    return total, dh, dV, dc""",
    "rnn_step_backward": """def rnn_step_backward(dh, cache):
    # by attribute instead of by position, weight gradients as sums of outer products
    da = dh * (1 - cache.h**2)
    dU = sum(np.outer(da[n], cache.x[n]) for n in range(len(da)))
    dW = sum(np.outer(da[n], cache.h_prev[n]) for n in range(len(da)))
    return da @ cache.U, da @ cache.W, dU, dW, da.sum(0)""",
}

BPTT_ALTERNATIVE = {
    "rnn_step_backward": """def rnn_step_backward(dh, cache):
    x, h_prev, h, U, W = cache  # unpacked by position, einsum for the weights
    da = dh * (1 - h * h)
    dU, dW = np.einsum("nh,nd->hd", da, x), np.einsum("nh,nk->hk", da, h_prev)
    return da @ U, da @ W, dU, dW, np.einsum("nh->h", da)""",
    "rnn_backward": """def rnn_backward(dh, caches):
    T = len(caches)
    x = np.stack([c.x for c in caches]); hs = np.stack([c.h for c in caches]); hp = np.stack([c.h_prev for c in caches])
    U, W = caches[0].U, caches[0].W
    da = np.zeros_like(hs); carry = np.zeros_like(hs[0])
    for t in range(T - 1, -1, -1):
        da[t] = (dh[t] + carry) * (1 - hs[t] ** 2)
        carry = da[t] @ W
    return da @ U, carry, np.einsum("tnh,tnd->hd", da, x), np.einsum("tnh,tnk->hk", da, hp), da.sum(axis=(0, 1))""",
}

# Slow but correct: one example (and one step) at a time. At the checks' large shapes (256 examples)
# they must still return well within the backward time limit, which numerical differentiation cannot.
BPTT_SLOW = {
    "rnn_step_backward": """def rnn_step_backward(dh, cache):
    dx, dh_prev = np.zeros_like(cache.x), np.zeros_like(cache.h_prev)
    dU, dW, db = np.zeros_like(cache.U), np.zeros_like(cache.W), np.zeros(cache.U.shape[0])
    for n in range(dh.shape[0]):
        da = dh[n] * (1 - cache.h[n] ** 2)
        dx[n], dh_prev[n] = cache.U.T @ da, cache.W.T @ da
        dU += np.outer(da, cache.x[n])
        dW += np.outer(da, cache.h_prev[n])
        db += da
    return dx, dh_prev, dU, dW, db""",
    "rnn_backward": """def rnn_backward(dh, caches):
    T, N = dh.shape[:2]
    dx = np.zeros((T, N, caches[0].x.shape[1]))
    dU, dW, db = np.zeros_like(caches[0].U), np.zeros_like(caches[0].W), np.zeros(dh.shape[2])
    dh0 = np.zeros_like(dh[0])
    for n in range(N):
        carry = np.zeros(dh.shape[2])
        for t in reversed(range(T)):
            c = caches[t]
            da = (dh[t, n] + carry) * (1 - c.h[n] ** 2)
            dx[t, n], carry = c.U.T @ da, c.W.T @ da
            dU += np.outer(da, c.x[n])
            dW += np.outer(da, c.h_prev[n])
            db += da
        dh0[n] = carry
    return dx, dh0, dU, dW, db""",
    "sequence_loss_backward": """def sequence_loss_backward(h, V, c, y):
    T, N = y.shape
    loss, dh, dV, dc = 0.0, np.zeros_like(h), np.zeros_like(V), np.zeros_like(c)
    for t in range(T):
        for n in range(N):
            o = V @ h[t, n] + c
            p = np.exp(o - o.max())
            p /= p.sum()
            loss -= np.log(p[y[t, n]])
            p[y[t, n]] -= 1
            dh[t, n] = V.T @ p
            dV += np.outer(p, h[t, n])
            dc += p
    return loss, dh, dV, dc""",
}

LSTM_SLOW = {
    "lstm_step_backward": """def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, U, W = cache
    dx, dh_prev, dc_prev = np.zeros_like(x), np.zeros_like(h_prev), np.zeros_like(c_prev)
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros(U.shape[0])
    for n in range(x.shape[0]):
        tc = np.tanh(c[n])
        dcn = dc[n] + dh[n] * o[n] * (1 - tc**2)
        gates = (dcn * g[n] * i[n] * (1 - i[n]), dcn * c_prev[n] * f[n] * (1 - f[n]),
                 dcn * i[n] * (1 - g[n] ** 2), dh[n] * tc * o[n] * (1 - o[n]))
        da = np.concatenate(gates)
        dx[n], dh_prev[n], dc_prev[n] = U.T @ da, W.T @ da, dcn * f[n]
        dU += np.outer(da, x[n])
        dW += np.outer(da, h_prev[n])
        db += da
    return dx, dh_prev, dc_prev, dU, dW, db""",
}

LSTM_WRONG = {
    # the candidate squashed by σ instead of tanh
    "lstm_step_forward": """def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = x @ U.T + h_prev @ W.T + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, i, f, g, o, c, U, W)""",
    # the carousel dropped: dc_prev is not multiplied by the forget gate
    "lstm_step_backward": """def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, U, W = cache
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc**2)
    da_if = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f)]
    da = np.concatenate(da_if + [dc * i * (1 - g**2), dh * tc * o * (1 - o)], axis=1)
    return da @ U, da @ W, dc, da.T @ x, da.T @ h_prev, da.sum(axis=0)""",
    # the cell state not carried: every step starts from c0
    "lstm_forward": """def lstm_forward(x, U, W, b, h0, c0):
    h, hs, caches = h0, [], []
    for t in range(x.shape[0]):
        h, _, cache = lstm_step_forward(x[t], h, c0, U, W, b)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), caches""",
    # the cell-state gradient not passed back between steps
    "lstm_backward": """def lstm_backward(dh, caches):
    T = dh.shape[0]
    dx = [None] * T
    dh_next = np.zeros_like(dh[0])
    dU = dW = db = 0
    for t in reversed(range(T)):
        g = lstm_step_backward(dh[t] + dh_next, np.zeros_like(dh[0]), caches[t])
        dx[t], dh_next = g[0], g[1]
        dU, dW, db = dU + g[3], dW + g[4], db + g[5]
    return np.stack(dx), dh_next, g[2], dU, dW, db""",
}

LSTM_ALTERNATIVE_2 = {
    "lstm_forward": """def lstm_forward(x, U, W, b, h0, c0):
    T = x.shape[0]
    out, caches = np.zeros((T,) + h0.shape), []
    state = (h0, c0)
    for t in range(T):
        h, c, cache = lstm_step_forward(x[t], *state, U, W, b)
        out[t], state = h, (h, c)
        caches.append(cache)
    return out, caches""",
    "lstm_backward": """def lstm_backward(dh, caches):
    T = len(caches)
    grads = [None] * T
    dh_carry = dc_carry = np.zeros_like(dh[0])
    for t in range(T - 1, -1, -1):
        grads[t] = lstm_step_backward(dh[t] + dh_carry, dc_carry, caches[t])
        dh_carry, dc_carry = grads[t][1], grads[t][2]
    dx = np.stack([g[0] for g in grads])
    return dx, dh_carry, dc_carry, *(np.sum([g[k] for g in grads], axis=0) for k in (3, 4, 5))""",
}

LSTM_ALTERNATIVE = {
    "lstm_step_forward": """def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    # one gate at a time, with its own slice of the weights
    H = h_prev.shape[1]
    gate = lambda k, f: f(x @ U[k * H : (k + 1) * H].T + h_prev @ W[k * H : (k + 1) * H].T + b[k * H : (k + 1) * H])
    i, f, g, o = gate(0, sigmoid), gate(1, sigmoid), gate(2, np.tanh), gate(3, sigmoid)
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, i, f, g, o, c, U, W)""",
    "lstm_step_backward": """def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, U, W = cache
    tc = np.tanh(c)
    dct = dc + dh * o * (1 - tc * tc)
    da_i, da_f = dct * g * i * (1 - i), dct * c_prev * f * (1 - f)
    da_g, da_o = dct * i * (1 - g * g), dh * tc * o * (1 - o)
    da = np.hstack([da_i, da_f, da_g, da_o])
    dU, dW = np.einsum("ng,nd->gd", da, x), np.einsum("ng,nh->gh", da, h_prev)
    return da @ U, da @ W, dct * f, dU, dW, da.sum(0)""",
}

LONG_TERM_WRONG = {
    # the derivative taken at h(t-1) instead of h(t): off by one step
    "jacobians": """def jacobians(h, W):
    T = h.shape[0] - 1
    J = [np.eye(W.shape[0])]
    for t in range(T, 0, -1):
        J.insert(0, J[0] @ np.diag(1 - h[t - 1] ** 2) @ W)
    return np.stack(J)""",
    # the Frobenius norm instead of the spectral norm
    "jacobian_norms": """def jacobian_norms(J):
    return np.sqrt((J**2).sum(axis=(1, 2)))""",
    # each gradient clipped by its own norm: the direction changes
    "clip_by_global_norm": """def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    return {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}, norm""",
    # alpha weighting the new value instead of the old state
    "leaky_forward": """def leaky_forward(x, U, W, b, alpha, h0):
    hs, h_hat = [h0], []
    for t in range(x.shape[0]):
        h_hat.append(np.tanh(b + hs[-1] @ W.T + x[t] @ U.T))
        hs.append((1 - alpha) * hs[-1] + alpha * h_hat[-1])
    hs, h_hat = np.stack(hs), np.stack(h_hat)
    return hs[1:], (x, hs, h_hat, U, W, alpha)""",
    # the direct path alpha ⊙ δh(t) to h(t-1) dropped
    "leaky_backward": """def leaky_backward(dh, cache):
    x, hs, h_hat, U, W, alpha = cache
    dx, carry = np.zeros_like(x), np.zeros_like(hs[0])
    dU, dW, db, dalpha = 0, 0, 0, 0
    for t in reversed(range(x.shape[0])):
        total = dh[t] + carry
        dalpha = dalpha + (total * (hs[t] - h_hat[t])).sum(axis=0)
        da = total * (1 - alpha) * (1 - h_hat[t] ** 2)
        dx[t] = da @ U
        dU, dW, db = dU + da.T @ x[t], dW + da.T @ hs[t], db + da.sum(axis=0)
        carry = da @ W
    return dx, carry, dU, dW, db, dalpha""",
}

LONG_TERM_ALTERNATIVES = [
    {
        "jacobians": """def jacobians(h, W):
    # forward accumulation: products of step Jacobians from t to T, one t at a time
    T, H = h.shape[0] - 1, W.shape[0]
    J = np.zeros((T + 1, H, H))
    for t in range(T + 1):
        P = np.eye(H)
        for k in range(t + 1, T + 1):
            P = np.diag(1 - h[k] ** 2) @ W @ P
        J[t] = P
    return J""",
        "jacobian_norms": """def jacobian_norms(J):
    return np.array([np.linalg.svd(j, compute_uv=False)[0] for j in J])""",
        "clip_by_global_norm": """def clip_by_global_norm(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    if norm <= max_norm:
        return dict(grads), norm
    return {k: g / norm * max_norm for k, g in grads.items()}, norm""",
    },
    {
        "jacobian_norms": """def jacobian_norms(J):
    # the square root of the largest eigenvalue of JᵀJ
    return np.sqrt(np.linalg.eigvalsh(np.einsum("tij,tik->tjk", J, J)).max(axis=1))""",
        "leaky_forward": """def leaky_forward(x, U, W, b, alpha, h0):
    T, N, _ = x.shape
    hs = np.zeros((T + 1, N, W.shape[0])); hs[0] = h0
    pre = np.einsum("tnd,hd->tnh", x, U) + b  # input projections for all steps at once
    h_hat = np.zeros((T, N, W.shape[0]))
    for t in range(T):
        h_hat[t] = np.tanh(pre[t] + hs[t] @ W.T)
        hs[t + 1] = hs[t] + (1 - alpha) * (h_hat[t] - hs[t])
    return hs[1:], (x, hs, h_hat, U, W, alpha)""",
        "leaky_backward": """def leaky_backward(dh, cache):
    x, hs, h_hat, U, W, alpha = cache
    T = x.shape[0]
    da = np.zeros_like(h_hat); total = np.zeros_like(h_hat); carry = np.zeros_like(hs[0])
    for t in range(T - 1, -1, -1):
        total[t] = dh[t] + carry
        da[t] = total[t] * (1 - alpha) * (1 - h_hat[t] ** 2)
        carry = alpha * total[t] + da[t] @ W
    dU = np.einsum("tnh,tnd->hd", da, x); dW = np.einsum("tnh,tnk->hk", da, hs[:-1])
    dalpha = np.einsum("tnh->h", total * (hs[:-1] - h_hat))
    return da @ U, carry, dU, dW, da.sum(axis=(0, 1)), dalpha""",
    },
]

GRU_WRONG = {
    # z reversed: h = z ⊙ h_prev + (1 − z) ⊙ n
    "gru_step_forward": """def gru_step_forward(x, h_prev, U, W, b):
    H = h_prev.shape[1]
    a = x @ U.T + b
    r = sigmoid(a[:, :H] + h_prev @ W[:H].T)
    z = sigmoid(a[:, H : 2 * H] + h_prev @ W[H : 2 * H].T)
    n = np.tanh(a[:, 2 * H :] + (r * h_prev) @ W[2 * H :].T)
    return z * h_prev + (1 - z) * n, (x, h_prev, r, z, n, U, W)""",
    # the path through r ⊙ h_prev into dh_prev forgotten
    "gru_step_backward": """def gru_step_backward(dh, cache):
    x, h_prev, r, z, n, U, W = cache
    H = h_prev.shape[1]
    da_n = dh * z * (1 - n**2)
    d_rh = da_n @ W[2 * H :]
    da_rz = np.concatenate([d_rh * h_prev * r * (1 - r), dh * (n - h_prev) * z * (1 - z)], axis=1)
    da = np.concatenate([da_rz, da_n], axis=1)
    dh_prev = dh * (1 - z) + da_rz @ W[: 2 * H]
    dW = np.concatenate([da_rz.T @ h_prev, da_n.T @ (r * h_prev)])
    return da @ U, dh_prev, da.T @ x, dW, da.sum(axis=0)""",
    # the state reset to h0 at every step
    "gru_forward": """def gru_forward(x, U, W, b, h0):
    hs, caches = [], []
    for t in range(x.shape[0]):
        h, cache = gru_step_forward(x[t], h0, U, W, b)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), caches""",
    # the loop runs forward in time: the carry reaches the wrong steps
    "gru_backward": """def gru_backward(dh, caches):
    T = dh.shape[0]
    dx, dh_next = [None] * T, np.zeros_like(dh[0])
    dU = dW = db = 0
    for t in range(T):
        g = gru_step_backward(dh[t] + dh_next, caches[t])
        dx[t], dh_next = g[0], g[1]
        dU, dW, db = dU + g[2], dW + g[3], db + g[4]
    return np.stack(dx), dh_next, dU, dW, db""",
}

GRU_ALTERNATIVES = [
    {
        "gru_step_forward": """def gru_step_forward(x, h_prev, U, W, b):
    # one gate at a time, each with its own weight slices
    H = h_prev.shape[1]
    part = lambda k, h: x @ U[k * H : (k + 1) * H].T + h @ W[k * H : (k + 1) * H].T + b[k * H : (k + 1) * H]
    r, z = sigmoid(part(0, h_prev)), sigmoid(part(1, h_prev))
    n = np.tanh(part(2, r * h_prev))
    return h_prev + z * (n - h_prev), (x, h_prev, r, z, n, U, W)""",
        "gru_step_backward": """def gru_step_backward(dh, cache):
    x, h_prev, r, z, n, U, W = cache
    H = h_prev.shape[1]
    Wr, Wz, Wn = W[:H], W[H : 2 * H], W[2 * H :]
    da_n = dh * z * (1 - n * n)
    d_rh = da_n @ Wn
    da_r = d_rh * h_prev * r * (1 - r)
    da_z = dh * (n - h_prev) * z * (1 - z)
    dh_prev = dh * (1 - z) + d_rh * r + da_r @ Wr + da_z @ Wz
    da = np.hstack([da_r, da_z, da_n])
    dW = np.vstack([np.einsum("nh,nk->hk", da_r, h_prev), np.einsum("nh,nk->hk", da_z, h_prev), da_n.T @ (r * h_prev)])
    return np.einsum("ng,gd->nd", da, U), dh_prev, np.einsum("ng,nd->gd", da, x), dW, np.einsum("ng->g", da)""",
    },
    {
        "gru_forward": """def gru_forward(x, U, W, b, h0):
    # states written into an array made up front
    hs, caches, h = np.empty(x.shape[:2] + h0.shape[1:], dtype=h0.dtype), [], h0
    for t in range(x.shape[0]):
        h, cache = gru_step_forward(x[t], h, U, W, b)
        hs[t] = h
        caches.append(cache)
    return hs, caches""",
        "gru_backward": """def gru_backward(dh, caches):
    grads = []
    carry = np.zeros_like(dh[0])
    for t in range(dh.shape[0] - 1, -1, -1):
        g = gru_step_backward(dh[t] + carry, caches[t])
        carry = g[1]
        grads.append(g)
    grads.reverse()
    return np.stack([g[0] for g in grads]), carry, *(np.sum([g[k] for g in grads], axis=0) for k in (2, 3, 4))""",
    },
]

ARCHITECTURES_WRONG = {
    # the right-to-left states left in the order they were computed
    "bidirectional_forward": """def bidirectional_forward(x, U_f, W_f, b_f, U_b, W_b, b_b):
    h_f, cache_f = rnn_forward(x, U_f, W_f, b_f)
    h_b, cache_b = rnn_forward(x[::-1], U_b, W_b, b_b)
    return np.concatenate([h_f, h_b], axis=-1), (cache_f, cache_b)""",
    # dx of the right-to-left direction not reversed back
    "bidirectional_backward": """def bidirectional_backward(dh, cache):
    cache_f, cache_b = cache
    H = dh.shape[-1] // 2
    g_f = rnn_backward(dh[..., :H], cache_f)
    g_b = rnn_backward(dh[::-1, :, H:], cache_b)
    return g_f.dx + g_b.dx, g_f.dU, g_f.dW, g_f.db, g_b.dU, g_b.dW, g_b.db""",
    # the decoder reads the target it should predict
    "decoder_loss": """def decoder_loss(h0, y, E, U, W, b, V, c, bos):
    h, _ = rnn_forward(E[y], U, W, b, h0)
    return softmax_cross_entropy(h @ V.T + c, y)[0]""",
    # dE[y_in] += dx keeps only one contribution of a repeated token
    "decoder_backward": """def decoder_backward(h0, y, E, U, W, b, V, c, bos):
    y_in = np.concatenate([np.full((1, y.shape[1]), bos), y[:-1]])
    h, cache = rnn_forward(E[y_in], U, W, b, h0)
    loss, do = softmax_cross_entropy(h @ V.T + c, y)
    K, H = V.shape
    g = rnn_backward(do @ V, cache)
    dE = np.zeros_like(E)
    dE[y_in] += g.dx
    return loss, g.dh0, dE, g.dU, g.dW, g.db, do.reshape(-1, K).T @ h.reshape(-1, H), do.sum(axis=(0, 1))""",
}

ARCHITECTURES_ALTERNATIVES = [
    {
        "bidirectional_forward": """def bidirectional_forward(x, U_f, W_f, b_f, U_b, W_b, b_b):
    T = x.shape[0]
    h_f, cache_f = rnn_forward(x, U_f, W_f, b_f)
    h_b, cache_b = rnn_forward(np.flip(x, axis=0), U_b, W_b, b_b)
    h = np.empty(h_f.shape[:2] + (2 * h_f.shape[2],))
    for t in range(T):
        h[t] = np.hstack([h_f[t], h_b[T - 1 - t]])
    return h, (cache_f, cache_b)""",
        "decoder_backward": """def decoder_backward(h0, y, E, U, W, b, V, c, bos):
    T, N = y.shape
    y_in = np.vstack([np.full(N, bos), y[:-1]])
    h, cache = rnn_forward(E[y_in], U, W, b, h0)
    o = np.einsum("tnh,kh->tnk", h, V) + c
    p = np.exp(o - o.max(-1, keepdims=True)); p /= p.sum(-1, keepdims=True)
    loss = -np.log(p[np.arange(T)[:, None], np.arange(N), y]).sum()
    do = p.copy(); do[np.arange(T)[:, None], np.arange(N), y] -= 1
    g = rnn_backward(do @ V, cache)
    dE = np.stack([g.dx[y_in == k].sum(axis=0) for k in range(E.shape[0])])  # one token at a time
    return loss, g.dh0, dE, g.dU, g.dW, g.db, np.einsum("tnk,tnh->kh", do, h), do.sum(axis=(0, 1))""",
    },
    {
        "bidirectional_backward": """def bidirectional_backward(dh, cache):
    cache_f, cache_b = cache
    H = dh.shape[-1] // 2
    g_f = rnn_backward(np.ascontiguousarray(dh[:, :, :H]), cache_f)
    g_b = rnn_backward(np.flip(dh[:, :, H:], axis=0), cache_b)
    dx = g_f.dx + np.flip(g_b.dx, axis=0)
    return dx, g_f.dU, g_f.dW, g_f.db, g_b.dU, g_b.dW, g_b.db""",
        "decoder_loss": """def decoder_loss(h0, y, E, U, W, b, V, c, bos):
    # one step at a time, feeding the previous target by hand
    h, total, prev = h0, 0.0, np.full(y.shape[1], bos)
    for t in range(y.shape[0]):
        h = np.tanh(E[prev] @ U.T + h @ W.T + b)
        o = h @ V.T + c
        total += (np.log(np.exp(o - o.max(1, keepdims=True)).sum(1)) + o.max(1) - o[np.arange(len(prev)), y[t]]).sum()
        prev = y[t]
    return total""",
    },
]

ATTENTION_WRONG = {
    # the mask ignored
    "additive_attention_forward": """def additive_attention_forward(query, keys, values, mask, W_q, W_k, v_a):
    u = np.tanh(query @ W_q.T + keys @ W_k.T)
    e = u @ v_a
    w = np.exp(e - e.max(axis=0)); w = w / w.sum(axis=0)
    return np.einsum("sn,snh->nh", w, values), w.T, (query, keys, values, mask, W_q, W_k, v_a)""",
    # the softmax backward without its subtracted mean
    "additive_attention_backward": """def additive_attention_backward(dcontext, cache):
    query, keys, values, mask, W_q, W_k, v_a = cache
    u = np.tanh(query @ W_q.T + keys @ W_k.T)
    e = np.where(mask, u @ v_a, -np.inf)
    w = np.exp(e - e.max(axis=0)); w = w / w.sum(axis=0)
    dw = np.einsum("nh,snh->sn", dcontext, values)
    de = w * dw
    du = de[..., None] * v_a * (1 - u**2)
    dq_a = du.sum(axis=0)
    return (dq_a @ W_q, du @ W_k, w[..., None] * dcontext, dq_a.T @ query,
            np.einsum("sna,snk->ak", du, keys), np.einsum("sn,sna->a", de, u))""",
    # attends from the previous state instead of the new one
    "attention_decoder_step": """def attention_decoder_step(y_prev, h_prev, enc, mask, params):
    p = params
    h = np.tanh(p["b"] + h_prev @ p["W"].T + p["E"][y_prev] @ p["U"].T)
    context, weights, _ = additive_attention_forward(h_prev, enc, enc, mask, p["W_q"], p["W_k"], p["v_a"])
    z = np.tanh(p["b_c"] + np.concatenate([context, h], axis=1) @ p["W_c"].T)
    return p["c"] + z @ p["V"].T, h, weights""",
}

ATTENTION_ALTERNATIVES = [
    {
        "additive_attention_forward": """def additive_attention_forward(query, keys, values, mask, W_q, W_k, v_a):
    # loops over sequences and positions; masked positions skipped
    S, N, _ = keys.shape
    weights, context = np.zeros((N, S)), np.zeros((N, values.shape[2]))
    for n in range(N):
        kept = [s for s in range(S) if mask[s, n]]
        e = np.array([v_a @ np.tanh(W_q @ query[n] + W_k @ keys[s, n]) for s in kept])
        a = np.exp(e - e.max()); a /= a.sum()
        weights[n, kept] = a
        context[n] = a @ values[kept, n]
    return context, weights, (query, keys, values, mask, W_q, W_k, v_a)""",
        "attention_decoder_step": """def attention_decoder_step(y_prev, h_prev, enc, mask, params):
    E, U, W, b = params["E"], params["U"], params["W"], params["b"]
    h = np.tanh(np.einsum("nd,hd->nh", E[y_prev], U) + np.einsum("nk,hk->nh", h_prev, W) + b)
    context, weights, _ = additive_attention_forward(h, enc, enc, mask, params["W_q"], params["W_k"], params["v_a"])
    He = context.shape[1]
    z = np.tanh(context @ params["W_c"][:, :He].T + h @ params["W_c"][:, He:].T + params["b_c"])  # W_c split in two
    return z @ params["V"].T + params["c"], h, weights""",
    },
    {
        "additive_attention_backward": """def additive_attention_backward(dcontext, cache):
    # a log-sum-exp softmax and its Jacobian written out per sequence, einsum throughout
    query, keys, values, mask, W_q, W_k, v_a = cache
    S, N, _ = keys.shape
    u = np.tanh(np.einsum("aq,nq->na", W_q, query)[None] + np.einsum("ak,snk->sna", W_k, keys))
    e = np.where(mask, np.einsum("sna,a->sn", u, v_a), -np.inf)
    w = np.exp(e - np.logaddexp.reduce(e, axis=0))
    dw = np.einsum("nh,snh->sn", dcontext, values)
    de = np.stack([(np.diag(w[:, n]) - np.outer(w[:, n], w[:, n])) @ dw[:, n] for n in range(N)], axis=1)
    du = de[..., None] * v_a * (1 - u * u)
    dq_a = du.sum(axis=0)
    return (dq_a @ W_q, np.einsum("sna,ak->snk", du, W_k), np.einsum("sn,nh->snh", w, dcontext),
            np.einsum("na,nq->aq", dq_a, query), np.einsum("sna,snk->ak", du, keys), np.einsum("sn,sna->a", de, u))""",
    },
]

CASES = {
    "recurrence": {
        "points": {"rnn_step_forward": 2, "rnn_forward": 3, "sequence_loss": 2},
        "wrong": RECURRENCE_WRONG,
        "alternatives": [RECURRENCE_ALTERNATIVE, RECURRENCE_ALTERNATIVE_2],
        "feedback": {
            "rnn_step_forward": "rnn_step_forward: h is wrong",
            "rnn_forward": "rnn_forward: h is wrong from t=0",
            "sequence_loss": "it looks like a mean; the loss is a sum over t and n",
        },
    },
    "lstm": {
        "points": {"lstm_step_forward": 2, "lstm_step_backward": 4, "lstm_forward": 2, "lstm_backward": 4},
        "wrong": LSTM_WRONG,
        "alternatives": [LSTM_ALTERNATIVE, LSTM_ALTERNATIVE_2, LSTM_SLOW],
        "feedback": {
            "lstm_step_forward": "lstm_step_forward: c is wrong",
            "lstm_step_backward": "lstm_step_backward: dc_prev is wrong",
            "lstm_forward": "lstm_forward: h is wrong from t=1",
            "lstm_backward": "departs from t=",
        },
    },
    "bptt": {
        "points": {"rnn_step_backward": 3, "rnn_backward": 5, "sequence_loss_backward": 3},
        "wrong": BPTT_WRONG,
        "alternatives": [BPTT_ALTERNATIVE, BPTT_ALTERNATIVE_2, BPTT_SLOW],
        "feedback": {
            "rnn_step_backward": "rnn_step_backward: dx is wrong",
            "rnn_backward": "rnn_backward: dx is wrong",
            "sequence_loss_backward": "sequence_loss_backward: dc is wrong",
        },
    },
}

CASES.update(
    {
        "long_term": {
            "points": {
                "jacobians": 3,
                "jacobian_norms": 1,
                "clip_by_global_norm": 2,
                "leaky_forward": 2,
                "leaky_backward": 4,
            },
            "wrong": LONG_TERM_WRONG,
            "alternatives": LONG_TERM_ALTERNATIVES,
            "feedback": {
                "jacobians": "jacobians: J is wrong",
                "jacobian_norms": "these are Frobenius norms; the book plots the spectral norm",
                "clip_by_global_norm": "each array was clipped by its own norm",
                "leaky_forward": "leaky_forward: h is wrong from t=0",
                "leaky_backward": "leaky_backward: dx is wrong",
            },
        },
        "gru": {
            "points": {"gru_step_forward": 2, "gru_step_backward": 4, "gru_forward": 2, "gru_backward": 4},
            "wrong": GRU_WRONG,
            "alternatives": GRU_ALTERNATIVES,
            "feedback": {
                "gru_step_forward": "gru_step_forward: h is wrong",
                "gru_step_backward": "dh_prev is wrong",
                "gru_forward": "gru_forward: h is wrong from t=1",
                "gru_backward": "gru_backward: dx is wrong",
            },
        },
        "architectures": {
            "points": {
                "bidirectional_forward": 2,
                "bidirectional_backward": 3,
                "decoder_loss": 2,
                "decoder_backward": 4,
            },
            "wrong": ARCHITECTURES_WRONG,
            "alternatives": ARCHITECTURES_ALTERNATIVES,
            "feedback": {
                "bidirectional_forward": "right-to-left half",
                "bidirectional_backward": "dx is wrong",
                "decoder_loss": "reads y[t], the target it should predict",
                "decoder_backward": "dE is wrong",
            },
        },
        "attention": {
            "points": {"additive_attention_forward": 3, "additive_attention_backward": 5, "attention_decoder_step": 2},
            "wrong": ATTENTION_WRONG,
            "alternatives": ATTENTION_ALTERNATIVES,
            "feedback": {
                "additive_attention_forward": "weights on masked positions must be 0",
                "additive_attention_backward": "is wrong (relative error",
                "attention_decoder_step": "weights is wrong",
            },
        },
    }
)
# --------------------------------------------------------------------------- mutants and rewrites of the solution
#
# Most mutants are one plausible slip in the instructor's solution of one function: (function, old, new),
# where ``old`` occurs exactly once in that function's solution. Each must lose exactly that function's points.

ROOT = Path(__file__).resolve().parents[1]


def instructor_code(assignment: str, function: str) -> str:
    """The instructor's solution of ``function`` (its answer cell, markers removed)."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == function:
            return solution_code(cell.source)
    raise KeyError(f"{assignment} has no answer cell {function}")


class EditDoesNotApply(ValueError):
    """A mutant's or rewrite's edit whose text is not in the instructor's solution exactly once."""


def rewritten(assignment: str, function: str, *edits: tuple[str, str], name: str = "an edit") -> str:
    """The instructor's ``function`` with each ``(old, new)`` edit made; ``old`` must occur exactly once.

    Raises :class:`EditDoesNotApply`, naming the mutant or rewrite and the text,
    when it does not: after the solution notebook is edited or reformatted, a
    mutant must fail here, loudly, not grade the unchanged solution.
    """
    code = instructor_code(assignment, function)
    for old, new in edits:
        if code.count(old) != 1:
            raise EditDoesNotApply(
                f"{name} of {assignment}.{function}: the text {old!r} occurs {code.count(old)} times in the "
                f"instructor's solution (solutions/{assignment}/{assignment}.ipynb, cell {function}), not once; "
                "update it in tests/grading_cases.py"
            )
        code = code.replace(old, new)
    return code


MUTANTS = {
    "recurrence": [
        ("rnn_step_forward", "x @ U.T + h_prev @ W.T + b)", "x @ U.T + h_prev @ W.T)"),  # bias left out
        ("rnn_step_forward", "np.tanh(x @ U.T + h_prev @ W.T + b)", "np.maximum(0, x @ U.T + h_prev @ W.T + b)"),
        # float32 arithmetic passed off as float64
        (
            "rnn_step_forward",
            "h = np.tanh(x @ U.T + h_prev @ W.T + b)",
            "h = np.tanh((x @ U.T + h_prev @ W.T + b).astype(np.float32)).astype(np.float64)",
        ),
        ("rnn_forward", "rnn_step_forward(x[t], state", "rnn_step_forward(x[0], state"),  # the first input every step
        # off by one: stores h(t-1) instead of h(t)
        (
            "rnn_forward",
            "state, cache = rnn_step_forward(x[t], state, U, W, b)\n        h.append(state)",
            "h.append(state)\n        state, cache = rnn_step_forward(x[t], state, U, W, b)",
        ),
        ("rnn_forward", "return np.stack(h), caches", "return np.stack(h).astype(np.float32), caches"),
        ("sequence_loss", "o = h @ V.T + c", "o = h @ V.T"),  # output bias left out
        ("sequence_loss", "np.exp(o).sum(axis=-1, keepdims=True)", "np.exp(o).sum(axis=0, keepdims=True)"),
        ("sequence_loss", "return float(", "return np.float32("),
    ],
    "bptt": [
        ("rnn_step_backward", "(1 - cache.h**2)", "(1 - cache.h)"),  # tanh' written as 1 − h
        ("rnn_step_backward", "da @ cache.W,", "da @ cache.W.T,"),  # transposed weight
        ("rnn_step_backward", "da.sum(axis=0)", "da.mean(axis=0)"),  # db averaged over the batch
        ("rnn_step_backward", "return da @ cache.U,", "return dh @ cache.U,"),  # dx skips tanh'
        ("rnn_step_backward", "da = dh * (1 - cache.h**2)", "da = (dh * (1 - cache.h**2)).astype(np.float32)"),
        ("rnn_backward", "dU, dW, db = dU + g[2], dW + g[3], db + g[4]", "dU, dW, db = g[2], g[3], g[4]"),
        ("rnn_backward", "caches[t])", "caches[t - 1])"),  # off by one in the backward loop
        ("rnn_backward", "return np.stack(dx), carry", "return np.stack(dx).astype(np.float32), carry"),
        ("sequence_loss_backward", "do.reshape(-1, K).sum(axis=0)", "do.reshape(-1, K).mean(axis=0)"),
        ("sequence_loss_backward", "return loss, do @ V,", "return loss, (do @ V).astype(np.float32),"),
    ],
    "long_term": [
        ("jacobians", "[:, None] * W)", "[:, None] * W.T)"),  # transposed weight
        ("jacobians", "(1 - h[t] ** 2)", "(1 - h[t - 1] ** 2)"),  # tanh' at the wrong step
        ("jacobian_norms", "ord=2", "ord=1"),
        ("clip_by_global_norm", "min(1.0, max_norm / norm)", "max_norm / norm"),  # scales up small gradients
        (
            "clip_by_global_norm",
            "float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))",
            "float(sum(np.sum(g**2) for g in grads.values()))",
        ),  # the squared norm
        ("leaky_forward", "alpha * hs[-1] + (1 - alpha) * h_hat[-1]", "(1 - alpha) * hs[-1] + alpha * h_hat[-1]"),
        ("leaky_backward", "(hs[t] - h_hat[t])", "(h_hat[t] - hs[t])"),  # dalpha with the wrong sign
        ("leaky_backward", "carry = alpha * total + da @ W", "carry = da @ W"),  # the leak path dropped
        ("leaky_backward", "dW += da.T @ hs[t]", "dW += da.T @ hs[t + 1]"),  # h(t) for h(t-1)
        (
            "leaky_backward",
            "da = total * (1 - alpha) * (1 - h_hat[t] ** 2)",
            "da = (total * (1 - alpha) * (1 - h_hat[t] ** 2)).astype(np.float32)",
        ),
    ],
    "lstm": [
        (
            "lstm_step_forward",
            "sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])",
            "sigmoid(a[:, H : 2 * H]), sigmoid(a[:, :H])",
        ),  # input and forget gates swapped
        ("lstm_step_forward", "h = o * np.tanh(c)", "h = o * c"),
        ("lstm_step_forward", "np.tanh(a[:, 2 * H : 3 * H])", "sigmoid(a[:, 2 * H : 3 * H])"),
        ("lstm_step_backward", "dc * f, da.T @ x", "0 * dc, da.T @ x"),  # the forget-gate path to c(t-1) dropped
        ("lstm_step_backward", "dc = dc + dh * o * (1 - tc**2)", "dc = dc + dh * o"),
        ("lstm_step_backward", "axis=1\n    )", "axis=1\n    ).astype(np.float32)"),
        ("lstm_forward", "lstm_step_forward(x[t], h, c, U, W, b)", "lstm_step_forward(x[t], h, c0, U, W, b)"),
        ("lstm_backward", "dc_next, caches[t])", "np.zeros_like(dc_next), caches[t])"),  # the cell gradient not carried
        ("lstm_backward", "dU, dW, db = dU + g[3], dW + g[4], db + g[5]", "dU, dW, db = dU + g[3], g[4], db + g[5]"),
        ("lstm_backward", "return np.stack(dx), dh_next", "return np.stack(dx).astype(np.float32), dh_next"),
    ],
    "gru": [
        ("gru_step_forward", "h = (1 - z) * h_prev + z * n", "h = z * h_prev + (1 - z) * n"),  # z reversed
        ("gru_step_forward", "(r * h_prev) @ W[2 * H :].T", "r * (h_prev @ W[2 * H :].T)"),  # PyTorch's form
        ("gru_step_backward", "dh * (n - h_prev) * z", "dh * (h_prev - n) * z"),
        ("gru_step_backward", "dh * (1 - z) + d_rh * r + da_rz", "dh * (1 - z) + da_rz"),
        ("gru_step_backward", "da_n = dh * z * (1 - n**2)", "da_n = (dh * z * (1 - n**2)).astype(np.float32)"),
        ("gru_forward", "gru_step_forward(x[t], h, U, W, b)", "gru_step_forward(x[t], h0, U, W, b)"),
        ("gru_backward", "dU, dW, db = dU + g[2], dW + g[3], db + g[4]", "dU, dW, db = g[2], g[3], g[4]"),
        ("gru_backward", "caches[t])", "caches[t - 1])"),
    ],
    "architectures": [
        ("bidirectional_forward", "h_b[::-1]], axis=-1)", "h_b], axis=-1)"),  # backward states left reversed
        ("bidirectional_forward", "rnn_forward(x[::-1], U_b, W_b, b_b)", "rnn_forward(x[::-1], U_f, W_f, b_f)"),
        ("bidirectional_backward", "g_b.dx[::-1]", "g_b.dx"),
        ("bidirectional_backward", "rnn_backward(dh[::-1, :, H:], cache_b)", "rnn_backward(dh[:, :, H:], cache_b)"),
        ("decoder_loss", "h @ V.T + c, y)", "h @ V.T, y)"),
        ("decoder_loss", "rnn_forward(E[y_in], U, W, b, h0)", "rnn_forward(E[y_in], U, W, b)"),  # h0 ignored
        ("decoder_backward", "do.sum(axis=(0, 1))", "do[-1].sum(axis=0)"),
        ("decoder_backward", "rnn_backward(do @ V, cache)", "rnn_backward((do @ V).astype(np.float32), cache)"),
        ("decoder_backward", "dV = do.reshape(-1, K).T @ h.reshape(-1, H)", "dV = do[-1].T @ h[-1]"),
    ],
    "attention": [
        # the context ignores the weights
        ("additive_attention_forward", 'context = np.einsum("sn,snh->nh", w, values)', "context = values.mean(axis=0)"),
        ("additive_attention_forward", "u = np.tanh(query @ W_q.T + keys @ W_k.T)", "u = query @ W_q.T + keys @ W_k.T"),
        ("additive_attention_backward", "du = de[..., None] * v_a * (1 - u**2)", "du = de[..., None] * v_a"),
        ("additive_attention_backward", "dq_a = du.sum(axis=0)", "dq_a = du[-1]"),  # the query's sum over s
        (
            "additive_attention_backward",
            'dw = np.einsum("nh,snh->sn", dcontext, values)',
            'dw = np.einsum("nh,snh->sn", dcontext, values).astype(np.float32)',
        ),
        ("additive_attention_backward", "e = np.where(mask, u @ v_a, -np.inf)", "e = u @ v_a"),  # mask ignored
        ("attention_decoder_step", "np.concatenate([context, h], axis=1)", "np.concatenate([h, context], axis=1)"),
        (
            "attention_decoder_step",
            'z = np.tanh(p["b_c"] + np.concatenate([context, h], axis=1) @ p["W_c"].T)',
            'z = p["b_c"] + np.concatenate([context, h], axis=1) @ p["W_c"].T',
        ),
        ("attention_decoder_step", 'h_prev @ p["W"].T', 'h_prev @ p["W"]'),
    ],
}

# Correct implementations written differently, as rewrites of the instructor's: {function: [(old, new), ...]}.
WARNS = "np.exp(np.array([1000.0]))  # an overflow warning from correct code, which must not cost points\n    "
REWRITES = {
    "recurrence": [
        {
            "rnn_step_forward": [("np.tanh(x @ U.T + h_prev @ W.T + b)", "np.tanh(b + h_prev @ W.T + np.dot(x, U.T))")],
            "rnn_forward": [("return np.stack(h), caches", "return np.array(h), caches")],
            "sequence_loss": [
                ("np.log(np.exp(o).sum(axis=-1, keepdims=True))", "np.logaddexp.reduce(o, axis=-1, keepdims=True)")
            ],
        },
        {
            # tanh through exp: overflows (with a warning) to the right limit
            "rnn_step_forward": [
                (
                    "h = np.tanh(x @ U.T + h_prev @ W.T + b)",
                    "a = x @ U.T + h_prev @ W.T + b\n    h = 2 / (1 + np.exp(-2 * a)) - 1",
                )
            ],
            "rnn_forward": [
                ("for t in range(x.shape[0]):", "for t, x_t in enumerate(x):"),
                ("rnn_step_forward(x[t], state", "rnn_step_forward(x_t, state"),
            ],
        },
    ],
    "bptt": [
        {
            "rnn_step_backward": [
                (
                    "return da @ cache.U, da @ cache.W, da.T @ cache.x, da.T @ cache.h_prev, da.sum(axis=0)",
                    "return (np.dot(da, cache.U), np.dot(da, cache.W), np.dot(cache.x.T, da).T,\n"
                    "            np.dot(cache.h_prev.T, da).T, np.ones(len(da)) @ da)",
                )
            ],
            "rnn_backward": [("for t in reversed(range(T)):", "for t in range(T - 1, -1, -1):")],
            "sequence_loss_backward": [
                (
                    "p = np.exp(o)\n    p /= p.sum(axis=-1, keepdims=True)",
                    "p = np.exp(o - np.logaddexp.reduce(o, axis=-1, keepdims=True))",
                )
            ],
        },
        {
            "rnn_step_backward": [("da = dh", WARNS + "da = dh")],
            "rnn_backward": [
                ("dU, dW, db = dU + g[2], dW + g[3], db + g[4]", "dU, dW, db = g[2] + dU, g[3] + dW, g[4] + db")
            ],
            "sequence_loss_backward": [
                (
                    "-np.log(np.take_along_axis(p, y[..., None], axis=-1)).sum()",
                    "-np.log(p[tuple(np.indices(y.shape)) + (y,)]).sum()",
                )
            ],
        },
    ],
    "long_term": [
        {
            "jacobians": [("J[t] @ ((1 - h[t] ** 2)[:, None] * W)", "(J[t] * (1 - h[t] ** 2)) @ W")],
            "jacobian_norms": [("np.linalg.norm(J, ord=2, axis=(1, 2))", "np.linalg.svd(J, compute_uv=False)[:, 0]")],
            "clip_by_global_norm": [
                ("min(1.0, max_norm / norm) if norm > 0 else 1.0", "max_norm / max(norm, max_norm)")
            ],
            "leaky_forward": [("alpha * hs[-1] + (1 - alpha) * h_hat[-1]", "h_hat[-1] + alpha * (hs[-1] - h_hat[-1])")],
            "leaky_backward": [
                ("(total * (hs[t] - h_hat[t])).sum(axis=0)", 'np.einsum("nh,nh->h", total, hs[t] - h_hat[t])')
            ],
        },
        {
            "jacobians": [("J[T] = np.eye(W.shape[0])", "J[T] = np.identity(len(W))")],
            "clip_by_global_norm": [("{name: g * scale for", "{name: scale * np.asarray(g) for")],
            "leaky_backward": [
                ("dx = np.zeros_like(x)", WARNS + "dx = np.zeros_like(x)"),
                ("db += da.sum(axis=0)", "db += np.ones(da.shape[0]) @ da"),
            ],
        },
    ],
    "lstm": [
        {
            "lstm_step_forward": [("c = f * c_prev + i * g", "c = i * g + c_prev * f")],
            "lstm_step_backward": [
                (
                    "return da @ U, da @ W, dc * f, da.T @ x, da.T @ h_prev, da.sum(axis=0)",
                    'return (np.einsum("ng,gd->nd", da, U), np.einsum("ng,gk->nk", da, W), f * dc,\n'
                    '            np.einsum("ng,nd->gd", da, x), np.einsum("ng,nk->gk", da, h_prev),\n'
                    '            np.einsum("ng->g", da))',
                )
            ],
            "lstm_forward": [("return np.stack(hs), caches", "return np.asarray(hs), caches")],
        },
        {
            # the logistic function through exp: overflows (with a warning) to the right limit
            "lstm_step_forward": [
                (
                    "sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])",
                    "1 / (1 + np.exp(-a[:, :H])), 1 / (1 + np.exp(-a[:, H : 2 * H]))",
                )
            ],
            "lstm_backward": [
                ("dU = dW = db = 0", "dU, dW, db = 0.0, 0.0, 0.0"),
                ("for t in reversed(range(T)):", "for t in range(T - 1, -1, -1):"),
            ],
        },
    ],
    "gru": [
        {
            "gru_step_forward": [("h = (1 - z) * h_prev + z * n", "h = h_prev + z * (n - h_prev)")],
            "gru_step_backward": [
                (
                    "dW = np.concatenate([da_rz.T @ h_prev, da_n.T @ (r * h_prev)])",
                    'dW = np.vstack([np.einsum("ng,nk->gk", da_rz, h_prev), np.einsum("nh,nk->hk", da_n, r * h_prev)])',
                )
            ],
            "gru_backward": [("for t in reversed(range(T)):", "for t in range(T - 1, -1, -1):")],
        },
        {
            "gru_step_forward": [
                ("r = sigmoid(a[:, :H] + h_prev @ W[:H].T)", "r = 1 / (1 + np.exp(-(a[:, :H] + h_prev @ W[:H].T)))")
            ],
            "gru_step_backward": [("da = np.concatenate([da_rz, da_n], axis=1)", "da = np.hstack([da_r, da_z, da_n])")],
            "gru_forward": [("return np.stack(hs), caches", "return np.array(hs), caches")],
        },
    ],
    "architectures": [
        {
            "bidirectional_forward": [
                ("np.concatenate([h_f, h_b[::-1]], axis=-1)", "np.dstack([h_f, np.flip(h_b, 0)])")
            ],
            "bidirectional_backward": [("return g_f.dx + g_b.dx[::-1],", "return g_b.dx[::-1] + g_f.dx,")],
            "decoder_loss": [
                (
                    "y_in = np.concatenate([np.full((1, y.shape[1]), bos), y[:-1]])",
                    "y_in = np.roll(y, 1, axis=0)\n    y_in[0] = bos",
                )
            ],
            "decoder_backward": [
                (
                    "np.add.at(dE, y_in, g.dx)  # repeated tokens accumulate",
                    "for t, n in np.ndindex(y_in.shape):\n        dE[y_in[t, n]] += g.dx[t, n]",
                )
            ],
        },
        {
            "bidirectional_forward": [("h_f, cache_f =", WARNS + "h_f, cache_f =")],
            "decoder_loss": [
                (
                    "loss, _ = softmax_cross_entropy(h @ V.T + c, y)",
                    "o = h @ V.T + c\n"
                    "    picked = np.take_along_axis(o, y[..., None], -1)[..., 0]\n"
                    "    loss = (np.logaddexp.reduce(o, axis=-1) - picked).sum()",
                )
            ],
            "decoder_backward": [
                ("dV = do.reshape(-1, K).T @ h.reshape(-1, H)", 'dV = np.einsum("tnk,tnh->kh", do, h)')
            ],
        },
    ],
    "attention": [
        {
            "additive_attention_forward": [
                (
                    "w = np.exp(e - e.max(axis=0))\n    w = w / w.sum(axis=0)",
                    "w = np.exp(e - np.logaddexp.reduce(e, axis=0))",
                )
            ],
            "additive_attention_backward": [
                ("dvalues = w[..., None] * dcontext", 'dvalues = np.einsum("sn,nh->snh", w, dcontext)')
            ],
            "attention_decoder_step": [
                (
                    'return p["c"] + z @ p["V"].T, h, weights',
                    'return np.einsum("nz,kz->nk", z, p["V"]) + p["c"], h, weights',
                )
            ],
        },
        {
            # exp then log: log(0) at masked positions warns and gives -inf
            "additive_attention_forward": [
                ("e = np.where(mask, u @ v_a, -np.inf)", "e = np.log(np.where(mask, np.exp(u @ v_a), 0.0))")
            ],
            "additive_attention_backward": [
                (
                    'dW_k = np.einsum("sna,snk->ak", du, keys)',
                    "dW_k = du.reshape(-1, du.shape[-1]).T @ keys.reshape(-1, keys.shape[-1])",
                )
            ],
        },
    ],
}


def mutants(assignment: str) -> list[tuple[str, str]]:
    """Every wrong implementation of the assignment, ``(function, source)``: the hand-written ones, then the slips."""
    written = list(CASES[assignment]["wrong"].items())
    slips = [
        (fn, rewritten(assignment, fn, (old, new), name=f"mutant_{k:02d}_{fn}"))
        for k, (fn, old, new) in enumerate(MUTANTS[assignment], start=len(written) + 1)
    ]
    return written + slips


def alternatives(assignment: str) -> list[dict[str, str]]:
    """Every correct alternative to the instructor's solution: the hand-written ones, then the rewrites."""
    rewrites = [
        {fn: rewritten(assignment, fn, *edits, name=f"rewrite {k}") for fn, edits in r.items()}
        for k, r in enumerate(REWRITES[assignment], start=1)
    ]
    return list(CASES[assignment]["alternatives"]) + rewrites
