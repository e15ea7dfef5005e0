"""Elementwise primitives: each with its NumPy impl, shape rule, JVP and (if linear) transpose,
side by side. Binary primitives broadcast like NumPy and take operands of one dtype (the
wrappers here promote: weakly typed Python scalars defer to arrays, so float32 stays float32;
integers go to float64 for transcendental functions, as in NumPy); their transposes
unbroadcast.

Each primitive also registers its scalar impl (``core.eval.scalar_impls``: the same function on
Python floats, with ``math``), which eager scalar code runs instead of a NumPy call."""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from ..ad.rules import (
    UndefinedPrimal,
    Zero,
    add_any_p,
    bilinear,
    defzero_jvp,
    first_position,
    jvp_rules,
    linear_positions,
    transpose_rules,
    zero_like,
)
from ..batching.core import vectorized, vmap_rules
from ..core import function
from ..core.array import as_array
from ..core.avals import broadcast_shapes, real_dtype
from ..core.eval import scalar_impls
from ..core.function import is_function_arg
from ..core.primitive import Primitive
from ..core.trace import Tracer, get_aval, same_type_tracers
from ..core.trace import direct_primitives as trace_direct_primitives
from .base import (
    FAST_UNARY,
    asarray_value,
    concrete_binary,
    concrete_float,
    convert_element_type,
    inexact_tracer,
    promote,
    promote_float,
)
from .compare import (  # noqa: F401  (re-exported: every elementwise primitive is E.<name>)
    ANY,
    FLOAT,
    INEXACT,
    INTEGRAL,
    NUMERIC,
    ORDERED,
    REAL,
    and_p,
    binary_primitive,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    check_kind,
    eq,
    eq_p,
    ge,
    ge_p,
    gt,
    gt_p,
    le,
    le_p,
    lt,
    lt_p,
    ne,
    ne_p,
    not_p,
    or_p,
    select,
    select_p,
    unary_primitive,
    xor_p,
)
from .complex import conj, real
from .shape import defjvp, unbroadcast

# NumPy name -> function, for the functions made by ``_op``: ``lintra.numpy`` exports them all
NUMPY_NAMES: dict = {}

_MATH_ERRORS = (ValueError, ArithmeticError)


def guarded(fast, p: Primitive):
    """The scalar impl ``fast`` (``math`` on floats) where it returns, and ``p``'s NumPy impl
    where it raises (log(-1) -> nan, 1/0 -> inf, exp overflow -> inf), so that the result is
    what NumPy code gives. ``unguarded`` lets generated code inline the ``try``."""
    def scalar(*args, **params):
        try:
            return fast(*args, **params)
        except _MATH_ERRORS:
            with np.errstate(all="ignore"):
                return float(p.impl(*args, **params))
    scalar.__name__ = f"scalar_{p.name}"
    scalar.unguarded = fast
    return scalar


def _ct_for(arg, ct):
    """Cotangent of a binary op's input: unbroadcast for linear inputs, None otherwise."""
    return unbroadcast(ct, arg.aval) if isinstance(arg, UndefinedPrimal) else None


# ---------------------------------------------------------------- linear: neg, add, sub

neg_p = unary_primitive("neg", np.negative, NUMERIC)
add_p = binary_primitive("add", np.add, ANY)
sub_p = binary_primitive("sub", np.subtract)


def neg(x):
    return neg_p.bind(asarray_value(x))


def add(x, y):
    if same_type_tracers(x, y):
        return add_p.bind(x, y)
    if concrete_float(x) and concrete_float(y):
        return concrete_binary(add_p, x, y)
    return add_p.bind(*promote(x, y))


def sub(x, y):
    if same_type_tracers(x, y):
        return sub_p.bind(x, y)
    if concrete_float(x) and concrete_float(y):
        return concrete_binary(sub_p, x, y)
    return sub_p.bind(*promote(x, y))


defjvp(neg_p, lambda t, x: neg(t))
transpose_rules[neg_p] = lambda ct, x: [neg(ct)]
linear_positions[neg_p] = first_position
scalar_impls[neg_p] = operator.neg

