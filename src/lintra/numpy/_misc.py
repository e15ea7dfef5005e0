"""Assorted NumPy functions: floating-point pieces (``copysign``, ``rint``, ``signbit``,
``heaviside``, ``ldexp``, ``frexp``, ``modf``, ``divmod``), integers (``gcd``, ``lcm``),
``unwrap``, selection (``piecewise``, ``choose``, ``compress``, ``extract``,
``put_along_axis``) and function mapping (``apply_along_axis``, ``vectorize``).

All are compositions of lintra operations. With concrete arguments the floating-point ones
are NumPy's exactly; traced, ``signbit`` sees the sign of -0.0 (through 1/x) but not that of
a nan. Data-dependent shapes (``compress``, ``extract``) need concrete conditions;
``put_along_axis`` returns a new array (JAX's convention); ``apply_along_axis`` and
``vectorize`` map with the batching of ``lintra.vmap``."""

from __future__ import annotations

import re

import numpy as np

from ..batching.core import batch_flat
from ..core.pytree import flatten, unflatten
from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import powers as PW
from ..ops import structure as S
from ..ops.control import while_loop
from ..ops.shape import moveaxis
from . import _elementwise as L
from ._arraymath import diff
from ._basic import _as_value, _leaves
from ._index_tricks import _concrete_value
from ._indexing import at_property
from ._reductions import any as _any
from ._reductions import cumsum
from ._take import take

__all__ = ["copysign", "rint", "signbit", "heaviside", "ldexp", "frexp", "modf", "divmod",
           "gcd", "lcm", "unwrap", "piecewise", "choose", "compress", "extract",
           "put_along_axis", "apply_along_axis", "vectorize"]


def _concrete(*args) -> bool:
    return not any(isinstance(a, Tracer) for a in _leaves(list(args)))


def _float(*xs):
    """``xs`` in one float dtype; Python numbers stay weak (float32 stays float32)."""
    return base.promote_float(*(x if isinstance(x, (int, float)) else _as_value(x)
                                for x in xs))


def _full(like, v):
    """``v`` in the shape and dtype of ``like`` (``like * 0`` would be nan at inf)."""
    a = get_aval(like)
    return S.broadcast_to(np.asarray(v, a.dtype), a.shape)


def signbit(x):
    """Whether the sign bit is set (true for -0.0)."""
    if _concrete(x):
        return np.signbit(x)
    x = _float(x)[0]
    return E.select(E.eq(x, 0), E.lt(E.div(1.0, x), 0), E.lt(x, 0))


def copysign(x1, x2):
    """|x1| with the sign of x2 (derivative ±1 in x1, 0 in x2)."""
    if _concrete(x1, x2):
        return np.copysign(x1, x2)
    x1, x2 = _float(x1, x2)
    a = E.abs(x1)
    return E.select(signbit(x2), E.neg(a), a)


def rint(x):
    """Round to the nearest integer, half to even, as a float."""
    if _concrete(x):
        return np.rint(x)
    return L.round(_float(x)[0])


def heaviside(x1, x2):
    """0 for x1 < 0, x2 at 0, 1 for x1 > 0 (nan for nan)."""
    if _concrete(x1, x2):
        return np.heaviside(x1, x2)
    x1, x2 = _float(x1, x2)
    one, zero = _full(x1, 1.0), _full(x1, 0.0)
    return E.select(E.lt(x1, 0), zero, E.select(E.gt(x1, 0), one,
                                                 E.select(E.eq(x1, 0), x2, x1)))


def ldexp(x1, x2):
    """x1 · 2**x2 (x2 integer)."""
    if _concrete(x1, x2):
        return np.ldexp(x1, x2)
    x1 = _float(x1)[0]
    return E.mul(x1, PW.pow(2.0, base.convert_element_type(x2, get_aval(x1).dtype)))


