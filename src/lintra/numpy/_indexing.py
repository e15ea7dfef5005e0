"""NumPy indexing on lintra values: ``x[idx]`` and ``x.at[idx].set/add/multiply/get``
(``take`` and ``dynamic_slice`` and friends are in ``_take.py``).

Static parts of an index (slices with concrete bounds, ``None``, ``...``) become ``slice``,
``rev`` and ``reshape``; integer parts, concrete or traced, become one ``take`` whose
transpose is a sparse cotangent (so reading every ``x[i]`` of a vector stays O(n) in the
backward pass). Integers count as advanced indices, as in NumPy: the broadcast index dims go
where the first advanced index stands when the advanced indices are adjacent, else first.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from ..core.array import as_array
from ..core.errors import ConcretizationError
from ..core.staging import intern_constant
from ..core.trace import Tracer, get_aval
from ..ops import elementwise as E
from ..ops import extrema as X
from ..ops import indexing as I
from ..ops import powers as PW
from ..ops import structure as S
from ._basic import _as_value

__all__ = ["getitem", "at_property"]

_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None (`newaxis`) and integer "
              "or boolean arrays are valid indices")


def _traced(v) -> bool:
    return isinstance(v, Tracer)


def _has_tracer(idx) -> bool:
    if isinstance(idx, Tracer):
        return True
    if isinstance(idx, slice):
        return any(_traced(p) for p in (idx.start, idx.stop, idx.step))
    if isinstance(idx, (tuple, list)):
        return any(_has_tracer(e) for e in idx)
    return False


# ---------------------------------------------------------------- parsing

class _Index:
    """An index normalized against a shape.

    ``inserts``: positions where size-1 axes are added to ``x`` first (boolean scalars);
    ``entries``: one per index item, ``(kind, payload, x_axis)`` with kind ``slice`` (payload
    ``(start, stop, step)``), ``adv`` (payload: normalized int array or traced int), ``new``,
    or ``sep`` (where an Ellipsis stood: no axis, but it separates advanced indices).
    """

    def __init__(self, shape: tuple[int, ...], idx):
        items = list(idx) if isinstance(idx, tuple) else [idx]
        conv = [self._convert(e) for e in items]
        if sum(1 for k, _ in conv if k == "ellipsis") > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        used = sum(p.ndim if k == "mask" else 1 for k, p in conv
                   if k in ("int", "array", "traced", "slice", "mask"))
        if used > len(shape):
            raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, "
                             f"but {used} were indexed")
        fill = [("slice", slice(None))] * (len(shape) - used)
        if any(k == "ellipsis" for k, _ in conv):
            i = next(i for i, (k, _) in enumerate(conv) if k == "ellipsis")
            conv = conv[:i] + [("sep", None)] + fill + conv[i + 1:]   # NumPy: even an empty
            # Ellipsis separates advanced indices
        else:
            conv = conv + fill
        self.inserts: list[int] = []
        self.entries: list[tuple] = []
        shp = list(shape)
        ax = 0
        for kind, p in conv:
            if kind in ("new", "sep"):
                self.entries.append((kind, None, None))
            elif kind == "boolscalar":
                shp.insert(ax, 1)
                self.inserts.append(ax)
                self.entries.append(("adv", np.zeros(int(p), np.int64), ax))
                ax += 1
            elif kind == "mask":
                if tuple(shp[ax:ax + p.ndim]) != p.shape:
                    raise IndexError(f"boolean index of shape {p.shape} does not match the "
                                     f"indexed array's axes {tuple(shp[ax:ax + p.ndim])} "
                                     f"starting at axis {ax}")
                for c in np.nonzero(p):
                    self.entries.append(("adv", c.astype(np.int64), ax))
                    ax += 1
            elif kind == "slice":
                self.entries.append(("slice", self._slice(p, shp[ax]), ax))
                ax += 1
            else:
                self.entries.append(("adv", self._normalize(p, shp[ax], ax), ax))
                ax += 1
        self.shape = tuple(shp)
        self.adv = [e for e in self.entries if e[0] == "adv"]
        self.adv_shape = np.broadcast_shapes(*[get_aval(p).shape for _, p, _ in self.adv]) \
            if self.adv else ()

    @staticmethod
    def _convert(e):
        if e is None:
            return "new", None
        if e is Ellipsis:
            return "ellipsis", None
        if isinstance(e, slice):
            return "slice", e
        if isinstance(e, (bool, np.bool_)):
            return "boolscalar", bool(e)
        if isinstance(e, (int, np.integer)):
            return "int", int(e)
        if isinstance(e, Tracer):
            dt = e.aval.dtype
            if dt == np.bool_:
                try:
                    mask = np.asarray(e._concrete("a concrete boolean mask"))
                except ConcretizationError:
                    raise IndexError(
                        "boolean mask indexing with a traced mask has a data-dependent "
                        "shape and cannot be staged; use lintra.numpy.where(mask, x, 0) "
                        "instead") from None
                return ("boolscalar", bool(mask)) if mask.ndim == 0 else ("mask", mask)
            if dt.kind not in "iu":
                raise IndexError(f"{_BAD_INDEX}; got a traced {e.aval.str_short()}")
            return "traced", e
        if isinstance(e, (list, tuple)) and _has_tracer(e):
            t = _as_value(e)
            return _Index._convert(t)
        if isinstance(e, (list, tuple, np.ndarray)):
            a = np.asarray(e)
            if a.dtype == np.bool_:
                return ("boolscalar", bool(a)) if a.ndim == 0 else ("mask", a)
            if a.size == 0 and isinstance(e, (list, tuple)):
                a = a.astype(np.int64)
            if a.dtype.kind not in "iu":
                raise IndexError(f"{_BAD_INDEX}; got an array of dtype {a.dtype}")
            return ("int", int(a)) if a.ndim == 0 else ("array", a)
        raise IndexError(f"{_BAD_INDEX}; got {type(e).__name__} {e!r}")

    @staticmethod
    def _slice(s: slice, n: int) -> tuple[int, int, int]:
        try:
            parts = [None if p is None else operator.index(p) for p in (s.start, s.stop, s.step)]
        except ConcretizationError:
            raise ConcretizationError(
                "slice bounds must be static (concrete integers), but a slice here has a "
                "traced start, stop or step. To read a slice of static size at a traced "
                "start use lintra.numpy.dynamic_slice(x, start_indices, slice_sizes), e.g. "
                "x[i:i+3] -> dynamic_slice(x, (i,), (3,)).") from None
        except TypeError:
            raise IndexError("slice indices must be integers or None") from None
        if parts[2] == 0:
            raise ValueError("slice step cannot be zero")
        return slice(*parts).indices(n)

    @staticmethod
    def _normalize(p, n: int, ax: int):
        """Negative indices count from the end; concrete ones are bounds-checked now."""
        if _traced(p):
            if p.aval.dtype.kind == "u":
                return p
            return E.select(E.lt(p, 0), E.add(p, n), p)
        a = np.asarray(p, np.int64)
        bad = (a < -n) | (a >= n)
        if bad.any():
            raise IndexError(f"index {a[bad].flat[0]} is out of bounds for axis {ax} with "
                             f"size {n}")
        return np.where(a < 0, a + n, a)

    def out_shape(self, taken_shape: dict) -> tuple[int, ...]:
        """NumPy's result shape; ``taken_shape`` maps x axes to their (sliced) sizes."""
        pos = [i for i, e in enumerate(self.entries) if e[0] == "adv"]
        adjacent = bool(pos) and pos == list(range(pos[0], pos[-1] + 1))
        out: list[int] = [] if adjacent or not pos else list(self.adv_shape)
        for i, (kind, _, ax) in enumerate(self.entries):
            if kind == "new":
                out.append(1)
            elif kind == "slice":
                out.append(taken_shape[ax])
            elif adjacent and i == pos[0]:
                out.extend(self.adv_shape)
        return tuple(out)