defjvp(add_p, lambda t, x, y: t, lambda t, x, y: t)
transpose_rules[add_p] = lambda ct, x, y: [_ct_for(x, ct), _ct_for(y, ct)]
linear_positions[add_p] = lambda params, n: (0, 1)
scalar_impls[add_p] = operator.add
scalar_impls[add_any_p] = operator.add   # add_any (ad.rules, no ops there) is add on floats

defjvp(sub_p, lambda t, x, y: t, lambda t, x, y: neg(t))
transpose_rules[sub_p] = lambda ct, x, y: [_ct_for(x, ct), _ct_for(y, neg(ct))]
linear_positions[sub_p] = lambda params, n: (0, 1)
scalar_impls[sub_p] = operator.sub

# ---------------------------------------------------------------- mul, div

mul_p = binary_primitive("mul", np.multiply, ANY)
div_p = binary_primitive("div", np.true_divide, INEXACT)


def mul(x, y):
    if same_type_tracers(x, y):
        return mul_p.bind(x, y)
    if concrete_float(x) and concrete_float(y):
        return concrete_binary(mul_p, x, y)
    x, y = promote(x, y)
    if _is_one(y, x):                            # rules multiply by 1.0 where a factor is 1
        return x
    if _is_one(x, y):
        return y
    return mul_p.bind(x, y)


trace_direct_primitives.update(add=add_p, subtract=sub_p, multiply=mul_p)


def _is_one(c, other) -> bool:
    """``c`` is a small concrete array of ones and ``other`` a traced value that multiplying
    by it leaves unchanged (same dtype, and ``c`` broadcasts to its shape)."""
    if not isinstance(other, Tracer) or isinstance(c, Tracer) or np.size(c) > 16:
        return False
    a, b = get_aval(c), other.aval
    return (a.dtype == b.dtype and len(a.shape) <= len(b.shape)
            and broadcast_shapes(a.shape, b.shape) == b.shape and bool(np.all(c == 1)))


def div(x, y):
    """True division; integers divide to float64 (NumPy's ``/``)."""
    if same_type_tracers(x, y) and x.aval.dtype.kind in "fc":
        return div_p.bind(x, y)
    if concrete_float(x) and concrete_float(y):
        return concrete_binary(div_p, x, y)
    return div_p.bind(*promote_float(x, y))


def _mul_transpose(ct, x, y):
    if isinstance(x, UndefinedPrimal):
        return [unbroadcast(mul(ct, y), x.aval), None]
    return [None, unbroadcast(mul(x, ct), y.aval)]


defjvp(mul_p, lambda t, x, y: mul(t, y), lambda t, x, y: mul(x, t))
transpose_rules[mul_p] = _mul_transpose
linear_positions[mul_p] = lambda params, n: (0, 1)
bilinear.add(mul_p)
scalar_impls[mul_p] = operator.mul

defjvp(div_p, lambda t, x, y: div(t, y),
       lambda t, x, y: neg(mul(t, div(div(x, y), y))))
transpose_rules[div_p] = lambda ct, x, y: [unbroadcast(div(ct, y), x.aval), None]
linear_positions[div_p] = first_position
scalar_impls[div_p] = guarded(operator.truediv, div_p)   # x / 0: math raises, NumPy ±inf/nan

# ---------------------------------------------------------------- unary float functions
# One block per primitive: the primitive (NumPy impl, shape rule), its function (``_op``, with
# the names ``lintra.numpy`` exports it under), its JVP, its scalar impl (eager scalar code).


