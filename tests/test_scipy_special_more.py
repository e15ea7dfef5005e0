"""lintra.scipy.special, the second batch (Bessel jv yv kn k0 k1 k0e k1e kve spherical_jn
spherical_yn; binom erfi log_expit expm1 exprel cbrt inv_boxcox inv_boxcox1p; ellipk ellipe
ellipkm1 gammaincinv gammainccinv stdtr; wofz voigt_profile sph_harm_y): values against
SciPy, derivatives against finite differences (``check_grads``, order 2, both modes), against
SciPy's own derivatives where it has them and against jax.scipy.special where JAX has the
function (wofz, sph_harm_y), eager against staged, vmap, float32, and a clear error for each
derivative that does not exist or is not implemented."""

import math

import numpy as np
import pytest
import scipy.special as sc

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.special as S
from lintra.test_util import along, check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jsp = jax.scipy.special

X = np.array([0.3, 0.45, 0.7])
POS = np.array([0.8, 1.7, 3.2])
ORD = np.array([0.0, 1.0, 2.5])
INT = np.array([0.0, 1.0, 3.0])
M = np.array([-0.5, 0.005, 0.3, 0.9])         # 0.005: the series branch of dK/dm, dE/dm
P = np.array([0.995, 0.5, 0.05, 0.1])
Z = np.array([0.3 + 0.5j, -1.2 + 0.1j, 2.0 - 0.7j])
SPH = (np.array([0.0, 2.0, 3.0, 3.0]), np.array([0.0, 1.0, -2.0, 3.0]),
       np.array([0.3, 1.1, 2.0, 0.7]), np.array([0.4, -1.0, 2.5, 0.1]))


def _sph_ref(n, m, theta, phi, **kw):
    return sc.sph_harm_y(np.asarray(n).astype(int), np.asarray(m).astype(int), theta, phi, **kw)


# name, lintra function, scipy function, arguments, differentiable argument positions
CASES = [
    ("jv", S.jv, sc.jv, (ORD, POS), (1,)),
    ("yv", S.yv, sc.yv, (ORD, POS), (1,)),
    ("kn", S.kn, sc.kn, (INT, POS), (1,)),
    ("k0", S.k0, sc.k0, (POS,), (0,)),
    ("k1", S.k1, sc.k1, (POS,), (0,)),
    ("k0e", S.k0e, sc.k0e, (POS,), (0,)),
    ("k1e", S.k1e, sc.k1e, (POS,), (0,)),
    ("kve", S.kve, sc.kve, (ORD, POS), (1,)),
    ("spherical_jn", S.spherical_jn, sc.spherical_jn, (INT, POS - 1), (1,)),
    ("spherical_yn", S.spherical_yn, sc.spherical_yn, (INT, POS), (1,)),
    ("spherical_jn_d", lambda n, x: S.spherical_jn(n, x, derivative=True),
     lambda n, x: sc.spherical_jn(n, x, derivative=True), (INT, POS - 1), (1,)),
    ("spherical_yn_d", lambda n, x: S.spherical_yn(n, x, derivative=True),
     lambda n, x: sc.spherical_yn(n, x, derivative=True), (INT, POS), (1,)),
    ("binom", S.binom, sc.binom, (POS + 3, POS), (0, 1)),
    ("erfi", S.erfi, sc.erfi, (POS - 2,), (0,)),
    ("log_expit", S.log_expit, sc.log_expit, (POS - 2,), (0,)),
    ("expm1", S.expm1, sc.expm1, (POS - 2,), (0,)),
    ("exprel", S.exprel, sc.exprel, (POS - 2,), (0,)),
    ("cbrt", S.cbrt, sc.cbrt, (POS - 2,), (0,)),
    ("inv_boxcox", S.inv_boxcox, sc.inv_boxcox, (POS - 2, ORD - 1), (0, 1)),
    ("inv_boxcox1p", S.inv_boxcox1p, sc.inv_boxcox1p, (POS - 2, ORD - 1), (0, 1)),
    ("ellipk", S.ellipk, sc.ellipk, (M,), (0,)),
    ("ellipe", S.ellipe, sc.ellipe, (M,), (0,)),
    ("ellipkm1", S.ellipkm1, sc.ellipkm1, (P,), (0,)),
    ("gammaincinv", S.gammaincinv, sc.gammaincinv, (POS, X), (0, 1)),
    ("gammainccinv", S.gammainccinv, sc.gammainccinv, (POS, X), (0, 1)),
    ("stdtr", S.stdtr, sc.stdtr, (POS, POS - 2), (1,)),
    ("voigt_profile", S.voigt_profile, sc.voigt_profile, (POS - 2, POS, X - 0.5), (0, 1, 2)),
]
COMPLEX_CASES = [
    ("wofz", S.wofz, sc.wofz, (Z,), (0,)),
    ("sph_harm_y", S.sph_harm_y, _sph_ref, SPH, (2, 3)),
]
ALL = CASES + COMPLEX_CASES
IDS = [c[0] for c in CASES]
ALL_IDS = [c[0] for c in ALL]



