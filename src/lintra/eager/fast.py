"""Fast paths for the most common eager operations on scalars (Python floats).

They do exactly what ``tape.apply`` does — run the primitive's derived kernel and append one
tape entry — minus the generic dispatch (``bind``, dtype promotion, aval construction), which
costs far more than the arithmetic itself in scalar-heavy Python loops. Anything that is not
a float-with-float operation falls through to the generic ``lintra.numpy`` function.
"""

from __future__ import annotations

import numpy as np

from ..ops import elementwise as E
from ..ops import indexing as I
from .kernels import _SCALAR_F64, F64, get_kernel
from .tape import EagerTracer

_INT64 = np.dtype("int64")


def _record(self, k, out, res, pa, pb):
    """Append an entry with parents pa, pb (EagerTracer or None for constants)."""
    trace = self._trace
    tape = trace.main.data.local.tape
    entries = tape.entries
    ra = -1 if pa is None or pa.idx < 0 else (pa.idx if pa.tape is tape else (pa.tape, pa.idx))
    rb = -1 if pb is None or pb.idx < 0 else (pb.idx if pb.tape is tape else (pb.tape, pb.idx))
    if ra == -1 and rb == -1:
        return EagerTracer(trace, out, None, -1)
    entries.append((k.bwd, res, (ra, rb), 1))
    tape.edges_created += (ra != -1) + (rb != -1)
    return EagerTracer(trace, out, tape, len(entries) - 1)


def _binary(prim, generic, swap: bool):
    kernel = []

    def op(self, other):
        t = type(other)
        if t is EagerTracer:
            vo = other.primal
            if type(vo) is not float or other._trace.main is not self._trace.main:
                return generic(other, self) if swap else generic(self, other)
        elif t is float or t is int:
            vo = float(other)
            other = None
        else:
            return generic(other, self) if swap else generic(self, other)
        vs = self.primal
        if type(vs) is not float:
            return generic(other if other is not None else vo, self) if swap else \
                generic(self, other if other is not None else vo)
        if not kernel:
            kernel.append(get_kernel(prim, (_SCALAR_F64, _SCALAR_F64), {}))
        k = kernel[0]
        if swap:
            out, res = k.fwd(vo, vs)
            return _record(self, k, out, res, other, self)
        out, res = k.fwd(vs, vo)
        return _record(self, k, out, res, self, other)

    return op


def _unary(prim, generic):
    kernel = []

    def op(self):
        v = self.primal
        if type(v) is not float:
            return generic(self) if generic is not None else NotImplemented
        if not kernel:
            kernel.append(get_kernel(prim, (_SCALAR_F64,), {}))
        k = kernel[0]
        out, res = k.fwd(v)
        trace = self._trace
        tape = trace.main.data.local.tape
        if self.idx < 0:
            return EagerTracer(trace, out, None, -1)
        entries = tape.entries
        entries.append((k.bwd, res, (self.idx if self.tape is tape else (self.tape, self.idx),),
                        1))
        tape.edges_created += 1
        return EagerTracer(trace, out, tape, len(entries) - 1)

    return op


_take_kernels: dict = {}
_index_arrays: dict = {}


def _take_kernel(n: int):
    """The kernel of ``take`` reading one element of a length-n vector, if its only residual
    is the index (then the fast path can supply it without running ``fwd``)."""
    k = _take_kernels.get(n, 0)
    if k == 0:
        from ..core.avals import ShapedArray
        k = get_kernel(I.take_p, (ShapedArray((n,), F64), ShapedArray((1,), _INT64)),
                       {"axis": 0})
        probe = np.array([0])
        out, res = k.fwd(np.zeros(n), probe)
        if k.trivial or len(res) != 1 or res[0] is not probe:
            k = None
        _take_kernels[n] = k
    return k


def _getitem(generic):
    def getitem(self, idx):
        v = self.primal
        if type(idx) is not int or type(v) is not np.ndarray or v.ndim != 1 \
                or v.dtype != F64 or self.idx < 0:
            return generic(self, idx)
        n = v.shape[0]
        out = float(v[idx])                     # IndexError out of bounds, as NumPy
        i = idx + n if idx < 0 else idx
        k = _take_kernel(n)
        if k is None:
            return generic(self, idx)
        ia = _index_arrays.get(i)
        if ia is None:
            ia = _index_arrays[i] = np.array([i])
            ia.flags.writeable = False
        trace = self._trace
        tape = trace.main.data.local.tape
        entries = tape.entries
        entries.append((k.bwd, (ia,), (self.idx if self.tape is tape
                                       else (self.tape, self.idx),), 1))
        tape.edges_created += 1
        return EagerTracer(trace, out, tape, len(entries) - 1)

    return getitem


def install() -> None:
    from .. import numpy as lnp
    T = EagerTracer
    for name, prim, fn in [("add", E.add_p, lnp.add), ("sub", E.sub_p, lnp.subtract),
                           ("mul", E.mul_p, lnp.multiply), ("truediv", E.div_p, lnp.divide)]:
        setattr(T, f"__{name}__", _binary(prim, fn, False))
        setattr(T, f"__r{name}__", _binary(prim, fn, True))
    T.__neg__ = _unary(E.neg_p, lnp.negative)
    T.__getitem__ = _getitem(lnp.getitem)
    unary = {}
    for name in ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "atan",
                 "expm1", "log1p", "logistic", "erf"):
        prim = getattr(E, f"{name}_p")
        unary[prim] = _unary(prim, None)

    def fast_unary(prim, x):
        f = unary.get(prim)
        return NotImplemented if f is None else f(x)

    from ..ops.base import FAST_UNARY
    FAST_UNARY[EagerTracer] = fast_unary
