"""``lintra.scipy.linalg``: SciPy's (and ``jax.scipy.linalg``'s) linear algebra signatures
over lintra primitives (``ops/linalg.py``, ``ops/decompositions.py``,
``ops/matrix_functions.py``). ``overwrite_*`` and ``check_finite`` are accepted and ignored,
as in JAX. Leading batch dims are allowed wherever the primitives allow them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.trace import get_aval
from ..numpy import linalg as LA
from ..numpy._basic import _as_value
from ..numpy._decompositions import _matrix_float, _one_triangle, _square_float
from ..ops import base
from ..ops import compare as C
from ..ops import complex as Cx
from ..ops import decompositions as D
from ..ops import elementwise as EW
from ..ops import linalg as L
from ..ops import matrix_functions as M
from ..ops import reductions as R
from ..ops import structure as S
from ._linalg_solvers import (  # noqa: F401
    eigh,
    eigvalsh,
    lstsq,
    null_space,
    orth,
    polar,
    solve_continuous_lyapunov,
    solve_discrete_lyapunov,
)
from ._linalg_special import block_diag, circulant, hankel, norm, toeplitz  # noqa: F401

__all__ = ["block_diag", "cho_factor", "cho_solve", "cholesky", "circulant", "det", "eig",
           "eigh", "eigvals", "eigvalsh", "expm", "expm_frechet", "hankel", "inv", "lstsq",
           "lu", "lu_factor", "lu_solve", "norm", "null_space", "orth", "pinv", "polar", "qr",
           "solve", "solve_continuous_lyapunov", "solve_discrete_lyapunov", "solve_sylvester",
           "solve_triangular", "sqrtm", "svd", "toeplitz"]


def _shape(x) -> tuple[int, ...]:
    return get_aval(x).shape


# ---------------------------------------------------------------- triangular and Cholesky


def solve_triangular(a, b, trans: int | str = 0, lower: bool = False,
                     unit_diagonal: bool = False, overwrite_b: bool = False,
                     check_finite: bool = True) -> Any:
    """Solve ``op(a) x = b`` reading one triangle of ``a``; ``trans`` 0/'N', 1/'T', 2/'C'.
    Linear in ``b`` (its transpose is the solve with the other ``trans``)."""
    del overwrite_b, check_finite
    return LA.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def cholesky(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
             ) -> Any:
    """Cholesky factor, upper ``U`` (``a = Uᵀ U``) by default, of the symmetric matrix that
    one triangle of ``a`` defines (the ``lower`` one, else the upper), as SciPy reads it: the
    derivative lands on that triangle (JAX's differs off symmetric directions)."""
    del overwrite_a, check_finite
    a = _one_triangle(_square_float(a, "cholesky"), bool(lower))
    return LA.cholesky(a, upper=not lower)


def cho_factor(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
               ) -> tuple[Any, bool]:
    """``(c, lower)`` for ``cho_solve``; the unused triangle of ``c`` is zero (as in JAX)."""
    return cholesky(a, lower, overwrite_a, check_finite), bool(lower)


def cho_solve(c_and_lower: tuple, b, overwrite_b: bool = False, check_finite: bool = True
              ) -> Any:
    """Solve ``a x = b`` from ``cho_factor(a)``: two triangular solves (linear in ``b``)."""
    del overwrite_b, check_finite
    try:
        c, lower = c_and_lower
    except (TypeError, ValueError):
        raise TypeError("cho_solve: c_and_lower must be the pair (c, lower) that cho_factor "
                        "returns") from None
    lower = bool(lower)
    # a = L Lᴴ (lower) or Uᴴ U: solve with the factor, then with its conjugate transpose
    y = LA.solve_triangular(c, b, trans=0 if lower else 2, lower=lower)
    return LA.solve_triangular(c, y, trans=2 if lower else 0, lower=lower)


# ---------------------------------------------------------------- LU


def lu_factor(a, overwrite_a: bool = False, check_finite: bool = True) -> tuple[Any, Any]:
    """``(lu, piv)``: ``L`` (unit diagonal) below and ``U`` on and above the diagonal of
    ``lu``; ``piv`` are LAPACK's 0-based row swaps (int32)."""
    del overwrite_a, check_finite
    lu_mat, piv, _ = D.lu(_matrix_float(a, "lu_factor"))
    return lu_mat, piv


def _factors(lu_mat):
    """Unit-lower ``L`` (m×k) and upper ``U`` (k×n) of an ``lu`` matrix."""
    shp = _shape(lu_mat)
    m, n = shp[-2:]
    k = min(m, n)
    nd = len(shp)
    dt = get_aval(lu_mat).dtype
    lower = S.slice_static(lu_mat, (0,) * nd, shp[:-1] + (k,))
    lower = EW.add(EW.mul(lower, np.tril(np.ones((m, k), dt), -1)), np.eye(m, k, dtype=dt))
    upper = S.slice_static(lu_mat, (0,) * nd, shp[:-2] + (k, n))
    return lower, EW.mul(upper, np.triu(np.ones((k, n), dt)))


def _inverse_permutation(perm):
    """``inv`` with ``inv[perm[i]] = i`` (integer ops: no derivative)."""
    nd = len(_shape(perm))
    m = _shape(perm)[-1]
    hit = C.eq(S.expand_dims(perm, nd), np.arange(m, dtype=get_aval(perm).dtype))
    weights = np.arange(m, dtype=np.int32).reshape(m, 1)
    return R.reduce_sum(EW.mul(base.convert_element_type(hit, np.int32), weights), (nd - 1,))


def lu(a, permute_l: bool = False, overwrite_a: bool = False, check_finite: bool = True,
       p_indices: bool = False) -> tuple:
    """``(p, l, u)`` with ``a = p @ l @ u`` (``(p @ l, u)`` when ``permute_l``; ``p`` as row
    indices, ``a = l[p] @ u``, when ``p_indices``)."""
    del overwrite_a, check_finite
    a = _matrix_float(a, "lu")
    lu_mat, _, perm = D.lu(a)
    lower, upper = _factors(lu_mat)
    pm = D.permutation_matrix(perm, get_aval(a).dtype)      # pm @ a = a[perm] = l @ u
    p = L.matrix_transpose(pm)
    if permute_l:
        return L.matmul_batched(p, lower), upper
    if p_indices:
        return _inverse_permutation(perm), lower, upper
    return p, lower, upper


def lu_solve(lu_and_piv: tuple, b, trans: int = 0, overwrite_b: bool = False,
             check_finite: bool = True) -> Any:
    """Solve ``a x = b`` (``trans`` 0), ``aᵀ x = b`` (1) or ``aᴴ x = b`` (2) from
    ``lu_factor(a)``; linear
    in ``b``, and differentiable in ``lu`` through the triangular solves."""
    del overwrite_b, check_finite
    try:
        lu_mat, piv = lu_and_piv
    except (TypeError, ValueError):
        raise TypeError("lu_solve: lu_and_piv must be the pair (lu, piv) that lu_factor "
                        "returns") from None
    if trans not in (0, 1, 2):
        raise ValueError(f"lu_solve: trans must be 0, 1 or 2, got {trans!r}")
    lu_mat = _square_float(lu_mat, "lu_solve")
    n = _shape(lu_mat)[-1]
    lu_mat, b = base.promote_float(lu_mat, _as_value(b))
    if trans == 2 and get_aval(lu_mat).is_complex:     # aᴴ x = b  <=>  aᵀ x̄ = b̄
        return Cx.conj(lu_solve((lu_mat, piv), Cx.conj(b), trans=1))
    perm = D.lu_pivots_to_permutation(_as_value(piv), n)
    lu_mat, b = base.promote_float(lu_mat, _as_value(b))
    pm = D.permutation_matrix(perm, get_aval(lu_mat).dtype)
    vec = len(_shape(b)) == 1
    if vec:
        b = S.reshape(b, (n, 1))
    if trans == 0:    # l u x = b[perm]
        y = LA.triangular_solve(lu_mat, LA.matmul(pm, b), lower=True, unit_diagonal=True)
        x = LA.triangular_solve(lu_mat, y, lower=False)
    else:             # uᵀ lᵀ (pm x) = b
        y = LA.triangular_solve(lu_mat, b, lower=False, transpose_a=True)
        y = LA.triangular_solve(lu_mat, y, lower=True, transpose_a=True, unit_diagonal=True)
        x = LA.matmul(L.matrix_transpose(pm), y)
    return S.reshape(x, (n,)) if vec else x


# ---------------------------------------------------------------- solve, inv, det


def solve(a, b, lower: bool = False, overwrite_a: bool = False, overwrite_b: bool = False,
          debug: bool = False, check_finite: bool = True, assume_a: str = "gen") -> Any:
    """``x`` with ``a x = b``. ``assume_a``: 'gen'/'general', 'sym'/'symmetric',
    'her'/'hermitian' (LU), or 'pos'/'positive definite' (Cholesky of the ``lower``
    triangle's symmetric matrix)."""
    del overwrite_a, overwrite_b, debug, check_finite
    kinds = {"gen": "gen", "general": "gen", "sym": "gen", "symmetric": "gen",
             "her": "gen", "hermitian": "gen", "pos": "pos", "positive definite": "pos"}
    if assume_a not in kinds:
        raise ValueError(f"solve: unknown assume_a {assume_a!r}; expected one of "
                         f"{sorted(kinds)}")
    if kinds[assume_a] == "pos":
        return cho_solve(cho_factor(a, lower=lower), b)
    return LA.solve(a, b)


def inv(a, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    del overwrite_a, check_finite
    return LA.inv(a)


def det(a, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    del overwrite_a, check_finite
    return LA.det(a)


def pinv(a, *, atol: Any = None, rtol: Any = None, return_rank: bool = False,
         check_finite: bool = True) -> Any:
    """Pseudo-inverse with SciPy's keywords (``atol`` unsupported beyond 0/None)."""
    del check_finite
    if atol not in (None, 0, 0.0):
        raise NotImplementedError("pinv: atol is not supported; use rtol")
    if return_rank:
        raise NotImplementedError("pinv: return_rank is not supported")
    a = _matrix_float(a, "pinv")
    m, n = _shape(a)[-2:]
    cut = rtol if rtol is not None else max(m, n) * float(np.finfo(get_aval(a).dtype).eps)
    return LA.pinv(a, rtol=cut)


# ---------------------------------------------------------------- decompositions


def eig(a, b: Any = None, left: bool = False, right: bool = True,
        overwrite_a: bool = False, overwrite_b: bool = False, check_finite: bool = True,
        homogeneous_eigvals: bool = False) -> Any:
    """``(w, vr)`` (``w`` alone when not ``right``), complex; the generalized problem
    (``b``), left eigenvectors and homogeneous eigenvalues are not supported."""
    del overwrite_a, overwrite_b, check_finite
    if b is not None or left or homogeneous_eigvals:
        raise NotImplementedError("eig: the generalized problem (b), left eigenvectors and "
                                  "homogeneous_eigvals are not supported")
    return tuple(LA.eig(a)) if right else LA.eigvals(a)


def eigvals(a, b: Any = None, overwrite_a: bool = False, check_finite: bool = True,
            homogeneous_eigvals: bool = False) -> Any:
    return eig(a, b, right=False, overwrite_a=overwrite_a, check_finite=check_finite,
               homogeneous_eigvals=homogeneous_eigvals)


def svd(a, full_matrices: bool = True, compute_uv: bool = True, overwrite_a: bool = False,
        check_finite: bool = True, lapack_driver: str = "gesdd") -> Any:
    """``(U, s, Vh)``, or ``s`` alone without ``compute_uv``."""
    del overwrite_a, check_finite, lapack_driver
    out = LA.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


def qr(a, overwrite_a: bool = False, lwork: Any = None, mode: str = "full",
       pivoting: bool = False, check_finite: bool = True) -> tuple:
    """``(Q, R)`` (mode 'full' or 'economic'), or ``(R,)`` (mode 'r': the full-mode R), as
    SciPy."""
    del overwrite_a, lwork, check_finite
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not supported")
    modes = {"full": "complete", "economic": "reduced", "r": "r"}
    if mode not in modes:
        raise ValueError(f"qr: mode must be 'full', 'economic' or 'r', got {mode!r}")
    if mode == "r":   # the reduced R padded with zero rows: differentiable when tall too
        r = LA.qr(a, "r")
        shp = _shape(r)
        m = _shape(a)[-2]
        nd = len(shp)
        return (S.pad(r, 0.0, [(0, 0, 0)] * (nd - 2) + [(0, m - shp[-2], 0), (0, 0, 0)]),)
    return tuple(LA.qr(a, modes[mode]))


# ---------------------------------------------------------------- matrix functions


def expm(A, *, upper_triangular: bool = False, max_squarings: int = 16) -> Any:  # noqa: N803
    """The matrix exponential; its derivative is the exact Fréchet derivative."""
    del upper_triangular, max_squarings
    return M.expm(_square_float(A, "expm"))


def expm_frechet(A, E, method: Any = None, compute_expm: bool = True,  # noqa: N803
                 check_finite: bool = True) -> Any:
    """``(expm(A), L(A, E))`` (``L`` alone without ``compute_expm``)."""
    del method, check_finite
    a, e = base.promote_float(_square_float(A, "expm_frechet"), _as_value(E))
    frechet = M.expm_frechet(a, e)
    return (M.expm(a), frechet) if compute_expm else frechet


def sqrtm(A, blocksize: int = 1) -> Any:  # noqa: N803
    """The principal square root (real input with a real root); dX solves X dX + dX X = dA."""
    del blocksize
    return M.sqrtm(_square_float(A, "sqrtm"))


def solve_sylvester(a, b, q) -> Any:
    """``x`` with ``a x + x b = q`` (linear in ``q``)."""
    a = _square_float(a, "solve_sylvester")
    b = _square_float(b, "solve_sylvester")
    a, b, q = base.promote_float(a, b, _as_value(q))
    return M.sylvester(a, b, q)
