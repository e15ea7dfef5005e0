"""Lowerings of the primitives to native code (``lintra.backends.native``), one entry per
primitive in that backend's tables, as ``taylor.py`` holds the jet rules: elementwise
primitives as scalar code (the backend fuses them into loops), the others on whole values.
Primitives without an entry (linalg, FFT, special functions, debug, ...) call back into
their interpreter ``impl`` from native code (``backends/native/callback.py``)."""

from __future__ import annotations

import numpy as np

from ..ad.rules import add_any_p
from ..backends.native.rules import (
    NotLowerable,
    cheap,
    elementwise_rules,
    lowering_rules,
    opaque_ok,
    reads_once,
    vm_cumulative,
    vm_data_movement,
    vm_reductions,
    vm_scatters,
)
from . import elementwise as E
from . import extrema, reductions, shape, structure
from . import powers as PW
from .base import convert_element_type_p, stop_gradient_p
from .call import call_p
from .checkpoint import name_p
from .control_cond import cond_p
from .control_scan import scan_p
from .control_while import while_p
from .custom import custom_jvp_call_p, custom_vjp_call_p
from .indexing import scatter_add_p, scatter_p, take_p

W = elementwise_rules
L = lowering_rules

# ---------------------------------------------------------------- elementwise


def _add(g, x, y):
    return g.or_(x, y) if g.is_bool else g.add(x, y)


W[E.add_p] = W[add_any_p] = _add
W[E.sub_p] = lambda g, x, y: g.sub(x, y)
W[E.mul_p] = lambda g, x, y: g.mul(x, y)
W[E.div_p] = lambda g, x, y: g.div(x, y)
W[E.neg_p] = lambda g, x: g.neg(x)
cheap.update([E.add_p, add_any_p, E.sub_p, E.mul_p, E.neg_p])


def _libm(name):
    return lambda g, x: g.math(name, x)


for _p, _name in [(E.exp_p, "exp"), (E.expm1_p, "expm1"), (E.log_p, "log"),
                  (E.log1p_p, "log1p"), (E.sqrt_p, "sqrt"), (E.sin_p, "sin"),
                  (E.cos_p, "cos"), (E.tan_p, "tan"), (E.asin_p, "asin"), (E.acos_p, "acos"),
                  (E.atan_p, "atan"), (E.sinh_p, "sinh"), (E.cosh_p, "cosh"),
                  (E.tanh_p, "tanh"), (E.asinh_p, "asinh"), (E.acosh_p, "acosh"),
                  (E.atanh_p, "atanh"), (E.erf_p, "erf"), (E.floor_p, "floor"),
                  (E.ceil_p, "ceil"), (E.round_p, "roundeven")]:
    W[_p] = _libm(_name)

W[PW.atan2_p] = lambda g, y, x: g.math("atan2", y, x)


def _pow(g, x, y):
    """C's ``pow``; by a scalar exponent of 0.5, ``sqrt``, as NumPy's loop computes it:
    (-0.0) ** 0.5 is -0.0 and (-inf) ** 0.5 nan, where ``pow`` gives 0.0 and inf."""
    if not g.is_float:
        g.decline("integer pow")
    if not g.is_scalar_operand(1):
        return g.math("pow", x, y)
    return g.select(g.cmp("==", y, g.const(0.5)), g.math("sqrt", x), g.math("pow", x, y))


W[PW.pow_p] = _pow


def _logistic(g, x):
    """1/(1+e^-x) for x >= 0, e^x/(1+e^x) otherwise: no overflow (the interpreter's form)."""
    one = g.const(1.0)
    e = g.math("exp", g.neg(g.math("fabs", x)))
    pos = g.cmp(">=", x, g.const(0.0))
    return g.select(pos, g.div(one, g.add(one, e)), g.div(e, g.add(one, e)))


W[E.logistic_p] = _logistic


def _abs(g, x):
    if g.is_float:
        return g.math("fabs", x)
    if not g.is_signed:
        return x
    return g.select(g.cmp("<", x, g.const(0)), g.neg(x), x)


