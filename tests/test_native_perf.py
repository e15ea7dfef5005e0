"""Native lowerings made for speed (``benchmarks``: gmm, kmeans, lse), each checked against
the interpreter backend on the shape it was made for: results to rounding, NaN and inf where
NumPy has them."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.backends import native as nat
from lintra.jit import make_program

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

if nat.available:
    from lintra.backends.native import arena, backend


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
