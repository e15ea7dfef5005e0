"""Decompositions and ``lintra.scipy.linalg`` on complex input: values against NumPy/SciPy,
``check_grads`` to order 2 (complex tangents), gradients of real summaries against JAX (its
convention for real functions of complex input), vmap. Eigen/singular vectors and Q's columns
are compared through phase-invariant functions (each column times the conjugate of its first
entry)."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.linalg as lsl
from lintra.test_util import check_grads, check_staged

sl = pytest.importorskip("scipy.linalg")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
jsl = pytest.importorskip("jax.scipy.linalg")

LA = lnp.linalg


def crand(seed, *shape):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def herm(seed, n):
    a = crand(seed, n, n)
    return a + a.conj().T


def hpd(seed, n):
    a = crand(seed, n, n)
    return a @ a.conj().T + n * np.eye(n)


def close(a, b, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def phase_free(x, conj=lnp.conj):
    """Each column times the conjugate of its first entry: invariant under column phases."""
    return x * conj(x[..., :1, :])


def check_vs_jax(f, jf, args, rtol=1e-7, atol=1e-8):
    """Values, and the gradient of a real summary of the (complex) outputs, against JAX."""
    outs = lt.tree_leaves(f(*args))
    jouts = jax.tree_util.tree_leaves(jf(*args))
    for o, j in zip(outs, jouts):
        close(o, j, rtol, atol)
    w = [np.random.default_rng(7).standard_normal(np.shape(o)) for o in outs]
    argnums = tuple(range(len(args)))

    def ls(*a):
        return sum(lnp.sum(lnp.real(o) * wi + lnp.imag(o) * wi ** 2)
                   for o, wi in zip(lt.tree_leaves(f(*a)), w))

    def js(*a):
        return sum(jnp.sum(jnp.real(o) * wi + jnp.imag(o) * wi ** 2)
                   for o, wi in zip(jax.tree_util.tree_leaves(jf(*a)), w))

    for a, b in zip(lt.grad(ls, argnums)(*args), jax.grad(js, argnums)(*args)):
        close(a, b, rtol, atol)


def check_vmap(f, batched):
    got = lt.tree_leaves(lt.vmap(f)(batched))
    want = [np.stack(x) for x in zip(*[lt.tree_leaves(f(b)) for b in batched])]
    for g, w in zip(got, want):
        close(g, w)


# ---------------------------------------------------------------- numpy.linalg


def test_eigh_hermitian():
    a = herm(0, 3)
    w, v = LA.eigh(a)
    assert w.dtype == np.float64 and v.dtype == np.complex128
    close(w, np.linalg.eigvalsh(a))
    close(phase_free(v), phase_free(np.linalg.eigh(a)[1], np.conj))
    close((v * w) @ v.conj().T, a)
    f = lambda x: (LA.eigh(x)[0], phase_free(LA.eigh(x)[1]))  # noqa: E731
    jf = lambda x: (jnp.linalg.eigh(x)[0], phase_free(jnp.linalg.eigh(x)[1], jnp.conj))  # noqa: E731,E501
    check_grads(f, (a,), order=2)
    check_staged(f, (a,))
    check_vs_jax(f, jf, (a,))
    check_vmap(f, np.stack([herm(i, 3) for i in range(3)]))
    for uplo in ("L", "U"):
        close(LA.eigvalsh(a + np.triu(crand(5, 3, 3), 1) * (uplo == "L"), uplo),
              np.linalg.eigvalsh(a))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_svd_complex(shape):
    a = crand(sum(shape), *shape)
    u, s, vt = LA.svd(a, full_matrices=False)
    assert s.dtype == np.float64
    close(s, np.linalg.svd(a, compute_uv=False))
    close((u * s) @ vt, a)

    def f(x):
        u, s, vt = LA.svd(x, full_matrices=False)
        return phase_free(u), s, phase_free(lnp.conj(lnp.swapaxes(vt, -1, -2)))

    def jf(x):
        u, s, vt = jnp.linalg.svd(x, full_matrices=False)
        return phase_free(u, jnp.conj), s, phase_free(jnp.conj(jnp.swapaxes(vt, -1, -2)),
                                                       jnp.conj)

    check_grads(f, (a,), order=2)
    check_staged(f, (a,))
    check_vs_jax(f, jf, (a,))
    for o in (2, -2, "nuc"):
        close(LA.norm(a, o), np.linalg.norm(a, o))
        check_vs_jax(lambda x, o=o: LA.norm(x, o), lambda x, o=o: jnp.linalg.norm(x, o), (a,))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_qr_pinv_lstsq_complex(shape):
    a = crand(sum(shape) + 1, *shape)
    q, r = LA.qr(a)
    close(q @ r, a)
    close(q.conj().T @ q, np.eye(q.shape[1]))
    close(np.abs(r), np.abs(np.linalg.qr(a)[1]))

    def f(x):
        q, r = LA.qr(x)
        d = lnp.diagonal(r, axis1=-2, axis2=-1)
        ph = d / lnp.abs(d)
        return q * ph[None, :], r * lnp.conj(ph)[:, None]

    def jf(x):
        q, r = jnp.linalg.qr(x)
        d = jnp.diagonal(r, axis1=-2, axis2=-1)
        ph = d / jnp.abs(d)
        return q * ph[None, :], r * jnp.conj(ph)[:, None]

    check_grads(f, (a,), order=2)
    check_vs_jax(f, jf, (a,))
    close(LA.pinv(a), np.linalg.pinv(a))
    check_grads(LA.pinv, (a,), order=2)
    check_vs_jax(LA.pinv, jnp.linalg.pinv, (a,))
    b = crand(9, shape[0], 2)
    x, resid, rank, s = LA.lstsq(a, b)
    rx, rres, rrank, rs = np.linalg.lstsq(a, b)
    close(x, rx)
    assert int(rank) == rrank and resid.dtype == np.float64
    if len(rres):
        close(resid, rres)
    check_grads(lambda p, y: LA.lstsq(p, y)[0], (a, b), order=2)
    check_vs_jax(lambda p, y: LA.lstsq(p, y)[:2], lambda p, y: jnp.linalg.lstsq(p, y)[:2],
                 (a, b))


def test_matrix_power_complex():
    a = crand(0, 3, 3) + 2 * np.eye(3)
    for n in (3, -2):
        close(LA.matrix_power(a, n), np.linalg.matrix_power(a, n))
        check_vs_jax(lambda x, n=n: LA.matrix_power(x, n),
                     lambda x, n=n: jnp.linalg.matrix_power(x, n), (a,))


# ---------------------------------------------------------------- scipy.linalg


def test_lu_complex():
    a, b = crand(0, 3, 3) + 2 * np.eye(3), crand(1, 3, 2)
    for x, y in zip(lsl.lu(a), sl.lu(a)):
        close(x, y)
    check_grads(lambda x: lsl.lu(x)[1:], (a,), order=2)
    check_vs_jax(lambda x: lsl.lu(x)[1:], lambda x: jsl.lu(x)[1:], (a,))
    for trans in (0, 1, 2):
        f = lambda m, r, t=trans: lsl.lu_solve(lsl.lu_factor(m), r, trans=t)  # noqa: E731
        close(f(a, b), sl.lu_solve(sl.lu_factor(a), b, trans=trans))
        check_grads(f, (a, b), order=2)
        check_vs_jax(f, lambda m, r, t=trans: jsl.lu_solve(jsl.lu_factor(m), r, trans=t),
                     (a, b))


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_solve_triangular_complex(trans):
    a, b = crand(0, 3, 3) + 3 * np.eye(3), crand(1, 3, 2)
    f = lambda m, r: lsl.solve_triangular(m, r, trans=trans, lower=True)  # noqa: E731
    close(f(a, b), sl.solve_triangular(a, b, trans=trans, lower=True))
    check_grads(f, (a, b), order=2)
    check_vs_jax(f, lambda m, r: jsl.solve_triangular(m, r, trans=trans, lower=True), (a, b))
    ct = crand(2, 3, 2)
    (tb,) = lt.linear_transpose(lambda r: f(a, r), b)(ct)
    t = crand(3, 3, 2)
    close(np.sum(ct * f(a, t)), np.sum(tb * t))      # the bilinear pairing (JAX's transpose)


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_cho_solve_complex(lower):
    a, b = hpd(0, 3), crand(1, 3, 2)
    close(lsl.cholesky(a, lower=lower), sl.cholesky(a, lower=lower))
    f = lambda m, r: lsl.cho_solve(lsl.cho_factor(m, lower=lower), r)  # noqa: E731
    close(f(a, b), sl.cho_solve(sl.cho_factor(a, lower=lower), b))
    check_grads(f, (a, b), order=2)

    def herm_arg(g):
        return lambda m, r: g((m + m.conj().swapaxes(-1, -2)) / 2, r)

    def lherm_arg(g):
        return lambda m, r: g((m + lnp.swapaxes(lnp.conj(m), -1, -2)) / 2, r)

    check_vs_jax(lherm_arg(f), herm_arg(lambda m, r: jsl.cho_solve(
        jsl.cho_factor(m, lower=lower), r)), (a, b))
    close(LA.cholesky(a, upper=True), sl.cholesky(a))


def test_matrix_functions_complex():
    a = 0.5 * crand(0, 3, 3)
    close(lsl.expm(a), sl.expm(a))
    check_grads(lsl.expm, (a,), order=2)
    check_vs_jax(lsl.expm, jsl.expm, (a,))
    e = crand(1, 3, 3)
    close(lsl.expm_frechet(a, e)[1], sl.expm_frechet(a, e)[1])
    p = hpd(2, 3) + 0.5j * np.eye(3)
    x = lsl.sqrtm(p)
    close(x @ x, p)
    close(x, sl.sqrtm(p))
    check_grads(lsl.sqrtm, (p,), order=2)
    q = crand(3, 3, 2)
    b2 = hpd(4, 2)
    close(lsl.solve_sylvester(p, b2, q), sl.solve_sylvester(p, b2, q))
    check_grads(lsl.solve_sylvester, (p, b2, q), order=2)
    for name in ("inv", "det"):
        close(getattr(lsl, name)(a + 2 * np.eye(3)), getattr(sl, name)(a + 2 * np.eye(3)))
