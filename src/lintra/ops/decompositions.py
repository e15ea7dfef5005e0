"""Matrix decompositions as primitives: ``eigh``, ``svd``, ``qr``, ``pinv``, ``lu``.

Each JVP is written with lintra ops on the primitive's own outputs, so higher derivatives
come for free. The decompositions' derivatives exist only where the factors are smooth
functions of the input:

- ``eigh``: distinct eigenvalues (a degenerate eigenspace has no unique basis; the JVP divides
  by eigenvalue gaps and is inf/nan there, as in JAX). Eigenvalues alone stay smooth where
  they are simple.
- ``svd``: distinct nonzero singular values; ``full_matrices`` factors of a non-square
  matrix have no unique complement columns, so their derivative is an error.
- ``qr``: a full-rank input; a ``complete`` Q of a tall matrix is not unique (an error).
- ``pinv``: smooth where the rank is constant (its JVP needs no decomposition).
- ``lu``: the pivoting is piecewise constant, so the factors are smooth where the pivots do
  not change.

Sign/phase conventions of vectors (eigenvectors, singular vectors, Q's columns) follow LAPACK
through NumPy/SciPy; only gauge-invariant functions of them are comparable across libraries.
Inputs are ``(..., m, n)`` with leading batch dims; ``lintra.numpy.linalg`` and
``lintra.scipy.linalg`` hold the user-facing signatures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ad.rules import Zero, defzero_jvp, jvp_rules, zero_like
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray, real_dtype
from ..core.primitive import Primitive
from ..core.trace import get_aval
from . import compare as C
from . import complex as Cx
from . import elementwise as E
from . import structure as S
from .base import convert_element_type
from .linalg import _check_square, _checked, matmul_batched, matrix_transpose, triangular_solve
from .shape import moveaxis, reduce_sum


def _mT(x):
    return matrix_transpose(x)


def _mH(x):
    """The conjugate transpose (the transpose of a real matrix)."""
    return Cx.conj(matrix_transpose(x))


def _as(x, like):
    """``x`` (real) converted to ``like``'s dtype (complex) where they differ."""
    dt = get_aval(like).dtype
    return x if get_aval(x).dtype == dt else convert_element_type(x, dt)


def _mm(*xs):
    out = xs[0]
    for x in xs[1:]:
        out = matmul_batched(out, x)
    return out


def _diag(x):
    """The diagonal of ``(..., n, n)`` as ``(..., n)`` (a linear op: mask and sum)."""
    aval = get_aval(x)
    return reduce_sum(E.mul(x, np.eye(aval.shape[-1], dtype=aval.dtype)), (aval.ndim - 1,))


def _tri(x, k: int, lower: bool):
    """``tril(x, k)`` or ``triu(x, k)`` as a product with a constant mask (linear in x)."""
    aval = get_aval(x)
    ones = np.ones(aval.shape[-2:], aval.dtype)
    return E.mul(x, np.tril(ones, k) if lower else np.triu(ones, k))


def _check_matrix(a: ShapedArray, who: str) -> tuple[int, int]:
    if not a.is_float:
        raise TypeError(f"{who}: expects a floating-point matrix, got {a}")
    if a.ndim < 2:
        raise ValueError(f"{who}: expects a matrix (at least 2-D), got {a}")
    return a.shape[-2], a.shape[-1]


