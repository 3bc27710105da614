"""rnncore: recurrent networks in numpy with explicit forward and backward passes.

One module per concept (see each module's docstring for its equations):

========================  =====================================================
:mod:`rnncore.rnn`        Elman RNN, one step and a sequence (BPTT)
:mod:`rnncore.lstm`       LSTM with optional peepholes
:mod:`rnncore.gru`        GRU, the lecture's form and PyTorch's
:mod:`rnncore.leaky`      leaky units (moving-average state)
:mod:`rnncore.skip`       skip connections through time
:mod:`rnncore.layers`     output affine map and embeddings
:mod:`rnncore.losses`     softmax cross-entropy and squared error, with masks
:mod:`rnncore.activations`  nonlinearities and their derivatives, without overflow
:mod:`rnncore.attention`  additive, dot and scaled-dot attention
:mod:`rnncore.cells`      one interface over every recurrent layer
:mod:`rnncore.stacked`    deep (stacked) networks
:mod:`rnncore.bidirectional`  bidirectional networks
:mod:`rnncore.seq2seq`    encoder–decoder, teacher forcing and greedy decoding
:mod:`rnncore.models`     the thin model layer (parameter and gradient dicts)
:mod:`rnncore.optim`      clipping, SGD with momentum, Adam
:mod:`rnncore.train`      a training loop with a progress bar
:mod:`rnncore.truncated`  truncated BPTT
:mod:`rnncore.jacobians`  ``∂h(T)/∂h(t)`` and its norms
:mod:`rnncore.gradcheck`  the one gradient checker
:mod:`rnncore.torch_ref`  the bridge to PyTorch (optional dependency)
:mod:`rnncore.data`       seeded synthetic tasks and on-machine text
:mod:`rnncore.plotting`   the book's data plots (curves, heatmaps)
:mod:`rnncore.diagrams`   the book's schematics (cells, graphs, architectures), as SVG
:mod:`rnncore.grading`    the checks the assignments' test cells call (the machinery
                          that runs students' code is the course repository's ``autograder/``)
========================  =====================================================
"""

from rnncore.attention import attention_backward, attention_forward
from rnncore.bidirectional import bidirectional_backward, bidirectional_forward
from rnncore.cells import CELLS, get_cell
from rnncore.gradcheck import check_gradients, numerical_gradients, relative_error
from rnncore.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from rnncore.layers import affine_backward, affine_forward, embedding_backward, embedding_forward
from rnncore.leaky import leaky_backward, leaky_forward
from rnncore.losses import softmax_cross_entropy, squared_error
from rnncore.lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from rnncore.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from rnncore.skip import skip_rnn_backward, skip_rnn_forward
from rnncore.stacked import stacked_backward, stacked_forward

__version__ = "0.1.0"

__all__ = [
    "CELLS",
    "affine_backward",
    "affine_forward",
    "attention_backward",
    "attention_forward",
    "bidirectional_backward",
    "bidirectional_forward",
    "check_gradients",
    "embedding_backward",
    "embedding_forward",
    "get_cell",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "leaky_backward",
    "leaky_forward",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "numerical_gradients",
    "relative_error",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "skip_rnn_backward",
    "skip_rnn_forward",
    "softmax_cross_entropy",
    "squared_error",
    "stacked_backward",
    "stacked_forward",
]
