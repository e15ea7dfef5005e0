"""NumPy-style decompositions and what is built on them (``lintra.numpy.linalg``): ``eig``,
``eigvals``, ``eigh``, ``eigvalsh``, ``svd``, ``svdvals``, ``pinv``, ``qr``, ``lstsq``,
``matrix_power`` (the primitives are in ``ops/decompositions.py`` and ``ops/eig.py``).

Derivatives exist where the factors are smooth: distinct eigenvalues for ``eigh``'s vectors
(at a degenerate eigenvalue the eigenvectors are not unique and their derivative is inf/nan,
as in JAX; the eigenvalues alone stay differentiable where simple), distinct nonzero singular
values for ``svd``'s vectors, full rank for ``qr``, locally constant rank for ``pinv`` and
``lstsq``. Vector signs follow LAPACK.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..core.trace import get_aval
from ..ops import base
from ..ops import compare as C
from ..ops import complex as Cx
from ..ops import decompositions as D
from ..ops import eig as EG
from ..ops import elementwise as E
from ..ops import linalg as L
from ..ops import reductions as R
from ..ops import structure as S
from ._basic import _as_value


class EigResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class EighResult(NamedTuple):
    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    Q: Any
    R: Any


def _shape(x) -> tuple[int, ...]:
    return get_aval(x).shape


def _matrix_float(a, who: str, square: bool = False):
    """``a`` as floats with at least two dims (square ones when asked)."""
    (a,) = base.promote_float(_as_value(a))
    shp = _shape(a)
    if len(shp) < 2 and not square:
        raise ValueError(f"{who}: expects a matrix (at least 2-D), got shape {shp}")
    if square and (len(shp) < 2 or shp[-1] != shp[-2]):
        raise ValueError(f"{who}: expects square matrices in the last two dims, got shape "
                         f"{shp}")
    return a


def _square_float(a, who: str):
    return _matrix_float(a, who, square=True)


def _one_triangle(a, lower: bool):
    """The symmetric (Hermitian) matrix that one triangle of ``a`` defines (NumPy's
    ``UPLO``); for complex input the diagonal's imaginary part is dropped, as LAPACK does."""
    nd = len(_shape(a))
    n = _shape(a)[-1]
    ones = np.ones((n, n), get_aval(a).dtype)
    strict = E.mul(a, np.tril(ones, -1) if lower else np.triu(ones, 1))
    diag = E.mul(a, np.eye(n, dtype=get_aval(a).dtype))
    if get_aval(a).is_complex:
        diag = base.convert_element_type(Cx.real(diag), get_aval(a).dtype)
    mirrored = Cx.conj(S.transpose(strict, tuple(range(nd - 2)) + (nd - 1, nd - 2)))
    return E.add(E.add(strict, diag), mirrored)


def eig(a) -> EigResult:
    """Eigenvalues and right eigenvectors (unit norm, largest component real) of general
    square matrices; always complex, as in JAX. Vector derivatives follow that normalization
    and need distinct eigenvalues."""
    w, v = EG.eig(_square_float(a, "eig"))
    return EigResult(w, v)


def eigvals(a) -> Any:
    """Eigenvalues (complex) of general square matrices; differentiable where simple."""
    return EG.eig(_square_float(a, "eigvals"), vectors=False)[0]


def eigh(a, UPLO: str | None = None, symmetrize_input: bool = True) -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices.

    Without ``UPLO`` the input is symmetrized, ``(a + aᵀ)/2``, as in JAX, so the
    derivative is symmetric; a given ``UPLO`` (or ``symmetrize_input=False``) reads only
    that triangle ('L' default), as NumPy does. Eigenvectors are differentiable only where
    the eigenvalues are distinct."""
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    a = _square_float(a, "eigh")
    if not symmetrize_input or UPLO is not None:
        a = _one_triangle(a, UPLO != "U")
    w, v = D.eigh(a)
    return EighResult(w, v)


def eigvalsh(a, UPLO: str = "L") -> Any:  # noqa: N803
    """Eigenvalues of symmetric matrices (the ``UPLO`` triangle is read, as in NumPy)."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigvalsh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return eigh(a, UPLO, symmetrize_input=False).eigenvalues


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
        ) -> Any:
    """``U, S, Vh`` with ``a = U diag(S) Vh`` (``S`` only without ``compute_uv``).
    ``hermitian`` is accepted for NumPy compatibility (the general algorithm runs)."""
    del hermitian
    a = _matrix_float(a, "svd")
    if not compute_uv:
        return D.svd(a, compute_uv=False)[0]
    u, s, vh = D.svd(a, full_matrices=full_matrices)
    return SVDResult(u, s, vh)