def _stack_indices(vals: list, shape: tuple[int, ...]):
    """Broadcast index arrays to ``shape`` and stack them on a new last axis."""
    if not any(_traced(v) for v in vals):
        return np.stack([np.broadcast_to(np.asarray(v, np.int64), shape) for v in vals], -1)
    vals = [S.broadcast_to(_as_value(v, np.dtype(np.int64)), shape) for v in vals]
    return S.stack(vals, axis=-1)


def _apply_slices(x, ix: _Index):
    """Static slices (negative steps through ``rev``); returns x and the sliced sizes."""
    nd = len(ix.shape)
    start, limit, strides = [0] * nd, list(ix.shape), [1] * nd
    flips, sizes = [], dict(enumerate(ix.shape))
    for _, (lo, hi, step), ax in (e for e in ix.entries if e[0] == "slice"):
        n = ix.shape[ax]
        length = len(range(lo, hi, step))
        if step < 0:
            flips.append(ax)
            lo, step = n - 1 - lo, -step
        if length == 0:
            lo = 0
        start[ax], strides[ax], sizes[ax] = lo, step, length
        limit[ax] = lo + (length - 1) * step + 1 if length else lo
    x = S.rev(x, flips)
    return S.slice_static(x, start, limit, strides), sizes


def _int_index(x, idx):
    """``x[i]`` / ``x[i, j]`` with static ints: one ``take`` of a constant index vector, or
    None for any other index. Scalar loops index this way thousands of times; the general
    path below costs ~0.3 ms each."""
    shape = getattr(x.aval, "shape", None)
    if isinstance(idx, tuple):
        if not idx:
            return None
    else:
        idx = (idx,)
    if shape is None or len(idx) > len(shape):
        return None
    vec = []
    for ax, (i, n) in enumerate(zip(idx, shape)):
        if i.__class__ is not int and not isinstance(i, np.integer):
            return None
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for axis {ax} with size {n}")
        vec.append(int(i) + n if i < 0 else int(i))
    return I.take_p.bind(x, _index_vector(tuple(vec)), axis=0)


