"""lintra.functional beyond AutoFD: shared expression nodes (no graph growth across
functional-gradient steps), values on a quadrature's nodes computed once, and functions in
every transformation (jit, vmap, pytrees with arrays, float32, point masses)."""

import numpy as np
import pytest

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp

q = lf.gauss_legendre(0.0, 1.0, n=32)
X = np.array([0.13, 0.3, 0.55, 0.92])


def local(f):
    return lf.integrate(lnp.exp(f) + lf.nabla(f) ** 2, q)


def fd_directional(F, f, h, eps=1e-6):
    return (F(f + eps * h) - F(f - eps * h)) / (2 * eps)


# ---------------------------------------------------------------- no graph growth

def test_structurally_equal_expressions_are_one_node():
    f, g = lf.function(lnp.sin), lf.function(lnp.cos)
    assert lf.function(lnp.sin).value is f.value
    assert lnp.exp(f).value is lnp.exp(f).value
    assert (f - 0.1 * g).value is (f - 0.1 * g).value
    assert (f - 0.1 * g).value is not (f - 0.2 * g).value
    assert lf.nabla(lf.nabla(f)).value is lf.nabla(lf.nabla(f)).value
    k = lf.function(lambda x, y: x * y, "(),()->()")
    assert lf.integrate(k, q, argnums=1).value is lf.integrate(k, q, argnums=1).value


def test_shared_subexpressions_are_evaluated_once():
    """h ← 0.3 sin(h) + 0.5 tanh(h) to depth 40: the DAG is evaluated once per node (the unfolded
    tree has 2⁴⁰ leaves), and its program grows linearly in the depth."""
    h = lf.function(lnp.sin)
    want = np.sin(X)
    sizes = []
    for d in range(1, 41):
        h = 0.3 * lnp.sin(h) + 0.5 * lnp.tanh(h)
        want = 0.3 * np.sin(want) + 0.5 * np.tanh(want)
        if d in (10, 20, 40):
            sizes.append(len(lt.make_program(h)(0.3).eqns))
    np.testing.assert_allclose(h(X), want, rtol=1e-12)
    assert sizes[2] - sizes[1] == 2 * (sizes[1] - sizes[0]), sizes      # linear in depth
    assert sizes[2] <= 6 * 40, sizes


def _descend(steps: int):
    """Functional gradient descent on F(f) = ∫ ½f'² + ½(f − t)² (δF/δf = −f'' + f − t),
    each step materialized; returns the iterates and the losses."""
    grid = lf.uniform(0.0, 1.0, 12, endpoint=True)
    t = lf.function(lambda x: lnp.cos(3 * x), domain=grid)

    def F(f):
        return lf.integrate(0.5 * lf.nabla(f) ** 2 + 0.5 * (f - t) ** 2, q)
    f = lf.materialize(lf.function(lnp.sin, domain=grid))
    iterates, losses = [f], []
    for _ in range(steps):
        value, g = lt.value_and_grad(F)(f)
        losses.append(float(value))
        f = lf.materialize(f - 0.001 * g)
        iterates.append(f)
    return F, iterates, losses


def test_gradient_steps_have_bounded_programs():
    """Step k's function and its gradient stage into programs of the same size for every k
    (each step is a table); without materialize they would nest all earlier steps."""
    F, iterates, losses = _descend(8)
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    f_sizes = [len(lt.make_program(f)(0.3).eqns) for f in iterates[1:]]
    g_sizes = [len(lt.make_program(lambda x, f=f: lt.grad(F)(f)(x))(0.3).eqns)
               for f in iterates[1:]]
    assert len(set(f_sizes)) == 1 and len(set(g_sizes)) == 1, (f_sizes, g_sizes)


def test_values_on_quadrature_nodes_are_computed_once():
    calls = {"n": 0}

    def counted(x):
        calls["n"] += 1
        return lnp.sin(x) * x
    f = lf.function(counted, domain=q)
    first = lf.integrate(f ** 2)
    n = calls["n"]
    np.testing.assert_allclose(lf.integrate(f ** 2 + 3 * f), first + 3 * lf.integrate(f),
                               rtol=1e-13)
    assert calls["n"] == n                       # f's values on q's nodes were reused
    closed = np.sum(q.weights * (np.sin(q.nodes) * q.nodes) ** 2)
    np.testing.assert_allclose(first, closed, rtol=1e-13)
    m = lf.materialize(f)                        # a materialized function reads its table
    np.testing.assert_allclose(lf.integrate(m), lf.integrate(f), rtol=1e-14)
    assert calls["n"] == n


# ---------------------------------------------------------------- functions everywhere

