"""JAX idioms on concrete values and the papercuts of issue 9: ``lintra.numpy`` results are
``Array``s (``.at``, traced indices, NumPy methods); ``f(x)``, ``grad(f)(x)`` and ``jit(f)(x)``
agree for every control-flow primitive; static_argnames, tree_map(is_leaf), static dataclass
fields, __format__, debug_print, warnings at the user's line, readable programs, a clean
``dir(lintra.numpy)``, saved_residuals with static arguments. Expected values come from NumPy,
JAX or finite differences."""

import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

# ---------------------------------------------------------------- A. concrete arrays


def test_creation_and_op_results_are_arrays_with_numpy_methods():
    x = np.arange(6.0).reshape(2, 3)
    results = [lnp.zeros(3), lnp.ones((2, 2)), lnp.asarray(x), lnp.array([1.0, 2.0]),
               lnp.arange(4), lnp.linspace(0, 1, 5), lnp.eye(2), lnp.full(3, 2.0),
               lnp.sin(x), lnp.add(x, 1.0), lnp.sum(x, axis=0), lnp.reshape(x, (3, 2)),
               lnp.dot(x, x.T), lnp.linalg.inv(np.eye(2) * 2), lnp.where(x > 2, x, 0.0),
               lnp.zeros(3).at[0].set(1.0), lnp.asarray(x) + 1.0, lnp.exp(np.arange(3))]
    for r in results:
        assert isinstance(r, lnp.Array) and isinstance(r, np.ndarray), type(r)
    parts = lnp.split(np.arange(4.0), 2)
    assert all(isinstance(p, lnp.Array) for p in parts)
    a = lnp.asarray(x)
    np.testing.assert_array_equal(a.T, x.T)
    np.testing.assert_array_equal(a.reshape(3, 2), x.reshape(3, 2))
    assert a.sum() == x.sum() and type(a.sum()) is np.float64     # 0-d results stay scalars
    assert a.astype(np.int32).dtype == np.int32
    assert type(lnp.sum(x)) is np.float64 and type(lnp.sin(1.0)) is np.float64


def test_at_updates_follow_jax():
    x = np.array([1.0, 5.0, -2.0, 4.0])
    idx = np.array([0, 2, 0])
    v = np.array([3.0, -7.0, 0.5])
    a, j = lnp.asarray(x), jnp.asarray(x)
    for name in ("set", "add", "multiply", "mul", "min", "max"):
        ours = getattr(a.at[idx], name)(v)
        theirs = getattr(j.at[idx], name)(v)
        np.testing.assert_allclose(ours, theirs, err_msg=name)
        assert isinstance(ours, lnp.Array)
    np.testing.assert_allclose(a.at[1:3].set(9.0), j.at[1:3].set(9.0))
    np.testing.assert_allclose(a.at[2].get(), j.at[2].get())
    np.testing.assert_allclose(a.at[1].power(2.0), j.at[1].power(2.0))
    np.testing.assert_array_equal(a, x)              # functional: x itself is unchanged
    m = lnp.zeros((2, 3)).at[1, 2].add(4.0)
    np.testing.assert_array_equal(m, jnp.zeros((2, 3)).at[1, 2].add(4.0))


def test_at_min_max_differentiate_like_jax():
    x = np.array([1.0, 5.0, -2.0])
    v = np.array([3.0, -7.0])
    idx = np.array([1, 1])

    def f(xp, vp, ns):
        return ns.sum(xp.at[idx].min(vp) ** 2 + xp.at[np.array([0, 2])].max(vp) * xp)

    ours = lt.grad(lambda x, v: f(lnp.asarray(x), v, lnp), argnums=(0, 1))(x, v)
    theirs = jax.grad(lambda x, v: f(x, v, jnp), argnums=(0, 1))(x, v)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t)


def test_traced_index_into_concrete_array_called_plainly():
    def f(x):
        a = lnp.asarray(x)
        return lt.fori_loop(0, a.shape[0] - 1,
                            lambda i, s: s + lnp.sin(a[i]) * lnp.cos(a[i + 1]), 0.0)

    def g(x):
        a = jnp.asarray(x)
        return jax.lax.fori_loop(0, a.shape[0] - 1,
                                 lambda i, s: s + jnp.sin(a[i]) * jnp.cos(a[i + 1]), 0.0)

    x = np.array([0.3, -0.8, 0.5, 1.1])
    np.testing.assert_allclose(f(x), g(x))
    np.testing.assert_allclose(lt.jit(f)(x), g(x))
    np.testing.assert_allclose(lt.grad(f)(x), jax.grad(g)(x))
    # tuples of traced indices, and the .at of a concrete array inside a loop body
    m = lnp.asarray(np.arange(6.0).reshape(2, 3))
    got = lt.fori_loop(0, 3, lambda i, s: s + m[1, i] + lnp.zeros(3).at[i].set(1.0)[i], 0.0)
    assert got == 3 + 4 + 5 + 3


