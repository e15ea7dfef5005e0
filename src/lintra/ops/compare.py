"""Shape rules of elementwise primitives, and the primitives the others' rules build on:
comparisons, logic and ``select`` (where). Comparisons and logic have no tangent; ``select``
is linear in its branches."""

from __future__ import annotations

import operator

import numpy as np

from ..ad.rules import (
    UndefinedPrimal,
    Zero,
    defzero_jvp,
    jvp_rules,
    linear_positions,
    transpose_rules,
)
from ..batching.core import vectorized, vmap_rules
from ..core.avals import BOOL_DTYPE, ShapedArray, broadcast_shapes
from ..core.eval import scalar_impls
from ..core.primitive import Primitive
from ..core.trace import get_aval
from .base import asarray_value, promote
from .shape import broadcast_like, broadcasting_batcher, unbroadcast

# ---------------------------------------------------------------- shape rules

# dtype kinds a primitive accepts: "c" is complex (INEXACT: real or complex floating point;
# ORDERED: what <, <=, >, >= compare, as in JAX)
NUMERIC, FLOAT, ANY, INTEGRAL = "fiuc", "f", "fiubc", "iub"
INEXACT, ORDERED, REAL = "fc", "fiub", "fiu"
KIND_NAMES = {NUMERIC: "a numeric", ANY: "an array",
              INTEGRAL: "a boolean or integer", INEXACT: "a floating-point",
              ORDERED: "a real (ordered)", REAL: "a real numeric", "c": "a complex",
              "f": "a real floating-point"}


def check_kind(name: str, kinds: str, *avals: ShapedArray) -> None:
    for a in avals:
        if a.dtype.kind not in kinds:
            raise TypeError(f"{name} expects {KIND_NAMES[kinds]} operand, got {a}")


def unary_shape(name: str, kinds: str):
    def rule(x, **_):
        check_kind(name, kinds, x)
        return x.strip_weak()
    return rule


def binary_shape(name: str, kinds: str, out_dtype=None):
    def rule(x, y, **_):
        if x.dtype != y.dtype:
            raise TypeError(f"{name}: operands must have one dtype, got {x} and {y}")
        check_kind(name, kinds, x)
        try:
            shape = broadcast_shapes(x.shape, y.shape)
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
        return ShapedArray(shape, out_dtype or x.dtype)
    return rule


def unary_primitive(name: str, impl, kinds: str = FLOAT) -> Primitive:
    p = Primitive(name)
    p.def_impl(impl)
    p.def_shape(unary_shape(name, kinds))
    vmap_rules[p] = vectorized(p)
    return p


def binary_primitive(name: str, impl, kinds: str = NUMERIC, out_dtype=None) -> Primitive:
    p = Primitive(name)
    p.def_impl(impl)
    p.def_shape(binary_shape(name, kinds, out_dtype))
    vmap_rules[p] = broadcasting_batcher(p)
    return p


# ---------------------------------------------------------------- comparisons and logic

eq_p = binary_primitive("eq", np.equal, ANY, BOOL_DTYPE)
ne_p = binary_primitive("ne", np.not_equal, ANY, BOOL_DTYPE)
lt_p = binary_primitive("lt", np.less, ORDERED, BOOL_DTYPE)
le_p = binary_primitive("le", np.less_equal, ORDERED, BOOL_DTYPE)
gt_p = binary_primitive("gt", np.greater, ORDERED, BOOL_DTYPE)
ge_p = binary_primitive("ge", np.greater_equal, ORDERED, BOOL_DTYPE)
and_p = binary_primitive("and", np.bitwise_and, INTEGRAL)
or_p = binary_primitive("or", np.bitwise_or, INTEGRAL)
xor_p = binary_primitive("xor", np.bitwise_xor, INTEGRAL)
not_p = unary_primitive("not", np.invert, INTEGRAL)

for _p in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p, and_p, or_p, xor_p, not_p):
    defzero_jvp(_p)
# and/or/xor/not take no floats: no scalar impl (see core.eval.scalar_impls)
scalar_impls.update({eq_p: operator.eq, ne_p: operator.ne, lt_p: operator.lt,
                     le_p: operator.le, gt_p: operator.gt, ge_p: operator.ge})


def _cmp(p):
    def op(x, y):
        return p.bind(*promote(x, y))
    op.__name__ = p.name
    return op


def _logic(p):
    def op(*args):
        args = promote(*args)
        p.shape_rule(*map(get_aval, args))   # NumPy's own message on floats is obscure
        return p.bind(*args)
    op.__name__ = p.name
    return op


eq, ne, lt, le, gt, ge = map(_cmp, (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = map(_logic, (and_p, or_p, xor_p, not_p))


# ---------------------------------------------------------------- select (where)

select_p = Primitive("select")
select_p.def_impl(lambda pred, a, b: np.where(pred, a, b))


@select_p.def_shape
def _select_shape(pred, a, b):
    if pred.dtype != BOOL_DTYPE:
        raise TypeError(f"select: the predicate must be boolean, got {pred}")
    if a.dtype != b.dtype:
        raise TypeError(f"select: the branches must have one dtype, got {a} and {b}")
    try:
        shape = broadcast_shapes(pred.shape, a.shape, b.shape)
    except ValueError as e:
        raise ValueError(f"select: {e}") from None
    return ShapedArray(shape, a.dtype)


def select(pred, a, b):
    """``where(pred, a, b)`` with broadcasting; a non-boolean ``pred`` means ``pred != 0``."""
    pred = asarray_value(pred)
    if get_aval(pred).dtype != BOOL_DTYPE:
        pred = ne(pred, 0)
    a, b = promote(a, b)
    return select_p.bind(pred, a, b)


def _select_jvp(primals, tangents):
    pred, a, b = primals
    _, ta, tb = tangents
    out = select_p.bind(pred, a, b)
    aval = get_aval(out).strip_weak()
    if isinstance(ta, Zero) and isinstance(tb, Zero):
        return out, Zero(aval)
    zero = np.zeros((), aval.dtype)
    ta = zero if isinstance(ta, Zero) else ta
    tb = zero if isinstance(tb, Zero) else tb
    # a zero branch may make the tangent narrower than the output: broadcast it back
    return out, broadcast_like(select_p.bind(pred, ta, tb), aval.shape)


def _select_transpose(ct, pred, a, b):
    zero = np.zeros((), get_aval(ct).dtype)
    ct_a = unbroadcast(select_p.bind(pred, ct, zero), a.aval) \
        if isinstance(a, UndefinedPrimal) else None
    ct_b = unbroadcast(select_p.bind(pred, zero, ct), b.aval) \
        if isinstance(b, UndefinedPrimal) else None
    return [None, ct_a, ct_b]


jvp_rules[select_p] = _select_jvp
transpose_rules[select_p] = _select_transpose
linear_positions[select_p] = lambda params, n: (1, 2)
vmap_rules[select_p] = broadcasting_batcher(select_p)
scalar_impls[select_p] = lambda pred, a, b: a if pred else b


