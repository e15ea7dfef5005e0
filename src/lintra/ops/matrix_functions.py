"""Matrix functions as primitives: ``expm`` (with its Fréchet derivative ``expm_frechet``),
``sqrtm`` and the Sylvester solve its derivative needs.

- ``expm_frechet(A, E)`` = L(A, E), the derivative of ``expm`` at ``A`` along ``E``: linear in
  ``E`` (transpose: L(Aᵀ, ·)), and its own derivative in ``A`` is again a Fréchet derivative,
  of the block matrix [[A, E], [0, A]] (Higham's block formula), so every order is exact.
- ``sylvester(A, B, C)`` solves ``A Y + Y B = C``: linear in ``C`` (transpose: the Sylvester
  solve with Aᵀ, Bᵀ), and its JVP is another Sylvester solve.
- ``sqrtm``: the principal square root X; dX solves X dX + dX X = dA.

The impls use SciPy when installed and NumPy otherwise (the core needs only NumPy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ad.rules import Zero, jvp_rules, linear_positions, transpose_rules, zero_like
from ..batching.core import vmap_rules
from ..core.primitive import Primitive
from ..core.trace import get_aval
from . import elementwise as E
from . import structure as S
from .linalg import _check_square, _checked, matmul_batched, matrix_transpose
from .shape import add_tangents, batch_size, moveaxis, to_front

try:
    import scipy.linalg as _sl
except ImportError:  # pragma: no cover - exercised only without SciPy
    _sl = None


def _batched(fn, *arrays: np.ndarray) -> np.ndarray:
    """``fn`` applied per matrix over equal leading batch dims."""
    lead = arrays[0].shape[:-2]
    flat = [a.reshape((-1,) + a.shape[-2:]) for a in arrays]
    out = np.stack([fn(*ms) for ms in zip(*flat)]) if flat[0].shape[0] else \
        np.zeros(flat[0].shape)
    return out.reshape(lead + out.shape[-2:])


def _expm_numpy(a: np.ndarray) -> np.ndarray:
    """Scaling and squaring with a degree-13 Padé approximant (Higham 2005)."""
    b = [64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
         129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
         40840800., 960960., 16380., 182., 1.]
    norm = np.abs(a).sum(-2).max() if a.size else 0.0
    s = max(0, int(np.ceil(np.log2(norm / 5.37)))) if norm > 0 else 0
    a = a / 2.0 ** s
    eye = np.eye(a.shape[-1])
    a2 = a @ a
    a4, a6 = a2 @ a2, a2 @ a2 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4
             + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


def _expm_value(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if _sl is not None:
        return np.asarray(_sl.expm(a), a.dtype)
    return _batched(_expm_numpy, a).astype(a.dtype)


def _block(a, e):
    """[[A, E], [0, A]] over leading batch dims (lintra ops, so it is differentiable)."""
    aval = get_aval(a)
    nd = aval.ndim
    zero = np.zeros(aval.shape, aval.dtype)
    top = S.concatenate([a, e], nd - 1)
    bottom = S.concatenate([zero, a], nd - 1)
    return S.concatenate([top, bottom], nd - 2)


def _pad_corner(t, n: int, bottom: bool):
    """``t`` as the top-left (or bottom-right) block of a 2n×2n matrix (linear in ``t``)."""
    nd = get_aval(t).ndim
    side = (n, 0, 0) if bottom else (0, n, 0)
    return S.pad(t, 0.0, [(0, 0, 0)] * (nd - 2) + [side, side])


def _top_right(x, n: int):
    aval = get_aval(x)
    nd = aval.ndim
    return S.slice_static(x, (0,) * (nd - 1) + (n,), aval.shape[:-2] + (n, 2 * n))


# ---------------------------------------------------------------- expm

expm_p = Primitive("expm")
_checked(expm_p)(_expm_value)


@expm_p.def_shape
def _expm_shape(a):
    _check_square(a, "expm")
    return a.strip_weak()


def expm(a) -> Any:
    """The matrix exponential of ``(..., n, n)`` matrices."""
    return expm_p.bind(a)


def _expm_jvp(primals, tangents):
    (a,), (ta,) = primals, tangents
    out = expm_p.bind(a)
    if isinstance(ta, Zero):
        return out, zero_like(out)
    return out, expm_frechet_p.bind(a, ta)


jvp_rules[expm_p] = _expm_jvp

# ---------------------------------------------------------------- expm_frechet

expm_frechet_p = Primitive("expm_frechet")


@_checked(expm_frechet_p)
def _expm_frechet_impl(a, e):
    a, e = np.asarray(a), np.asarray(e)
    n = a.shape[-1]
    zero = np.zeros_like(a)
    big = np.concatenate([np.concatenate([a, e], -1), np.concatenate([zero, a], -1)], -2)
    return np.ascontiguousarray(_expm_value(big)[..., :n, n:])


@expm_frechet_p.def_shape
def _expm_frechet_shape(a, e):
    _check_square(a, "expm_frechet")
    if e.shape != a.shape or e.dtype != a.dtype:
        raise ValueError(f"expm_frechet: the direction must match the matrix {a}, got {e}")
    return e.strip_weak()


def expm_frechet(a, e) -> Any:
    """L(A, E) = d/dt expm(A + t E) at t = 0."""
    return expm_frechet_p.bind(a, e)


def _expm_frechet_jvp(primals, tangents):
    (a, e), (ta, te) = primals, tangents
    out = expm_frechet_p.bind(a, e)
    aval = get_aval(out).strip_weak()
    t: Any = Zero(aval)
    if not isinstance(te, Zero):
        t = expm_frechet_p.bind(a, te)
    if not isinstance(ta, Zero):
        # L(A, E) is the top-right block of expm([[A, E], [0, A]]); differentiate that
        n = aval.shape[-1]
        d = E.add(_pad_corner(ta, n, False), _pad_corner(ta, n, True))
        t = add_tangents(t, _top_right(expm_frechet_p.bind(_block(a, e), d), n), aval.shape)
    return out, t


jvp_rules[expm_frechet_p] = _expm_frechet_jvp
transpose_rules[expm_frechet_p] = lambda ct, a, e: [
    None, expm_frechet_p.bind(matrix_transpose(a), ct)]
linear_positions[expm_frechet_p] = lambda params, n: (1,)

# ---------------------------------------------------------------- sylvester

sylvester_p = Primitive("sylvester")


def _sylvester_one(a, b, c):
    if _sl is not None:
        return _sl.solve_sylvester(a, b, c)
    n, m = c.shape
    k = np.kron(np.eye(m), a) + np.kron(b.T, np.eye(n))   # column-major vec
    return np.linalg.solve(k, c.reshape(-1, order="F")).reshape((n, m), order="F")


@_checked(sylvester_p)
def _sylvester_impl(a, b, c):
    a, b, c = (np.asarray(x) for x in (a, b, c))
    return _batched(_sylvester_one, a, b, c).astype(c.dtype, copy=False)


@sylvester_p.def_shape
def _sylvester_shape(a, b, c):
    n, m = _check_square(a, "sylvester"), _check_square(b, "sylvester")
    if c.dtype != a.dtype or b.dtype != a.dtype:
        raise TypeError(f"sylvester: operands must have one dtype, got {a}, {b}, {c}")
    if c.shape != a.shape[:-2] + (n, m) or b.shape[:-2] != a.shape[:-2]:
        raise ValueError(f"sylvester: shapes {a}, {b}, {c} do not fit A Y + Y B = C")
    return c.strip_weak()


def sylvester(a, b, c) -> Any:
    """``Y`` with ``A Y + Y B = C``."""
    return sylvester_p.bind(a, b, c)


def _sylvester_jvp(primals, tangents):
    (a, b, c), (ta, tb, tc) = primals, tangents
    y = sylvester_p.bind(a, b, c)
    aval = get_aval(y).strip_weak()
    rhs: Any = tc
    if not isinstance(ta, Zero):
        rhs = add_tangents(rhs, E.neg(matmul_batched(ta, y)), aval.shape)
    if not isinstance(tb, Zero):
        rhs = add_tangents(rhs, E.neg(matmul_batched(y, tb)), aval.shape)
    if isinstance(rhs, Zero):
        return y, Zero(aval)
    return y, sylvester_p.bind(a, b, rhs)


jvp_rules[sylvester_p] = _sylvester_jvp
transpose_rules[sylvester_p] = lambda ct, a, b, c: [
    None, None, sylvester_p.bind(matrix_transpose(a), matrix_transpose(b), ct)]
linear_positions[sylvester_p] = lambda params, n: (2,)

# ---------------------------------------------------------------- sqrtm

sqrtm_p = Primitive("sqrtm")


def _sqrtm_one(a: np.ndarray) -> np.ndarray:
    if _sl is not None:
        x = _sl.sqrtm(a)
    else:
        w, v = np.linalg.eig(a)
        x = (v * np.sqrt(w.astype(complex))) @ np.linalg.inv(v)
    if np.iscomplexobj(x) and not np.iscomplexobj(a):
        if np.abs(x.imag).max(initial=0.0) > 1e-8 * max(np.abs(x.real).max(initial=0.0), 1):
            raise ValueError("sqrtm: the principal square root of this real matrix is "
                             "complex (it has negative real eigenvalues)")
        x = x.real
    return x


@_checked(sqrtm_p)
def _sqrtm_impl(a):
    a = np.asarray(a)
    return _batched(_sqrtm_one, a).astype(a.dtype, copy=False)


@sqrtm_p.def_shape
def _sqrtm_shape(a):
    _check_square(a, "sqrtm")
    return a.strip_weak()


def sqrtm(a) -> Any:
    """The principal square root ``X`` (``X X = A``, eigenvalues in the right half plane)."""
    return sqrtm_p.bind(a)


def _sqrtm_jvp(primals, tangents):
    (a,), (ta,) = primals, tangents
    x = sqrtm_p.bind(a)
    if isinstance(ta, Zero):
        return x, zero_like(x)
    return x, sylvester_p.bind(x, x, ta)


jvp_rules[sqrtm_p] = _sqrtm_jvp


# ---------------------------------------------------------------- batching

def _one_matrix_batch(prim: Primitive):
    def rule(args, dims, **params):
        (a,), (d,) = args, dims
        if d >= get_aval(a).ndim - 2:
            a, d = moveaxis(a, d, 0), 0
        return prim.bind(a, **params), d
    return rule


def _all_to_front(prim: Primitive):
    """Several matrix operands with equal leading dims: every batch axis goes to the front
    (an unbatched operand is broadcast)."""
    def rule(args, dims, **params):
        size = batch_size(args, dims)
        return prim.bind(*[to_front(x, d, size) for x, d in zip(args, dims)], **params), 0
    return rule


vmap_rules[expm_p] = _one_matrix_batch(expm_p)
vmap_rules[sqrtm_p] = _one_matrix_batch(sqrtm_p)
vmap_rules[expm_frechet_p] = _all_to_front(expm_frechet_p)
vmap_rules[sylvester_p] = _all_to_front(sylvester_p)
