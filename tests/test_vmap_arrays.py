"""vmap of the structural, reduction and indexing primitives (ops/structure.py,
ops/reductions.py, ops/indexing.py), through the ``lintra.numpy`` functions users call.

Oracle: ``vmap(f, in_axes, out_axes)(*args)`` equals ``f`` applied by lintra to each batch
element alone (no batching rule involved; those per-element results are checked against NumPy
and JAX in test_structure/test_reductions/test_indexing), stacked at ``out_axes``. Random
shapes, random in_axes (None, positive, negative) per argument, random out_axes, float32 and
float64; the same for vmap of jvp, vmap of grad and grad of a sum of vmap. Index arguments
(batched or not) exercise gather/scatter with batched operand, indices and updates in every
combination."""

# ruff: noqa: B023  (loop lambdas are called within their iteration)

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.batching.core import vmap_rules
from lintra.core.primitive import Primitive
from lintra.core.trace import get_aval
from lintra.ops import indexing, reductions, structure

DTYPES = [np.float32, np.float64]


def F(shape):
    return ("f", tuple(shape))


def Ix(shape, lo, hi):
    """Integer index argument with entries in [lo, hi]."""
    return ("i", tuple(shape), lo, hi)


def Perm(shape, n):
    """Integer index argument whose last axis holds distinct indices in [0, n)."""
    return ("p", tuple(shape), n)


# ---------------------------------------------------------------- the cases

small = st.integers(1, 4)


def shape_of(draw, min_dims=1, max_dims=3):
    return tuple(draw(st.lists(small, min_size=min_dims, max_size=max_dims)))


def axis_of(draw, nd):
    return draw(st.integers(-nd, nd - 1))


def case_concatenate(draw):
    s = shape_of(draw)
    ax = axis_of(draw, len(s))
    s2 = list(s)
    s2[ax] = draw(small)
    return lambda a, b: lnp.concatenate([a, b, a], ax), [F(s), F(s2)]


def case_stack(draw):
    s = shape_of(draw, 0)
    ax = axis_of(draw, len(s) + 1)
    return lambda a, b: lnp.stack([a, b], ax), [F(s), F(s)]


def case_split(draw):
    s = shape_of(draw)
    ax = axis_of(draw, len(s))
    cut = draw(st.integers(0, s[ax]))
    return lambda a: lnp.split(a, [cut], ax), [F(s)]


def case_pad_traced_value(draw):
    # a traced (possibly batched) padding value
    s = shape_of(draw)
    widths = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in s]
    return lambda a, c: lnp.pad(a, widths, constant_values=c), [F(s), F(())]


def case_pad(draw):
    s = shape_of(draw)
    widths = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in s]
    mode = draw(st.sampled_from(["constant", "edge", "reflect", "wrap"]))
    if mode in ("reflect", "wrap"):
        widths = [(min(lo, d - 1), min(hi, d - 1)) for (lo, hi), d in zip(widths, s)]
    return lambda a: lnp.pad(a, widths, mode=mode), [F(s)]


def case_flip(draw):
    s = shape_of(draw)
    ax = draw(st.none() | st.integers(-len(s), len(s) - 1))
    return lambda a: lnp.flip(a, ax), [F(s)]


def case_roll(draw):
    s = shape_of(draw)
    ax = draw(st.none() | st.integers(-len(s), len(s) - 1))
    shift = draw(st.integers(-5, 5))
    return lambda a: lnp.roll(a, shift, ax), [F(s)]


def case_tile_repeat(draw):
    s = shape_of(draw)
    if draw(st.booleans()):
        reps = tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=3)))
        return lambda a: lnp.tile(a, reps), [F(s)]
    ax = axis_of(draw, len(s))
    reps = draw(st.integers(1, 3) | st.lists(st.integers(0, 2), min_size=s[ax],
                                               max_size=s[ax]))
    return lambda a: lnp.repeat(a, reps, ax), [F(s)]


