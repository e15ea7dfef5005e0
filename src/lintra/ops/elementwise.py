"""Elementwise primitives: each with its NumPy impl, shape rule, JVP and (if linear) transpose,
side by side. Binary primitives broadcast like NumPy and take operands of one dtype (the
``lintra.numpy`` layer promotes); their transposes unbroadcast."""

from __future__ import annotations

import math

import numpy as np

from ..core.avals import BOOL_DTYPE, ShapedArray, broadcast_shapes
from ..core.primitive import Primitive, defjvp, defzero_jvp
from ..core.trace import Zero
from .base import promote, promote_float, unbroadcast

# ---------------------------------------------------------------- shape rules


def _unary_shape(x, **_):
    return x.strip_weak()


def _float_unary_shape(x, **_):
    if not x.is_float:
        raise TypeError(f"expects a floating-point operand, got {x}")
    return x.strip_weak()


def _binary_shape(x, y, **_):
    if x.dtype != y.dtype:
        raise TypeError(f"operands must have one dtype, got {x} and {y}")
    return ShapedArray(broadcast_shapes(x.shape, y.shape), x.dtype)


def _compare_shape(x, y):
    if x.dtype != y.dtype:
        raise TypeError(f"operands must have one dtype, got {x} and {y}")
    return ShapedArray(broadcast_shapes(x.shape, y.shape), BOOL_DTYPE)


def _unary(name: str, impl, shape=_float_unary_shape) -> Primitive:
    p = Primitive(name)
    p.def_impl(impl)
    p.def_shape(shape)
    return p


def _binary(name: str, impl, shape=_binary_shape) -> Primitive:
    p = Primitive(name)
    p.def_impl(impl)
    p.def_shape(shape)
    return p


# ---------------------------------------------------------------- linear: neg, add, sub

neg_p = _unary("neg", np.negative, _unary_shape)
add_p = _binary("add", np.add)
sub_p = _binary("sub", np.subtract)


def neg(x):
    return neg_p.bind(x)


def add(x, y):
    return add_p.bind(*promote(x, y))


def sub(x, y):
    return sub_p.bind(*promote(x, y))


def _ct_for(arg, ct):
    """Cotangent of a binary op's input: unbroadcast for linear inputs, None otherwise."""
    from ..ad.transpose import UndefinedPrimal
    return unbroadcast(ct, arg.aval) if isinstance(arg, UndefinedPrimal) else None


defjvp(neg_p, lambda t, x: neg(t))
neg_p.transpose = lambda ct, x: [neg(ct)]
neg_p.linear_in = lambda params, n: (0,)

defjvp(add_p, lambda t, x, y: t, lambda t, x, y: t)
add_p.transpose = lambda ct, x, y: [_ct_for(x, ct), _ct_for(y, ct)]
add_p.linear_in = lambda params, n: (0, 1)

defjvp(sub_p, lambda t, x, y: t, lambda t, x, y: neg(t))
sub_p.transpose = lambda ct, x, y: [_ct_for(x, ct), _ct_for(y, neg(ct))]
sub_p.linear_in = lambda params, n: (0, 1)

# ---------------------------------------------------------------- mul, div

mul_p = _binary("mul", np.multiply)
div_p = _binary("div", np.true_divide)


def mul(x, y):
    return mul_p.bind(*promote(x, y))


def div(x, y):
    return div_p.bind(*promote_float(x, y))


def _mul_transpose(ct, x, y):
    from ..ad.transpose import UndefinedPrimal
    if isinstance(x, UndefinedPrimal):
        return [unbroadcast(mul(ct, y), x.aval), None]
    return [None, unbroadcast(mul(x, ct), y.aval)]


defjvp(mul_p, lambda t, x, y: mul(t, y), lambda t, x, y: mul(x, t))
mul_p.transpose = _mul_transpose
mul_p.linear_in = lambda params, n: (0, 1)
mul_p.linear_one_of = True

