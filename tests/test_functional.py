"""lintra.functional: function values through every transformation, the operators' rules
against independent values (closed forms, finite differences), and the errors."""

import numpy as np
import pytest

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp
from lintra.core.errors import LintraError

q = lf.gauss_legendre(0.0, 1.0, n=32)
q2 = lf.product(q, q)
X = np.array([0.13, 0.3, 0.55, 0.92])


def local(f):
    return lf.integrate(lnp.exp(f) + lf.nabla(f) ** 2, q)


def bump():
    """A direction vanishing with its derivative on the boundary of [0, 1]."""
    return lf.function(lambda x: (x * (1 - x)) ** 2)


def fd_directional(F, f, h, eps=1e-6):
    return (F(f + eps * h) - F(f - eps * h)) / (2 * eps)


# ---------------------------------------------------------------- values and types

def test_function_values_types_and_evaluation():
    f = lf.function(lnp.sin)
    assert f.type.str_short() == "fn(f64[]) -> f64[]"
    np.testing.assert_allclose(f(0.3), np.sin(0.3))
    np.testing.assert_allclose(f(q.nodes), np.sin(q.nodes))          # batch axes: pointwise
    r = lf.function(lambda x: lnp.exp(-x @ x), signature="(3)->()")
    pts = np.arange(12.0).reshape(4, 3) / 10
    np.testing.assert_allclose(r(pts), np.exp(-(pts ** 2).sum(1)))
    k = lf.function(lambda x, y: lnp.sin(x) + lnp.cos(y), signature="(),()->()")
    np.testing.assert_allclose(k(0.2, 0.7), np.sin(0.2) + np.cos(0.7))
    f32 = lf.function(lnp.sin, dtype=np.float32)
    assert f32(0.3).dtype == np.float32


def test_pointwise_arithmetic_and_numpy_functions():
    f, g = lf.function(lnp.sin), lf.function(lnp.cos)
    for got, want in [(f + g, np.sin(X) + np.cos(X)), (2 * f, 2 * np.sin(X)),
                      (f ** 2, np.sin(X) ** 2), (1.0 / (2 + g), 1 / (2 + np.cos(X))),
                      (-f, -np.sin(X)), (lnp.exp(f), np.exp(np.sin(X))),
                      (lnp.maximum(f, 0.5), np.maximum(np.sin(X), 0.5)),
                      (lnp.arctan2(f, g), np.arctan2(np.sin(X), np.cos(X)))]:
        assert isinstance(got, lf.Function)
        np.testing.assert_allclose(got(X), want, rtol=1e-14)


def test_calling_on_a_function_composes():
    f, g = lf.function(lnp.exp), lf.function(lambda x: x ** 2)
    np.testing.assert_allclose(f(g)(X), np.exp(X ** 2))
    k = lf.function(lambda a, b: a * b, "(),()->()")
    np.testing.assert_allclose(k(f, g)(0.2, 0.7), np.exp(0.2) * 0.7 ** 2)   # unshared
    np.testing.assert_allclose(lf.compose(k, f, g, share_inputs=True)(0.3),
                               np.exp(0.3) * 0.09)
    np.testing.assert_allclose(lf.compose(lnp.sin, g)(0.5), np.sin(0.25))   # plain outer fn


def test_quadratures():
    np.testing.assert_allclose(lf.integrate(lf.function(lambda x: x ** 5), q), 1 / 6)
    np.testing.assert_allclose(lf.integrate(lf.function(lambda z: z[0] * z[1] ** 2, "(2)->()"),
                                            q2), 1 / 6)
    k = lf.function(lambda x, y: x * y ** 2, "(),()->()")
    np.testing.assert_allclose(lf.integrate(k, q), 1 / 6)
    inner = lf.integrate(k, q, argnums=1)                       # a Function of x
    np.testing.assert_allclose(inner(0.6), 0.6 / 3)
    attached = lf.function(lambda x: x ** 2, domain=lf.uniform(0, 1, 1000))
    np.testing.assert_allclose(lf.integrate(attached), 1 / 3, rtol=1e-6)


# ---------------------------------------------------------------- derivatives