def _sign(g, x):
    zero = g.const(0)
    if not g.is_signed and not g.is_float:
        return g.select(g.cmp(">", x, zero), g.const(1), zero)
    # NumPy's sign: -0.0 gives 0.0 (JAX's keeps -0.0); nan stays nan
    neg = g.select(g.cmp("<", x, zero), g.const(-1), g.select(g.cmp("==", x, zero), zero, x))
    return g.select(g.cmp(">", x, zero), g.const(1), neg)


W[E.abs_p] = _abs
W[E.sign_p] = _sign


def _rem(g, x, y):
    """NumPy's remainder: the sign of the divisor (zeros too); integer x % 0 is 0. The divisor is 1
    where it is 0 or -1 (x % -1 is 0 too): INT_MIN % -1 would trap (SIGFPE) on x86."""
    zero = g.const(0)
    if g.is_float:
        r = g.frem(x, y)
    else:
        bad = g.cmp("==", y, zero)
        if g.is_signed:
            bad = g.or_(bad, g.cmp("==", y, g.const(-1)))
        r = g.srem(x, g.select(bad, g.const(1), y))
    fix = g.and_(g.cmp("!=", r, zero), g.xor(g.cmp("<", r, zero), g.cmp("<", y, zero)))
    r = g.select(fix, g.add(r, y), r)
    if g.is_float:      # a zero remainder takes the divisor's sign too (-6 % 3 is 0.0)
        return g.select(g.cmp("==", r, zero), g.math("copysign", zero, y), r)
    return g.select(g.cmp("==", y, zero), zero, r)


W[PW.rem_p] = _rem


def _integer_pow(g, x, *, n):
    if n < 0 and not g.is_float:
        g.decline("integer to a negative power")
    acc, base, k = None, x, abs(n)
    while k:
        if k & 1:
            acc = base if acc is None else g.mul(acc, base)
        k >>= 1
        if k:
            base = g.mul(base, base)
    acc = g.const(1) if acc is None else acc
    return g.div(g.const(1.0), acc) if n < 0 else acc


W[E.integer_pow_p] = _integer_pow


def _max(g, x, y):
    """NaN if either is; y where they are equal (NumPy's maximum(-0.0, 0.0) is 0.0 and
    maximum(0.0, -0.0) -0.0)."""
    if not g.is_float:
        return g.select(g.cmp(">", x, y), x, y)
    return g.select(g.isnan(x), x, g.select(g.cmp(">", x, y), x, y))


def _min(g, x, y):
    if not g.is_float:
        return g.select(g.cmp("<", x, y), x, y)
    return g.select(g.isnan(x), x, g.select(g.cmp("<", x, y), x, y))


W[extrema.max_p] = _max
W[extrema.min_p] = _min

for _p, _op in [(E.eq_p, "=="), (E.ne_p, "!="), (E.lt_p, "<"), (E.le_p, "<="),
                (E.gt_p, ">"), (E.ge_p, ">=")]:
    W[_p] = (lambda op: lambda g, x, y: g.cmp(op, x, y))(_op)
W[E.and_p] = lambda g, x, y: g.and_(x, y)
W[E.or_p] = lambda g, x, y: g.or_(x, y)
W[E.xor_p] = lambda g, x, y: g.xor(x, y)
W[E.not_p] = lambda g, x: g.not_(x)
W[E.select_p] = lambda g, p, a, b: g.select(p, a, b)
W[convert_element_type_p] = lambda g, x, *, dtype: g.convert(x, dtype)

# ---------------------------------------------------------------- no-ops and calls

# the input itself: owned (updatable in place) only if this equation is its last reader
L[stop_gradient_p] = lambda g, ins: g.lend(ins, g.updatable)
L[name_p] = lambda g, ins, **_: g.lend(ins, g.updatable)
L[call_p] = lambda g, ins, **p: g.emit_call(ins, **p)
L[custom_jvp_call_p] = lambda g, ins, *, program, **_: g.emit_program(
    program, g.lend(ins, g.updatable))
L[custom_vjp_call_p] = lambda g, ins, *, program, **_: g.emit_program(
    program, g.lend(ins, g.updatable))
