"""Fast paths for the most common eager operations on scalars (Python floats).

They do exactly what ``tape.apply`` does — run the primitive's derived kernel and append one
tape entry — minus the generic dispatch (``bind``, dtype promotion, aval construction), which
costs far more than the arithmetic itself in scalar-heavy Python loops. Anything that is not
a float-with-float operation falls through to the generic ``lintra.numpy`` function.
"""

from __future__ import annotations

import numpy as np

from .. import numpy as lnp
from ..ad.rules import SparseCotangent
from ..core.avals import ShapedArray
from ..ops import elementwise as E
from ..ops import indexing as I
from ..ops.base import FAST_UNARY
from ..ops.structure import reshape_p, slice_p
from .kernels import _SCALAR_F64, F64, _codegen, get_kernel, is_scalar_program
from .tape import EagerTracer, ElementRead, apply

_INT64 = np.dtype("int64")


def _inline_form(prim, k):
    """How the derived kernel of a scalar binary primitive lays out its residuals, if it is
    one the fast path can reproduce without calling ``fwd``: 'operands' (a, b) or 'none'."""
    a, b = 3.0, 5.0
    _, res = k.fwd(a, b)
    if res == ():
        return "none"
    if len(res) == 2 and res[0] is a and res[1] is b:
        return "operands"
    return None


_OPERATOR = {E.add_p: "+", E.sub_p: "-", E.mul_p: "*"}

_BINARY_TEMPLATE = """
def op(self, other):
    t = type(other)
    if t is EagerTracer:
        vo = other.primal
        if type(vo) is not float or (other._trace is not self._trace
                                     and other._trace.main is not self._trace.main):
            return generic({generic_args})
    elif t is float or t is int:
        vo = float(other)
        other = None
    else:
        return generic({generic_args})
    vs = self.primal
    if type(vs) is not float:
        return generic({generic_args2})
    trace = self._trace
    tape = trace.local.tape
    ra = -1 if self.idx < 0 else (self.idx if self.tape is tape else (self.tape, self.idx))
    if other is None or other.idx < 0:
        rb = -1
    else:
        rb = other.idx if other.tape is tape else (other.tape, other.idx)
    {compute}
    if ra == -1 and rb == -1:
        return EagerTracer(trace, out, None, -1)
    entries = tape.entries
    entries.append((bwd, res, {parents}))
    return EagerTracer(trace, out, tape, len(entries) - 1)
"""


def _binary(prim, generic, swap: bool):
    """The fast path of a scalar binary primitive (``swap``: the reflected operator). For +, -,
    * the derived kernel's forward half is written inline (its residual layout checked by
    ``_inline_form`` against the kernel); otherwise the kernel's ``fwd`` is called."""
    k = get_kernel(prim, (_SCALAR_F64, _SCALAR_F64), {})
    form = _inline_form(prim, k) if prim in _OPERATOR else None
    a, b = ("vo", "vs") if swap else ("vs", "vo")
    if form is None:
        compute = f"out, res = fwd({a}, {b})"
    else:
        res = f"({a}, {b})" if form == "operands" else "()"
        compute = f"out, res = {a} {_OPERATOR[prim]} {b}, {res}"
    src = _BINARY_TEMPLATE.format(
        generic_args="other, self" if swap else "self, other",
        generic_args2=("other if other is not None else vo, self" if swap
                       else "self, other if other is not None else vo"),
        compute=compute, parents="(rb, ra)" if swap else "(ra, rb)")
    ns = {"EagerTracer": EagerTracer, "generic": generic, "bwd": k.tape_bwd, "fwd": k.fwd}
    exec(compile(src, f"<lintra eager {prim.name}{' swapped' if swap else ''}>", "exec"), ns)
    return ns["op"]


def _unary(prim):
    """The fast path of a scalar unary function: the derived kernel's primal half compiled
    inline, between the type check and the tape entry; None unless that half runs on Python
    floats alone (every equation scalar, with a scalar impl: no NumPy call)."""
    k = get_kernel(prim, (_SCALAR_F64,), {})
    if k.trivial or k.fwd_program is None or len(k.fwd_program.params) != 1 \
            or not is_scalar_program(k.fwd_program):
        return None

    def epilogue(outs, res):
        out = outs[0]
        res_s = "(" + "".join(f"{r}, " for r in res) + ")"
        return ["    trace = self._trace",
                "    if self.idx < 0:",
                f"        return EagerTracer(trace, {out}, None, -1)",
                "    tape = trace.local.tape",
                "    entries = tape.entries",
                f"    entries.append((bwd, {res_s}, (self.idx if self.tape is tape else "
                "(self.tape, self.idx),)))",
                f"    return EagerTracer(trace, {out}, tape, len(entries) - 1)"]

    return _codegen(k.fwd_program, f"fast_{prim.name}", n_primal_out=1,
                    header=f"def fast_{prim.name}(prim_, self):",
                    prologue=("    p0 = self.primal",
                              "    if type(p0) is not float:",
                              "        return NotImplemented"),
                    epilogue=epilogue,
                    extra_ns={"EagerTracer": EagerTracer, "bwd": k.tape_bwd})


