"""Native lowerings of small dense linear algebra (``lintra.backends.native``): ``solve``,
``triangular_solve``, ``cholesky`` and ``slogdet`` (hence ``det`` and ``inv``) of real float32/
float64 matrices up to ``SMALL_N`` x ``SMALL_N`` (any batch), as loops in the generated code:
the 2x2/3x3 systems of physics code then cost nanoseconds instead of a host callback into
NumPy (~1.4 µs plus NumPy's own ~5-10 µs per call). Larger or complex matrices, and
``triangular_solve`` with ``left_side=False``, decline before emitting code and run by host
callback (``backends/native/callback.py``).

The algorithms are LAPACK's unblocked ones (partial pivoting by the first largest magnitude,
the pivot's reciprocal as multiplier), so results agree with NumPy's to rounding. Where NumPy
raises (an exactly singular ``solve``, a zero diagonal in ``triangular_solve``, a matrix that
is not positive definite in ``cholesky``) the code fails its run-time check and the call is
rerun on the interpreter, which raises NumPy's ``LinAlgError``.
"""

from __future__ import annotations

import numpy as np

from ..backends.native.rules import NotLowerable, lowering_rules
from ..core.avals import ShapedArray
from .linalg import cholesky_p, slogdet_p, solve_p, triangular_solve_p

SMALL_N = 16       # matrices up to this size are solved by native loops; larger by callback
_I64 = np.dtype("int64")


def _check_small(aval: ShapedArray, what: str) -> None:
    if aval.dtype.kind != "f" or aval.shape[-1] > SMALL_N:
        raise NotLowerable(f"{what} of a {aval.dtype}{list(aval.shape)} (host callback)")


def _range(g, lo, hi, body, reverse: bool = False) -> None:
    """``for i in range(lo, hi)`` (or reversed) with i64 bounds."""
    lo, hi = (g.i64(v) if isinstance(v, int) else v for v in (lo, hi))
    if reverse:
        g.loop(g.b.sub(hi, lo), lambda i: body(g.b.sub(g.b.sub(hi, g.i64(1)), i)))
    else:
        g.loop(g.b.sub(hi, lo), lambda i: body(g.b.add(lo, i)))


def _accumulate(g, se, aval, init, lo, hi, term, reverse: bool = False):
    """``init - sum(term(t) for t in range(lo, hi))``: the sum first, as LAPACK's dot."""
    acc = g.slot(aval)
    g.b.store(se.const(0.0), acc)
    _range(g, lo, hi, lambda t: g.b.store(se.add(g.b.load(acc), term(t)), acc), reverse)
    return se.sub(init, g.b.load(acc))


def _lu(g, se, w, n: int, rhs=None):
    """LU with partial pivoting of the (n, n) buffer ``w`` in place (U on and above the
    diagonal); ``rhs`` = (buffer, index prefix, width): rows swapped and eliminated alongside.
    Returns a slot counting the row swaps."""
    b, scalar = g.b, w.aval.update(shape=())
    swaps, where, best = g.slot(ShapedArray((), _I64)), g.slot(ShapedArray((), _I64)), \
        g.slot(scalar)
    b.store(g.i64(0), swaps)
    zero, one = se.const(0.0), se.const(1.0)

    def search(c, r):
        v = se.math("fabs", g.load_at(w, [r, c]))
        better = se.cmp(">", v, b.load(best))
        b.store(se.select(better, v, b.load(best)), best)
        b.store(b.select(better, r, b.load(where)), where)

    def swap(buf, prefix, width, c, p):
        def one(j):
            x, y = g.load_at(buf, prefix + [c, j]), g.load_at(buf, prefix + [p, j])
            g.store_at(buf, prefix + [c, j], y)
            g.store_at(buf, prefix + [p, j], x)
        g.loop(width, one)

    def column(c):
        b.store(c, where)
        b.store(se.math("fabs", g.load_at(w, [c, c])), best)
        _range(g, b.add(c, g.i64(1)), n, lambda r: search(c, r))
        p = b.load(where)
        b.store(b.add(b.load(swaps), b.zext(b.icmp_signed("!=", p, c), p.type)), swaps)
        swap(w, [], n, c, p)
        if rhs is not None:
            swap(*rhs, c, p)
        piv = g.load_at(w, [c, c])
        inv = se.div(one, piv)

        def eliminate(r):
            f = se.select(se.cmp("==", piv, zero), zero, se.mul(g.load_at(w, [r, c]), inv))
            g.store_at(w, [r, c], f)
            _range(g, b.add(c, g.i64(1)), n, lambda j: g.store_at(w, [r, j], se.sub(
                g.load_at(w, [r, j]), se.mul(f, g.load_at(w, [c, j])))))
            if rhs is not None:
                buf, pre, width = rhs
                g.loop(width, lambda j: g.store_at(buf, pre + [r, j], se.sub(
                    g.load_at(buf, pre + [r, j]), se.mul(f, g.load_at(buf, pre + [c, j])))))
        _range(g, b.add(c, g.i64(1)), n, eliminate)

    g.loop(n, column)
    return swaps


