"""Structural primitives and their NumPy-style wrappers: values equal NumPy's, derivatives pass
check_grads (order 2, both modes), eager == staged, gradients equal JAX's; error paths."""

# ruff: noqa: B023  (loop lambdas are called within their iteration)

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.ops import structure as S
from lintra.test_util import check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


def _arr(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
seeds = st.integers(0, 2**16)


def _tree_map(f, y):
    return [f(v) for v in y] if isinstance(y, (list, tuple)) else f(y)


def _weights(y):
    a = np.asarray(y)
    return np.arange(1, a.size + 1, dtype=np.float64).reshape(a.shape) / (a.size + 1)


def _loss(mod, op):
    """A scalar that sees every output element with a different weight (catches permutations)."""
    def loss(*args):
        y = op(mod, *args)
        ys = y if isinstance(y, (list, tuple)) else [y]
        return sum(mod.sum(mod.sin(v) * _weights(np.zeros(v.shape))) for v in ys)
    return loss


def check_op(op, args):
    """op(mod, *args) for mod in (lnp, np): values, derivatives (order 2, both modes), eager ==
    staged. JAX gradients are compared on fixed cases (JAX_CASES) to keep the suite fast."""
    got = op(lnp, *args)
    want = op(np, *args)
    for g, w in zip(*(v if isinstance(v, (list, tuple)) else [v] for v in (got, want))):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    f = lambda *a: _tree_map(lnp.sin, op(lnp, *a))
    check_grads(f, args, order=2)
    check_staged(lambda *a: op(lnp, *a), args)


def check_against_jax(op, args):
    nums = tuple(range(len(args)))
    g_l = lt.grad(_loss(lnp, op), argnums=nums)(*args)
    g_j = jax.grad(_loss(jnp, op), argnums=nums)(*args)
    g_s = lt.jit(lt.grad(_loss(lnp, op), argnums=nums))(*args)
    for a, b, c in zip(g_l, g_j, g_s):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(c, a, rtol=1e-12, atol=1e-12)


X = _arr((3, 4), 7)
X3 = _arr((2, 3, 4), 8)
JAX_CASES = {
    "reshape": (lambda m, x: m.reshape(x, (4, -1)), (X,)),
    "transpose": (lambda m, x: m.transpose(x, (2, 0, 1)), (X3,)),
    "moveaxis": (lambda m, x: m.moveaxis(x, 0, -1), (X3,)),
    "swapaxes": (lambda m, x: m.swapaxes(x, 0, 2), (X3,)),
    "broadcast_to": (lambda m, x: m.broadcast_to(x[:, :1], (2, 3, 5)), (X,)),
    "expand_squeeze": (lambda m, x: m.squeeze(m.expand_dims(x, (0, 2)), 0), (X,)),
    "concatenate": (lambda m, x, y: m.concatenate([x, y, x], axis=1), (X, X[:, :2])),
    "stack": (lambda m, x, y: m.stack([x, y], axis=-1), (X, X[::-1])),
    "split": (lambda m, x: m.split(x, [1, 3], axis=1), (X,)),
    "array_split": (lambda m, x: m.array_split(x, 3, axis=1), (X,)),
    "pad_constant": (lambda m, x: m.pad(x, ((1, 2), (0, 3)), constant_values=((1., 2.),
                                                                            (3., 4.))), (X,)),
    "pad_edge": (lambda m, x: m.pad(x, ((2, 1), (3, 0)), mode="edge"), (X,)),
    "pad_reflect": (lambda m, x: m.pad(x, ((2, 4), (5, 0)), mode="reflect"), (X,)),
    "pad_symmetric": (lambda m, x: m.pad(x, ((2, 4), (5, 0)), mode="symmetric"), (X,)),
    "pad_wrap": (lambda m, x: m.pad(x, ((2, 4), (5, 0)), mode="wrap"), (X,)),
    "flip": (lambda m, x: m.flip(x, (0, 2)), (X3,)),
    "rot90": (lambda m, x: m.rot90(x, 3, (2, 0)), (X3,)),
    "tile": (lambda m, x: m.tile(x, (2, 1, 3)), (X,)),
    "repeat": (lambda m, x: m.repeat(x, 2, axis=1), (X3,)),
    "repeat_array": (lambda m, x: m.repeat(x, np.array([0, 2, 1, 3]), axis=1), (X,)),
    "triu": (lambda m, x: m.triu(x, -1), (X3,)),
    "tril": (lambda m, x: m.tril(x, 2), (X,)),
    "roll": (lambda m, x: m.roll(x, (2, -5), (0, 2)), (X3,)),
    "roll_flat": (lambda m, x: m.roll(x, 5), (X,)),
    "diagonal": (lambda m, x: m.diagonal(x, 1, 2, 0), (X3,)),
    "diag": (lambda m, x: m.diag(x[0], -2), (X,)),
    "trace": (lambda m, x: m.trace(x, -1, 1, 2), (X3,)),
    "atleast_3d": (lambda m, x: m.atleast_3d(x), (X,)),
    "hstack": (lambda m, x, y: m.hstack([x, y]), (X, X)),
    "vstack": (lambda m, x, y: m.vstack([x[0], y]), (X, X)),
    "dstack": (lambda m, x, y: m.dstack([x, y]), (X, X)),
    "column_stack": (lambda m, x, y: m.column_stack([x[0], y.T]), (X, X)),
}


@pytest.mark.parametrize("name", sorted(JAX_CASES))
def test_gradients_match_jax(name):
    op, args = JAX_CASES[name]
    check_op(op, args)
    check_against_jax(op, args)


@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape(shape, seed, data):
    size = int(np.prod(shape))
    target = data.draw(st.sampled_from([(size,), (-1,), (1, size), shape[::-1], shape + (1,),
                                        (1,) + shape, (size, -1) if size else (0,)]))
    check_op(lambda m, x: m.reshape(x, target), (_arr(shape, seed),))


@given(shape=shapes, seed=seeds, data=st.data())
def test_transpose(shape, seed, data):
    perm = data.draw(st.permutations(range(len(shape))).map(tuple) | st.none())
    check_op(lambda m, x: m.transpose(x, perm), (_arr(shape, seed),))


@given(shape=shapes.filter(len), seed=seeds, data=st.data())
def test_moveaxis_swapaxes(shape, seed, data):
    nd = len(shape)
    ax = st.integers(-nd, nd - 1)
    s, d, a1, a2 = (data.draw(ax) for _ in range(4))
    check_op(lambda m, x: m.moveaxis(x, s, d), (_arr(shape, seed),))
    check_op(lambda m, x: m.swapaxes(x, a1, a2), (_arr(shape, seed),))


@given(shape=shapes, seed=seeds, data=st.data())
def test_broadcast_to(shape, seed, data):
    ones = tuple(data.draw(st.sampled_from([1, d])) for d in shape)
    target = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2))) + tuple(
        data.draw(st.integers(1, 3)) if o == 1 else o for o in ones)
    check_op(lambda m, x: m.broadcast_to(x, target), (_arr(ones, seed),))