L[cond_p] = lambda g, ins, **p: g.emit_cond(ins, **p)
L[scan_p] = lambda g, ins, **p: g.emit_scan(ins, **p)
L[while_p] = lambda g, ins, **p: g.emit_while(ins, **p)

# ---------------------------------------------------------------- shapes


def _broadcast_to(g, ins, *, shape):
    (x,) = ins
    return [g.lazy(g.out_aval, lambda idx: g.load(x, idx))]


def _reshape(g, ins, *, shape):
    """A view; an unmaterialized input stays so only when its one reader reads each element
    once (else each read would recompute it)."""
    return [g.view(g.unless_fused(ins[0]), g.out_aval)]


def _transpose(g, ins, *, perm):
    (x,) = ins
    inv = [perm.index(d) for d in range(len(perm))]
    return [g.tabulate(g.out_aval, lambda m: g.load_at(x, [m[inv[d]] for d in range(len(perm))]))]


def _slice(g, ins, *, start, limit, strides):
    (x,) = ins
    return [g.tabulate(g.out_aval, lambda m: g.load_at(x, [
        g.b.add(g.i64(s), g.b.mul(i, g.i64(k))) for i, s, k in zip(m, start, strides)]))]


def _rev(g, ins, *, axes):
    (x,) = ins
    n = x.aval.shape
    return [g.tabulate(g.out_aval, lambda m: g.load_at(x, [
        g.b.sub(g.i64(n[d] - 1), i) if d in axes else i for d, i in enumerate(m)]))]


def _pad(g, ins, *, config):
    x, padval = ins
    out = g.fill(g.out_aval, g.as_scalar(padval).v)
    g.loop_nest(x.aval.shape, lambda m: g.store_at(out, [
        g.b.add(g.i64(lo), g.b.mul(i, g.i64(it + 1))) for i, (lo, _, it) in zip(m, config)],
        g.load_at(x, m)))
    return [out]


def _concatenate(g, ins, *, axis):
    out = g.alloc(g.out_aval)
    off = 0
    for x in ins:
        g.loop_nest(x.aval.shape, lambda m, off=off, x=x: g.store_at(out, [
            g.b.add(i, g.i64(off)) if d == axis else i for d, i in enumerate(m)],
            g.load_at(x, m)))
        off += x.aval.shape[axis]
    return [out]


L[shape.broadcast_to_p] = _broadcast_to
L[shape.reshape_p] = _reshape
L[shape.transpose_p] = _transpose
L[structure.slice_p] = _slice
L[structure.rev_p] = _rev
L[structure.pad_p] = _pad
L[structure.concatenate_p] = _concatenate

# lowerings that only move elements: they also serve complex and float16 (opaque) buffers
opaque_ok.update([stop_gradient_p, name_p, call_p, custom_jvp_call_p, custom_vjp_call_p,
                  cond_p, scan_p, while_p, shape.broadcast_to_p, shape.reshape_p,
                  shape.transpose_p, structure.slice_p, structure.rev_p, structure.pad_p,
                  structure.concatenate_p, take_p, scatter_p])

# ---------------------------------------------------------------- reductions


F32, F64 = np.dtype("float32"), np.dtype("float64")


def accumulator(g, dtype, wide: bool):
    """The emitter a sum of ``dtype`` accumulates with and the conversion into it:
    float32 sums in float64 where ``wide`` (a 10^6-term float32 sum in a few float32
    partial sums was off by 1e-5, its variance by 1e-3; NumPy's pairwise sum by 1e-7)."""
    se = g.scalar_emitter(dtype)
    if not (wide and dtype == F32):
        return se, lambda v: v
    return g.scalar_emitter(F64), lambda v: se.convert(v, F64)