def case_basic_slice(draw):
    s = shape_of(draw)
    idx = []
    for d in s:
        kind = draw(st.sampled_from(["slice", "int", "none"]))
        if kind == "int":
            idx.append(draw(st.integers(-d, d - 1)))
        elif kind == "none":
            idx.append(None)
            idx.append(slice(None))
        else:
            part = st.none() | st.integers(-d - 1, d + 1)
            idx.append(slice(draw(part), draw(part), draw(st.sampled_from([None, 1, 2, -1, -2]))))
    idx = tuple(idx)
    return lambda a: a[idx], [F(s)]


def case_mask(draw):
    s = shape_of(draw, 1, 2)
    mask = np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(s)),
                                  max_size=int(np.prod(s))))).reshape(s)
    return lambda a: a[mask], [F(s)]


def case_take(draw):
    s = shape_of(draw)
    ax = axis_of(draw, len(s))
    n = s[ax]
    ishape = shape_of(draw, 0, 2)
    return lambda a, i: lnp.take(a, i, ax), [F(s), Ix(ishape, -n, n - 1)]


def case_take_along_axis(draw):
    s = shape_of(draw)
    ax = axis_of(draw, len(s))
    ishape = list(s)
    ishape[ax] = draw(small)
    return lambda a, i: lnp.take_along_axis(a, i, ax), [F(s), Ix(ishape, 0, s[ax] - 1)]


def _array_index(draw, s):
    """An index for shape ``s`` mixing slices and integer-array entries (the arrays become
    arguments); returns the index builder and the specs of the arrays."""
    bshape = shape_of(draw, 0, 2)
    builder, specs = [], []
    for d in s:
        kind = draw(st.sampled_from(["array", "slice", "int"]))
        if kind == "array":
            builder.append(len(specs))
            specs.append(Ix(bshape, -d, d - 1))
        elif kind == "int":
            builder.append(("int", draw(st.integers(-d, d - 1))))
        else:
            builder.append(("slice", slice(draw(st.none() | st.integers(0, d)), None)))

    def build(arrays):
        return tuple(arrays[b] if isinstance(b, int) else b[1] for b in builder)
    return build, specs


def case_getitem(draw):
    s = shape_of(draw)
    build, specs = _array_index(draw, s)
    return lambda a, *ix: a[build(ix)], [F(s)] + specs


def _upd_shape(s, idx_specs, build):
    probe = [np.zeros(sp[1], np.int64) for sp in idx_specs]
    return np.empty(s)[build(probe)].shape


def case_at(draw, op):
    s = shape_of(draw)
    build, specs = _array_index(draw, s)
    us = _upd_shape(s, specs, build)
    us = us[draw(st.integers(0, len(us))):]      # updates broadcast against the target
    def f(a, v, *ix):
        ref = lnp.at_property(a)[build(ix)]
        return ref.get() if op == "get" else getattr(ref, op)(v)
    return f, [F(s), F(us)] + specs


def case_at_multiply(draw):
    # traced indices must be unique for multiply: index vectors drawn without repeats
    s = shape_of(draw, 1, 2)
    m = draw(st.integers(1, s[0]))
    return (lambda a, v, i: lnp.at_property(a)[i].multiply(v),
            [F(s), F((m,) + s[1:]), Perm((m,), s[0])])


def case_dynamic(draw):
    s = shape_of(draw)
    sizes = [draw(st.integers(1, d)) for d in s]
    starts = [Ix((), 0, d) for d in s]
    if draw(st.booleans()):
        return lambda a, *st_: lnp.dynamic_slice(a, st_, sizes), [F(s)] + starts
    return (lambda a, u, *st_: lnp.dynamic_update_slice(a, u, st_), [F(s), F(sizes)] + starts)


def _axes(draw, nd):
    if not nd:
        return draw(st.sampled_from([None, ()]))
    return draw(st.none() | st.integers(-nd, nd - 1) | st.lists(
        st.integers(0, nd - 1), unique=True, max_size=nd).map(
        lambda axes: tuple(a - nd if i % 2 else a for i, a in enumerate(axes))))


