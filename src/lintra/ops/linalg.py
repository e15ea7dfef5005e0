"""Linear algebra primitives: ``dot_general``, ``cholesky``, ``triangular_solve``, ``solve``,
``slogdet``.

Every JVP is written with lintra ops, so derivatives of derivatives come for free.
``dot_general`` is linear in exactly one operand; ``triangular_solve`` and ``solve`` are
linear in their right-hand side; each of those carries a transpose rule. Matrix primitives
take ``(..., n, n)`` operands with *equal* leading batch dims and a matrix right-hand side;
``lintra.numpy.linalg`` broadcasts batches and handles NumPy's vector conventions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ad.rules import UndefinedPrimal, Zero, bilinear, jvp_rules, linear_positions, transpose_rules
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray, concrete_aval, real_dtype
from ..core.eval import unchecked_impls
from ..core.primitive import Primitive
from ..core.trace import get_aval
from . import complex as C
from . import elementwise as E
from . import structure as S
from .base import asarray_value, promote
from .shape import add_tangents, batch_size, defjvp, moveaxis, reduce_sum, reshape, to_front


def _checked(prim: Primitive):
    """Register an impl that first runs the shape rule: eager evaluation calls ``impl``
    directly, and must reject bad shapes/dtypes with the same errors as staging."""
    def register(impl):
        def checked_impl(*args, **params):
            prim.shape_rule(*[concrete_aval(np.asarray(a)) for a in args], **params)
            return impl(*args, **params)
        prim.def_impl(checked_impl)
        unchecked_impls[prim] = impl
        return impl
    return register


# ---------------------------------------------------------------- dot_general

dot_general_p = Primitive("dot_general")

DimensionNumbers = tuple[tuple[tuple[int, ...], tuple[int, ...]],
                         tuple[tuple[int, ...], tuple[int, ...]]]


def _free_dims(ndim: int, contract: Sequence[int], batch: Sequence[int]) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i not in contract and i not in batch)


def _prod(xs) -> int:
    return math.prod(xs)


@_checked(dot_general_p)
def _dot_general_impl(x, y, *, dimension_numbers):
    (xc, yc), (xb, yb) = dimension_numbers
    x, y = np.asarray(x), np.asarray(y)
    if not xb and len(xc) == 1 and xc[0] == x.ndim - 1 and y.ndim <= 2 and yc == (0,):
        return np.matmul(x, y)                                  # x @ W: the common case
    xf, yf = _free_dims(x.ndim, xc, xb), _free_dims(y.ndim, yc, yb)
    bshape = tuple(x.shape[i] for i in xb)
    xfs, yfs = tuple(x.shape[i] for i in xf), tuple(y.shape[i] for i in yf)
    k = _prod(x.shape[i] for i in xc)
    if not xb:                      # one BLAS matmul: (M, K) @ (K, N)
        xm = np.transpose(x, xf + xc).reshape(_prod(xfs), k)
        ym = np.transpose(y, yc + yf).reshape(k, _prod(yfs))
        return np.dot(xm, ym).reshape(xfs + yfs)
    # one batched BLAS matmul: (B, M, K) @ (B, K, N)
    xm = np.transpose(x, xb + xf + xc).reshape(_prod(bshape), _prod(xfs), k)
    ym = np.transpose(y, yb + yc + yf).reshape(_prod(bshape), k, _prod(yfs))
    return np.matmul(xm, ym).reshape(bshape + xfs + yfs)


@dot_general_p.def_shape
def _dot_general_shape(x, y, *, dimension_numbers):
    (xc, yc), (xb, yb) = dimension_numbers
    if x.dtype != y.dtype:
        raise TypeError(f"dot_general: operands must have one dtype, got {x} and {y}")
    if len(xc) != len(yc) or len(xb) != len(yb):
        raise ValueError(f"dot_general: contracting dims {xc}/{yc} and batch dims {xb}/{yb} "
                         "must pair up one to one")
    for who, nd, dims in (("lhs", x.ndim, xc + xb), ("rhs", y.ndim, yc + yb)):
        if any(not 0 <= d < nd for d in dims) or len(set(dims)) != len(dims):
            raise ValueError(f"dot_general: {who} dims {dims} must be distinct axes of a "
                             f"{nd}-d operand")
    for kind, xs, ys in (("contracting", xc, yc), ("batch", xb, yb)):
        for i, j in zip(xs, ys):
            if x.shape[i] != y.shape[j]:
                raise ValueError(f"dot_general: {kind} dims differ in size: lhs {x} axis {i} "
                                 f"vs rhs {y} axis {j}")
    xf, yf = _free_dims(x.ndim, xc, xb), _free_dims(y.ndim, yc, yb)
    shape = (tuple(x.shape[i] for i in xb) + tuple(x.shape[i] for i in xf)
             + tuple(y.shape[i] for i in yf))
    return ShapedArray(shape, x.dtype)


def _canon_dn(dimension_numbers) -> DimensionNumbers:
    (xc, yc), (xb, yb) = dimension_numbers
    t = lambda ds: tuple(int(d) for d in ds)  # noqa: E731
    return (t(xc), t(yc)), (t(xb), t(yb))


def dot_general(x, y, dimension_numbers) -> Any:
    """XLA's DotGeneral: contract ``x``'s and ``y``'s contracting dims pairwise, keep their
    batch dims pairwise; output = batch dims, then ``x``'s free dims, then ``y``'s."""
    x, y = promote(asarray_value(x), asarray_value(y))
    return dot_general_p.bind(x, y, dimension_numbers=_canon_dn(dimension_numbers))


def _dot_transpose_side(ct, other, mine_nd: int, dn, lhs: bool):
    """Cotangent of one operand: contract ``ct`` with the other operand over the other's free
    dims (keeping batch dims), then permute back to the operand's axis order."""
    (xc, yc), (xb, yb) = dn
    if not lhs:  # view the rhs as the lhs of the swapped problem
        xc, yc, xb, yb = yc, xc, yb, xb
    other_nd = get_aval(other).ndim
    xf, yf = _free_dims(mine_nd, xc, xb), _free_dims(other_nd, yc, yb)
    nb = len(xb)
    ct_batch = tuple(range(nb))
    if lhs:
        ct_other = tuple(range(nb + len(xf), nb + len(xf) + len(yf)))
    else:
        ct_other = tuple(range(nb, nb + len(yf)))
    out = dot_general_p.bind(ct, other, dimension_numbers=((ct_other, yf), (ct_batch, yb)))
    # out axes: batch, my free dims, then the other's contracting dims in ascending order
    src = list(xb) + list(xf) + [xc[yc.index(a)] for a in sorted(yc)]
    return S.transpose(out, tuple(int(p) for p in np.argsort(src)))


