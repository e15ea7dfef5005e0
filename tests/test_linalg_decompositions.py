"""Decompositions: eigh, svd, qr, pinv, lstsq, matrix_power and the singular-value norms.

Values against NumPy, derivatives against finite differences and the dot-product test
(``check_grads``, order 2, both modes) and against JAX, eager against staged, vmap against
stacking. Eigenvectors, singular vectors and Q's columns are compared only through
gauge-invariant functions (each column times its own first entry, sign-normalized Q/R), and
derivatives of vectors only where the eigen/singular values are distinct.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.test_util import check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
from jax_oracle import check_vs_jax, close, rand  # noqa: E402  (after the importorskip of jax)

LA = lnp.linalg
seeds = st.integers(0, 2**31 - 1)



def sym(seed, n, batch=()):
    a = rand(seed, *batch, n, n)
    return a + np.swapaxes(a, -1, -2)




def check_vmap(f, batched, rtol=1e-9, atol=1e-10):
    """vmap over axis 0 equals f on each element, stacked."""
    got = lt.tree_leaves(lt.vmap(f)(batched))
    want = [np.stack(x) for x in zip(*[lt.tree_leaves(f(b)) for b in batched])]
    for g, w in zip(got, want):
        close(g, w, rtol, atol)


def gauge(x):
    """Each column times its own first entry: invariant under column sign flips."""
    return x * x[..., :1, :]


# ---------------------------------------------------------------- eigh


def eigh_summary(x):
    w, v = LA.eigh(x)
    return w, gauge(v)


def jeigh_summary(x):
    w, v = jnp.linalg.eigh(x)
    return w, v * v[..., :1, :]


@settings(max_examples=10)
@given(st.integers(1, 4), seeds, st.sampled_from([(), (2,)]))
def test_eigh(n, seed, batch):
    a = sym(seed, n, batch)
    w, v = LA.eigh(a)
    rw, rv = np.linalg.eigh(a)
    close(w, rw)
    close(gauge(v), gauge(rv))
    close(v @ (w[..., :, None] * np.swapaxes(v, -1, -2)), a)      # a = V diag(w) Vᵀ
    check_grads(eigh_summary, (a,), order=2)
    check_staged(eigh_summary, (a,))
    check_vs_jax(eigh_summary, jeigh_summary, (a,))


def test_eigh_vmap_and_namedtuple():
    a = sym(0, 3, (4,))
    check_vmap(eigh_summary, a)
    check_vmap(eigh_summary, np.moveaxis(a, 0, 0))
    r = LA.eigh(a[0])
    assert r.eigenvalues is r[0] and r.eigenvectors is r[1]
    close(LA.eigvalsh(a[0]), np.linalg.eigvalsh(a[0]))


def test_eigh_symmetrizes_like_jax_and_uplo_like_numpy():
    a = rand(1, 3, 3)
    close(LA.eigh(a).eigenvalues, np.linalg.eigvalsh((a + a.T) / 2))
    g = lt.grad(lambda x: lnp.sum(LA.eigh(x).eigenvalues ** 3))(a)
    close(g, g.T)                                                 # a symmetric gradient
    close(g, jax.grad(lambda x: jnp.sum(jnp.linalg.eigh(x)[0] ** 3))(a))
    for uplo in ("L", "U"):
        close(LA.eigh(a, uplo, symmetrize_input=False).eigenvalues,
              np.linalg.eigvalsh(a, uplo))
        close(LA.eigvalsh(a, uplo), np.linalg.eigvalsh(a, uplo))
        check_grads(lambda x, u=uplo: LA.eigvalsh(x, u), (a,), order=2)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_eigh_degenerate_caveat():
    """At a repeated eigenvalue the eigenvectors are not unique: their JVP divides by the
    zero gap (non-finite, as in JAX); the eigenvalues' symmetric functions stay exact, in
    eager reverse mode too (the unread eigenvector output is not transposed)."""
    a = np.diag([1.0, 1.0, 2.0])
    t = sym(3, 3)
    _, (tw, tv) = lt.jvp(LA.eigh, (a,), (t,))
    assert not np.all(np.isfinite(tv))
    close(np.sum(tw), np.trace(t))                 # d tr(A) = tr(dA)
    trace = lambda x: lnp.sum(LA.eigh(x).eigenvalues)  # noqa: E731
    close(lt.grad(trace)(a), np.eye(3))
    close(lt.jit(lt.grad(trace))(a), np.eye(3))
    close(lt.grad(lambda x: lnp.sum(LA.svd(x)[1]))(np.eye(3)), np.eye(3))


def test_eigh_errors():
    with pytest.raises(ValueError, match="eigh: expects square matrices"):
        LA.eigh(np.ones((2, 3)))
    with pytest.raises(ValueError, match="eigh: UPLO must be"):
        LA.eigh(np.eye(2), "X")
    from lintra.ops.decompositions import eigh_p
    with pytest.raises(TypeError, match="eigh: expects a floating-point matrix"):
        lt.jit(lambda x: eigh_p.bind(x))(np.eye(2, dtype=np.int64))


# ---------------------------------------------------------------- svd

SHAPES = [(3, 3), (4, 2), (2, 4), (1, 3), (3, 1), (2, 3, 2)]


def svd_summary(x):
    u, s, vt = LA.svd(x, full_matrices=False)
    return gauge(u), s, gauge(lnp.swapaxes(vt, -1, -2))


def jsvd_summary(x):
    u, s, vt = jnp.linalg.svd(x, full_matrices=False)
    v = jnp.swapaxes(vt, -1, -2)
    return u * u[..., :1, :], s, v * v[..., :1, :]


@pytest.mark.parametrize("shape", SHAPES)
def test_svd(shape):
    a = rand(sum(shape), *shape)
    u, s, vt = LA.svd(a, full_matrices=False)
    ru, rs, rvt = np.linalg.svd(a, full_matrices=False)
    close(s, rs)
    close(gauge(u), gauge(ru))
    close((u * s[..., None, :]) @ vt, a)
    close(LA.svd(a, compute_uv=False), rs)
    close(LA.svdvals(a), rs)
    check_grads(svd_summary, (a,), order=2)
    check_grads(lambda x: LA.svd(x, compute_uv=False), (a,), order=2)
    check_staged(svd_summary, (a,))
    check_vs_jax(svd_summary, jsvd_summary, (a,))
    check_vs_jax(lambda x: LA.svd(x, compute_uv=False),
                 lambda x: jnp.linalg.svd(x, compute_uv=False), (a,))


def test_svd_full_matrices():
    a = rand(0, 4, 2)
    u, s, vt = LA.svd(a)
    assert u.shape == (4, 4) and vt.shape == (2, 2)
    close(u[:, :2] * s @ vt, a)
    close(u.T @ u, np.eye(4))
    # square: full == reduced, so it is differentiable
    sq = rand(1, 3, 3)
    check_grads(lambda x: [gauge(f) for f in LA.svd(x)[::2]], (sq,), order=2)
    with pytest.raises(NotImplementedError, match="svd: the derivative of the "
                       "full_matrices=True factors of a non-square"):
        lt.jvp(lambda x: LA.svd(x).U, (a,), (a,))


def test_svd_vmap():
    a = rand(2, 4, 3, 2)
    check_vmap(svd_summary, a)
    check_vmap(lambda x: LA.svd(x, compute_uv=False), a)
    check_vmap(lambda x: LA.svd(x.T, compute_uv=False), a)


def test_svd_errors():
    with pytest.raises(ValueError, match="svd: expects a matrix"):
        LA.svd(np.ones(3))
    from lintra.ops.decompositions import svd_p
    with pytest.raises(TypeError, match="svd: expects a floating-point matrix"):
        svd_p.bind(np.eye(2, dtype=np.int64), full_matrices=False, compute_uv=True)


# ---------------------------------------------------------------- norm via singular values


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("shape,axis", [((3, 2), None), ((2, 3, 4), (1, 2)),
                                        ((2, 3, 4), (2, 0)), ((3, 2, 2), (-1, -3))])
@pytest.mark.parametrize("keepdims", [False, True])
def test_singular_value_norms(ord, shape, axis, keepdims):
    x = rand(5, *shape)
    f = lambda v: LA.norm(v, ord, axis, keepdims)  # noqa: E731
    close(f(x), np.linalg.norm(x, ord, axis, keepdims))
    check_grads(f, (x,), order=2)
    check_staged(f, (x,))
    check_vs_jax(f, lambda v: jnp.linalg.norm(v, ord, axis, keepdims), (x,))


# ---------------------------------------------------------------- qr


def qr_summary(x):
    """Q and R with R's diagonal made positive (the unique factorization of full rank)."""
    q, r = LA.qr(x)
    d = lnp.sign(lnp.diagonal(r, axis1=-2, axis2=-1))
    return q * d[..., None, :], r * d[..., :, None]