def _gap_inverse(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it (from ``(..., n)`` values)."""
    aval = get_aval(w)
    eye = np.eye(aval.shape[-1], dtype=aval.dtype)
    gaps = E.sub(S.expand_dims(w, aval.ndim - 1), S.expand_dims(w, aval.ndim))
    return E.sub(E.div(1.0, E.add(gaps, eye)), eye)


def _leading_batch(prim: Primitive):
    """Matrix-in primitives whose outputs all keep the input's leading batch dims: a batch
    axis among the leading axes stays, one among the matrix axes moves to the front."""
    def rule(args, dims, **params):
        (a,), (d,) = args, dims
        if d >= get_aval(a).ndim - 2:
            a, d = moveaxis(a, d, 0), 0
        out = prim.bind(a, **params)
        return out, ([d] * len(out) if prim.multiple_results else d)
    return rule


# ---------------------------------------------------------------- eigh

eigh_p = Primitive("eigh", multiple_results=True)


@_checked(eigh_p)
def _eigh_impl(a):
    # symmetrize (as cholesky does): the function depends on (A + Aᴴ)/2, matching the JVP
    a = np.asarray(a)
    w, v = np.linalg.eigh((a + np.swapaxes(a, -1, -2).conj()) / 2)
    return [w.astype(real_dtype(a.dtype), copy=False), v.astype(a.dtype, copy=False)]


@eigh_p.def_shape
def _eigh_shape(a):
    _check_square(a, "eigh")
    return [ShapedArray(a.shape[:-1], real_dtype(a.dtype)), a.strip_weak()]


def eigh(a) -> list:
    """``[w, v]``: ascending (real) eigenvalues and orthonormal eigenvectors (columns) of
    ``(a + aᴴ)/2``."""
    return eigh_p.bind(a)


def _eigh_jvp(primals, tangents):
    (a,), (ta,) = primals, tangents
    w, v = eigh_p.bind(a)
    if isinstance(ta, Zero):
        return [w, v], [zero_like(w), zero_like(v)]
    # Vᴴ dA V in the eigenbasis: its diagonal moves the eigenvalues, the rest rotates V
    sym = E.mul(E.add(ta, _mH(ta)), 0.5)
    vdv = _mm(_mH(v), sym, v)
    return [w, v], [Cx.real(_diag(vdv)), _mm(v, E.mul(_as(_gap_inverse(w), v), vdv))]


jvp_rules[eigh_p] = _eigh_jvp
vmap_rules[eigh_p] = _leading_batch(eigh_p)


# ---------------------------------------------------------------- svd

svd_p = Primitive("svd", multiple_results=True)


@_checked(svd_p)
def _svd_impl(a, *, full_matrices, compute_uv):
    a = np.asarray(a)
    if not compute_uv:
        return [np.linalg.svd(a, compute_uv=False).astype(real_dtype(a.dtype), copy=False)]
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return [u.astype(a.dtype, copy=False), s.astype(real_dtype(a.dtype), copy=False),
            vt.astype(a.dtype, copy=False)]


@svd_p.def_shape
def _svd_shape(a, *, full_matrices, compute_uv):
    m, n = _check_matrix(a, "svd")
    k = min(m, n)
    lead = a.shape[:-2]
    s = ShapedArray(lead + (k,), real_dtype(a.dtype))
    if not compute_uv:
        return [s]
    cu, rv = (m, n) if full_matrices else (k, k)
    return [ShapedArray(lead + (m, cu), a.dtype), s, ShapedArray(lead + (rv, n), a.dtype)]


def svd(a, full_matrices: bool = False, compute_uv: bool = True) -> list:
    """``[u, s, vt]`` with ``a = u diag(s) vt`` (``[s]`` without ``compute_uv``); ``s``
    real, descending."""
    return svd_p.bind(a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))


def _svd_tangents(a, ta, u, s, vt):
    """Tangents of the reduced factors (distinct nonzero singular values). For complex
    input the phase freedom of each singular pair is fixed as in JAX (Vᴴ dV has a zero
    diagonal; U absorbs the imaginary part)."""
    m, n = get_aval(a).shape[-2:]
    v = _mH(vt)
    ds_mat = _mm(_mH(u), ta, v)
    ds = Cx.real(_diag(ds_mat))
    nd = get_aval(s).ndim
    s_row, s_col = _as(S.expand_dims(s, nd - 1), u), _as(S.expand_dims(s, nd), u)
    f = _as(_gap_inverse(E.mul(s, s)), u)             # 1 / (s_j² − s_i²)
    dss, sds = E.mul(ds_mat, s_row), E.mul(s_col, ds_mat)
    inner = E.mul(f, E.add(dss, _mH(dss)))
    if get_aval(u).is_complex:   # the imaginary diagonal of Uᴴ dA V, split over U
        k = get_aval(s).shape[-1]
        diag_inv = E.mul(np.eye(k), E.div(1.0, S.expand_dims(s, nd - 1)))
        inner = E.add(inner, E.mul(E.mul(E.sub(ds_mat, _mH(ds_mat)), 0.5), _as(diag_inv, u)))
    du = _mm(u, inner)
    dv = _mm(v, E.mul(f, E.add(sds, _mH(sds))))
    if m > n:   # the part of dA V outside span(U)
        dav = _mm(ta, v)
        du = E.add(du, E.div(E.sub(dav, _mm(u, _mH(u), dav)), s_row))
    if n > m:
        dau = _mm(_mH(ta), u)
        dv = E.add(dv, E.div(E.sub(dau, _mm(v, vt, dau)), s_row))
    return du, ds, _mH(dv)


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    (a,), (ta,) = primals, tangents
    out = svd_p.bind(a, full_matrices=full_matrices, compute_uv=compute_uv)
    if isinstance(ta, Zero):
        return out, [zero_like(o) for o in out]
    m, n = get_aval(a).shape[-2:]
    if not compute_uv:
        u, s, vt = svd_p.bind(a, full_matrices=False, compute_uv=True)
        return out, [Cx.real(_diag(_mm(_mH(u), ta, _mH(vt))))]
    if full_matrices and m != n:
        raise NotImplementedError(
            "svd: the derivative of the full_matrices=True factors of a non-square matrix is "
            "not defined (the extra columns are any orthonormal completion); use "
            "full_matrices=False")
    return out, list(_svd_tangents(a, ta, *out))


jvp_rules[svd_p] = _svd_jvp
vmap_rules[svd_p] = _leading_batch(svd_p)


# ---------------------------------------------------------------- qr

qr_p = Primitive("qr", multiple_results=True)


@_checked(qr_p)
def _qr_impl(a, *, full_matrices):
    a = np.asarray(a)
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    return [q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)]


@qr_p.def_shape
def _qr_shape(a, *, full_matrices):
    m, n = _check_matrix(a, "qr")
    k = m if full_matrices else min(m, n)
    lead = a.shape[:-2]
    return [ShapedArray(lead + (m, k), a.dtype), ShapedArray(lead + (k, n), a.dtype)]


def qr(a, full_matrices: bool = False) -> list:
    """``[q, r]``: orthonormal columns ``q`` and upper-triangular ``r`` with ``a = q r``."""
    return qr_p.bind(a, full_matrices=bool(full_matrices))


def _qr_tall_tangents(q, r, ta):
    """dQ, dR of ``a = q r`` with square invertible ``r`` (m ≥ n): with X = Qᴴ dA R⁻¹,
    dR R⁻¹ = X − Ω where Ω (skew-Hermitian, imaginary diagonal for complex input) is fixed
    by R staying upper triangular with a real diagonal."""
    dx_rinv = triangular_solve(r, ta, lower=False, left_side=False)
    qt = _mm(_mH(q), dx_rinv)
    low = _tri(qt, -1, True)
    omega = E.sub(low, _mH(low))
    if get_aval(qt).is_complex:
        n = get_aval(qt).shape[-1]
        omega = E.add(omega, E.mul(np.eye(n), E.sub(qt, _as(Cx.real(qt), qt))))
    dq = E.add(_mm(q, E.sub(omega, qt)), dx_rinv)
    return dq, _mm(E.sub(qt, omega), r)


def _cols(x, lo: int, hi: int):
    """Columns ``lo:hi`` of a batch of matrices."""
    aval = get_aval(x)
    return S.slice_static(x, (0,) * (aval.ndim - 1) + (lo,), aval.shape[:-1] + (hi,))


def _qr_jvp(primals, tangents, *, full_matrices):
    (a,), (ta,) = primals, tangents
    q, r = qr_p.bind(a, full_matrices=full_matrices)
    if isinstance(ta, Zero):
        return [q, r], [zero_like(q), zero_like(r)]
    aval = get_aval(a)
    m, n = aval.shape[-2:]
    if full_matrices and m > n:
        raise NotImplementedError(
            "qr: the derivative of the complete Q of a tall matrix is not defined (its extra "
            "columns are any orthonormal completion); use mode='reduced'")
    if m >= n:
        return [q, r], list(_qr_tall_tangents(q, r, ta))
    # wide: a = [X | Y] with X square; q r₁ = X, r₂ = qᵀ Y
    dq, dr1 = _qr_tall_tangents(q, _cols(r, 0, m), _cols(ta, 0, m))
    dr2 = E.add(_mm(_mH(dq), _cols(a, m, n)), _mm(_mH(q), _cols(ta, m, n)))
    return [q, r], [dq, S.concatenate([dr1, dr2], aval.ndim - 1)]


jvp_rules[qr_p] = _qr_jvp
vmap_rules[qr_p] = _leading_batch(qr_p)


# ---------------------------------------------------------------- pinv

pinv_p = Primitive("pinv")


@_checked(pinv_p)
def _pinv_impl(a, *, rtol, hermitian):
    a = np.asarray(a)
    return np.linalg.pinv(a, rtol=rtol, hermitian=hermitian).astype(a.dtype, copy=False)


@pinv_p.def_shape
def _pinv_shape(a, *, rtol, hermitian):
    m, n = _check_matrix(a, "pinv")
    if hermitian and m != n:
        raise ValueError(f"pinv: hermitian=True needs square matrices, got {a}")
    return ShapedArray(a.shape[:-2] + (n, m), a.dtype)


def pinv(a, rtol: float, hermitian: bool = False) -> Any:
    """Moore–Penrose pseudo-inverse; singular values below ``rtol`` times the largest are
    treated as zero."""
    return pinv_p.bind(a, rtol=float(rtol), hermitian=bool(hermitian))


def _pinv_jvp(primals, tangents, *, rtol, hermitian):
    """Golub & Pereyra: dP = −P dA P + (I − P A) dAᴴ Pᴴ P + P Pᴴ dAᴴ (I − A P), which holds
    wherever the rank is locally constant."""
    (a,), (ta,) = primals, tangents
    p = pinv_p.bind(a, rtol=rtol, hermitian=hermitian)
    if isinstance(ta, Zero):
        return p, zero_like(p)
    aval = get_aval(a)
    m, n = aval.shape[-2:]
    dt = aval.dtype
    tat = _mH(ta)
    term1 = E.neg(_mm(p, ta, p))
    term2 = _mm(E.sub(np.eye(n, dtype=dt), _mm(p, a)), tat, _mH(p), p)
    term3 = _mm(p, _mH(p), tat, E.sub(np.eye(m, dtype=dt), _mm(a, p)))
    return p, E.add(E.add(term1, term2), term3)


jvp_rules[pinv_p] = _pinv_jvp
vmap_rules[pinv_p] = _leading_batch(pinv_p)


# ---------------------------------------------------------------- lu

lu_p = Primitive("lu", multiple_results=True)


def _pivots_to_permutation(piv: np.ndarray, m: int) -> np.ndarray:
    """Row swaps ``i <-> piv[i]`` applied in order to ``0..m-1`` (LAPACK's ``getrf``)."""
    piv = np.asarray(piv)
    perm = np.broadcast_to(np.arange(m, dtype=np.int32), piv.shape[:-1] + (m,)).copy()
    flat, fp = perm.reshape(-1, m), piv.reshape(-1, piv.shape[-1])
    for row, p in zip(flat, fp):
        for i, j in enumerate(p):
            row[i], row[j] = row[j], row[i]
    return perm


def _lu_numpy(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian elimination with partial pivoting over a batch (when SciPy is absent)."""
    lu = np.array(a, dtype=a.dtype, copy=True)
    m, n = lu.shape[-2:]
    flat = lu.reshape(-1, m, n)
    piv = np.zeros((flat.shape[0], min(m, n)), np.int32)
    rows = np.arange(flat.shape[0])
    for j in range(min(m, n)):
        p = j + np.argmax(np.abs(flat[:, j:, j]), axis=1)
        piv[:, j] = p
        flat[rows, j], flat[rows, p] = flat[rows, p].copy(), flat[rows, j].copy()
        pivot = flat[:, j, j]
        safe = np.where(pivot == 0, 1, pivot)[:, None]
        flat[:, j + 1:, j] /= safe
        flat[:, j + 1:, j + 1:] -= flat[:, j + 1:, j, None] * flat[:, j, None, j + 1:]
    return flat.reshape(lu.shape), piv.reshape(lu.shape[:-2] + (min(m, n),))


@_checked(lu_p)
def _lu_impl(a):
    a = np.asarray(a)
    try:
        from scipy.linalg import lu_factor
        lu, piv = lu_factor(a, check_finite=False)
    except ImportError:  # the core needs only NumPy
        lu, piv = _lu_numpy(a)
    piv = np.asarray(piv, np.int32)
    return [np.asarray(lu, a.dtype), piv, _pivots_to_permutation(piv, a.shape[-2])]


@lu_p.def_shape
def _lu_shape(a):
    m, n = _check_matrix(a, "lu")
    lead = a.shape[:-2]
    i32 = np.dtype(np.int32)
    return [a.strip_weak(), ShapedArray(lead + (min(m, n),), i32), ShapedArray(lead + (m,), i32)]


def lu(a) -> list:
    """``[lu, pivots, permutation]``: ``a[perm] = L U`` with unit-lower ``L`` (below the
    diagonal of ``lu``) and upper ``U``; ``pivots`` are LAPACK's 0-based row swaps."""
    return lu_p.bind(a)


def permutation_matrix(perm, dtype) -> Any:
    """``P`` with ``P[i, j] = (perm[i] == j)``, so ``P x = x[perm]`` (no derivative)."""
    aval = get_aval(perm)
    m = aval.shape[-1]
    hit = C.eq(S.expand_dims(perm, aval.ndim), np.arange(m, dtype=aval.dtype))
    return convert_element_type(hit, dtype)


def _lu_factors(lu_mat, m: int, n: int):
    """Square unit-lower ``L`` (m×m) and upper ``U`` (n×n), padded with identity blocks."""
    nd = get_aval(lu_mat).ndim
    dt = get_aval(lu_mat).dtype
    k = min(m, n)
    lead = get_aval(lu_mat).shape[:-2]
    zero = np.zeros((), dt)
    lower = _tri(S.slice_static(lu_mat, (0,) * nd, lead + (m, k)), -1, True)
    lower = S.pad(lower, zero, [(0, 0, 0)] * (nd - 1) + [(0, m - k, 0)])
    upper = _tri(S.slice_static(lu_mat, (0,) * nd, lead + (k, n)), 0, False)
    upper = S.pad(upper, zero, [(0, 0, 0)] * (nd - 2) + [(0, n - k, 0), (0, 0, 0)])
    u_eye = np.zeros((n, n), dt)
    u_eye[k:, k:] = np.eye(n - k, dtype=dt)
    return E.add(lower, np.eye(m, dtype=dt)), E.add(upper, u_eye)


def _lu_jvp(primals, tangents):
    (a,), (ta,) = primals, tangents
    lu_mat, piv, perm = lu_p.bind(a)
    zeros = [zero_like(piv), zero_like(perm)]
    if isinstance(ta, Zero):
        return [lu_mat, piv, perm], [zero_like(lu_mat)] + zeros
    aval = get_aval(a)
    m, n = aval.shape[-2:]
    lower, upper = _lu_factors(lu_mat, m, n)
    # P dA = dL U + L dU  =>  L⁻¹ P dA U⁻¹ = L⁻¹ dL + dU U⁻¹ (strictly lower + upper parts)
    x = _mm(permutation_matrix(perm, aval.dtype), ta)
    la = triangular_solve(lower, x, lower=True, unit_diagonal=True)
    lau = triangular_solve(upper, la, lower=False, left_side=False)
    dlu = E.add(_mm(lower, _tri(lau, -1, True)), _mm(_tri(lau, 0, False), upper))
    return [lu_mat, piv, perm], [dlu] + zeros


jvp_rules[lu_p] = _lu_jvp
vmap_rules[lu_p] = _leading_batch(lu_p)

# ---------------------------------------------------------------- lu_pivots_to_permutation

lu_pivots_to_permutation_p = Primitive("lu_pivots_to_permutation")
_checked(lu_pivots_to_permutation_p)(
    lambda piv, *, permutation_size: _pivots_to_permutation(piv, permutation_size))


@lu_pivots_to_permutation_p.def_shape
def _l2p_shape(piv, *, permutation_size):
    if piv.dtype.kind not in "iu" or piv.ndim < 1:
        raise TypeError(f"lu_pivots_to_permutation: expects integer pivots, got {piv}")
    if piv.shape[-1] > permutation_size:
        raise ValueError(f"lu_pivots_to_permutation: {piv.shape[-1]} pivots do not fit a "
                         f"permutation of size {permutation_size}")
    return ShapedArray(piv.shape[:-1] + (permutation_size,), np.dtype(np.int32))


def lu_pivots_to_permutation(piv, permutation_size: int) -> Any:
    return lu_pivots_to_permutation_p.bind(piv, permutation_size=int(permutation_size))


def _l2p_batch(args, dims, *, permutation_size):
    (piv,), (d,) = args, dims
    if d == get_aval(piv).ndim - 1:
        piv, d = moveaxis(piv, d, 0), 0
    return lu_pivots_to_permutation_p.bind(piv, permutation_size=permutation_size), d


defzero_jvp(lu_pivots_to_permutation_p)
vmap_rules[lu_pivots_to_permutation_p] = _l2p_batch