def _dot_general_transpose(ct, x, y, *, dimension_numbers):
    if isinstance(x, UndefinedPrimal):
        return [_dot_transpose_side(ct, y, x.aval.ndim, dimension_numbers, True), None]
    return [None, _dot_transpose_side(ct, x, y.aval.ndim, dimension_numbers, False)]


defjvp(dot_general_p,
       lambda t, x, y, *, dimension_numbers: dot_general_p.bind(
           t, y, dimension_numbers=dimension_numbers),
       lambda t, x, y, *, dimension_numbers: dot_general_p.bind(
           x, t, dimension_numbers=dimension_numbers))
transpose_rules[dot_general_p] = _dot_general_transpose
linear_positions[dot_general_p] = lambda params, n: (0, 1)
bilinear.add(dot_general_p)


# ---------------------------------------------------------------- batched matrix helpers

def matmul_batched(a, b):
    """``a @ b`` for ``(..., n, k)`` and ``(..., k, m)`` with equal batch dims."""
    nb = get_aval(a).ndim - 2
    bd = tuple(range(nb))
    return dot_general_p.bind(a, b, dimension_numbers=(((nb + 1,), (nb,)), (bd, bd)))


def matrix_transpose(a):
    nd = get_aval(a).ndim
    return S.transpose(a, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _eye_like(aval: ShapedArray) -> np.ndarray:
    n = aval.shape[-1]
    return np.array(np.broadcast_to(np.eye(n, dtype=aval.dtype), aval.shape))


def _check_square(a: ShapedArray, who: str) -> int:
    if not a.is_float:
        raise TypeError(f"{who}: expects a floating-point matrix, got {a}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{who}: the last two dimensions must be square, got {a}")
    return a.shape[-1]


def _check_rhs(a: ShapedArray, b: ShapedArray, who: str, left_side: bool = True) -> None:
    n = _check_square(a, who)
    if b.dtype != a.dtype:
        raise TypeError(f"{who}: operands must have one dtype, got {a} and {b}")
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2]:
        raise ValueError(f"{who}: right-hand side must be a matrix with the same batch dims "
                         f"as {a}, got {b}")
    if b.shape[-2 if left_side else -1] != n:
        raise ValueError(f"{who}: right-hand side {b} does not fit the {n}x{n} matrix "
                         f"({'rows' if left_side else 'columns'} must be {n})")