@pytest.mark.parametrize("name,f,ref,args,argnums", CASES, ids=IDS)
def test_values_match_scipy(name, f, ref, args, argnums):
    np.testing.assert_allclose(f(*args), ref(*args), rtol=1e-12, atol=1e-15)
    args32 = tuple(a.astype(np.float32) for a in args)
    out32 = f(*args32)
    assert out32.dtype == np.float32, name
    np.testing.assert_allclose(out32, ref(*args), rtol=2e-5, atol=1e-6)


def test_complex_values_and_dtypes():
    np.testing.assert_allclose(S.wofz(Z), sc.wofz(Z), rtol=1e-13)
    assert S.wofz(Z.astype(np.complex64)).dtype == np.complex64
    assert S.wofz(np.float32(0.5)).dtype == np.complex64        # a real z is z + 0j
    np.testing.assert_allclose(S.wofz(POS), sc.wofz(POS + 0j), rtol=1e-13)
    np.testing.assert_allclose(S.sph_harm_y(*SPH), _sph_ref(*SPH), rtol=1e-12, atol=1e-15)
    assert S.sph_harm_y(2, 1, np.float32(0.3), np.float32(0.4)).dtype == np.complex64
    # broadcasting: every (n, m) pair against every angle
    n, m = np.array([[1.0], [2.0], [4.0]]), np.array([[0.0], [-1.0], [3.0]])
    th, ph = np.array([0.2, 1.0, 2.9]), np.array([-0.3, 0.5, 1.0])
    np.testing.assert_allclose(S.sph_harm_y(n, m, th, ph), _sph_ref(n, m, th, ph),
                               rtol=1e-12, atol=1e-15)
    assert np.isnan(S.sph_harm_y(1.5, 0, 0.3, 0.4))    # (SciPy refuses non-integer orders)


def test_broadcasting_and_python_scalars():
    v, x = np.array([[0.5], [1.5], [3.0]]), np.array([0.2, 1.0, 3.0])
    for f, ref in ((S.jv, sc.jv), (S.yv, sc.yv), (S.kve, sc.kve), (S.kn, sc.kn),
                   (S.spherical_jn, sc.spherical_jn), (S.binom, sc.binom)):
        vv = np.floor(v) if f in (S.kn, S.spherical_jn) else v
        np.testing.assert_allclose(f(vv, x), ref(vv, x), rtol=1e-12)
    np.testing.assert_allclose(S.voigt_profile(x, v, 0.5), sc.voigt_profile(x, v, 0.5),
                               rtol=1e-12)
    np.testing.assert_allclose(S.inv_boxcox(x, v - 1), sc.inv_boxcox(x, v - 1), rtol=1e-12)
    assert S.jv(2, np.float32(1.5)).dtype == np.float32
    assert S.inv_boxcox(np.float32(0.5), 0.3).dtype == np.float32
    gx = lt.grad(lambda x: lnp.sum(S.jv(v, x)))(x)
    np.testing.assert_allclose(gx, np.sum(sc.jvp(v, x), 0), rtol=1e-12)


