"""Encoding a long straight-line program as instructions for the register VM (``vm.py``).

Every element of every value gets a register (a float64 slot; float32 and bool values are
stored exactly in it). A value is then an array of register numbers with the value's shape,
so a primitive that only moves elements (reshape, take at constant indices, slices...) is
applied by running its NumPy ``impl`` on those arrays and costs no instruction; a
``scatter_add`` writes fresh registers only at the positions it changes. Elementwise
primitives become one instruction per element, ``[case, dst, a, b, c]``, where a *case* is
(primitive, parameters, operand dtypes, result dtype); reductions become trees of the
matching binary case. Encoding is NumPy work per equation, so it is linear in program size.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...core.ir import Literal, Program
from .rules import (
    NotLowerable,
    elementwise_rules,
    vm_cumulative,
    vm_data_movement,
    vm_reductions,
    vm_scatters,
)

VM_DTYPES = frozenset(map(np.dtype, ("float64", "float32", "bool")))
MAX_REGISTERS = 1 << 24
# elementwise results larger than this run faster as compiled loops than as one
# instruction per element
MAX_VALUE_SIZE = 4096


@dataclass
class Encoded:
    cases: tuple            # case keys, in opcode order
    code: np.ndarray        # int32[n, 5]: case, dst, a, b, c
    init: np.ndarray        # float64[registers]: constants set, the rest zero
    inputs: list            # per program input: (register array, aval)
    outputs: list           # per program output: (register array, aval)


def _params_key(params: dict):
    try:
        key = tuple(sorted(params.items()))
        hash(key)
    except TypeError:
        raise NotLowerable("vm: unhashable parameters") from None
    return key


class Encoder:
    """Registers are numbered in order; a scalar value is a Python int (most equations of
    the programs the VM runs are scalar: they take the fast path), an array value an array
    of ints."""

    def __init__(self):
        self.n = 0
        self.consts: dict = {}          # (dtype char, value) -> register
        self.const_regs: list[int] = []
        self.const_vals: list[float] = []
        self.cases: dict = {}
        self.rows: list[tuple] = []     # scalar instructions not yet in ``chunks``
        self.chunks: list[np.ndarray] = []

    def alloc(self, shape: tuple[int, ...]):
        if not shape:
            self.n += 1
            return self.n - 1
        size = int(np.prod(shape, dtype=np.int64))
        regs = np.arange(self.n, self.n + size, dtype=np.int64).reshape(shape)
        self.n += size
        if self.n > MAX_REGISTERS:
            raise NotLowerable("vm: too many registers")
        return regs

    def constant(self, val, dtype):
        if np.ndim(val) == 0:
            return self._scalar_constant(float(val), dtype)
        flat = np.asarray(val, dtype).reshape(-1)
        out = np.array([self._scalar_constant(float(v), dtype) for v in flat], np.int64)
        return out.reshape(np.shape(val))

    def _scalar_constant(self, v: float, dtype) -> int:
        key = (dtype.char, v, np.signbit(v))
        r = self.consts.get(key)
        if r is None:
            r = self.consts[key] = self.alloc(())
            self.const_regs.append(r)
            self.const_vals.append(v)
        return r

    def case(self, prim, params: dict, in_dtypes, out_dtype) -> int:
        key = (prim, _params_key(params) if params else (), tuple(in_dtypes), out_dtype)
        op = self.cases.get(key)
        if op is None:
            op = self.cases[key] = len(self.cases)
        return op

    def emit(self, op: int, operands: list, shape):
        """One instruction per element of ``shape``; returns the result registers."""
        dst = self.alloc(shape)
        if not shape:
            ins = [int(x) for x in operands] + [0] * (3 - len(operands))
            self.rows.append((op, dst, *ins))
            return dst
        if dst.size > MAX_VALUE_SIZE:
            raise NotLowerable(f"vm: {dst.size} elements computed at once (compiled loops "
                               "are faster)")
        self.flush()
        rows = np.zeros((dst.size, 5), np.int32)
        rows[:, 0] = op
        rows[:, 1] = dst.reshape(-1)
        for k, regs in enumerate(operands):
            rows[:, 2 + k] = np.broadcast_to(regs, shape).reshape(-1)
        self.chunks.append(rows)
        return dst

    def flush(self) -> None:
        if self.rows:
            self.chunks.append(np.array(self.rows, np.int32).reshape(-1, 5))
            self.rows = []

    # ---------------------------------------------------------------- equations
    def elementwise(self, eqn, ins: list[np.ndarray]) -> np.ndarray:
        if len(ins) > 3:
            raise NotLowerable(f"vm: `{eqn.prim.name}` has {len(ins)} operands")
        aval = eqn.outputs[0].aval
        op = self.case(eqn.prim, eqn.params, [x.aval.dtype for x in eqn.inputs], aval.dtype)
        return self.emit(op, ins, aval.shape)

    def reduce(self, eqn, x: np.ndarray) -> np.ndarray:
        """A pairwise tree of the reduction's binary case over the reduced axes."""
        x = np.asarray(x)
        axes = tuple(sorted(a % x.ndim for a in eqn.params["axes"]))
        keep = [a for a in range(x.ndim) if a not in axes]
        out_shape = eqn.outputs[0].aval.shape
        flat = np.transpose(x, keep + list(axes)).reshape(
            int(np.prod([x.shape[a] for a in keep], dtype=np.int64)), -1)
        if flat.shape[1] == 0:
            raise NotLowerable("vm: reduction of an empty axis")
        dtype = eqn.outputs[0].aval.dtype
        op = self.case(vm_reductions[eqn.prim], {}, [dtype, dtype], dtype)
        while flat.shape[1] > 1:
            half = flat.shape[1] // 2
            pairs = self.emit(op, [flat[:, :half], flat[:, half:2 * half]], (len(flat), half))
            flat = np.concatenate([pairs, flat[:, 2 * half:]], axis=1)
        return _value(flat.reshape(out_shape))

    def cumulative(self, eqn, x) -> np.ndarray:
        """A running reduction (cumsum, cumprod) along ``axis``: one instruction per
        element, in order."""
        x = np.moveaxis(np.asarray(x), eqn.params["axis"], -1)
        if eqn.params.get("reverse"):
            x = x[..., ::-1]
        dtype = eqn.outputs[0].aval.dtype
        op = self.case(vm_cumulative[eqn.prim], {}, [dtype, dtype], dtype)
        out = x.copy()
        for k in range(1, x.shape[-1]):
            out[..., k] = self.emit(op, [out[..., k - 1], x[..., k]], x.shape[:-1])
        if eqn.params.get("reverse"):
            out = out[..., ::-1]
        return np.moveaxis(out, -1, eqn.params["axis"])

    def scatter_add(self, eqn, buf: np.ndarray, idx, upd, in_place: bool) -> np.ndarray:
        """Fresh registers (buf + update) at the positions written, in order, so repeated
        indices accumulate; every other position keeps buf's register. ``in_place``: buf's
        array is this encoder's own and nothing reads it later."""
        add, gather = vm_scatters[eqn.prim]
        dtype = eqn.outputs[0].aval.dtype
        op = self.case(add, {}, [dtype, dtype], dtype)
        out = buf if in_place else buf.copy()
        flat = out.reshape(-1)
        where = gather(_positions(buf.shape), idx, **eqn.params)
        if where.size == 1:
            w = int(where.reshape(-1)[0])
            flat[w] = self.emit(op, [flat[w], np.reshape(upd, -1)[0]], ())
            return out
        where, upd = where.reshape(-1), np.broadcast_to(upd, where.shape).reshape(-1)
        while where.size:
            first = np.unique(where, return_index=True)[1]   # one write per position per round
            rest = np.ones(where.size, bool)
            rest[first] = False
            flat[where[first]] = self.emit(op, [flat[where[first]], upd[first]], (first.size,))
            where, upd = where[rest], upd[rest]
        return out