def _op(p, *numpy_names: str):
    """The function of a unary float primitive, exported by ``lintra.numpy`` as
    ``numpy_names``; eager mode installs its scalar fast path in ``FAST_UNARY[p]``."""
    impl = p.impl
    fast_by_type = FAST_UNARY.setdefault(p, {})

    def op(x):
        t = type(x)
        if t is float or t is np.float64:
            return impl(x)                      # concrete floats: nothing to trace or promote
        if t is np.ndarray and x.dtype.kind == "f":
            return as_array(impl(x))            # lintra.numpy's concrete arrays are Arrays
        fast = fast_by_type.get(t)              # eager mode's scalar fast path (eager/fast.py)
        if fast is not None:
            out = fast(p, x)
            if out is not NotImplemented:
                return out
        if inexact_tracer(x):                   # nothing to promote or view
            return p.bind(x)
        if is_function_arg(x):                  # pointwise on a function (lintra.functional)
            return function.pointwise(op, (x,), {})
        (x,) = promote_float(x)
        return as_array(p.bind(x))
    op.__name__ = p.name
    op.__doc__ = f"Elementwise {p.name}; integers are computed in float64."
    for name in numpy_names:
        if name in NUMPY_NAMES:
            raise ValueError(f"lintra.numpy.{name} is already defined")
        NUMPY_NAMES[name] = op
    return op


exp_p = unary_primitive("exp", np.exp, INEXACT)
exp = _op(exp_p, "exp")
defjvp(exp_p, lambda t, x: mul(t, exp(x)))
scalar_impls[exp_p] = guarded(math.exp, exp_p)

expm1_p = unary_primitive("expm1", np.expm1, INEXACT)
expm1 = _op(expm1_p, "expm1")
defjvp(expm1_p, lambda t, x: mul(t, exp(x)))
scalar_impls[expm1_p] = guarded(math.expm1, expm1_p)

log_p = unary_primitive("log", np.log, INEXACT)
log = _op(log_p, "log")
defjvp(log_p, lambda t, x: div(t, x))
scalar_impls[log_p] = guarded(math.log, log_p)

log1p_p = unary_primitive("log1p", np.log1p, INEXACT)
log1p = _op(log1p_p, "log1p")
defjvp(log1p_p, lambda t, x: div(t, add(x, 1.0)))
scalar_impls[log1p_p] = guarded(math.log1p, log1p_p)

sqrt_p = unary_primitive("sqrt", np.sqrt, INEXACT)
sqrt = _op(sqrt_p, "sqrt")
defjvp(sqrt_p, lambda t, x: div(t, mul(2.0, sqrt(x))))
scalar_impls[sqrt_p] = guarded(math.sqrt, sqrt_p)

sin_p = unary_primitive("sin", np.sin, INEXACT)
sin = _op(sin_p, "sin")
defjvp(sin_p, lambda t, x: mul(t, cos(x)))
scalar_impls[sin_p] = guarded(math.sin, sin_p)         # sin(inf): math raises, NumPy nan

cos_p = unary_primitive("cos", np.cos, INEXACT)
cos = _op(cos_p, "cos")
defjvp(cos_p, lambda t, x: mul(t, neg(sin(x))))   # the negation stays on the primal side
scalar_impls[cos_p] = guarded(math.cos, cos_p)

tan_p = unary_primitive("tan", np.tan, INEXACT)
tan = _op(tan_p, "tan")
defjvp(tan_p, lambda t, x: mul(t, add(1.0, square(tan(x)))))
scalar_impls[tan_p] = guarded(math.tan, tan_p)

asin_p = unary_primitive("asin", np.arcsin, INEXACT)
asin = _op(asin_p, "arcsin")
defjvp(asin_p, lambda t, x: div(t, sqrt(sub(1.0, square(x)))))
scalar_impls[asin_p] = guarded(math.asin, asin_p)      # |x| > 1: math raises, NumPy nan

acos_p = unary_primitive("acos", np.arccos, INEXACT)
acos = _op(acos_p, "arccos")
defjvp(acos_p, lambda t, x: div(t, neg(sqrt(sub(1.0, square(x))))))
scalar_impls[acos_p] = guarded(math.acos, acos_p)

atan_p = unary_primitive("atan", np.arctan, INEXACT)
atan = _op(atan_p, "arctan")
defjvp(atan_p, lambda t, x: div(t, add(1.0, square(x))))
scalar_impls[atan_p] = guarded(math.atan, atan_p)