def test_grad_of_a_local_functional_is_a_function():
    f = lf.function(lnp.sin)
    dF = lt.grad(local)(f)
    assert isinstance(dF, lf.Function)
    np.testing.assert_allclose(dF(X), np.exp(np.sin(X)) + 2 * np.sin(X), rtol=1e-13)
    np.testing.assert_allclose(lt.vmap(dF)(q.nodes), np.exp(np.sin(q.nodes))
                               + 2 * np.sin(q.nodes), rtol=1e-13)


@pytest.mark.parametrize("transform", ["jvp", "linearize", "vjp", "value_and_grad", "jit"])
def test_every_transformation_takes_functions(transform):
    f, h = lf.function(lnp.sin), bump()
    want = fd_directional(local, f, h)
    if transform == "jvp":
        got = lt.jvp(local, (f,), (h,))[1]
    elif transform == "linearize":
        got = lt.linearize(local, f)[1](h)
    elif transform == "vjp":
        got = lf.integrate(lt.vjp(local, f)[1](1.0)[0] * h, q)
    elif transform == "value_and_grad":
        v, g = lt.value_and_grad(local)(f)
        np.testing.assert_allclose(v, local(f))
        got = lf.integrate(g * h, q)
    else:
        np.testing.assert_allclose(lt.jit(local)(f), local(f), rtol=1e-14)
        got = lf.integrate(lt.jit(lt.grad(local))(f) * h, q)
    np.testing.assert_allclose(got, want, rtol=1e-7)


def test_functions_in_pytrees_and_vmap():
    f = lf.function(lnp.sin)
    g = lt.grad(lambda d: local(d["f"]) * d["a"])({"f": f, "a": 2.0})
    np.testing.assert_allclose(g["a"], local(f))
    np.testing.assert_allclose(g["f"](0.3), 2 * (np.exp(np.sin(0.3)) + 2 * np.sin(0.3)))
    out = lt.vmap(lambda x, f: f(x), in_axes=(0, None))(X, f)
    np.testing.assert_allclose(out, np.sin(X))


def test_second_order_forward_over_reverse_and_reverse_over_reverse():
    f, h = lf.function(lnp.sin), bump()
    G = lt.grad(local)
    fwd = lt.jvp(G, (f,), (h,))[1](0.3)
    fd = (G(f + 1e-5 * h)(0.3) - G(f - 1e-5 * h)(0.3)) / 2e-5
    rev = lt.grad(lambda f: lf.integrate(G(f) * h, q))(f)(0.3)
    np.testing.assert_allclose(fwd, fd, rtol=1e-7)
    np.testing.assert_allclose(rev, fwd, rtol=1e-12)


def test_functions_of_traced_parameters_differentiate_exactly():
    """A Function built from parameters is a closure over them: parameter derivatives of
    ∫(∇y)², and of ∫(δF/δy)², are array derivatives (no boundary assumption)."""
    def y_of(w):
        return lf.function(lambda x: lnp.sin(w * x))

    def energy(w):
        return lf.integrate(lf.nabla(y_of(w)) ** 2, q)

    def residual(w):
        return lf.integrate(lt.grad(lambda y: lf.integrate(lf.nabla(y) ** 2, q))(y_of(w)) ** 2,
                            q)

    for L in (energy, residual):
        fd = (L(1.3 + 1e-6) - L(1.3 - 1e-6)) / 2e-6
        np.testing.assert_allclose(lt.grad(L)(1.3), fd, rtol=1e-7)
        np.testing.assert_allclose(lt.jit(lt.grad(L))(1.3), fd, rtol=1e-7)


def test_function_returned_from_jit_is_closure_converted():
    make = lt.jit(lambda w: lf.function(lambda x: w * x ** 2))
    f = make(3.0)
    np.testing.assert_allclose(f(0.5), 0.75)
    np.testing.assert_allclose(make(2.0)(0.5), 0.5)


