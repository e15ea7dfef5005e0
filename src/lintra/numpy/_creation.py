"""``linspace`` and ``arange``, differentiable in their float endpoints and step.

With concrete arguments they are NumPy's. ``linspace`` with traced ``start``/``stop``
(scalars or arrays) is ``start + i * step`` with NumPy's formula (the last point is ``stop``
itself when ``endpoint``), so it also works under ``jit``. ``arange`` has a length that
depends on its arguments' values: a traced argument must have a concrete value (eager mode),
and the result ``start + i * step`` is differentiable in ``start`` and ``step``."""

from __future__ import annotations

import math

import numpy as np

from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import structure as S
from ._basic import _as_value
from ._structure import moveaxis

__all__ = ["linspace", "arange"]


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0):
    """``num`` evenly spaced points from ``start`` to ``stop`` (NumPy's arguments)."""
    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    if not isinstance(start, Tracer) and not isinstance(stop, Tracer):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    start, stop = base.promote_float(_as_value(start), _as_value(stop))
    shape = np.broadcast_shapes(get_aval(start).shape, get_aval(stop).shape)
    start, stop = S.broadcast_to(start, shape), S.broadcast_to(stop, shape)
    div = num - 1 if endpoint else num
    delta = E.sub(stop, start)
    i = np.arange(num, dtype=get_aval(start).dtype).reshape((-1,) + (1,) * len(shape))
    if div > 0:
        step = E.div(delta, float(div))
        y = E.add(E.mul(i, step), start)
    else:
        step = E.mul(delta, float("nan"))
        y = E.add(E.mul(i, delta), start)
    y = S.broadcast_to(y, (num,) + shape)
    if endpoint and num > 1:
        head = S.slice_static(y, (0,) * (len(shape) + 1), (num - 1,) + shape)
        y = S.concatenate([head, S.reshape(stop, (1,) + shape)], 0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        if np.dtype(dtype).kind in "iu":
            y = E.floor(y)
        y = base.convert_element_type(y, dtype)
    return (y, step) if retstep else y


def _value(v, who: str):
    """A traced argument's concrete value (eager mode), for the length."""
    if isinstance(v, Tracer):
        return v._concrete(f"a concrete value: `arange`'s length depends on `{who}`")
    return v


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop) (NumPy's arguments)."""
    args = (start, stop, step)
    if not any(isinstance(a, Tracer) for a in args):
        return np.arange(start, stop, step, dtype) if stop is not None or step is not None \
            else np.arange(start, dtype=dtype)
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    lo, hi, h = (_value(v, w) for v, w in zip((start, stop, step), ("start", "stop", "step")))
    if h == 0:
        raise ValueError("arange: step must not be zero")
    n = max(0, math.ceil((float(hi) - float(lo)) / float(h)))
    kinds = [get_aval(_as_value(v)).dtype for v in (start, stop, step)]
    dt = np.result_type(*kinds) if dtype is None else np.dtype(dtype)
    start, step = _as_value(start), _as_value(step)
    y = E.add(E.mul(np.arange(n, dtype=dt), base.convert_element_type(step, dt)),
              base.convert_element_type(start, dt))
    return y
