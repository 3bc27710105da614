"""Draw the chapters' plots inline, whatever MPLBACKEND the build inherits.

ipykernel selects matplotlib's inline backend only when MPLBACKEND is unset
(it uses ``setdefault``). A build started with MPLBACKEND=Agg, as the test
suite sets it for its own headless plots, gets kernels whose ``plt.show()``
draws nothing: the pages lose every plot without an error. Kernels inherit
the build's environment, so setting it here covers every build.
"""

from __future__ import annotations

import os

INLINE = "module://matplotlib_inline.backend_inline"


def setup(app):
    os.environ["MPLBACKEND"] = INLINE
    return {"parallel_read_safe": True, "parallel_write_safe": True}