@given(shape=shapes, seed=seeds, data=st.data())
def test_expand_dims_squeeze(shape, seed, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_op(lambda m, x: m.expand_dims(x, axis), (_arr(shape, seed),))
    with_ones = tuple(data.draw(st.sampled_from([1, d])) for d in shape)
    ones = [i for i, d in enumerate(with_ones) if d == 1]
    sq = data.draw(st.none() | (st.sampled_from(ones) if ones else st.none()))
    check_op(lambda m, x: m.squeeze(x, sq), (_arr(with_ones, seed),))
    check_op(lambda m, x: m.ravel(x), (_arr(shape, seed),))


@given(shape=shapes.filter(len), seed=seeds, data=st.data())
def test_concatenate_stack(shape, seed, data):
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    k = data.draw(st.integers(1, 3))
    parts = []
    for i in range(k):
        s = list(shape)
        s[axis] = data.draw(st.integers(1, 3))
        parts.append(_arr(s, seed + i))
    check_op(lambda m, *xs: m.concatenate(list(xs), axis), tuple(parts))
    same = tuple(_arr(shape, seed + i) for i in range(k))
    sax = data.draw(st.integers(-nd - 1, nd))
    check_op(lambda m, *xs: m.stack(list(xs), sax), same)


@given(shape=shapes.filter(len), seed=seeds, data=st.data())
def test_split(shape, seed, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    x = _arr(shape, seed)
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    sec = data.draw(st.sampled_from(divisors))
    check_op(lambda m, x: m.split(x, sec, axis), (x,))
    sections = data.draw(st.integers(1, 5))
    check_op(lambda m, x: m.array_split(x, sections, axis), (x,))
    points = sorted(data.draw(st.lists(st.integers(-n, n + 1), max_size=3)))
    check_op(lambda m, x: m.split(x, points, axis), (x,))


@settings(max_examples=15)
@given(shape=shapes, seed=seeds, data=st.data())
def test_pad_modes(shape, seed, data):
    mode = data.draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    widths = [tuple(data.draw(st.integers(0, 3)) for _ in range(2)) for _ in shape]
    if mode == "constant":
        cv = data.draw(st.sampled_from([0.0, 1.5, "pairs"]))
        cv = tuple((0.5 * i, -1.0 - i) for i in range(len(shape))) if cv == "pairs" else cv
        kw = {"constant_values": cv} if shape else {}
    else:
        kw = {}
    check_op(lambda m, x: m.pad(x, widths if shape else 2, mode=mode, **kw),
             (_arr(shape, seed),))


@given(shape=shapes, seed=seeds, data=st.data())
def test_pad_primitive_interior_and_pad_value(shape, seed, data):
    config = [tuple(data.draw(st.integers(0, 2)) for _ in range(3)) for _ in shape]
    x, v = _arr(shape, seed), np.float64(data.draw(st.floats(-2, 2)))
    f = lambda x, v: S.pad(x, v, config)
    check_grads(f, (x, v), order=2)
    check_staged(f, (x, v))
    want = np.full([lo + hi + d + max(d - 1, 0) * it for d, (lo, hi, it) in zip(shape, config)],
                   v)
    want[tuple(slice(lo, lo + (d - 1) * (it + 1) + 1, it + 1)
               for d, (lo, _, it) in zip(shape, config))] = x
    np.testing.assert_array_equal(f(x, v), want)


def test_pad_primitive_matches_jax():
    x, v, config = X, np.float64(0.7), [(1, 2, 1), (0, 1, 2)]
    f = lambda x, v: S.pad(x, v, config)
    want = jax.lax.pad(x, v, config)
    np.testing.assert_allclose(f(x, v), want)
    loss_l = lambda x, v: lnp.sum(lnp.sin(f(x, v)) * _weights(want))
    loss_j = lambda x, v: jnp.sum(jnp.sin(jax.lax.pad(x, v, config)) * _weights(want))
    for a, b in zip(lt.grad(loss_l, (0, 1))(x, v), jax.grad(loss_j, (0, 1))(x, v)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@given(shape=shapes, seed=seeds, data=st.data())
def test_flip_rot90(shape, seed, data):
    nd = len(shape)
    axis = data.draw(st.none() | (st.integers(-nd, nd - 1) if nd else st.none())
                     | st.lists(st.integers(0, max(nd - 1, 0)), unique=True,
                                max_size=nd).map(tuple))
    check_op(lambda m, x: m.flip(x, axis), (_arr(shape, seed),))
    if nd >= 2:
        k = data.draw(st.integers(-3, 4))
        check_op(lambda m, x: m.rot90(x, k), (_arr(shape, seed),))
        check_op(lambda m, x: m.fliplr(m.flipud(x)), (_arr(shape, seed),))


@given(shape=shapes, seed=seeds, data=st.data())
def test_tile_repeat(shape, seed, data):
    reps = tuple(data.draw(st.lists(st.integers(0, 3), max_size=3)))
    check_op(lambda m, x: m.tile(x, reps), (_arr(shape, seed),))
    nd = len(shape)
    axis = data.draw(st.none() | (st.integers(-nd, nd - 1) if nd else st.none()))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    r = data.draw(st.integers(0, 3) | st.lists(st.integers(0, 3), min_size=n, max_size=n)
                  .map(np.array))
    check_op(lambda m, x: m.repeat(x, r, axis), (_arr(shape, seed),))


@given(shape=shapes.filter(len), seed=seeds, data=st.data())
def test_triu_tril(shape, seed, data):
    k = data.draw(st.integers(-3, 3))
    check_op(lambda m, x: m.triu(x, k), (_arr(shape, seed),))
    check_op(lambda m, x: m.tril(x, k), (_arr(shape, seed),))


@given(shape=shapes, seed=seeds, data=st.data())
def test_roll(shape, seed, data):
    nd = len(shape)
    shift = data.draw(st.integers(-6, 6))
    axis = data.draw(st.none() | (st.integers(-nd, nd - 1) if nd else st.none()))
    check_op(lambda m, x: m.roll(x, shift, axis), (_arr(shape, seed),))
    if nd >= 2:
        check_op(lambda m, x: m.roll(x, (shift, 1), (0, -1)), (_arr(shape, seed),))


@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple), seed=seeds,
       data=st.data())
def test_diagonal_trace(shape, seed, data):
    nd = len(shape)
    a1, a2 = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2).filter(
        lambda p: p[0] % nd != p[1] % nd))
    off = data.draw(st.integers(-3, 3))
    check_op(lambda m, x: m.diagonal(x, off, a1, a2), (_arr(shape, seed),))
    check_op(lambda m, x: m.trace(x, off, a1, a2), (_arr(shape, seed),))