def test_nonlocal_functional_both_ways():
    """∫∫ f(x) k(x, y) f(y): by coordinate projections on a product rule, and by
    broadcast_arg on two-argument functions; δF/δf = ∫ (k(x,y) + k(y,x)) f(y) dy."""
    def kf(a, b):
        return np.sin(a) * np.cos(2 * b) + a * b
    k2 = lf.function(lambda z: lnp.sin(z[0]) * lnp.cos(2 * z[1]) + z[0] * z[1], "(2)->()")
    px, py = (lf.function(lambda z, i=i: z[i], "(2)->()") for i in (0, 1))
    kxy = lf.function(lambda a, b: lnp.sin(a) * lnp.cos(2 * b) + a * b, "(),()->()",
                      domain=q)

    def by_projection(f):
        return lf.integrate(f(px) * k2 * f(py), q2)

    def by_broadcast(f):
        fx, fy = lf.broadcast_arg(f, kxy, 0), lf.broadcast_arg(f, kxy, 1)
        return lf.integrate(fx * kxy * fy)

    f = lf.function(lambda x: lnp.exp(-x))
    ys = q.nodes
    for x0 in (0.1, 0.45, 0.8):
        closed = np.sum(q.weights * (kf(x0, ys) + kf(ys, x0)) * np.exp(-ys))
        for F in (by_projection, by_broadcast):
            np.testing.assert_allclose(lt.grad(F)(f)(x0), closed, rtol=1e-12)
    np.testing.assert_allclose(by_projection(f), by_broadcast(f), rtol=1e-12)


# ---------------------------------------------------------------- errors

def test_integrate_without_a_quadrature_names_the_integrand():
    f = lf.function(lnp.sin)
    with pytest.raises(LintraError, match=r"integrand sin .*no quadrature"):
        lf.integrate(f)
    with pytest.raises(LintraError, match="no quadrature"):
        lt.grad(lambda f: lf.integrate(f ** 2))(f)


def test_transpose_of_linearize_in_its_function():
    """⟨ct, ∂f·ẋ⟩ with the tangent argument integrated by its quadrature: the oracle."""
    qd = lf.gauss_legendre(-1.0, 1.0, n=8)
    f = lf.function(lambda x: lnp.sin(2 * x) + x ** 3, domain=q)
    u = lf.function(lambda x, v: lnp.cos(x) * v + v ** 2 * x, "(),()->()", domain=(q, qd))

    def F(f):
        return lf.integrate(u * lf.linearize(f) ** 2)
    g = lt.grad(F)(f)
    for h in (bump(), bump() * lf.function(lnp.exp)):
        np.testing.assert_allclose(lf.integrate(g * h, q), fd_directional(F, f, h), rtol=1e-8)


def test_bad_signatures_and_arguments():
    with pytest.raises(TypeError, match="signature"):
        lf.function(lnp.sin, "(3)->(2)")
    with pytest.raises(ValueError, match="integers"):
        lf.function(lnp.sin, "(n)->()")
    r = lf.function(lambda x: x.sum(), "(3)->()")
    with pytest.raises(TypeError, match="shape"):
        r(np.ones(2))
    with pytest.raises(TypeError, match="different arguments"):
        lf.function(lnp.sin) + r
    with pytest.raises(TypeError, match="truth value"):
        bool(lf.function(lnp.sin))


def test_vmap_over_parameters_of_functions():
    f = lf.function(lnp.sin)
    a = np.array([0.5, 2.0, -1.0])
    got = lt.vmap(lambda a: lt.jvp(local, (f,), (f * a,))[1])(a)
    np.testing.assert_allclose(got, a * lt.jvp(local, (f,), (f,))[1], rtol=1e-12)
    got = lt.vmap(lambda a: lf.integrate(lf.function(lambda x: lnp.sin(a * x)), q))(a)
    np.testing.assert_allclose(got, (1 - np.cos(a)) / a, rtol=1e-12)


def test_jit_specializes_on_function_types():
    F = lt.jit(lambda f, x: f(x).sum())
    np.testing.assert_allclose(F(lf.function(lnp.sin), 0.3), np.sin(0.3))
    r = lf.function(lambda x: x @ x, "(3)->()")
    np.testing.assert_allclose(F(r, np.ones(3)), 3.0)
    np.testing.assert_allclose(F(lf.function(lnp.cos), 0.3), np.cos(0.3))   # same type, reused


def test_tree_map_over_functions_is_pointwise():
    params = {"f": lf.function(lnp.sin), "b": 2.0}
    grads = {"f": lf.function(lnp.cos), "b": 1.0}
    new = lt.tree_map(lambda p, g: p - 0.1 * g, params, grads)
    assert isinstance(new["f"], lf.Function)
    np.testing.assert_allclose(new["f"](X), np.sin(X) - 0.1 * np.cos(X))
    np.testing.assert_allclose(new["b"], 1.9)