def jqr_summary(x):
    q, r = jnp.linalg.qr(x)
    d = jnp.sign(jnp.diagonal(r, axis1=-2, axis2=-1))
    return q * d[..., None, :], r * d[..., :, None]


@pytest.mark.parametrize("shape", SHAPES)
def test_qr(shape):
    a = rand(sum(shape) + 1, *shape)
    q, r = LA.qr(a)
    rq, rr = np.linalg.qr(a)
    close(q @ r, a)
    close(np.abs(r), np.abs(rr))
    close(qr_summary(a)[1], jqr_summary(a)[1])
    close(LA.qr(a, "r"), r)
    check_grads(qr_summary, (a,), order=2)
    check_grads(lambda x: LA.qr(x, "r"), (a,), order=2)
    check_staged(qr_summary, (a,))
    check_vs_jax(qr_summary, jqr_summary, (a,))


def test_qr_complete():
    a = rand(0, 4, 2)
    q, r = LA.qr(a, "complete")
    assert q.shape == (4, 4) and r.shape == (4, 2)
    close(q @ r, a)
    wide = rand(1, 2, 4)          # complete == reduced for m ≤ n: differentiable
    check_grads(lambda x: LA.qr(x, "complete"), (wide,), order=2)
    with pytest.raises(NotImplementedError, match="qr: the derivative of the complete Q"):
        lt.jvp(lambda x: LA.qr(x, "complete"), (a,), (a,))
    with pytest.raises(ValueError, match="qr: mode must be"):
        LA.qr(a, "raw")


