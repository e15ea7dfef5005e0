"""Scalar impls (``core.eval.scalar_impls``): each primitive's Python-float implementation, run
by eager scalar code instead of NumPy, gives NumPy's float64 result (to an ulp or two; nan, inf
and the sign of zero as NumPy gives them), and every float elementwise primitive has one."""

import itertools
import math

import numpy as np
import pytest

import lintra.numpy as lnp
from lintra.ad.rules import add_any_p
from lintra.core.avals import ShapedArray
from lintra.core.eval import scalar_impls
from lintra.core.primitive import Primitive
from lintra.ops import base, powers
from lintra.ops import elementwise as E

F64 = np.dtype("float64")
_S = ShapedArray((), F64)
inf, nan = math.inf, math.nan

# edge cases: zeros of both signs, ±1 (domain ends of asin/acos/atanh/acosh), tiny, subnormal,
# large (exp/sinh/cosh overflow near 710), huge, infinities, nan
GRID = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.5, -2.5, 3.0, -3.0, 0.9999999, 1e-300,
        5e-324, -1e-300, math.pi / 2, 10.0, -10.0, 100.0, 709.0, 711.0, -745.5, 1e16 + 2,
        1e300, -1e300, inf, -inf, nan]
PAIR_GRID = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0, 2.5, 1e-300, 100.0, 1e300, -1e300,
             inf, -inf, nan]

# every elementwise primitive (ops/elementwise.py, ops/powers.py, and the ones ops/base.py and
# ad/rules.py define for every wrapper: convert_element_type, stop_gradient, add_any)
ELEMENTWISE = {p for m in (E, powers) for p in vars(m).values() if isinstance(p, Primitive)} | {
    add_any_p, base.convert_element_type_p, base.stop_gradient_p}

# the elementwise primitives deliberately without a scalar impl, and why
EXCLUDED = {
    E.and_p: "integer/boolean operands only: never an equation on float64 scalars",
    E.or_p: "integer/boolean operands only: never an equation on float64 scalars",
    E.xor_p: "integer/boolean operands only: never an equation on float64 scalars",
    E.not_p: "integer/boolean operands only: never an equation on float64 scalars",
}

# entries that take params or non-float operands: (operands, params) cases
SPECIAL_CASES = {
    E.integer_pow_p: [((x,), {"n": n}) for x in GRID for n in (-3, -2, -1, 0, 1, 2, 3, 7)],
    base.convert_element_type_p: [((x,), {"dtype": dt}) for x in GRID
                                  for dt in (F64, np.dtype(bool))],
    E.select_p: [((p, a, b), {}) for p in (True, False, np.True_, np.False_)
                 for a, b in [(1.5, -2.0), (nan, 0.0), (-0.0, inf)]],
}


def _arity(p) -> int:
    for n in (1, 2):
        try:
            p.abstract_eval(*[_S] * n)
            return n
        except (TypeError, ValueError):
            pass
    raise AssertionError(f"{p}: give its cases in SPECIAL_CASES")


def _cases(p):
    if p in SPECIAL_CASES:
        return SPECIAL_CASES[p]
    if _arity(p) == 1:
        return [((x,), {}) for x in GRID]
    return [(xy, {}) for xy in itertools.product(PAIR_GRID, PAIR_GRID)]


def _same(got, want) -> bool:
    """float64 ``want`` (NumPy's) and ``got`` (a Python scalar) agree: both nan, or equal
    infinities/zeros of the same sign, or within 2 ulp; booleans equal."""
    want = np.asarray(want)
    if want.dtype == np.bool_:
        return type(got) is bool and got == bool(want)
    if type(got) is not float:
        return False
    w = float(want)
    if math.isnan(w) or math.isnan(got):
        return math.isnan(w) and math.isnan(got)
    if math.isinf(w) or w == 0.0:
        return got == w and math.copysign(1.0, got) == math.copysign(1.0, w)
    return abs(got - w) <= 2 * np.spacing(abs(w))


@pytest.mark.parametrize("p", sorted(scalar_impls, key=lambda p: p.name), ids=str)
def test_scalar_impl_equals_numpy_impl(p):
    f = scalar_impls[p]
    bad = []
    for args, params in _cases(p):
        with np.errstate(all="ignore"):
            want = p.impl(*[np.float64(a) if type(a) is float else a for a in args],
                          **params)
        got = f(*args, **params)
        if not _same(got, want):
            bad.append(f"{p}{args}{params or ''}: NumPy {want!r}, scalar {got!r}")
        unguarded = getattr(f, "unguarded", None)
        if unguarded is not None:      # inlined by generated code: same result where it returns
            try:
                fast = unguarded(*args, **params)
            except (ValueError, ArithmeticError):
                continue
            if not _same(fast, want):
                bad.append(f"{p}{args}{params or ''} unguarded: NumPy {want!r}, {fast!r}")
    assert not bad, "\n".join(bad[:20])


def test_every_float_elementwise_primitive_has_a_scalar_impl():
    missing = {p for p in ELEMENTWISE if p not in scalar_impls}
    assert missing == set(EXCLUDED), (
        f"without a scalar impl: {sorted(map(str, missing - set(EXCLUDED)))}; "
        f"excluded but now present: {sorted(map(str, set(EXCLUDED) - missing))}")
    for p in EXCLUDED:               # the reason holds: no float64 operands
        with pytest.raises(TypeError):
            p.abstract_eval(*[_S] * (1 if p is E.not_p else 2))


def test_every_unary_float_function_has_a_numpy_name():
    """A unary float function is exported by ``lintra.numpy`` from its block in
    ops/elementwise.py (``_op(p, *numpy_names)``), under the names NumPy gives it."""
    named = {f.__name__ for f in E.NUMPY_NAMES.values()}
    assert named == {p.name for p in base.FAST_UNARY}
    for name, f in E.NUMPY_NAMES.items():
        assert getattr(lnp, name) is f
        assert hasattr(np, name) or name in ("logistic", "sigmoid", "expit", "erf")
