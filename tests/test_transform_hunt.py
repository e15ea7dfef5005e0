"""Compositions of transformations as JAX users write them, with JAX computed here as the
oracle (each test is a bug found by comparing lintra with JAX on the same program)."""

import functools

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402  (after the importorskip of jax)

X3 = np.array([0.3, -1.2, 2.0])
X23 = np.arange(6.0).reshape(2, 3) / 5 + 0.1


def close_trees(a, b):
    la, lb = lt.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        assert np.shape(x) == np.shape(y)
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("how", ["jacfwd", "jacrev", "hessian"])
def test_jacobians_take_has_aux(how):
    def f(nplike):
        return lambda a, b: (nplike.sin(a) * a.sum() * b, {"s": a * b})

    got, aux = getattr(lt, how)(f(lnp), argnums=(0, 1), has_aux=True)(X3[:2], 2.0)
    want, jaux = jax.jit(getattr(jax, how)(f(jnp), argnums=(0, 1), has_aux=True))(X3[:2], 2.0)
    close_trees(got, want)
    close_trees(aux, jaux)


def test_jvp_takes_has_aux():
    def f(nplike):
        return lambda a: (nplike.sin(a) * a, [a.sum(), a * 2])

    got = lt.jvp(f(lnp), (X3,), (X3 + 1,), has_aux=True)
    want = jax.jvp(f(jnp), (X3,), (X3 + 1,), has_aux=True)
    close_trees(got, want)


def test_vmap_maps_keyword_arguments_along_axis_0():
    def f(a, b):
        return a * b + b.sum()

    close_trees(lt.vmap(f, in_axes=(None,))(X3, b=X23), jax.vmap(f, in_axes=(None,))(X3, b=X23))


def test_vmap_passes_unbatched_python_int_through():
    """An in_axes=None argument reaches f as passed: a jit static argument, a range bound."""
    def f(fjit):
        g = fjit(lambda x, n: sum(x ** k for k in range(1, n + 1)), static_argnums=1)
        return lambda x, n: g(x, n)

    got = lt.vmap(f(lt.jit), in_axes=(0, None))(X3, 3)
    close_trees(got, jax.vmap(f(jax.jit), in_axes=(0, None))(X3, 3))


def _nondiff_fn_vjp(cvjp):
    """custom_vjp with a function as a nondiff argument in position 1: fwd takes f's own
    signature (nondiff argument in place), bwd takes it first."""
    @functools.partial(cvjp, nondiff_argnums=(1,))
    def f(x, g):
        return g(x)

    def fwd(x, g):
        return g(x), x

    def bwd(g, r, ct):
        return (ct * 3.0 * r,)

    f.defvjp(fwd, bwd)
    return f


def test_custom_vjp_nondiff_argument_in_place_for_fwd():
    f, jf = _nondiff_fn_vjp(lt.custom_vjp), _nondiff_fn_vjp(jax.custom_vjp)
    got = lt.vmap(lt.grad(lambda x: f(x, lnp.sin)))(X3)
    close_trees(got, jax.vmap(jax.grad(lambda x: jf(x, jnp.sin)))(X3))


def test_custom_jvp_defjvps():
    def make(cjvp, nplike, with_none):
        f = cjvp(lambda x, y: x * nplike.sin(y))
        f.defjvps(None if with_none else (lambda tx, ans, x, y: tx * nplike.sin(y) * 2.0),
                  lambda ty, ans, x, y: ty * x * nplike.cos(y) * 3.0)
        return f

    def times_a(f):
        return lambda a, b: f(a, b) * a

    for with_none in (False, True):
        f, jf = make(lt.custom_jvp, lnp, with_none), make(jax.custom_jvp, jnp, with_none)
        got = lt.grad(times_a(f), argnums=(0, 1))(1.5, 0.5)
        close_trees(got, jax.grad(times_a(jf), argnums=(0, 1))(1.5, 0.5))


def test_jax_keyword_options_accepted():
    """checkpoint(prevent_cse=) and jit(donate_argnums=, donate_argnames=) as in JAX code."""
    def f(nplike):
        return lambda x: nplike.sin(x) ** 2

    got = lt.grad(lt.checkpoint(f(lnp), prevent_cse=False))(1.5)
    assert np.isclose(got, jax.grad(jax.checkpoint(f(jnp), prevent_cse=False))(1.5))
    np.testing.assert_allclose(lt.jit(f(lnp), donate_argnums=0, backend="interpret")(X3),
                               jax.jit(f(jnp), donate_argnums=0)(X3))
    np.testing.assert_allclose(lt.jit(f(lnp), donate_argnames="x", backend="interpret")(x=X3),
                               np.sin(X3) ** 2)


def test_jvp_takes_jax_float0_tangent_of_an_integer_primal():
    f0 = np.zeros((), dtype=jax.dtypes.float0)
    got = lt.jvp(lambda x, n: x * n, (1.5, 3), (1.0, f0))
    close_trees(got, jax.jvp(lambda x, n: x * n, (1.5, 3), (1.0, f0)))