defjvp(div_p, lambda t, x, y: div(t, y),
       lambda t, x, y: neg(mul(t, div(div(x, y), y))))
div_p.transpose = lambda ct, x, y: [unbroadcast(div(ct, y), x.aval), None]
div_p.linear_in = lambda params, n: (0,)

# ---------------------------------------------------------------- unary transcendental

exp_p = _unary("exp", np.exp)
expm1_p = _unary("expm1", np.expm1)
log_p = _unary("log", np.log)
log1p_p = _unary("log1p", np.log1p)
sqrt_p = _unary("sqrt", np.sqrt)
sin_p = _unary("sin", np.sin)
cos_p = _unary("cos", np.cos)
tan_p = _unary("tan", np.tan)
asin_p = _unary("asin", np.arcsin)
acos_p = _unary("acos", np.arccos)
atan_p = _unary("atan", np.arctan)
sinh_p = _unary("sinh", np.sinh)
cosh_p = _unary("cosh", np.cosh)
tanh_p = _unary("tanh", np.tanh)
asinh_p = _unary("asinh", np.arcsinh)
acosh_p = _unary("acosh", np.arccosh)
atanh_p = _unary("atanh", np.arctanh)


def _logistic_impl(x):
    x = np.asarray(x)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out[()] if out.ndim == 0 else out


logistic_p = _unary("logistic", _logistic_impl)


def _erf_impl(x):
    try:
        from scipy.special import erf
        return erf(x)
    except ImportError:  # the core needs only NumPy
        x = np.asarray(x)
        return np.vectorize(math.erf, otypes=[x.dtype])(x)[()]


erf_p = _unary("erf", _erf_impl)


def _op(p):
    def op(x):
        (x,) = promote_float(x)
        return p.bind(x)
    op.__name__ = p.name
    return op


exp, expm1, log, log1p, sqrt = map(_op, (exp_p, expm1_p, log_p, log1p_p, sqrt_p))
sin, cos, tan, asin, acos, atan = map(_op, (sin_p, cos_p, tan_p, asin_p, acos_p, atan_p))
sinh, cosh, tanh, asinh, acosh, atanh = map(_op, (sinh_p, cosh_p, tanh_p, asinh_p, acosh_p,
                                                  atanh_p))
logistic, erf = _op(logistic_p), _op(erf_p)


def square(x):
    return mul(x, x)


defjvp(exp_p, lambda t, x: mul(t, exp(x)))
defjvp(expm1_p, lambda t, x: mul(t, exp(x)))
defjvp(log_p, lambda t, x: div(t, x))
defjvp(log1p_p, lambda t, x: div(t, add(x, 1.0)))
defjvp(sqrt_p, lambda t, x: div(t, mul(2.0, sqrt(x))))
defjvp(sin_p, lambda t, x: mul(t, cos(x)))
defjvp(cos_p, lambda t, x: neg(mul(t, sin(x))))
defjvp(tan_p, lambda t, x: mul(t, add(1.0, square(tan(x)))))
defjvp(asin_p, lambda t, x: div(t, sqrt(sub(1.0, square(x)))))
defjvp(acos_p, lambda t, x: neg(div(t, sqrt(sub(1.0, square(x))))))
defjvp(atan_p, lambda t, x: div(t, add(1.0, square(x))))
defjvp(sinh_p, lambda t, x: mul(t, cosh(x)))
defjvp(cosh_p, lambda t, x: mul(t, sinh(x)))
defjvp(tanh_p, lambda t, x: mul(t, sub(1.0, square(tanh(x)))))
defjvp(asinh_p, lambda t, x: div(t, sqrt(add(square(x), 1.0))))
defjvp(acosh_p, lambda t, x: div(t, sqrt(sub(square(x), 1.0))))
defjvp(atanh_p, lambda t, x: div(t, sub(1.0, square(x))))
defjvp(logistic_p, lambda t, x: mul(t, mul(logistic(x), sub(1.0, logistic(x)))))
defjvp(erf_p, lambda t, x: mul(t, mul(2.0 / math.sqrt(math.pi), exp(neg(square(x))))))

