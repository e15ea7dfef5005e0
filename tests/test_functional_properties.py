"""AutoFD's test properties (research/autofd.md §4), ported to ``lintra.functional`` (design §7,
§10): Euler–Lagrange equations, nabla against jacrev/jacfwd, the transposes of the structural
operators, pointwise NumPy functions, and the functional-derivative oracle
d/dε F(f + εh)|₀ = ∫ δF/δf · h (central differences) with the dot-product test
⟨ct, L t⟩ = ⟨Lᵀ ct, t⟩ for the linear operators.

Conventions: cotangents of functions pair with tangents by ∫ u·v; nabla's transpose is −div
with the boundary terms dropped, so the directions h used with nabla vanish on the boundary
together with their derivatives (h = (x(1−x))²·…). Expected values come from closed forms,
finite differences or lintra's array transformations (jacrev, jacfwd, grad on scalars), never
from the operator under test."""

import functools

import numpy as np
import pytest

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp
from lintra.core.errors import LintraError

Q = lf.gauss_legendre(0.0, 1.0, n=24)          # [0, 1]
Q8 = lf.gauss_legendre(0.0, 1.0, n=8)
Q64 = lf.gauss_legendre(0.0, 1.0, n=64)        # for √(1 + f'²), analytic but not entire
Q2 = lf.product(Q8, Q8)                        # [0, 1]², nodes (64, 2)
XS = np.random.default_rng(12).standard_normal(10)      # AutoFD's 10 test points
XIN = np.linspace(0.05, 0.95, 10)                       # 10 points inside [0, 1]


# ---------------------------------------------------------------- helpers

def values(f, x):
    """A Function's values at the points ``x`` (leading axes pointwise), as NumPy."""
    return np.asarray(f(x), dtype=np.float64)


def dot(u, v, quad=None):
    """⟨u, v⟩ as a lintra value (traceable): ∫ Σ u·v for Functions (``quad`` per argument,
    or their domain's), Σ u·v for arrays, summed over the parts of tuples."""
    if isinstance(u, tuple):
        return sum(dot(a, b, quad) for a, b in zip(u, v))
    if isinstance(u, lf.Function):
        if isinstance(u.type.out, tuple):
            return dot(lf.split(u), lf.split(v), quad)
        return lf.integrate(lf.compose(lambda a, b: lnp.sum(a * b), u, v, share_inputs=True),
                            quad)
    return lnp.sum(lnp.asarray(u) * v)


def inner(u, v, quad=None):
    """``dot`` as a Python float."""
    return float(np.asarray(dot(u, v, quad)))


def fd_directional(F, f, h, eps=1e-5):
    """(F(f + εh) − F(f − εh)) / 2ε: the directional derivative by central differences."""
    return (float(F(f + eps * h)) - float(F(f - eps * h))) / (2 * eps)


def check_functional_derivative(F, f, h, quad, *, rtol=1e-7, atol=1e-10):
    """The oracle of design §7: d/dε F(f + εh)|₀ (finite differences) = ∫ δF/δf · h (with
    δF/δf = lintra.grad(F)(f)) = the forward derivative lintra.jvp(F, (f,), (h,)). The last
    two differ by the quadrature error of integrating by parts only."""
    expected = fd_directional(F, f, h)
    dF = lt.grad(F)(f)
    assert isinstance(dF, lf.Function)
    assert dF.type == f.type
    by_grad = inner(dF, h, quad)
    _, by_jvp = lt.jvp(F, (f,), (h,))
    np.testing.assert_allclose(by_grad, expected, rtol=rtol, atol=atol)
    np.testing.assert_allclose(float(by_jvp), expected, rtol=rtol, atol=atol)
    np.testing.assert_allclose(by_grad, float(by_jvp), rtol=1e-10, atol=1e-13)


def check_dot_product(L, t, ct, quad_in=None, quad_out=None, *, staged=False, transpose=True,
                      rtol=1e-10, atol=1e-13):
    """⟨ct, L t⟩ = ⟨Lᵀ ct, t⟩ for a linear ``L`` of one argument, Lᵀ from lintra.vjp; L t
    by lintra.jvp equals L(t) (L is linear). ``staged``: under jit (for an array ``t``)."""
    def both(t):
        out, L_vjp = lt.vjp(L, t)
        (lt_ct,) = L_vjp(ct)
        _, lin_t = lt.jvp(L, (t,), (t,))
        return lt_ct, dot(ct, out, quad_out), dot(ct, lin_t, quad_out)
    lt_ct, lhs, lhs_jvp = lt.jit(both)(t) if staged else both(t)
    lhs, lhs_jvp = float(np.asarray(lhs)), float(np.asarray(lhs_jvp))
    np.testing.assert_allclose(lhs_jvp, lhs, rtol=1e-12, atol=1e-14)
    rhs = inner(lt_ct, t, quad_in)
    np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol)
    if transpose:                       # and lintra.linear_transpose gives the same Lᵀ ct
        (lt_ct2,) = lt.linear_transpose(L, t)(ct)
        np.testing.assert_allclose(inner(lt_ct2, t, quad_in), rhs, rtol=1e-12, atol=1e-14)
    return lt_ct


def random_smooth(seed, k=3):
    """x ↦ Σ_j a_j cos(j x) + b_j sin(j x), random coefficients (a Python callable)."""
    r = np.random.default_rng(seed)
    a, b = r.standard_normal(k + 1) * 0.5, r.standard_normal(k + 1) * 0.5
    return lambda x: sum(a[j] * lnp.cos(j * x) + b[j] * lnp.sin(j * x) for j in range(k + 1))


def random_bump(seed):
    """A smooth h on [0, 1] vanishing with its first derivative at 0 and 1."""
    r = np.random.default_rng(seed)
    c = r.standard_normal(3)
    return lambda x: (x * (1.0 - x)) ** 2 * (c[0] + c[1] * x + c[2] * lnp.sin(3.0 * x))


# ---------------------------------------------------------------- Euler–Lagrange (_TestCompose)

def sin_plus_cos(x):
    return lnp.sin(x) + 0.3 * lnp.cos(x)


def euler_lagrange(I, f):
    """∂I/∂f − d/dx ∂I/∂f' + d²/dx² ∂I/∂f'' for a scalar f, by lintra.grad on scalars."""
    d1 = lt.grad(f)
    d2 = lt.grad(d1)

    def partial_I(k):
        return lambda x: lt.grad(I, argnums=k)(f(x), d1(x), d2(x))

    def el(x):
        return partial_I(0)(x) - lt.grad(partial_I(1))(x) + lt.grad(lt.grad(partial_I(2)))(x)
    return el


def second_order_functional(I):
    def F(f):
        df = lf.nabla(f)
        return lf.integrate(lf.compose(I, f, df, lf.nabla(df), share_inputs=True))
    return F


def I_linear(f, df, ddf):
    return lnp.sum(f) + lnp.sum(df) + lnp.sum(ddf)


def I_nonlinear(f, df, ddf):
    return f ** 2 + df ** 2 + lnp.sin(ddf)