def _reducer(init, combine, wide: bool = False):
    """Reduction over trailing axes: one accumulator in a register per output element
    (LLVM vectorizes it where ``combine`` allows; ``wide``: see ``accumulator``). Over
    other axes: the input in memory order, accumulated into the output buffer
    (contiguous, vectorizable inner loops; each output element still sees its inputs in
    order, as in NumPy)."""
    def rule(g, ins, *, axes):
        (x,) = ins
        se = g.scalar_emitter(x.aval.dtype)
        axes = tuple(sorted(a % x.aval.ndim for a in axes))
        red = [x.aval.shape[a] for a in axes]
        if axes != tuple(range(x.aval.ndim - len(axes), x.aval.ndim)):
            out = g.fill(g.out_aval, init(se, x.aval.dtype))

            def step(m):
                o = [i for d, i in enumerate(m) if d not in axes]
                g.store_at(out, o, combine(se, g.load_at(out, o), g.load_at(x, m)))
            g.loop_nest(x.aval.shape, step)
            return [out]

        sa, widen = accumulator(g, x.aval.dtype, wide)

        def at(m):
            acc = g.slot(g.out_aval.update(dtype=sa.dtype))
            g.b.store(init(sa, sa.dtype), acc)

            def step(r):
                it, jt = iter(m), iter(r)
                idx = [next(jt) if d in axes else next(it) for d in range(x.aval.ndim)]
                g.b.store(combine(sa, g.b.load(acc), widen(g.load_at(x, idx))), acc)
            g.loop_nest(red, step)
            return sa.convert(g.b.load(acc), x.aval.dtype)
        return [g.tabulate(g.out_aval, at)]
    return rule


def _extreme(dtype, big: bool):
    if dtype.kind == "f":
        return -np.inf if big else np.inf
    if dtype.kind == "b":
        return not big
    info = np.iinfo(dtype)
    return info.min if big else info.max


def sum_combine(se, acc, x):
    """A sum's accumulation, reassociable (vectorized: several partial sums), as NumPy's
    pairwise sum reorders too; results agree to rounding, not bit for bit."""
    return se.or_(acc, x) if se.is_bool else se.add(acc, x, reassoc=True)


L[shape.reduce_sum_p] = _reducer(lambda se, dt: se.const(0), sum_combine, wide=True)
L[reductions.reduce_prod_p] = _reducer(lambda se, dt: se.const(1), lambda se, a, x: se.mul(a, x))
L[reductions.reduce_max_p] = _reducer(lambda se, dt: se.const(_extreme(dt, True)),
                                      lambda se, a, x: se.maximum(a, x))
L[reductions.reduce_min_p] = _reducer(lambda se, dt: se.const(_extreme(dt, False)),
                                      lambda se, a, x: se.minimum(a, x))


def _arg(better: str):
    def rule(g, ins, *, axis):
        (x,) = ins
        se = g.scalar_emitter(x.aval.dtype)
        n = x.aval.shape[axis]

        def at(m):
            best, where = g.slot(x.aval.update(shape=())), g.slot(g.out_aval)
            first = list(m[:axis]) + [g.i64(0)] + list(m[axis:])
            g.b.store(g.load_at(x, first), best)
            g.b.store(g.i64(0), where)

            def step(k):
                v, b = g.load_at(x, list(m[:axis]) + [k] + list(m[axis:])), g.b.load(best)
                take = se.cmp(better, v, b)
                if se.is_float:
                    take = se.or_(take, se.and_(se.isnan(v), se.not_(se.isnan(b))))
                g.b.store(se.select(take, v, b), best)
                g.b.store(se.select(take, k, g.b.load(where)), where)
            g.loop(n, step)
            return g.b.load(where)
        if n == 0:
            raise NotLowerable("arg-extremum of an empty axis")
        return [g.tabulate(g.out_aval, at)]
    return rule


L[reductions.argmax_p] = _arg(">")
L[reductions.argmin_p] = _arg("<")


def _cumulative(combine):
    def rule(g, ins, *, axis, reverse):
        (x,) = ins
        se = g.scalar_emitter(x.aval.dtype)
        out = g.alloc(g.out_aval)
        n = x.aval.shape[axis]
        outer = x.aval.shape[:axis] + x.aval.shape[axis + 1:]

        def line(m):
            acc = g.slot(x.aval.update(shape=()))

            def step(k):
                j = g.b.sub(g.i64(n - 1), k) if reverse else k
                idx = list(m[:axis]) + [j] + list(m[axis:])
                v = g.load_at(x, idx)
                acc_v = g.b.select(g.b.icmp_signed("==", k, g.i64(0)), v,
                                   combine(se, g.b.load(acc), v))
                g.b.store(acc_v, acc)
                g.store_at(out, idx, acc_v)
            g.loop(n, step)
        g.loop_nest(outer, line)
        return [out]
    return rule