def test_qr_vmap():
    for shape in ((3, 3, 2), (3, 2, 3)):
        a = rand(2, *shape)
        check_vmap(lambda x: LA.qr(x), a)
        check_vmap(lambda x: LA.qr(x.T, "r"), a)


# ---------------------------------------------------------------- pinv


@pytest.mark.parametrize("shape", SHAPES)
def test_pinv(shape):
    a = rand(sum(shape) + 2, *shape)
    close(LA.pinv(a), np.linalg.pinv(a))
    check_grads(LA.pinv, (a,), order=2)
    check_staged(LA.pinv, (a,))
    check_vs_jax(LA.pinv, jnp.linalg.pinv, (a,))


def test_pinv_rank_deficient_and_vmap():
    """A rank-1 matrix: singular values are degenerate (0, 0) but pinv stays smooth along
    rank-preserving directions (the Golub–Pereyra formula needs no distinct values)."""
    u, v = rand(0, 3, 1), rand(1, 1, 3)
    a = u @ v
    close(LA.pinv(a), np.linalg.pinv(a))
    du, dv = rand(2, 3, 1), rand(3, 1, 3)
    h = 1e-6
    fd = (np.linalg.pinv((u + h * du) @ (v + h * dv))
          - np.linalg.pinv((u - h * du) @ (v - h * dv))) / (2 * h)
    _, t = lt.jvp(LA.pinv, (a,), (du @ v + u @ dv,))
    close(t, fd, 1e-5, 1e-6)
    check_vmap(LA.pinv, rand(4, 3, 2, 3))
    close(LA.pinv(a, rtol=0.5), np.linalg.pinv(a, rtol=0.5))
    with pytest.raises(ValueError, match="pinv: give rcond or rtol"):
        LA.pinv(a, 0.1, rtol=0.1)