@functools.lru_cache(maxsize=1 << 16)
def _index_vector(vec: tuple) -> np.ndarray:
    """The constant index vector of ``x[i, j]`` (one read-only array per index: a loop over
    ``x[i]`` makes thousands)."""
    return intern_constant(np.array(vec, np.int64))


def getitem(x, idx):
    """``x[idx]`` with NumPy semantics; integer indices may be traced."""
    if not isinstance(x, Tracer):
        if not _has_tracer(idx):
            return np.asarray(x)[idx]
    else:
        if idx.__class__ is int:                # x[i]: the loops' case, inline
            shape = getattr(x.aval, "shape", None)
            if shape and 0 <= idx < shape[0]:
                return I.take_p.bind(x, _index_vector((idx,)), axis=0)
        out = _int_index(x, idx)
        if out is not None:
            return out
    x = _as_value(x)
    ix = _Index(get_aval(x).shape, idx)
    if ix.inserts:
        x = S.reshape(x, ix.shape)
    x, sizes = _apply_slices(x, ix)
    adv_axes = [ax for _, _, ax in ix.adv]
    if ix.adv and ix.adv_shape == ():
        # scalar indices only: where their (empty) dims go does not matter; one take per run
        runs: list[list] = []
        for _, p, ax in ix.adv:
            if runs and runs[-1][-1][1] == ax - 1:
                runs[-1].append((p, ax))
            else:
                runs.append([(p, ax)])
        for run in reversed(runs):
            x = I.take_p.bind(x, _stack_indices([p for p, _ in run], ()), axis=run[0][1])
    elif ix.adv:
        idx_arr = _stack_indices([p for _, p, _ in ix.adv], ix.adv_shape)
        if adv_axes == list(range(adv_axes[0], adv_axes[-1] + 1)):
            x = I.take_p.bind(x, idx_arr, axis=adv_axes[0])
            nb, a0 = len(ix.adv_shape), adv_axes[0]
            pos = [i for i, e in enumerate(ix.entries) if e[0] == "adv"]
            if pos != list(range(pos[0], pos[-1] + 1)) and a0:   # NumPy puts B first
                nd = get_aval(x).ndim
                x = S.transpose(x, list(range(a0, a0 + nb)) + list(range(a0))
                                + list(range(a0 + nb, nd)))
        else:
            rest = [a for a in range(len(ix.shape)) if a not in adv_axes]
            x = I.take_p.bind(S.transpose(x, adv_axes + rest), idx_arr, axis=0)
    return S.reshape(x, ix.out_shape(sizes))


# ---------------------------------------------------------------- functional updates (.at)

@functools.lru_cache(maxsize=32)
def _coords(shape: tuple[int, ...]) -> np.ndarray:
    """``coords[i0, ..., in] == (i0, ..., in)``: indexing it gives index vectors."""
    out = np.stack(np.indices(shape, dtype=np.int64), -1) if shape else np.zeros((1,), np.int64)
    out.flags.writeable = False
    return out


def _scatter_form(x, idx):
    """``(x', axis, idx_vectors, update_shape, unshape)``: updating ``x[idx]`` is a scatter
    into ``x'`` at ``idx_vectors`` along ``axis``; ``unshape`` maps the result back."""
    shape = get_aval(x).shape
    if not shape:   # a 0-d array: address it as a (1,) vector
        out_shape = np.zeros(())[idx].shape if not _has_tracer(idx) else \
            getitem(np.zeros(()), idx).shape
        return (S.reshape(x, (1,)), 0, np.zeros(out_shape + (1,), np.int64), out_shape,
                lambda y: S.reshape(y, ()))
    ix = _Index(shape, idx)
    axes = [ax for _, _, ax in ix.adv]
    pos = [i for i, e in enumerate(ix.entries) if e[0] == "adv"]
    simple = (ix.adv and not ix.inserts and pos == list(range(pos[0], pos[-1] + 1))
              and all(e[0] in ("adv", "sep")
                      or (e[0] == "slice" and e[1] == (0, shape[e[2]], 1))
                      for e in ix.entries))
    if simple:
        vec = _stack_indices([p for _, p, _ in ix.adv], ix.adv_shape)
        upd_shape = shape[:axes[0]] + tuple(ix.adv_shape) + shape[axes[-1] + 1:]
        return x, axes[0], vec, upd_shape, lambda y: y
    full = idx if isinstance(idx, tuple) else (idx,)
    vec = getitem(_coords(shape), full + (slice(None),))
    return x, 0, vec, get_aval(vec).shape[:-1], lambda y: y


