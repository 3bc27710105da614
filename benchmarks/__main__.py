"""``python -m benchmarks``: print the speed table (see ``benchmarks/recurrent.py``).

``--quick`` runs every measurement once: no figures to quote, but proof that
the benchmarks run (the test suite runs it so).
"""

from __future__ import annotations

import argparse

import threadpoolctl
import torch

from benchmarks.recurrent import measure, table


def main() -> None:
    parser = argparse.ArgumentParser(description="rnncore against torch: forward + backward of a sequence")
    parser.add_argument("--quick", action="store_true", help="measure each case once (a smoke test, not figures)")
    quick = parser.parse_args().quick
    blas = [
        f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
        for i in threadpoolctl.threadpool_info()
        if i["user_api"] == "blas"
    ]
    print(f"numpy BLAS: {', '.join(blas)}; torch {torch.__version__} ({torch.get_num_threads()} threads)")
    print("forward + backward of a whole sequence, float32, median ms\n")
    print(table(measure({"small": 1, "large": 1}, rounds=1) if quick else measure()))


if __name__ == "__main__":
    main()