def test_ordereddict_and_defaultdict_are_pytrees():
    """OrderedDict keeps its insertion order and defaultdict its factory, as in JAX."""
    import collections

    od = collections.OrderedDict([("z", X3), ("a", 2.0)])
    dd = collections.defaultdict(float, [("z", 1.5), ("a", 2.0)])
    assert lt.tree_leaves(od)[1] == jax.tree_util.tree_leaves(od)[1] == 2.0
    g = lt.grad(lambda d: lnp.sum(d["z"] * d["a"] ** 2))(od)
    assert type(g) is collections.OrderedDict and list(g) == ["z", "a"]
    close_trees(g, jax.grad(lambda d: jnp.sum(d["z"] * d["a"] ** 2))(od))
    g = lt.grad(lambda d: d["z"] * d["a"] ** 2)(dd)
    assert type(g) is collections.defaultdict and g.default_factory is float
    close_trees(g, jax.grad(lambda d: d["z"] * d["a"] ** 2)(dd))
    got = lt.vmap(lambda d: d["z"] * d["a"],
                  in_axes=(collections.OrderedDict([("z", 0), ("a", None)]),))(od)
    np.testing.assert_allclose(got, X3 * 2.0)


def test_grad_allow_int():
    def f(nplike):
        return lambda d, n: nplike.sum(d["x"] * d["n"]) * n

    args = ({"x": X3, "n": np.arange(3)}, 2)
    got = lt.value_and_grad(f(lnp), argnums=(0, 1), allow_int=True)(*args)
    want = jax.value_and_grad(f(jnp), argnums=(0, 1), allow_int=True)(*args)
    for a, b in zip(lt.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        assert np.asarray(a).dtype == np.asarray(b).dtype and np.shape(a) == np.shape(b)
        if np.asarray(b).dtype.kind != "V":
            np.testing.assert_allclose(a, b)
    with pytest.raises(lt.NonDifferentiableError):
        lt.grad(f(lnp), argnums=1)(*args)


def test_weak_python_scalar_loop_carry_takes_the_body_dtype():
    """scan/fori_loop/while_loop with a Python-scalar init over float32 data carry float32
    (JAX promotes a weakly typed init to the dtype the body returns)."""
    xs = np.array([0.5, -1.0, 2.0], np.float32)

    def progs(T, nplike, lax):
        scan = lax.scan(lambda c, a: (c * a + 1.0, c), 0.5, xs, reverse=True)
        fori = lax.fori_loop(0, 3, lambda i, c: c * xs[1], 1.0)
        loop = lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * xs[2]), (0, 1.0))
        g = T.grad(lambda x: lax.scan(lambda c, a: (c * a, None), 1.0, x)[0])(xs)
        to_float = lax.fori_loop(0, 3, lambda i, s: s * 0.5, 1)    # a weak int init
        return scan, fori, loop, g, to_float

    got = progs(lt, lnp, lt)
    want = progs(jax, jnp, jax.lax)
    for a, b in zip(lt.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_linearize_has_aux_and_fori_loop_unroll():
    def f(nplike):
        return lambda x: (nplike.sin(x) * x, {"n": nplike.sum(x)})

    out, f_jvp, aux = lt.linearize(f(lnp), X3, has_aux=True)
    jout, jf_jvp, jaux = jax.linearize(f(jnp), X3, has_aux=True)
    close_trees((out, aux, f_jvp(X3 + 1), f_jvp(X3)), (jout, jaux, jf_jvp(X3 + 1), jf_jvp(X3)))

    def loop(fori):
        return lambda x: fori(0, 3, lambda i, c: c * x + 1.0, x, unroll=2)

    close_trees(lt.grad(loop(lt.fori_loop))(0.7), jax.grad(loop(jax.lax.fori_loop))(0.7))


def test_checkpoint_static_argnames():
    def g(x, n=2):
        return sum(x ** k for k in range(n))      # n must be a Python int

    got = lt.grad(lambda x: lt.checkpoint(g, static_argnames="n")(x, n=3))(1.5)
    assert np.isclose(got, jax.grad(lambda x: jax.checkpoint(g, static_argnums=1)(x, 3))(1.5))


def test_cond_branch_work_on_closed_over_values_stays_in_the_branch():
    """A branch's work on a value it closes over belongs to the branch: sqrt(x) of the branch
    not taken at x = 0 must not meet the gradient (JAX gives 0, not NaN), eagerly, under jit,
    vmap and forward mode; switch likewise."""
    def f(m, cond):
        return lambda x: cond(x > 0, lambda: m.sqrt(x), lambda: 0.0 * x)

    def g(m, switch):
        return lambda x: switch(m.int32(x > 1) + m.int32(x > 2),
                                [lambda: m.log(x), lambda: m.sqrt(x - 1.0), lambda: x * x])
    for x in (0.0, 4.0):
        want = jax.grad(f(jnp, jax.lax.cond))(x)
        for fn in (lt.grad, lambda h: lt.jit(lt.grad(h)), lt.jacfwd,
                   lambda h: lt.jit(lt.grad(h), backend="interpret")):
            np.testing.assert_allclose(fn(f(lnp, lt.cond))(x), want, rtol=1e-15)
    xs = np.array([0.0, 1.0])
    want = jax.vmap(jax.grad(f(jnp, jax.lax.cond)))(xs)
    np.testing.assert_allclose(lt.vmap(lt.grad(f(lnp, lt.cond)))(xs), want, rtol=1e-15)
    np.testing.assert_allclose(lt.jit(lt.vmap(lt.grad(f(lnp, lt.cond))))(xs), want, rtol=1e-15)
    for x in (0.5, 1.0, 3.0):
        want = jax.grad(g(jnp, jax.lax.switch))(x)
        np.testing.assert_allclose(lt.grad(g(lnp, lt.switch))(x), want, rtol=1e-15)
        np.testing.assert_allclose(lt.jit(lt.grad(g(lnp, lt.switch)))(x), want, rtol=1e-15)
