"""Polynomials as coefficient arrays, highest power first (NumPy's ``poly*`` functions), and
1-D ``convolve``/``correlate``.

Everything is a composition of lintra operations: ``polyval`` is Horner's rule, ``polyfit``
a column-scaled least-squares solve, ``roots`` the eigenvalues of the companion matrix (with
concrete coefficients NumPy's ``roots``, which also strips leading zeros), ``convolve`` a sum
of shifted products (one per element of the shorter operand)."""

from __future__ import annotations

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import complex as C
from ..ops import elementwise as E
from ..ops import reductions as R
from ..ops import structure as S
from ._basic import _as_value
from ._decompositions import eigvals, lstsq
from ._grids import vander
from ._pad import pad

__all__ = ["polyval", "polyfit", "polyder", "polyint", "poly", "roots", "convolve",
           "correlate", "polyadd", "polysub", "polymul", "polydiv"]


def _n(p) -> int:
    return get_aval(p).shape[0]


def _at(p, i: int):
    """``p[i]`` for a static ``i`` (the leading axis)."""
    s = get_aval(p).shape
    return S.reshape(S.slice_static(p, (i,) + (0,) * (len(s) - 1), (i + 1,) + s[1:]), s[1:])


def _1d(p, who: str):
    p = _as_value(p)
    if get_aval(p).ndim != 1:
        raise ValueError(f"{who}: the coefficients must be a 1-D array")
    return p


def _full(like, v):
    """``v`` in the shape and dtype of ``like`` (``like * 0`` would be nan at inf)."""
    a = get_aval(like)
    return S.broadcast_to(np.asarray(v, a.dtype), a.shape)


def polyval(p, x):
    """The polynomial with coefficients ``p`` at ``x`` (Horner's rule)."""
    p, x = _as_value(p), _as_value(x)
    if get_aval(p).ndim == 0:
        p = S.reshape(p, (1,))
    y = _full(x, 0)
    for i in range(_n(p)):
        y = E.add(E.mul(y, x), _at(p, i))
    return y


def polyfit(x, y, deg: int, rcond=None, full: bool = False, w=None, cov: bool = False):
    """Least-squares polynomial fit of degree ``deg`` (``w`` weights the residuals; ``y``
    may hold several data sets as columns)."""
    if full or cov:
        raise NotImplementedError("polyfit: full=True and cov=True are not implemented")
    x, y = base.promote_float(_as_value(x), _as_value(y))
    deg = int(deg)
    if deg < 0:
        raise ValueError("polyfit: expected deg >= 0")
    lhs, rhs = vander(x, deg + 1), y
    if w is not None:
        w = _as_value(w)
        lhs = E.mul(lhs, S.reshape(w, (-1, 1)))
        rhs = E.mul(rhs, S.reshape(w, (-1,) + (1,) * (get_aval(rhs).ndim - 1)))
    scale = E.sqrt(R.reduce_sum(E.mul(lhs, lhs), (0,)))
    scale = E.select(E.eq(scale, 0), E.add(E.mul(scale, 0), 1), scale)
    c = lstsq(E.div(lhs, scale), rhs, rcond=rcond)[0]
    return E.div(c, S.reshape(scale, (-1,) + (1,) * (get_aval(c).ndim - 1)))


def polyder(p, m: int = 1):
    """The ``m``-th derivative of the polynomial ``p``."""
    if m < 0:
        raise ValueError("polyder: order of derivative must be positive")
    p = _1d(p, "polyder")
    for _ in range(int(m)):
        n = _n(p)
        if n == 0:
            break
        p = E.mul(S.slice_static(p, (0,), (n - 1,)), np.arange(n - 1, 0, -1))
    return p


def polyint(p, m: int = 1, k=None):
    """The ``m``-th antiderivative of ``p``; ``k`` gives the integration constants (a
    scalar for all, or ``m`` of them)."""
    if m < 0:
        raise ValueError("polyint: order of integral must be positive")
    m = int(m)
    if k is None:
        ks = [0.0] * m
    elif isinstance(k, (list, tuple)):
        ks = list(k)
    else:
        kv = _as_value(k)
        ks = [kv] if get_aval(kv).ndim == 0 else [_at(kv, i) for i in range(_n(kv))]
    if len(ks) == 1 and m > 1:
        ks = ks * m
    if len(ks) < m:
        raise ValueError("polyint: k must be a scalar or a rank-1 array of length 1 or > m")
    p = _1d(p, "polyint")
    p = base.promote_float(p, 0.0)[0]
    for i in range(m):
        n = _n(p)
        q = E.div(p, np.arange(n, 0, -1).astype(get_aval(p).dtype))
        kk = base.convert_element_type(_as_value(ks[i]), get_aval(q).dtype)
        p = S.concatenate([q, S.reshape(kk, (1,))], 0)
    return p


def poly(seq_of_zeros):
    """The monic polynomial with the given roots (or a square matrix's characteristic
    polynomial); real when concrete complex roots come in conjugate pairs."""
    z = _as_value(seq_of_zeros)
    s = get_aval(z).shape
    if len(s) == 2 and s[0] == s[1] and s[0] != 0:
        z = eigvals(z)
    elif len(s) != 1:
        raise ValueError("poly: input must be 1d or non-empty square 2d array")
    if not isinstance(z, Tracer):
        return np.poly(np.asarray(z))
    a = np.ones(1, get_aval(z).dtype)
    for i in range(_n(z)):
        a = convolve(a, S.concatenate([np.ones(1, get_aval(z).dtype),
                                       S.reshape(E.neg(_at(z, i)), (1,))], 0))
    return a