# ---------------------------------------------------------------- triangular_solve

triangular_solve_p = Primitive("triangular_solve")


def _triangle(a: np.ndarray, lower: bool, unit_diagonal: bool) -> np.ndarray:
    a = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        n = a.shape[-1]
        a[..., np.arange(n), np.arange(n)] = 1
    return a


@_checked(triangular_solve_p)
def _triangular_solve_impl(a, b, *, lower, transpose_a, left_side, unit_diagonal):
    a, b = np.asarray(a), np.asarray(b)
    # right side: X op(a) = b  <=>  op(a)^T X^T = b^T
    trans = transpose_a if left_side else not transpose_a
    rhs = b if left_side else np.swapaxes(b, -1, -2)
    try:
        from scipy.linalg import solve_triangular
        x = solve_triangular(a, rhs, trans=int(trans), lower=lower,
                             unit_diagonal=unit_diagonal, check_finite=False)
    except ImportError:  # the core needs only NumPy: solve with the referenced triangle
        tri = _triangle(a, lower, unit_diagonal)
        x = np.linalg.solve(np.swapaxes(tri, -1, -2) if trans else tri, rhs)
    x = x if left_side else np.swapaxes(x, -1, -2)
    return np.asarray(x, b.dtype)


@triangular_solve_p.def_shape
def _triangular_solve_shape(a, b, *, lower, transpose_a, left_side, unit_diagonal):
    _check_rhs(a, b, "triangular_solve", left_side)
    return b.strip_weak()


def triangular_solve(a, b, *, lower: bool = True, transpose_a: bool = False,
                     left_side: bool = True, unit_diagonal: bool = False) -> Any:
    """Solve ``op(a) x = b`` (``left_side``) or ``x op(a) = b``, ``op(a) = a.T`` when
    ``transpose_a``; only the ``lower`` (else upper) triangle of ``a`` is read."""
    return triangular_solve_p.bind(a, b, lower=bool(lower), transpose_a=bool(transpose_a),
                                   left_side=bool(left_side),
                                   unit_diagonal=bool(unit_diagonal))


def _triangle_mask(aval: ShapedArray, lower: bool, strict: bool) -> np.ndarray:
    ones = np.ones(aval.shape[-2:], aval.dtype)
    k = -1 if strict else 0
    return np.tril(ones, k) if lower else np.triu(ones, -k)


def _triangular_solve_jvp(primals, tangents, **params):
    (a, b), (ta, tb) = primals, tangents
    x = triangular_solve_p.bind(a, b, **params)
    aval = get_aval(x).strip_weak()
    out: Any = Zero(aval)
    if not isinstance(tb, Zero):
        out = triangular_solve_p.bind(a, tb, **params)
    if not isinstance(ta, Zero):
        # only the referenced triangle of a matters: d(op(A)) = op(mask * dA)
        da = E.mul(ta, _triangle_mask(get_aval(a), params["lower"], params["unit_diagonal"]))
        da = matrix_transpose(da) if params["transpose_a"] else da
        rhs = matmul_batched(da, x) if params["left_side"] else matmul_batched(x, da)
        out = add_tangents(out, E.neg(triangular_solve_p.bind(a, rhs, **params)), aval.shape)
    return x, out


