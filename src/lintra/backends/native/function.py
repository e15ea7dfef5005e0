"""``FunctionEmitter``: one LLVM function being generated. Every such function returns an i32
status (0: done; else a runtime check failed, e.g. an index out of bounds, and the caller
reruns the program on the interpreter for NumPy's error). It emits programs inline: each
equation through its primitive's lowering rule, elementwise chains fused into one loop,
buffers allocated once per function (on the stack when small), and in-place updates of
buffers whose variable dies (the cotangent buffer of a loop's scatter-adds)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from llvmlite import ir

from ...core.avals import ShapedArray
from ...core.ir import Literal, Program, Var
from .arena import Arena
from .blas import gemm_address, threads_addresses
from .callback import emit_callback, lower_or_call_back, needs_callback
from .control import ControlMixin
from .fusion import recomputed, shared_lazy
from .rules import NotLowerable, elementwise_rules, lowering_rules, reads_once
from .scalar import ScalarEmitter
from .types import (
    I1,
    I8,
    I8P,
    I32,
    I64,
    Buf,
    Index,
    Lazy,
    Scalar,
    Value,
    check_aval,
    constant,
    mem_type,
)

# elementwise operations fused into one loop at most (each level of a fused chain is a few
# Python frames while emitting: a 2000-operation chain exceeded the recursion limit)
MAX_FUSED = 64
# multiply-adds per product (of a batch: each) under which BLAS runs on one thread (blas.py)
BLAS_ONE_THREAD = 1 << 24
STACK_LIMIT = 1 << 14   # bytes: larger buffers are slices of the function's arena (arena.py)
SMALL_LITERAL = 64      # elements: smaller literal arrays are constants in the code


class ProgramInfo:
    """Per program: how often each variable is read (outputs count), its one reader."""

    def __init__(self, program: Program):
        self.reads: dict[int, int] = {}
        self.reader: dict[int, object] = {}
        for eqn in program.eqns:
            for x in eqn.inputs:
                if isinstance(x, Var):
                    self.reads[id(x)] = self.reads.get(id(x), 0) + 1
                    self.reader[id(x)] = eqn
        for o in program.outs:
            if isinstance(o, Var):
                self.reads[id(o)] = self.reads.get(id(o), 0) + 1
                self.reader[id(o)] = None
        self.shared = shared_lazy(program)    # read several times, all in one loop
        self.recomputed = recomputed(program)  # cheap: recomputed in each loop reading it


def _uniform(val, aval: ShapedArray):
    """The one value of an array literal whose elements are all the same (bit for bit, so
    -0.0 and NaN payloads stay), else None."""
    if isinstance(val, np.ndarray) and val.size and not any(val.strides):
        return np.asarray(val.flat[0], aval.dtype).item()   # a broadcast scalar (folded)
    arr = np.ascontiguousarray(val, dtype=aval.dtype).reshape(-1)
    bits = arr.view(f"u{arr.dtype.itemsize}")
    return arr[0].item() if bits.size and (bits == bits[0]).all() else None


class FunctionEmitter(ControlMixin):
    def __init__(self, mod, fn: ir.Function):
        self.mod, self.module, self.fn = mod, mod.module, fn
        self.alloca_block = fn.append_basic_block("allocas")
        self.start_block = fn.append_basic_block("start")
        self.exit_block = fn.append_basic_block("exit")
        self.ab = ir.IRBuilder(self.alloca_block)
        self.b = ir.IRBuilder(self.start_block)
        self.status = self.ab.alloca(I32, name="status")
        self.ab.store(ir.Constant(I32, 0), self.status)
        self.arena = None            # its large buffers, kept between calls (arena.py)
        self.eqn = self.info = None
        self.updatable: list[bool] = []
        self.direct_outputs = None   # the program whose outputs are written where they go

    def finish(self) -> None:
        self.ab.branch(self.start_block)
        self.b.branch(self.exit_block)
        eb = ir.IRBuilder(self.exit_block)
        if self.arena is not None:
            self.arena.close(eb)
        eb.ret(eb.load(self.status))

    # ---------------------------------------------------------------- memory
    def i64(self, v: int) -> ir.Constant:
        return ir.Constant(I64, v)

    def alloc(self, aval: ShapedArray) -> Buf:
        t = mem_type(aval.dtype)
        n = max(aval.size, 1)
        if n * aval.dtype.itemsize <= STACK_LIMIT:
            p = self.ab.alloca(t, n)
        else:
            if self.arena is None:
                self.arena = Arena(self)
            p = self.ab.bitcast(self.arena.slice(n * aval.dtype.itemsize), t.as_pointer())
        return Buf(p, aval, owned=True)

    def lend(self, vals: list, keep=()) -> list:
        """``vals`` as a sub-program inlined here may see them: not ``owned`` (its equations
        must not update them in place: the caller still reads them, or the next iteration
        does) unless ``keep[k]`` (this equation is their variable's last reader)."""
        keep = list(keep) + [False] * len(vals)
        return [Buf(v.ptr, v.aval, const=v.const) if isinstance(v, Buf) and v.owned
                and not k else v for v, k in zip(vals, keep)]

    def slot(self, aval: ShapedArray):
        """A register-sized stack slot (scalars carried across blocks and loops)."""
        return self.ab.alloca(I1 if aval.dtype.kind == "b" else mem_type(aval.dtype))

    def load(self, value: Value, idx: Index):
        """The element of ``value`` at ``idx`` (whose shape ``value`` broadcasts to)."""
        shape = value.aval.shape
        if isinstance(value, Scalar):
            return value.v
        if shape != idx.shape:
            lead = len(idx.shape) - len(shape)
            multi = idx.multi[lead:]
            multi = [self.i64(0) if d == 1 else i for d, i in zip(shape, multi)]
            idx = Index(self.b, shape, multi=multi)
        if isinstance(value, Lazy):
            return value.fn(idx)
        if value.const is not None:
            k = self.known(value, idx)
            if k is not None:
                return constant(value.aval.dtype, k)
        off = idx.flat if shape else self.i64(0)
        v = self.b.load(self.b.gep(value.ptr, [off]))
        return self.b.trunc(v, I1) if value.aval.dtype.kind == "b" else v

    def known(self, value: Value, idx: Index):
        """The element at ``idx`` as a Python number when known at compile time, else None."""
        if not isinstance(value, Buf) or value.const is None or value.aval.shape != idx.shape \
                or not value.aval.size:
            return None
        multi = idx.multi if idx._multi is not None or not isinstance(idx._flat, ir.Constant) \
            else [ir.Constant(I64, int(v)) for v in np.unravel_index(
                int(idx._flat.constant), idx.shape)]
        if not all(isinstance(i, ir.Constant) for i in multi):
            return None
        return value.const[tuple(int(i.constant) for i in multi)].item()

    def known_at(self, value: Value, multi: list):
        return self.known(value, Index(self.b, value.aval.shape, multi=list(multi)))

    def load_at(self, value: Value, multi: list):
        return self.load(value, Index(self.b, value.aval.shape, multi=list(multi)))

    def store(self, buf: Buf, idx: Index, v) -> None:
        if buf.aval.dtype.kind == "b":
            v = self.b.zext(v, I8)
        self.b.store(v, self.b.gep(buf.ptr, [idx.flat if buf.aval.shape else self.i64(0)]))

    def store_at(self, buf: Buf, multi: list, v) -> None:
        self.store(buf, Index(self.b, buf.aval.shape, multi=list(multi)), v)

    # ---------------------------------------------------------------- short vectors
    @staticmethod
    def is_buffer(value: Value) -> bool:
        """Whether ``value`` is in memory (not a register scalar or a fused expression)."""
        return isinstance(value, Buf)

    def vector_at(self, value: Value, multi: list, axis: int, n: int):
        """``value[multi]`` for ``multi[axis]`` = 0..n-1, as an ``<n x t>`` vector (one load
        where ``axis`` is the last axis of a buffer)."""
        t = mem_type(value.aval.dtype)
        if isinstance(value, Buf) and axis == value.aval.ndim - 1:
            at = Index(self.b, value.aval.shape, multi=list(multi)).flat
            ptr = self.b.bitcast(self.b.gep(value.ptr, [at]), ir.VectorType(t, n).as_pointer())
            return self.b.load(ptr, align=value.aval.dtype.itemsize)
        vec = ir.Constant(ir.VectorType(t, n), None)
        for j in range(n):
            m = list(multi)
            m[axis] = self.i64(j)
            vec = self.b.insert_element(vec, self.load_at(value, m), self.i64(j))
        return vec

    def splat(self, v, n: int):
        """``<n x t>`` of the scalar ``v``."""
        vec = self.b.insert_element(ir.Constant(ir.VectorType(v.type, n), None), v,
                                    self.i64(0))
        return self.b.shuffle_vector(vec, vec, ir.Constant(ir.VectorType(I32, n), [0] * n))

    def vector_zero(self, dtype, n: int):
        return ir.Constant(ir.VectorType(mem_type(dtype), n), [0.0] * n)

    def store_vector(self, buf: Buf, multi: list, vec) -> None:
        """``vec`` into ``buf`` from ``multi`` along its last axis."""
        at = Index(self.b, buf.aval.shape, multi=list(multi)).flat
        ptr = self.b.bitcast(self.b.gep(buf.ptr, [at]), vec.type.as_pointer())
        self.b.store(vec, ptr, align=buf.aval.dtype.itemsize)

    def write(self, dest: Buf, value: Value) -> None:
        """Materialize ``value`` into ``dest`` (same shape and dtype)."""
        if isinstance(value, Buf):
            if value.ptr is not dest.ptr:
                nbytes = value.aval.size * value.aval.dtype.itemsize
                if nbytes:
                    self.b.call(self.mod.memcpy(), [self.b.bitcast(dest.ptr, I8P),
                                                    self.b.bitcast(value.ptr, I8P),
                                                    self.i64(nbytes), ir.Constant(I1, 0)])
            return
        if not dest.aval.shape:
            self.store(dest, Index(self.b, (), flat=self.i64(0)),
                       self.load(value, Index(self.b, (), flat=self.i64(0))))
            return
        shape = dest.aval.shape
        self.loop(dest.aval.size, lambda i: self.store(
            dest, Index(self.b, shape, flat=i), self.load(value, Index(self.b, shape, flat=i))))

    def as_buf(self, value: Value) -> Buf:
        return value if isinstance(value, Buf) else self.copy(value)

    def as_scalar(self, value: Value) -> Scalar:
        if isinstance(value, Scalar):
            return value
        return Scalar(self.load(value, Index(self.b, (), flat=self.i64(0))), value.aval)

    # ---------------------------------------------------------------- control
    def loop(self, n, body: Callable) -> None:
        """``for i in range(n): body(i)`` (``n``: int or i64 value)."""
        self.mod.loops += 1
        b = self.b
        n = self.i64(n) if isinstance(n, int) else n
        pre = b.block
        head = self.fn.append_basic_block("loop")
        inner = self.fn.append_basic_block("body")
        done = self.fn.append_basic_block("done")
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(self.i64(0), pre)
        b.cbranch(b.icmp_signed("<", i, n), inner, done)
        b.position_at_end(inner)
        body(i)
        i.add_incoming(b.add(i, self.i64(1)), b.block)
        b.branch(head)
        b.position_at_end(done)

    def loop_nest(self, shape, body: Callable) -> None:
        """``body(multi_index)`` over every position of ``shape`` (row-major)."""
        def nest(d, acc):
            if d == len(shape):
                body(acc)
            else:
                self.loop(shape[d], lambda i: nest(d + 1, acc + [i]))
        nest(0, [])

    def tabulate(self, aval: ShapedArray, fn: Callable) -> Value:
        """A fresh buffer holding ``fn(multi_index)`` at every position (a scalar for shape
        ``()``)."""
        if not aval.shape:
            return Scalar(fn([]), aval)
        buf = self.alloc(aval)
        self.loop_nest(aval.shape, lambda m: self.store_at(buf, m, fn(m)))
        return buf

    def fill(self, aval: ShapedArray, v) -> Buf:
        buf = self.alloc(aval)
        self.loop(aval.size, lambda i: self.store(buf, Index(self.b, aval.shape, flat=i), v))
        return buf

    def copy(self, value: Value) -> Buf:
        buf = self.alloc(value.aval)
        self.write(buf, value)
        return buf

    def lazy(self, aval: ShapedArray, fn: Callable) -> Value:
        if not aval.shape:
            return Scalar(fn(Index(self.b, (), flat=self.i64(0))), aval)
        return Lazy(fn, aval)

    def view(self, x: Value, aval: ShapedArray) -> Value:
        """``x`` reshaped to ``aval`` (no copy)."""
        if isinstance(x, Buf):
            return Buf(x.ptr, aval)
        if isinstance(x, Scalar):
            return Scalar(x.v, aval) if not aval.shape else Lazy(lambda idx: x.v, aval)
        if not aval.shape:
            return self.as_scalar(x)
        return Lazy(lambda idx: x.fn(Index(self.b, x.aval.shape, flat=idx.flat)), aval,
                    x.depth + 1)

    def gemm(self, a: Value, b: Value, m: int, n: int, k: int, trans_a: bool,
             trans_b: bool, batch: int = 1) -> Buf | None:
        """``a (m,k) @ b (k,n)`` by NumPy's BLAS (row-major; ``trans_*``: the operand is
        stored transposed), into a fresh buffer of the equation's output aval, ``batch``
        times over consecutive matrices; None when there is no BLAS for this dtype."""
        dtype = self.out_aval.dtype
        address = gemm_address(dtype)
        if address is None:
            return None
        t = mem_type(dtype)
        p, i32 = t.as_pointer(), I32
        fty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, I64, I64, I64, t, p, I64, p, I64,
                                              t, p, I64])
        fn = self.b.bitcast(self.b.load(self.mod.constant_slot(address)), fty.as_pointer())
        a, b = self.as_buf(a), self.as_buf(b)
        out = self.alloc(self.out_aval)

        def one(i):
            def at(buf, size):
                return self.b.gep(buf.ptr, [self.b.mul(i, self.i64(size))])
            self.b.call(fn, [ir.Constant(i32, 101), ir.Constant(i32, 112 if trans_a else 111),
                             ir.Constant(i32, 112 if trans_b else 111), self.i64(m),
                             self.i64(n), self.i64(k), ir.Constant(t, 1.0), at(a, m * k),
                             self.i64(m if trans_a else k), at(b, k * n),
                             self.i64(k if trans_b else n), ir.Constant(t, 0.0),
                             at(out, m * n), self.i64(n)])
        restore = self._one_blas_thread() if m * n * k < BLAS_ONE_THREAD else None
        if batch == 1:
            one(self.i64(0))
        else:
            self.loop(batch, one)
        if restore is not None:
            restore()
        return out

    def _one_blas_thread(self):
        """Set BLAS to one thread (blas.py); returns the emitter of the call that sets back
        the count found, or None without those functions."""
        found = threads_addresses()
        if found is None:
            return None
        get_t = ir.FunctionType(I32, []).as_pointer()
        set_t = ir.FunctionType(ir.VoidType(), [I32]).as_pointer()
        get_fn, set_fn = (self.b.bitcast(self.b.load(self.mod.constant_slot(a)), t)
                          for a, t in zip(found, (get_t, set_t)))
        before = self.b.call(get_fn, [])
        self.b.call(set_fn, [ir.Constant(I32, 1)])
        return lambda: self.b.call(set_fn, [before])

    @property
    def out_aval(self) -> ShapedArray:
        return self.eqn.outputs[0].aval

    def fail_unless(self, ok, status=None) -> None:
        """At run time: if ``ok`` is false, return ``status`` (default 1: the caller then
        interprets; 2: a callback raised, the Python error is set)."""
        good = self.fn.append_basic_block("ok")
        bad = self.fn.append_basic_block("fail")
        self.b.cbranch(ok, good, bad)
        self.b.position_at_end(bad)
        self.b.store(ir.Constant(I32, 1) if status is None else status, self.status)
        self.b.branch(self.exit_block)
        self.b.position_at_end(good)

    def scalar_emitter(self, dtype, out_dtype=None, operand_avals: Sequence = (),
                       out_size: int = 1) -> ScalarEmitter:
        return ScalarEmitter(self.module, self.b, dtype, dtype if out_dtype is None
                             else out_dtype, operand_avals, out_size)

    # ---------------------------------------------------------------- programs
    def literal(self, lit: Literal) -> Value:
        aval = lit.aval
        check_aval(aval)
        if not isinstance(lit.val, (bool, int, float, np.ndarray, np.generic)):
            raise NotLowerable(f"a literal {type(lit.val).__name__}")
        if not aval.shape:
            return Scalar(constant(aval.dtype, lit.val), aval)
        if aval.size <= SMALL_LITERAL:
            return self.mod.small_literal(lit.val, aval)
        v = _uniform(lit.val, aval)
        if v is not None:          # e.g. the ones a sum's cotangent broadcasts: not read
            return Lazy(lambda idx: constant(aval.dtype, v), aval)
        ptr = self.ab.load(self.mod.const_array(lit.val, aval))
        return Buf(self.ab.bitcast(ptr, mem_type(aval.dtype).as_pointer()), aval)

    def emit_program(self, program: Program, ins: list[Value]) -> list[Value]:
        """``program`` inline at the current position, on ``ins``; returns its outputs."""
        info = self.mod.info(program)
        self.mod.size += len(program.eqns)
        env: dict[int, Value] = {id(v): a for v, a in zip(program.params, ins)}
        for v in program.params:
            check_aval(v.aval)

        def read(x):
            return self.literal(x) if isinstance(x, Literal) else env[id(x)]

        for eqn in program.eqns:
            vals = [read(x) for x in eqn.inputs]
            for v in eqn.outputs:
                check_aval(v.aval)
            if needs_callback(eqn):
                outs = emit_callback(self, eqn, vals)
            elif eqn.prim in elementwise_rules:
                lazy = self._fusable(eqn, info) or id(eqn.outputs[0]) in info.shared or (
                    id(eqn.outputs[0]) in info.recomputed) or (
                    program is self.direct_outputs and self._output_only(eqn, info))
                outs = [self.elementwise(eqn, vals, lazy, id(eqn.outputs[0]) in info.shared)]
            elif eqn.prim in lowering_rules:
                self.eqn, self.info = eqn, info
                self.updatable = [isinstance(v, Buf) and v.owned and isinstance(x, Var)
                                  and info.reads.get(id(x)) == 1
                                  for x, v in zip(eqn.inputs, vals)]
                outs = lower_or_call_back(self, eqn, vals)
            else:
                raise NotLowerable(f"no native lowering for `{eqn.prim.name}`")
            for v, o in zip(eqn.outputs, outs):
                env[id(v)] = o
        return [read(o) for o in program.outs]

    @staticmethod
    def _fusable(eqn, info: ProgramInfo) -> bool:
        out = eqn.outputs[0]
        reader = info.reader.get(id(out))
        if info.reads.get(id(out)) != 1 or reader is None:
            return False
        if reader.prim in reads_once:
            return True
        return (reader.prim in elementwise_rules
                and reader.outputs[0].aval.shape == out.aval.shape)

    def unless_fused(self, x: Value) -> Value:
        """``x``, materialized if it is unmaterialized and the current equation's result is
        not read once inside its reader's loop (each read would recompute it)."""
        if isinstance(x, Lazy) and not self._fusable(self.eqn, self.info):
            return self.copy(x)
        return x

    @staticmethod
    def _output_only(eqn, info: ProgramInfo) -> bool:
        """Only read as a program output: computed in the loop that writes the output."""
        out = eqn.outputs[0]
        return info.reads.get(id(out)) == 1 and info.reader.get(id(out), 0) is None

    def elementwise(self, eqn, vals: list[Value], lazy: bool, shared: bool = False) -> Value:
        aval = eqn.outputs[0].aval
        in_avals = [x.aval for x in eqn.inputs]
        dtype = next((a.dtype for a in in_avals if a.dtype.kind != "b"), in_avals[0].dtype)
        se = self.scalar_emitter(dtype, aval.dtype, in_avals, aval.size)
        rule, params = elementwise_rules[eqn.prim], eqn.params

        def at(idx: Index):
            return rule(se, *[self.load(v, idx) for v in vals], **params)

        if not aval.shape:
            return Scalar(at(Index(self.b, (), flat=self.i64(0))), aval)
        depth = 1 + max((v.depth for v in vals if isinstance(v, Lazy)), default=0)
        lazy = lazy and depth <= MAX_FUSED      # a longer chain: one loop per MAX_FUSED ops
        if lazy and shared:       # emitted once per position, however many readers
            memo: dict = {}

            def once(idx: Index):
                hit = memo.get(id(idx))
                if hit is None or hit[0] is not idx:
                    hit = memo[id(idx)] = (idx, at(idx))
                return hit[1]
            return Lazy(once, aval, depth)
        if lazy:
            return Lazy(at, aval, depth)
        buf = self.alloc(aval)
        self.loop(aval.size, lambda i: self.store(buf, Index(self.b, aval.shape, flat=i),
                                                  at(Index(self.b, aval.shape, flat=i))))
        return buf