def test_arrays_given_to_grad_keep_the_eager_fast_paths():
    v = lnp.linspace(-1.0, 1.0, 5)

    def f(v):
        a = 0.0
        for i in range(4):
            a = a + lnp.sin(v[i]) * lnp.cos(v[i + 1])
        return a

    def g(v):
        return sum(jnp.sin(v[i]) * jnp.cos(v[i + 1]) for i in range(4))

    np.testing.assert_allclose(lt.grad(f)(v), jax.grad(g)(np.asarray(v)))


# ---- f(x) == grad(f)'s value == jit(f)(x) for every control-flow primitive; grads from JAX

def _programs(ns, ctrl):
    """Representative control-flow programs written once for lintra and for JAX; each reads a
    concrete array ``c`` (made by ``ns.asarray``) with traced indices."""
    c = ns.asarray(np.array([0.5, -1.0, 2.0, 0.25]))

    def with_cond(x):
        return ctrl.cond(x[0] > 0, lambda y: ns.sum(ns.sin(y) * c[1]),
                         lambda y: ns.sum(ns.cos(y) ** 2), x)

    def with_switch(x):
        k = (x[0] > 0).astype(np.int32) + (x[1] > 0).astype(np.int32)
        return ctrl.switch(k, [lambda y: ns.sum(y * c), lambda y: ns.sum(ns.tanh(y)),
                               lambda y: ns.prod(y[:2]) + c[k]], x)

    def with_scan(x):
        def body(carry, xi):
            return ns.sin(carry) * xi + c[2], carry * ns.cos(xi)
        carry, ys = ctrl.scan(body, 0.3, x)
        return carry + ns.sum(ys ** 2)

    def with_fori(x):
        def body(i, s):
            acc, buf = s
            return acc + x[i] * c[i] ** 2 + ns.sin(x[i] * acc), buf.at[i].set(x[i] * acc)
        acc, buf = ctrl.fori_loop(0, 4, body, (0.1, ns.zeros(4)))
        return acc + ns.sum(buf * c)

    def with_while(x):
        def body(s):
            i, acc = s
            return i + 1, acc * 1.5 + x[i % 4] ** 2 + c[i % 4]
        return ctrl.while_loop(lambda s: s[1] < 20.0, body, (0, 1.0))[1]

    def nested(x):
        def body(i, acc):
            return ctrl.cond(x[i] > c[i], lambda a: a + x[i] ** 2, lambda a: a * ns.cos(x[i]),
                             acc)
        return ctrl.fori_loop(0, 4, body, 1.0)

    progs = {"cond": with_cond, "switch": with_switch, "scan": with_scan, "fori": with_fori,
             "while": with_while, "nested": nested}
    # the user's first line: x = asarray(x) (so a NumPy argument can be read at traced i)
    def plain(f):
        return lambda x: f(ns.asarray(x))
    return {k: plain(f) for k, f in progs.items()}


_LT = _programs(lnp, lt)
_JAX = _programs(jnp, types.SimpleNamespace(
    cond=jax.lax.cond, switch=jax.lax.switch, scan=jax.lax.scan,
    fori_loop=jax.lax.fori_loop, while_loop=jax.lax.while_loop))


@pytest.mark.parametrize("name", sorted(_LT))
@given(x=st.lists(st.floats(-1.5, 1.5, allow_nan=False, allow_subnormal=False),  # XLA: FTZ
                  min_size=4, max_size=4))