# ---------------------------------------------------------------- lstsq


@pytest.mark.parametrize("sa,sb", [((4, 3), (4,)), ((4, 3), (4, 2)), ((3, 3), (3,)),
                                   ((2, 4), (2, 3)), ((2, 4), (2,))])
def test_lstsq(sa, sb):
    a, b = rand(1, *sa), rand(2, *sb)
    x, resid, rank, s = LA.lstsq(a, b)
    rx, rresid, rrank, rs = np.linalg.lstsq(a, b)
    close(x, rx)
    assert int(rank) == rrank
    close(s, rs)
    jx, jresid, _, _ = jnp.linalg.lstsq(a, b)
    close(resid, jresid, atol=1e-9)
    if len(rresid):
        close(resid, rresid)
    f = lambda p, q: LA.lstsq(p, q)[0]  # noqa: E731
    check_grads(f, (a, b), order=2)
    check_grads(lambda p, q: LA.lstsq(p, q)[1], (a, b), order=2)
    check_staged(lambda p, q: LA.lstsq(p, q), (a, b))
    check_vs_jax(f, lambda p, q: jnp.linalg.lstsq(p, q)[0], (a, b))


def test_lstsq_numpy_resid_and_vmap():
    a, b = rand(1, 2, 4), rand(2, 2)
    assert LA.lstsq(a, b, numpy_resid=True)[1].shape == (0,)
    assert LA.lstsq(a.T, rand(3, 4), numpy_resid=True)[1].shape == (1,)
    ab = rand(3, 3, 4, 2)
    check_vmap(lambda m: LA.lstsq(m, rand(4, 4))[0], ab)
    with pytest.raises(ValueError, match="lstsq: b must be 1-D or 2-D with 4 rows"):
        LA.lstsq(a.T, np.ones(3))
    with pytest.raises(ValueError, match="lstsq: a must be 2-D"):
        LA.lstsq(ab, np.ones(4))


# ---------------------------------------------------------------- matrix_power


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
def test_matrix_power(n):
    a = rand(3, 2, 3, 3) + 2 * np.eye(3)
    close(LA.matrix_power(a, n), np.linalg.matrix_power(a, n))
    check_grads(lambda x: LA.matrix_power(x, n), (a,), order=2)
    check_staged(lambda x: LA.matrix_power(x, n), (a,))
    check_vs_jax(lambda x: LA.matrix_power(x, n), lambda x: jnp.linalg.matrix_power(x, n),
                 (a,))
    check_vmap(lambda x: LA.matrix_power(x, n), a)


def test_matrix_power_errors():
    np.testing.assert_array_equal(LA.matrix_power(np.arange(4).reshape(2, 2), 3),
                                  np.linalg.matrix_power(np.arange(4).reshape(2, 2), 3))
    with pytest.raises(TypeError, match="matrix_power: the exponent must be an integer"):
        LA.matrix_power(np.eye(2), 1.5)
    with pytest.raises(ValueError, match="matrix_power: expects square"):
        LA.matrix_power(np.ones((2, 3)), 2)


