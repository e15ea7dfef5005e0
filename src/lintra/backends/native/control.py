"""Control flow in generated code: ``scan``/``fori_loop`` and ``while_loop`` as real loops
(carries in stack slots or double buffers swapped by pointer, stacked outputs as residual
buffers written per step), ``cond`` as a switch over inline branches, and ``call`` as a call
of the called program's own function (shared by the process, or a copy: ``module``)."""

from __future__ import annotations

from llvmlite import ir

from ...core.avals import ShapedArray
from ...core.ir import Program
from .types import I32, I64, Buf, Index, Scalar, check_aval, mem_type, reg_type


class _Carry:
    """A loop-carried value: a scalar in a slot, or an array in two buffers (current, next)
    whose pointers are swapped after each step."""

    def __init__(self, g, aval: ShapedArray, init):
        self.aval = aval
        if not aval.shape:
            self.slot = g.slot(aval)
            g.b.store(g.as_scalar(init).v, self.slot)
            return
        a, b = g.alloc(aval), g.alloc(aval)
        g.write(a, init)
        ptype = a.ptr.type
        self.cur, self.nxt = g.ab.alloca(ptype), g.ab.alloca(ptype)
        g.b.store(a.ptr, self.cur)
        g.b.store(b.ptr, self.nxt)

    def read(self, g):
        if not self.aval.shape:
            return Scalar(g.b.load(self.slot), self.aval)
        return Buf(g.b.load(self.cur), self.aval, owned=True)

    def update(self, g, current, new) -> None:
        """Store the step's result ``new``; ``current`` is what ``read`` gave this step."""
        if not self.aval.shape:
            g.b.store(g.as_scalar(new).v, self.slot)
        elif not (isinstance(new, Buf) and new.ptr is current.ptr):
            nxt = g.b.load(self.nxt)
            g.write(Buf(nxt, self.aval), new)

    def swap(self, g, current, new) -> None:
        if self.aval.shape and not (isinstance(new, Buf) and new.ptr is current.ptr):
            nxt = g.b.load(self.nxt)
            g.b.store(current.ptr, self.nxt)
            g.b.store(nxt, self.cur)


def _step_all(g, carries, currents, news) -> None:
    for c, cur, new in zip(carries, currents, news):
        c.update(g, cur, new)
    for c, cur, new in zip(carries, currents, news):
        c.swap(g, cur, new)


