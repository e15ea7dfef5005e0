"""``lintra.scipy.linalg``: values against SciPy, derivatives against finite differences and the
dot-product test (``check_grads``, order 2, both modes) and against ``jax.scipy.linalg``;
eager against staged; vmap against stacking; the linear maps (Fréchet derivative, Sylvester
solve, triangular/LU/Cholesky solves in the right-hand side) transposed exactly."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.linalg as lsl
from lintra.ad.linearity import check_linear
from lintra.test_util import check_grads, check_staged

sl = pytest.importorskip("scipy.linalg")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
from jax_oracle import check_vs_jax, close, rand  # noqa: E402  (after the importorskip of jax)

jsl = pytest.importorskip("jax.scipy.linalg")



def spd(seed, n, batch=()):
    m = rand(seed, *batch, n, n)
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)




def sym_arg(f, k=0):
    """``f`` with its ``k``-th argument symmetrized: functions that read one triangle are
    compared with JAX along symmetric directions (JAX's Cholesky JVP ignores which triangle
    its value read, so off those directions it is not the derivative of the value)."""
    def g(*args):
        args = list(args)
        args[k] = (args[k] + args[k].swapaxes(-1, -2)) / 2 if hasattr(args[k], "swapaxes") \
            else (args[k] + lnp.swapaxes(args[k], -1, -2)) / 2
        return f(*args)
    return g


def check_vmap(f, *batched, in_axes=0, rtol=1e-9, atol=1e-10):
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(batched)
    got = lt.tree_leaves(lt.vmap(f, axes)(*batched))
    size = next(np.shape(b)[d] for b, d in zip(batched, axes) if d is not None)
    per = [f(*[b if d is None else np.take(b, i, axis=d) for b, d in zip(batched, axes)])
           for i in range(size)]
    for g, w in zip(got, [np.stack(x) for x in zip(*[lt.tree_leaves(p) for p in per])]):
        close(g, w, rtol, atol)


def dot_product_test(f, x, seed=11):
    """``f`` linear in ``x``: its transpose is its adjoint, ⟨ct, f(t)⟩ = ⟨fᵀ(ct), t⟩."""
    t = rand(seed, *np.shape(x))
    y = f(t)
    ct = rand(seed + 1, *np.shape(y))
    (tt,) = lt.linear_transpose(f, x)(ct)
    close(np.sum(ct * y), np.sum(tt * t))


def check_linearized(f, *args):
    _, f_lin = lt.linearize(f, *args)
    lin = f_lin.linear_function
    n_res = len(lin.residuals)
    check_linear(lin.program, [False] * n_res + [True] * (len(lin.program.params) - n_res))


# ---------------------------------------------------------------- expm and its Fréchet derivative


@pytest.mark.parametrize("n,batch,scale", [(1, (), 1.0), (3, (), 3.0), (2, (2,), 0.5)])
def test_expm(n, batch, scale):
    a = scale * rand(n, *batch, n, n)
    close(lsl.expm(a), sl.expm(a))
    check_grads(lsl.expm, (a,), order=2, rtol=1e-5, atol=1e-5 * scale ** 2)
    check_staged(lsl.expm, (a,))
    check_vs_jax(lsl.expm, jsl.expm, (a,))
    check_linearized(lsl.expm, a)


def test_expm_frechet_is_linear_in_its_direction():
    a, e = rand(0, 3, 3), rand(1, 3, 3)
    ex, L = lsl.expm_frechet(a, e)
    rex, rL = sl.expm_frechet(a, e)
    close(ex, rex)
    close(L, rL)
    close(lsl.expm_frechet(a, e, compute_expm=False), rL)
    close(lt.jvp(lsl.expm, (a,), (e,))[1], rL)
    dot_product_test(lambda d: lsl.expm_frechet(a, d, compute_expm=False), e)
    f = lambda x, d: lsl.expm_frechet(x, d, compute_expm=False)  # noqa: E731
    check_grads(f, (a, e), order=2)
    check_vs_jax(f, lambda x, d: jsl.expm_frechet(x, d, compute_expm=False), (a, e))
    check_staged(f, (a, e))


def test_expm_vmap():
    a = rand(2, 3, 2, 2)
    check_vmap(lsl.expm, a)
    check_vmap(lsl.expm, np.moveaxis(a, 0, 2), in_axes=2)
    e = rand(3, 3, 2, 2)
    f = lambda x, d: lsl.expm_frechet(x, d, compute_expm=False)  # noqa: E731
    check_vmap(f, a, e)
    check_vmap(f, a[0], e, in_axes=(None, 0))
    check_vmap(f, np.moveaxis(a, 0, 1), e[0], in_axes=(1, None))
    # hessian-vector products batch over directions (vmap of jvp of the Fréchet derivative)
    hv = lambda d: lt.jvp(lambda x: lt.jvp(lsl.expm, (x,), (e[0],))[1], (a[0],), (d,))[1]  # noqa: E731,E501
    check_vmap(hv, e)


# ---------------------------------------------------------------- sqrtm and Sylvester


@pytest.mark.parametrize("n,batch", [(1, ()), (3, ()), (2, (2,))])
def test_sqrtm(n, batch):
    a = spd(n, n, batch) + 0.3 * rand(9, *batch, n, n)        # non-symmetric, real root
    x = lsl.sqrtm(a)
    close(x @ x, a)
    if not batch:
        close(x, sl.sqrtm(a))
    check_grads(lsl.sqrtm, (a,), order=2)
    check_staged(lsl.sqrtm, (a,))
    check_linearized(lsl.sqrtm, a)
    # the JVP solves X dX + dX X = dA
    t = rand(4, *batch, n, n)
    _, dx = lt.jvp(lsl.sqrtm, (a,), (t,))
    close(x @ dx + dx @ x, t)


def test_sqrtm_vmap_and_errors():
    a = spd(0, 3, (3,))
    check_vmap(lsl.sqrtm, a)
    with pytest.raises(ValueError, match="sqrtm: the principal square root of this real "
                       "matrix is complex"):
        lsl.sqrtm(-np.eye(2))
    with pytest.raises(ValueError, match="sqrtm: expects square"):
        lsl.sqrtm(np.ones((2, 3)))


def test_solve_sylvester():
    a, b, q = spd(0, 3), spd(1, 2), rand(2, 3, 2)
    x = lsl.solve_sylvester(a, b, q)
    close(x, sl.solve_sylvester(a, b, q))
    close(a @ x + x @ b, q)
    check_grads(lsl.solve_sylvester, (a, b, q), order=2)
    check_staged(lsl.solve_sylvester, (a, b, q))
    dot_product_test(lambda c: lsl.solve_sylvester(a, b, c), q)
    check_vmap(lsl.solve_sylvester, a, rand(3, 4, 2, 2) + 3 * np.eye(2), rand(4, 4, 3, 2),
               in_axes=(None, 0, 0))
    with pytest.raises(ValueError, match="sylvester: shapes"):
        lsl.solve_sylvester(a, b, rand(0, 2, 3))


# ---------------------------------------------------------------- LU


LU_SHAPES = [(3, 3), (4, 2), (2, 4), (2, 3, 3)]


@pytest.mark.parametrize("shape", LU_SHAPES)
def test_lu(shape):
    a = rand(sum(shape), *shape)
    p, l, u = lsl.lu(a)
    rp, rl, ru = sl.lu(a)
    for x, y in ((p, rp), (l, rl), (u, ru)):
        close(x, y)
    pl, u2 = lsl.lu(a, permute_l=True)
    close(pl, sl.lu(a, permute_l=True)[0])
    close(u2, u)
    pi, _, _ = lsl.lu(a, p_indices=True)
    np.testing.assert_array_equal(pi, sl.lu(a, p_indices=True)[0])
    lu_f, piv = lsl.lu_factor(a)
    rlu, rpiv = sl.lu_factor(a)
    close(lu_f, rlu)
    np.testing.assert_array_equal(piv, rpiv)
    factors = lambda x: lsl.lu(x)[1:]  # noqa: E731
    check_grads(factors, (a,), order=2)
    check_grads(lambda x: lsl.lu_factor(x)[0], (a,), order=2)
    check_staged(lambda x: lsl.lu(x), (a,))
    jlu = jsl.lu if a.ndim == 2 else jax.vmap(jsl.lu)        # jax's lu takes one matrix
    check_vs_jax(factors, lambda x: jlu(x)[1:], (a,))
    check_vs_jax(lambda x: lsl.lu_factor(x)[0], lambda x: jsl.lu_factor(x)[0], (a,))
    check_linearized(factors, a)


def test_lu_vmap():
    a = rand(0, 3, 3, 2)
    check_vmap(lambda x: lsl.lu(x), a)
    check_vmap(lambda x: lsl.lu_factor(x), np.moveaxis(a, 0, 2), in_axes=2)
    check_vmap(lambda x: lsl.lu(x, p_indices=True), a)


@pytest.mark.parametrize("trans", [0, 1, 2])
@pytest.mark.parametrize("bshape", [(3,), (3, 2)])
def test_lu_solve(trans, bshape):
    a, b = rand(0, 3, 3) + 2 * np.eye(3), rand(1, *bshape)
    x = lsl.lu_solve(lsl.lu_factor(a), b, trans=trans)
    close(x, sl.lu_solve(sl.lu_factor(a), b, trans=trans))
    f = lambda m, r: lsl.lu_solve(lsl.lu_factor(m), r, trans=trans)  # noqa: E731
    check_grads(f, (a, b), order=2)
    check_staged(f, (a, b))
    check_vs_jax(f, lambda m, r: jsl.lu_solve(jsl.lu_factor(m), r, trans=trans), (a, b))
    fac = lsl.lu_factor(a)
    dot_product_test(lambda r: lsl.lu_solve(fac, r, trans=trans), b)
    check_vmap(f, a, rand(2, 4, *bshape), in_axes=(None, 0))
    check_vmap(f, rand(3, 4, 3, 3) + 2 * np.eye(3), b, in_axes=(0, None))


def test_lu_errors():
    fac = lsl.lu_factor(np.eye(2))
    with pytest.raises(ValueError, match="lu_solve: trans must be 0, 1 or 2"):
        lsl.lu_solve(fac, np.ones(2), trans=3)
    with pytest.raises(TypeError, match="lu_solve: lu_and_piv must be the pair"):
        lsl.lu_solve((np.eye(2),), np.ones(2))
    with pytest.raises(ValueError, match="lu_solve: expects square"):
        lsl.lu_solve((np.ones((2, 3)), np.zeros(2, np.int32)), np.ones(2))
    with pytest.raises(ValueError, match="lu: expects a matrix"):
        lsl.lu(np.ones(3))
    from lintra.ops.decompositions import lu_pivots_to_permutation
    with pytest.raises(TypeError, match="lu_pivots_to_permutation: expects integer pivots"):
        lu_pivots_to_permutation(np.ones(2), 2)


# ---------------------------------------------------------------- triangular and Cholesky


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, "T", 2])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(lower, trans, unit):
    a, b = rand(0, 3, 3) + 3 * np.eye(3), rand(1, 3, 2)
    f = lambda m, r: lsl.solve_triangular(m, r, trans=trans, lower=lower,  # noqa: E731
                                          unit_diagonal=unit)
    close(f(a, b), sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit))
    check_grads(f, (a, b), order=2)
    check_vs_jax(f, lambda m, r: jsl.solve_triangular(m, r, trans=trans, lower=lower,
                                                      unit_diagonal=unit), (a, b))
    dot_product_test(lambda r: f(a, r), b)
    check_vmap(f, rand(2, 4, 3, 3) + 3 * np.eye(3), rand(3, 4, 3, 2))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("bshape", [(3,), (3, 2)])
def test_cholesky_and_cho_solve(lower, bshape):
    a, b = spd(0, 3), rand(1, *bshape)
    close(lsl.cholesky(a, lower=lower), sl.cholesky(a, lower=lower))
    c, low = lsl.cho_factor(a, lower=lower)
    assert low is lower
    close(c, sl.cholesky(a, lower=lower))          # the unused triangle is zero
    close(lsl.cho_solve((c, low), b), sl.cho_solve(sl.cho_factor(a, lower=lower), b))
    f = lambda m, r: lsl.cho_solve(lsl.cho_factor(m, lower=lower), r)  # noqa: E731
    check_grads(f, (a, b), order=2)
    check_staged(f, (a, b))
    check_vs_jax(sym_arg(f), sym_arg(lambda m, r: jsl.cho_solve(jsl.cho_factor(m, lower=lower),
                                                                r)), (a, b))
    check_vs_jax(sym_arg(lambda m: lsl.cholesky(m, lower=lower)),
                 sym_arg(lambda m: jsl.cholesky(m, lower=lower)), (a,))
    # only one triangle is read, and the gradient lands there
    g = lt.grad(lambda m: lnp.sum(lnp.sin(lsl.cholesky(m, lower=lower))))(a)
    close(np.triu(g, 1) if lower else np.tril(g, -1), np.zeros((3, 3)), atol=0)
    junk = np.triu(rand(5, 3, 3), 1) if lower else np.tril(rand(5, 3, 3), -1)
    close(lsl.cholesky(a + junk, lower=lower), lsl.cholesky(a, lower=lower))
    dot_product_test(lambda r: lsl.cho_solve((c, low), r), b)
    check_vmap(f, spd(2, 3, (4,)), rand(3, 4, *bshape))
    with pytest.raises(TypeError, match="cho_solve: c_and_lower must be the pair"):
        lsl.cho_solve(c, b)


# ---------------------------------------------------------------- solve, inv, det, pinv


@pytest.mark.parametrize("assume_a", ["gen", "sym", "pos"])
def test_solve(assume_a):
    a, b = spd(0, 3), rand(1, 3, 2)
    f = lambda m, r: lsl.solve(m, r, assume_a=assume_a)  # noqa: E731
    close(f(a, b), sl.solve(a, b, assume_a=assume_a))
    check_grads(f, (a, b), order=2)
    check_vs_jax(sym_arg(f), sym_arg(lambda m, r: jsl.solve(m, r, assume_a=assume_a)),
                 (a, b))
    with pytest.raises(ValueError, match="solve: unknown assume_a 'banded'"):
        lsl.solve(a, b, assume_a="banded")


def test_inv_det_pinv():
    a = rand(0, 3, 3) + 2 * np.eye(3)
    for name in ("inv", "det"):
        f = getattr(lsl, name)
        close(f(a), getattr(sl, name)(a))
        check_grads(f, (a,), order=2)
        check_vs_jax(f, getattr(jsl, name), (a,))
    w = rand(1, 4, 2)
    close(lsl.pinv(w), sl.pinv(w))
    close(lsl.pinv(w, rtol=0.3), sl.pinv(w, rtol=0.3))
    check_grads(lsl.pinv, (w,), order=2)
    with pytest.raises(NotImplementedError, match="pinv: atol"):
        lsl.pinv(w, atol=1.0)


# ---------------------------------------------------------------- decompositions, SciPy style


def test_scipy_eigh_svd_qr():
    a = rand(0, 3, 3)
    for lower in (True, False):
        w, v = lsl.eigh(a, lower=lower)
        rw, rv = sl.eigh(a, lower=lower)
        close(w, rw)
        close(v * v[:1], rv * rv[:1])
        close(lsl.eigh(a, lower=lower, eigvals_only=True), rw)
        check_grads(lambda x, lo=lower: lsl.eigh(x, lower=lo, eigvals_only=True), (a,),
                    order=2)
    check_vs_jax(sym_arg(lambda x: lsl.eigh(x, eigvals_only=True)),
                 sym_arg(lambda x: jsl.eigh(x, eigvals_only=True)), (a,))
    close(lsl.eigh(a, np.eye(3), lower=False, eigvals_only=True), rw)   # b = I: standard
    with pytest.raises(NotImplementedError, match="eigh: subset_by_value"):
        lsl.eigh(a, np.eye(3), subset_by_value=(0.0, 1.0))
    m = rand(1, 4, 2)
    u, s, vh = lsl.svd(m)
    assert (u.shape, s.shape, vh.shape) == ((4, 4), (2,), (2, 2))
    close(lsl.svd(m, compute_uv=False), sl.svd(m, compute_uv=False))
    q, r = lsl.qr(m)
    assert q.shape == (4, 4) and r.shape == (4, 2)
    close(q @ r, m)
    q, r = lsl.qr(m, mode="economic")
    assert q.shape == (4, 2)
    (r1,) = lsl.qr(m, mode="r")
    close(np.abs(r1), np.abs(sl.qr(m, mode="r")[0]))
    check_grads(lambda x: lsl.qr(x, mode="r"), (m,), order=2)
    with pytest.raises(ValueError, match="qr: mode must be"):
        lsl.qr(m, mode="reduced")
    with pytest.raises(NotImplementedError, match="qr: pivoting"):
        lsl.qr(m, pivoting=True)


def test_namespace():
    import lintra.scipy
    assert lintra.scipy.linalg is lsl
    for name in lsl.__all__:
        assert callable(getattr(lsl, name)), name