def _triangular_solve_transpose(ct, a, b, *, transpose_a, **params):
    return [None, triangular_solve_p.bind(a, ct, transpose_a=not transpose_a, **params)]


jvp_rules[triangular_solve_p] = _triangular_solve_jvp
transpose_rules[triangular_solve_p] = _triangular_solve_transpose
linear_positions[triangular_solve_p] = lambda params, n: (1,)

# ---------------------------------------------------------------- solve

solve_p = Primitive("solve")
_checked(solve_p)(lambda a, b: np.asarray(np.linalg.solve(a, b)))


@solve_p.def_shape
def _solve_shape(a, b):
    _check_rhs(a, b, "solve")
    return b.strip_weak()


def solve(a, b) -> Any:
    """``a⁻¹ b`` for ``a`` of shape ``(..., n, n)`` and ``b`` of shape ``(..., n, k)``."""
    return solve_p.bind(a, b)


def _solve_jvp(primals, tangents):
    (a, b), (ta, tb) = primals, tangents
    x = solve_p.bind(a, b)
    aval = get_aval(x).strip_weak()
    out: Any = Zero(aval)
    if not isinstance(tb, Zero):
        out = solve_p.bind(a, tb)
    if not isinstance(ta, Zero):   # dX = A⁻¹ (dB − dA X)
        out = add_tangents(out, E.neg(solve_p.bind(a, matmul_batched(ta, x))), aval.shape)
    return x, out


jvp_rules[solve_p] = _solve_jvp
transpose_rules[solve_p] = lambda ct, a, b: [None, solve_p.bind(matrix_transpose(a), ct)]
linear_positions[solve_p] = lambda params, n: (1,)

# ---------------------------------------------------------------- cholesky

cholesky_p = Primitive("cholesky")


@_checked(cholesky_p)
def _cholesky_impl(a):
    # symmetrize, as JAX does: the function then depends on (A + Aᴴ)/2, matching its JVP
    a = np.asarray(a)
    return np.linalg.cholesky((a + np.swapaxes(a, -1, -2).conj()) / 2).astype(a.dtype,
                                                                           copy=False)


@cholesky_p.def_shape
def _cholesky_shape(a):
    _check_square(a, "cholesky")
    return a.strip_weak()


def cholesky(a) -> Any:
    """Lower-triangular ``L`` with ``L Lᵀ = (a + aᵀ)/2``."""
    return cholesky_p.bind(a)


def _cholesky_jvp(primals, tangents):
    (a,), (ta,) = primals, tangents
    L = cholesky_p.bind(a)
    aval = get_aval(L).strip_weak()
    if isinstance(ta, Zero):
        return L, Zero(aval)
    # dL = L Φ(L⁻¹ dA L⁻ᴴ), Φ: lower triangle with halved diagonal (ᴴ = ᵀ on reals)
    s = E.mul(E.add(ta, C.conj(matrix_transpose(ta))), 0.5)
    tmp = triangular_solve(L, s, lower=True)
    x = C.conj(triangular_solve(L, C.conj(tmp), lower=True, transpose_a=True,
                                left_side=False))
    n = aval.shape[-1]
    phi = np.tril(np.ones((n, n), aval.dtype), -1) + 0.5 * np.eye(n, dtype=aval.dtype)
    return L, matmul_batched(L, E.mul(x, phi))


jvp_rules[cholesky_p] = _cholesky_jvp

# ---------------------------------------------------------------- slogdet

slogdet_p = Primitive("slogdet", multiple_results=True)


@_checked(slogdet_p)
def _slogdet_impl(a):
    sign, logdet = np.linalg.slogdet(a)
    return [np.asarray(sign), np.asarray(logdet)]


@slogdet_p.def_shape
def _slogdet_shape(a):
    _check_square(a, "slogdet")
    return [ShapedArray(a.shape[:-2], a.dtype), ShapedArray(a.shape[:-2], real_dtype(a.dtype))]


def slogdet(a) -> list:
    """``[sign, log|det a|]`` over the leading batch dims."""
    return slogdet_p.bind(a)


