"""Input validation shared by every public function.

Errors name the function, the argument, the expected and the actual shape, so a
student reading a traceback knows at once which argument is wrong and how.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class ShapeChecker:
    """Check the arguments of one call against symbolic shapes.

    Symbols (``"T"``, ``"N"``, ``"H"``, ...) are bound by the first argument
    that uses them; every later argument must agree. Integers are literal.

    >>> s = ShapeChecker("rnn_forward")
    >>> x = s.array("x", np.zeros((5, 2, 3)), ("T", "N", "D"))
    >>> s.dims["D"]
    3
    """

    def __init__(self, func: str, **dims: int):
        self.func = func
        self.dims: dict[str, int] = dict(dims)

    def array(self, name: str, value, shape: Sequence[str | int], *, finite: bool = False) -> np.ndarray:
        """Return ``value`` as an ndarray after checking its rank and shape."""
        arr = np.asarray(value)
        if arr.ndim != len(shape):
            raise ValueError(
                f"{self.func}: {name} must have rank {len(shape)} with shape "
                f"{self._spell(shape)}, got shape {arr.shape}"
            )
        for axis, (symbol, size) in enumerate(zip(shape, arr.shape, strict=True)):
            if isinstance(symbol, int):
                expected = symbol
            elif symbol in self.dims:
                expected = self.dims[symbol]
            else:
                self.dims[symbol] = size
                continue
            if size != expected:
                raise ValueError(
                    f"{self.func}: {name} must have shape {self._spell(shape)}"
                    f" = {self._resolve(shape)}, got {arr.shape} (axis {axis})"
                )
        if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
            raise ValueError(f"{self.func}: {name} contains NaN or infinite values")
        return arr

    def optional(self, name: str, value, shape: Sequence[str | int], **kw) -> np.ndarray | None:
        """Like :meth:`array`, but ``None`` passes through unchanged."""
        return None if value is None else self.array(name, value, shape, **kw)

    def integers(self, name: str, value, shape: Sequence[str | int], upper: int) -> np.ndarray:
        """An integer index array with entries in ``[0, upper)``."""
        arr = self.array(name, value, shape)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"{self.func}: {name} must hold integers, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= upper):
            raise ValueError(
                f"{self.func}: {name} must lie in [0, {upper}), got values from {arr.min()} to {arr.max()}"
            )
        return arr

    def _resolve(self, shape: Sequence[str | int]) -> str:
        """The shape with every bound symbol replaced by its size: ``(4, 2, Hv)``."""
        return self._spell([s if isinstance(s, int) else self.dims.get(s, s) for s in shape])

    @staticmethod
    def _spell(shape: Sequence[str | int]) -> str:
        return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def float_dtype(*arrays: np.ndarray | None) -> np.dtype:
    """The floating dtype a computation on ``arrays`` is carried out in.

    float32 stays float32 (the benchmarks and torch's default); anything else,
    integers included, is promoted to at least float64.
    """
    dtype = np.result_type(*(a for a in arrays if a is not None))
    return dtype if dtype == np.float32 else np.result_type(dtype, np.float64)