def test_linearized_decompositions_are_linear():
    """The linear programs of linearize pass the structural linearity checker."""
    from lintra.ad.linearity import check_linear
    a = rand(0, 3, 3)
    for f in (eigh_summary, svd_summary, qr_summary, LA.pinv):
        arg = a + a.T if f is eigh_summary else a
        _, f_lin = lt.linearize(f, arg)
        lin = f_lin.linear_function
        n_res = len(lin.residuals)
        check_linear(lin.program, [False] * n_res + [True] * (len(lin.program.params) - n_res))


# ---------------------------------------------------------------- eig, eigvals (complex outputs)


def jeig(x):
    return jax.lax.linalg.eig(x, compute_left_eigenvectors=False, enable_eigvec_derivs=True)


def real_summary(outs, w):
    """A real scalar of complex outputs (grad needs a real function)."""
    return sum(lnp.sum(lnp.real(o) * wi) + lnp.sum(lnp.imag(o) * wi ** 2)
               for o, wi in zip(outs, w))


def jreal_summary(outs, w):
    return sum(jnp.sum(jnp.real(o) * wi) + jnp.sum(jnp.imag(o) * wi ** 2)
               for o, wi in zip(outs, w))


EIG_INPUTS = {
    "real_spectrum": lambda: rand(0, 3, 3) + np.diag([0.0, 2.0, 4.0]),
    "complex_pairs": lambda: rand(1, 4, 4),                # real matrix, conjugate pairs
    "complex_input": lambda: rand(2, 3, 3) + 1j * rand(3, 3, 3),
    "batch": lambda: rand(4, 2, 3, 3),
}


@pytest.mark.parametrize("case", sorted(EIG_INPUTS))
def test_eig(case):
    a = EIG_INPUTS[case]()
    w, v = LA.eig(a)
    assert w.dtype.kind == "c" and v.dtype.kind == "c"
    close(np.sort_complex(w), np.sort_complex(np.linalg.eigvals(a)))
    close(a @ v, v * w[..., None, :])
    close(np.linalg.norm(v, axis=-2), np.ones(w.shape))
    close(LA.eigvals(a), w)
    jw, jv = jeig(a) if a.ndim == 2 else jax.vmap(jeig)(a)
    close(w, jw)
    close(v, jv)
    check_grads(LA.eigvals, (a,), order=2)
    check_grads(lambda x: tuple(LA.eig(x)), (a,), order=2)
    check_staged(lambda x: tuple(LA.eig(x)), (a,))
    # forward and reverse derivatives against JAX (vectors: enable_eigvec_derivs=True)
    t = rand(5, *a.shape) + (1j * rand(6, *a.shape) if a.dtype.kind == "c" else 0)
    jf = jeig if a.ndim == 2 else jax.vmap(jeig)
    _, (tw, tv) = lt.jvp(lambda x: tuple(LA.eig(x)), (a,), (t,))
    _, (jtw, jtv) = jax.jvp(jf, (a,), (t,))
    close(tw, jtw, 1e-8, 1e-9)
    close(tv, jtv, 1e-8, 1e-9)
    wts = [rand(8, *w.shape), rand(9, *v.shape)]
    g = lt.grad(lambda x: real_summary(LA.eig(x), wts))(a)
    jg = jax.grad(lambda x: jreal_summary(jf(x), wts))(a)
    close(g, jg, 1e-8, 1e-9)
    check_vmap(lambda x: tuple(LA.eig(x)), a if a.ndim == 3 else a[None])


def test_eig_errors_and_scipy_names():
    import lintra.scipy.linalg as lsl
    a = rand(0, 3, 3)
    close(lsl.eigvals(a), LA.eigvals(a))
    close(lsl.eig(a)[1], LA.eig(a).eigenvectors)
    with pytest.raises(NotImplementedError, match="eig: the generalized problem"):
        lsl.eig(a, left=True)
    with pytest.raises(ValueError, match="eig: expects square matrices"):
        LA.eig(np.ones((2, 3)))
    with pytest.raises(ValueError, match="eigvals: expects square matrices"):
        LA.eigvals(np.ones((2, 3)))
