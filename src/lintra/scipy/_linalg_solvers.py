"""``scipy.linalg``'s generalized ``eigh``/``eigvalsh``, ``lstsq``, ``null_space``, ``orth``,
``polar`` and the Lyapunov solvers, composed from lintra's differentiable linear algebra (no
primitives of their own), so ``grad``, ``jvp``, ``vmap`` and ``jit`` apply unchanged.

Bases of subspaces (``null_space``, ``orth``, eigenvectors) are unique only up to a gauge
(signs, rotations within a subspace): only functions invariant to it (``Q Qᴴ``,
``v diag(w) vᴴ``) have derivatives that mean anything across libraries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ConcretizationError
from ..core.trace import Tracer, get_aval
from ..numpy import linalg as LA
from ..numpy._basic import _as_value
from ..numpy._decompositions import _matrix_float, _one_triangle, _square_float
from ..ops import base
from ..ops import complex as Cx
from ..ops import decompositions as D
from ..ops import elementwise as E
from ..ops import linalg as L
from ..ops import matrix_functions as M
from ..ops import structure as S

__all__ = ["eigh", "eigvalsh", "lstsq", "null_space", "orth", "polar",
           "solve_continuous_lyapunov", "solve_discrete_lyapunov"]


def _shape(x) -> tuple[int, ...]:
    return get_aval(x).shape


def _mH(x):
    """The conjugate transpose of the last two dims."""
    return Cx.conj(L.matrix_transpose(x))


# ---------------------------------------------------------------- eigh with b


def _subset(w, v, subset_by_index: Any, who: str):
    """SciPy's ``subset_by_index=(lo, hi)``: the eigenpairs ``lo..hi`` (inclusive)."""
    if subset_by_index is None:
        return w, v
    lo, hi = (int(i) for i in subset_by_index)
    n = _shape(w)[-1]
    if not 0 <= lo <= hi < n:
        raise ValueError(f"{who}: subset_by_index must satisfy 0 <= lo <= hi < {n}, got "
                         f"{subset_by_index!r}")
    nd = len(_shape(w))
    w = S.slice_static(w, (0,) * (nd - 1) + (lo,), _shape(w)[:-1] + (hi + 1,))
    return w, (None if v is None else _cols_range(v, lo, hi + 1))


def _cols_range(x, lo: int, hi: int):
    shp = _shape(x)
    return S.slice_static(x, (0,) * (len(shp) - 1) + (lo,), shp[:-1] + (hi,))


def _generalized(a, b, lower: bool, kind: int):
    """Eigenpairs of ``a v = w b v`` (``kind`` 1), ``a b v = w v`` (2) or ``b a v = w v``
    (3) reduced to a standard problem with ``b = l lᴴ`` (Cholesky), as LAPACK's ``sygst``:
    ``vᴴ b v = I`` (kinds 1, 2), ``vᴴ b⁻¹ v = I`` (kind 3)."""
    a, b = base.promote_float(_square_float(a, "eigh"), _square_float(b, "eigh"))
    a = _one_triangle(a, lower)
    chol = LA.cholesky(_one_triangle(b, lower))
    if kind == 1:                  # c = l⁻¹ a l⁻ᴴ: (l⁻¹ a)ᴴ = a l⁻ᴴ since a is Hermitian
        c = LA.solve_triangular(chol, _mH(LA.solve_triangular(chol, a, lower=True)),
                                lower=True)
    else:                          # c = lᴴ a l
        c = L.matmul_batched(_mH(chol), L.matmul_batched(a, chol))
    w, y = LA.eigh(c)               # symmetrized: roundoff leaves c a hair off Hermitian
    if kind == 3:
        return w, L.matmul_batched(chol, y)
    return w, LA.solve_triangular(chol, y, trans=2, lower=True)


def eigh(a, b: Any = None, lower: bool = True, eigvals_only: bool = False,
         overwrite_a: bool = False, overwrite_b: bool = False, turbo: bool = True,
         eigvals: Any = None, type: int = 1, check_finite: bool = True,  # noqa: A002
         *, subset_by_index: Any = None, subset_by_value: Any = None, driver: Any = None
         ) -> Any:
    """``(w, v)`` (``w`` alone with ``eigvals_only``), ``w`` ascending, of the Hermitian
    matrix one triangle (``lower``) of ``a`` defines; with ``b`` (symmetric positive
    definite, same triangle) the generalized problem of ``type`` 1 (``a v = w b v``),
    2 (``a b v = w v``) or 3 (``b a v = w v``), normalized as SciPy. ``eigvals`` is the old
    name of ``subset_by_index``. Vectors are differentiable where eigenvalues are distinct."""
    del overwrite_a, overwrite_b, turbo, check_finite, driver
    if subset_by_value is not None:
        raise NotImplementedError("eigh: subset_by_value (a data-dependent number of "
                                  "eigenvalues) is not supported; use subset_by_index")
    if type not in (1, 2, 3):
        raise ValueError(f"eigh: type must be 1, 2 or 3, got {type!r}")
    if eigvals is not None:
        if subset_by_index is not None:
            raise ValueError("eigh: give eigvals or subset_by_index, not both")
        subset_by_index = eigvals
    if b is None:
        w, v = LA.eigh(a, UPLO="L" if lower else "U", symmetrize_input=False)
    else:
        w, v = _generalized(a, b, bool(lower), type)
    w, v = _subset(w, v, subset_by_index, "eigh")
    return w if eigvals_only else (w, v)