def test_jit_cache_on_function_arguments():
    """A jitted functional's program takes its function as an input: a different Function of
    the same type runs the same program with its own value (never a stale one), the same
    expression hits the cache, another type stages again."""
    J = lt.jit(local)
    for fn in (lnp.sin, lnp.cos, lambda x: x ** 2):
        f = lf.function(fn)
        np.testing.assert_allclose(J(f), local(f), rtol=1e-13)
    assert len(J.staged.cache) == 1
    J(lf.function(lnp.sin))
    assert len(J.staged.cache) == 1
    J(lf.function(lnp.sin, dtype=np.float32, domain=q))
    assert len(J.staged.cache) == 2
    G = lt.jit(lt.grad(local))
    for fn, d2 in ((lnp.sin, lambda x: -np.sin(x)), (lnp.cos, lambda x: -np.cos(x))):
        f = lf.function(fn)
        np.testing.assert_allclose(G(f)(X), np.exp(fn(X)) - 2 * d2(X), rtol=1e-12)


def test_functions_as_vmap_arguments():
    f = lf.function(lnp.sin)
    np.testing.assert_allclose(lt.vmap(lambda x, f: f(x), in_axes=(0, None))(X, f),
                               np.sin(X))
    a = np.array([0.5, 2.0])
    got = lt.vmap(lambda a, f: lf.integrate(f, q) * a + lf.nabla(f)(a), in_axes=(0, None))(a, f)
    np.testing.assert_allclose(got, a * (1 - np.cos(1.0)) + np.cos(a), rtol=1e-13)
    # batched arrays meeting an unbatched function argument: pointwise closures over them
    got = lt.vmap(lambda a, f: lf.integrate(a * f + lnp.exp(a * f), q), in_axes=(0, None))(a, f)
    want = [np.sum(q.weights * (ai * np.sin(q.nodes) + np.exp(ai * np.sin(q.nodes))))
            for ai in a]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    dF = lt.grad(local)(f)
    np.testing.assert_allclose(lt.vmap(dF)(X), np.exp(np.sin(X)) + 2 * np.sin(X), rtol=1e-13)


def test_value_and_grad_of_a_pytree_of_a_function_and_weights():
    W = np.array([[0.5, -0.2], [0.1, 0.3]])
    b = np.array([0.1, -0.1])

    def loss(p):
        mlp = lf.function(lambda x: lnp.sum(lnp.tanh(x * p["W"][0] + p["b"]) * p["W"][1]))
        return lf.integrate((p["f"] - mlp) ** 2 + lf.nabla(p["f"]) ** 2, q)

    p = {"f": lf.function(lnp.sin), "W": W, "b": b}
    value, g = lt.value_and_grad(loss)(p)
    np.testing.assert_allclose(value, loss(p), rtol=1e-14)
    assert isinstance(g["f"], lf.Function) and g["W"].shape == W.shape
    for name, idx in (("W", (0, 1)), ("W", (1, 0)), ("b", (1,))):
        e = np.zeros_like(p[name])
        e[idx] = 1e-6
        fd = (loss({**p, name: p[name] + e}) - loss({**p, name: p[name] - e})) / 2e-6
        np.testing.assert_allclose(g[name][idx], fd, rtol=1e-7)
    h = lf.function(lambda x: (x * (1 - x)) ** 2)
    fd = fd_directional(lambda f: loss({**p, "f": f}), p["f"], h)
    np.testing.assert_allclose(lf.integrate(g["f"] * h, q), fd, rtol=1e-7)


def test_float32_functions_end_to_end():
    q32 = lf.gauss_legendre(0.0, 1.0, n=16)
    f = lf.function(lnp.sin, dtype=np.float32, domain=q32)
    x = np.float32(0.3)

    def F(f):
        return lf.integrate(lnp.exp(f) + lf.nabla(f) ** 2)
    assert np.asarray(F(f)).dtype == np.float32
    assert np.asarray(lt.jit(F)(f)).dtype == np.float32
    g = lt.grad(F)(f)
    assert g.dtype == np.float32 and g(x).dtype == np.float32
    np.testing.assert_allclose(g(x), np.exp(np.sin(0.3)) + 2 * np.sin(0.3), rtol=1e-5)
    assert lt.jit(lt.grad(F))(f)(x).dtype == np.float32
    m = lf.materialize(f)
    assert m(x).dtype == np.float32 and np.asarray(lf.integrate(m)).dtype == np.float32
    assert lf.nabla(lf.nabla(m))(x).dtype == np.float32
    assert lt.grad(F)(m)(x).dtype == np.float32
    pm = lt.grad(lambda f: f(x))(f)
    assert pm.weights.dtype == np.float32 and pm.points[0].dtype == np.float32


def _atoms(m):
    """The atoms as {point: weight} (their order is the accumulation's)."""
    pts = np.stack([np.reshape(p, (len(m.weights), -1)) for p in m.points], 1).reshape(
        len(m.weights), -1)
    return {tuple(np.round(p, 12)): w for p, w in zip(pts, np.asarray(m.weights))}