sinh_p = unary_primitive("sinh", np.sinh, INEXACT)
sinh = _op(sinh_p, "sinh")
defjvp(sinh_p, lambda t, x: mul(t, cosh(x)))
scalar_impls[sinh_p] = guarded(math.sinh, sinh_p)      # overflow: math raises, NumPy ±inf

cosh_p = unary_primitive("cosh", np.cosh, INEXACT)
cosh = _op(cosh_p, "cosh")
defjvp(cosh_p, lambda t, x: mul(t, sinh(x)))
scalar_impls[cosh_p] = guarded(math.cosh, cosh_p)

tanh_p = unary_primitive("tanh", np.tanh, INEXACT)
tanh = _op(tanh_p, "tanh")
defjvp(tanh_p, lambda t, x: mul(t, sub(1.0, square(tanh(x)))))
scalar_impls[tanh_p] = guarded(math.tanh, tanh_p)

asinh_p = unary_primitive("asinh", np.arcsinh, INEXACT)
asinh = _op(asinh_p, "arcsinh")
defjvp(asinh_p, lambda t, x: div(t, sqrt(add(square(x), 1.0))))
scalar_impls[asinh_p] = guarded(math.asinh, asinh_p)

acosh_p = unary_primitive("acosh", np.arccosh, INEXACT)
acosh = _op(acosh_p, "arccosh")
def _acosh_jvp(t, x):
    if get_aval(x).dtype.kind == "c":       # the principal branch: sqrt(z-1) sqrt(z+1)
        return div(t, mul(sqrt(sub(x, 1.0)), sqrt(add(x, 1.0))))
    return div(t, sqrt(sub(square(x), 1.0)))


defjvp(acosh_p, _acosh_jvp)
scalar_impls[acosh_p] = guarded(math.acosh, acosh_p)   # x < 1: math raises, NumPy nan

atanh_p = unary_primitive("atanh", np.arctanh, INEXACT)
atanh = _op(atanh_p, "arctanh")
defjvp(atanh_p, lambda t, x: div(t, sub(1.0, square(x))))
scalar_impls[atanh_p] = guarded(math.atanh, atanh_p)   # atanh(±1): math raises, NumPy ±inf