def frexp(x):
    """(mantissa, exponent) with x = mantissa · 2**exponent, 0.5 <= |mantissa| < 1."""
    if _concrete(x):
        return np.frexp(x)
    x = _float(x)[0]
    ok = L.logical_and(L.isfinite(x), E.ne(x, 0))
    safe = E.select(ok, E.abs(x), _full(x, 1.0))
    e = E.add(E.floor(L.log2(safe)), 1.0)
    m = E.div(safe, PW.pow(2.0, e))
    big, small = E.ge(m, 1.0), E.lt(m, 0.5)
    e = E.select(big, E.add(e, 1.0), E.select(small, E.sub(e, 1.0), e))
    m = E.select(big, E.mul(m, 0.5), E.select(small, E.mul(m, 2.0), m))
    m = E.select(ok, E.mul(m, E.sign(x)), x)
    e = E.select(ok, e, _full(e, 0.0))
    return m, base.convert_element_type(e, np.int32)


def modf(x):
    """(fractional part, integral part), both with x's sign."""
    if _concrete(x):
        return np.modf(x)
    x = _float(x)[0]
    i = L.trunc(x)
    f = E.select(L.isinf(x), copysign(_full(x, 0.0), x), E.sub(x, i))
    return copysign(f, x), i


def divmod(x1, x2):  # noqa: A001
    """(x1 // x2, x1 % x2)."""
    return L.floor_divide(x1, x2), L.remainder(x1, x2)


def gcd(x1, x2):
    """The greatest common divisor of integers (Euclid's algorithm, a while loop)."""
    if _concrete(x1, x2):
        return np.gcd(x1, x2)
    x1, x2 = base.promote(_as_value(x1), _as_value(x2))
    if get_aval(x1).dtype.kind not in "iub":
        raise TypeError("gcd: arguments must be integers")
    shape = np.broadcast_shapes(get_aval(x1).shape, get_aval(x2).shape)
    a, b = S.broadcast_to(E.abs(x1), shape), S.broadcast_to(E.abs(x2), shape)

    def body(ab):
        a, b = ab
        nz = E.ne(b, 0)
        safe = E.select(nz, b, E.add(E.mul(b, 0), 1))
        return E.select(nz, b, a), E.select(nz, PW.rem(a, safe), b)
    return while_loop(lambda ab: _any(E.ne(ab[1], 0)), body, (a, b))[0]


def lcm(x1, x2):
    """The least common multiple of integers (0 if either is 0)."""
    if _concrete(x1, x2):
        return np.lcm(x1, x2)
    x1, x2 = base.promote(_as_value(x1), _as_value(x2))
    g = gcd(x1, x2)
    safe = E.select(E.eq(g, 0), E.add(E.mul(g, 0), 1), g)
    return E.abs(E.mul(L.floor_divide(x1, safe), x2))


def unwrap(p, discont=None, axis: int = -1, *, period=2 * np.pi):
    """``p`` with jumps larger than ``discont`` (default period/2) taken modulo ``period``."""
    p = _float(p)[0]
    discont = period / 2 if discont is None else discont
    dd = diff(p, axis=axis)
    half = period / 2
    ddmod = E.sub(L.mod(E.add(dd, half), period), half)
    ddmod = E.select(L.logical_and(E.eq(ddmod, -half), E.gt(dd, 0)),
                     _full(ddmod, half), ddmod)
    corr = E.select(E.lt(E.abs(dd), discont), _full(dd, 0.0), E.sub(ddmod, dd))
    corr = L.stop_gradient(corr)
    ax = axis % get_aval(p).ndim
    zero = S.slice_static(_full(p, 0.0), (0,) * get_aval(p).ndim,
                          tuple(1 if d == ax else n for d, n in enumerate(get_aval(p).shape)))
    return E.add(p, cumsum(S.concatenate([zero, corr], ax), axis=ax))