def svdvals(x) -> Any:
    """Singular values, descending."""
    return svd(x, compute_uv=False)


def pinv(a, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    """Moore–Penrose pseudo-inverse; singular values below ``rcond`` (or ``rtol``) times the
    largest count as zero (default ``1e-15``, NumPy's). Differentiable where the rank is
    locally constant (Golub–Pereyra), no distinct singular values needed."""
    if rcond is not None and rtol is not None:
        raise ValueError("pinv: give rcond or rtol, not both")
    cut = rcond if rcond is not None else rtol if rtol is not None else 1e-15
    return D.pinv(_matrix_float(a, "pinv"), float(cut), hermitian)


def qr(a, mode: str = "reduced") -> Any:
    """``Q, R`` with ``a = Q R`` (``mode`` 'reduced', 'complete'), or ``R`` alone ('r')."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = D.qr(_matrix_float(a, "qr"), full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def lstsq(a, b, rcond: float | None = None, *, numpy_resid: bool = False
          ) -> tuple[Any, Any, Any, Any]:
    """``(x, residuals, rank, s)`` minimizing ``‖b − a x‖₂`` (NumPy/JAX). ``x = pinv(a) b``
    is differentiable in ``a`` and ``b`` wherever the rank is locally constant. As in JAX
    the residuals are always returned; ``numpy_resid=True`` gives NumPy's empty residuals
    when the rank is below n or m ≤ n (concrete inputs only)."""
    a = _matrix_float(a, "lstsq")
    a, b = base.promote(a, _as_value(b))
    sa, sb = _shape(a), _shape(b)
    if len(sa) != 2:
        raise ValueError(f"lstsq: a must be 2-D, got shape {sa}")
    if len(sb) not in (1, 2) or sb[0] != sa[0]:
        raise ValueError(f"lstsq: b must be 1-D or 2-D with {sa[0]} rows, got shape {sb}")
    m, n = sa
    dtype = get_aval(a).dtype
    cut = float(np.finfo(dtype).eps) * max(m, n) if rcond is None else \
        (float(np.finfo(dtype).eps) if rcond < 0 else float(rcond))
    bm = S.reshape(b, (m, 1)) if len(sb) == 1 else b
    x = L.matmul_batched(D.pinv(a, cut), bm)
    s = D.svd(a, compute_uv=False)[0]
    keep = C.gt(s, E.mul(S.slice_static(s, (0,), (1,)), cut)) if min(m, n) else s
    rank = R.reduce_sum(base.convert_element_type(keep, np.int32), (0,)) if min(m, n) \
        else np.asarray(0, np.int32)                   # LAPACK's int32, as NumPy's
    r = E.sub(bm, L.matmul_batched(a, x))
    resid = R.reduce_sum(Cx.real(E.mul(Cx.conj(r), r)), (0,))
    if numpy_resid and (int(rank) < n or m <= n):
        resid = np.zeros((0,), get_aval(resid).dtype)
    return (S.reshape(x, (n,)) if len(sb) == 1 else x), resid, rank, s


def matrix_power(a, n: int) -> Any:
    """``a`` multiplied by itself ``n`` times (binary powering; ``n < 0`` inverts first,
    ``n == 0`` gives the identity)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}")
    (a,) = base.promote(_as_value(a))
    shp = _shape(a)
    if len(shp) < 2 or shp[-1] != shp[-2]:
        raise ValueError(f"matrix_power: expects square matrices in the last two dims, got "
                         f"shape {shp}")
    n = int(n)
    if n == 0:
        return np.array(np.broadcast_to(np.eye(shp[-1], dtype=get_aval(a).dtype), shp))
    if n < 0:
        a = _square_float(a, "matrix_power")
        a = L.solve(a, np.array(np.broadcast_to(np.eye(shp[-1], dtype=get_aval(a).dtype),
                                                shp)))
        n = -n
    result, power = None, a
    while n:
        if n & 1:
            result = power if result is None else L.matmul_batched(result, power)
        n >>= 1
        if n:
            power = L.matmul_batched(power, power)
    return result


def _singular_value_norm(x, ord: Any, row: int, col: int) -> Any:  # noqa: A002
    """Matrix norms from singular values over axes ``(row, col)``: 2 (largest), -2
    (smallest), 'nuc' (sum)."""
    nd = len(_shape(x))
    rest = tuple(i for i in range(nd) if i not in (row, col))
    s = D.svd(S.transpose(x, rest + (row, col)), compute_uv=False)[0]
    last = (len(rest),)
    if ord == "nuc":
        return R.reduce_sum(s, last)
    return (R.reduce_max if ord == 2 else R.reduce_min)(s, last)