def _logistic_impl(x):
    """1 / (1 + exp(-x)), without overflow for large |x|."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _logistic_scalar(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)                             # x < 0 or nan: no overflow
    return e / (1.0 + e)


logistic_p = unary_primitive("logistic", _logistic_impl)
logistic = _op(logistic_p, "logistic", "sigmoid", "expit")
defjvp(logistic_p, lambda t, x: mul(t, mul(logistic(x), logistic(neg(x)))))
scalar_impls[logistic_p] = _logistic_scalar

try:  # scipy's erf is vectorized; the core needs only NumPy
    from scipy.special import erf as _erf_impl
except ImportError:  # pragma: no cover
    def _erf_impl(x):
        x = np.asarray(x)
        return np.vectorize(math.erf, otypes=[x.dtype])(x)

erf_p = unary_primitive("erf", lambda x: np.asarray(_erf_impl(x)).astype(np.asarray(x).dtype))
erf = _op(erf_p, "erf")
defjvp(erf_p, lambda t, x: mul(t, mul(2.0 / math.sqrt(math.pi), exp(neg(square(x))))))
scalar_impls[erf_p] = math.erf


def square(x):
    return integer_pow(x, 2)


# ---------------------------------------------------------------- piecewise

abs_p = unary_primitive("abs", np.abs, NUMERIC)
_numeric_shape = abs_p.shape_rule
abs_p.def_shape(lambda x: _numeric_shape(x).update(dtype=real_dtype(x.dtype)))  # |z| is real
sign_p = unary_primitive("sign", np.sign, NUMERIC)
floor_p = unary_primitive("floor", np.floor)
ceil_p = unary_primitive("ceil", np.ceil)
round_p = unary_primitive("round", np.round)


def abs(x):  # noqa: A001
    return abs_p.bind(*promote(x))


def sign(x):
    return sign_p.bind(*promote(x))


def _rounding(p):
    def op(x):
        (x,) = promote(x)
        if get_aval(x).dtype.kind in "iu":   # integers are already integral (NumPy 2 keeps them)
            return x
        (x,) = promote_float(x)
        return p.bind(x)
    op.__name__ = p.name
    return op


floor, ceil, round = map(_rounding, (floor_p, ceil_p, round_p))  # noqa: A001

def _unit(x):
    """z / |z| of complex ``z``, 0 at 0; with the |z| it divides by (1 at 0)."""
    a = abs(x)
    safe = select(eq(a, 0.0), 1.0, a)
    return div(x, convert_element_type(safe, get_aval(x).dtype)), safe


def _abs_jvp(t, x):
    if get_aval(x).dtype.kind == "c":       # d|z| = Re(conj(z/|z|) dz); 0 at z = 0 (JAX)
        return real(mul(conj(_unit(x)[0]), t))
    return mul(t, sign(x))


def _sign_jvp(primals, tangents):
    """Piecewise constant on reals; z/|z| on complex moves with z: d(z/|z|) =
    (dz - u Re(conj(u) dz)) / |z| with u = z/|z| (0 at z = 0)."""
    (x,), (t,) = primals, tangents
    out = sign_p.bind(x)
    if isinstance(t, Zero) or get_aval(x).dtype.kind != "c":
        return out, zero_like(out)
    u, a = _unit(x)
    radial = mul(u, convert_element_type(real(mul(conj(u), t)), get_aval(x).dtype))
    return out, div(sub(t, radial), convert_element_type(a, get_aval(x).dtype))


defjvp(abs_p, _abs_jvp)
jvp_rules[sign_p] = _sign_jvp
for _p in (floor_p, ceil_p, round_p):
    defzero_jvp(_p)


def _sign_scalar(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else x))


def _floor_scalar(x):
    r = float(math.floor(x))                    # raises on inf and nan: guarded
    return r if r else math.copysign(0.0, x)    # floor(-0.0) is -0.0, as in NumPy


def _ceil_scalar(x):
    r = float(math.ceil(x))
    return r if r else math.copysign(0.0, x)    # ceil(-0.5) is -0.0


scalar_impls[abs_p] = operator.abs
scalar_impls[sign_p] = _sign_scalar
scalar_impls[floor_p] = guarded(_floor_scalar, floor_p)
scalar_impls[ceil_p] = guarded(_ceil_scalar, ceil_p)
scalar_impls[round_p] = lambda x: builtins.round(x, 0)   # half to even, like np.round

# ---------------------------------------------------------------- integer_pow
# (``square`` and the JVPs above use it, so it lives here; pow, atan2 and rem are in powers.py)

integer_pow_p = Primitive("integer_pow")
integer_pow_p.def_impl(lambda x, *, n: np.power(x, np.asarray(n, np.asarray(x).dtype)))
vmap_rules[integer_pow_p] = vectorized(integer_pow_p)


@integer_pow_p.def_shape
def _integer_pow_shape(x, *, n):
    check_kind("integer_pow", NUMERIC, x)
    if x.dtype.kind in "iu" and n < 0:
        raise ValueError(f"integer_pow: integers to negative integer powers are not allowed "
                         f"(got {x} ** {n}), as in NumPy; convert to float first")
    return x.strip_weak()


def integer_pow(x, n: int):
    (x,) = promote(x)
    if get_aval(x).dtype.kind == "b":
        (x,) = promote_float(x)
    if n == 1 and isinstance(x, Tracer):         # (the JVP of x ** 2 asks for x ** 1)
        return x
    return integer_pow_p.bind(x, n=int(n))


def _integer_pow_jvp(t, x, *, n):
    if n == 0:
        return Zero(get_aval(t).strip_weak())
    if n == 1:
        return t
    return mul(t, mul(float(n), integer_pow(x, n - 1)))


defjvp(integer_pow_p, _integer_pow_jvp)
scalar_impls[integer_pow_p] = guarded(lambda x, *, n: x ** n, integer_pow_p)