def eigvalsh(a, b: Any = None, lower: bool = True, overwrite_a: bool = False,
             overwrite_b: bool = False, turbo: bool = True, eigvals: Any = None,
             type: int = 1, check_finite: bool = True, *,  # noqa: A002
             subset_by_index: Any = None, subset_by_value: Any = None, driver: Any = None
             ) -> Any:
    """The eigenvalues of ``eigh`` (ascending); differentiable where they are simple."""
    return eigh(a, b, lower, True, overwrite_a, overwrite_b, turbo, eigvals, type,
                check_finite, subset_by_index=subset_by_index,
                subset_by_value=subset_by_value, driver=driver)


# ---------------------------------------------------------------- least squares


def lstsq(a, b, cond: float | None = None, overwrite_a: bool = False,
          overwrite_b: bool = False, check_finite: bool = True, lapack_driver: Any = None
          ) -> tuple[Any, Any, Any, Any]:
    """``(x, residues, rank, s)`` minimizing ``‖b − a x‖₂`` (``x = pinv(a) b``,
    differentiable where the rank is locally constant). Singular values below ``cond``
    (default: machine epsilon) times the largest count as zero, as LAPACK's ``gelsd``.
    ``residues`` are the squared residual norms per column of ``b`` (0-d for 1-D ``b``) when
    ``m > n`` and the rank is ``n``, else empty, shape ``(0,)`` (SciPy). Under ``jit`` the
    rank is unknown at trace time, so for ``m > n`` the residues are always returned."""
    del overwrite_a, overwrite_b, check_finite, lapack_driver
    a = _matrix_float(a, "lstsq")
    dtype = get_aval(base.promote(a, _as_value(b))[0]).dtype
    eps = float(np.finfo(dtype).eps)
    rcond = eps if cond is None or cond < 0 else float(cond)
    x, resid, rank, s = LA.lstsq(a, b, rcond=rcond)
    m, n = _shape(a)
    empty = np.zeros((0,), get_aval(resid).dtype)
    if m <= n:
        return x, empty, rank, s
    try:
        if int(rank) < n:
            return x, empty, rank, s
    except ConcretizationError:        # traced rank: keep the residues (shape is static)
        pass
    if len(_shape(b)) == 1:
        resid = S.reshape(resid, ())
    return x, resid, rank, s


# ---------------------------------------------------------------- subspaces


def _concrete(a, who: str) -> np.ndarray:
    """The value of ``a``; under ``jit`` a ConcretizationError naming ``who``."""
    if len(_shape(a)) != 2:
        raise ValueError(f"{who}: A must be 2-D, got shape {_shape(a)}")
    if not isinstance(a, Tracer):
        return np.asarray(a)
    return np.asarray(a._concrete(
        f"a concrete value: `{who}` returns as many columns as a rank it computes from the "
        f"values, a data-dependent shape (call it outside jit)"))


def _rank(s: np.ndarray, shape: tuple[int, ...], rcond: float | None) -> tuple[int, float]:
    """SciPy's numerical rank and relative cutoff: ``s > max(s) rcond``."""
    if rcond is None:
        rcond = float(np.finfo(s.dtype).eps) * max(shape)
    tol = float(np.amax(s)) * rcond if s.size else 0.0
    return int(np.sum(s > tol)), float(rcond)


def _orthonormal(proj, basis: np.ndarray):
    """``basis`` (orthonormal columns spanning the range of the projector ``proj`` at this
    point) carried along with ``proj``: ``m = proj basis`` made orthonormal by
    ``m chol(mᴴ m)⁻ᴴ``. Its value is ``basis``; its derivative needs only a locally constant
    rank (no distinct singular values)."""
    if basis.shape[-1] == 0:
        return basis
    m = L.matmul_batched(proj, basis)
    chol = LA.cholesky(L.matmul_batched(_mH(m), m))
    return _mH(LA.solve_triangular(chol, _mH(m), lower=True))


def null_space(A, rcond: float | None = None, *, overwrite_a: bool = False,  # noqa: N803
               check_finite: bool = True, lapack_driver: str = "gesdd") -> Any:
    """An orthonormal basis (columns) of the null space of ``A``: SciPy's right singular
    vectors with ``s <= max(s) rcond``. The column count is data-dependent, so ``A`` must be
    concrete (eager, ``grad``); the derivative follows the projector ``I − A⁺ A``."""
    del overwrite_a, check_finite, lapack_driver
    A = _matrix_float(A, "null_space")  # noqa: N806
    val = _concrete(A, "null_space")
    _, s, vh = np.linalg.svd(val, full_matrices=True)
    num, rcond = _rank(s, val.shape, rcond)
    basis = np.ascontiguousarray(vh[num:, :].conj().T)
    n = val.shape[1]
    proj = E.sub(np.eye(n, dtype=val.dtype), L.matmul_batched(D.pinv(A, rcond), A))
    return _orthonormal(proj, basis)


