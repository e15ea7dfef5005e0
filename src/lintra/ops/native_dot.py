"""The native lowering of ``dot_general``: loops for small products, NumPy's BLAS (``gemm``
through its address) from ``GEMM_FLOPS`` multiply-adds on."""

from __future__ import annotations

import numpy as np

from ..backends.native.rules import lowering_rules
from .linalg import dot_general_p
from .native import accumulator, sum_combine

GEMM_FLOPS = 1 << 15     # multiply-adds from which a product calls BLAS instead of looping


def _as_matrix(free, contract, nb, ndim):
    """Whether an operand whose axes after ``nb`` leading batch axes are ``free`` and
    ``contract`` is a row-major matrix (free, contract) -> False, or its transpose -> True;
    None when the axes interleave."""
    free, contract = list(free), list(contract)
    if free + contract == list(range(nb, ndim)):
        return False
    if contract + free == list(range(nb, ndim)):
        return True
    return None


def _dot_blas(g, x, y, xf, xc, yf, yc, xb, yb):
    """One ``gemm`` per batch element (batch axes leading in both operands), when each
    product is large enough for BLAS to beat a loop (an inner product is a vectorized
    loop: gemm with m = n = 1 is slower)."""
    m = int(np.prod([x.aval.shape[d] for d in xf]))
    k = int(np.prod([x.aval.shape[d] for d in xc]))
    n = int(np.prod([y.aval.shape[d] for d in yf]))
    nb = len(xb)
    if m * n * k < GEMM_FLOPS or x.aval.dtype.kind != "f" or m == n == 1 or \
            list(xb) != list(range(nb)) or list(yb) != list(range(nb)):
        return None
    ta, tb = _as_matrix(xf, xc, nb, x.aval.ndim), _as_matrix(yc, yf, nb, y.aval.ndim)
    if ta is None or tb is None:
        return None
    batch = int(np.prod(x.aval.shape[:nb]))
    return g.gemm(x, y, m, n, k, ta, tb, batch=batch)


def _dot_general(g, ins, *, dimension_numbers):
    x, y = ins
    (xc, yc), (xb, yb) = dimension_numbers
    xf = [d for d in range(x.aval.ndim) if d not in xc and d not in xb]
    yf = [d for d in range(y.aval.ndim) if d not in yc and d not in yb]
    out = _dot_blas(g, x, y, xf, xc, yf, yc, list(xb), list(yb))
    if out is not None:
        return [out]
    se, widen = accumulator(g, x.aval.dtype, True)
    inner = [x.aval.shape[d] for d in xc]

    def at(m):
        bm, xm, ym = m[:len(xb)], m[len(xb):len(xb) + len(xf)], m[len(xb) + len(xf):]
        acc = g.slot(g.out_aval.update(dtype=se.dtype))
        g.b.store(se.const(0), acc)

        def step(r):
            xi, yi = [None] * x.aval.ndim, [None] * y.aval.ndim
            for d, i in zip(xb, bm):
                xi[d] = i
            for d, i in zip(yb, bm):
                yi[d] = i
            for d, i in zip(xf, xm):
                xi[d] = i
            for d, i in zip(yf, ym):
                yi[d] = i
            for dx, dy, i in zip(xc, yc, r):
                xi[dx], yi[dy] = i, i
            prod = se.mul(widen(g.load_at(x, xi)), widen(g.load_at(y, yi)))
            g.b.store(sum_combine(se, g.b.load(acc), prod), acc)
        g.loop_nest(inner, step)
        return se.convert(g.b.load(acc), x.aval.dtype)
    return [g.tabulate(g.out_aval, at)]


lowering_rules[dot_general_p] = _dot_general