def test_plain_grad_and_jit_agree_on_control_flow(name, x):
    x = np.array(x)
    f, g = _LT[name], _JAX[name]
    want = g(x)
    np.testing.assert_allclose(f(x), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lt.jit(f)(x), want, rtol=1e-12, atol=1e-12)
    if name == "while":             # reverse mode through while_loop is an error: forward mode
        t = np.array([1.0, -0.5, 0.25, 2.0])
        out, tan = lt.jvp(f, (x,), (t,))
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tan, jax.jvp(g, (x,), (t,))[1], rtol=1e-9, atol=1e-12)
        return
    value, grad = lt.value_and_grad(f)(x)
    np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, jax.grad(g)(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lt.jit(lt.grad(f))(x), jax.grad(g)(x), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- B. papercuts

def _poly(x, n, *, kind="sin"):
    for _ in range(n):
        x = lnp.sin(x) if kind == "sin" else lnp.cos(x)
    return lnp.sum(x)


def _poly_np(x, n, kind="sin"):
    for _ in range(n):
        x = np.sin(x) if kind == "sin" else np.cos(x)
    return np.sum(x)


def test_jit_fn_make_program_take_static_argnames():
    x = np.array([0.3, 1.2])
    j = lt.jit(_poly, static_argnames=("n", "kind"))
    assert j(x, n=2, kind="cos") == pytest.approx(_poly_np(x, 2, "cos"), rel=1e-14)
    assert j(x, 3) == pytest.approx(_poly_np(x, 3), rel=1e-14)      # n by position, too
    assert len(j.staged.cache) == 2
    assert lt.jit(_poly, static_argnums=1)(x, n=2) == pytest.approx(_poly_np(x, 2))
    assert lt.fn(_poly, static_argnames="n")(x, n=1) == pytest.approx(_poly_np(x, 1))
    prog = lt.make_program(_poly, static_argnames=["n", "kind"])(x, n=2, kind="cos")
    assert str(prog).count("cos") == 2
    g = lt.grad(lt.jit(_poly, static_argnames="n"))(x, n=1)
    np.testing.assert_allclose(g, np.cos(x))
    with pytest.raises(TypeError, match="hashable"):
        j(x, n=[1])


def test_saved_residuals_takes_static_arguments():
    x = np.array([0.3, 1.2])
    res = lt.saved_residuals(_poly, x, 2, static_argnums=1)
    assert len(res) == 2                                     # cos of each sin's input
    assert len(lt.saved_residuals(_poly, x, n=2, static_argnames="n")) == 2
    # a checkpointed function with static arguments: they are known already
    res = lt.saved_residuals(lt.checkpoint(_poly, static_argnums=(1,)), x, 2)
    assert [r[1] for r in res] == ["from the argument at flat position 0"]


def test_tree_map_with_rest_and_is_leaf():
    a = {"x": (1, 2), "y": 3}
    b = {"x": (10, 20), "y": 30}
    assert lt.tree_map(lambda u, v: u + v, a, b) == jax.tree_util.tree_map(
        lambda u, v: u + v, a, b)
    assert lt.tree_map(len, [(1, 2), (3,)], is_leaf=lambda t: isinstance(t, tuple)) == [2, 1]
    # the first tree is a prefix of the others
    assert lt.tree_map(lambda u, v: (u, v), [1, 2], [(5, 6), {"a": 7}]) == [(1, (5, 6)),
                                                                           (2, {"a": 7})]
    with pytest.raises(ValueError, match="does not match"):
        lt.tree_map(lambda u, v: u, [1, 2], [1])
    assert "is_leaf" in lt.tree_map.__doc__


def test_dataclass_static_fields():
    import dataclasses

    @dataclasses.dataclass
    class Params:
        w: np.ndarray
        kind: str = dataclasses.field(default="sin", metadata=dict(static=True))

    @lt.register_dataclass
    @dataclasses.dataclass
    class Reg:
        w: np.ndarray
        n: int = dataclasses.field(default=2, metadata=dict(static=True))

    @dataclasses.dataclass
    class Bad:
        w: np.ndarray
        name: str = "oops"

    x = np.array([0.3, 1.2])
    assert lt.tree_leaves(Params(x, "cos")) == [x]
    assert lt.tree_structure(Params(x, "sin")) != lt.tree_structure(Params(x, "cos"))

    def loss(p):
        return _poly(p.w, 1, kind=p.kind)

    np.testing.assert_allclose(lt.grad(loss)(Params(x, "cos")).w, -np.sin(x))
    assert lt.jit(loss)(Params(x, "cos")) == pytest.approx(np.sum(np.cos(x)))
    assert lt.grad(lambda r: _poly(r.w, r.n))(Reg(x, 2)).n == 2
    assert len(lt.tree_leaves(Reg(x, 3))) == 1
    for transform in (lt.grad, lt.jit):
        with pytest.raises(TypeError, match=r"\.name: str is not a valid lintra value"):
            transform(lambda b: lnp.sum(b.w))(Bad(x))


def test_format_spec_on_eager_scalars():
    seen = []

    def f(x):
        y = lnp.sum(x ** 2)
        seen.append(f"{y:.3f} {x[0]:.1e}")
        return y

    lt.grad(f)(np.array([1.5, 2.0]))
    assert seen == [f"{6.25:.3f} {1.5:.1e}"]
    with pytest.raises(lt.ConcretizationError, match="debug_print"):
        lt.jit(f)(np.array([1.5, 2.0]))


def test_debug_print_runs_in_order_under_every_transformation(capsys):
    def f(x):
        y = lnp.sin(x)
        lt.debug_print("y = {} s={s:.3f}", y, s=lnp.sum(y))
        return lt.fori_loop(0, 2, lambda i, c: _noted(i, c) * 2.0, lnp.sum(y))

    def _noted(i, c):
        lt.debug_print("i={} c={:.2f}", i, c)
        return c

    x = np.array([0.5, 1.0])
    s = np.sum(np.sin(x))
    want = f"y = {np.sin(x)} s={s:.3f}\ni=0 c={s:.2f}\ni=1 c={2 * s:.2f}\n"
    jf = lt.jit(f)
    for run in (f, jf, jf, lt.grad(f), lt.jit(lt.grad(f)), lambda x: lt.jvp(f, (x,), (x,)),
                lt.jit(lambda x: lt.linearize(f, x)[1](x))):
        run(x)
        assert capsys.readouterr().out == want
    np.testing.assert_allclose(lt.grad(f)(x), 4 * np.cos(x))
    capsys.readouterr()


def test_dir_of_lintra_numpy_lists_public_names():
    names = set(dir(lnp))
    for internal in ("E", "R", "S", "np", "base", "get_aval", "Tracer", "annotations"):
        assert internal not in names
    assert {"sin", "sum", "zeros", "linalg", "float64", "pi", "ndarray", "Array"} <= names
    assert {"E", "np", "get_aval", "Any"}.isdisjoint(dir(lnp.linalg))
    assert {"inv", "solve", "norm", "det", "cholesky"} <= set(dir(lnp.linalg))
    for name in names:                       # every listed name works
        assert hasattr(lnp, name)


def test_make_program_of_a_gradient_is_what_a_user_needs():
    def f(x):
        return lnp.sum(x ** 2 * lnp.sin(x))

    program = lt.make_program(lt.grad(f))(np.ones(3))
    text = str(program)
    prims = [e.prim.name for e in program.eqns]
    assert "reduce_sum" not in prims              # the primal output is dead: removed
    assert "integer_pow[n=1]" not in text         # d(x**2) = 2 x, not 2 x ** 1
    assert all(not (e.prim.name == "mul" and any(getattr(a, "val", None) is not None
                                                 and np.all(a.val == 1) for a in e.inputs))
               for e in program.eqns)             # no multiplications by one
    np.testing.assert_allclose(lt.jit(lt.grad(f))(np.ones(3)),
                               2 * np.sin(1.0) + np.cos(1.0))
    small = lt.make_program(lambda x: x * np.array([2.0, 3.0]))(np.ones(2))
    assert "f64[2][2.0, 3.0]" in str(small)       # small constants show their values


def test_errors_under_jit_grad_speak_of_the_users_function():
    def my_loss(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(lt.ConcretizationError) as e:
        lt.jit(lt.grad(my_loss))(1.0)
    msg = str(e.value)
    assert "(my_loss)" in msg and "Trace`" not in msg and "JVPTrace" not in msg


def test_numpy_warnings_in_eager_kernels_point_at_the_users_line():
    import inspect
    import warnings

    def f(x):
        return lnp.sum(lnp.sqrt(x))

    line = inspect.getsourcelines(f)[1] + 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = lt.grad(f)(np.array([-1.0, 1.0]))
    assert np.isnan(g[0]) and g[1] == 0.5
    ours = [w for w in caught if "invalid value" in str(w.message)]
    assert ours and all(w.filename == __file__ for w in ours)
    assert ours[0].lineno == line and "sqrt" in str(ours[0].message)
    with np.errstate(invalid="ignore"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lt.grad(f)(np.array([-1.0, 1.0]))
    assert not [w for w in caught if "invalid value" in str(w.message)]
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        lt.grad(f)(np.array([-1.0, 1.0]))