def roots(p):
    """The roots of ``p`` (eigenvalues of its companion matrix, complex). Traced
    coefficients must have a nonzero leading one; zero trailing ones are roots at 0."""
    if not isinstance(p, Tracer):
        return np.roots(p)
    p = base.promote_float(_1d(p, "roots"), 0.0)[0]
    n = _n(p)
    if n < 2:
        return np.zeros(0, np.complex128)
    row = E.neg(E.div(S.slice_static(p, (1,), (n,)), _at(p, 0)))
    low = np.eye(n - 2, n - 1, dtype=get_aval(row).dtype)
    a = S.concatenate([S.reshape(row, (1, n - 1)), E.add(E.mul(row, 0), low)], 0) \
        if n > 2 else S.reshape(row, (1, 1))
    return eigvals(a)


def _mode_slice(full, n: int, m: int, mode: str):
    lo, hi = min(n, m), max(n, m)
    if mode == "full":
        return full
    if mode == "same":
        start, length = (lo - 1) // 2, hi
    elif mode == "valid":
        start, length = lo - 1, hi - lo + 1
    else:
        raise ValueError(f"mode must be one of 'full', 'same', 'valid', got {mode!r}")
    return S.slice_static(full, (start,), (start + length,))


def convolve(a, v, mode: str = "full"):
    """The discrete linear convolution of two 1-D sequences (NumPy's ``mode``s)."""
    a, v = _as_value(a), _as_value(v)
    if get_aval(a).ndim != 1 or get_aval(v).ndim != 1:
        raise ValueError("convolve: a and v must be 1-D")
    n, m = _n(a), _n(v)
    if n == 0 or m == 0:
        raise ValueError("convolve: a and v cannot be empty")
    if not isinstance(a, Tracer) and not isinstance(v, Tracer):
        return np.convolve(a, v, mode)
    long, short = (a, v) if n >= m else (v, a)
    k_max = min(n, m)
    out = None
    for k in range(k_max):
        term = E.mul(pad(long, [(k, k_max - 1 - k)]), _at(short, k))
        out = term if out is None else E.add(out, term)
    return _mode_slice(out, n, m, mode)


def correlate(a, v, mode: str = "valid"):
    """The cross-correlation of two 1-D sequences: ``convolve(a, conj(v[::-1]))``."""
    a, v = _as_value(a), _as_value(v)
    if not isinstance(a, Tracer) and not isinstance(v, Tracer):
        return np.correlate(a, v, mode)
    if get_aval(v).ndim != 1:
        raise ValueError("correlate: v must be 1-D")
    if _n(v) > _n(a):       # NumPy swaps the operands and reverses the result
        out = S.rev(correlate(v, a, mode), (0,))
        return C.conj(out) if get_aval(out).dtype.kind == "c" else out
    vr = S.rev(v, (0,))
    if get_aval(vr).dtype.kind == "c":
        vr = C.conj(vr)
    return convolve(a, vr, mode)


def _same_length(a1, a2):
    a1, a2 = base.promote(S.reshape(_as_value(a1), (-1,)), S.reshape(_as_value(a2), (-1,)))
    n = max(_n(a1), _n(a2))
    return pad(a1, [(n - _n(a1), 0)]), pad(a2, [(n - _n(a2), 0)])


def polyadd(a1, a2):
    """The coefficients of the sum (the shorter one aligned at the constant term)."""
    a1, a2 = _same_length(a1, a2)
    return E.add(a1, a2)


def polysub(a1, a2):
    """The coefficients of the difference a1 - a2."""
    a1, a2 = _same_length(a1, a2)
    return E.sub(a1, a2)


def polymul(a1, a2, *, trim_leading_zeros: bool = False):
    """The coefficients of the product (a convolution)."""
    del trim_leading_zeros
    return convolve(S.reshape(_as_value(a1), (-1,)), S.reshape(_as_value(a2), (-1,)))


def polydiv(u, v, *, trim_leading_zeros: bool = False):
    """(quotient, remainder) of polynomial long division. Concrete coefficients get NumPy's
    result (the remainder's leading zeros trimmed); traced ones JAX's (the remainder keeps
    ``u``'s length unless ``trim_leading_zeros``, which needs concrete values)."""
    if not isinstance(u, Tracer) and not isinstance(v, Tracer):
        return np.polydiv(np.asarray(u, float) if np.asarray(u).dtype.kind in "iub" else u,
                          v)
    u, v = base.promote_float(S.reshape(_as_value(u), (-1,)), S.reshape(_as_value(v), (-1,)))
    m, n = _n(u) - 1, _n(v) - 1
    r = [_at(u, i) for i in range(m + 1)]
    vs = [_at(v, j) for j in range(n + 1)]
    q = []
    for k in range(m - n + 1):
        d = E.div(r[k], vs[0])
        q.append(d)
        for j in range(n + 1):
            r[k + j] = E.sub(r[k + j], E.mul(d, vs[j]))
    quot = S.stack(q, 0) if q else S.reshape(E.mul(r[0], 0.0), (1,))
    rem = S.stack(r, 0)
    if trim_leading_zeros:
        rv = np.asarray(rem._concrete("concrete values: trim_leading_zeros=True gives the "
                                      "remainder a data-dependent length"))
        nz = np.flatnonzero(~np.isclose(rv, 0, rtol=1e-14))
        rem = S.slice_static(rem, (int(nz[0]) if nz.size else m,), (m + 1,))
    return quot, rem