def test_point_masses_at_the_same_point_are_merged():
    f = lf.function(lnp.sin, domain=q)
    m = lt.grad(lambda f: f(0.5) + f(0.5) ** 2 + 3 * f(0.2))(f)
    assert _atoms(m) == pytest.approx({(0.5,): 1 + 2 * np.sin(0.5), (0.2,): 3.0})
    m2 = lt.grad(lambda f: lnp.sum(f(np.array([0.4, 0.4, 0.1]))))(f)
    assert _atoms(m2) == pytest.approx({(0.4,): 2.0, (0.1,): 1.0})
    k = lf.function(lambda x, y: x * y, "(),()->()", domain=q)
    mk = lt.grad(lambda k: k(0.2, 0.3) + k(0.2, 0.4) + k(0.2, 0.3))(k)
    assert _atoms(mk) == pytest.approx({(0.2, 0.3): 2.0, (0.2, 0.4): 1.0})


if __name__ == "__main__":
    pytest.main([__file__, "-q"])


# ---------------------------------------------------------------- point masses under jit

def _bump_times(g):
    return lf.function(lambda x: (x * (1 - x)) ** 2) * g


def test_point_masses_under_jit():
    """grad of a functional with point values, inside jit, with the point a jit argument:
    one program for every point; the measure it returns pairs exactly (the oracle)."""
    f = lf.function(lnp.sin, domain=q)
    h = _bump_times(lf.function(lambda x: lnp.cos(3 * x) + x))

    def F(f, x):
        return f(x) ** 2 + lf.integrate(lf.nabla(f) ** 2 + f ** 3)
    G = lt.jit(lambda f, x: lt.grad(F)(f, x))
    for x in (0.3, 0.7):
        g = G(f, x)
        assert isinstance(g, lf.PointMass)
        np.testing.assert_allclose(g.points[0], [x])
        np.testing.assert_allclose(g.weights, [2 * np.sin(x)])
        fd = fd_directional(lambda f, x=x: F(f, x), f, h)
        np.testing.assert_allclose(lf.braket(g, h), fd, rtol=1e-8)
        np.testing.assert_allclose(lf.braket(g, h), lf.braket(lt.grad(F)(f, x), h),
                                   rtol=1e-13)
    assert len(G.staged.cache) == 1
    pair = lt.jit(lambda f, x: lf.braket(lt.grad(lambda f: f(x) ** 2)(f), h))
    np.testing.assert_allclose(pair(f, 0.4), 2 * np.sin(0.4) * h(0.4), rtol=1e-13)


def test_dot_product_of_point_evaluation_and_point_masses_under_jit():
    pts = np.array([0.2, 0.6, 0.2])
    f = lf.function(lnp.exp, domain=q)
    ct = np.array([1.5, -0.5, 0.25])

    def both(f, w):
        """⟨w, f(pts)⟩ and ⟨Lᵀw, f⟩ where Lᵀw is built (and paired) inside the program."""
        out, back = lt.vjp(lambda g: g(pts), f)
        (m,) = back(w)
        return lnp.sum(w * out), lf.braket(m, f), m
    lhs, rhs, m = lt.jit(both)(f, ct)
    np.testing.assert_allclose(rhs, lhs, rtol=1e-13)
    np.testing.assert_allclose(lhs, np.sum(ct * np.exp(pts)), rtol=1e-13)
    assert sorted(m.points[0].tolist()) == [0.2, 0.6]           # merged when the program ran
    # the point-mass operator is linear in its weights: its transpose evaluates at the atoms
    g = lf.function(lambda x: lnp.cos(2 * x), domain=q)

    def L(w):
        return lt.vjp(lambda g: g(pts), f)[1](w)[0]

    def pairing(w):
        return lf.braket(L(w), g)
    w = np.array([0.3, -1.0, 2.0])
    got = lt.jit(lt.grad(pairing))(w)
    np.testing.assert_allclose(got, np.cos(2 * pts), rtol=1e-13)
    np.testing.assert_allclose(lt.jit(lambda w: lt.jvp(pairing, (w,), (w,))[1])(w),
                               np.sum(w * np.cos(2 * pts)), rtol=1e-13)


def test_marginal_of_a_point_mass_and_broadcast_transpose_under_jit():
    k = lf.function(lambda x, y: lnp.sin(x) * y, "(),()->()", domain=q)
    m = lt.grad(lambda k: k(0.2, 0.7) + lf.integrate(k ** 2))(k)
    marg = lf.integrate(m, argnums=0)                        # a measure in y
    assert isinstance(marg, lf.PointMass)
    np.testing.assert_allclose(marg.points[0], [0.7])
    h = lf.function(lambda y: y ** 3)
    want = 0.7 ** 3 + float(lf.integrate(lf.integrate(2 * k, q, argnums=0) * h, q))
    np.testing.assert_allclose(lf.braket(marg, h, q), want, rtol=1e-12)
    f = lf.function(lnp.sin, domain=q)

    def G(f, y):                # reads f at the second coordinate only: the marginal
        return lf.broadcast_arg(f, k, 1)(0.2, y) ** 2
    g = lt.jit(lambda f, y: lt.grad(G)(f, y))(f, 0.7)
    np.testing.assert_allclose(g.points[0], [0.7])
    np.testing.assert_allclose(g.weights, [2 * np.sin(0.7)])
    np.testing.assert_allclose(lf.braket(g, h), fd_directional(lambda f: G(f, 0.7), f, h),
                               rtol=1e-8)