REDUCTIONS = {
    "sum": lnp.sum, "prod": lnp.prod, "max": lnp.max, "min": lnp.min, "mean": lnp.mean,
    "var": lnp.var, "std": lnp.std, "logsumexp": lnp.logsumexp, "ptp": lnp.ptp,
}


def case_reduction(draw, name):
    s = shape_of(draw, 0)
    axes, keep = _axes(draw, len(s)), draw(st.booleans())
    return lambda a: REDUCTIONS[name](a, axis=axes, keepdims=keep), [F(s)]


def case_axis_op(draw, name):
    s = shape_of(draw)
    ax = axis_of(draw, len(s))
    if name.startswith("cum") and draw(st.booleans()):
        ax = None
    return lambda a: getattr(lnp, name)(a, axis=ax), [F(s)]


def case_arg(draw):
    s = shape_of(draw)
    name = draw(st.sampled_from(["argmax", "argmin"]))
    ax = draw(st.none() | st.integers(-len(s), len(s) - 1))
    return lambda a: getattr(lnp, name)(a, axis=ax), [F(s)]


CASES = {n[5:]: f for n, f in dict(globals()).items() if n.startswith("case_")}
for _name, _variants in [("at", ["set", "add", "subtract", "get"]),
                         ("reduction", sorted(REDUCTIONS)),
                         ("axis_op", ["cumsum", "cumprod", "softmax", "log_softmax"])]:
    _case = CASES.pop(_name)
    for _v in _variants:
        CASES[f"{_name}_{_v}"] = functools.partial(_case, name=_v) if _name != "at" else \
            functools.partial(_case, op=_v)
NAMES = sorted(CASES)
DIFFERENTIABLE = sorted(set(CASES) - {"arg"})


# ---------------------------------------------------------------- the harness

def _lane_value(spec, rng, dtype):
    if spec[0] == "f":
        return rng.standard_normal(spec[1]).astype(dtype)
    if spec[0] == "i":
        return rng.integers(spec[2], spec[3] + 1, spec[1]).astype(np.int64)
    n, shape = spec[2], spec[1]
    rows = [rng.permutation(n)[:shape[-1]] for _ in range(int(np.prod(shape[:-1])))]
    return np.array(rows, np.int64).reshape(shape)


@st.composite
def batched_call(draw, name):
    f, specs = CASES[name](draw)
    size = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    in_axes, lanes, args = [], [], []
    for spec in specs:
        nd = len(spec[1])
        ax = draw(st.none() | st.integers(-nd - 1, nd))
        if ax is None:
            v = _lane_value(spec, rng, dtype)
            lanes.append([v] * size)
            args.append(v)
        else:
            vs = [_lane_value(spec, rng, dtype) for _ in range(size)]
            lanes.append(vs)
            args.append(np.stack(vs, ax))
        in_axes.append(ax)
    out_pick = draw(st.integers(-50, 50))
    return name, f, tuple(in_axes), args, [list(a) for a in zip(*lanes)], size, out_pick


def _out_axis(pick, nd):
    """A random out axis (negative when ``pick`` is) for outputs of ``nd`` dims per lane."""
    return pick % (nd + 1) - (nd + 1) * (pick < 0)


def _tol(args):
    single = any(getattr(a, "dtype", None) == np.float32 for a in args)
    return dict(rtol=2e-4, atol=2e-5) if single else dict(rtol=1e-10, atol=1e-12)


def _vmap(f, in_axes, out_axes, size):
    axis_size = size if all(a is None for a in in_axes) else None
    return lt.vmap(f, in_axes, out_axes, axis_size=axis_size)


def _compare(got, per_lane, out_axes, tol, what):
    got, per_lane = lt.tree_leaves(got), [lt.tree_leaves(r) for r in per_lane]
    assert len(got) == len(per_lane[0])
    for k, g in enumerate(got):
        want = np.stack([np.asarray(r[k]) for r in per_lane], out_axes)
        assert np.shape(g) == want.shape, (what, np.shape(g), want.shape)
        assert np.asarray(g).dtype == want.dtype, (what, np.asarray(g).dtype, want.dtype)
        np.testing.assert_allclose(np.asarray(g), want, err_msg=what, **tol)