def orth(A, rcond: float | None = None) -> Any:  # noqa: N803
    """An orthonormal basis (columns) of the range of ``A``: SciPy's left singular vectors
    with ``s > max(s) rcond``. The column count is data-dependent, so ``A`` must be concrete
    (eager, ``grad``); the derivative follows the projector ``A A⁺``."""
    A = _matrix_float(A, "orth")  # noqa: N806
    val = _concrete(A, "orth")
    u, s, _ = np.linalg.svd(val, full_matrices=False)
    num, rcond = _rank(s, val.shape, rcond)
    basis = np.ascontiguousarray(u[:, :num])
    return _orthonormal(L.matmul_batched(A, D.pinv(A, rcond)), basis)


# ---------------------------------------------------------------- polar


def polar(a, side: str = "right") -> tuple[Any, Any]:
    """``(u, p)`` with ``a = u p`` (``side`` 'right') or ``a = p u`` ('left'): ``u`` with
    orthonormal columns or rows, ``p`` Hermitian positive semidefinite, from the SVD
    ``a = w s vh`` (``u = w vh``). Differentiable where the singular values are distinct
    and nonzero."""
    if side not in ("right", "left"):
        raise ValueError(f"polar: side must be 'right' or 'left', got {side!r}")
    a = _matrix_float(a, "polar")
    if len(_shape(a)) != 2:
        raise ValueError(f"polar: a must be 2-D, got shape {_shape(a)}")
    w, s, vh = D.svd(a, full_matrices=False)
    u = L.matmul_batched(w, vh)
    s = base.convert_element_type(s, get_aval(a).dtype)
    if side == "right":        # p = vhᴴ diag(s) vh
        p = L.matmul_batched(_mH(vh), E.mul(S.reshape(s, (-1, 1)), vh))
    else:                      # p = w diag(s) wᴴ
        p = L.matmul_batched(E.mul(w, s), _mH(w))
    return u, p


# ---------------------------------------------------------------- Lyapunov equations


def solve_continuous_lyapunov(a, q) -> Any:
    """``x`` with ``a x + x aᴴ = q``: the Sylvester equation with ``b = aᴴ``."""
    a = _square_float(a, "solve_continuous_lyapunov")
    a, q = base.promote_float(a, _as_value(q))
    return M.sylvester(a, _mH(a), q)


def _discrete_direct(a, q):
    """``(I − a ⊗ ā) vec(x) = vec(q)`` (row-major ``vec``): an n²×n² dense solve, O(n⁶)
    work — meant for the small ``n`` (SciPy's default below 10) this method is used at."""
    n = _shape(a)[-1]
    kron = S.reshape(E.mul(S.reshape(a, (n, 1, n, 1)), S.reshape(Cx.conj(a), (1, n, 1, n))),
                     (n * n, n * n))
    lhs = E.sub(np.eye(n * n, dtype=get_aval(a).dtype), kron)
    return S.reshape(LA.solve(lhs, S.reshape(q, (n * n, 1))), (n, n))


def _discrete_bilinear(a, q):
    """The bilinear (Cayley) map to a continuous equation, as SciPy: ``b = (aᴴ − I)
    (aᴴ + I)⁻¹``, ``c = 2 (a + I)⁻¹ q (aᴴ + I)⁻¹``, then ``bᴴ x + x b = −c``."""
    eye = np.eye(_shape(a)[-1], dtype=get_aval(a).dtype)
    ah = _mH(a)
    ahi_inv = LA.inv(E.add(ah, eye))
    b = L.matmul_batched(E.sub(ah, eye), ahi_inv)
    c = E.mul(2.0, L.matmul_batched(LA.solve(E.add(a, eye), q), ahi_inv))
    return solve_continuous_lyapunov(_mH(b), E.neg(c))


def solve_discrete_lyapunov(a, q, method: str | None = None) -> Any:
    """``x`` with ``a x aᴴ − x + q = 0``. ``method`` 'direct' (the Kronecker system, O(n⁶),
    SciPy's default for n < 10) or 'bilinear' (a continuous Lyapunov solve)."""
    a = _square_float(a, "solve_discrete_lyapunov")
    a, q = base.promote_float(a, _as_value(q))
    n = _shape(a)[-1]
    if len(_shape(a)) != 2 or _shape(q) != (n, n):
        raise ValueError(f"solve_discrete_lyapunov: a and q must be n×n, got shapes "
                         f"{_shape(a)} and {_shape(q)}")
    if method is None:
        method = "direct" if n < 10 else "bilinear"
    if method == "direct":
        return _discrete_direct(a, q)
    if method == "bilinear":
        return _discrete_bilinear(a, q)
    raise ValueError(f"solve_discrete_lyapunov: unknown method {method!r}; expected "
                     "'direct' or 'bilinear'")