@given(n=st.integers(1, 4), seed=seeds, k=st.integers(-2, 2))
def test_diag(n, seed, k):
    check_op(lambda m, v: m.diag(v, k), (_arr((n,), seed),))
    check_op(lambda m, v: m.diag(v, k), (_arr((n, n + 1), seed),))


@given(shape=shapes, seed=seeds)
def test_atleast_and_stacks(shape, seed):
    x, y = _arr(shape, seed), _arr(shape, seed + 1)
    for name in ("atleast_1d", "atleast_2d", "atleast_3d"):
        check_op(lambda m, x: getattr(m, name)(x), (x,))
    for name in ("hstack", "vstack", "dstack"):
        check_op(lambda m, x, y: getattr(m, name)([x, y]), (x, y))
    check_op(lambda m, x, y: m.append(x, y), (x, y))


@given(seed=seeds)
def test_strided_slice_primitive(seed):
    x = _arr((5, 4), seed)
    f = lambda x: S.slice_static(x, (1, 0), (5, 3), (2, 2))
    np.testing.assert_array_equal(f(x), x[1:5:2, 0:3:2])
    check_grads(lambda x: lnp.sin(f(x)), (x,), order=2)
    check_staged(f, (x,))


def test_structure_program_typechecks():
    x = _arr((2, 3), 0)
    f = lambda x: lnp.sum(lnp.pad(lnp.roll(lnp.tile(x, (2, 1)), 1, 0), 1, mode="reflect")
                          * lnp.flip(lnp.pad(lnp.tile(x, (2, 1)), 1), 0))
    lt.typecheck(lt.make_program(lt.grad(f))(x))
    lt.typecheck(lt.make_program(lt.hessian(lambda x: lnp.sum(lnp.sin(lnp.diagonal(
        lnp.repeat(x, 2, 1))))))(x))