def _run(f, in_axes, args, lanes, size, pick, what):
    per_lane = [f(*lane) for lane in lanes]
    nd = min(np.ndim(leaf) for leaf in lt.tree_leaves(per_lane[0]))
    out_axes = _out_axis(pick, nd)
    got = _vmap(f, in_axes, out_axes, size)(*args)
    _compare(got, per_lane, out_axes, _tol(args), f"{what}: in_axes={in_axes} out={out_axes}")
    return out_axes


# ---------------------------------------------------------------- tests

EXAMPLES = 12


@pytest.mark.parametrize("case", NAMES)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_vmap_matches_per_example(case, data):
    call = data.draw(batched_call(case))
    name, f, in_axes, args, lanes, size, pick = call
    _run(f, in_axes, args, lanes, size, pick, name)


@pytest.mark.parametrize("case", NAMES)
@settings(max_examples=EXAMPLES // 2)
@given(data=st.data())
def test_vmap_under_jit(case, data):
    call = data.draw(batched_call(case))
    name, f, in_axes, args, lanes, size, pick = call
    per_lane = [f(*lane) for lane in lanes]
    got = lt.jit(lt.vmap(f, in_axes, 0, axis_size=size))(*args)
    _compare(got, per_lane, 0, _tol(args), f"jit {name}: in_axes={in_axes}")


def _weights(f, args, seed=3):
    """Fixed random weights per output leaf (for a scalar objective)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(np.shape(o)) for o in lt.tree_leaves(f(*args))]


def _objective(f, ws):
    def g(*a):
        total = 0.0
        for o, w in zip(lt.tree_leaves(f(*a)), ws):
            total = total + lnp.sum(o * w.astype(get_aval(o).dtype))
        return total
    return g


@pytest.mark.parametrize("case", DIFFERENTIABLE)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_vmap_of_jvp(case, data):
    call = data.draw(batched_call(case))
    name, f, in_axes, args, lanes, size, pick = call
    rng = np.random.default_rng(1)
    t_lanes = [rng.standard_normal(np.shape(lane[0])).astype(lane[0].dtype) for lane in lanes]
    ax = in_axes[0]
    t = t_lanes[0] if ax is None else np.stack(t_lanes, ax)

    def jf(x, t, *rest):
        return lt.jvp(lambda x: f(x, *rest), (x,), (t,))[1]

    per_lane = [jf(lane[0], t_lanes[0] if ax is None else tl, *lane[1:])
                for lane, tl in zip(lanes, t_lanes)]
    nd = min(np.ndim(leaf) for leaf in lt.tree_leaves(per_lane[0]))
    out_axes = _out_axis(pick, nd)
    got = _vmap(jf, (ax, ax) + in_axes[1:], out_axes, size)(args[0], t, *args[1:])
    _compare(got, per_lane, out_axes, _tol(args), f"jvp {name}: in_axes={in_axes}")


@pytest.mark.parametrize("case", DIFFERENTIABLE)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_vmap_of_grad(case, data):
    call = data.draw(batched_call(case))
    name, f, in_axes, args, lanes, size, pick = call
    g = lt.grad(_objective(f, _weights(f, lanes[0])))
    per_lane = [g(*lane) for lane in lanes]
    out_axes = _out_axis(pick, np.ndim(per_lane[0]))
    got = _vmap(g, in_axes, out_axes, size)(*args)
    _compare(got, per_lane, out_axes, _tol(args), f"grad {name}: in_axes={in_axes}")


@pytest.mark.parametrize("case", DIFFERENTIABLE)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_grad_of_sum_of_vmap(case, data):
    call = data.draw(batched_call(case))
    name, f, in_axes, args, lanes, size, pick = call
    batched = _vmap(f, in_axes, 0, size)
    ws = _weights(batched, args)
    per_lane = [lt.grad(_objective(f, [w[k] for w in ws]))(*lane)
                for k, lane in enumerate(lanes)]
    got = lt.grad(_objective(batched, ws))(*args)
    ax = in_axes[0]
    want = np.sum(per_lane, 0) if ax is None else np.stack(per_lane, ax)
    np.testing.assert_allclose(np.asarray(got), want, err_msg=f"{name}: in_axes={in_axes}",
                               **_tol(args))


# ---------------------------------------------------------------- primitive-level checks

def test_every_array_primitive_has_a_vmap_rule():
    prims = [v for m in (structure, reductions, indexing) for v in vars(m).values()
             if isinstance(v, Primitive)]
    assert len(prims) >= 15
    missing = sorted({p.name for p in prims if p not in vmap_rules})
    assert not missing, f"primitives without a vmap rule: {missing}"


def test_index_winners_batched_counts_duplicates_per_lane():
    idx = np.array([[[0], [1], [0]], [[2], [2], [1]]])       # two lanes
    got = lt.vmap(indexing.index_winners_p.bind)(idx)
    want = np.stack([indexing.last_occurrence(i) for i in idx])
    np.testing.assert_array_equal(got, want)
    got = lt.vmap(indexing.index_winners_p.bind, 1, 1)(np.moveaxis(idx, 0, 1))
    np.testing.assert_array_equal(got, want.T)


@pytest.mark.parametrize("prim", [indexing.scatter_p, indexing.scatter_add_p])
def test_scatter_batched_indices_last_axis(prim):
    # index vectors batched along their *last* axis (in_axes=-1): the vector axis is then -2
    rng = np.random.default_rng(0)
    x, upd = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 6, 5))
    idx = rng.integers(0, 4, (6, 1, 3))
    extra = {"unique": False} if prim is indexing.scatter_p else {}
    got = lt.vmap(lambda x, i, u: prim.bind(x, i, u, axis=0, **extra), (0, -1, 0))(x, idx, upd)
    want = np.stack([prim.bind(x[k], idx[..., k], upd[k], axis=0, **extra) for k in range(3)])
    np.testing.assert_allclose(got, want)


def test_gather_with_batched_indices_is_linear_in_batch_size():
    # lane numbers join the index vectors: no (B, B, ...) intermediate is ever built
    x = np.zeros((50, 7))
    idx = np.zeros((50, 3), np.int64)
    prog = lt.make_program(lt.vmap(lambda x, i: x[i]))(x, idx)
    sizes = [int(np.prod(v.aval.shape)) for eqn in prog.eqns for v in eqn.outputs]
    assert max(sizes) <= 50 * 3 * 7


@settings(max_examples=EXAMPLES)
@given(st.integers(0, 2**16), st.sampled_from(["get", "set", "add"]),
       st.tuples(*[st.none() | st.integers(-2, 1)] * 3))
def test_gather_scatter_match_jax_vmap(seed, op, axes):
    # an independent oracle: JAX's own vmap of x[:, i] / x.at[:, i].set / .add
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(seed)
    if all(a is None for a in axes):
        axes = (0,) + axes[1:]
    size = 3

    def batched(shape, ax):
        return np.moveaxis(rng.standard_normal((size,) + shape), 0, ax) if ax is not None \
            else rng.standard_normal(shape)
    x = batched((4, 5), axes[0])
    i = rng.integers(-5, 5, (size, 2, 3) if axes[1] is not None else (2, 3))
    i = np.moveaxis(i, 0, axes[1]) if axes[1] is not None else i
    v = batched((4, 2, 3), axes[2])

    def f(x, i, v, at, asarray):
        x = asarray(x)
        if op == "get":
            return x[:, i] + 0 * v[0, 0, 0]
        return getattr(at(x)[:, i], op)(v)
    got = lt.vmap(lambda x, i, v: f(x, i, v, lnp.at_property, lnp.asarray), axes)(x, i, v)
    want = jax.vmap(lambda x, i, v: f(x, i, v, lambda a: a.at, jax.numpy.asarray),
                    axes)(x, i, v)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12, atol=1e-12)