def _updates(v, shape, dtype):
    v = _as_value(v, dtype)
    vs = get_aval(v).shape
    while len(vs) > len(shape) and vs[0] == 1:   # NumPy drops leading unit dims here
        v = S.reshape(v, vs[1:])
        vs = vs[1:]
    return S.broadcast_to(v, shape)


def _concrete(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return as_array(method(self, *args, **kwargs))
    return wrapper


class _IndexUpdateRef:
    """``x.at[idx]``: functional updates returning new arrays (``x`` is unchanged).

    Duplicate indices: ``add`` accumulates every update, ``set`` keeps the last one (in
    row-major order of the index), ``multiply`` applies every factor (with traced indices it
    requires them to be unique, checked when it runs)."""

    __slots__ = ("x", "idx")

    def __init__(self, x, idx):
        self.x, self.idx = x, idx

    def get(self):
        return getitem(self.x, self.idx)

    def _form(self, v):
        x = _as_value(self.x)
        xs, axis, vec, upd_shape, unshape = _scatter_form(x, self.idx)
        return xs, axis, vec, _updates(v, upd_shape, get_aval(x).dtype), unshape

    def add(self, v):
        xs, axis, vec, upd, unshape = self._form(v)
        return unshape(I.scatter_add(xs, vec, upd, axis))

    def subtract(self, v):
        return self.add(E.neg(_as_value(v, get_aval(self.x).dtype)))

    def set(self, v):
        xs, axis, vec, upd, unshape = self._form(v)
        return unshape(I.scatter(xs, vec, upd, axis))

    def multiply(self, v):
        ones = np.ones(get_aval(self.x).shape, get_aval(self.x).dtype)
        return self._rounds(v, lambda out, vec, u, axis, unique: E.mul(
            out, I.scatter(ones.reshape(get_aval(out).shape), vec, u, axis, unique=unique)))

    mul = multiply

    def divide(self, v):
        return self.multiply(E.div(1.0, _as_value(v, get_aval(self.x).dtype)))

    def power(self, v):
        """``x[idx] **= v`` (the indices must be unique, as in JAX)."""
        return self.set(PW.pow(self.get(), v))

    def min(self, v):
        """``x[idx] = minimum(x[idx], v)``; duplicate indices take the minimum of all."""
        return self._rounds(v, lambda out, vec, u, axis, unique: I.scatter(
            out, vec, X.minimum(I.take(out, vec, axis, vector=True), u), axis, unique=unique))

    def max(self, v):
        """``x[idx] = maximum(x[idx], v)``; duplicate indices take the maximum of all."""
        return self._rounds(v, lambda out, vec, u, axis, unique: I.scatter(
            out, vec, X.maximum(I.take(out, vec, axis, vector=True), u), axis, unique=unique))

    def _rounds(self, v, step):
        """Apply ``step(out, index_vectors, updates, axis, unique)`` once per occurrence rank
        of the (concrete) indices, so duplicates combine every update; traced indices must
        be unique (checked when the scatter runs)."""
        xs, axis, vec, upd, unshape = self._form(v)
        if _traced(vec):
            return unshape(step(xs, vec, upd, axis, True))
        nb = vec.ndim - 1
        flat = vec.reshape(-1, vec.shape[-1])
        _, inv = np.unique(flat, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        rank = np.zeros(len(flat), np.int64)
        seen: dict[int, int] = {}
        for i, g in enumerate(inv.tolist()):
            rank[i] = seen.get(g, 0)
            seen[g] = rank[i] + 1
        if not len(flat) or rank.max() == 0:
            return unshape(step(xs, vec, upd, axis, False))
        us = get_aval(upd).shape
        upd = S.reshape(upd, us[:axis] + (len(flat),) + us[axis + nb:])
        out = xs
        for r in range(int(rank.max()) + 1):
            sel = np.nonzero(rank == r)[0]
            out = step(out, flat[sel], I.take(upd, sel, axis), axis, False)
        return unshape(out)


class _IndexUpdateHelper:
    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x

    def __getitem__(self, idx) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.x, idx)


for _name in ("get", "add", "subtract", "set", "multiply", "mul", "divide", "power", "min",
              "max"):   # results on concrete arrays are lintra.numpy Arrays
    setattr(_IndexUpdateRef, _name, _concrete(getattr(_IndexUpdateRef, _name)))


def at_property(x) -> _IndexUpdateHelper:
    """The ``.at`` property of traced values: ``x.at[idx].add(v)`` and friends."""
    return _IndexUpdateHelper(x)