def _copy_matrix(g, a, bm, w, n: int) -> None:
    g.loop_nest((n, n), lambda m: g.store_at(w, m, g.load_at(a, bm + m)))


def _solve(g, ins):
    a, rhs = ins
    _check_small(a.aval, "solve")
    n, k, dtype = a.aval.shape[-1], rhs.aval.shape[-1], a.aval.dtype
    se = g.scalar_emitter(dtype)
    out, w = g.alloc(g.out_aval), g.alloc(ShapedArray((n, n), dtype))
    scalar = ShapedArray((), dtype)

    def one(bm):
        bm = list(bm)
        _copy_matrix(g, a, bm, w, n)
        g.loop_nest((n, k), lambda m: g.store_at(out, bm + m, g.load_at(rhs, bm + m)))
        _lu(g, se, w, n, (out, bm, k))
        g.loop(n, lambda c: g.fail_unless(se.cmp("!=", g.load_at(w, [c, c]), se.const(0.0))))

        def back(c, j):
            s = _accumulate(g, se, scalar, g.load_at(out, bm + [c, j]), g.b.add(c, g.i64(1)),
                            g.i64(n), lambda t: se.mul(g.load_at(w, [c, t]),
                                                       g.load_at(out, bm + [t, j])), True)
            g.store_at(out, bm + [c, j], se.div(s, g.load_at(w, [c, c])))
        g.loop(k, lambda j: _range(g, 0, n, lambda c: back(c, j), reverse=True))
    g.loop_nest(a.aval.shape[:-2], one)
    return [out]


def _triangular_solve(g, ins, *, lower, transpose_a, left_side, unit_diagonal):
    a, rhs = ins
    _check_small(a.aval, "triangular_solve")
    if not left_side:
        raise NotLowerable("triangular_solve with left_side=False (host callback)")
    n, k, dtype = a.aval.shape[-1], rhs.aval.shape[-1], a.aval.dtype
    se = g.scalar_emitter(dtype)
    out = g.alloc(g.out_aval)
    forward = lower != transpose_a            # op(a) is lower triangular
    scalar = ShapedArray((), dtype)

    def one(bm):
        bm = list(bm)

        def op(i, j):
            return g.load_at(a, bm + ([j, i] if transpose_a else [i, j]))
        if not unit_diagonal:
            g.loop(n, lambda i: g.fail_unless(se.cmp("!=", op(i, i), se.const(0.0))))

        def row(i, j):
            lo, hi = (g.i64(0), i) if forward else (g.b.add(i, g.i64(1)), g.i64(n))
            s = _accumulate(g, se, scalar, g.load_at(rhs, bm + [i, j]), lo, hi,
                            lambda t: se.mul(op(i, t), g.load_at(out, bm + [t, j])))
            g.store_at(out, bm + [i, j], s if unit_diagonal else se.div(s, op(i, i)))
        g.loop(k, lambda j: _range(g, 0, n, lambda i: row(i, j), reverse=not forward))
    g.loop_nest(a.aval.shape[:-2], one)
    return [out]