def test_comparisons_are_pointwise():
    f, g = lf.function(lnp.sin), lf.function(lnp.cos)
    np.testing.assert_array_equal((f > g)(X), np.sin(X) > np.cos(X))
    np.testing.assert_allclose(lnp.where(f > g, f, g)(X), np.maximum(np.sin(X), np.cos(X)))


def test_broadcast_arg_to_coordinates_of_a_product_domain():
    k2 = lf.function(lambda z: lnp.sin(z[0]) * lnp.cos(2 * z[1]) + z[0] * z[1], "(2)->()",
                     domain=q2)

    def F(f):
        return lf.integrate(lf.broadcast_arg(f, k2, 0) * k2 * lf.broadcast_arg(f, k2, 1))

    f = lf.function(lambda x: lnp.exp(-x))
    ys = q.nodes
    closed = np.sum(q.weights * (np.sin(0.4) * np.cos(2 * ys) + 0.4 * ys
                                 + np.sin(ys) * np.cos(0.8) + 0.4 * ys) * np.exp(-ys))
    np.testing.assert_allclose(lt.grad(F)(f)(0.4), closed, rtol=1e-12)
    assert lf.function(lambda x, y: x * y, "(),()->()").signature == "(),()->()"


def test_linear_transpose_checks_linearity_of_known_outer_functions():
    g = lf.function(lnp.sin, domain=q)
    with pytest.raises(lt.NonLinearError, match="not linear"):
        lt.linear_transpose(lambda u: u * u, g)
    with pytest.raises(lt.NonLinearError, match="not linear"):
        lt.linear_transpose(lambda u: lnp.sin(u), g)
    (t,) = lt.linear_transpose(lambda u: 3.0 * u + u, g)(g)
    np.testing.assert_allclose(t(X), 4 * np.sin(X))


def test_numpy_functions_of_vector_valued_functions_are_pointwise():
    r = lf.function(lambda x: lnp.sin(x), "(3)->(3)")
    x = np.array([0.1, 0.5, 0.9])
    W = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(lnp.sum(r)(x), np.sin(x).sum())
    np.testing.assert_allclose((r @ W.T)(x), W @ np.sin(x))
    np.testing.assert_allclose(lnp.dot(W, r)(x), W @ np.sin(x))
    np.testing.assert_allclose(lnp.linalg.norm(r)(x), np.linalg.norm(np.sin(x)))
    m = lf.function(lambda a: lnp.sum(a * a), "(2,2)->()")
    qm = lf.Quadrature(np.arange(8.0).reshape(2, 2, 2), np.array([0.5, 0.5]))
    np.testing.assert_allclose(lf.integrate(m, qm), 0.5 * (14 + 126))


def test_materialize_tabulates_and_interpolates():
    g = lf.uniform(0.0, 1.0, 11, endpoint=True)
    f = lf.function(lambda x: lnp.exp(x), domain=g)
    m = lf.materialize(f)
    np.testing.assert_allclose(m(g.nodes), np.exp(g.nodes), rtol=1e-15)   # exact at nodes
    np.testing.assert_allclose(m(0.05), np.exp(0.05), rtol=1e-5)          # a cubic spline
    k = lf.function(lambda y, x: y * x ** 3 - x ** 2, "(),()->()", domain=g)
    mk = lf.materialize(k)
    np.testing.assert_allclose(mk(0.33, 0.71), 0.33 * 0.71 ** 3 - 0.71 ** 2, rtol=1e-13)
    # the table may be traced: derivatives flow to what it was computed from
    def L(w):
        return lf.integrate(lf.materialize(lf.function(lambda x: lnp.sin(w * x), domain=g)))
    fd = (L(1.3 + 1e-6) - L(1.3 - 1e-6)) / 2e-6
    np.testing.assert_allclose(lt.grad(L)(1.3), fd, rtol=1e-7)
    with pytest.raises(LintraError, match="no quadrature"):
        lf.materialize(lf.function(lnp.sin))
    with pytest.raises(LintraError, match="scalar arguments"):
        lf.materialize(lf.function(lambda z: z[0], "(2)->()"), q2)
    with pytest.raises(LintraError, match="at least 4 nodes"):
        lf.materialize(f, lf.uniform(0.0, 1.0, 3))


