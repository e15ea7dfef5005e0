"""The general (non-symmetric) eigendecomposition as a primitive: ``eig``.

Outputs are complex (as in JAX; NumPy returns real arrays when every eigenvalue happens to be
real, which a static output type cannot follow). Eigenvectors are LAPACK's: unit 2-norm with
a real largest-magnitude component; their derivative is the derivative of that choice
(non-degenerate perturbation theory, as ``jax.lax.linalg.eig(enable_eigvec_derivs=True)``),
defined only where the eigenvalues are distinct and the matrix is diagonalizable.
Eigenvalues alone (``vectors=False``) are differentiable wherever they are simple.
"""

from __future__ import annotations

import numpy as np

from ..ad.rules import Zero, jvp_rules, zero_like
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray, complex_dtype
from ..core.primitive import Primitive
from ..core.trace import get_aval
from . import compare as Cmp
from . import complex as C
from . import elementwise as E
from . import reductions as R
from . import structure as S
from .base import convert_element_type
from .decompositions import _diag, _gap_inverse, _leading_batch, _mm
from .linalg import _check_square, _checked, solve

eig_p = Primitive("eig", multiple_results=True)


@_checked(eig_p)
def _eig_impl(a, *, vectors):
    a = np.asarray(a)
    cdt = complex_dtype(a.dtype)
    if not vectors:
        return [np.linalg.eigvals(a).astype(cdt)]
    w, v = np.linalg.eig(a)
    return [w.astype(cdt), v.astype(cdt)]


@eig_p.def_shape
def _eig_shape(a, *, vectors):
    _check_square(a, "eig")
    cdt = complex_dtype(a.dtype)
    w = ShapedArray(a.shape[:-1], cdt)
    return [w, ShapedArray(a.shape, cdt)] if vectors else [w]


def eig(a, vectors: bool = True) -> list:
    """``[w, v]`` (``[w]`` without ``vectors``): eigenvalues and right eigenvectors
    (columns), complex."""
    return eig_p.bind(a, vectors=bool(vectors))


def _normalization(v, u):
    """``c`` with ``dv = u + v diag(c)`` keeping LAPACK's normalization to first order:
    Re(v_jᴴ dv_j) = 0 (unit norm) and Im(dv_kj) = 0 at k = argmax_i |v_ij| (real largest
    component)."""
    aval = get_aval(v)
    nd, n = aval.ndim, aval.shape[-1]
    k = R.argmax(E.abs(v), nd - 2)                                 # (..., n): one per column
    rows = np.arange(n, dtype=get_aval(k).dtype).reshape(n, 1)
    mask = convert_element_type(Cmp.eq(S.expand_dims(k, nd - 2), rows), aval.dtype)
    c_re = E.neg(C.real(R.reduce_sum(E.mul(C.conj(v), u), (nd - 2,))))
    c_im = E.div(E.neg(C.imag(R.reduce_sum(E.mul(mask, u), (nd - 2,)))),
                 C.real(R.reduce_sum(E.mul(mask, v), (nd - 2,))))
    return C.complex(c_re, c_im)


def _eig_jvp(primals, tangents, *, vectors):
    (a,), (ta,) = primals, tangents
    out = eig_p.bind(a, vectors=vectors)
    if isinstance(ta, Zero):
        return out, [zero_like(o) for o in out]
    w, v = out if vectors else eig_p.bind(a, vectors=True)
    da = convert_element_type(ta, get_aval(v).dtype)
    p = _mm(solve(v, da), v)                                        # V⁻¹ dA V
    if not vectors:
        return out, [_diag(p)]
    u = _mm(v, E.mul(_gap_inverse(w), p))
    c = _normalization(v, u)
    dv = E.add(u, E.mul(v, S.expand_dims(c, get_aval(v).ndim - 2)))
    return out, [_diag(p), dv]


jvp_rules[eig_p] = _eig_jvp
vmap_rules[eig_p] = _leading_batch(eig_p)
