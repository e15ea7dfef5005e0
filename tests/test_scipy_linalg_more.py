"""``lintra.scipy.linalg``'s generalized ``eigh``/``eigvalsh``, ``lstsq``, ``null_space``,
``orth``, ``polar`` and the Lyapunov solvers: values against ``scipy.linalg`` (eager, ``jit``
native and interpreted), derivatives with ``check_grads`` on gauge-invariant functions of
bases, and the concretization error of the data-dependent shapes under ``jit``."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.linalg as lsl
from lintra.backends import native as nat
from lintra.test_util import check_grads

sl = pytest.importorskip("scipy.linalg")


def rand(seed, *shape, cplx=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if cplx else x


def sym(seed, n, cplx=False):
    m = rand(seed, n, n, cplx=cplx)
    return m + m.conj().T


def spd(seed, n, cplx=False):
    m = rand(seed, n, n, cplx=cplx)
    return m @ m.conj().T + n * np.eye(n)


def close(got, want, rtol=1e-9, atol=1e-10):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def check_jit(f, args, want, rtol=1e-9, atol=1e-10):
    """``f`` staged on the native backend (no fallback) and on the interpreter."""
    before = len(nat.fallbacks)
    for backend in ("native", "interpret"):
        got, wants = lt.tree_leaves(lt.jit(f, backend=backend)(*args)), lt.tree_leaves(want)
        assert len(got) == len(wants)
        for g, w in zip(got, wants):
            close(g, w, rtol, atol)
    assert len(nat.fallbacks) == before, list(nat.fallbacks)[before:]


def aligned(v, ref):
    """``v``'s columns with the signs (phases) of ``ref``'s: eigenvectors are unique only up
    to them."""
    phase = np.sum(np.conj(v) * ref, axis=0)
    return v * (phase / np.abs(phase))


# ---------------------------------------------------------------- eigh with b


@pytest.mark.parametrize("kind,lower,cplx", [(1, True, False), (2, False, False),
                                             (3, True, False), (1, False, True)])
def test_eigh_generalized_values(kind, lower, cplx):
    a, b = sym(0, 4, cplx), spd(1, 4, cplx)
    w, v = lsl.eigh(a, b, lower=lower, type=kind)
    ws, vs = sl.eigh(a, b, lower=lower, type=kind)
    close(w, ws, 1e-9, 1e-9)
    close(aligned(np.asarray(v), vs), vs, 1e-8, 1e-9)
    close(lsl.eigvalsh(a, b, lower=lower, type=kind), ws, 1e-9, 1e-9)


def test_eigh_generalized_subset_and_plain():
    a, b = sym(2, 4), spd(3, 4)
    w, v = lsl.eigh(a, b, subset_by_index=[1, 2])
    ws, vs = sl.eigh(a, b, subset_by_index=[1, 2])
    close(w, ws)
    close(aligned(np.asarray(v), vs), vs, 1e-8, 1e-9)
    close(lsl.eigh(a, eigvals_only=True), sl.eigh(a, eigvals_only=True))   # b=None as before
    close(lsl.eigvalsh(a), sl.eigvalsh(a))
    with pytest.raises(NotImplementedError, match="subset_by_value"):
        lsl.eigh(a, b, subset_by_value=(0.0, 1.0))
    with pytest.raises(ValueError, match="type"):
        lsl.eigh(a, b, type=4)


def test_eigh_generalized_jit_and_grads():
    a, b = sym(4, 3), spd(5, 3)

    def recon(a, b):            # v diag(w) vᵀ: invariant to the eigenvectors' signs
        w, v = lsl.eigh(a, b)
        return v @ (w[:, None] * v.T)

    ws, vs = sl.eigh(a, b)
    check_jit(recon, (a, b), vs @ np.diag(ws) @ vs.T)
    check_jit(lambda a, b: lsl.eigvalsh(a, b, type=2), (a, b), sl.eigvalsh(a, b, type=2))
    check_grads(recon, (a, b), order=2)
    check_grads(lambda a, b: lsl.eigvalsh(a, b, type=3, lower=False), (a, b), order=2)
    got = lt.vmap(lambda a: lsl.eigvalsh(a, b))(np.stack([a, 2 * a]))
    close(got, np.stack([ws, 2 * ws]))


# ---------------------------------------------------------------- lstsq


@pytest.mark.parametrize("shape_a,shape_b", [((5, 3), (5,)), ((5, 3), (5, 2)),
                                             ((3, 4), (3,)), ((5, 3), "deficient")])
def test_lstsq_values(shape_a, shape_b):
    a = rand(6, *shape_a)
    if shape_b == "deficient":          # rank 2 < n: empty residues
        a[:, 2] = a[:, 0] + a[:, 1]
        shape_b = (5,)
    b = rand(7, *shape_b)
    x, res, rank, s = lsl.lstsq(a, b)
    xs, ress, ranks, ss = sl.lstsq(a, b)
    close(x, xs, 1e-8, 1e-10)
    close(res, ress, 1e-8, 1e-10)
    assert int(rank) == ranks
    close(s, ss)


def test_lstsq_cond_jit_and_grads():
    a, b = rand(8, 5, 3), rand(9, 5, 2)
    a[:, 2] = a[:, 0] + 1e-9 * a[:, 1]              # one tiny singular value
    for cond in (None, 1e-6):
        got, want = lsl.lstsq(a, b, cond=cond), sl.lstsq(a, b, cond=cond)
        close(got[0], want[0], 1e-6, 1e-8)
        assert int(got[2]) == want[2]
    a = rand(10, 5, 3)
    x, res, rank, s = sl.lstsq(a, b)
    check_jit(lambda a, b: lsl.lstsq(a, b), (a, b), (x, res, np.int32(rank), s))
    check_grads(lambda a, b: lsl.lstsq(a, b)[0], (a, b), order=2)
    check_grads(lambda a, b: lsl.lstsq(a, b)[1], (a, b), order=1)


# ---------------------------------------------------------------- null_space and orth


def projector(q):
    return q @ lnp.conj(q).T


def test_null_space_orth_values():
    wide = rand(11, 3, 5)
    deficient = rand(12, 5, 2) @ rand(13, 2, 4)                    # rank 2
    for a in (wide, deficient, wide.T, rand(14, 3, 3, cplx=True)):
        close(lsl.null_space(a), sl.null_space(a), 1e-9, 1e-12)
        close(lsl.orth(a), sl.orth(a), 1e-9, 1e-12)
    close(lsl.null_space(deficient, rcond=1e-20), sl.null_space(deficient, rcond=1e-20),
          1e-9, 1e-12)
    assert lsl.null_space(np.eye(3)).shape == (3, 0)


def test_null_space_orth_grads():
    b, c = rand(15, 5, 2), rand(16, 2, 4)

    def null_proj(b, c):        # rank 2 along every direction of b and c
        return projector(lsl.null_space(b @ c))

    def orth_proj(b, c):
        return projector(lsl.orth(b @ c))

    check_grads(null_proj, (b, c), order=2)
    check_grads(orth_proj, (b, c), order=2)
    wide = rand(17, 3, 5)
    g = lt.grad(lambda a: lnp.sum(projector(lsl.null_space(a)) * (wide.T @ wide)))(wide)
    close(g.shape, wide.shape)


@pytest.mark.parametrize("fn", [lsl.null_space, lsl.orth])
def test_null_space_orth_under_jit(fn):
    with pytest.raises(lt.ConcretizationError, match=fn.__name__):
        lt.jit(fn)(rand(18, 3, 4))


# ---------------------------------------------------------------- polar


@pytest.mark.parametrize("shape,side", [((3, 3), "right"), ((4, 3), "left"),
                                        ((3, 4), "right")])
def test_polar(shape, side):
    a = rand(19, *shape)
    u, p = lsl.polar(a, side)
    us, ps = sl.polar(a, side)
    close(u, us)
    close(p, ps)
    check_grads(lambda a: lsl.polar(a, side), (a,), order=2)


def test_polar_jit_and_complex():
    a = rand(20, 3, 3, cplx=True)
    for got, want in zip(lsl.polar(a, "left"), sl.polar(a, "left")):
        close(got, want)
    a = rand(21, 3, 3)
    check_jit(lambda a: lsl.polar(a), (a,), sl.polar(a))
    with pytest.raises(ValueError, match="side"):
        lsl.polar(a, "up")


# ---------------------------------------------------------------- Lyapunov equations


def test_continuous_lyapunov():
    a, q = rand(22, 3, 3) - 2 * np.eye(3), rand(23, 3, 3)
    close(lsl.solve_continuous_lyapunov(a, q), sl.solve_continuous_lyapunov(a, q))
    ac, qc = a + 0.5j * rand(24, 3, 3), rand(25, 3, 3, cplx=True)
    close(lsl.solve_continuous_lyapunov(ac, qc), sl.solve_continuous_lyapunov(ac, qc))
    check_jit(lsl.solve_continuous_lyapunov, (a, q), sl.solve_continuous_lyapunov(a, q))
    check_grads(lsl.solve_continuous_lyapunov, (a, q), order=2)


@pytest.mark.parametrize("method", [None, "direct", "bilinear"])
def test_discrete_lyapunov(method):
    a, q = 0.3 * rand(26, 3, 3), rand(27, 3, 3)
    want = sl.solve_discrete_lyapunov(a, q)
    close(lsl.solve_discrete_lyapunov(a, q, method), want)
    ac, qc = 0.3 * rand(28, 3, 3, cplx=True), rand(29, 3, 3, cplx=True)
    close(lsl.solve_discrete_lyapunov(ac, qc, method), sl.solve_discrete_lyapunov(ac, qc))
    if method is None:
        check_jit(lsl.solve_discrete_lyapunov, (a, q), want)
        got = lt.vmap(lsl.solve_discrete_lyapunov)(np.stack([a, -a]), np.stack([q, q]))
        close(got, np.stack([want, sl.solve_discrete_lyapunov(-a, q)]))
        with pytest.raises(ValueError, match="method"):
            lsl.solve_discrete_lyapunov(a, q, "schur")
    check_grads(lambda a, q: lsl.solve_discrete_lyapunov(a, q, method), (a, q), order=2)