@pytest.mark.parametrize("name,f,ref,args,argnums", ALL, ids=ALL_IDS)
def test_check_grads_order_2(name, f, ref, args, argnums):
    g, diff = along(f, args, argnums)
    check_grads(g, diff, order=2, eps=1e-5, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name,f,ref,args,argnums", ALL, ids=ALL_IDS)
def test_eager_equals_staged_and_vmap(name, f, ref, args, argnums):
    check_staged(f, args)
    g, diff = along(f, args, argnums)
    grad_sum = lt.grad(lambda *d: lnp.sum(lnp.real(g(*d))))
    check_staged(grad_sum, diff)
    batched = lt.vmap(f)(*args)
    rows = [f(*[a[i] for a in args]) for i in range(len(args[0]))]
    np.testing.assert_allclose(batched, np.stack(rows), rtol=1e-13)
    if len(args) > 1:
        out = lt.vmap(f, in_axes=(None,) + (0,) * (len(args) - 1))(args[0][0], *args[1:])
        np.testing.assert_allclose(out, ref(args[0][0], *args[1:]), rtol=1e-12, atol=1e-15)


def _fd(ref, args, i, h=1e-6):
    """Central differences of SciPy's ``ref`` in argument ``i``."""
    lo, hi = list(args), list(args)
    lo[i], hi[i] = args[i] - h, args[i] + h
    return (ref(*hi) - ref(*lo)) / (2 * h)


@pytest.mark.parametrize("name,f,ref,args,argnums", CASES, ids=IDS)
def test_gradients_match_scipy_differences(name, f, ref, args, argnums):
    """First derivatives against central differences of SciPy's own values."""
    for i in argnums:
        ours = lt.grad(lambda a, i=i: lnp.sum(f(*[a if j == i else v
                                                  for j, v in enumerate(args)])))(args[i])
        np.testing.assert_allclose(ours, _fd(ref, args, i), rtol=2e-7, atol=1e-9)


def test_bessel_derivatives_match_scipy():
    """SciPy's own derivatives (jvp, yvp, kvp, and spherical derivative=True) as expected."""
    x = POS
    for f, dref, v in ((S.jv, sc.jvp, ORD), (S.yv, sc.yvp, ORD), (S.kn, sc.kvp, INT)):
        np.testing.assert_allclose(lt.vmap(lt.grad(f, argnums=1))(v, x), dref(v, x), rtol=1e-12)
        np.testing.assert_allclose(lt.vmap(lt.grad(lt.grad(f, argnums=1), argnums=1))(v, x),
                                   dref(v, x, 2), rtol=1e-12)
    np.testing.assert_allclose(lt.vmap(lt.grad(S.k0))(x), sc.kvp(0, x), rtol=1e-12)
    np.testing.assert_allclose(lt.vmap(lt.grad(S.k1e))(x),
                               np.exp(x) * (sc.kvp(1, x) + sc.kv(1, x)), rtol=1e-12)
    np.testing.assert_allclose(lt.vmap(lt.grad(S.kve, argnums=1))(ORD, x),
                               np.exp(x) * (sc.kvp(ORD, x) + sc.kv(ORD, x)), rtol=1e-12)
    for f, ref in ((S.spherical_jn, sc.spherical_jn), (S.spherical_yn, sc.spherical_yn)):
        np.testing.assert_allclose(lt.vmap(lt.grad(f, argnums=1))(INT, x),
                                   ref(INT.astype(int), x, derivative=True), rtol=1e-12)
    # j_n'(0): 1/3 for n = 1, 0 otherwise (no 0/0 at x = 0), and j_0''(0) = -1/3
    np.testing.assert_allclose(lt.vmap(lt.grad(S.spherical_jn, argnums=1))(INT, 0 * INT),
                               [0.0, 1 / 3, 0.0], atol=1e-15)
    np.testing.assert_allclose(lt.grad(lambda x: S.spherical_jn(0, x, derivative=True))(0.0),
                               -1 / 3, rtol=1e-14)


def test_kve_order_derivative():
    """∂/∂v of kve (the quadrature of kv, scaled: no overflow at large x), first order in v
    and any order in x."""
    v, x = (a.ravel() for a in np.meshgrid([-0.5, 0.3, 1.5, 2.5, 12.0], [0.5, 3.0, 40.0, 800.0]))
    h = 1e-5
    np.testing.assert_allclose(lt.vmap(lt.grad(S.kve))(v, x),
                               (sc.kve(v + h, x) - sc.kve(v - h, x)) / (2 * h), rtol=2e-6)
    check_grads(lambda x: lt.grad(S.kve)(1.3, x), (np.float64(2.2),), order=2)


def test_exprel_derivatives_at_and_near_zero():
    """½ ₁F₁(2; 3; x) = ((x-1)eˣ + 1)/x², with its limits 1/2 (and 1/3 for the second
    derivative) at 0 instead of 0/0."""
    assert lt.grad(S.exprel)(0.0) == 0.5
    np.testing.assert_allclose(lt.grad(lt.grad(S.exprel))(0.0), 1 / 3, rtol=1e-14)
    x = np.array([-30.0, -2.0, 1e-3, 0.5, 4.0, 50.0])
    np.testing.assert_allclose(lt.vmap(lt.grad(S.exprel))(x),
                               ((x - 1) * np.exp(x) + 1) / x ** 2, rtol=1e-9)


def test_inverse_boxcox_derivatives_in_lambda_at_zero():
    """The λ == 0 case is the series of log1p(λy)/(λy), not a separate formula: its λ
    derivatives are those of the neighbouring values (SciPy's differences)."""
    y = np.array([-0.7, 0.4, 1.3])
    for f, ref in ((S.inv_boxcox, sc.inv_boxcox), (S.inv_boxcox1p, sc.inv_boxcox1p)):
        ours = lt.vmap(lt.grad(f, argnums=1))(y, 0 * y)
        np.testing.assert_allclose(ours, -0.5 * y ** 2 * (np.exp(y)), rtol=1e-12)
        np.testing.assert_allclose(ours, _fd(ref, (y, 0 * y), 1), rtol=1e-7)
        d2 = lt.vmap(lt.grad(lt.grad(f, argnums=1), argnums=1))(y, 0 * y)
        h = 1e-4
        fd2 = (ref(y, h) - 2 * ref(y, 0.0) + ref(y, -h)) / h ** 2
        np.testing.assert_allclose(d2, fd2, rtol=1e-5)


def test_elliptic_derivatives_at_zero_and_across_the_series_switch():
    """dK/dm = π/8 and dE/dm = -π/8 at m = 0; d²K/dm² = 9π/64 (the series), and the closed
    forms agree with the series on both sides of |m| = 1e-2."""
    assert lt.grad(S.ellipk)(0.0) == pytest.approx(math.pi / 8, rel=1e-15)
    assert lt.grad(S.ellipe)(0.0) == pytest.approx(-math.pi / 8, rel=1e-15)
    assert lt.grad(lt.grad(S.ellipk))(0.0) == pytest.approx(9 * math.pi / 64, rel=1e-14)
    m = np.array([-0.0101, -0.0099, 0.0099, 0.0101, 0.5])
    for f, ref in ((S.ellipk, sc.ellipk), (S.ellipe, sc.ellipe)):
        np.testing.assert_allclose(lt.vmap(lt.grad(f))(m), _fd(ref, (m,), 0), rtol=1e-8)
    p = 1 - m
    np.testing.assert_allclose(lt.vmap(lt.grad(S.ellipkm1))(p), _fd(sc.ellipkm1, (p,), 0),
                               rtol=1e-8)


def test_inverse_gamma_derivatives():
    """dx/dy = 1/density at x (by the inverse-function rule) and dx/da by the implicit one,
    against SciPy's differences; second order in a (check_grads above), a third raises."""
    a, y = (v.ravel() for v in np.meshgrid([0.3, 2.5, 40.0], [0.01, 0.5, 0.97]))
    for f, ref, sign in ((S.gammaincinv, sc.gammaincinv, 1), (S.gammainccinv, sc.gammainccinv,
                                                              -1)):
        x = ref(a, y)
        dens = np.exp((a - 1) * np.log(x) - x - sc.gammaln(a))
        np.testing.assert_allclose(lt.vmap(lt.grad(f, argnums=1))(a, y), sign / dens,
                                   rtol=1e-11)
        h = 1e-6 * a
        fd = (ref(a + h, y) - ref(a - h, y)) / (2 * h)
        np.testing.assert_allclose(lt.vmap(lt.grad(f))(a, y), fd, rtol=1e-6)
    with pytest.raises(lt.NonDifferentiableError, match="`a`"):
        lt.grad(lt.grad(lt.grad(S.gammaincinv)))(1.5, 0.3)


def test_wofz_gradients_match_jax_and_differences():
    """grad of a real loss of wofz(x + iy) in real x and y: finite differences of SciPy's
    values and JAX's gradient; grad in complex z is JAX's conj convention."""
    x, y = Z.real.copy(), Z.imag.copy()
    w = np.array([0.5, 1.0, 1.5])
    for part, jpart in ((lnp.real, jax.numpy.real), (lnp.imag, jax.numpy.imag)):
        def loss(x, y, part=part):
            return lnp.sum(part(S.wofz(x + 1j * y)) * w)

        def jloss(x, y, jpart=jpart):
            return jax.numpy.sum(jpart(jsp.wofz(x + 1j * y)) * w)

        ours = lt.grad(loss, argnums=(0, 1))(x, y)
        theirs = jax.grad(jloss, argnums=(0, 1))(x, y)
        npart = np.real if part is lnp.real else np.imag
        h = 1e-6
        fds = [w * (npart(sc.wofz(x + h + 1j * y)) - npart(sc.wofz(x - h + 1j * y))) / (2 * h),
               w * (npart(sc.wofz(x + 1j * (y + h))) - npart(sc.wofz(x + 1j * (y - h))))
               / (2 * h)]
        for o, t, fd in zip(ours, theirs, fds):
            np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(o, fd, rtol=1e-7, atol=1e-10)
        check_grads(loss, (x, y), order=2, eps=1e-5)
    gz = lt.grad(lambda z: lnp.sum(lnp.abs(S.wofz(z)) ** 2))(Z)
    jz = jax.grad(lambda z: jax.numpy.sum(jax.numpy.abs(jsp.wofz(z)) ** 2))(Z)
    np.testing.assert_allclose(gz, jz, rtol=1e-9)


def test_sph_harm_y_derivatives_match_scipy_and_jax():
    """∂Y/∂θ and ∂Y/∂φ against SciPy's diff_n=1 (and the second derivatives against diff_n=2),
    gradients of a real loss against JAX's."""
    n, m, th, ph = SPH
    _, d1, d2 = _sph_ref(n, m, th, ph, diff_n=2)
    ones = np.ones_like(th)
    for i, arg in enumerate((th, ph)):
        def f(a, i=i):
            return S.sph_harm_y(n, m, a, ph) if i == 0 else S.sph_harm_y(n, m, th, a)
        np.testing.assert_allclose(lt.jvp(f, (arg,), (ones,))[1], d1[..., i], rtol=1e-12,
                                   atol=1e-14)
        second = lt.jvp(lambda a, f=f: lt.jvp(f, (a,), (ones,))[1], (arg,), (ones,))[1]
        np.testing.assert_allclose(second, d2[..., i, i], rtol=1e-11, atol=1e-13)
    w = np.array([0.5, 1.0, 1.5, 2.0])
    nj, mj = jax.numpy.asarray(n.astype(int)), jax.numpy.asarray(m.astype(int))
    for part, jpart in ((lnp.real, jax.numpy.real), (lnp.imag, jax.numpy.imag)):
        ours = lt.grad(lambda t, p, part=part: lnp.sum(part(S.sph_harm_y(n, m, t, p)) * w),
                       argnums=(0, 1))(th, ph)
        theirs = jax.grad(lambda t, p, jpart=jpart: jax.numpy.sum(
            jpart(jsp.sph_harm_y(nj, mj, t, p, n_max=3)) * w), argnums=(0, 1))(th, ph)
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-12)