def encode(program: Program) -> Encoded:
    """The program's VM encoding, or ``NotLowerable``."""
    enc = Encoder()
    env: dict[int, np.ndarray] = {}
    inputs = []
    for v in program.params:
        _check(v.aval)
        env[id(v)] = enc.alloc(v.aval.shape)
        inputs.append((np.asarray(env[id(v)], np.int64), v.aval))

    def read(x):
        if isinstance(x, Literal):
            _check(x.aval)
            if x.aval.size > 16 * MAX_VALUE_SIZE:
                raise NotLowerable("vm: a large constant")
            return enc.constant(x.val, x.aval.dtype)
        return env[id(x)]

    last_use = {}
    for k, eqn in enumerate(program.eqns):
        for x in eqn.inputs:
            last_use[id(x)] = k
    for x in program.outs:
        last_use[id(x)] = len(program.eqns)
    owned: set[int] = set()         # ids of arrays made by a scatter (views never are)
    for k, eqn in enumerate(program.eqns):
        if eqn.prim in vm_scatters:
            buf, idx, upd = eqn.inputs
            arr = read(buf)
            in_place = id(arr) in owned and last_use[id(buf)] == k
            out = enc.scatter_add(eqn, arr, _index_operand(idx), read(upd), in_place)
            owned.add(id(out))
            outs = [out]
        else:
            outs = _encode_eqn(enc, eqn, read)
        for v, o in zip(eqn.outputs, outs):
            env[id(v)] = o
    outputs = []
    for o in program.outs:
        _check(o.aval)
        outputs.append((np.asarray(read(o), np.int64), o.aval))
    enc.flush()
    init = np.zeros(enc.n, np.float64)
    init[enc.const_regs] = enc.const_vals
    code = np.concatenate(enc.chunks) if enc.chunks else np.zeros((0, 5), np.int32)
    return Encoded(tuple(enc.cases), code, init, inputs, outputs)