def test_materialized_functions_have_second_derivatives_and_no_silent_third():
    """The interpolant is a C² cubic spline (not-a-knot): exact for cubics, ψ'' is the
    spline's (a piecewise-linear table gave 0); the third derivative is an error."""
    g = lf.uniform(-1.0, 2.0, 13, endpoint=True)
    cubic = lf.materialize(lf.function(lambda x: x ** 3 - 2 * x ** 2 + x, domain=g))
    np.testing.assert_allclose(lf.nabla(cubic)(X), 3 * X ** 2 - 4 * X + 1, rtol=1e-11)
    np.testing.assert_allclose(lf.nabla(lf.nabla(cubic))(X), 6 * X - 4, rtol=1e-10)
    psi = lf.materialize(lf.function(lnp.sin, domain=lf.uniform(0.0, 1.0, 64)))
    np.testing.assert_allclose(lf.nabla(lf.nabla(psi))(X), -np.sin(X), atol=2e-4)
    with pytest.raises(LintraError, match="beyond the order of its interpolant"):
        lf.nabla(lf.nabla(lf.nabla(cubic)))
    with pytest.raises(LintraError, match="beyond the order"):       # through compositions
        lf.nabla(lf.nabla(lnp.sin(lf.nabla(cubic))))
    # the functional derivative of ∫ ψ'² at a materialized ψ: −2ψ'' (vanishing boundary)
    dF = lt.grad(lambda f: lf.integrate(lf.nabla(f) ** 2, q))(psi)
    np.testing.assert_allclose(dF(X), 2 * np.sin(X), atol=5e-4)


# ---------------------------------------------------------------- point masses

def test_gradient_of_point_evaluation_is_a_point_mass():
    f = lf.function(lnp.sin, domain=q)
    m = lt.grad(lambda f: f(0.5))(f)
    assert isinstance(m, lf.PointMass) and isinstance(m, lf.Function)
    np.testing.assert_allclose(m.points[0], [0.5])
    np.testing.assert_allclose(m.weights, [1.0])
    np.testing.assert_allclose(lf.integrate(m), 1.0)
    h = lf.function(lambda x: x ** 3)
    np.testing.assert_allclose(lf.braket(m, h), 0.125)            # exact: h(0.5)
    ms = lt.grad(lambda f: lnp.sum(f(np.array([0.1, 0.4]))) * 2)(f)    # batched points
    np.testing.assert_allclose(ms.points[0], [0.1, 0.4])
    np.testing.assert_allclose(ms.weights, [2.0, 2.0])
    with pytest.raises(LintraError, match="no value at a point"):
        m(0.5)


def test_point_masses_plus_densities_pass_the_directional_derivative_oracle():
    """A boundary penalty and point values next to an integral: δF/δf = density + masses."""
    f = lf.function(lnp.sin, domain=q)
    h = lf.function(lambda x: lnp.cos(3 * x) + x ** 2)

    def F(f):
        return f(0.0) ** 2 + (f ** 2)(0.3) + lf.integrate(lf.nabla(f) ** 2 + lnp.exp(f))

    g = lt.grad(F)(f)
    assert isinstance(g, lf.PointMass) and g.density is not None
    np.testing.assert_allclose(np.sort(g.points[0]), [0.0, 0.3])
    hb = lf.function(lambda x: (x * (1 - x)) ** 2 + lnp.cos(3 * x) * 0)   # vanishes at 0, 1
    for d in (hb, h * hb):
        np.testing.assert_allclose(lf.integrate(g * d), fd_directional(F, f, d), rtol=1e-8)


def test_point_masses_of_two_argument_functions_and_marginals():
    k = lf.function(lambda x, y: lnp.sin(x) * y, "(),()->()", domain=q)
    m = lt.grad(lambda k: k(0.2, 0.7))(k)
    np.testing.assert_allclose([m.points[0][0], m.points[1][0]], [0.2, 0.7])
    f = lf.function(lnp.sin, domain=q)
    marg = lt.grad(lambda f: lf.broadcast_arg(f, k, 1)(0.2, 0.7))(f)   # reads y only
    np.testing.assert_allclose(marg.points[0], [0.7])