def _slogdet_jvp(primals, tangents):
    (a,), (ta,) = primals, tangents
    sign, logdet = slogdet_p.bind(a)
    s_aval, aval = get_aval(sign).strip_weak(), get_aval(logdet).strip_weak()
    if isinstance(ta, Zero):
        return [sign, logdet], [Zero(s_aval), Zero(aval)]
    # d log det A = tr(A⁻¹ dA) = Σ A⁻ᵀ ∘ dA: its real part moves log|det A|, its imaginary
    # part (complex A) the phase, sign = e^{iθ}: d sign = sign · i Im(tr)
    a_aval = get_aval(a)
    inv_t = solve_p.bind(matrix_transpose(a), _eye_like(a_aval))
    nd = a_aval.ndim
    tr = reduce_sum(E.mul(inv_t, ta), (nd - 2, nd - 1))
    if not a_aval.is_complex:
        return [sign, logdet], [Zero(s_aval), tr]
    d_sign = E.mul(sign, C.complex(np.zeros((), aval.dtype), C.imag(tr)))
    return [sign, logdet], [d_sign, C.real(tr)]


jvp_rules[slogdet_p] = _slogdet_jvp


# ---------------------------------------------------------------- batching (vmap)

def _dot_general_batch(args, dims, *, dimension_numbers):
    """Both operands batched: their batch axes become a leading pair of batch dimensions.
    One batched: its batch axis is one more free dimension. No transposes either way."""
    (x, y), (dx, dy) = args, dims
    (xc, yc), (xb, yb) = dimension_numbers
    shift = lambda ds, d: tuple(i + int(d is not None and i >= d) for i in ds)  # noqa: E731
    xc, xb, yc, yb = shift(xc, dx), shift(xb, dx), shift(yc, dy), shift(yb, dy)
    if dx is not None and dy is not None:
        dn = ((xc, yc), ((dx,) + xb, (dy,) + yb))
        return dot_general_p.bind(x, y, dimension_numbers=dn), 0
    out = dot_general_p.bind(x, y, dimension_numbers=((xc, yc), (xb, yb)))
    xf = _free_dims(get_aval(x).ndim, xc, xb)
    if dx is not None:
        return out, len(xb) + sum(i < dx for i in xf)
    yf = _free_dims(get_aval(y).ndim, yc, yb)
    return out, len(xb) + len(xf) + sum(i < dy for i in yf)


def _matrix_batch(prim: Primitive):
    """One ``(..., n, n)`` operand: a batch axis among the leading axes stays where it is,
    one among the matrix axes moves to the front."""
    def rule(args, dims, **params):
        (a,), (d,) = args, dims
        if d >= get_aval(a).ndim - 2:
            a, d = moveaxis(a, d, 0), 0
        return prim.bind(a, **params), ([d, d] if prim.multiple_results else d)
    return rule


def _solve_batch(prim: Primitive):
    """``(a, b)`` solves. An unbatched ``a`` solves all right-hand sides at once: the batch
    is folded into ``b``'s columns (its rows for a right-side solve). A batched ``a`` needs
    ``b`` batched at the same (front) axis."""
    def rule(args, dims, **params):
        (a, b), (da, db) = args, dims
        if da is None:
            nd = get_aval(b).ndim
            at = nd - 2 if params.get("left_side", True) else nd - 3
            b = moveaxis(b, db, at)
            s = get_aval(b).shape
            out = prim.bind(a, reshape(b, s[:at] + (s[at] * s[at + 1],) + s[at + 2:]),
                            **params)
            return reshape(out, s), at
        size = batch_size(args, dims)
        return prim.bind(moveaxis(a, da, 0), to_front(b, db, size), **params), 0
    return rule


vmap_rules[dot_general_p] = _dot_general_batch
vmap_rules[cholesky_p] = _matrix_batch(cholesky_p)
vmap_rules[slogdet_p] = _matrix_batch(slogdet_p)
vmap_rules[solve_p] = _solve_batch(solve_p)
vmap_rules[triangular_solve_p] = _solve_batch(triangular_solve_p)