def piecewise(x, condlist, funclist, *args, **kw):
    """Evaluate ``funclist[i]`` (a function or a constant) where ``condlist[i]`` holds; a
    last extra entry is the default, otherwise 0 (a later condition wins). Every function
    sees all of ``x`` (JAX's semantics: shapes must be static)."""
    x = _as_value(x)
    if isinstance(condlist, (bool, np.bool_)) or get_aval(_as_value(condlist)).ndim == 0 \
            and not isinstance(condlist, (list, tuple)):
        condlist = [condlist]
    conds = list(condlist) if isinstance(condlist, (list, tuple)) else \
        [S.reshape(S.slice_static(condlist, (i,) + (0,) * (get_aval(condlist).ndim - 1),
                                  (i + 1,) + get_aval(condlist).shape[1:]),
                   get_aval(condlist).shape[1:]) for i in range(get_aval(condlist).shape[0])]
    n = len(conds)
    if len(funclist) not in (n, n + 1):
        raise ValueError(f"piecewise: with {n} condition(s), either {n} or {n + 1} "
                         f"functions are expected")
    dtype = get_aval(x).dtype

    def value(f):
        v = f(x, *args, **kw) if callable(f) else f
        return S.broadcast_to(base.convert_element_type(_as_value(v), dtype),
                              get_aval(x).shape)
    out = value(funclist[n]) if len(funclist) == n + 1 else _full(x, 0)
    for c, f in zip(conds, funclist[:n]):
        out = E.select(_as_value(c, bool), value(f), out)
    return out


def choose(a, choices, out=None, mode: str = "raise"):
    """``choices[a]`` elementwise, all broadcast together (``mode``: raise, wrap, clip;
    traced indices cannot raise and are clipped)."""
    if out is not None:
        raise NotImplementedError("choose: out= is not supported (arrays are immutable)")
    a = _as_value(a)
    choices = [_as_value(c) for c in choices]
    n = len(choices)
    if mode == "wrap":
        a = L.mod(a, n)
    elif mode == "clip" or isinstance(a, Tracer):
        a = L.clip(a, 0, n - 1)
    elif mode == "raise":
        if np.any((np.asarray(a) < 0) | (np.asarray(a) >= n)):
            raise ValueError("choose: invalid entry in choice array")
    else:
        raise ValueError(f"choose: clipmode not understood: {mode!r}")
    dt = np.result_type(*(get_aval(c).dtype for c in choices))
    shape = np.broadcast_shapes(get_aval(a).shape, *(get_aval(c).shape for c in choices))
    res = S.broadcast_to(base.convert_element_type(choices[0], dt), shape)
    for i in range(1, n):
        c = S.broadcast_to(base.convert_element_type(choices[i], dt), shape)
        res = E.select(S.broadcast_to(E.eq(a, i), shape), c, res)
    return res


def compress(condition, a, axis=None):
    """The slices of ``a`` along ``axis`` where the (concrete) ``condition`` holds."""
    cond = _concrete_value(condition, "compress").astype(bool).ravel()
    a = _as_value(a)
    if axis is None:
        a, axis = S.reshape(a, (-1,)), 0
    return take(a, np.nonzero(cond)[0], axis=axis)


def extract(condition, arr):
    """The elements of ``arr`` where the (concrete) ``condition`` holds, flattened."""
    cond = _concrete_value(condition, "extract").astype(bool).ravel()
    arr = S.reshape(_as_value(arr), (-1,))
    return take(arr, np.nonzero(cond)[0][np.nonzero(cond)[0] < get_aval(arr).shape[0]])


def put_along_axis(arr, indices, values, axis, inplace: bool = False, mode=None):
    """A copy of ``arr`` with ``values`` put at ``indices`` along ``axis`` (JAX's
    convention: arrays are immutable, so ``inplace`` must be False)."""
    if inplace:
        raise ValueError("put_along_axis: lintra arrays are immutable; pass inplace=False "
                         "and use the result")
    arr, ind = _as_value(arr), _as_value(indices)
    if axis is None:          # NumPy puts into the flattened array, keeping arr's shape
        shape = get_aval(arr).shape
        flat = put_along_axis(S.reshape(arr, (-1,)), S.reshape(ind, (-1,)),
                              S.reshape(_as_value(values), (-1,))
                              if get_aval(_as_value(values)).ndim else values, 0)
        return S.reshape(flat, shape)
    nd = get_aval(arr).ndim
    if get_aval(ind).ndim != nd:
        raise ValueError("put_along_axis: indices and arr must have the same number of "
                         "dimensions")
    axis = axis % nd
    ishape = get_aval(ind).shape
    idx = tuple(ind if d == axis else
                np.arange(ishape[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1))
                for d in range(nd))
    return at_property(arr)[idx].set(values)


