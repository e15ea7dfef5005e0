"""The remaining NumPy/JAX names of lintra.numpy (index arithmetic, polynomials, array-API
spellings, linalg extras): values against NumPy, traced conventions and gradients against
JAX, and that ``dir(lintra.numpy)`` covers ``jax.numpy``'s public functions."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.test_util import check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

R = np.random.default_rng(0)
A3 = R.standard_normal((2, 4, 4))
V4 = R.standard_normal(4)

# jax.numpy names lintra does not have: narrow float/int types and NumPy's ufunc machinery
NOT_PROVIDED = {"bfloat16", "float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "float8_e3m4",
                "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn", "float8_e4m3fnuz",
                "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "int1", "int2", "int4",
                "uint1", "uint2", "uint4", "frompyfunc", "ufunc"}


def test_dir_covers_jax_numpy_and_linalg():
    jax_names = {n for n in dir(jnp) if not n.startswith("_")}
    assert sorted(jax_names - set(dir(lnp)) - NOT_PROVIDED) == []
    jl = {n for n in dir(jnp.linalg) if not n.startswith("_")}
    assert sorted(jl - set(dir(lnp.linalg))) == []


# ---------------------------------------------------------------- index arithmetic

def test_triangle_and_diagonal_indices_match_numpy():
    for mine, ref in [(lnp.tril_indices(3, 1, 4), np.tril_indices(3, 1, 4)),
                      (lnp.triu_indices(4, -1), np.triu_indices(4, -1)),
                      (lnp.tril_indices_from(np.ones((3, 5)), 1),
                       np.tril_indices_from(np.ones((3, 5)), 1)),
                      (lnp.triu_indices_from(np.ones((3, 4)), -1),
                       np.triu_indices_from(np.ones((3, 4)), -1)),
                      (lnp.diag_indices(3, 3), np.diag_indices(3, 3)),
                      (lnp.diag_indices_from(np.ones((3, 3))),
                       np.diag_indices_from(np.ones((3, 3)))),
                      (lnp.mask_indices(3, np.triu, 1), np.mask_indices(3, np.triu, 1))]:
        for m, r in zip(mine, ref):
            np.testing.assert_array_equal(m, r)


def test_unravel_index_concrete_numpy_traced_jax():
    np.testing.assert_array_equal(lnp.unravel_index(np.array([3, 7, 19]), (4, 5)),
                                  np.unravel_index(np.array([3, 7, 19]), (4, 5)))
    i = np.array([-1, 25, 3, 7])
    for m, r in zip(lt.jit(lambda i: lnp.unravel_index(i, (4, 5)))(i),
                    jnp.unravel_index(i, (4, 5))):
        np.testing.assert_array_equal(m, r)


@pytest.mark.parametrize("mode,order", [("wrap", "C"), ("clip", "C"), ("clip", "F")])
def test_ravel_multi_index_traced_matches_numpy(mode, order):
    idx = (np.array([0, 5, -1]), np.array([1, 7, 2]))
    f = lt.jit(lambda a, b: lnp.ravel_multi_index((a, b), (4, 5), mode=mode, order=order))
    np.testing.assert_array_equal(f(*idx), np.ravel_multi_index(idx, (4, 5), mode, order))
    with pytest.raises(ValueError, match="mode='raise'"):
        lt.jit(lambda a, b: lnp.ravel_multi_index((a, b), (4, 5)))(*idx)


def test_lexsort_and_sort_complex_match_numpy():
    k1, k2, k3 = R.integers(0, 3, 10), R.integers(0, 3, 10), R.standard_normal(10)
    np.testing.assert_array_equal(lt.jit(lambda a, b, c: lnp.lexsort((a, b, c)))(k3, k1, k2),
                                  np.lexsort((k3, k1, k2)))
    K = R.integers(0, 3, (2, 4, 5))
    np.testing.assert_array_equal(lnp.lexsort(K, axis=0), np.lexsort(K, axis=0))
    np.testing.assert_array_equal(lnp.lexsort(K), np.lexsort(K))
    z = np.array([1 + 2j, 1 - 1j, 0.5 + 3j, 1 + 0j])
    np.testing.assert_array_equal(lt.jit(lnp.sort_complex)(z), np.sort_complex(z))
    for dt in [np.int8, np.uint16, np.int64, np.float32, np.float64]:
        x = np.array([3, 1, 2], dt)
        assert lnp.sort_complex(x).dtype == np.sort_complex(x).dtype


# ---------------------------------------------------------------- polynomials

P, Q = np.array([1.0, 2, 3, 4]), np.array([2.0, -1])


@pytest.mark.parametrize("name", ["polyadd", "polysub", "polymul"])
def test_poly_arithmetic_matches_numpy_and_jax(name):
    f = getattr(lnp, name)
    np.testing.assert_allclose(f(P, Q), getattr(np, name)(P, Q))
    np.testing.assert_allclose(f(Q, P), getattr(np, name)(Q, P))
    g = lt.grad(lambda p: (f(p, Q) ** 2).sum())(P)
    np.testing.assert_allclose(g, jax.grad(lambda p: (getattr(jnp, name)(p, Q) ** 2).sum())(P))


def test_polydiv_concrete_numpy_traced_jax():
    for mine, ref in zip(lnp.polydiv(P, Q), np.polydiv(P, Q)):
        np.testing.assert_allclose(mine, ref)
    for mine, ref in zip(lt.jit(lnp.polydiv)(P, Q), jnp.polydiv(P, Q)):
        np.testing.assert_allclose(mine, ref)
    for i in range(2):
        g = lt.grad(lambda p, q, i=i: lnp.polydiv(p, q)[i].sum(), argnums=(0, 1))(P, Q)
        jg = jax.grad(lambda p, q, i=i: jnp.polydiv(p, q)[i].sum(), argnums=(0, 1))(P, Q)
        for a, b in zip(g, jg):
            np.testing.assert_allclose(a, b)


# ---------------------------------------------------------------- array-API spellings

def test_matvec_vecmat_vecdot_match_numpy():
    w = R.standard_normal(4)
    np.testing.assert_allclose(lnp.matvec(A3, V4), np.matvec(A3, V4))
    np.testing.assert_allclose(lnp.vecmat(w, A3), np.vecmat(w, A3))
    np.testing.assert_allclose(lnp.vecdot(A3, V4), np.vecdot(A3, V4))
    z = A3 + 1j * R.standard_normal(A3.shape)
    np.testing.assert_allclose(lnp.vecdot(z, z[0], axis=1), np.vecdot(z, z[0], axis=1))
    np.testing.assert_allclose(lnp.vecmat(z[0, :, 0], z), np.vecmat(z[0, :, 0], z))
    check_grads(lambda a, v: lnp.matvec(a, v), (A3, V4), order=2)
    check_grads(lambda a, v: lnp.vecmat(v, a), (A3, V4), order=1)


def test_small_array_api_functions_match_numpy():
    for m, r in zip(lnp.unstack(A3, axis=1), np.unstack(A3, axis=1)):
        np.testing.assert_array_equal(m, r)
    np.testing.assert_allclose(lnp.cumulative_prod(V4, include_initial=True),
                               np.cumulative_prod(V4, include_initial=True))
    np.testing.assert_allclose(lnp.cumulative_prod(A3, axis=1), np.cumulative_prod(A3, axis=1))
    x = np.array([1.0, np.nan, 2, 3])
    np.testing.assert_array_equal(lnp.nancumprod(x), np.nancumprod(x))
    assert lnp.array_equiv([1, 2], [[1, 2], [1, 2]]) and not lnp.array_equiv([1, 2], [1, 2, 3])
    np.testing.assert_array_equal(lnp.matrix_transpose(A3), np.matrix_transpose(A3))
    np.testing.assert_array_equal(lnp.permute_dims(A3, (2, 0, 1)),
                                  np.permute_dims(A3, (2, 0, 1)))
    np.testing.assert_array_equal(lnp.fromfunction(lambda i, j: i + 2 * j, (3, 4)),
                                  np.fromfunction(lambda i, j: i + 2 * j, (3, 4)))
    np.testing.assert_allclose(lnp.apply_over_axes(lnp.sum, A3, [0, 2]),
                               np.apply_over_axes(np.sum, A3, [0, 2]))
    for name in ["hamming", "hanning", "blackman", "bartlett"]:
        np.testing.assert_array_equal(getattr(lnp, name)(6), getattr(np, name)(6))
    np.testing.assert_allclose(lnp.acos(0.5), np.acos(0.5))
    assert lnp.pow(2.0, 3) == 8.0 and lnp.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert lnp.bool == np.bool_ and lnp.double == np.float64 and lnp.int_ == np.int64
    check_staged(lambda a: lnp.unstack(a)[1], (A3,))
    check_grads(lambda v: lnp.cumulative_prod(v), (V4,), order=2)


# ---------------------------------------------------------------- linalg extras

@pytest.mark.parametrize("p", [None, 1, -1, 2, -2, np.inf, "fro", "nuc"])
def test_cond_matches_numpy(p):
    np.testing.assert_allclose(lnp.linalg.cond(A3, p), np.linalg.cond(A3, p), rtol=1e-10)


def test_cond_gradient_matches_jax():
    np.testing.assert_allclose(lt.grad(lambda a: lnp.linalg.cond(a).sum())(A3),
                               jax.grad(lambda a: jnp.linalg.cond(a).sum())(A3), rtol=1e-8)


def test_matrix_rank_multi_dot_tensor_solvers_match_numpy():
    L, N = lnp.linalg, np.linalg
    B = R.standard_normal((4, 3))
    for M in [np.ones((3, 4)), A3, B @ B.T, np.zeros((2, 2))]:
        np.testing.assert_array_equal(L.matrix_rank(M), N.matrix_rank(M))
    np.testing.assert_array_equal(L.matrix_rank(B @ B.T, tol=0.5), N.matrix_rank(B @ B.T,
                                                                                  tol=0.5))
    C, v = R.standard_normal((3, 5)), R.standard_normal(5)
    np.testing.assert_allclose(L.multi_dot([A3[0], B, C, v]), N.multi_dot([A3[0], B, C, v]))
    a, b = R.standard_normal((6, 2, 3)), R.standard_normal(6)
    np.testing.assert_allclose(L.tensorsolve(a, b), N.tensorsolve(a, b))
    a2 = R.standard_normal((2, 3, 6))
    np.testing.assert_allclose(L.tensorsolve(a2, b, axes=(0, 1)),
                               N.tensorsolve(a2, b, axes=(0, 1)))
    t = R.standard_normal((4, 6, 8, 3))
    np.testing.assert_allclose(L.tensorinv(t), N.tensorinv(t))
    np.testing.assert_allclose(L.tensorinv(t.reshape(24, 8, 3), 1),
                               N.tensorinv(t.reshape(24, 8, 3), ind=1))
    check_grads(lambda a: L.tensorsolve(a, b), (a,), order=1)


def test_array_api_linalg_norms_and_views_match_numpy():
    L, N = lnp.linalg, np.linalg
    np.testing.assert_allclose(L.matrix_norm(A3), N.matrix_norm(A3))
    np.testing.assert_allclose(L.matrix_norm(A3, ord=1, keepdims=True),
                               N.matrix_norm(A3, ord=1, keepdims=True))
    for kw in [{}, dict(axis=1), dict(axis=(0, 2), keepdims=True), dict(ord=1),
               dict(ord=np.inf, axis=-1), dict(keepdims=True)]:
        mine, ref = L.vector_norm(A3, **kw), N.vector_norm(A3, **kw)
        assert np.shape(mine) == np.shape(ref)
        np.testing.assert_allclose(mine, ref)
    np.testing.assert_allclose(L.diagonal(A3, offset=1), N.diagonal(A3, offset=1))
    np.testing.assert_allclose(L.trace(A3, offset=-1), N.trace(A3, offset=-1))
    B = R.standard_normal((4, 3))
    np.testing.assert_allclose(L.cross(A3[0, :, :3], B), N.cross(A3[0, :, :3], B))
    np.testing.assert_allclose(L.vecdot(A3, V4), N.vecdot(A3, V4))
    np.testing.assert_array_equal(L.matrix_transpose(A3), N.matrix_transpose(A3))
    check_grads(lambda a: L.vector_norm(a, axis=(0, 2)), (A3,), order=2)


# ---------------------------------------------------------------- pad modes

PAD_CASES = [("linear_ramp", {}), ("linear_ramp", dict(end_values=((1, 2), (-3, 5)))),
             ("maximum", {}), ("minimum", {}), ("mean", {}), ("median", {}),
             ("mean", dict(stat_length=2)), ("maximum", dict(stat_length=((1, 2), (3, 1)))),
             ("reflect", dict(reflect_type="odd")), ("symmetric", dict(reflect_type="odd"))]


@pytest.mark.parametrize("mode,kw", PAD_CASES, ids=[f"{m}-{i}" for i, (m, _) in
                                                     enumerate(PAD_CASES)])
def test_pad_modes_match_numpy(mode, kw):
    w = ((1, 2), (2, 1))
    for x in [np.arange(1.0, 13.0).reshape(3, 4) ** 1.5, np.arange(1, 13).reshape(3, 4) ** 2 - 40]:
        ref = np.pad(x, w, mode=mode, **kw)
        for out in [lnp.pad(x, w, mode=mode, **kw),
                    lt.jit(lambda x: lnp.pad(x, w, mode=mode, **kw))(x)]:
            assert out.dtype == ref.dtype
            np.testing.assert_allclose(out, ref, rtol=1e-13)
    check_grads(lambda x: lnp.pad(x, w, mode=mode, **kw), (R.standard_normal((3, 4)),),
                order=1)


@pytest.mark.parametrize("mode", ["reflect", "symmetric"])
def test_pad_odd_reflection_wider_than_the_axis(mode):
    """NumPy reflects a pad wider than the axis again, chunk by chunk, through each new
    edge; a length-1 axis in 'reflect' mode repeats its edge."""
    for n in (1, 2, 3, 5):
        x = np.arange(1.0, n + 1) ** 1.7
        for w in [(7, 0), (0, 9), (6, 11), (n, n + 1)]:
            ref = np.pad(x, w, mode=mode, reflect_type="odd")
            for out in [lnp.pad(x, w, mode=mode, reflect_type="odd"),
                        lt.jit(lambda x, w=w: lnp.pad(x, w, mode=mode,
                                                      reflect_type="odd"))(x)]:
                np.testing.assert_allclose(out, ref, rtol=1e-13)
    x2 = np.arange(1.0, 7.0).reshape(2, 3) ** 1.5
    np.testing.assert_allclose(lnp.pad(x2, ((5, 3), (4, 7)), mode=mode, reflect_type="odd"),
                               np.pad(x2, ((5, 3), (4, 7)), mode=mode, reflect_type="odd"),
                               rtol=1e-13)
    check_grads(lambda x: lnp.pad(x, ((5, 3), (4, 7)), mode=mode, reflect_type="odd"),
                (R.standard_normal((2, 3)),), order=1)


def test_pad_empty_is_zeros_of_the_padded_shape():
    out = lnp.pad(np.ones((2, 3)), ((1, 0), (0, 2)), "empty")
    assert out.shape == (3, 5)