def _cholesky(g, ins):
    (a,) = ins
    _check_small(a.aval, "cholesky")
    n, dtype = a.aval.shape[-1], a.aval.dtype
    se = g.scalar_emitter(dtype)
    out = g.alloc(g.out_aval)
    scalar = ShapedArray((), dtype)
    two = se.const(2.0)

    def one(bm):
        bm = list(bm)

        def sym(i, j):          # (a + aᵀ)/2, as the interpreter's impl symmetrizes
            return se.div(se.add(g.load_at(a, bm + [i, j]), g.load_at(a, bm + [j, i])), two)
        g.loop_nest((n, n), lambda m: g.store_at(out, bm + m, se.const(0.0)))

        def reduced(i, j):      # sym(i, j) less the product of rows i and j of out, over t < j
            return _accumulate(g, se, scalar, sym(i, j), 0, j,
                               lambda t: se.mul(g.load_at(out, bm + [i, t]),
                                                g.load_at(out, bm + [j, t])))

        def column(j):
            d = reduced(j, j)
            g.fail_unless(se.cmp(">", d, se.const(0.0)))         # NaN fails too
            d = se.math("sqrt", d)
            g.store_at(out, bm + [j, j], d)
            inv = se.div(se.const(1.0), d)

            def below(i):
                g.store_at(out, bm + [i, j], se.mul(reduced(i, j), inv))
            _range(g, g.b.add(j, g.i64(1)), n, below)
        g.loop(n, column)
    g.loop_nest(a.aval.shape[:-2], one)
    return [out]


def _slogdet(g, ins):
    (a,) = ins
    _check_small(a.aval, "slogdet")
    n, dtype = a.aval.shape[-1], a.aval.dtype
    se = g.scalar_emitter(dtype)
    sign_aval, log_aval = (v.aval for v in g.eqn.outputs)
    signs, logs, w = g.alloc(sign_aval), g.alloc(log_aval), g.alloc(ShapedArray((n, n), dtype))
    scalar, flag = ShapedArray((), dtype), ShapedArray((), np.dtype("bool"))
    b = g.b

    def one(bm):
        bm = list(bm)
        _copy_matrix(g, a, bm, w, n)
        swaps = b.load(_lu(g, se, w, n))
        odd = b.icmp_signed("!=", b.and_(swaps, g.i64(1)), g.i64(0))
        sign, acc, zero = g.slot(scalar), g.slot(scalar), g.slot(flag)
        b.store(se.select(odd, se.const(-1.0), se.const(1.0)), sign)
        b.store(se.const(0.0), acc)
        b.store(se.cmp("!=", se.const(0.0), se.const(0.0)), zero)

        def diag(i):
            d = g.load_at(w, [i, i])
            b.store(se.select(se.cmp("<", d, se.const(0.0)), se.neg(b.load(sign)),
                              b.load(sign)), sign)
            b.store(se.add(b.load(acc), se.math("log", se.math("fabs", d))), acc)
            b.store(se.or_(b.load(zero), se.cmp("==", d, se.const(0.0))), zero)
        g.loop(n, diag)
        singular = b.load(zero)         # NumPy: sign 0 and log|det| -inf
        g.store_at(signs, bm, se.select(singular, se.const(0.0), b.load(sign)))
        g.store_at(logs, bm, se.select(singular, se.const(-np.inf), b.load(acc)))
    g.loop_nest(a.aval.shape[:-2], one)
    return [o if o.aval.shape else g.as_scalar(o) for o in (signs, logs)]


lowering_rules[solve_p] = _solve
lowering_rules[triangular_solve_p] = _triangular_solve
lowering_rules[cholesky_p] = _cholesky
lowering_rules[slogdet_p] = _slogdet