def _map0(f):
    """``f`` mapped over the leading axis of all its (array) arguments, the results' mapped
    axis leading too (``lintra.vmap`` with its defaults; the numpy layer sits below it)."""
    def batched(*args):
        store = {}

        def flat_fun(*xs):
            leaves, store["tree"] = flatten(f(*xs))
            return leaves
        size = get_aval(args[0]).shape[0]
        outs, dims = batch_flat(flat_fun, list(args), [0] * len(args), size)
        res = []
        for o, d in zip(outs, dims):
            if d is None:
                o = _as_value(o)
                shape = get_aval(o).shape
                o, d = S.broadcast_to(S.reshape(o, (1,) + shape), (size,) + shape), 0
            res.append(moveaxis(o, d, 0))
        return unflatten(store["tree"], res)
    return batched


def apply_along_axis(func1d, axis: int, arr, *args, **kwargs):
    """``func1d`` applied to the 1-D slices of ``arr`` along ``axis`` (mapped over the other
    axes; the slices' result dimensions take ``axis``'s place)."""
    arr = _as_value(arr)
    nd = get_aval(arr).ndim
    axis = axis % nd
    moved = moveaxis(arr, axis, nd - 1)

    def func(a):
        return _as_value(func1d(a, *args, **kwargs))
    for _ in range(nd - 1):
        func = _map0(func)
    out = func(moved)
    k = get_aval(out).ndim - (nd - 1)
    perm = list(range(axis)) + list(range(nd - 1, nd - 1 + k)) + list(range(axis, nd - 1))
    return S.transpose(out, tuple(perm))


def _core_dims(signature: str | None, n: int):
    """The core dimension names of each input in a gufunc ``signature`` ("(m,n),(n)->(m)")."""
    if signature is None:
        return [()] * n
    m = re.fullmatch(r"\s*(.*?)\s*->\s*(.*?)\s*", signature)
    if m is None:
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    ins = [tuple(d.strip() for d in g.split(",") if d.strip())
           for g in re.findall(r"\(([^()]*)\)", m.group(1))]
    if len(ins) != n:
        raise TypeError(f"vectorize: wrong number of positional arguments: expected "
                        f"{len(ins)}, got {n}")
    return ins


def vectorize(pyfunc, *, excluded=frozenset(), signature: str | None = None):
    """``pyfunc`` broadcast over its arguments' leading (loop) dimensions with
    batching (``lintra.vmap``): on scalars, or on the core dimensions that a gufunc ``signature``
    names. Positions or keywords in ``excluded`` pass through unmapped."""
    excluded = frozenset(excluded)

    def wrapped(*args, **kwargs):
        ex_pos = {i for i in excluded if isinstance(i, int)}
        names = [k for k in kwargs if k not in excluded]
        fixed_kw = {k: v for k, v in kwargs.items() if k in excluded}
        mapped = [a for i, a in enumerate(args) if i not in ex_pos] + [kwargs[k] for k in names]

        def core(*vs):
            it = iter(vs)
            full = [args[i] if i in ex_pos else next(it) for i in range(len(args))]
            kw = dict(fixed_kw, **{k: next(it) for k in names})
            return pyfunc(*full, **kw)
        dims = _core_dims(signature, len(mapped))
        vals = [_as_value(v) for v in mapped]
        loops = []
        for v, d in zip(vals, dims):
            s = get_aval(v).shape
            if len(s) < len(d):
                raise ValueError(f"vectorize: input with shape {s} has fewer dimensions than "
                                 f"its core dimensions {d}")
            loops.append(s[:len(s) - len(d)])
        loop = np.broadcast_shapes(*loops) if loops else ()
        vals = [S.broadcast_to(v, loop + get_aval(v).shape[len(ls):])
                for v, ls in zip(vals, loops)]
        f = core
        for _ in loop:
            f = _map0(f)
        return f(*vals)
    wrapped.__name__ = getattr(pyfunc, "__name__", "vectorized")
    wrapped.__doc__ = getattr(pyfunc, "__doc__", None)
    return wrapped
