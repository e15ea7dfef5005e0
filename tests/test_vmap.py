"""``vmap``: JAX's in_axes/out_axes/axis_size semantics, nesting, composition with every other
transformation, and clear errors. Oracle: the function applied to each batch element
separately and stacked."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.batching.core import vmap_rules
from lintra.core.primitive import registry

rng = np.random.default_rng(0)


def stacked(f, in_axes, args, out_axis=0):
    """The oracle: f on each batch element, stacked along ``out_axis``."""
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    size = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    outs = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)])
            for i in range(size)]
    return np.stack([np.asarray(o) for o in outs], axis=out_axis)


def f2(a, b):
    return lnp.sin(a) * b + lnp.exp(a * 0.1) - b ** 2


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_in_axes_out_axes_match_stacking(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    size = data.draw(st.integers(1, 4))
    ax_a = data.draw(st.sampled_from([None] + list(range(-len(shape) - 1, len(shape) + 1))))
    ax_b = data.draw(st.sampled_from([None, 0, -1]))
    if ax_a is None and ax_b is None:
        ax_b = 0

    def batched_shape(ax, base):
        if ax is None:
            return base
        ax = ax % (len(base) + 1)
        return base[:ax] + (size,) + base[ax:]

    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    a = rng.normal(size=batched_shape(ax_a, shape)).astype(dtype)
    b = rng.normal(size=batched_shape(ax_b, shape)).astype(dtype)
    out_ax = data.draw(st.sampled_from(list(range(-len(shape) - 1, len(shape) + 1))))
    got = lt.vmap(f2, in_axes=(ax_a, ax_b), out_axes=out_ax)(a, b)
    want = stacked(f2, (ax_a, ax_b), (a, b), out_axis=out_ax)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_pytree_in_axes_and_outputs():
    x = {"w": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    ys = rng.normal(size=(5, 3))

    def f(p, y):
        return {"out": lnp.sum(p["w"] @ y) + p["b"], "y2": y * 2.0}

    got = lt.vmap(f, in_axes=({"w": None, "b": None}, 0))(x, ys)
    for i in range(5):
        one = f(x, ys[i])
        np.testing.assert_allclose(got["out"][i], one["out"], rtol=1e-12)
        np.testing.assert_allclose(got["y2"][i], one["y2"])
    got2 = lt.vmap(f, in_axes=(None, 0), out_axes={"out": 1, "y2": 0})(x, ys)
    assert got2["out"].shape == (3, 5) and got2["y2"].shape == (5, 3)


def test_axis_size_when_nothing_is_batched():
    out = lt.vmap(lambda c: c * 2.0, in_axes=None, axis_size=3)(np.ones(2))
    np.testing.assert_array_equal(out, 2 * np.ones((3, 2)))
    np.testing.assert_array_equal(lt.vmap(lambda: 1.0, axis_size=2)(), [1.0, 1.0])


def test_nested_vmap_any_axes():
    x = rng.normal(size=(2, 3, 4))
    f = lambda v: lnp.sum(lnp.tanh(v))  # noqa: E731
    got = lt.vmap(lt.vmap(f, in_axes=1), in_axes=2)(x)        # (4, 2)
    np.testing.assert_allclose(got, np.sum(np.tanh(x), axis=0).T, rtol=1e-12)
    got3 = lt.vmap(lt.vmap(lt.vmap(lambda s: s ** 2)))(x)
    np.testing.assert_allclose(got3, x ** 2)


def loss(w, x):
    return lnp.sum(lnp.tanh(x * w) ** 2)


def test_per_example_gradients_and_composition():
    w = rng.normal(size=3)
    xs = rng.normal(size=(6, 3))
    per_example = lt.vmap(lt.grad(loss), in_axes=(None, 0))(w, xs)
    want = np.stack([lt.grad(loss)(w, xs[i]) for i in range(6)])
    np.testing.assert_allclose(per_example, want, rtol=1e-12)
    # grad of a vmapped function (through a sum) = the sum of per-example gradients
    total = lt.grad(lambda w: lnp.sum(lt.vmap(loss, in_axes=(None, 0))(w, xs)))(w)
    np.testing.assert_allclose(total, want.sum(0), rtol=1e-12)
    # jit around and inside
    np.testing.assert_allclose(lt.jit(lt.vmap(lt.grad(loss), in_axes=(None, 0)))(w, xs), want,
                               rtol=1e-12)
    np.testing.assert_allclose(lt.vmap(lt.jit(lt.grad(loss)), in_axes=(None, 0))(w, xs), want,
                               rtol=1e-12)


def test_vmap_of_jvp_and_jvp_of_vmap():
    x = rng.normal(size=(4, 3))
    t = rng.normal(size=(4, 3))
    f = lambda v: lnp.sin(v) * lnp.sum(v ** 2)  # noqa: E731
    out, tan = lt.vmap(lambda v, u: lt.jvp(f, (v,), (u,)))(x, t)
    for i in range(4):
        o, ti = lt.jvp(f, (x[i],), (t[i],))
        np.testing.assert_allclose(out[i], o, rtol=1e-12)
        np.testing.assert_allclose(tan[i], ti, rtol=1e-12)
    _, tan2 = lt.jvp(lt.vmap(f), (x,), (t,))
    np.testing.assert_allclose(tan2, tan, rtol=1e-12)


def test_hessian_of_a_vmapped_function():
    x = rng.normal(size=3)
    g = lambda v: lnp.sum(lt.vmap(lambda s: lnp.sin(s) * s)(v))  # noqa: E731
    np.testing.assert_allclose(lt.hessian(g)(x), np.diag(2 * np.cos(x) - x * np.sin(x)),
                               rtol=1e-12, atol=1e-14)


def test_vmap_over_eager_python_code():
    """Python control flow on concrete (unbatched) values unrolls as usual."""
    def f(v, n):
        acc = 0.0
        for k in range(n):
            acc = acc + v ** (k + 1)
        return acc
    x = rng.normal(size=5)
    np.testing.assert_allclose(lt.vmap(lambda v: f(v, 3))(x), x + x ** 2 + x ** 3)


def test_printed_program_of_a_batched_function():
    p = lt.make_program(lt.vmap(lambda a, b: lnp.sum(a * b), in_axes=(0, None)))(
        np.ones((3, 4)), np.ones(4))
    text = str(p)
    assert "reduce_sum[axes=(1,)]" in text and "f64[3,4]" in text


# ---------------------------------------------------------------- errors

def test_inconsistent_sizes_name_the_arguments():
    with pytest.raises(ValueError, match=r"inconsistent sizes.*argument 0 has size 3 along "
                                         r"axis 0, argument 1 has size 4 along axis 1"):
        lt.vmap(f2, in_axes=(0, 1))(np.ones((3, 4)), np.ones((3, 4)))


def test_in_axes_must_match_the_arguments():
    with pytest.raises(ValueError, match="in_axes has 2 entries but .* 1 positional"):
        lt.vmap(lambda a: a, in_axes=(0, 0))(np.ones(3))
    with pytest.raises(ValueError, match=r"in_axes\[0\].*does not match the structure"):
        lt.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": np.ones(3)})
    with pytest.raises(TypeError, match="in_axes entries must be ints or None"):
        lt.vmap(lambda a: a, in_axes="x")


def test_out_of_range_axes():
    with pytest.raises(ValueError, match="in_axes 2 is out of range for argument 0, which "
                                         "has 2 dimensions"):
        lt.vmap(lambda a: a, in_axes=2)(np.ones((3, 4)))
    with pytest.raises(ValueError, match="out_axes 3 is out of range"):
        lt.vmap(lambda a: a, out_axes=3)(np.ones((3, 4)))
    with pytest.raises(ValueError, match="out_axes is None for an output that depends"):
        lt.vmap(lambda a: a, out_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="no argument is batched"):
        lt.vmap(lambda a: a, in_axes=None)(np.ones(3))


def test_python_if_on_a_batched_value_is_a_clear_error():
    def f(v):
        if v > 0:
            return v
        return -v
    with pytest.raises(lt.ConcretizationError, match=r"batched value.*`lintra.numpy.where`"):
        lt.vmap(f)(np.array([1.0, -2.0]))


def test_missing_rule_names_the_primitive():
    from lintra.core.primitive import Primitive, registry
    p = registry.get("test_unbatchable")     # the suite also runs again on other backends
    if p is None:
        p = Primitive("test_unbatchable")
        p.def_impl(lambda x: x)
        p.def_shape(lambda x: x)
    with pytest.raises(lt.MissingRuleError, match="test_unbatchable.*no batching"):
        lt.vmap(p.bind)(np.ones(3))


def test_elementwise_and_shape_primitives_have_rules():
    from lintra.ops import base, compare, elementwise, powers, shape
    for mod in (base, compare, elementwise, powers, shape):
        prims = [v for v in vars(mod).values() if v in registry.values()]
        assert prims and [p.name for p in prims if p not in vmap_rules] == []


# ---------------------------------------------------------------- every elementwise primitive

DOMAIN = {"arccosh": (1.1, 3.0), "log": (0.1, 3.0), "sqrt": (0.1, 3.0), "log1p": (0.1, 3.0),
          "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctanh": (-0.9, 0.9)}
UNARY = sorted(set(lnp.__dict__) & {"arccos", "arccosh", "arcsin", "arcsinh", "arctan",
                                    "arctanh", "cos", "cosh", "erf", "exp", "expm1", "log",
                                    "log1p", "logistic", "sin", "sinh", "sqrt", "tan", "tanh",
                                    "abs", "sign", "floor", "ceil", "round", "negative",
                                    "square"})
BINARY = ["add", "subtract", "multiply", "divide", "power", "arctan2", "maximum", "minimum",
          "remainder", "less", "greater", "equal"]


def _draw(data, shape, name, dtype):
    lo, hi = DOMAIN.get(name, (-2.0, 2.0))
    if name in ("power", "divide", "remainder"):
        lo, hi = 0.5, 2.0
    x = rng.uniform(lo, hi, size=shape)
    return x.astype(dtype)


@pytest.mark.parametrize("name", UNARY + BINARY)
@settings(max_examples=6, deadline=None)
@given(st.data())
def test_every_elementwise_function_batches(name, data):
    fn = getattr(lnp, name)
    n_args = 1 if name in UNARY else 2
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    size = data.draw(st.integers(1, 3))
    axes = tuple(data.draw(st.sampled_from([None, 0, -1])) for _ in range(n_args))
    if all(a is None for a in axes):
        axes = (0,) + axes[1:]
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    args = []
    for ax in axes:
        full = shape if ax is None else (shape[:ax % (len(shape) + 1)] + (size,)
                                         + shape[ax % (len(shape) + 1):])
        args.append(_draw(data, full, name, dtype))
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    got = lt.vmap(fn, in_axes=axes)(*args)
    np.testing.assert_allclose(got, stacked(fn, axes, args), **tol)
    if name in ("less", "greater", "equal", "sign", "floor", "ceil", "round"):
        return                                   # no derivative to batch
    g = lambda *a: lnp.sum(fn(*a))  # noqa: E731
    np.testing.assert_allclose(lt.vmap(lt.grad(g), in_axes=axes)(*args),
                               stacked(lt.grad(g), axes, args), **tol)
    tangents = [np.ones_like(a) for a in args]
    jv = lambda *a: lt.jvp(fn, a[:n_args], a[n_args:])[1]  # noqa: E731
    np.testing.assert_allclose(lt.vmap(jv, in_axes=axes + axes)(*args, *tangents),
                               stacked(jv, axes + axes, args + tangents), **tol)