# ---------------------------------------------------------------- piecewise

abs_p = _unary("abs", np.abs, _unary_shape)
sign_p = _unary("sign", np.sign, _unary_shape)
floor_p = _unary("floor", np.floor)
ceil_p = _unary("ceil", np.ceil)
round_p = _unary("round", np.round)


def abs(x):  # noqa: A001
    return abs_p.bind(*promote(x))


def sign(x):
    return sign_p.bind(*promote(x))


floor, ceil, round = _op(floor_p), _op(ceil_p), _op(round_p)  # noqa: A001

defjvp(abs_p, lambda t, x: mul(t, sign(x)))
for _p in (sign_p, floor_p, ceil_p, round_p):
    defzero_jvp(_p)

# ---------------------------------------------------------------- pow, integer_pow, atan2, rem

pow_p = _binary("pow", np.power)
integer_pow_p = _unary("integer_pow", lambda x, *, n: np.power(x, n), _unary_shape)
atan2_p = _binary("atan2", np.arctan2)
rem_p = _binary("rem", np.remainder)


def pow(x, y):  # noqa: A001
    if isinstance(y, int) and not isinstance(y, bool):
        return integer_pow(x, y)
    return pow_p.bind(*promote_float(x, y))


def integer_pow(x, n: int):
    (x,) = promote(x)
    if x.dtype.kind in "iu" and n < 0:
        (x,) = promote_float(x)
    return integer_pow_p.bind(x, n=int(n))


def atan2(y, x):
    return atan2_p.bind(*promote_float(y, x))


def rem(x, y):
    return rem_p.bind(*promote(x, y))


def _pow_jvp_base(t, x, y):
    # d/dx x**y = y * x**(y-1); written so that y == 0 gives 0 (not 0 * inf) at x == 0
    return mul(t, select(eq(y, 0.0), 0.0, mul(y, pow_p.bind(*promote(x, sub(y, 1.0))))))


def _pow_jvp_exponent(t, x, y):
    # d/dy x**y = log(x) * x**y, taken as 0 at x == 0 (the limit from the right for y > 0)
    safe_x = select(eq(x, 0.0), 1.0, x)
    return mul(t, select(eq(x, 0.0), 0.0, mul(log(safe_x), pow_p.bind(x, y))))


defjvp(pow_p, _pow_jvp_base, _pow_jvp_exponent)


def _integer_pow_jvp(t, x, *, n):
    if n == 0:
        return mul(t, 0.0)
    return mul(t, mul(float(n), integer_pow(x, n - 1)))


defjvp(integer_pow_p, _integer_pow_jvp)


def _atan2_jvp_y(t, y, x):
    return mul(t, div(x, add(square(x), square(y))))


def _atan2_jvp_x(t, y, x):
    return neg(mul(t, div(y, add(square(x), square(y)))))


defjvp(atan2_p, _atan2_jvp_y, _atan2_jvp_x)
defjvp(rem_p, lambda t, x, y: t, lambda t, x, y: neg(mul(t, floor(div(x, y)))))

# ---------------------------------------------------------------- maximum, minimum

max_p = _binary("max", np.maximum)
min_p = _binary("min", np.minimum)


def maximum(x, y):
    return max_p.bind(*promote(x, y))


def minimum(x, y):
    return min_p.bind(*promote(x, y))


def _balanced(t, x, y, pick):
    """Tangent share of x in max/min: 1 where x wins, 1/2 at ties (as JAX)."""
    share = select(pick(x, y), 1.0, select(eq(x, y), 0.5, 0.0))
    return mul(t, convert_share(share, t))


def convert_share(share, t):
    from .base import convert_element_type
    from ..core.trace import get_aval
    return convert_element_type(share, get_aval(t).dtype)


defjvp(max_p, lambda t, x, y: _balanced(t, x, y, gt), lambda t, x, y: _balanced(t, y, x, gt))
defjvp(min_p, lambda t, x, y: _balanced(t, x, y, lt), lambda t, x, y: _balanced(t, y, x, lt))

