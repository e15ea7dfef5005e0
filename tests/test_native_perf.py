"""Native lowerings made for speed (``benchmarks``: gmm, kmeans, lse), each checked against
the interpreter backend on the shape it was made for: results to rounding, NaN and inf where
NumPy has them."""

import ctypes
import os

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.backends import native as nat
from lintra.jit import make_program

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

if nat.available:
    from lintra.backends.native import arena, backend
    from lintra.backends.native.blas import threads_addresses
    from lintra.backends.native.fusion import recomputed


def _both(f, *args):
    return (lt.tree_leaves(lt.jit(f, backend="native")(*args)),
            lt.tree_leaves(lt.jit(f, backend="interpret")(*args)))


@pytest.mark.parametrize("budget", [0, 1 << 40])
def test_arena_blocks_of_megabytes_are_advised_into_huge_pages(monkeypatch, budget):
    """A fresh arena of several huge pages is ``madvise``d (freed and taken again on every
    call when over the budget, kept when under): the values are the interpreter's either way."""
    monkeypatch.setattr(arena, "BUDGET", budget)       # (read when the code is emitted)
    x = np.linspace(-3, 3, 1_000_000)
    x[:3] = [np.nan, np.inf, -np.inf]

    def f(x):
        e = lnp.exp(x * 0.5)                          # 8 MB, read twice: in the arena
        return lnp.sum(lnp.where(lnp.isfinite(e), e * e[::-1], 0.0)), e[:4] + 1.0
    program = make_program(f)(x)
    _, text = backend._whole(program)
    assert ("madvise" in text) == arena.ADVISE
    exe = nat.compile_native(program)
    want = lt.jit(f, backend="interpret")(x)
    for _ in range(3):
        got = exe([x])
        np.testing.assert_allclose(got[0], want[0], rtol=1e-13)
        np.testing.assert_array_equal(got[1], want[1])


def test_default_arena_budget_is_a_sixteenth_of_memory_within_bounds():
    b = arena._default_budget()
    assert 256 << 20 <= b <= 1 << 30
    ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert b == min(max(ram // 16, 256 << 20), 1 << 30)


def _blas_threads():
    found = threads_addresses()
    if found is None:
        pytest.skip("no OpenBLAS thread functions")
    return ctypes.CFUNCTYPE(ctypes.c_int)(found[0])


@pytest.mark.parametrize("shapes", [((50, 1000, 20), (50, 20, 20)),     # batched (gmm)
                                    ((40, 30), (30, 50)),                # small
                                    ((300, 256), (256, 300)),            # 2^24.4: threads
                                    ((2, 300, 256), (2, 256, 300))])
def test_products_on_one_blas_thread_match_the_interpreter(shapes):
    """Products under ``BLAS_ONE_THREAD`` run on one BLAS thread, then the count is set back."""
    rng = np.random.default_rng(3)
    a, b = (rng.standard_normal(s) for s in shapes)
    a.flat[:2] = [np.nan, np.inf]
    get = _blas_threads()
    before = get()
    got, want = _both(lambda a, b: lnp.matmul(a, b) * 2.0, a, b)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-13, atol=1e-13)
    assert np.isnan(got[0]).sum() == np.isnan(want[0]).sum()
    assert get() == before


def _kmeans_newton(P, C):
    def cost(C):
        return lnp.sum(lnp.min(lnp.sum((P[:, None, :] - C[None, :, :]) ** 2, axis=2), axis=1))
    J, HJ = lt.jvp(lt.grad(cost), (C,), (lnp.ones_like(C),))
    return J / HJ


def test_cheap_values_read_in_several_loops_are_recomputed_not_materialized():
    """``P[:, None] - C[None]`` of the kmeans Hessian-vector product, read by two reductions,
    is recomputed in each (fusion.recomputed); values from large arrays read three times and
    costly ones (exp) are still materialized."""
    rng = np.random.default_rng(5)
    P = rng.standard_normal((300, 4))
    C = P[:7] + 0.01 * rng.standard_normal((7, 4))

    def names(f, *args):
        p = make_program(f)(*args)
        ids = recomputed(p)
        return sorted(e.prim.name for e in p.eqns if id(e.outputs[0]) in ids)

    assert names(_kmeans_newton, P, C) == ["sub"]
    x = np.linspace(-2, 2, 500)
    x[:3] = [np.nan, np.inf, -np.inf]

    def three_reads(x, y):
        e = x - y                                       # as large as its inputs: materialized
        return lnp.sum(e * 2.0), lnp.max(e), lnp.min(e * e)

    def costly(x):
        e = lnp.exp(x)
        return lnp.sum(e * 2.0), lnp.max(e)

    def two_reads(x, y):
        e = x[:, None] * y[None, :]                     # from smaller arrays: recomputed
        return lnp.sum(e * 2.0, axis=0), lnp.max(e + 1.0, axis=1), lnp.min(e)
    assert names(three_reads, x, x[::-1]) == [] and names(costly, x) == []
    assert names(two_reads, x, x[:40]) == ["mul"]
    for f, args in [(_kmeans_newton, (P, C)), (three_reads, (x, x[::-1])), (costly, (x,)),
                    (two_reads, (x, x[:40]))]:
        for got, want in zip(*_both(f, *args)):
            np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)


def test_programs_start_at_o1_only_for_large_elementwise_work():
    """O1 first is for long elementwise loops over large arrays; a loop's or a call's own
    outputs (stacked residuals) do not count: their work is in the body and callees."""
    from lintra.backends.native.backend import _big
    big = np.zeros(1 << 20)
    assert _big(lt.make_program(lambda x: lnp.sum(lnp.sin(x) * lnp.cos(x)))(big))
    assert not _big(lt.make_program(lambda x: lnp.sum(lnp.sin(x)))(np.zeros(8)))
    looped = lt.make_program(lambda xs: lt.scan(lambda c, x: (c + lnp.sin(x), c * x),
                                                0.0, xs))(big)
    assert not _big(looped)
