"""``python -m benchmarks``: print the speed table (see ``benchmarks/recurrent.py``)."""

from __future__ import annotations

import threadpoolctl
import torch

from benchmarks.recurrent import measure, table


def main() -> None:
    blas = [
        f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
        for i in threadpoolctl.threadpool_info()
        if i["user_api"] == "blas"
    ]
    print(f"numpy BLAS: {', '.join(blas)}; torch {torch.__version__} ({torch.get_num_threads()} threads)")
    print("forward + backward of a whole sequence, float32, median ms\n")
    print(table(measure()))


if __name__ == "__main__":
    main()
