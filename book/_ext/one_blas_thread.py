"""Run the chapters' kernels with one BLAS thread.

The chapters multiply small matrices in long sequential loops (training runs,
BPTT). OpenBLAS starts a thread per core for each product, and when the
machine is busy those threads wait for each other: one training step of the
character model of chapter 2 was measured at 1.8 s with the default threads
and 55 ms with one, on this project's 2-core machine under load, and the build
then failed on its per-notebook timeout. Kernels inherit the build's
environment, so setting it here, once, covers `make book`, the book test and CI.
An instructor who sets these variables differently keeps their own values.
"""

from __future__ import annotations

import os

THREAD_SETTINGS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def setup(app):
    for name in THREAD_SETTINGS:
        os.environ.setdefault(name, "1")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
