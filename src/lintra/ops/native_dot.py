"""The native lowering of ``dot_general``: loops for small products, NumPy's BLAS (``gemm``
through its address) from ``GEMM_FLOPS`` multiply-adds on."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..backends.native.rules import lowering_rules
from .linalg import dot_general_p
from .native import accumulator, sum_combine

GEMM_FLOPS = 1 << 15     # multiply-adds from which a product calls BLAS instead of looping
# vector rows (``_dot_rows``): y's free axis up to ROW_WIDTH long, contractions up to
# UNROLL_CONTRACTION long (unrolled)
ROW_WIDTH = UNROLL_CONTRACTION = 16


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


def _operand_indices(x, y, xf, xc, yf, yc, xb, yb, m, r):
    """The indices into x and y of output position ``m`` (batch, x's free, y's free axes)
    and contraction position ``r``."""
    bm, xm, ym = m[:len(xb)], m[len(xb):len(xb) + len(xf)], m[len(xb) + len(xf):]
    xi, yi = [None] * x.aval.ndim, [None] * y.aval.ndim
    for d, i in [*zip(xb, bm), *zip(xf, xm), *zip(xc, r)]:
        xi[d] = i
    for d, i in [*zip(yb, bm), *zip(yf, ym), *zip(yc, r)]:
        yi[d] = i
    return xi, yi


def _dot_rows(g, x, y, xf, xc, yf, yc, xb, yb):
    """A product with one short free axis of ``y`` (n <= ``ROW_WIDTH``) and a short
    contraction (unrolled), as XLA emits small dots: each output row one ``<n x double>``
    sum of x's entries times y's rows. Batched (b, 1000, 10) @ (b, 10, 10) runs ~1.5x
    faster than one ``gemm`` per batch element, which BLAS runs at a fraction of its speed
    for such thin matrices. (A long contraction stays with BLAS: the same vector form with
    a loop over it measured slower.)"""
    inner = [x.aval.shape[d] for d in xc]
    if (x.aval.dtype != np.float64 or y.aval.dtype != np.float64 or len(yf) != 1
            or not 2 <= y.aval.shape[yf[0]] <= ROW_WIDTH
            or math.prod(inner) > UNROLL_CONTRACTION):
        return None
    if not (g.is_buffer(y) and yf[0] == y.aval.ndim - 1):
        y, yb, yc, yf = _rows_last(g, y, yb, yc, yf)
    n, out = y.aval.shape[yf[0]], g.alloc(g.out_aval)

    def term(m, r):
        xi, yi = _operand_indices(x, y, xf, xc, yf, yc, xb, yb, [*m, g.i64(0)], r)
        return g.b.fmul(g.splat(g.load_at(x, xi), n), g.vector_at(y, yi, yf[0], n))

    def row(m):
        acc = g.vector_zero(np.float64, n)
        for r in itertools.product(*map(range, inner)):
            acc = g.b.fadd(acc, term(m, [g.i64(i) for i in r]), flags=("reassoc",))
        g.store_vector(out, [*m, g.i64(0)], acc)
    g.loop_nest(g.out_aval.shape[:-1], row)
    return out


def _rows_last(g, y, yb, yc, yf):
    """``y`` transposed to (batch, contraction, free) in a buffer (the free axis last, so
    its rows load as vectors), and its new axes."""
    perm = [*yb, *yc, *yf]
    aval = y.aval.update(shape=tuple(y.aval.shape[d] for d in perm))

    def at(m):
        src = [None] * len(perm)
        for d, i in zip(perm, m):
            src[d] = i
        return g.load_at(y, src)
    nb, nc = len(yb), len(yc)
    return (g.tabulate(aval, at), list(range(nb)), list(range(nb, nb + nc)),
            [len(perm) - 1])


def _dot_general(g, ins, *, dimension_numbers):
    x, y = ins
    (xc, yc), (xb, yb) = dimension_numbers
    xf = [d for d in range(x.aval.ndim) if d not in xc and d not in xb]
    yf = [d for d in range(y.aval.ndim) if d not in yc and d not in yb]
    out = _dot_rows(g, x, y, xf, xc, yf, yc, list(xb), list(yb))
    if out is not None:
        return [out]
    out = _dot_blas(g, x, y, xf, xc, yf, yc, list(xb), list(yb))
    if out is not None:
        return [out]
    se, widen = accumulator(g, x.aval.dtype, True)
    inner = [x.aval.shape[d] for d in xc]

    def term(m, r):
        xi, yi = _operand_indices(x, y, xf, xc, yf, yc, xb, yb, m, r)
        return se.mul(widen(g.load_at(x, xi)), widen(g.load_at(y, yi)))

    def at(m):
        acc = g.slot(g.out_aval.update(dtype=se.dtype))
        g.b.store(se.const(0), acc)
        g.loop_nest(inner, lambda r: g.b.store(sum_combine(se, g.b.load(acc), term(m, r)),
                                               acc))
        return se.convert(g.b.load(acc), x.aval.dtype)
    return [g.tabulate(g.out_aval, at)]


lowering_rules[dot_general_p] = _dot_general