def test_higher_order_euler_lagrange_linear_integrand_exact():
    f = lf.function(sin_plus_cos, domain=Q)
    dF = lt.grad(second_order_functional(I_linear))(f)
    el = euler_lagrange(I_linear, sin_plus_cos)
    expected = np.array([el(x) for x in XS])
    np.testing.assert_array_equal(values(dF, XS), expected)
    np.testing.assert_array_equal(expected, np.ones(10))


def test_higher_order_euler_lagrange_nonlinear_integrand():
    f = lf.function(sin_plus_cos, domain=Q)
    dF = lt.grad(second_order_functional(I_nonlinear))(f)
    el = euler_lagrange(I_nonlinear, sin_plus_cos)
    got = values(dF, XS)
    np.testing.assert_allclose(got, [el(x) for x in XS], rtol=1e-12, atol=1e-14)
    # closed form: 2f − 2f'' + (cos f'')'' with f'' = −f, f''' = −f', f'''' = f
    u = np.sin(XS) + 0.3 * np.cos(XS)
    du = np.cos(XS) - 0.3 * np.sin(XS)
    closed = 2 * u + 2 * u - np.cos(-u) * du ** 2 - np.sin(-u) * u
    np.testing.assert_allclose(got, closed, rtol=1e-12, atol=1e-14)


