"""Linear algebra: dot_general and its wrappers, einsum, solvers, decompositions, norms.

Values are checked against NumPy/SciPy, derivatives against finite differences, the
dot-product test (``check_grads``, order 2, both modes) and JAX; eager against staged.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.ad.linearity import check_linear
from lintra.test_util import check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
import jax_oracle  # noqa: E402  (after the importorskip of jax)
from jax_oracle import close, rand  # noqa: E402

jsl = pytest.importorskip("jax.scipy.linalg")

LA = lnp.linalg
seeds = st.integers(0, 2**31 - 1)
sizes = st.integers(1, 4)



def spd(seed, n, batch=()):
    """Well-conditioned symmetric positive definite: M Mᵀ + n I."""
    m = rand(seed, *batch, n, n)
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def diag_dominant(seed, n, batch=()):
    a = rand(seed, *batch, n, n)
    return a + (np.abs(a).sum(-1, keepdims=True) + 1.0) * np.eye(n)




def check_vs_jax(f, jf, args, rtol=1e-8, atol=1e-9):
    return jax_oracle.check_vs_jax(f, jf, args, rtol, atol)

# ---------------------------------------------------------------- dot_general


@st.composite
def dot_config(draw):
    """Random lhs/rhs shapes with batch, contracting and free dims in random axis orders."""
    nb, nc = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    nfx, nfy = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    b = [draw(sizes) for _ in range(nb)]
    c = [draw(sizes) for _ in range(nc)]
    fx = [draw(sizes) for _ in range(nfx)]
    fy = [draw(sizes) for _ in range(nfy)]
    roles_x = [("b", i) for i in range(nb)] + [("c", i) for i in range(nc)] + \
        [("f", i) for i in range(nfx)]
    roles_y = [("b", i) for i in range(nb)] + [("c", i) for i in range(nc)] + \
        [("f", i) for i in range(nfy)]
    roles_x = draw(st.permutations(roles_x))
    roles_y = draw(st.permutations(roles_y))
    dims = {"b": b, "c": c}

    def shape(roles, free):
        return tuple(free[i] if r == "f" else dims[r][i] for r, i in roles)

    def pos(roles, r):
        return tuple(roles.index((r, i)) for i in range(len(dims[r])))

    dn = ((pos(roles_x, "c"), pos(roles_y, "c")), (pos(roles_x, "b"), pos(roles_y, "b")))
    return shape(roles_x, fx), shape(roles_y, fy), dn, roles_x, roles_y


def einsum_reference(x, y, roles_x, roles_y):
    letters = iter("abcdefghijklmnop")
    names = {}
    for r, i in roles_x:
        names[("x", r, i) if r == "f" else (r, i)] = next(letters)
    for r, i in roles_y:
        if r == "f":
            names[("y", r, i)] = next(letters)
    sx = "".join(names[("x", r, i) if r == "f" else (r, i)] for r, i in roles_x)
    sy = "".join(names[("y", r, i) if r == "f" else (r, i)] for r, i in roles_y)
    nb = sum(r == "b" for r, _ in roles_x)
    out = "".join(names[("b", i)] for i in range(nb))
    # lhs free dims in lhs axis order, then rhs free dims in rhs axis order
    out += "".join(names[("x", r, i)] for r, i in roles_x if r == "f")
    out += "".join(names[("y", r, i)] for r, i in roles_y if r == "f")
    return np.einsum(f"{sx},{sy}->{out}", x, y)


@given(dot_config(), seeds)
def test_dot_general_all_dimension_configs(cfg, seed):
    from lintra.ops.linalg import dot_general
    sx, sy, dn, rx, ry = cfg
    x, y = rand(seed, *sx), rand(seed + 1, *sy)
    f = lambda a, b: dot_general(a, b, dn)  # noqa: E731
    close(f(x, y), einsum_reference(x, y, rx, ry))
    close(f(x, y), jax.lax.dot_general(x, y, dn))
    check_grads(f, (x, y), order=2)
    check_staged(f, (x, y))
    # linear in each operand separately: transpose rule == the adjoint (dot-product test)
    ct = rand(seed + 2, *np.shape(f(x, y)))
    tx = lt.linear_transpose(lambda a: f(a, y), x)(ct)[0]
    ty = lt.linear_transpose(lambda b: f(x, b), y)(ct)[0]
    assert np.isclose(np.sum(ct * f(x, y)), np.sum(tx * x))
    assert np.isclose(np.sum(ct * f(x, y)), np.sum(ty * y))


def test_dot_general_is_linear_in_one_operand_only():
    from lintra.ops.linalg import dot_general
    x = rand(0, 2, 3)
    with pytest.raises(lt.NonLinearError, match="multiplies two linear values"):
        lt.linear_transpose(lambda a: dot_general(a, a, (((1,), (1,)), ((), ()))), x)


def test_dot_general_integer_and_float32():
    from lintra.ops.linalg import dot_general
    xi, yi = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    out = dot_general(xi, yi, (((1,), (0,)), ((), ())))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, xi @ yi)
    x32 = rand(1, 2, 3).astype(np.float32)
    assert lnp.matmul(x32, x32.T).dtype == np.float32


def test_dot_general_shape_errors():
    from lintra.ops.linalg import dot_general
    x, y = rand(0, 2, 3), rand(1, 4, 5)
    with pytest.raises(ValueError, match="dot_general: contracting dims differ"):
        dot_general(x, y, (((1,), (0,)), ((), ())))
    with pytest.raises(ValueError, match="dot_general: batch dims differ"):
        dot_general(x, y, (((), ()), ((0,), (0,))))
    with pytest.raises(ValueError, match="must pair up"):
        dot_general(x, y, (((1,), ()), ((), ())))
    with pytest.raises(ValueError, match="must be distinct axes"):
        dot_general(x, y, (((2,), (0,)), ((), ())))
    with pytest.raises(ValueError, match="must be distinct axes"):
        dot_general(x, rand(0, 3, 3), (((1, 1), (0, 1)), ((), ())))
    from lintra.ops.linalg import dot_general_p
    with pytest.raises(TypeError, match="dot_general: operands must have one dtype"):
        dot_general_p.bind(x, np.ones((3,), np.float32),
                           dimension_numbers=(((1,), (0,)), ((), ())))


# ---------------------------------------------------------------- matmul, dot and friends

shapes_01 = st.lists(st.integers(1, 3), min_size=0, max_size=2)


@st.composite
def matmul_shapes(draw):
    """Matrix or vector operands; matrices get broadcast-compatible batch dims."""
    n, k, m = draw(sizes), draw(sizes), draw(sizes)
    nd = draw(st.integers(0, 2))
    full = [draw(st.integers(1, 3)) for _ in range(nd)]

    def batch():
        keep = draw(st.integers(0, nd))
        return tuple(d if draw(st.booleans()) else 1 for d in full[nd - keep:])

    sa = (k,) if draw(st.booleans()) else batch() + (n, k)
    sb = (k,) if draw(st.booleans()) else batch() + (k, m)
    return sa, sb


@given(matmul_shapes(), seeds)
def test_matmul_numpy_semantics(shapes, seed):
    sa, sb = shapes
    a, b = rand(seed, *sa), rand(seed + 1, *sb)
    close(lnp.matmul(a, b), np.matmul(a, b))
    check_grads(lnp.matmul, (a, b), order=2)
    check_staged(lambda x, y: x @ lnp.sin(y), (a, b))
    check_vs_jax(lnp.matmul, jnp.matmul, (a, b))


@pytest.mark.parametrize("sa,sb", [((), (3,)), ((3,), ()), ((4,), (4,)), ((2, 3), (3,)),
                                   ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 2, 3), (4, 3, 2)),
                                   ((2, 3), (2, 3, 4))])
def test_dot_numpy_semantics(sa, sb):
    a, b = rand(0, *sa), rand(1, *sb)
    close(lnp.dot(a, b), np.dot(a, b))
    check_grads(lnp.dot, (a, b), order=2)
    check_vs_jax(lnp.dot, jnp.dot, (a, b))


@pytest.mark.parametrize("sa,sb,axes", [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 2), 1),
                                        ((2, 3), (4,), 0),
                                        ((2, 3, 4), (4, 2, 5), ([0, 2], [1, 0])),
                                        ((3, 4), (4, 3), ((-1, 0), (0, -1))),
                                        ((2, 3), (3,), (1, 0))])
def test_tensordot(sa, sb, axes):
    a, b = rand(0, *sa), rand(1, *sb)
    f = lambda x, y: lnp.tensordot(x, y, axes)  # noqa: E731
    close(f(a, b), np.tensordot(a, b, axes))
    check_grads(f, (a, b), order=2)
    check_vs_jax(f, lambda x, y: jnp.tensordot(x, y, axes), (a, b))


@pytest.mark.parametrize("name", ["outer", "inner", "vdot"])
@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)), ((), (3,))])
def test_outer_inner_vdot(name, sa, sb):
    if name == "vdot" and np.prod(sa) != np.prod(sb):
        sb = sa
    a, b = rand(0, *sa), rand(1, *sb)
    f = getattr(lnp, name)
    close(f(a, b), getattr(np, name)(a, b))
    check_grads(f, (a, b), order=2)
    check_vs_jax(f, getattr(jnp, name), (a, b))


def test_product_shape_errors():
    with pytest.raises(ValueError, match="matmul: shapes \\(2, 3\\) and \\(4, 5\\)"):
        lnp.matmul(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="matmul: batch dims"):
        lnp.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 4)))
    with pytest.raises(ValueError, match="matmul: operands must not be scalars"):
        lnp.matmul(2.0, np.ones(3))
    with pytest.raises(ValueError, match="dot: shapes .* not aligned"):
        lnp.dot(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="tensordot: shape mismatch"):
        lnp.tensordot(np.ones((2, 3)), np.ones((2, 3)), 1)
    with pytest.raises(ValueError, match="tensordot: 2 axes of a vs 1"):
        lnp.tensordot(np.ones((2, 3)), np.ones((2, 3)), ([0, 1], [0]))
    with pytest.raises(ValueError, match="tensordot: axis 5 out of bounds"):
        lnp.tensordot(np.ones((2, 3)), np.ones((2, 3)), ([5], [0]))
    with pytest.raises(ValueError, match="inner: last dimensions"):
        lnp.inner(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="vdot: operands of sizes 2 and 3"):
        lnp.vdot(np.ones(2), np.ones(3))


def test_matmul_operator_on_traced_values():
    a, b = rand(0, 3, 3), rand(1, 3)
    g = lt.grad(lambda x: lnp.sum(lnp.sin(x @ b)))(a)
    jg = jax.grad(lambda x: jnp.sum(jnp.sin(x @ b)))(a)
    close(g, jg)


# ---------------------------------------------------------------- einsum

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iji->j", [(2, 3, 2)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("bij,bjk->kib", [(2, 3, 4), (2, 4, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk,k->i", [(2, 3), (3, 4), (4,)]),
    ("ab,cd->", [(2, 3), (2, 2)]),
    ("ijk,kji->", [(2, 3, 4), (4, 3, 2)]),
    ("ij,ij->ij", [(3, 1), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 4)]),
    ("...ij,...jk", [(1, 2, 3), (5, 3, 4)]),
    ("...i,...i->...", [(2, 3), (3,)]),
    ("i...->...", [(3, 2, 2)]),
    ("bn,nm,bm->b", [(2, 3), (3, 3), (2, 3)]),
    ("Ab,b", [(2, 3), (3,)]),
]


@pytest.mark.parametrize("subscripts,shapes", EINSUM_CASES)
def test_einsum_vs_numpy(subscripts, shapes):
    args = [rand(i, *s) for i, s in enumerate(shapes)]
    f = lambda *a: lnp.einsum(subscripts, *a)  # noqa: E731
    close(f(*args), np.einsum(subscripts, *args))
    check_grads(f, args, order=2)
    check_staged(f, args)


@pytest.mark.parametrize("subscripts,shapes", EINSUM_CASES[::3])
def test_einsum_gradients_vs_jax(subscripts, shapes):
    args = [rand(i, *s) for i, s in enumerate(shapes)]
    check_vs_jax(lambda *a: lnp.einsum(subscripts, *a),
                 lambda *a: jnp.einsum(subscripts, *a), args)


@given(st.integers(1, 3), st.integers(0, 2**31 - 1), st.data())
def test_einsum_random_pairwise(n_ops, seed, data):
    """Random subscripts over a small alphabet with consistent sizes, vs numpy.einsum."""
    alphabet = "abcd"
    size = {c: data.draw(sizes) for c in alphabet}
    terms = [data.draw(st.lists(st.sampled_from(alphabet), max_size=3, unique=True))
             for _ in range(n_ops)]
    used = sorted(set("".join("".join(t) for t in terms)))
    out = data.draw(st.permutations(used))[:data.draw(st.integers(0, len(used)))]
    sub = ",".join("".join(t) for t in terms) + "->" + "".join(out)
    args = [rand(seed + i, *[size[c] for c in t]) for i, t in enumerate(terms)]
    f = lambda *a: lnp.einsum(sub, *a)  # noqa: E731
    close(f(*args), np.einsum(sub, *args))
    check_grads(f, args, order=1)


@pytest.mark.parametrize("subscripts,shapes,match", [
    ("ij,jk->ik", [(2, 3)], "subscripts name 2 operands but 1"),
    ("ij->ik", [(2, 3)], "output subscript 'k' does not appear"),
    ("ij->ii", [(2, 3)], "repeat a label"),
    ("ijk->i", [(2, 3)], "operand 0 has 2 dims but its subscripts 'ijk' name 3"),
    ("i1->i", [(2, 2)], "invalid subscript character '1'"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "label 'j' has sizes 3 and 4"),
    ("...ij->ij", [(2, 2, 3)], "output 'ij' has no '...'"),
    ("i->j->k", [(2,)], "malformed subscripts"),
    ("..i->i", [(2,)], "invalid subscript character '.'"),
])
def test_einsum_errors(subscripts, shapes, match):
    with pytest.raises(ValueError, match=match):
        lnp.einsum(subscripts, *[np.ones(s) for s in shapes])


# ---------------------------------------------------------------- cholesky


@given(sizes, seeds, st.sampled_from([(), (2,)]))
def test_cholesky(n, seed, batch):
    a = spd(seed, n, batch)
    L = LA.cholesky(a)
    close(L, np.linalg.cholesky(a))
    close(LA.cholesky(a, upper=True), np.swapaxes(np.linalg.cholesky(a), -1, -2))
    check_grads(LA.cholesky, (a,), order=2)
    check_staged(LA.cholesky, (a,))
    check_vs_jax(LA.cholesky, jnp.linalg.cholesky, (a,))


def test_cholesky_jvp_is_symmetrized_and_linear():
    a = spd(3, 3)
    # an antisymmetric perturbation leaves (A + Aᵀ)/2, hence the factor, unchanged
    k = rand(4, 3, 3)
    _, t = lt.jvp(LA.cholesky, (a,), (k - k.T,))
    close(t, np.zeros((3, 3)), atol=1e-12)
    _, f_lin = lt.linearize(LA.cholesky, a)
    lin = f_lin.linear_function
    n_res = len(lin.residuals)
    check_linear(lin.program, [False] * n_res + [True] * (len(lin.program.params) - n_res))


def test_cholesky_errors():
    with pytest.raises(ValueError, match="cholesky: expects square matrices"):
        LA.cholesky(np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError):
        LA.cholesky(-np.eye(2))
    from lintra.ops.linalg import cholesky_p
    with pytest.raises(TypeError, match="cholesky: expects a floating-point matrix"):
        lt.jit(lambda x: cholesky_p.bind(x))(np.eye(2, dtype=np.int64))


# ---------------------------------------------------------------- triangular_solve


@given(sizes, st.integers(1, 3), seeds, st.booleans(), st.booleans(), st.booleans(),
       st.booleans(), st.sampled_from([(), (2,)]))
def test_triangular_solve(n, k, seed, lower, transpose_a, left_side, unit, batch):
    import scipy.linalg as sl
    a = diag_dominant(seed, n, batch)
    b = rand(seed + 1, *batch, *((n, k) if left_side else (k, n)))
    kw = dict(lower=lower, transpose_a=transpose_a, left_side=left_side, unit_diagonal=unit)
    f = lambda x, y: LA.triangular_solve(x, y, **kw)  # noqa: E731
    out = f(a, b)
    if not batch:
        if left_side:
            ref = sl.solve_triangular(a, b, trans=int(transpose_a), lower=lower,
                                      unit_diagonal=unit)
        else:
            ref = sl.solve_triangular(a, b.T, trans=int(not transpose_a), lower=lower,
                                      unit_diagonal=unit).T
        close(out, ref)
    check_grads(f, (a, b), order=2)
    check_staged(f, (a, b))
    check_vs_jax(f, lambda x, y: jax.lax.linalg.triangular_solve(
        x, y, left_side=left_side, lower=lower, transpose_a=transpose_a,
        unit_diagonal=unit), (a, b))


@given(sizes, seeds, st.booleans(), st.sampled_from([0, 1, "T"]))
def test_solve_triangular_scipy_api(n, seed, lower, trans):
    a, b = diag_dominant(seed, n), rand(seed + 1, n)
    f = lambda x, y: LA.solve_triangular(x, y, trans=trans, lower=lower)  # noqa: E731
    check_vs_jax(f, lambda x, y: jsl.solve_triangular(x, y, trans=trans, lower=lower), (a, b))
    check_grads(f, (a, b), order=2)


def test_triangular_solve_reads_one_triangle():
    a, b = diag_dominant(0, 3), rand(1, 3, 2)
    f = lambda x: LA.triangular_solve(x, b, lower=True)  # noqa: E731
    close(f(a), f(np.tril(a)))
    # the upper triangle has a zero derivative
    g = lt.grad(lambda x: lnp.sum(f(x)))(a)
    close(np.triu(g, 1), np.zeros((3, 3)), atol=0)


def test_triangular_solve_errors():
    with pytest.raises(ValueError, match="solve_triangular: invalid trans"):
        LA.solve_triangular(np.eye(2), np.ones(2), trans=3)
    with pytest.raises(ValueError, match="triangular_solve: .*does not fit the 2x2"):
        LA.triangular_solve(np.eye(2), np.ones((3, 1)))
    with pytest.raises(ValueError, match="triangular_solve: expects square"):
        LA.triangular_solve(np.ones((2, 3)), np.ones((2, 1)))


# ---------------------------------------------------------------- solve, inv, slogdet, det


@given(sizes, st.integers(0, 3), seeds, st.sampled_from([(), (2,)]),
       st.sampled_from([(), (1,), (2,)]))
def test_solve(n, k, seed, batch_a, batch_b):
    a = diag_dominant(seed, n, batch_a)
    b = rand(seed + 1, *batch_b, n, k) if k else rand(seed + 1, n)
    close(LA.solve(a, b), np.linalg.solve(a, b))
    check_grads(LA.solve, (a, b), order=2)
    check_staged(LA.solve, (a, b))
    check_vs_jax(LA.solve, jnp.linalg.solve, (a, b))


def test_solve_transpose_and_linearity():
    a, b = diag_dominant(0, 3), rand(1, 3, 2)
    ct = rand(2, 3, 2)
    t = lt.linear_transpose(lambda y: LA.solve(a, y), b)(ct)[0]
    close(t, np.linalg.solve(a.T, ct))
    _, f_lin = lt.linearize(LA.solve, a, b)
    lin = f_lin.linear_function
    n_res = len(lin.residuals)
    check_linear(lin.program, [False] * n_res + [True] * (len(lin.program.params) - n_res))
    with pytest.raises(lt.NonLinearError):
        lt.linear_transpose(lambda x: LA.solve(x, b), a)


def test_solve_errors():
    with pytest.raises(ValueError, match="solve: expects square matrices"):
        LA.solve(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="solve: right-hand side of shape \\(3, 1\\)"):
        LA.solve(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="solve: batch dims"):
        LA.solve(np.ones((2, 2, 2)), np.ones((3, 2, 1)))
    with pytest.raises(ValueError, match="solve: the right-hand side must be at least 1-D"):
        LA.solve(np.eye(2), 1.0)
    with pytest.raises(np.linalg.LinAlgError):
        LA.solve(np.zeros((2, 2)), np.ones(2))
    from lintra.ops.linalg import solve_p
    with pytest.raises(TypeError, match="solve: operands must have one dtype"):
        solve_p.bind(np.eye(2), np.ones((2, 1), np.float32))


@given(sizes, seeds, st.sampled_from([(), (2,), (2, 1)]))
def test_inv_det_slogdet(n, seed, batch):
    a = diag_dominant(seed, n, batch) * np.where(rand(seed, 1)[0] > 0, 1.0, -1.0)
    close(LA.inv(a), np.linalg.inv(a))
    close(LA.det(a), np.linalg.det(a))
    sign, logdet = LA.slogdet(a)
    rs, rl = np.linalg.slogdet(a)
    close(sign, rs)
    close(logdet, rl)
    for f in (LA.inv, LA.det, lambda x: LA.slogdet(x)[1]):
        check_grads(f, (a,), order=2)
        check_staged(f, (a,))
    check_vs_jax(LA.inv, jnp.linalg.inv, (a,))
    check_vs_jax(LA.det, jnp.linalg.det, (a,))
    check_vs_jax(lambda x: LA.slogdet(x)[1], lambda x: jnp.linalg.slogdet(x)[1], (a,))


def test_slogdet_sign_has_zero_tangent():
    a = diag_dominant(0, 3)
    (s, ld), (ts, tl) = lt.jvp(LA.slogdet, (a,), (rand(1, 3, 3),))
    assert np.all(ts == 0)
    t = rand(1, 3, 3)
    close(tl, np.trace(np.linalg.solve(a, t)))
    check_staged(LA.slogdet, (a,))


def test_decomposition_errors():
    with pytest.raises(ValueError, match="slogdet: expects square matrices"):
        LA.slogdet(np.ones(3))
    with pytest.raises(ValueError, match="inv: expects square matrices"):
        LA.inv(np.ones((2, 3)))
    with pytest.raises(ValueError, match="det: expects square matrices|slogdet: expects"):
        LA.det(np.ones((3, 2)))


def test_linalg_namespace():
    assert not hasattr(lnp, "solve") and not hasattr(lnp, "inv")
    assert not hasattr(lnp, "cholesky") and not hasattr(lnp, "norm")
    for name in ("dot", "matmul", "tensordot", "einsum", "outer", "inner", "vdot"):
        assert getattr(lnp, name) is getattr(LA, name)


def test_grad_of_jit_and_jit_of_grad():
    a, b = spd(0, 3), rand(1, 3)

    def f(x, y):
        L = LA.cholesky(x)
        z = LA.solve_triangular(L, y, lower=True)
        return lnp.sum(z * z) + LA.slogdet(x)[1]

    g = lt.grad(f, (0, 1))(a, b)
    gj = lt.jit(lt.grad(f, (0, 1)))(a, b)
    for u, v in zip(g, gj):
        close(u, v, 1e-12, 1e-12)

    def jf(x, y):
        L = jnp.linalg.cholesky(x)
        z = jsl.solve_triangular(L, y, lower=True)
        return jnp.sum(z * z) + jnp.linalg.slogdet(x)[1]

    for u, v in zip(g, jax.grad(jf, (0, 1))(a, b)):
        close(u, v)
    check_grads(f, (a, b), order=2)


# ---------------------------------------------------------------- norm

VECTOR_ORDS = [None, 1, 2, 3, 0.5, np.inf, -np.inf]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


@given(st.lists(sizes, min_size=1, max_size=3), seeds, st.sampled_from(VECTOR_ORDS),
       st.booleans(), st.data())
def test_vector_norm(shape, seed, ord, keepdims, data):
    x = rand(seed, *shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    f = lambda v: LA.norm(v, ord, axis, keepdims)  # noqa: E731
    close(f(x), np.linalg.norm(x, ord, axis, keepdims))
    check_grads(f, (x,), order=2)
    check_vs_jax(f, lambda v: jnp.linalg.norm(v, ord, axis, keepdims), (x,))


@given(st.lists(sizes, min_size=2, max_size=3), seeds, st.sampled_from(MATRIX_ORDS),
       st.booleans(), st.data())
def test_matrix_norm(shape, seed, ord, keepdims, data):
    x = rand(seed, *shape)
    nd = len(shape)
    axis = tuple(data.draw(st.permutations(range(-nd, 0) if data.draw(st.booleans())
                                           else range(nd)))[:2])
    f = lambda v: LA.norm(v, ord, axis, keepdims)  # noqa: E731
    close(f(x), np.linalg.norm(x, ord, axis, keepdims))
    check_grads(f, (x,), order=2)
    check_vs_jax(f, lambda v: jnp.linalg.norm(v, ord, axis, keepdims), (x,))


@pytest.mark.parametrize("shape,ord", [((3,), None), ((2, 3), None), ((2, 3, 2), None),
                                       ((), None), ((4,), 1), ((2, 3), 1), ((2, 3), "fro"),
                                       ((2, 3), np.inf)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_default_axis(shape, ord, keepdims):
    x = rand(0, *shape)
    close(LA.norm(x, ord, keepdims=keepdims), np.linalg.norm(x, ord, keepdims=keepdims))
    check_grads(lambda v: LA.norm(v, ord, keepdims=keepdims), (x,), order=2)


def test_norm_ord0_counts_nonzeros():
    x = np.array([0.0, 2.0, -1.0, 0.0])
    close(LA.norm(x, 0), 2.0)
    assert np.all(lt.grad(lambda v: LA.norm(v, 0))(x) == 0)


def test_norm_errors():
    x = rand(0, 2, 3)
    with pytest.raises(ValueError, match="invalid norm order 'fro' for vectors"):
        LA.norm(x, "fro", axis=0)
    with pytest.raises(ValueError, match="invalid norm order 3 for matrices"):
        LA.norm(x, 3)
    with pytest.raises(ValueError, match="needs a 1-D or 2-D input"):
        LA.norm(rand(0, 2, 2, 2), 1)
    with pytest.raises(ValueError, match="duplicate axes"):
        LA.norm(x, None, (0, -2))
    with pytest.raises(ValueError, match="axis must be an int or a pair"):
        LA.norm(rand(0, 2, 2, 2), None, (0, 1, 2))
    with pytest.raises(ValueError, match="axis 3 out of bounds"):
        LA.norm(x, None, 3)


def test_all_flag_combinations_of_triangular_solve_agree_with_solve():
    a, b = diag_dominant(5, 3), rand(6, 3, 3)
    for lower, tr, left in itertools.product((True, False), repeat=3):
        tri = np.tril(a) if lower else np.triu(a)
        op = tri.T if tr else tri
        x = LA.triangular_solve(a, b, lower=lower, transpose_a=tr, left_side=left)
        close(op @ x if left else x @ op, b)