class ControlMixin:
    def row(self, x, k) -> object:
        """``x[k]`` along the leading axis (a view, or a scalar)."""
        inner = ShapedArray(x.aval.shape[1:], x.aval.dtype)
        if not inner.shape:
            return Scalar(self.load(x, Index(self.b, x.aval.shape, multi=[k])), inner)
        off = self.b.mul(k, self.i64(inner.size))
        return Buf(self.b.gep(x.ptr, [off]), inner)

    def emit_scan(self, ins, *, body: Program, num_consts, num_carry, length, reverse,
                  **_) -> list:
        consts = self.lend(ins[:num_consts])        # read again by every step
        carries = [_Carry(self, a, v) for a, v in zip(
            body.in_avals[num_consts:num_consts + num_carry], ins[num_consts:][:num_carry])]
        xs = [self.as_buf(x) for x in ins[num_consts + num_carry:]]
        ys = [self.alloc(ShapedArray((length,) + a.shape, a.dtype))
              for a in body.out_avals[num_carry:]]

        def step(i):
            k = self.b.sub(self.i64(length - 1), i) if reverse else i
            cur = [c.read(self) for c in carries]
            outs = self.emit_program(body, consts + cur + [self.row(x, k) for x in xs])
            for buf, y in zip(ys, outs[num_carry:]):
                dest = self.row(buf, k)
                if isinstance(dest, Scalar):
                    self.store(buf, Index(self.b, buf.aval.shape, multi=[k]),
                               self.as_scalar(y).v)
                else:
                    self.write(Buf(dest.ptr, dest.aval), y)
            _step_all(self, carries, cur, outs[:num_carry])

        self.loop(length, step)
        return [c.read(self) for c in carries] + ys

    def emit_while(self, ins, *, cond_prog: Program, body_prog: Program, cond_nconsts,
                   body_nconsts, **_) -> list:
        consts = self.lend(ins[:cond_nconsts + body_nconsts])    # read by every iteration
        cc, bc = consts[:cond_nconsts], consts[cond_nconsts:]
        init = ins[cond_nconsts + body_nconsts:]
        carries = [_Carry(self, a, v) for a, v in zip(body_prog.out_avals, init)]
        head = self.fn.append_basic_block("while")
        inner = self.fn.append_basic_block("while_body")
        done = self.fn.append_basic_block("while_done")
        self.b.branch(head)
        self.b.position_at_end(head)
        (pred,) = self.emit_program(cond_prog, cc + self.lend([c.read(self) for c in carries]))
        self.b.cbranch(self.as_scalar(pred).v, inner, done)
        self.b.position_at_end(inner)
        cur = [c.read(self) for c in carries]
        outs = self.emit_program(body_prog, bc + cur)
        _step_all(self, carries, cur, outs)
        self.b.branch(head)
        self.b.position_at_end(done)
        return [c.read(self) for c in carries]

    def emit_cond(self, ins, *, branches, **_) -> list:
        index, ops = self.as_scalar(ins[0]).v, self.lend(ins[1:], self.updatable[1:])
        n = len(branches)
        if index.type.width < 64:
            index = self.b.sext(index, I64) if ins[0].aval.dtype.kind == "i" else \
                self.b.zext(index, I64)
        if ins[0].aval.dtype.kind == "i":
            index = self.b.select(self.b.icmp_signed("<", index, self.i64(0)), self.i64(0),
                                  index)
        index = self.b.select(self.b.icmp_unsigned(">", index, self.i64(n - 1)),
                              self.i64(n - 1), index)
        avals = branches[0].out_avals
        results = [self.slot(a) if not a.shape else self.alloc(a) for a in avals]
        merge = self.fn.append_basic_block("cond_done")
        blocks = [self.fn.append_basic_block(f"branch{k}") for k in range(n)]
        sw = self.b.switch(index, blocks[-1])
        for k, blk in enumerate(blocks[:-1]):
            sw.add_case(self.i64(k), blk)
        for prog, blk in zip(branches, blocks):
            self.b.position_at_end(blk)
            for res, out, a in zip(results, self.emit_program(prog, list(ops)), avals):
                if a.shape:
                    self.write(res, out)
                else:
                    self.b.store(self.as_scalar(out).v, res)
            self.b.branch(merge)
        self.b.position_at_end(merge)
        return [res if a.shape else Scalar(self.b.load(res), a)
                for res, a in zip(results, avals)]

    def emit_call(self, ins, *, program: Program, **_) -> list:
        """A call of ``program``'s own function: scalars by value, arrays by pointer; the
        results are written through pointers the caller allocates (``ModuleEmitter.callee``:
        which function)."""
        fn = self.mod.callee(self.b, program)
        args = [self.as_scalar(v).v if not v.aval.shape else self.as_buf(v).ptr for v in ins]
        outs = [self.alloc(a) for a in program.out_avals]
        st = self.b.call(fn, args + [o.ptr for o in outs])
        self.fail_unless(self.b.icmp_signed("==", st, ir.Constant(I32, 0)), st)
        return [o if a.shape else Scalar(self.load(o, Index(self.b, (), flat=self.i64(0))), a)
                for o, a in zip(outs, program.out_avals)]


def function_type(program: Program) -> ir.FunctionType:
    """Scalars by value (bool as i1), arrays and every result by pointer; returns a status."""

    for a in program.in_avals + program.out_avals:
        check_aval(a)
    args = [reg_type(a.dtype) if not a.shape else mem_type(a.dtype).as_pointer()
            for a in program.in_avals]
    args += [mem_type(a.dtype).as_pointer() for a in program.out_avals]
    return ir.FunctionType(I32, args)