def test_euler_lagrange_f2_plus_gradf2_at_sin():
    sin = lf.function(lnp.sin, domain=Q)
    dF = lt.grad(lambda f: lf.integrate(f ** 2 + lf.nabla(f) ** 2))(sin)
    # 2f − 2f'' = 4 sin; AutoFD's check: ∂I/∂f − d/dx ∂I/∂f' by grad on scalars
    el = [lt.grad(lambda a, b: a ** 2 + b ** 2, 0)(np.sin(x), np.cos(x))
          - lt.grad(lambda y: lt.grad(lambda a, b: a ** 2 + b ** 2, 1)(lnp.sin(y),
                                                                       lnp.cos(y)))(x)
          for x in XS]
    np.testing.assert_allclose(values(dF, XS), el, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(values(dF, XS), 4 * np.sin(XS), rtol=1e-14, atol=1e-15)


# ---------------------------------------------------------------- nabla (_TestNabla)

def _sum_sin2(x):
    return lnp.sum(lnp.sin(x * 2), axis=-1)


def _sum_sin2_all(x):
    return lnp.sum(lnp.sin(x * 2))


def _tuple_valued(x):
    return lnp.sum(lnp.sin(x * 2)), lnp.sin(x)[:, 0]


NABLA_FNS = {
    "R3x5->R3": (_sum_sin2, "(3,5)->(3)"),
    "R3x5->R": (_sum_sin2_all, "(3,5)->()"),
    "R3x5->tuple": (_tuple_valued, "(3,5)->(),(3)"),
    "R->R": (lnp.sin, "()->()"),
}


def _x_for(sig, seed=42):
    shape = (3, 5) if sig.startswith("(3,5)") else ()
    return np.random.default_rng(seed).standard_normal(shape)


def _assert_trees_equal(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, v in zip(a, b):
            _assert_trees_equal(u, v)
        return
    assert np.shape(a) == np.shape(b)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name", sorted(NABLA_FNS))
@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_nabla_equals_jacobian(name, jac):
    fn, sig = NABLA_FNS[name]
    x = _x_for(sig)
    got = lf.nabla(lf.function(fn, sig))(x)
    _assert_trees_equal(got, getattr(lt, jac)(fn)(x))


@pytest.mark.parametrize("name", ["R3x5->R3", "R3x5->R", "R->R"])
def test_nabla_nabla_equals_hessian(name):
    fn, sig = NABLA_FNS[name]
    x = _x_for(sig)
    got = lf.nabla(lf.nabla(lf.function(fn, sig)))(x)
    np.testing.assert_allclose(got, lt.jacfwd(lt.jacrev(fn))(x), rtol=1e-14, atol=1e-15)


def test_nabla_sin_is_cos():
    sin = lf.function(lnp.sin)
    x = np.random.default_rng(0).standard_normal(100)
    np.testing.assert_allclose(values(lf.nabla(sin), x), np.cos(x), rtol=1e-15)
    np.testing.assert_allclose(values(lf.nabla(lf.nabla(sin)), x), -np.sin(x), rtol=1e-15)


def test_nabla_transpose_of_sin_is_minus_cos():
    sin = lf.function(lnp.sin)
    x = np.random.default_rng(0).standard_normal(100)
    (by_transpose,) = lt.linear_transpose(lf.nabla, sin)(sin)
    _, nabla_vjp = lt.vjp(lf.nabla, sin)
    (by_vjp,) = nabla_vjp(sin)
    for g in (by_transpose, by_vjp):
        assert g.type == sin.type
        np.testing.assert_allclose(values(g, x), -np.cos(x), rtol=1e-15)


@pytest.mark.parametrize("name", ["R3x5->R3", "R3x5->R", "R->R"])
def test_nabla_transpose_types(name):
    fn, sig = NABLA_FNS[name]
    f = lf.function(fn, sig)
    (ff,) = lt.linear_transpose(lf.nabla, f)(lf.nabla(f))
    assert ff.type == f.type
    assert np.shape(ff(_x_for(sig))) == np.shape(f(_x_for(sig)))


def test_nabla_transpose_tuple_valued():
    fn, sig = NABLA_FNS["R3x5->tuple"]
    f = lf.function(fn, sig)
    _, nabla_vjp = lt.vjp(lf.nabla, f)
    (ff,) = nabla_vjp(lf.nabla(f))
    assert ff.type == f.type


def _minus_trace(J):
    return -lnp.trace(J, axis1=-2, axis2=-1)


def test_grad_of_integrated_squared_nabla_is_minus_div():
    """AutoFD's test_nabla_nabla: δ/δf ∫ Σ(∇f)² = −tr ∇(2∇f), and ∫ Σ(∇∇f)² twice nested."""
    f = lf.function(lambda x: lnp.sum(lnp.sin(x)) * lnp.cos(x[0]), "(3)->()")
    Q3 = lf.product(lf.gauss_legendre(0.0, 1.0, 3), lf.gauss_legendre(0.0, 1.0, 3),
                    lf.gauss_legendre(0.0, 1.0, 3))
    x = np.random.default_rng(42).standard_normal((4, 3))

    def F(f):
        return lf.integrate(lf.compose(lnp.sum, lf.nabla(f) ** 2), Q3)

    def FF(f):
        return lf.integrate(lf.compose(lnp.sum, lf.nabla(lf.nabla(f)) ** 2), Q3)

    fd = lt.grad(F)(f)
    fd1 = lf.compose(_minus_trace, lf.nabla(2 * lf.nabla(f)))
    np.testing.assert_allclose(values(fd, x), values(fd1, x), rtol=1e-14, atol=1e-14)
    # −div ∇(2f) = −2 Δf, by the Hessian of the scalar function
    hess = lt.hessian(lambda y: lnp.sum(lnp.sin(y)) * lnp.cos(y[0]))
    np.testing.assert_allclose(values(fd, x), [-2 * np.trace(hess(p)) for p in x],
                               rtol=1e-13, atol=1e-13)

    ffd = lt.grad(FF)(f)
    ffd1 = lf.compose(_minus_trace, lf.nabla(lf.compose(_minus_trace,
                                                        lf.nabla(2 * lf.nabla(lf.nabla(f))))))
    np.testing.assert_allclose(values(ffd, x), values(ffd1, x), rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------- zip / split (_TestConcatSplit)

X35 = np.random.default_rng(0).uniform(size=(3, 5))


def _three_fns():
    return (lf.function(lambda x: lnp.sum(x, axis=-1), "(3,5)->(3)"),
            lf.function(lambda x: lnp.max(x), "(3,5)->()"),
            lf.function(lambda x: lnp.min(x, axis=0), "(3,5)->(5)"))


def test_zip_values():
    fs = _three_fns()
    _assert_trees_equal(lf.zip(*fs)(X35), tuple(f(X35) for f in fs))
    _assert_trees_equal(tuple(g(X35) for g in lf.split(lf.zip(*fs))), tuple(f(X35) for f in fs))


def test_zip_and_split_are_mutual_transposes():
    fs = _three_fns()
    z = lf.zip(*fs)
    expected = tuple(f(X35) for f in fs)
    back = lt.linear_transpose(lf.zip, *fs)(z)
    _assert_trees_equal(tuple(g(X35) for g in back), expected)
    (zz,) = lt.linear_transpose(lf.split, z)(lf.split(z))
    _assert_trees_equal(zz(X35), expected)


def test_zip_vjp_splits_the_cotangent():
    """AutoFD's test_concat_split_vjp: the cotangent of zip(f, f1, f2) is split."""
    fs = _three_fns()
    f3 = lf.function(lambda x: (x[:, 0], x[0, 0], x[0, :]), "(3,5)->(3),(),(5)")
    _, zip_vjp = lt.vjp(lf.zip, *fs)
    ff = zip_vjp(f3)
    _assert_trees_equal(tuple(g(X35) for g in ff), (X35[:, 0], X35[0, 0], X35[0, :]))
    z = lf.zip(*fs)
    parts, split_vjp = lt.vjp(lf.split, z)
    (zz,) = split_vjp(parts)
    _assert_trees_equal(zz(X35), z(X35))


def test_split_nabla_two_ways():
    """AutoFD's test_split_nabla, with one nabla per argument: ∫∫ ∂_a f ∂_b f."""
    f = lf.function(lambda a, b: lnp.sin(a) * lnp.cos(2 * b) + a * b ** 2, "(),()->()",
                    domain=(Q8, Q8))

    def F1(f):
        fa, fb = lf.split(lf.zip(lf.nabla(f, 0), lf.nabla(f, 1)))
        return lf.integrate(fa * fb)

    def F2(f):
        return lf.integrate(lf.nabla(f, 0) * lf.nabla(f, 1))

    a, b = np.array([0.1, 0.4, 0.9]), np.array([0.3, 0.5, 0.2])
    g1, g2 = lt.grad(F1)(f), lt.grad(F2)(f)
    np.testing.assert_allclose(np.asarray(g1(a, b)),
                               np.asarray(g2(a, b)), rtol=1e-14)
    # δ/δf ∫∫ f_a f_b = −2 f_ab
    np.testing.assert_allclose(np.asarray(g1(a, b)), -2 * (-2 * np.cos(a) * np.sin(2 * b)
                                                            + 2 * b), rtol=1e-13)


# ---------------------------------------------------------------- permute_args, linear_transpose

A54 = np.random.default_rng(1).standard_normal((5, 4))
B43 = np.random.default_rng(2).standard_normal((4, 3))
C32 = np.random.default_rng(3).standard_normal((3, 2))


def _abc():
    return lf.function(lambda a, b, c: a @ b @ c, "(5,4),(4,3),(3,2)->(5,2)")


def test_permute_args_values():
    f = _abc()
    # permute_args(f, perm)(x) = f(x[perm[0]], x[perm[1]], ...)
    np.testing.assert_array_equal(lf.permute_args(f, (2, 1, 0))(C32, B43, A54),
                                  f(A54, B43, C32))
    np.testing.assert_array_equal(lf.permute_args(f, (1, 2, 0))(C32, A54, B43),
                                  f(A54, B43, C32))


@pytest.mark.parametrize("perm", [(2, 0, 1), (1, 2, 0), (2, 1, 0), (0, 2, 1)])
def test_permute_args_transposes_to_the_inverse_permutation(perm):
    f = _abc()
    fargs = (A54, B43, C32)
    inv = [int(i) for i in np.argsort(perm)]
    g = lf.permute_args(f, perm)
    gargs = tuple(fargs[inv[p]] for p in range(3))     # g's argument p is f's argument inv[p]
    np.testing.assert_array_equal(g(*gargs), f(*fargs))
    L_t = lt.linear_transpose(lambda u: lf.permute_args(u, perm), f)
    (back,) = L_t(g)                                    # permute_args(g, inv) = f
    assert back.type == f.type
    np.testing.assert_array_equal(back(*fargs), f(*fargs))
    h = lnp.sin(g) * 2.0                                # another function of g's type
    (back,) = L_t(h)
    np.testing.assert_array_equal(back(*fargs), h(*gargs))
    np.testing.assert_array_equal(lf.permute_args(h, inv)(*fargs), h(*gargs))


def test_linear_transpose_output_types():
    """For int argnums: (other args…, ct) ↦ (∂f/∂x_argnum)ᵀ ct, of the argument's type."""
    r = np.random.default_rng(0)
    f = lf.function(lambda x, y, z: 2 * x * lnp.sum(y) + lnp.sum(y) * lnp.sin(z[:3]),
                    "(3),(4),(5)->(3)")
    x, y, z, ct = (r.standard_normal(n) for n in (3, 4, 5, 3))
    t0 = lf.linear_transpose(f, 0)
    assert [a.shape for a in t0.type.args] == [(4,), (5,), (3,)]
    assert t0.type.out.shape == (3,)
    np.testing.assert_allclose(t0(y, z, ct), 2 * np.sum(y) * ct, rtol=1e-15)
    t1 = lf.linear_transpose(f, 1)
    assert [a.shape for a in t1.type.args] == [(3,), (5,), (3,)]
    assert t1.type.out.shape == (4,)
    np.testing.assert_allclose(t1(x, z, ct), np.full(4, ct @ (2 * x + np.sin(z[:3]))),
                               rtol=1e-14)
    assert lf.linear_transpose(f, -3).type == t0.type
    # a transpose that pads: x ↦ x[:3]·Σy
    g = lf.function(lambda x, y, w: x[:3] * lnp.sum(y) * lnp.cos(w), "(5),(4),(3)->(3)")
    w, x5 = z[:3], z
    t2 = lf.linear_transpose(g, 0)
    assert [a.shape for a in t2.type.args] == [(4,), (3,), (3,)]
    assert t2.type.out.shape == (5,)
    np.testing.assert_allclose(t2(y, w, ct),
                               np.concatenate([ct * np.sum(y) * np.cos(w), np.zeros(2)]),
                               rtol=1e-15)
    # the dot-product test pointwise: ⟨ct, g(x)⟩ = ⟨t2(ct), x⟩ (g is linear in x)
    np.testing.assert_allclose(ct @ g(x5, y, w), t2(y, w, ct) @ x5, rtol=1e-14)


@pytest.mark.parametrize("argnum", [0, 1])
def test_linear_transpose_twice_gives_back_f(argnum):
    r = np.random.default_rng(0)
    if argnum == 0:     # linear in x
        h = lf.function(lambda x, y: x * lnp.sin(y) + 3.0 * x[::-1], "(3),(3)->(3)")
    else:               # linear in y
        h = lf.function(lambda x, y: lnp.cos(x) * y - y[::-1], "(3),(3)->(3)")
    x, y = r.standard_normal(3), r.standard_normal(3)
    t = lf.linear_transpose(h, argnum)          # (other, ct) ↦ ...
    # as an operator on functions: the transpose of f ↦ linear_transpose(f) gives f back
    (back,) = lt.linear_transpose(lambda u: lf.linear_transpose(u, argnum), h)(t)
    assert back.type == h.type
    np.testing.assert_allclose(back(x, y), h(x, y), rtol=1e-15)
    # pointwise: the transpose of t in its cotangent argument is h (other argument first)
    other, lin = (y, x) if argnum == 0 else (x, y)
    np.testing.assert_allclose(lf.linear_transpose(t, 1)(other, lin), h(x, y), rtol=1e-15)


def test_linearize():
    r = np.random.default_rng(0)
    f = lf.function(lambda a, b: a ** 2 + lnp.sin(b), "(3,5),(3,5)->(3,5)")
    x, y, xd, yd = (r.standard_normal((3, 5)) for _ in range(4))
    np.testing.assert_array_equal(lf.linearize(f, 0)(x, y, xd), 2 * x * xd)
    np.testing.assert_array_equal(lf.linearize(f, 1)(x, y, yd), np.cos(y) * yd)
    np.testing.assert_array_equal(lf.linearize(f, (0, 1))(x, y, xd, yd),
                                  2 * x * xd + np.cos(y) * yd)


# ---------------------------------------------------------------- braket (_TestBraKet)

GRID10 = lf.Quadrature(np.arange(10.0), np.full(10, 0.1))


def test_braket_on_a_grid():
    s = lf.function(lnp.sin, domain=GRID10)
    c = lf.function(lnp.cos, domain=GRID10)
    grid = np.arange(10.0)
    np.testing.assert_allclose(lf.braket(s, c), np.mean(np.sin(grid) * np.cos(grid)),
                               rtol=1e-14)
    np.testing.assert_allclose(lf.braket(lf.function(lnp.sin), lf.function(lnp.cos), GRID10),
                               np.mean(np.sin(grid) * np.cos(grid)), rtol=1e-14)


def test_braket_grad_is_twice_f():
    s = lf.function(lnp.sin, domain=GRID10)
    g = lt.grad(lambda f: lf.braket(f, f))(s)
    x = np.random.default_rng(0).standard_normal(7)
    np.testing.assert_array_equal(values(g, x), 2 * np.sin(x))


def test_integrate_without_quadrature_is_an_error():
    with pytest.raises(LintraError, match="quadrature"):
        lf.braket(lf.function(lnp.sin), lf.function(lnp.cos))


# ---------------------------------------------------------------- partial (_TestPartial)

def test_partial_values():
    f = _abc()
    # equal up to rounding: a compiled backend may sum the products in another order
    close = functools.partial(np.testing.assert_allclose, rtol=1e-14, atol=1e-14)
    close(lf.partial(f, A54)(B43, C32), f(A54, B43, C32))
    close(lf.partial(f, A54, B43)(C32), f(A54, B43, C32))
    close(lf.partial(f, A54, C32, argnums=(0, 2))(B43), f(A54, B43, C32))
    close(lf.partial(f, B43, argnums=1)(A54, C32), f(A54, B43, C32))


# a function linear in its first (bound) argument; the others range over quadratures
R = np.random.default_rng(7)
QB = lf.Quadrature(R.standard_normal((6, 3)), R.uniform(size=6))       # b ∈ R³
QC = lf.Quadrature(R.standard_normal(5), R.uniform(size=5))            # c ∈ R
A23 = R.standard_normal((2, 3))
M22 = R.standard_normal((2, 2))


def _f_abc():
    return lf.function(lambda a, b, c: (a @ b) * lnp.sin(c), "(2,3),(3),()->(2)")


def _ct_bc():
    return lf.function(lambda b, c: M22 @ b[:2] * lnp.cos(c) + b[2], "(3),()->(2)",
                       domain=(QB, QC))


def _expected_partial_transpose():
    """Σ_ij w_i w_j ct(b_i, c_j) ⊗ (b_i sin c_j): ∫∫ (∂f/∂a)ᵀ ct, by NumPy."""
    out = np.zeros((2, 3))
    for b, wb in zip(QB.nodes, QB.weights):
        for c, wc in zip(QC.nodes, QC.weights):
            out += wb * wc * np.outer(M22 @ b[:2] * np.cos(c) + b[2], b * np.sin(c))
    return out


def test_partial_transpose_wrt_bound_array_by_vjp_staged():
    f = _f_abc()

    def transposed(a):
        _, vjp = lt.vjp(lambda a: lf.partial(f, a), a)
        return vjp(_ct_bc())[0]
    np.testing.assert_allclose(lt.jit(transposed)(A23), _expected_partial_transpose(),
                               rtol=1e-13)


def test_partial_transpose_wrt_bound_array_by_vjp_eager():
    f = _f_abc()
    _, vjp = lt.vjp(lambda a: lf.partial(f, a), A23)
    np.testing.assert_allclose(vjp(_ct_bc())[0], _expected_partial_transpose(), rtol=1e-13)


def test_partial_transpose_wrt_bound_array_by_linear_transpose():
    """AutoFD's test_partial: linear_transpose(a ↦ partial(f, a)) applied to a Function."""
    f = _f_abc()
    (ta,) = lt.linear_transpose(lambda a: lf.partial(f, a), A23)(_ct_bc())
    np.testing.assert_allclose(ta, _expected_partial_transpose(), rtol=1e-13)


def test_partial_transpose_some_bound_equals_integral_against_cotangent():
    """AutoFD's second case: a and c bound, the cotangent a function of b alone."""
    f = _f_abc()
    c0 = 0.7
    ct = lf.function(lambda b: M22 @ b[:2], "(3)->(2)", domain=QB)

    def transposed(a):
        _, vjp = lt.vjp(lambda a: lf.partial(f, a, c0, argnums=(0, 2)), a)
        return vjp(ct)[0]
    expected = sum(wb * np.outer(M22 @ b[:2], b * np.sin(c0))
                   for b, wb in zip(QB.nodes, QB.weights))
    np.testing.assert_allclose(lt.jit(transposed)(A23), expected, rtol=1e-13)


def test_partial_gradient_wrt_bound_arrays():
    """AutoFD's disabled _test_partial_gradient: grad of ∫ Σ partial(f, a, b, c) (no argument
    left, so the integral is the value) in a and b equals grad of Σ f(a, b, c)."""
    f = _abc()

    def F1(a, b, c):
        return lf.integrate(lf.compose(lnp.sum, lf.partial(f, a, b, c)))

    def F2(a, b, c):
        return lnp.sum(a @ b @ c)

    np.testing.assert_allclose(F1(A54, B43, C32), F2(A54, B43, C32), rtol=1e-15)
    for grad in (lt.grad, lambda F, argnums: lt.jit(lt.grad(F, argnums))):
        g1 = grad(F1, (0, 1))(A54, B43, C32)
        g2 = lt.grad(F2, (0, 1))(A54, B43, C32)
        for u, v in zip(g1, g2):
            np.testing.assert_allclose(u, v, rtol=1e-14, atol=1e-15)


def test_partial_gradient_wrt_bound_arrays_with_free_argument():
    h = lf.function(lambda a, b, x: lnp.sum(a * lnp.sin(b * x)), "(3),(3),()->()",
                    domain=(None, None, Q8))
    r = np.random.default_rng(3)
    a, b = r.standard_normal(3), r.standard_normal(3)

    def F(a, b):
        return lf.integrate(lnp.exp(lf.partial(h, a, b)))

    def ref(a, b):
        return lnp.sum(Q8.weights * lnp.exp(lnp.sum(a * lnp.sin(b * Q8.nodes[:, None]),
                                                     axis=-1)))
    for u, v in zip(lt.grad(F, (0, 1))(a, b), lt.grad(ref, (0, 1))(a, b)):
        np.testing.assert_allclose(u, v, rtol=1e-13)
    for u, v in zip(lt.jit(lt.grad(F, (0, 1)))(a, b), lt.grad(ref, (0, 1))(a, b)):
        np.testing.assert_allclose(u, v, rtol=1e-13)


def test_partial_jit_then_grad():
    """AutoFD's test_partial_jit: grad of a functional at partial(f, a), evaluated at b, then
    differentiated in a and b (under jit)."""
    f = lf.function(lambda a, b: a + b, "(),()->()", domain=(None, Q8))

    def loss(a, b):
        g = lf.partial(f, a)
        fd = lt.grad(lambda u: lf.integrate(lnp.sin(u)))(g)
        return fd(b)                                    # cos(a + b)

    np.testing.assert_allclose(loss(1.0, 2.0), np.cos(3.0), rtol=1e-15)
    np.testing.assert_allclose(lt.jit(loss)(1.0, 2.0), np.cos(3.0), rtol=1e-15)
    np.testing.assert_allclose(lt.grad(loss, (0, 1))(1.0, 2.0), (-np.sin(3.0),) * 2,
                               rtol=1e-15)
    np.testing.assert_allclose(lt.jit(lt.grad(loss, (0, 1)))(1.0, 2.0), (-np.sin(3.0),) * 2,
                               rtol=1e-15)


# ---------------------------------------------------------------- pointwise (_TestUnary, ...)

X_POS = np.random.default_rng(5).uniform(0.1, 0.9, size=(3, 5))
Y_ANY = np.random.default_rng(6).standard_normal((3, 5))

# on (0.1, 0.9) every one of them is defined; arccosh needs ≥ 1
UNARY = ["exp", "log", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
         "arcsinh", "arctanh", "square", "sqrt", "abs", "sign", "negative", "log1p", "expm1",
         "reciprocal", "exp2", "log2", "log10", "cbrt", "floor", "ceil", "positive"]


def _pos_fn():
    return lf.function(lambda a, b: a * 0.5 + 0.5 * lnp.sin(b) ** 2 * 0.1, "(3,5),(3,5)->(3,5)")


@pytest.mark.parametrize("name", UNARY)
def test_unary_functions_apply_pointwise(name):
    f = _pos_fn()
    op = getattr(lnp, name)
    g = op(f)
    assert isinstance(g, lf.Function)
    expected = getattr(np, name)(f(X_POS, Y_ANY))
    np.testing.assert_allclose(g(X_POS, Y_ANY), expected, rtol=1e-14, atol=1e-15)
    # and on a function of a scalar, evaluated at many points at once
    s = lf.function(lambda x: 0.2 + 0.3 * lnp.cos(x) ** 2)
    xs = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(op(s)(xs), getattr(np, name)(0.2 + 0.3 * np.cos(xs) ** 2),
                               rtol=1e-14, atol=1e-15)


def test_arccosh_applies_pointwise():
    f = lf.function(lambda x: 1.5 + x ** 2, "(3)->(3)")
    x = np.array([0.1, -0.3, 2.0])
    np.testing.assert_allclose(lnp.arccosh(f)(x), np.arccosh(1.5 + x ** 2), rtol=1e-15)


BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "arctan2",
          "hypot"]


@pytest.mark.parametrize("name", BINARY)
def test_binary_functions_apply_pointwise(name):
    f = _pos_fn()
    g = lf.function(lambda a, b: 0.3 + a * lnp.cos(b) ** 2, "(3,5),(3,5)->(3,5)")
    op, ref = getattr(lnp, name), getattr(np, name)
    fx, gx = f(X_POS, Y_ANY), g(X_POS, Y_ANY)
    for h, expected in ((op(f, g), ref(fx, gx)), (op(f, 0.7), ref(fx, 0.7)),
                        (op(1.3, g), ref(1.3, gx)), (op(f, Y_ANY[0]), ref(fx, Y_ANY[0]))):
        assert isinstance(h, lf.Function)
        np.testing.assert_allclose(h(X_POS, Y_ANY), expected, rtol=1e-14, atol=1e-15)


def test_operator_overloads():
    f = _pos_fn()
    g = lf.function(lambda a, b: 0.3 + a * lnp.cos(b) ** 2, "(3,5),(3,5)->(3,5)")
    fx, gx = f(X_POS, Y_ANY), g(X_POS, Y_ANY)
    cases = [
        (f + f, 2 * fx), (f + 1, fx + 1), (1 + f, 1 + fx), (f - g, fx - gx), (2 - f, 2 - fx),
        (g - 2, gx - 2), (f * g, fx * gx), (3 * f, 3 * fx), (f * 3, 3 * fx), (f / g, fx / gx),
        (2 / f, 2 / fx), (f / 2, fx / 2), (f ** 3, fx ** 3), (2 ** f, 2 ** fx),
        (f ** g, fx ** gx), (-f, -fx), (+f, fx), (abs(f - g), abs(fx - gx)),
        (f % 0.3, fx % 0.3), (g / f, gx / fx),
    ]
    for h, expected in cases:
        assert isinstance(h, lf.Function)
        np.testing.assert_allclose(h(X_POS, Y_ANY), expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(lt.jit(f ** 3)(X_POS, Y_ANY), fx ** 3, rtol=1e-14)
    np.testing.assert_allclose(lt.jit(g / f)(X_POS, Y_ANY), gx / fx, rtol=1e-14)
    np.testing.assert_allclose((f / f)(X_POS, Y_ANY), np.ones((3, 5)), rtol=1e-15)


def test_pointwise_reduction_with_parameters():
    """AutoFD's test_unary_with_params (o.numpy.sum(f, axis=0)). Only the elementwise
    lintra.numpy functions apply pointwise; a reduction is composed."""
    f = _pos_fn()
    sf = lf.compose(lambda u: lnp.sum(u, axis=0), f)
    assert isinstance(sf, lf.Function)
    np.testing.assert_allclose(sf(X_POS, Y_ANY), f(X_POS, Y_ANY).sum(0), rtol=1e-15)


# ---------------------------------------------------------------- broadcast_arg (_TestBroadcast)

def test_broadcast_arg_values():
    f = lf.function(lambda a, b: a @ b, "(5,4),(4,3)->(5,3)")
    target = lf.function(lambda a, b, c: a @ b @ c, "(5,4),(4,3),(3,3)->(5,3)")
    c = np.random.default_rng(0).standard_normal((3, 3))
    np.testing.assert_array_equal(lf.broadcast_arg(f, target, (0, 1))(A54, B43, c),
                                  f(A54, B43))
    g = lf.function(lambda c, a: c[0, 0] * a, "(3,3),(5,4)->(5,4)")
    np.testing.assert_array_equal(lf.broadcast_arg(g, target, (2, 0))(A54, B43, c),
                                  g(c, A54))


# ---------------------------------------------------------------- the functional-derivative oracle

def _target2():
    """The type of functions on [0, 1]² as two scalar arguments."""
    return lf.function(lambda x, y: x * y, "(),()->()", domain=(Q, Q)).type


def _kernel():
    return lf.function(lambda x, y: lnp.exp(-(x - y) ** 2) + 0.5 * x * y, "(),()->()",
                       domain=(Q, Q))


FUNCTIONALS = {
    # name: (F, needs a boundary-vanishing direction)
    "exp(f) + f'^2": (lambda f: lf.integrate(lnp.exp(f) + lf.nabla(f) ** 2), True),
    "f^4 - sin(f) f": (lambda f: lf.integrate(f ** 4 - lnp.sin(f) * f), False),
    "arc length": (lambda f: lf.integrate(lnp.sqrt(1 + lf.nabla(f) ** 2) * (2 + lnp.sin(f)),
                                          Q64), True),
    "f''^2": (lambda f: lf.integrate(lf.nabla(lf.nabla(f)) ** 2), True),
    "nonlocal product": (lambda f: lf.integrate(f ** 2) * lf.integrate(lnp.cos(f)), False),
    "log braket": (lambda f: lnp.log(1.0 + lf.braket(f, f)), False),
    "double integral": (lambda f: lf.integrate(
        _kernel() * lf.broadcast_arg(f, _target2(), (0,))
        * lf.broadcast_arg(lnp.tanh(f), _target2(), (1,))), False),
    "integrate argnums": (lambda f: lf.integrate(lf.integrate(
        _kernel() * lf.broadcast_arg(f ** 2, _target2(), (1,)), argnums=1) ** 2), False),
    "compose": (lambda f: lf.integrate(lf.compose(lambda u: lnp.sin(u) * u ** 2, f)), False),
    "zip/split": (lambda f: lf.integrate(lf.compose(lambda u, v: u * lnp.exp(v),
                                                    *lf.split(lf.zip(f, lf.nabla(f))),
                                                    share_inputs=True)), True),
    "linearize": (lambda f: lf.integrate(lf.compose(
        lf.linearize(lf.function(lambda a, b: a * lnp.sin(b), "(),()->()"), 1),
        f, f ** 2, f, share_inputs=True)), False),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONALS))
@pytest.mark.parametrize("seed", [0, 1])
def test_functional_derivative_oracle(name, seed):
    F, vanish = FUNCTIONALS[name]
    quad = Q64 if name == "arc length" else Q      # pair with the functional's own rule
    f = lf.function(random_smooth(seed), domain=Q)
    h = lf.function(random_bump(seed + 10) if vanish else random_smooth(seed + 10), domain=Q)
    check_functional_derivative(F, f, h, quad)


def test_functional_derivative_oracle_2d():
    """∫ |∇f|² + f⁴ on [0, 1]² with f: R² → R; δF = −2Δf + 4f³."""
    def f_fn(p):
        return lnp.sin(p[0] + 2 * p[1]) + 0.3 * p[0] * p[1]

    def h_fn(p):
        return (p[0] * (1 - p[0]) * p[1] * (1 - p[1])) ** 2 * (1 + p[0] - p[1])
    f = lf.function(f_fn, "(2)->()", domain=Q2)
    h = lf.function(h_fn, "(2)->()", domain=Q2)

    def F(f):
        return lf.integrate(lf.compose(lnp.sum, lf.nabla(f) ** 2) + f ** 4)
    check_functional_derivative(F, f, h, Q2, rtol=1e-6)
    dF = lt.grad(F)(f)
    p = np.array([[0.2, 0.7], [0.5, 0.1]])
    lap = -5 * np.sin(p[:, 0] + 2 * p[:, 1])
    u = np.sin(p[:, 0] + 2 * p[:, 1]) + 0.3 * p[:, 0] * p[:, 1]
    np.testing.assert_allclose(values(dF, p), -2 * lap + 4 * u ** 3, rtol=1e-13)


def test_functional_derivative_oracle_vector_valued():
    """f: R → R³ with ∫ |f|² + Σ f'·f' g, g a fixed function."""
    f = lf.function(lambda x: lnp.stack([lnp.sin(x), x ** 2, lnp.cos(3 * x)]), "()->(3)",
                    domain=Q)
    h = lf.function(lambda x: (x * (1 - x)) ** 2 * lnp.stack([1.0 + 0 * x, x, -x]), "()->(3)",
                    domain=Q)
    g = lf.function(lambda x: 1 + x ** 2, domain=Q)

    def F(f):
        return lf.integrate(lf.compose(lambda u, du, w: lnp.sum(u ** 2) + lnp.sum(du ** 2) * w,
                                       f, lf.nabla(f), g, share_inputs=True))
    check_functional_derivative(F, f, h, Q)


def test_grad_of_point_evaluation_is_a_point_mass():
    f = lf.function(lnp.sin, domain=Q)
    m = lt.grad(lambda f: 3.0 * f(0.3))(f)
    assert isinstance(m, lf.PointMass)
    np.testing.assert_allclose(lf.braket(m, lf.function(lnp.exp)), 3.0 * np.exp(0.3),
                               rtol=1e-15)


# ---------------------------------------------------------------- dot-product tests

def _t1():
    return lf.function(random_bump(3), domain=Q)


def _ct1(seed=4):
    return lf.function(random_smooth(seed), domain=Q)


def test_dot_product_nabla():
    check_dot_product(lf.nabla, _t1(), _ct1(), Q, Q)


def test_dot_product_nabla_2d():
    t = lf.function(lambda p: (p[0] * (1 - p[0]) * p[1] * (1 - p[1])) ** 2 * lnp.exp(p[0]),
                    "(2)->()", domain=Q2)
    ct = lf.function(lambda p: lnp.stack([lnp.sin(p[0] * p[1]), p[0] - p[1] ** 2]),
                     "(2)->(2)", domain=Q2)
    check_dot_product(lf.nabla, t, ct, Q2, Q2, rtol=1e-9)


def test_dot_product_nabla_of_second_argument():
    t = lf.function(lambda x, y: lnp.cos(x) * (y * (1 - y)) ** 2, "(),()->()", domain=(Q8, Q))
    ct = lf.function(lambda x, y: x * lnp.sin(3 * y) + 1, "(),()->()", domain=(Q8, Q))
    check_dot_product(lambda u: lf.nabla(u, argnums=1), t, ct)


def test_dot_product_integrate_all():
    check_dot_product(lf.integrate, _ct1(5), np.array(0.7), Q)
    t = lf.function(lambda x: lnp.stack([lnp.sin(x), x]), "()->(2)", domain=Q)
    check_dot_product(lf.integrate, t, np.array([0.3, -1.2]), Q)


@pytest.mark.parametrize("argnums", [0, 1])
def test_dot_product_integrate_some(argnums):
    t = lf.function(lambda x, y: lnp.exp(x) * lnp.sin(2 * y) + x * y, "(),()->()",
                    domain=(Q8, Q))
    ct = lf.function(lambda z: 1 + z ** 3, domain=Q if argnums == 0 else Q8)
    check_dot_product(lambda u: lf.integrate(u, argnums=argnums), t, ct)


def test_dot_product_broadcast_arg():
    target = lf.function(lambda x, y: x, "(),()->()", domain=(Q, Q8)).type
    ct = lf.function(lambda x, y: lnp.cos(x - 2 * y), "(),()->()", domain=(Q, Q8))
    check_dot_product(lambda u: lf.broadcast_arg(u, target, (0,)), _ct1(6), ct)
    t = lf.function(lambda y: y ** 2 - 0.5, domain=Q8)
    check_dot_product(lambda u: lf.broadcast_arg(u, target, (1,)), t, ct)


def test_dot_product_permute_args():
    t = lf.function(lambda x, y: lnp.exp(x) * lnp.sin(2 * y), "(),()->()", domain=(Q8, Q))
    ct = lf.function(lambda y, x: x * y + lnp.cos(y), "(),()->()", domain=(Q, Q8))
    check_dot_product(lambda u: lf.permute_args(u, (1, 0)), t, ct)


def test_dot_product_compose_with_linear_outer():
    outer = lf.function(lambda u: lnp.stack([2.0 * u[0] - u[1], 3.0 * u[1]]), "(2)->(2)")
    t = lf.function(lambda x: lnp.stack([lnp.sin(x), x ** 2]), "()->(2)", domain=Q)
    ct = lf.function(lambda x: lnp.stack([lnp.cos(x), 1 + x]), "()->(2)", domain=Q)
    # (lintra.linear_transpose of these is a reported bug: test_linear_transpose_of_...)
    check_dot_product(lambda g: lf.compose(outer, g), t, ct, transpose=False)
    check_dot_product(lambda g: 2.5 * g - g, _ct1(7), _ct1(8), transpose=False)


def test_dot_product_compose_unshared_inputs():
    """x, y ↦ outer(g1(x), g2(y)): the transpose in one inner function integrates out the
    other's arguments."""
    g1 = lf.function(lnp.sin, domain=Q)
    g2 = lf.function(lambda y: y ** 2, domain=Q8)
    ct = lf.function(lambda x, y: lnp.cos(x * y) + x, "(),()->()", domain=(Q, Q8))
    times = lf.function(lambda a, b: a * (2 + b), "(),()->()")        # linear in a
    check_dot_product(lambda u: lf.compose(times, u, g2), g1, ct, transpose=False)
    check_dot_product(lambda u: times(u, g2), g1, ct, transpose=False)
    plus = lf.function(lambda a, b: a - 2 * b, "(),()->()")           # linear in both
    check_dot_product(lambda us: lf.compose(plus, *us), (g1, g2), ct, transpose=False)


def test_dot_product_vector_arguments():
    q2z = (Q2, Q8)
    t = lf.function(lambda p, z: (p[0] * (1 - p[0]) * p[1] * (1 - p[1])) ** 2 * lnp.cos(z),
                    "(2),()->()", domain=q2z)
    ct = lf.function(lambda p, z: p * z, "(2),()->(2)", domain=q2z)
    check_dot_product(lambda u: lf.nabla(u, 0), t, ct, rtol=1e-9)
    ct2 = lf.function(lambda p, z: p[0] + z * p[1], "(2),()->()", domain=q2z)
    target = ct2.type
    check_dot_product(lambda u: lf.broadcast_arg(u, target, (0,)),
                      lf.function(lambda p: lnp.sin(p[0]) * p[1], "(2)->()", domain=Q2), ct2)
    check_dot_product(lambda u: lf.integrate(u, argnums=0), ct2,
                      lf.function(lambda z: z ** 2, domain=Q8))


def test_dot_product_constant_staged():
    like = lf.function(lnp.sin, domain=Q)
    check_dot_product(lambda v: lf.constant(v, like), np.array(1.3), _ct1(9), None, Q,
                      staged=True, transpose=False)
    like2 = lf.function(lambda x: x, "(2)->(2)", domain=Q2)
    ct = lf.function(lambda p: lnp.stack([p[0] * p[1], lnp.sin(p[1])]), "(2)->(2)", domain=Q2)
    check_dot_product(lambda v: lf.constant(v, like2), np.array([0.4, -2.0]), ct, None, Q2,
                      staged=True, transpose=False)


def test_dot_product_constant_eager():
    like = lf.function(lnp.sin, domain=Q)
    check_dot_product(lambda v: lf.constant(v, like), np.array(1.3), _ct1(9), None, Q,
                      transpose=False)


def test_dot_product_zip_split():
    a, b = _ct1(10), lf.function(random_bump(11), domain=Q)
    ct = (_ct1(12), _ct1(13))
    check_dot_product(lambda fs: lf.zip(*fs), (a, b), lf.zip(*ct))
    check_dot_product(lf.split, lf.zip(a, b), ct)


def test_dot_product_partial_wrt_bound_array_staged():
    f = _f_abc()
    t = np.random.default_rng(2).standard_normal((2, 3))
    check_dot_product(lambda a: lf.partial(f, a), t, _ct_bc(), None, (QB, QC), staged=True,
                      transpose=False)


def _linear_maps_of_functions():
    g = lf.function(lambda x: lnp.sin(3 * x), domain=Q)
    outer = lf.function(lambda y: 2.5 * y)
    like = lf.function(lnp.sin, domain=Q)
    return {
        "compose(linear outer, g)": (lambda u: lf.compose(outer, u), g, _ct1(1)),
        "2*g": (lambda u: 2.0 * u, g, _ct1(2)),
        "g + g": (lambda u: u + u, g, _ct1(3)),
        "constant(v)": (lambda v: lf.constant(v, like), np.array(1.3), _ct1(4)),
    }


@pytest.mark.parametrize("name", sorted(_linear_maps_of_functions()))
def test_linear_transpose_of_linear_maps_of_functions(name):
    L, t, ct = _linear_maps_of_functions()[name]
    (by_transpose,) = lt.linear_transpose(L, t)(ct)
    (by_vjp,) = lt.jit(lambda t: lt.vjp(L, t)[1](ct))(t) if isinstance(t, np.ndarray) \
        else lt.vjp(L, t)[1](ct)
    np.testing.assert_allclose(inner(by_transpose, t), inner(by_vjp, t), rtol=1e-12)


# ---------------------------------------------------------------- transformations of functionals

def _F_exp():
    return lambda f: lf.integrate(lnp.exp(f) + lf.nabla(f) ** 2)


def test_functionals_under_jit_value_and_grad_linearize():
    F = _F_exp()
    f = lf.function(random_smooth(30), domain=Q)
    h = lf.function(random_bump(31), domain=Q)
    dF = values(lt.grad(F)(f), XIN)
    np.testing.assert_allclose(float(lt.jit(F)(f)), float(F(f)), rtol=1e-14)
    np.testing.assert_allclose(lt.jit(lambda f: lt.grad(F)(f)(XIN))(f), dF, rtol=1e-14)
    np.testing.assert_allclose(values(lt.jit(lt.grad(F))(f), XIN), dF, rtol=1e-14)
    np.testing.assert_allclose(lt.vmap(lt.grad(F)(f))(XIN), dF, rtol=1e-14)
    v, g = lt.value_and_grad(F)(f)
    np.testing.assert_allclose(float(v), float(F(f)), rtol=1e-15)
    np.testing.assert_allclose(values(g, XIN), dF, rtol=1e-15)
    y, F_lin = lt.linearize(F, f)
    np.testing.assert_allclose(float(F_lin(h)), float(lt.jvp(F, (f,), (h,))[1]), rtol=1e-13)


def test_grad_with_respect_to_functions_and_arrays():
    f = lf.function(random_smooth(32), domain=Q)
    g = lf.function(random_smooth(33), domain=Q)
    a = np.array([0.3, 1.2])

    def F(f, g, a):
        return lf.integrate(f * g * a[0] + lnp.sin(f) * a[1])
    gf, gg, ga = lt.grad(F, (0, 1, 2))(f, g, a)
    fx, gx = values(f, XIN), values(g, XIN)
    np.testing.assert_allclose(values(gf, XIN), gx * a[0] + np.cos(fx) * a[1], rtol=1e-14)
    np.testing.assert_allclose(values(gg, XIN), fx * a[0], rtol=1e-14)
    np.testing.assert_allclose(ga, [float(lf.integrate(f * g)), float(lf.integrate(lnp.sin(f)))],
                               rtol=1e-14)
    # functions inside pytrees
    d = lt.grad(lambda fs: lf.integrate(fs["u"] * fs["v"][0]))({"u": f, "v": (g,)})
    np.testing.assert_allclose(values(d["u"], XIN), gx, rtol=1e-15)
    np.testing.assert_allclose(values(d["v"][0], XIN), fx, rtol=1e-15)


@pytest.mark.parametrize("how", ["jit", "grad over grad"])
def test_grad_wrt_array_combined_with_a_traced_function(how):
    f = lf.function(lnp.sin, domain=Q8)
    expected = np.sum(Q8.weights * np.sin(Q8.nodes))

    def F(f, a):
        return lf.integrate(f * a)
    if how == "jit":
        got = lt.jit(lt.grad(F, 1))(f, 0.5)
    else:   # δ/δf of ∂F/∂a = ∫ f is the constant 1
        got = lt.grad(lambda f: lt.grad(F, 1)(f, 0.5))(f)(0.3)
        expected = 1.0
    np.testing.assert_allclose(got, expected, rtol=1e-14)


# ---------------------------------------------------------------- second order

def _F_second(f):
    return lf.integrate(lnp.exp(f) + lf.nabla(f) ** 2 + f ** 4)


def test_second_order_forward_over_reverse_equals_fd_of_grad():
    f = lf.function(random_smooth(20), domain=Q)
    h = lf.function(random_bump(21), domain=Q)
    G = lt.grad(_F_second)
    _, Gh = lt.jvp(G, (f,), (h,))
    assert isinstance(Gh, lf.Function)
    eps = 1e-5
    fd = (values(G(f + eps * h), XIN) - values(G(f - eps * h), XIN)) / (2 * eps)
    np.testing.assert_allclose(values(Gh, XIN), fd, rtol=1e-6, atol=1e-8)
    # closed form: δ²F·h = e^f h − 2 h'' + 12 f² h
    fx, hx = values(f, XIN), values(h, XIN)
    h2 = values(lf.nabla(lf.nabla(h)), XIN)
    np.testing.assert_allclose(values(Gh, XIN), np.exp(fx) * hx - 2 * h2 + 12 * fx ** 2 * hx,
                               rtol=1e-12, atol=1e-12)


def test_second_order_reverse_over_reverse():
    """grad of ⟨δF/δf, h⟩ (reverse over reverse) = jvp of δF/δf along h (forward over
    reverse); the Hessian is symmetric, ⟨k, H h⟩ = ⟨H k, h⟩; and ⟨h, H h⟩ is the second
    central difference of F(f + εh). (Each Hessian function is evaluated once: evaluating
    these unshared expression trees costs about a second per call.)"""
    f = lf.function(random_smooth(22), domain=Q)
    h = lf.function(random_bump(23), domain=Q)
    k = lf.function(random_bump(24), domain=Q)
    G = lt.grad(_F_second)
    _, Gh = lt.jvp(G, (f,), (h,))
    Hh = lt.grad(lambda u: lf.braket(G(u), h))(f)
    Hk = lt.grad(lambda u: lf.braket(G(u), k))(f)
    assert Hh.type == f.type
    pts = np.concatenate([XIN, Q.nodes])
    hh, gh = values(Hh, pts), values(Gh, pts)
    np.testing.assert_allclose(hh, gh, rtol=1e-12, atol=1e-12)
    hq, kq = values(h, Q.nodes), values(k, Q.nodes)
    hk_q = values(Hk, Q.nodes)
    hh_q = hh[len(XIN):]
    np.testing.assert_allclose(np.sum(Q.weights * kq * hh_q), np.sum(Q.weights * hk_q * hq),
                               rtol=1e-10)
    eps = 1e-3
    fd = (float(_F_second(f + eps * h)) - 2 * float(_F_second(f))
          + float(_F_second(f - eps * h))) / eps ** 2
    np.testing.assert_allclose(np.sum(Q.weights * hq * hh_q), fd, rtol=1e-5)