def test_voigt_profile_derivatives_with_negative_gamma_and_sigma():
    """SciPy's voigt_profile is Re w((x + iγ)/(σ√2)) / (σ√(2π)) for either sign of γ and σ:
    the derivatives from wofz are right there too."""
    x, s, g = POS - 2, np.array([-0.8, 1.7, -3.2]), np.array([-0.5, -0.1, 1.3])
    for i in range(3):
        ours = lt.vmap(lt.grad(S.voigt_profile, argnums=i))(x, s, g)
        np.testing.assert_allclose(ours, _fd(sc.voigt_profile, (x, s, g), i), rtol=1e-7)


@pytest.mark.parametrize("f,arg,args", [
    (S.jv, "v", (1.5, 2.0)),
    (S.yv, "v", (1.5, 2.0)),
    (S.kn, "n", (1.0, 2.0)),
    (S.spherical_jn, "n", (1.0, 2.0)),
    (S.spherical_yn, "n", (1.0, 2.0)),
    (lambda n, x: S.spherical_jn(n, x, derivative=True), "n", (1.0, 2.0)),
    (lambda n, x: S.spherical_yn(n, x, derivative=True), "n", (1.0, 2.0)),
    (lambda v, x: lt.grad(S.kve)(v, x), "v", (1.5, 2.0)),
    (S.stdtr, "df", (3.0, 0.5)),
    (lambda n, t: lnp.real(S.sph_harm_y(n, 1.0, t, 0.4)), "n", (2.0, 0.3)),
    (lambda m, t: lnp.real(S.sph_harm_y(2.0, m, t, 0.4)), "m", (1.0, 0.3)),
])
@pytest.mark.parametrize("mode", ["grad", "jvp", "jit"])
def test_unsupported_derivatives_raise(f, arg, args, mode):
    with pytest.raises(lt.NonDifferentiableError, match=f"`{arg}`"):
        if mode == "grad":
            lt.grad(f)(*args)
        elif mode == "jvp":
            lt.jvp(lambda u: f(u, args[1]), (args[0],), (1.0,))
        else:
            lt.jit(lt.grad(f))(*args)


def test_boxcox_derivative_in_lambda_at_zero():
    """boxcox(x, λ) = log x · exprel(λ log x): d/dλ at λ == 0 is (log x)²/2 (it was 0, the
    derivative of a constant branch), matching SciPy's differences."""
    x = np.array([0.4, 2.0, 5.0])
    for f, ref, lx in ((S.boxcox, sc.boxcox, np.log(x)), (S.boxcox1p, sc.boxcox1p, np.log1p(x))):
        ours = lt.vmap(lt.grad(f, argnums=1))(x, 0 * x)
        np.testing.assert_allclose(ours, lx ** 2 / 2, rtol=1e-12)
        np.testing.assert_allclose(ours, _fd(ref, (x, 0 * x), 1), rtol=1e-7)
        np.testing.assert_allclose(f(x, ORD - 1), ref(x, ORD - 1), rtol=1e-13)
        check_grads(f, (x, ORD - 1), order=2, eps=1e-5, rtol=1e-5, atol=1e-7)
