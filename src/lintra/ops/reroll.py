"""Rerolling: a straight-line program made of K copies of one block of equations (a Python
loop unrolled at trace time) rewritten as one ``scan`` over the block.

Why: ``jit(grad(f))`` of a Python loop stages O(n) equations, and every layer after staging
(linearize, transpose, compile) then pays per equation, and the compiled code is O(n) long.
Rolled back into a loop before it is differentiated, the derivative is a loop too: the
derivative layers and the compiler see one block, once. The rolled program runs the same
equations in the same order, so it computes the same values.

Blocks are matched first by signature (primitive, params, input types, which inputs are
literals), then by data flow. In every block after the first, each input reads
- the same equation output of the same block (a local value),
- that output of the previous block (a carry),
- the same value from before the loop (a loop invariant, a ``scan`` const), or
- a literal: the same in every block, or, when it varies (the index vector of ``x[i]``),
  stacked into an ``xs`` input.
The first block reads the carries' initial values from before the loop. Values of the last
block read after the loop are carries too; a value of an earlier block read after the loop
(a list of states stacked at the end) is stacked into the scan's ys and read back from them.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..ad.linearize import staged_rewrites
from ..core.avals import ShapedArray
from ..core.ir import Eqn, Literal, Program, Var
from ..core.staging import gc_paused, params_key
from .control_scan import scan_p
from .elementwise import add_p, mul_p
from .indexing import take_p
from .shape import reshape_p
from .structure import concatenate_p

MIN_BLOCKS = 4          # fewer copies are left unrolled
MIN_EQNS = 32           # so are loops of fewer equations in all
MAX_PASSES = 8          # periods tried in turn (inner loops first: nested loops roll in layers)
_LIT, _LOC, _CAR, _OUT = range(4)
_COUNTER = ShapedArray((), np.dtype(np.int64))


class _NoMatch(Exception):
    pass


def reroll(program: Program) -> Program:
    """``program`` with each long run of repeated blocks rolled into a ``scan``."""
    with gc_paused():
        return _reroll(program)


def _reroll(program: Program) -> Program:
    eqns = _split_shared_reads(_shared_subprograms(program.eqns))
    unrolled = eqns
    bodies: dict = {}
    for _ in range(MAX_PASSES):
        if len(eqns) < MIN_EQNS:
            break
        rolled = None
        sigs = _signatures(eqns)
        for period in _candidate_periods(sigs, len(eqns)):
            rolled = _roll_runs(eqns, sigs, program.outs, period, bodies)
            if rolled is not None:
                break
        if rolled is None:
            break
        eqns = rolled
    if eqns is unrolled:
        return program
    return Program(program.params, eqns, program.outs, program.name)


def _shared_subprograms(eqns: list[Eqn]) -> list[Eqn]:
    """Sub-programs equal up to variable names become one object: a ``cond`` or an inner
    ``fori_loop`` staged in each iteration of a Python loop has its own, and the iterations'
    equations must have equal params to match."""
    programs: dict = {}

    def canonical(v):
        if v.__class__ is Program:
            key = _structure(v)
            return v if key is None else programs.setdefault(key, v)
        if v.__class__ is tuple and v and all(p.__class__ is Program for p in v):
            return tuple(canonical(p) for p in v)
        return v

    out = []
    for e in eqns:
        if e.prim.higher_order:
            params = {k: canonical(v) for k, v in e.params.items()}
            if any(params[k] is not v for k, v in e.params.items()):
                e = Eqn(e.prim, e.inputs, params, e.outputs, e.source)
        out.append(e)
    return out


def _split_shared_reads(eqns: list[Eqn]) -> list[Eqn]:
    """Each later reader of ``x[i]`` at a constant index gets its own copy of the read. CSE
    shares ``x[i + 1]`` of one iteration with ``x[i]`` of the next, which would make it a
    carry: a chain through the loop that keeps the compiler from vectorizing the reads and
    everything computed from them alone."""
    reads: dict[int, Eqn] = {}          # id(out) -> its read, until a first reader
    shared: dict[int, Eqn] = {}         # after it
    out = []
    for e in eqns:
        copies: dict[int, Var] | None = None
        first: list[int] = []
        for x in e.inputs:
            if x.__class__ is not Var:
                continue
            k = id(x)
            src = shared.get(k)
            if src is None:
                src = reads.pop(k, None)
                if src is not None:
                    shared[k] = src
                    first.append(k)
            elif k not in first and (copies is None or k not in copies):
                copies = copies or {}
                copies[k] = Var(x.aval)
                out.append(Eqn(src.prim, src.inputs, src.params, [copies[k]], src.source))
        if copies:
            e = Eqn(e.prim, [copies.get(id(x), x) for x in e.inputs], e.params, e.outputs,
                    e.source)
        if e.prim is take_p and e.inputs[1].__class__ is Literal:
            reads[id(e.outputs[0])] = e
        out.append(e)
    return out


def _signatures(eqns: list[Eqn]) -> list[int]:
    """Per equation, a number that is equal for equal (primitive, params, input types,
    literal or not)."""
    table: dict = {}
    types: dict[int, tuple] = {}        # id(aval) -> (aval, its key): an aval is keyed once
    sigs = []
    for e in eqns:
        pkey = params_key(e.params) if e.params else ()
        ins = []
        for x in e.inputs:
            a = x.aval
            t = types.get(id(a))
            if t is None:
                t = types[id(a)] = (a, (a.shape, a.dtype) if a.__class__ is ShapedArray
                                    else a)
            ins.append(t[1])
            ins.append(x.__class__ is Literal)
        key = (e.prim, pkey if pkey is not None else object(), tuple(ins))
        sigs.append(table.setdefault(key, len(table)))
    return sigs


def _candidate_periods(sigs: list[int], n: int) -> list[int]:
    """The distances at which equal signatures recur most often."""
    last: dict[int, int] = {}
    gaps: Counter = Counter()
    for j, s in enumerate(sigs):
        prev = last.get(s)
        if prev is not None:
            gaps[j - prev] += 1
        last[s] = j
    return [p for p, count in gaps.most_common(4)
            if p * MIN_BLOCKS <= n and count * p >= MIN_EQNS]


def _runs(sigs: list[int], period: int) -> list[tuple[int, int]]:
    """Maximal ``(start, blocks)`` where each block's signatures repeat the previous one's."""
    runs = []
    n, j = len(sigs), 0
    while j + period < n:
        if sigs[j] != sigs[j + period]:
            j += 1
            continue
        start = j
        while j + period < n and sigs[j] == sigs[j + period]:
            j += 1
        blocks = (j + period - start) // period
        if blocks >= MIN_BLOCKS and blocks * period >= MIN_EQNS:
            runs.append((start, blocks))
    return runs


def _roll_runs(eqns: list[Eqn], sigs: list[int], outs: list, period: int, bodies: dict
               ) -> list[Eqn] | None:
    runs = _runs(sigs, period)
    if not runs:
        return None
    defs = {id(v): j for j, e in enumerate(eqns) for v in e.outputs}
    last_use = _last_uses(eqns, outs)
    new = list(eqns)
    changed = False
    for start, blocks in reversed(runs):       # right to left: earlier indices stay valid
        try:
            rolled = _Block(eqns, defs, last_use, start, period, blocks).scan_eqns(bodies)
        except _NoMatch:
            continue
        new[start:start + period * blocks] = rolled
        changed = True
    return new if changed else None


def _last_uses(eqns: list[Eqn], outs: list) -> dict[int, int]:
    last: dict[int, int] = {}
    for j, e in enumerate(eqns):
        for x in e.inputs:
            if x.__class__ is Var:
                last[id(x)] = j
    for o in outs:
        if o.__class__ is Var:
            last[id(o)] = len(eqns)
    return last


class _Block:
    """The data-flow match of ``blocks`` copies of ``eqns[start:start + period]``."""

    def __init__(self, eqns, defs, last_use, start: int, period: int, blocks: int):
        self.eqns, self.start, self.period, self.blocks = eqns, start, period, blocks
        self.end = start + period * blocks
        self.pattern: list[list] = []            # per equation of the block, per input
        self.literals: dict[tuple, list] = {}    # (r, i) -> the literal of each block
        self.outer: dict[tuple, list] = {}       # (r, i) -> the value from before, per block
        self.init: dict[tuple, Var] = {}         # carried (r, o) -> its value before the loop
        self._match(defs)
        self.escapes, self.ys = self._escapes(last_use)

    def _ref(self, defs, x, k: int):
        j = defs.get(id(x))
        if j is None or j < self.start:
            return (_OUT,)
        kk, r = divmod(j - self.start, self.period)
        if k - kk == 0:
            return (_LOC, r, self.eqns[j].outputs.index(x))
        if k - kk == 1:
            return (_CAR, r, self.eqns[j].outputs.index(x))
        raise _NoMatch

    def _match(self, defs) -> None:
        eqns, p, start = self.eqns, self.period, self.start
        for r in range(p):
            e = eqns[start + p + r]
            self.pattern.append([(_LIT,) if x.__class__ is Literal else self._ref(defs, x, 1)
                                 for x in e.inputs])
        literals, outer = self.literals, self.outer
        for k in range(self.blocks):
            base = start + k * p
            for r, row in enumerate(self.pattern):
                inputs = eqns[base + r].inputs
                for i, want in enumerate(row):
                    x, kind = inputs[i], want[0]
                    if kind == _LIT:            # the signatures matched: x is a literal
                        literals.setdefault((r, i), []).append(x)
                    elif kind == _LOC or (kind == _CAR and k):
                        at = base + want[1] - (p if kind == _CAR else 0)
                        if eqns[at].outputs[want[2]] is not x:
                            raise _NoMatch
                    elif defs.get(id(x), -1) >= start:
                        raise _NoMatch          # not from before the loop
                    elif kind == _OUT:
                        outer.setdefault((r, i), []).append(x)
                    elif self.init.setdefault(want[1:], x) is not x:
                        raise _NoMatch          # two initial values for one carry

    def _escapes(self, last_use) -> tuple[list[tuple], dict[tuple, list]]:
        """Values read after the loop: the (r, o) of the last block's (carried out), and
        per (r, o) read from an earlier block, the blocks read (stacked out as ys)."""
        last_block: list[tuple] = []
        stacked: dict[tuple, list] = {}
        for j in range(self.start, self.end):
            for o, v in enumerate(self.eqns[j].outputs):
                if last_use.get(id(v), -1) >= self.end:
                    k, r = divmod(j - self.start, self.period)
                    if k == self.blocks - 1:
                        last_block.append((r, o))
                    else:
                        stacked.setdefault((r, o), []).append(k)
        for slot in last_block:
            if slot in stacked:
                stacked[slot].append(self.blocks - 1)
        return [s for s in last_block if s not in stacked], stacked

    def scan_eqns(self, bodies: dict) -> list[Eqn]:
        """The equations replacing the blocks: stacks of the values from before the loop
        that differ per block (e.g. one computed once and shared by CSE), then the scan."""
        carried = sorted({ref[1:] for row in self.pattern for ref in row if ref[0] == _CAR}
                         | set(self.escapes))
        stacked = [slot for slot, lits in self.literals.items() if _varies(lits)]
        affine = {s: ab for s in stacked if (ab := _affine(self.literals[s])) is not None}
        stacked = [s for s in stacked if s not in affine]
        stacked += [slot for slot, vs in self.outer.items() if any(v is not vs[0] for v in vs)]
        invariants = list({id(vs[0]): vs[0] for slot, vs in self.outer.items()
                           if slot not in stacked}.values())
        ys = sorted(self.ys)
        body = self._body(carried, invariants, stacked, ys, affine)
        key = _structure(body)
        body = bodies.setdefault(key, body) if key is not None else body
        init = [self.init.get(c) or _zeros(self._var(1, c).aval) for c in carried]
        init += [Literal(np.int64(0))] * bool(affine)
        eqns: list[Eqn] = []
        xs = [_stack(self.literals[s]) if s in self.literals else _stack_vars(self.outer[s], eqns)
              for s in stacked]
        escapes = set(self.escapes)
        outs = [self._var(self.blocks - 1, c) if c in escapes else Var(self._var(1, c).aval)
                for c in carried]
        outs += [Var(_COUNTER)] * bool(affine)
        n_carry = len(outs)
        outs += [Var(ShapedArray((self.blocks,) + self._var(1, y).aval.shape,
                                 self._var(1, y).aval.dtype)) for y in ys]
        params = dict(body=body, num_consts=len(invariants), num_carry=n_carry,
                      length=self.blocks, reverse=False, donate=(False,) * n_carry)
        try:
            avals = scan_p.abstract_eval(*[x.aval for x in invariants + init + xs], **params)
        except (TypeError, ValueError) as e:
            raise _NoMatch from e
        if list(avals) != [v.aval for v in outs]:
            raise _NoMatch
        source = self.eqns[self.start + self.period].source
        eqns.append(Eqn(scan_p, invariants + init + xs, params, outs, source))
        for y, stack in zip(ys, outs[n_carry:]):
            for k in self.ys[y]:
                eqns.append(Eqn(take_p, [stack, Literal(np.array([k]))], dict(axis=0),
                                [self._var(k, y)]))
        if len(eqns) + len(body.eqns) > self.period * self.blocks // 2:
            raise _NoMatch      # not worth a loop: stacks and reads back cost as much
        return eqns

    def _var(self, k: int, slot: tuple) -> Var:
        r, o = slot
        return self.eqns[self.start + k * self.period + r].outputs[o]

    def _body(self, carried, invariants, stacked, ys, affine) -> Program:
        """Block 1's equations over fresh variables: (invariants, carries, xs) ->
        (carries, ys). With ``affine`` literals, a counter is carried last and they are
        computed from it."""
        inv = {id(v): Var(v.aval) for v in invariants}
        carry_in = {c: Var(self._var(1, c).aval) for c in carried}
        xs = {s: Var(self.literals[s][0].aval.strip_weak() if s in self.literals
                     else self.outer[s][0].aval) for s in stacked}
        local: dict[tuple, Var] = {}
        eqns: list[Eqn] = []
        counter = [Var(_COUNTER)] * bool(affine)
        for (r, i), (a, b) in affine.items():
            xs[(r, i)] = _affine_eqns(counter[0], a, b, eqns,
                                      self.eqns[self.start + self.period + r].source)
        for r, row in enumerate(self.pattern):
            e = self.eqns[self.start + self.period + r]
            ins = []
            for i, (x, ref) in enumerate(zip(e.inputs, row)):
                kind = ref[0]
                if (r, i) in xs:
                    ins.append(xs[(r, i)])
                elif kind == _LIT:
                    ins.append(x)
                elif kind == _LOC:
                    ins.append(local[ref[1:]])
                elif kind == _CAR:
                    ins.append(carry_in[ref[1:]])
                else:
                    ins.append(inv[id(x)])
            try:
                avals = e.prim.abstract_eval(*[x.aval for x in ins], **e.params)
            except (TypeError, ValueError) as err:
                raise _NoMatch from err
            if list(avals) != [v.aval for v in e.outputs]:
                raise _NoMatch          # a stacked literal was weakly typed
            outs = [Var(v.aval) for v in e.outputs]
            for o, v in enumerate(outs):
                local[(r, o)] = v
            eqns.append(Eqn(e.prim, ins, e.params, outs, e.source))
        nxt = [_affine_eqns(c, 1, 1, eqns, eqns[-1].source) for c in counter]
        params = [*inv.values(), *carry_in.values(), *counter,
                  *[xs[s] for s in stacked]]
        outs = [local[c] for c in carried] + nxt + [local[y] for y in ys]
        return Program(params, eqns, outs, name="loop")


def _affine(lits: list[Literal]):
    """``(a, b)`` where the k-th literal is ``a + b * k`` (the index of ``x[i]``, ``x[2 * i]``)
    and int64, else None. Computed from a carried counter, such an index lets the compiler
    prove the reads in bounds and vectorize the loop; loaded from a stack, it cannot."""
    if lits[0].aval.dtype != np.int64 or lits[0].aval.weak_type:
        return None
    vals = np.stack([np.asarray(x.val) for x in lits])
    step = vals[1] - vals[0]
    k = np.arange(len(lits)).reshape((-1,) + (1,) * step.ndim)
    if not np.array_equal(vals, vals[0] + k * step):
        return None
    return vals[0], step


def _affine_eqns(counter: Var, a, b, eqns: list[Eqn], source=None) -> Var:
    """``a + b * counter`` by equations appended to ``eqns``: in scalars, so that no array
    is allocated per iteration (an index vector ``(m,)`` is put together from its parts)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    if a.ndim > 1:
        return _emit(eqns, add_p, [_emit(eqns, mul_p, [counter, Literal(b)], a.shape, source),
                                   Literal(a)], a.shape, source)
    parts = []
    for aj, bj in zip(a.reshape(-1), b.reshape(-1)):
        v = counter if bj == 1 else _emit(eqns, mul_p, [counter, Literal(bj)], (), source)
        v = v if aj == 0 else _emit(eqns, add_p, [v, Literal(aj)], (), source)
        parts.append(v if a.ndim == 0 else _emit(eqns, reshape_p, [v], (1,), source,
                                                  shape=(1,)))
    return parts[0] if len(parts) == 1 else _emit(eqns, concatenate_p, parts, a.shape,
                                                  source, axis=0)


