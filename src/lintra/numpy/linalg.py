"""NumPy-style linear algebra (see ops/linalg.py for the primitives).

Products (``dot``, ``matmul``, ``tensordot``, ``einsum``, ``outer``, ``inner``, ``vdot``) are
thin wrappers over the one ``dot_general`` primitive and are exported to ``lintra.numpy``;
``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``, ``norm``, ``solve_triangular`` and the
decompositions of ``_decompositions.py`` (``eig``, ``eigh``, ``svd``, ``qr``, ``pinv``, ``lstsq``,
``matrix_power``, ...) live only here, as ``lintra.numpy.linalg.<name>``. Batched (leading)
dims broadcast like NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.avals import broadcast_shapes as _broadcast_shapes
from ..core.trace import get_aval
from ..ops import base
from ..ops import complex as C
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import linalg as L
from ..ops import powers as PW
from ..ops import reductions as R
from ..ops import structure as S
from ._basic import _as_value
from ._decompositions import (  # noqa: F401  (re-exported as lintra.numpy.linalg.<name>)
    EighResult,
    EigResult,
    QRResult,
    SVDResult,
    _singular_value_norm,
    _square_float,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    lstsq,
    matrix_power,
    pinv,
    qr,
    svd,
    svdvals,
)
from ._einsum_sublists import sublists_to_subscripts

__all__ = ["dot", "matmul", "tensordot", "einsum", "outer", "inner", "vdot"]


def _shape(x) -> tuple[int, ...]:
    return get_aval(x).shape


def _operands(a, b) -> list:
    return base.promote(_as_value(a), _as_value(b))


# ---------------------------------------------------------------- products


def dot(a, b) -> Any:
    """``numpy.dot``: scalars multiply; otherwise contract ``a``'s last axis with ``b``'s
    second-to-last (its only axis when 1-D)."""
    a, b = _operands(a, b)
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return E.mul(a, b)
    kb = 0 if len(sb) == 1 else len(sb) - 2
    if sa[-1] != sb[kb]:
        raise ValueError(f"dot: shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1})"
                         f" != {sb[kb]} (dim {kb})")
    return L.dot_general(a, b, (((len(sa) - 1,), (kb,)), ((), ())))


def matmul(a, b) -> Any:
    """``a @ b`` with NumPy semantics: 1-D operands are promoted to matrices (and the added
    axis removed again); leading dims broadcast as batch dims."""
    a, b = _operands(a, b)
    sa0, sb0 = _shape(a), _shape(b)
    if not sa0 or not sb0:
        raise ValueError("matmul: operands must not be scalars (0-d); use multiply")
    a = S.reshape(a, (1,) + sa0) if len(sa0) == 1 else a
    b = S.reshape(b, sb0 + (1,)) if len(sb0) == 1 else b
    sa, sb = _shape(a), _shape(b)
    if sa[-1] != sb[-2]:
        raise ValueError(f"matmul: shapes {sa0} and {sb0} do not fit: contracted dimension "
                         f"{sa[-1]} != {sb[-2]}")
    if len(sb) == 2:   # no batch on b: a's leading dims are just free dims
        out = L.dot_general(a, b, (((len(sa) - 1,), (0,)), ((), ())))
    else:
        try:
            batch = _broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dims of {sa0} and {sb0} do not broadcast") from None
        a = S.broadcast_to(a, batch + sa[-2:])
        b = S.broadcast_to(b, batch + sb[-2:])
        bd = tuple(range(len(batch)))
        out = L.dot_general(a, b, (((len(batch) + 1,), (len(batch),)), (bd, bd)))
    so = _shape(out)
    if len(sa0) == 1:
        so = so[:-2] + so[-1:]
    if len(sb0) == 1:
        so = so[:-1]
    return S.reshape(out, so)


def _axes(ax, nd: int, who: str) -> tuple[int, ...]:
    ax = (ax,) if isinstance(ax, (int, np.integer)) else tuple(ax)
    for d in ax:
        if not -nd <= int(d) < nd:
            raise ValueError(f"{who}: axis {d} out of bounds for a {nd}-d operand")
    return tuple(int(d) % nd for d in ax)


def tensordot(a, b, axes=2) -> Any:
    """Contract ``a``'s last ``axes`` dims with ``b``'s first (or the given pair of axis
    lists); output = ``a``'s free dims, then ``b``'s."""
    a, b = _operands(a, b)
    sa, sb = _shape(a), _shape(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(len(sa), len(sb)):
            raise ValueError(f"tensordot: cannot contract {n} axes of shapes {sa} and {sb}")
        xa, xb = tuple(range(len(sa) - n, len(sa))), tuple(range(n))
    else:
        if len(axes) != 2:
            raise ValueError("tensordot: axes must be an int or a pair of axis sequences")
        xa, xb = _axes(axes[0], len(sa), "tensordot"), _axes(axes[1], len(sb), "tensordot")
        if len(xa) != len(xb):
            raise ValueError(f"tensordot: {len(xa)} axes of a vs {len(xb)} axes of b")
    for i, j in zip(xa, xb):
        if sa[i] != sb[j]:
            raise ValueError(f"tensordot: shape mismatch for sum: {sa} axis {i} vs {sb} "
                             f"axis {j}")
    return L.dot_general(a, b, ((xa, xb), ((), ())))


def outer(a, b) -> Any:
    a, b = _operands(a, b)
    return L.dot_general(S.reshape(a, (-1,)), S.reshape(b, (-1,)), (((), ()), ((), ())))


def inner(a, b) -> Any:
    """Contract the last axes of ``a`` and ``b`` (scalars multiply)."""
    a, b = _operands(a, b)
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return E.mul(a, b)
    if sa[-1] != sb[-1]:
        raise ValueError(f"inner: last dimensions of {sa} and {sb} differ")
    return L.dot_general(a, b, (((len(sa) - 1,), (len(sb) - 1,)), ((), ())))


def vdot(a, b) -> Any:
    """Dot product of the flattened operands, the first conjugated (NumPy)."""
    a, b = _operands(a, b)
    a = C.conj(a)
    if get_aval(a).size != get_aval(b).size:
        raise ValueError(f"vdot: operands of sizes {get_aval(a).size} and "
                         f"{get_aval(b).size} differ")
    return L.dot_general(S.reshape(a, (-1,)), S.reshape(b, (-1,)), (((0,), (0,)), ((), ())))


# ---------------------------------------------------------------- einsum


def _parse_term(term: str, who: str) -> list:
    """Letters, and ``...`` as the marker ``None``."""
    out: list = []
    i = 0
    while i < len(term):
        if term.startswith("...", i):
            if None in out:
                raise ValueError(f"{who}: more than one ellipsis in '{term}'")
            out.append(None)
            i += 3
        elif term[i].isascii() and term[i].isalpha():
            out.append(term[i])
            i += 1
        else:
            raise ValueError(f"{who}: invalid subscript character {term[i]!r} in '{term}'")
    return out


def _einsum_labels(subscripts: str, shapes: list) -> tuple[list[list], list]:
    """Per-operand label lists and the output labels; ellipsis dims get int labels,
    right-aligned across operands."""
    who = "einsum"
    s = subscripts.replace(" ", "")
    if s.count("->") > 1 or ("-" in s.replace("->", "")) or (">" in s.replace("->", "")):
        raise ValueError(f"{who}: malformed subscripts '{subscripts}'")
    lhs, arrow, rhs = s.partition("->")
    terms = [_parse_term(t, who) for t in lhs.split(",")]
    if len(terms) != len(shapes):
        raise ValueError(f"{who}: subscripts name {len(terms)} operands but {len(shapes)} "
                         "were given")
    n_ell = []
    for k, (term, shp) in enumerate(zip(terms, shapes)):
        named = sum(1 for t in term if t is not None)
        if (None in term and len(shp) < named) or (None not in term and len(shp) != named):
            raise ValueError(f"{who}: operand {k} has {len(shp)} dims but its subscripts "
                             f"'{''.join(t or '...' for t in term)}' name {named}")
        n_ell.append(len(shp) - named)
    m = max(n_ell, default=0)
    inputs = []
    for term, k in zip(terms, n_ell):
        labels: list = []
        for t in term:
            labels.extend(range(m - k, m) if t is None else [t])
        inputs.append(labels)
    letters = [t for term in terms for t in term if t is not None]
    if arrow:
        out_term = _parse_term(rhs, who)
        if None not in out_term and m:
            raise ValueError(f"{who}: operands have ellipsis dims but the output "
                             f"'{rhs}' has no '...'")
        output: list = []
        for t in out_term:
            if t is not None and t not in letters:
                raise ValueError(f"{who}: output subscript '{t}' does not appear in the "
                                 "inputs")
            output.extend(range(m) if t is None else [t])
        named = [t for t in out_term if t is not None]
        if len(set(named)) != len(named):
            raise ValueError(f"{who}: output subscripts '{rhs}' repeat a label")
    else:
        output = list(range(m)) + sorted(t for t in set(letters) if letters.count(t) == 1)
    return inputs, output


def _einsum_diagonal(x, labels: list):
    """Take the diagonal over a label repeated within one operand (x[..i..i..] -> x[..i..])."""
    while len(set(labels)) != len(labels):
        p = next(i for i, lab in enumerate(labels) if labels.count(lab) > 1)
        q = labels.index(labels[p], p + 1)
        shape = _shape(x)
        mask_shape = [1] * len(shape)
        mask_shape[p] = mask_shape[q] = shape[p]
        mask = np.eye(shape[p], dtype=get_aval(x).dtype).reshape(mask_shape)
        x = R.reduce_sum(E.mul(x, mask), (q,))
        labels = labels[:q] + labels[q + 1:]
    return x, labels


def einsum(subscripts: Any, *operands, optimize: Any = None) -> Any:
    """Einstein summation, as pairwise ``dot_general`` contractions (left to right), sums
    (``reduce_sum``) and a final ``transpose``. Supports ``...``, implicit output, size-1
    broadcasting and repeated labels within an operand (diagonals)."""
    del optimize
    if not isinstance(subscripts, str):          # the sublist form (op, [0, 1], op, [1, 2])
        subscripts, operands = sublists_to_subscripts((subscripts, *operands))
    if not operands:
        raise ValueError("einsum: at least one operand is needed")
    ops = base.promote(*[_as_value(o) for o in operands])
    inputs, output = _einsum_labels(subscripts, [_shape(o) for o in ops])
    sizes: dict = {}
    for labels, x in zip(inputs, ops):
        for lab, d in zip(labels, _shape(x)):
            if sizes.get(lab, 1) not in (1, d) and d != 1:
                raise ValueError(f"einsum: label {lab!r} has sizes {sizes[lab]} and {d}")
            sizes[lab] = max(sizes.get(lab, 1), d)
    terms = []
    for labels, x in zip(inputs, ops):
        # a size-1 dim broadcast against a longer one: x is constant along it, so drop it
        drop = [i for i, lab in enumerate(labels) if _shape(x)[i] == 1 and sizes[lab] > 1]
        if drop:
            x = S.reshape(x, [d for i, d in enumerate(_shape(x)) if i not in drop])
            labels = [lab for i, lab in enumerate(labels) if i not in drop]
        terms.append(_einsum_diagonal(x, labels))

    def needed(skip: int) -> set:
        return set(output).union(*[set(lb) for k, (_, lb) in enumerate(terms) if k != skip])

    # sum away labels that only one operand has and the output does not keep
    for k, (x, labels) in enumerate(terms):
        keep = needed(k)
        axes = tuple(i for i, lab in enumerate(labels) if lab not in keep)
        if axes:
            terms[k] = (R.reduce_sum(x, axes), [lab for lab in labels if lab in keep])
    while len(terms) > 1:
        (x, lx), (y, ly) = terms[0], terms[1]
        keep = set(output).union(*[set(lb) for _, lb in terms[2:]])
        shared = [lab for lab in lx if lab in ly]
        batch = [lab for lab in shared if lab in keep]
        contract = [lab for lab in shared if lab not in keep]
        dn = ((tuple(lx.index(c) for c in contract), tuple(ly.index(c) for c in contract)),
              (tuple(lx.index(c) for c in batch), tuple(ly.index(c) for c in batch)))
        z = L.dot_general(x, y, dn)
        lz = batch + [lab for lab in lx if lab not in shared] + \
            [lab for lab in ly if lab not in shared]
        terms = [(z, lz)] + terms[2:]
    x, labels = terms[0]
    return S.transpose(x, tuple(labels.index(lab) for lab in output))


# ---------------------------------------------------------------- solvers and decompositions


def _broadcast_rhs(a, b, who: str, vector_axis: int = -1):
    """Broadcast batch dims of ``a`` (..., n, n) and a matrix ``b``; a 1-D ``b`` becomes a
    column (``vector_axis=-1``) or a row (``-2``). Returns (a, b, output shape)."""
    a, b = base.promote_float(a, _as_value(b))
    sa, sb = _shape(a), _shape(b)
    if not sb:
        raise ValueError(f"{who}: the right-hand side must be at least 1-D")
    vec = len(sb) == 1
    if vec:
        b = S.reshape(b, sb + (1,) if vector_axis == -1 else (1,) + sb)
        sb = _shape(b)
    try:
        batch = _broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(f"{who}: batch dims of {sa} and {sb} do not broadcast") from None
    a = S.broadcast_to(a, batch + sa[-2:])
    b = S.broadcast_to(b, batch + sb[-2:])
    return a, b, (batch + (sa[-1],) if vec else None)


def solve(a, b) -> Any:
    """``x`` with ``a @ x = b``; ``b`` is a vector when 1-D, else a (batch of) matrices."""
    a = _square_float(a, "solve")
    a, b, vec_shape = _broadcast_rhs(a, b, "solve")
    if _shape(b)[-2] != _shape(a)[-1]:
        raise ValueError(f"solve: right-hand side of shape {_shape(b)} does not fit "
                         f"{_shape(a)[-1]}x{_shape(a)[-1]} matrices")
    x = L.solve(a, b)
    return x if vec_shape is None else S.reshape(x, vec_shape)


def solve_triangular(a, b, trans: int | str = 0, lower: bool = False,
                     unit_diagonal: bool = False) -> Any:
    """``scipy.linalg.solve_triangular``: solve ``op(a) x = b`` reading one triangle of
    ``a``; ``trans`` 0/'N' (``a``), 1/'T' (``a.T``) or 2/'C' (``a.conj().T``)."""
    codes = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}
    if trans not in codes:
        raise ValueError(f"solve_triangular: invalid trans {trans!r}")
    a, b = base.promote_float(_as_value(a), _as_value(b))
    if trans in (2, "C") and get_aval(a).is_complex:   # aᴴ x = b  <=>  aᵀ x̄ = b̄
        return C.conj(triangular_solve(a, C.conj(b), lower=lower, transpose_a=True,
                                       unit_diagonal=unit_diagonal))
    return triangular_solve(a, b, lower=lower, transpose_a=codes[trans],
                            unit_diagonal=unit_diagonal)


def triangular_solve(a, b, *, lower: bool = False, transpose_a: bool = False,
                     left_side: bool = True, unit_diagonal: bool = False) -> Any:
    """Solve ``op(a) x = b`` (``left_side``) or ``x op(a) = b`` with triangular ``a``."""
    a = _square_float(a, "triangular_solve")
    a, b, vec_shape = _broadcast_rhs(a, b, "triangular_solve", -1 if left_side else -2)
    x = L.triangular_solve(a, b, lower=lower, transpose_a=transpose_a, left_side=left_side,
                           unit_diagonal=unit_diagonal)
    return x if vec_shape is None else S.reshape(x, vec_shape)


def cholesky(a, upper: bool = False) -> Any:
    """Cholesky factor of the Hermitian positive-definite ``(a + aᴴ)/2`` (lower, or ``Lᴴ``
    when ``upper``)."""
    out = L.cholesky(_square_float(a, "cholesky"))
    return C.conj(L.matrix_transpose(out)) if upper else out


def slogdet(a) -> tuple[Any, Any]:
    """``(sign, log|det a|)``; ``sign`` has a zero derivative for real ``a`` (for complex
    ``a`` it is the phase of the determinant, and moves with it)."""
    sign, logdet = L.slogdet(_square_float(a, "slogdet"))
    return sign, logdet


def det(a) -> Any:
    sign, logdet = slogdet(a)
    return E.mul(sign, E.exp(logdet) if get_aval(sign).dtype == get_aval(logdet).dtype
                 else base.convert_element_type(E.exp(logdet), get_aval(sign).dtype))


def inv(a) -> Any:
    a = _square_float(a, "inv")
    aval = get_aval(a)
    eye = np.array(np.broadcast_to(np.eye(aval.shape[-1], dtype=aval.dtype), aval.shape))
    return L.solve(a, eye)


# ---------------------------------------------------------------- norm


def _sum(x, axes):
    return R.reduce_sum(x, axes)


def _keep(y, axes: Sequence[int], nd: int):
    """A reduction over ``axes`` with the reduced dims kept as size 1."""
    shape = list(_shape(y))
    for ax in sorted(axes):
        shape.insert(ax, 1)
    del nd
    return S.reshape(y, shape)


def _vector_norm(x, ord, axes):  # noqa: A002
    if ord is None or ord == 2:
        return X.safe_sqrt(_sum(E.mul(x, x), axes))
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord == np.inf:
        return R.reduce_max(E.abs(x), axes)
    if ord == -np.inf:
        return R.reduce_min(E.abs(x), axes)
    if ord == 0:
        return _sum(base.convert_element_type(E.ne(x, 0.0), get_aval(x).dtype), axes)
    if ord == 1:
        return _sum(E.abs(x), axes)
    p = float(ord)
    return PW.pow(_sum(PW.pow(E.abs(x), p), axes), 1.0 / p)


def _matrix_norm(x, ord, row: int, col: int):  # noqa: A002
    if ord is None or ord == "fro":
        return X.safe_sqrt(_sum(E.mul(x, x), (row, col)))
    if ord in (2, -2, "nuc"):
        return _singular_value_norm(x, ord, row, col)
    if ord in (1, -1, np.inf, -np.inf):
        inner_ax, outer_ax = (row, col) if ord in (1, -1) else (col, row)
        s = _keep(_sum(E.abs(x), (inner_ax,)), (inner_ax,), len(_shape(x)))
        red = R.reduce_max if ord > 0 else R.reduce_min
        return S.reshape(red(s, (outer_ax,)),
                         [d for i, d in enumerate(_shape(s)) if i not in (row, col)])
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices")


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Any:  # noqa: A002
    """``numpy.linalg.norm``: vector norms (ord None/1/2/inf/-inf/0/p) over one axis, matrix
    norms ('fro', 'nuc', 1, -1, 2, -2, inf, -inf) over two (2, -2 and 'nuc' from singular
    values: differentiable where those are distinct and nonzero). The vector 2-norm and
    the Frobenius norm have derivative 0 at the origin (a subgradient, where the true
    derivative is undefined), not nan."""
    (x,) = base.promote_float(_as_value(x))
    nd = len(_shape(x))
    matrix = (axis is None and nd == 2) or (isinstance(axis, (tuple, list)) and len(axis) == 2)
    if get_aval(x).dtype.kind == "c" and not (matrix and ord in (2, -2, "nuc")):
        x = E.abs(x)                # every entrywise norm is the norm of the moduli
    if axis is None:
        if ord is None:
            axes = tuple(range(nd))
            out = X.safe_sqrt(_sum(E.mul(x, x), axes)) if nd else E.abs(x)
            return _keep(out, axes, nd) if keepdims else out
        if nd not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} without axis needs a 1-D or 2-D input, got "
                             f"{nd}-D")
        axis = tuple(range(nd))
    axes = _axes(axis, nd, "norm") if nd else ()
    if len(axes) == 1:
        out = _vector_norm(x, ord, axes)
    elif len(axes) == 2:
        if axes[0] == axes[1]:
            raise ValueError("norm: duplicate axes given")
        out = _matrix_norm(x, ord, axes[0], axes[1])
    else:
        raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")
    return _keep(out, axes, nd) if keepdims else out
