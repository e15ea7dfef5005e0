"""``scipy.linalg``'s special-matrix constructors and its ``norm``, composed from
``lintra.numpy`` (gathers with constant index maps, so every transformation applies)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as lnp

__all__ = ["block_diag", "circulant", "hankel", "norm", "toeplitz"]


def norm(a, ord: Any = None, axis: Any = None, keepdims: bool = False,  # noqa: A002
         check_finite: bool = True) -> Any:
    """The matrix or vector norm, as ``numpy.linalg.norm`` (SciPy's has the same meaning)."""
    del check_finite
    return lnp.linalg.norm(a, ord, axis, keepdims)


def _flat(x) -> Any:
    return lnp.ravel(lnp.asarray(x))


def toeplitz(c, r: Any = None) -> Any:
    """``T[i, j] = c[i - j]`` for ``i >= j``, ``r[j - i]`` above; ``r`` defaults to
    ``conj(c)`` and its first entry is ignored (SciPy)."""
    c = _flat(c)
    r = lnp.conj(c) if r is None else _flat(r)
    m, n = lnp.shape(c)[0], lnp.shape(r)[0]
    vals = lnp.concatenate([c[::-1], r[1:]])
    idx = (m - 1) - np.arange(m)[:, None] + np.arange(n)[None, :]
    return lnp.take(vals, idx)


def hankel(c, r: Any = None) -> Any:
    """``H[i, j] = c[i + j]``, continued by ``r[i + j - m + 1]`` (``r`` defaults to zeros;
    its first entry is ignored)."""
    c = _flat(c)
    r = lnp.zeros_like(c) if r is None else _flat(r)
    m, n = lnp.shape(c)[0], lnp.shape(r)[0]
    vals = lnp.concatenate([c, r[1:]])
    return lnp.take(vals, np.arange(m)[:, None] + np.arange(n)[None, :])


def circulant(c) -> Any:
    """``C[i, j] = c[(i - j) mod n]``: each column a cyclic shift of ``c``."""
    c = _flat(c)
    n = lnp.shape(c)[0]
    return lnp.take(c, (np.arange(n)[:, None] - np.arange(n)[None, :]) % n)


def block_diag(*arrs) -> Any:
    """The block-diagonal matrix of ``arrs`` (0-d and 1-D inputs are 1-row blocks), zeros
    elsewhere, in the inputs' common dtype (SciPy)."""
    if not arrs:
        return np.empty((1, 0))
    blocks = [lnp.atleast_2d(lnp.asarray(a)) for a in arrs]
    for b in blocks:
        if lnp.ndim(b) > 2:
            raise ValueError("block_diag: arguments must have 2 or fewer dimensions, got "
                             f"shape {lnp.shape(b)}")
    dtype = np.result_type(*[b.dtype for b in blocks])
    cols = [lnp.shape(b)[1] for b in blocks]
    total, start, rows = sum(cols), 0, []
    for b, w in zip(blocks, cols):
        rows.append(lnp.pad(lnp.astype(b, dtype), ((0, 0), (start, total - start - w))))
        start += w
    return lnp.concatenate(rows, axis=0)