L[reductions.cumsum_p] = _cumulative(_add)
L[reductions.cumprod_p] = _cumulative(lambda se, a, x: se.mul(a, x))

# these read each input element once: an elementwise producer fuses into their loops
reads_once.update([shape.reduce_sum_p, reductions.reduce_prod_p, reductions.reduce_max_p,
                   reductions.reduce_min_p, reductions.argmax_p, reductions.argmin_p,
                   reductions.cumsum_p, reductions.cumprod_p, shape.reshape_p,
                   shape.transpose_p, structure.slice_p, structure.rev_p, structure.pad_p,
                   structure.concatenate_p])

# ---------------------------------------------------------------- indexing


def _components(g, x_shape, idx, axis, bm):
    """The index vector at batch position ``bm``, as i64s, checked in bounds at run time."""
    k = idx.aval.shape[-1]
    se = g.scalar_emitter(idx.aval.dtype, np.dtype("int64"))
    out = []
    for j in range(k):
        n = x_shape[axis + j]
        known = g.known_at(idx, list(bm) + [g.i64(j)])
        if known is not None:            # a literal index: checked now
            if not 0 <= known < n:
                raise NotLowerable(f"index {known} out of bounds (the interpreter raises)")
            out.append(g.i64(int(known)))
            continue
        c = se.convert(g.load_at(idx, list(bm) + [g.i64(j)]), np.dtype("int64"))
        g.fail_unless(g.b.icmp_unsigned("<", c, g.i64(n)))     # negative: huge unsigned
        out.append(c)
    return out


def _take(g, ins, *, axis):
    x, idx = ins
    nb = idx.aval.ndim - 1

    def at(m):
        c = _components(g, x.aval.shape, idx, axis, m[axis:axis + nb])
        return g.load_at(x, list(m[:axis]) + c + list(m[axis + nb:]))
    return [g.tabulate(g.out_aval, at)]


def _scatter(accumulate: bool):
    def rule(g, ins, *, axis, **params):
        operand, idx, updates = ins
        if params.get("unique"):
            raise NotLowerable("scatter with unique indices (checked by the interpreter)")
        out = operand if g.updatable[0] else g.copy(operand)
        nb = idx.aval.ndim - 1
        se = g.scalar_emitter(operand.aval.dtype)

        def at(m):
            c = _components(g, operand.aval.shape, idx, axis, m[axis:axis + nb])
            pos = list(m[:axis]) + c + list(m[axis + nb:])
            u = g.load_at(updates, m)
            g.store_at(out, pos, _add(se, g.load_at(out, pos), u) if accumulate else u)
        g.loop_nest(updates.aval.shape, at)
        return [out]
    return rule


L[take_p] = _take
L[scatter_add_p] = _scatter(True)
L[scatter_p] = _scatter(False)

# ---------------------------------------------------------------- the register VM

for _p in (shape.reshape_p, shape.broadcast_to_p, shape.transpose_p, structure.slice_p,
           structure.rev_p, structure.concatenate_p, structure.pad_p, stop_gradient_p, name_p):
    vm_data_movement[_p] = (frozenset(), _p.impl)


def _gather(x, idx, *, axis):
    """``take`` at constant indices (checked when traced): one index vector is the common
    case, a plain NumPy index."""
    if idx.ndim == 1:
        return x[(slice(None),) * axis + tuple(idx.tolist())]
    return take_p.impl(x, idx, axis=axis)


vm_data_movement[take_p] = (frozenset({1}), _gather)
vm_reductions[shape.reduce_sum_p] = E.add_p
vm_reductions[reductions.reduce_prod_p] = E.mul_p
vm_reductions[reductions.reduce_max_p] = extrema.max_p
vm_reductions[reductions.reduce_min_p] = extrema.min_p
vm_cumulative[reductions.cumsum_p] = E.add_p
vm_cumulative[reductions.cumprod_p] = E.mul_p
vm_scatters[scatter_add_p] = (E.add_p, _gather)