# ---------------------------------------------------------------- errors

def test_structure_errors():
    x = np.ones((2, 3))
    t = lambda f: lt.jit(f)(x)
    with pytest.raises(ValueError, match="reshape"):
        t(lambda x: lnp.reshape(x, (4, 2)))
    with pytest.raises(ValueError, match="one unknown dimension"):
        t(lambda x: lnp.reshape(x, (-1, -1)))
    with pytest.raises(ValueError, match="transpose"):
        t(lambda x: lnp.transpose(x, (0, 0)))
    with pytest.raises(ValueError, match="transpose"):
        t(lambda x: lnp.transpose(x, (0, 1, 2)))
    with pytest.raises(ValueError, match="out of bounds"):
        t(lambda x: lnp.expand_dims(x, 3))
    with pytest.raises(ValueError, match="squeeze"):
        t(lambda x: lnp.squeeze(x, 0))
    with pytest.raises(ValueError, match="out of bounds"):
        t(lambda x: lnp.moveaxis(x, 2, 0))
    with pytest.raises(ValueError, match="out of bounds"):
        t(lambda x: lnp.swapaxes(x, 0, -3))
    with pytest.raises(ValueError, match="concatenation axis"):
        t(lambda x: lnp.concatenate([x, lnp.ones((3, 3))], axis=1))
    with pytest.raises(ValueError, match="zero-dimensional"):
        t(lambda x: lnp.concatenate([x[0, 0], x[0, 1]]))
    with pytest.raises(ValueError, match="same shape"):
        t(lambda x: lnp.stack([x, x[0]]))
    with pytest.raises(ValueError, match="equal division"):
        t(lambda x: lnp.split(x, 2, axis=1))
    with pytest.raises(ValueError, match="negative"):
        t(lambda x: lnp.pad(x, -1))
    with pytest.raises(NotImplementedError, match="mode"):
        t(lambda x: lnp.pad(x, 1, mode="no-such-mode"))
    with pytest.raises(ValueError, match="broadcast"):
        t(lambda x: lnp.broadcast_to(x, (3, 3)))
    with pytest.raises(ValueError, match="repeats"):
        t(lambda x: lnp.repeat(x, -1))
    with pytest.raises(ValueError, match="repeats"):
        t(lambda x: lnp.repeat(x, [1, 2], axis=1))
    with pytest.raises(ValueError, match="same"):
        t(lambda x: lnp.diagonal(x, 0, 1, -1))
    with pytest.raises(ValueError, match="slice"):
        t(lambda x: S.slice_p.bind(x, start=(0, 0), limit=(3, 3), strides=(1, 1)))
    with pytest.raises(ValueError, match="rev"):
        t(lambda x: S.rev_p.bind(x, axes=(2,)))
    with pytest.raises(TypeError, match="pad"):
        t(lambda x: S.pad_p.bind(x, np.ones(2), config=((0, 0, 0), (0, 0, 0))))
    with pytest.raises(ValueError, match="pad"):
        t(lambda x: S.pad_p.bind(x, 0.0, config=((0, -1, 0), (0, 0, 0))))
    with pytest.raises(TypeError, match="static"):
        lt.jit(lambda x, r: lnp.tile(x, (r, 1)))(x, 2)