_take1_ok: dict = {}


def _take1_inline(n: int) -> bool:
    """Whether the tape may record a read of one element of a length-n vector as an
    ``ElementRead``, whose backward adds the cotangent at the index into x's buffer: take's derived
    transpose must do exactly that (checked by values, once: on a length-2 vector, or length
    1, so that no length-n buffer is made per length), else the generic path runs."""
    m = min(n, 2)
    ok = _take1_ok.get(m)
    if ok is None:
        k = get_kernel(I.take_p, (ShapedArray((m,), F64), ShapedArray((1,), _INT64)),
                       {"axis": 0})
        i = m - 1
        _, res = k.fwd(np.zeros(m), np.array([i]))
        ct = k.bwd(2.5, *res)[0] if not k.trivial else None
        expect = np.zeros(m)
        expect[i] = 2.5
        got = np.zeros(m)
        if isinstance(ct, SparseCotangent) and ct.is_concrete():
            ct.add_into(got)
        ok = _take1_ok[m] = bool(np.array_equal(got, expect))
    return ok


def _basic_index(shape: tuple, idx):
    """(start, limit, strides, kept shape) of a basic index (ints and slices, no more than the
    rank), or None for anything else (None, Ellipsis, arrays, tracers, booleans)."""
    items = idx if type(idx) is tuple else (idx,)
    if len(items) > len(shape):
        return None
    start, limit, strides, out_shape = [], [], [], []
    for k, d in enumerate(shape):
        it = items[k] if k < len(items) else slice(None)
        if type(it) is int:
            if not -d <= it < d:
                return None                       # let the generic path raise IndexError
            i = it + d if it < 0 else it
            start.append(i)
            limit.append(i + 1)
            strides.append(1)
        elif type(it) is slice:
            a, b, st = it.indices(d)
            if st < 1:
                return None
            start.append(a)
            limit.append(max(a, b))
            strides.append(st)
            out_shape.append(len(range(a, max(a, b), st)))
        else:
            return None
    return tuple(start), tuple(limit), tuple(strides), tuple(out_shape)


def _getitem_basic(self, idx):
    """``x[ints and slices]``: one ``slice`` (and a ``reshape`` dropping int axes), applied
    with their kernels directly instead of through NumPy-style index normalization."""
    v = self.primal
    if not isinstance(v, np.ndarray):
        return None
    b = _basic_index(v.shape, idx)
    if b is None:
        return None
    start, limit, strides, out_shape = b
    x = self
    if start != (0,) * v.ndim or limit != v.shape or strides != (1,) * v.ndim:
        x = apply(self._trace, slice_p, [x], {"start": start, "limit": limit,
                                              "strides": strides})[0]
    if x.primal.shape != out_shape:
        x = apply(self._trace, reshape_p, [x], {"shape": out_shape})[0]
    return x.primal if x.idx < 0 and x is not self else x


def _getitem(generic):
    def getitem(self, idx):
        v = self.primal
        if type(idx) is not int or type(v) is not np.ndarray or v.ndim != 1 \
                or (v.dtype is not F64 and v.dtype != F64) or self.idx < 0:
            out = _getitem_basic(self, idx)
            return generic(self, idx) if out is None else out
        n = v.shape[0]
        out = v.item(idx)                       # a Python float; IndexError out of bounds
        if not _take1_ok.get(n if n < 2 else 2) and not _take1_inline(n):
            return generic(self, idx)
        trace = self._trace
        tape = trace.local.tape
        entries = tape.entries
        entries.append(ElementRead(self.idx if self.tape is tape else (self.tape, self.idx),
                                   idx + n if idx < 0 else idx, n))
        return EagerTracer(trace, out, tape, len(entries) - 1)

    return getitem


def install() -> None:
    T = EagerTracer
    for name, prim, fn in [("add", E.add_p, lnp.add), ("sub", E.sub_p, lnp.subtract),
                           ("mul", E.mul_p, lnp.multiply), ("truediv", E.div_p, lnp.divide)]:
        setattr(T, f"__{name}__", _binary(prim, fn, False))
        setattr(T, f"__r{name}__", _binary(prim, fn, True))
    neg = _unary(E.neg_p) or (lambda prim_, self: NotImplemented)

    def __neg__(self):
        out = neg(None, self)
        return lnp.negative(self) if out is NotImplemented else out

    T.__neg__ = __neg__
    T.__getitem__ = _getitem(lnp.getitem)
    # every unary float function made by ops.elementwise._op has a FAST_UNARY slot
    for prim, fast_by_type in FAST_UNARY.items():
        op = _unary(prim)
        if op is not None:
            fast_by_type[EagerTracer] = op
