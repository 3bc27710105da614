"""Checks that grade a student's implementation against rnncore, one module per assignment.

Each ``check_*`` function takes the student's function(s), calls them on fresh
random shapes and values from a local generator (never the global RNG state,
which the student's code may have changed), and raises :class:`GradingError`
(an ``AssertionError``) with a short message when something is wrong. An
nbgrader test cell is one call to one check, so the grading logic lives here,
in tested modules, and the same checks can run outside the student's kernel.

Backward passes are compared with rnncore's backward, central differences in
float64 and torch autograd (:mod:`rnncore.grading.engine`). Warnings printed
by a student's code are captured: nbgrader counts any output on stderr as an
error, and a warning from correct code must not cost points.

``*_reference`` functions are rnncore's implementations with an assignment's
signature and cache; a test cell puts them in place of the student's own
helpers (:func:`substitute`) so that each function is graded on its own.
"""

from rnncore.grading.architectures import (
    bidirectional_reference,
    check_bidirectional_backward,
    check_bidirectional_forward,
    check_decoder_backward,
    check_decoder_loss,
    teacher_forced_inputs,
)
from rnncore.grading.attention import (
    additive_attention_reference,
    attention_decoder_step_reference,
    check_additive_attention_backward,
    check_additive_attention_forward,
    check_attention_decoder_step,
)
from rnncore.grading.bptt import check_rnn_backward, check_rnn_step_backward, check_sequence_loss_backward
from rnncore.grading.engine import GradingError, fresh_rng, random_shapes, substitute, warnings_ignored
from rnncore.grading.gru import (
    check_gru_backward,
    check_gru_forward,
    check_gru_step_backward,
    check_gru_step_forward,
    gru_forward_by_steps,
    gru_step_backward_reference,
    gru_step_cache,
    gru_step_forward_reference,
)
from rnncore.grading.long_term import (
    check_clip_by_global_norm,
    check_jacobian_norms,
    check_jacobians,
    check_leaky_backward,
    check_leaky_forward,
)
from rnncore.grading.lstm import (
    check_lstm_backward,
    check_lstm_forward,
    check_lstm_step_backward,
    check_lstm_step_forward,
    lstm_forward_by_steps,
    lstm_step_backward_reference,
    lstm_step_cache,
    lstm_step_forward_reference,
)
from rnncore.grading.recurrence import check_rnn_forward, check_rnn_step_forward, check_sequence_loss

__all__ = [
    "GradingError",
    "additive_attention_reference",
    "attention_decoder_step_reference",
    "bidirectional_reference",
    "check_additive_attention_backward",
    "check_additive_attention_forward",
    "check_attention_decoder_step",
    "check_bidirectional_backward",
    "check_bidirectional_forward",
    "check_clip_by_global_norm",
    "check_decoder_backward",
    "check_decoder_loss",
    "check_gru_backward",
    "check_gru_forward",
    "check_gru_step_backward",
    "check_gru_step_forward",
    "check_jacobian_norms",
    "check_jacobians",
    "check_leaky_backward",
    "check_leaky_forward",
    "check_lstm_backward",
    "check_lstm_forward",
    "check_lstm_step_backward",
    "check_lstm_step_forward",
    "check_rnn_backward",
    "check_rnn_forward",
    "check_rnn_step_backward",
    "check_rnn_step_forward",
    "check_sequence_loss",
    "check_sequence_loss_backward",
    "fresh_rng",
    "gru_forward_by_steps",
    "gru_step_backward_reference",
    "gru_step_cache",
    "gru_step_forward_reference",
    "lstm_forward_by_steps",
    "lstm_step_backward_reference",
    "lstm_step_cache",
    "lstm_step_forward_reference",
    "random_shapes",
    "substitute",
    "warnings_ignored",
    "teacher_forced_inputs",
]