def test_point_mass_limits_are_clear_errors():
    f = lf.function(lnp.sin, domain=q)
    with pytest.raises(LintraError, match="derivative of δ"):
        lt.grad(lambda f: lf.nabla(f)(0.5))(f)
    with pytest.raises(LintraError, match="outside jit"):      # boundary terms: eager only
        lt.jit(lambda f: lt.grad(lambda f: lf.integrate(lf.nabla(f, boundary=True) ** 2))(f))(f)
    with pytest.raises(LintraError, match="not linear in its measure"):
        lt.grad(lambda f: f(0.5))(f) ** 2


def test_transpose_in_the_outer_function_is_a_pushforward():
    """d/dg ∫ u·(g∘h)²: atoms at h(xᵢ) (exact for the quadrature's functional)."""
    u = lf.function(lambda x: 1 + x, domain=q)
    h = lf.function(lambda x: x ** 2, domain=q)
    g = lf.function(lnp.cos, domain=q)

    def F(g):
        return lf.integrate(u * g(h) ** 2)
    m = lt.grad(F)(g)
    assert isinstance(m, lf.PointMass)
    np.testing.assert_allclose(np.sort(m.points[0]), np.sort(q.nodes ** 2))
    for d in (lf.function(lambda y: lnp.sin(3 * y)), lf.function(lambda y: y ** 3)):
        np.testing.assert_allclose(lf.braket(m, d), fd_directional(F, g, d), rtol=1e-8)


def test_transpose_of_partial_in_its_function():
    k = lf.function(lambda a, x: lnp.sin(a * x), "(),()->()", domain=(None, q))

    def G(k):
        return lf.integrate(lf.partial(k, 0.7) ** 2)
    m = lt.grad(G)(k)
    np.testing.assert_allclose(m.points[0], 0.7)          # δ at the bound value
    dk = lf.function(lambda a, x: a + x ** 2, "(),()->()")
    np.testing.assert_allclose(lf.integrate(m * dk), fd_directional(G, k, dk), rtol=1e-8)


def test_nabla_keeps_boundary_terms_on_request():
    f = lf.function(lnp.sin, domain=q)
    h = lf.function(lambda x: lnp.cos(2 * x) + x)        # does not vanish on the boundary

    def F(f, keep):
        return lf.integrate(lf.nabla(f, boundary=keep) ** 2 + f ** 3)
    g = lt.grad(lambda f: F(f, True))(f)
    assert isinstance(g, lf.PointMass)
    np.testing.assert_allclose(g.points[0], [0.0, 1.0])
    np.testing.assert_allclose(g.weights, [-2 * np.cos(0.0), 2 * np.cos(1.0)])   # ∓2f'
    fd = fd_directional(lambda f: F(f, False), f, h)
    np.testing.assert_allclose(lf.braket(g, h), fd, rtol=1e-8)
    assert abs(lf.braket(lt.grad(lambda f: F(f, False))(f), h) - fd) > 0.1   # the default
    with pytest.raises(LintraError, match="one scalar argument"):
        r = lf.function(lambda x: x @ x, "(2)->()", domain=q2)
        lt.grad(lambda r: lf.integrate(lf.nabla(r, boundary=True) ** 2 @ np.ones(2)))(r)


def test_outer_function_gradient_by_change_of_variables():
    """h declares its inverse: d/dg ∫ u·g(h)² is the density 2g·(u·|h⁻¹'|)∘h⁻¹."""
    u = lf.function(lambda x: 1 + x, domain=q)
    h = lf.function(lambda x: x ** 2 + x, domain=q,
                    inverse=lambda y: (-1 + lnp.sqrt(1 + 4 * y)) / 2)
    g = lf.function(lnp.cos)

    def F(g):
        return lf.integrate(u * g(h) ** 2)
    dg = lt.grad(F)(g)
    assert not isinstance(dg, lf.PointMass)
    y = np.array([0.2, 1.3, 1.9])
    xi = (-1 + np.sqrt(1 + 4 * y)) / 2
    np.testing.assert_allclose(dg(y), (1 + xi) * 2 * np.cos(y) / np.sqrt(1 + 4 * y),
                               rtol=1e-13)
    d = lf.function(lambda y: lnp.sin(3 * y))
    np.testing.assert_allclose(lf.integrate(dg * d, lf.gauss_legendre(0.0, 2.0, 48)),
                               fd_directional(F, g, d), rtol=1e-8)
    with pytest.raises(TypeError, match="inverse"):
        lf.function(lambda z: z[0], "(2)->()", inverse=lambda y: y)


