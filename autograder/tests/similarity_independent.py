"""Correct answers written independently for the similarity tests: three or more per assignment, each its own style.

None is an edit of the instructor's solution, of rnncore or of another answer
here or in ``grading_cases``; ``test_similarity.py`` proves each correct with
the grader's own checks, and that none is flagged against another or against
the references.
"""

INDEPENDENT = {
    "recurrence": [
        {  # row by row, dot products
            "rnn_step_forward": """def rnn_step_forward(x, h_prev, U, W, b):
    rows = []
    for n in range(x.shape[0]):
        rows.append(np.tanh(U.dot(x[n]) + W.dot(h_prev[n]) + b))
    h = np.array(rows)
    return h, (x, h_prev, h, U, W)""",
            "sequence_loss": """def sequence_loss(h, V, c, y):
    logits = np.tensordot(h, V, axes=([2], [1])) + c
    shift = logits.max(axis=2)
    lse = shift + np.log(np.exp(logits - shift[..., None]).sum(axis=2))
    t, n = np.indices(y.shape)
    return float(np.sum(lse - logits[t, n, y]))""",
        },
        {  # the stacked matrix [W U] on [h_prev x]; inputs projected for all steps at once
            "rnn_step_forward": """def rnn_step_forward(x, h_prev, U, W, b):
    z = np.hstack([h_prev, x])
    M = np.hstack([W, U])
    h = np.tanh(z @ M.T + b)
    return h, (x, h_prev, h, U, W)""",
            "rnn_forward": """def rnn_forward(x, U, W, b, h0):
    states = np.zeros((x.shape[0] + 1,) + h0.shape)
    states[0] = h0
    xu = x @ U.T
    for t, inp in enumerate(xu):
        states[t + 1] = np.tanh(inp + states[t] @ W.T + b)
    return states[1:], states""",
        },
        {  # functional: a fold over time; the loss one logit row at a time
            "rnn_forward": """def rnn_forward(x, U, W, b, h0):
    from functools import reduce

    def grow(history, x_t):
        return history + [np.tanh(np.matmul(x_t, U.T) + np.matmul(history[-1], W.T) + b)]

    return np.asarray(reduce(grow, x, [h0])[1:]), None""",
            "sequence_loss": """def sequence_loss(h, V, c, y):
    total = 0.0
    for logits, target in zip((h @ V.T + c).reshape(-1, len(c)), y.ravel()):
        top = np.max(logits)
        total += top + np.log(np.sum(np.exp(logits - top))) - logits[target]
    return float(total)""",
        },
    ],
    "bptt": [
        {  # einsum everywhere, a one-hot matrix for the targets
            "rnn_step_backward": """def rnn_step_backward(dh, cache):
    g = dh - dh * cache.h * cache.h
    return (
        np.einsum("nh,hd->nd", g, cache.U),
        np.einsum("nh,hk->nk", g, cache.W),
        np.einsum("nh,nd->hd", g, cache.x),
        np.einsum("nh,nk->hk", g, cache.h_prev),
        np.einsum("nh->h", g),
    )""",
            "sequence_loss_backward": """def sequence_loss_backward(h, V, c, y):
    o = np.einsum("tnh,kh->tnk", h, V) + c
    log_p = o - o.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    onehot = np.eye(V.shape[0])[y]
    g = np.exp(log_p) - onehot
    dh, dV = np.einsum("tnk,kh->tnh", g, V), np.einsum("tnk,tnh->kh", g, h)
    return float(-(onehot * log_p).sum()), dh, dV, g.sum((0, 1))""",
        },
        {  # a dictionary of running sums, dx collected front to back
            "rnn_backward": """def rnn_backward(dh, caches):
    sums = {"U": 0.0, "W": 0.0, "b": 0.0}
    upstream = np.zeros(dh.shape[1:])
    dxs = []
    for t in range(len(caches) - 1, -1, -1):
        step = caches[t]
        delta = (dh[t] + upstream) * (1.0 - np.square(step.h))
        dxs.insert(0, delta.dot(step.U))
        upstream = delta.dot(step.W)
        sums["U"] = sums["U"] + delta.T.dot(step.x)
        sums["W"] = sums["W"] + delta.T.dot(step.h_prev)
        sums["b"] = sums["b"] + delta.sum(0)
    return np.array(dxs), upstream, sums["U"], sums["W"], sums["b"]""",
        },
        {  # the recurrence alone in the loop, the weight gradients as contractions over time afterwards
            "rnn_backward": """def rnn_backward(dh, caches):
    deltas = np.empty_like(dh)
    running = np.zeros_like(dh[0])
    for t in range(len(caches) - 1, -1, -1):
        deltas[t] = (dh[t] + running) * (1 - caches[t].h ** 2)
        running = deltas[t] @ caches[t].W
    xs = np.stack([s.x for s in caches])
    previous = np.stack([s.h_prev for s in caches])
    over_time = ([0, 1], [0, 1])
    dU = np.tensordot(deltas, xs, axes=over_time)
    dW = np.tensordot(deltas, previous, axes=over_time)
    return deltas @ caches[0].U, running, dU, dW, deltas.sum((0, 1))""",
            "sequence_loss_backward": """def sequence_loss_backward(h, V, c, y):
    T, N, H = h.shape
    flat, labels = h.reshape(T * N, H), y.reshape(-1)
    scores = flat @ V.T + c
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    rows = np.arange(T * N)
    loss = -np.log(probs[rows, labels]).sum()
    probs[rows, labels] -= 1
    return float(loss), (probs @ V).reshape(T, N, H), probs.T @ flat, probs.sum(axis=0)""",
        },
    ],
    "long_term": [
        {  # the step Jacobians first, multiplied from the end; norms from eigenvalues
            "jacobians": """def jacobians(h, W):
    steps = [W * (1 - h[t] ** 2)[:, None] for t in range(1, len(h))]
    out = [np.identity(len(W))]
    for step in reversed(steps):
        out.insert(0, out[0] @ step)
    return np.array(out)""",
            "jacobian_norms": """def jacobian_norms(J):
    return np.array([np.sqrt(np.max(np.linalg.eigvalsh(m.T @ m))) for m in J])""",
        },
        {  # explicit loops and a while; one einsum per step
            "clip_by_global_norm": """def clip_by_global_norm(grads, max_norm):
    squares = 0.0
    for key in grads:
        squares += float(np.vdot(grads[key], grads[key]))
    total = squares ** 0.5
    factor = max_norm / total if total > max_norm else 1.0
    clipped = {}
    for key, value in grads.items():
        clipped[key] = value * factor
    return clipped, total""",
            "jacobians": """def jacobians(h, W):
    T, H = h.shape[0] - 1, W.shape[0]
    d = 1.0 - np.square(h[1:])
    J = np.zeros((T + 1, H, H))
    J[-1] = np.eye(H)
    t = T
    while t > 0:
        J[t - 1] = np.einsum("ij,j,jk->ik", J[t], d[t - 1], W)
        t -= 1
    return J""",
        },
        {  # the inputs' drive for all steps at once; the leak as an interpolation
            "leaky_forward": """def leaky_forward(x, U, W, b, alpha, h0):
    T = x.shape[0]
    drive = np.tensordot(x, U, axes=([2], [1])) + b
    states = np.empty((T + 1,) + h0.shape)
    states[0] = h0
    cand = np.empty((T,) + h0.shape)
    for t in range(T):
        cand[t] = np.tanh(drive[t] + np.dot(states[t], W.T))
        states[t + 1] = cand[t] + alpha * (states[t] - cand[t])
    return states[1:], (x, states, cand, U, W, alpha)""",
            "clip_by_global_norm": """def clip_by_global_norm(grads, max_norm):
    flat = np.concatenate([np.ravel(v) for v in grads.values()])
    norm = float(np.sqrt(flat @ flat))
    return {k: v * min(1.0, max_norm / max(norm, 1e-300)) for k, v in grads.items()}, norm""",
        },
    ],
    "lstm": [
        {  # the gates split with np.split, logistic by exp
            "lstm_step_forward": """def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    pre = np.dot(x, U.T) + np.dot(h_prev, W.T) + b
    a_i, a_f, a_g, a_o = np.split(pre, 4, axis=1)
    logistic = lambda v: 1.0 / (1.0 + np.exp(-v))
    i, f, o = logistic(a_i), logistic(a_f), logistic(a_o)
    g = np.tanh(a_g)
    c = c_prev * f + g * i
    h = np.tanh(c) * o
    return h, c, (x, h_prev, c_prev, i, f, g, o, c, U, W)""",
        },
        {  # one sequence at a time, gates as a (4, H) array
            "lstm_forward": """def lstm_forward(x, U, W, b, h0, c0):
    T, N, _ = x.shape
    H = h0.shape[1]
    out = np.zeros((T, N, H))
    for n in range(N):
        h, c = h0[n].copy(), c0[n].copy()
        for t in range(T):
            gates = (U @ x[t, n] + W @ h + b).reshape(4, H)
            i, f, o = (0.5 * (1 + np.tanh(0.5 * gates[k])) for k in (0, 1, 3))
            c = f * c + i * np.tanh(gates[2])
            h = o * np.tanh(c)
            out[t, n] = h
    return out, None""",
        },
        {  # the step backward from named gate gradients, stacked with hstack
            "lstm_step_backward": """def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, U, W = cache
    squashed = np.tanh(c)
    d_o = dh * squashed
    d_cell = dc + dh * o * (1.0 - squashed * squashed)
    d_i, d_f, d_g = d_cell * g, d_cell * c_prev, d_cell * i
    d_gates = np.hstack([d_i * i * (1.0 - i), d_f * f * (1.0 - f), d_g * (1.0 - g * g), d_o * o * (1.0 - o)])
    return (np.matmul(d_gates, U), np.matmul(d_gates, W), d_cell * f,
            np.matmul(d_gates.T, x), np.matmul(d_gates.T, h_prev), np.sum(d_gates, axis=0))""",
        },
    ],
    "gru": [
        {  # reset and update gates from one product, the candidate by einsum
            "gru_step_forward": """def gru_step_forward(x, h_prev, U, W, b):
    H = W.shape[1]
    gates = 1 / (1 + np.exp(-(x @ U[: 2 * H].T + h_prev @ W[: 2 * H].T + b[: 2 * H])))
    r, z = gates[:, :H], gates[:, H:]
    n = np.tanh(np.einsum("nd,hd->nh", x, U[2 * H :]) + b[2 * H :] + np.einsum("nk,hk->nh", r * h_prev, W[2 * H :]))
    return h_prev + z * (n - h_prev), (x, h_prev, r, z, n, U, W)""",
        },
        {  # one sequence at a time, the weights split into named blocks
            "gru_forward": """def gru_forward(x, U, W, b, h0):
    H = h0.shape[1]
    (U_r, U_z, U_n), (W_r, W_z, W_n), (b_r, b_z, b_n) = np.split(U, 3), np.split(W, 3), np.split(b, 3)
    sig = lambda v: 0.5 * (1 + np.tanh(0.5 * v))
    result = np.empty(x.shape[:2] + (H,))
    for n in range(x.shape[1]):
        state = h0[n]
        for t in range(x.shape[0]):
            reset = sig(U_r @ x[t, n] + W_r @ state + b_r)
            update = sig(U_z @ x[t, n] + W_z @ state + b_z)
            proposal = np.tanh(U_n @ x[t, n] + W_n @ (reset * state) + b_n)
            state = (1 - update) * state + update * proposal
            result[t, n] = state
    return result, None""",
        },
        {  # the sequence backward with the step's arithmetic inline, gradients in a list
            "gru_backward": """def gru_backward(dh, caches):
    acc = [0.0, 0.0, 0.0]
    back = np.zeros(dh.shape[1:])
    dxs = [None] * len(caches)
    for t in range(len(caches) - 1, -1, -1):
        x, hp, r, z, n, U, W = caches[t]
        H = hp.shape[1]
        g = dh[t] + back
        a_n = g * z * (1 - n * n)
        through_r = a_n @ W[2 * H :]
        a_r = through_r * hp * r * (1 - r)
        a_z = g * (n - hp) * z * (1 - z)
        a_all = np.hstack([a_r, a_z, a_n])
        back = g * (1 - z) + through_r * r + np.hstack([a_r, a_z]) @ W[: 2 * H]
        dxs[t] = a_all @ U
        acc[0] = acc[0] + a_all.T @ x
        acc[1] = acc[1] + np.vstack([np.hstack([a_r, a_z]).T @ hp, a_n.T @ (r * hp)])
        acc[2] = acc[2] + a_all.sum(0)
    return np.stack(dxs), back, acc[0], acc[1], acc[2]""",
        },
    ],
    "architectures": [
        {  # the backward direction through np.flip; the loss from the one-hot targets
            "bidirectional_forward": """def bidirectional_forward(x, U_f, W_f, b_f, U_b, W_b, b_b):
    left_to_right = rnn_forward(x, U_f, W_f, b_f)
    right_to_left = rnn_forward(np.flip(x, axis=0), U_b, W_b, b_b)
    both = np.concatenate((left_to_right[0], np.flip(right_to_left[0], axis=0)), axis=2)
    return both, (left_to_right[1], right_to_left[1])""",
            "decoder_loss": """def decoder_loss(h0, y, E, U, W, b, V, c, bos):
    T, N = y.shape
    previous = np.vstack([np.full(N, bos, dtype=y.dtype), y[: T - 1]])
    states, _ = rnn_forward(np.take(E, previous, axis=0), U, W, b, h0)
    logits = np.einsum("tnh,kh->tnk", states, V) + c
    top = logits.max(-1, keepdims=True)
    log_p = logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))
    return float(-(np.eye(len(c))[y] * log_p).sum())""",
        },
        {  # states stacked by a loop over time, the embedding gradient by a matrix product
            "decoder_backward": """def decoder_backward(h0, y, E, U, W, b, V, c, bos):
    inputs = np.empty_like(y)
    inputs[0], inputs[1:] = bos, y[:-1]
    states, memo = rnn_forward(E[inputs], U, W, b, h0)
    total, d_logits = softmax_cross_entropy(np.tensordot(states, V, axes=([2], [1])) + c, y)
    grads = rnn_backward(np.tensordot(d_logits, V, axes=([2], [0])), memo)
    onehot = np.eye(E.shape[0])[inputs.ravel()]
    dE = onehot.T @ grads.dx.reshape(-1, E.shape[1])
    dV = np.tensordot(d_logits, states, axes=([0, 1], [0, 1]))
    return total, grads.dh0, dE, grads.dU, grads.dW, grads.db, dV, d_logits.sum(axis=(0, 1))""",
        },
        {  # the backward pass's halves named, the reversed direction by an index array
            "bidirectional_backward": """def bidirectional_backward(dh, cache):
    forward_memo, backward_memo = cache
    width = dh.shape[2] // 2
    reverse = np.arange(dh.shape[0])[::-1]
    fwd = rnn_backward(dh[:, :, :width], forward_memo)
    bwd = rnn_backward(dh[reverse][:, :, width:], backward_memo)
    return fwd.dx + bwd.dx[reverse], fwd.dU, fwd.dW, fwd.db, bwd.dU, bwd.dW, bwd.db""",
        },
    ],
    "attention": [
        {  # batch-first: everything transposed to (N, S, ...) and back
            "additive_attention_forward": """def additive_attention_forward(query, keys, values, mask, W_q, W_k, v_a):
    K = np.transpose(keys, (1, 0, 2))
    Vals = np.transpose(values, (1, 0, 2))
    hidden = np.tanh((query @ W_q.T)[:, None, :] + K @ W_k.T)
    scores = hidden @ v_a
    scores = np.where(mask.T, scores, -np.inf)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    weights = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    return np.einsum("ns,nsh->nh", weights, Vals), weights, (query, keys, values, mask, W_q, W_k, v_a)""",
        },
        {  # one sequence of the batch at a time
            "additive_attention_forward": """def additive_attention_forward(query, keys, values, mask, W_q, W_k, v_a):
    S, N, _ = keys.shape
    context = np.zeros((N, values.shape[2]))
    weights = np.zeros((N, S))
    for n in range(N):
        kept = np.flatnonzero(mask[:, n])
        energy = np.tanh(W_q @ query[n] + keys[kept, n] @ W_k.T) @ v_a
        alpha = np.exp(energy - energy.max())
        alpha /= alpha.sum()
        weights[n, kept] = alpha
        context[n] = alpha @ values[kept, n]
    return context, weights, (query, keys, values, mask, W_q, W_k, v_a)""",
        },
        {  # the decoder step with a small helper for each affine map
            "attention_decoder_step": """def attention_decoder_step(y_prev, h_prev, enc, mask, params):
    def affine(inp, weight, bias):
        return inp @ weight.T + bias

    state = np.tanh(affine(params["E"][y_prev], params["U"], params["b"]) + h_prev @ params["W"].T)
    ctx, attn, _ = additive_attention_forward(state, enc, enc, mask, params["W_q"], params["W_k"], params["v_a"])
    combined = np.tanh(affine(np.hstack([ctx, state]), params["W_c"], params["b_c"]))
    return affine(combined, params["V"], params["c"]), state, attn""",
        },
    ],
}