def _encode_eqn(enc: Encoder, eqn, read) -> list[np.ndarray]:
    prim = eqn.prim
    if prim.higher_order or prim.multiple_results:
        raise NotLowerable(f"vm: `{prim.name}`")
    for v in eqn.outputs:
        _check(v.aval)
    if prim in elementwise_rules:
        return [enc.elementwise(eqn, [read(x) for x in eqn.inputs])]
    if prim in vm_reductions:
        return [enc.reduce(eqn, read(eqn.inputs[0]))]
    if prim in vm_cumulative:
        return [enc.cumulative(eqn, read(eqn.inputs[0]))]
    if prim in vm_data_movement:
        indices, move = vm_data_movement[prim]
        args = [_index_operand(x) if k in indices else read(x)
                for k, x in enumerate(eqn.inputs)]
        return [_value(np.asarray(move(*args, **eqn.params)))]
    raise NotLowerable(f"vm: no encoding for `{prim.name}`")


@functools.lru_cache(maxsize=64)
def _positions(shape: tuple[int, ...]) -> np.ndarray:
    """Flat positions in an array of ``shape`` (made once per shape: a scatter into a long
    buffer must not cost the buffer's length)."""
    out = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
    out.flags.writeable = False
    return out


def _value(regs: np.ndarray):
    return int(regs) if regs.ndim == 0 else regs


def _index_operand(x):
    """An operand read at encoding time (indices of ``take``): must be a constant."""
    if not isinstance(x, Literal):
        raise NotLowerable("vm: an index computed at run time")
    return np.asarray(x.val)


def _check(aval) -> None:
    if getattr(aval, "is_function", False) or getattr(aval, "dtype", None) not in VM_DTYPES:
        raise NotLowerable(f"vm: a value of type {aval}")