def test_repeated_nabla_stays_small():
    """∫ (∇ⁿ f)²: each order differentiates the previous one's staged program, so the
    derivative's program grows linearly in n (nested closures would grow geometrically)."""
    f = lf.function(lnp.sin, domain=q)
    sizes = []
    for n in range(1, 9):
        def F(f, n=n):
            g = f
            for _ in range(n):
                g = lf.nabla(g)
            return lf.integrate(g ** 2)
        dF = lt.grad(F)(f)
        # δF/δf = 2 (−1)ⁿ f⁽²ⁿ⁾ = 2 (−1)ⁿ (−1)ⁿ sin = 2 sin
        np.testing.assert_allclose(dF(X), 2 * np.sin(X), rtol=1e-12)
        sizes.append(len(lt.make_program(dF)(0.3).eqns))
    assert sizes[-1] - sizes[-2] == sizes[1] - sizes[0] <= 4, sizes


def test_nabla_of_python_control_flow_on_values():
    f = lf.function(lambda x: x ** 2 if float(x) > 0.5 else -x)
    np.testing.assert_allclose(lf.nabla(f)(0.7), 1.4)
    np.testing.assert_allclose(lf.nabla(f)(0.2), -1.0)


def _dot_cases():
    u = lf.function(lambda x: 1 + x, domain=q)
    h = lf.function(lambda x: x ** 2, domain=q)
    k = lf.function(lambda a, x: lnp.sin(a * x), "(),()->()", domain=(q, q))
    qd = lf.gauss_legendre(-1.0, 1.0, n=6)
    lin_ct = lf.function(lambda x, v: lnp.cos(x) * v, "(),()->()", domain=(q, qd))
    f = lf.function(lambda x: lnp.exp(-x) + x, domain=q)
    return {
        # name: (linear map, primal point, tangent, cotangent)
        "outer function (pushforward)": (lambda g: u * g(h), f, lf.function(lnp.cos),
                                         lf.function(lnp.sin, domain=q)),
        "partial in its function": (lambda kk: lf.partial(kk, 0.7), k,
                                    lf.function(lambda a, x: a * x + x, "(),()->()"),
                                    lf.function(lnp.cos, domain=q)),
        "linearize in its function": (lf.linearize, f, bump(), lin_ct),
        "nabla with boundary terms": (lambda g: lf.nabla(g, boundary=True), f,
                                      lf.function(lambda x: lnp.cos(2 * x)),
                                      lf.function(lambda x: x + 2.0, domain=q)),
        "point evaluation": (lambda g: g(np.array([0.2, 0.6])), f,
                             lf.function(lnp.exp), np.array([1.5, -0.5])),
    }


@pytest.mark.parametrize("name", list(_dot_cases()))
def test_dot_product_of_the_measure_valued_transposes(name):
    """⟨ct, L t⟩ = ⟨Lᵀ ct, t⟩, where Lᵀ ct may be point masses plus a density."""
    L, x, t, ct = _dot_cases()[name]
    Lt = lt.jvp(L, (x,), (t,))[1]
    lhs = np.sum(ct * Lt) if isinstance(ct, np.ndarray) else lf.integrate(ct * Lt)
    (back,) = lt.vjp(L, x)[1](ct)
    rhs = lf.integrate(back * t, q)
    np.testing.assert_allclose(rhs, lhs, rtol=1e-10)


def test_concrete_functions_evaluate_through_a_cached_program():
    f = lf.function(lnp.sin)
    dF = lt.grad(local)(f)
    first = dF(X)
    np.testing.assert_allclose(dF(X), first, rtol=0)            # the cached program
    np.testing.assert_allclose(dF(0.3), np.exp(np.sin(0.3)) + 2 * np.sin(0.3), rtol=1e-14)
    branchy = lf.function(lambda x: x ** 2 if float(x) > 0.5 else -x)   # not stageable
    np.testing.assert_allclose([branchy(0.7), branchy(0.2)], [0.49, -0.2])