# ---------------------------------------------------------------- comparisons and logic

eq_p = _binary("eq", np.equal, _compare_shape)
ne_p = _binary("ne", np.not_equal, _compare_shape)
lt_p = _binary("lt", np.less, _compare_shape)
le_p = _binary("le", np.less_equal, _compare_shape)
gt_p = _binary("gt", np.greater, _compare_shape)
ge_p = _binary("ge", np.greater_equal, _compare_shape)


def _bool_shape(x, y):
    if x.dtype != y.dtype or x.dtype.kind not in "biu":
        raise TypeError(f"logical/bitwise ops take boolean or integer operands of one dtype, "
                        f"got {x} and {y}")
    return ShapedArray(broadcast_shapes(x.shape, y.shape), x.dtype)


and_p = _binary("and", np.bitwise_and, _bool_shape)
or_p = _binary("or", np.bitwise_or, _bool_shape)
xor_p = _binary("xor", np.bitwise_xor, _bool_shape)


def _not_shape(x):
    if x.dtype.kind not in "biu":
        raise TypeError(f"logical not takes a boolean or integer operand, got {x}")
    return x.strip_weak()


not_p = _unary("not", np.invert, _not_shape)

for _p in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p, and_p, or_p, xor_p, not_p):
    defzero_jvp(_p)


def _cmp(p):
    def op(x, y):
        return p.bind(*promote(x, y))
    op.__name__ = p.name
    return op


eq, ne, lt, le, gt, ge = map(_cmp, (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))
bitwise_and, bitwise_or, bitwise_xor = map(_cmp, (and_p, or_p, xor_p))


def bitwise_not(x):
    return not_p.bind(x)


# ---------------------------------------------------------------- select (where)

select_p = Primitive("select")
select_p.def_impl(lambda pred, a, b: np.where(pred, a, b))


@select_p.def_shape
def _select_shape(pred, a, b):
    if pred.dtype != BOOL_DTYPE:
        raise TypeError(f"select's predicate must be boolean, got {pred}")
    if a.dtype != b.dtype:
        raise TypeError(f"select's branches must have one dtype, got {a} and {b}")
    return ShapedArray(broadcast_shapes(pred.shape, a.shape, b.shape), a.dtype)


def select(pred, a, b):
    """``where(pred, a, b)`` with broadcasting."""
    from .base import asarray_value
    pred = asarray_value(pred)
    from ..core.trace import get_aval
    if get_aval(pred).dtype != BOOL_DTYPE:
        pred = ne(pred, 0)
    a, b = promote(a, b)
    return select_p.bind(pred, a, b)


def _select_jvp(primals, tangents):
    from ..core.trace import get_aval
    pred, a, b = primals
    _, ta, tb = tangents
    out = select_p.bind(pred, a, b)
    aval = get_aval(out).strip_weak()
    if isinstance(ta, Zero) and isinstance(tb, Zero):
        return out, Zero(aval)
    zero = np.zeros((), aval.dtype)
    ta = zero if isinstance(ta, Zero) else ta
    tb = zero if isinstance(tb, Zero) else tb
    return out, select_p.bind(pred, ta, tb)


def _select_transpose(ct, pred, a, b):
    from ..ad.transpose import UndefinedPrimal
    from ..core.trace import get_aval
    zero = np.zeros((), get_aval(ct).dtype)
    ct_a = unbroadcast(select_p.bind(pred, ct, zero), a.aval) \
        if isinstance(a, UndefinedPrimal) else None
    ct_b = unbroadcast(select_p.bind(pred, zero, ct), b.aval) \
        if isinstance(b, UndefinedPrimal) else None
    return [None, ct_a, ct_b]


select_p.jvp = _select_jvp
select_p.transpose = _select_transpose
select_p.linear_in = lambda params, n: (1, 2)


def clip(x, lo=None, hi=None):
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x