def _emit(eqns: list[Eqn], prim, ins: list, out_shape: tuple, source, **params) -> Var:
    out = Var(ShapedArray(out_shape, np.dtype(np.int64)))
    eqns.append(Eqn(prim, ins, params, [out], source))
    return out


def _literal_value(lit: Literal):
    val = np.asarray(lit.val)
    return (val.dtype.str, val.shape, val.tobytes())


def _varies(lits: list[Literal]) -> bool:
    first = _literal_value(lits[0])
    return any(_literal_value(x) != first for x in lits[1:])


def _stack(lits: list[Literal]) -> Literal:
    dtype = lits[0].aval.dtype
    return Literal(np.stack([np.asarray(x.val, dtype) for x in lits]))


def _stack_vars(vs: list[Var], eqns: list[Eqn]) -> Var:
    """``vs`` stacked along a new leading axis, by equations appended to ``eqns``."""
    aval = vs[0].aval
    one = ShapedArray((1,) + aval.shape, aval.dtype)
    rows = []
    for v in vs:
        row = Var(one)
        eqns.append(Eqn(reshape_p, [v], dict(shape=one.shape), [row]))
        rows.append(row)
    out = Var(ShapedArray((len(vs),) + aval.shape, aval.dtype))
    eqns.append(Eqn(concatenate_p, rows, dict(axis=0), [out]))
    return out


def _zeros(aval) -> Literal:
    return Literal(np.zeros(aval.shape, aval.dtype))


def _structure(body: Program):
    """A key equal for bodies that are the same program up to variable names (the copies of
    an inner loop rolled in each iteration of an outer one share one body)."""
    slot = {id(v): i for i, v in enumerate(body.params)}
    key: list = [tuple(v.aval for v in body.params)]
    for e in body.eqns:
        pkey = params_key(e.params)
        if pkey is None:
            return None
        ins = []
        for x in e.inputs:
            ins.append(_literal_value(x) if x.__class__ is Literal else slot[id(x)])
        key.append((e.prim, pkey, tuple(ins)))
        for v in e.outputs:
            slot[id(v)] = len(slot)
    key.append(tuple(slot[id(o)] if o.__class__ is Var else _literal_value(o)
                     for o in body.outs))
    return tuple(key)


staged_rewrites.append(reroll)
