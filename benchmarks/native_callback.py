"""The cost of a host callback in native code (``backends/native/callback.py``): a
``fori_loop`` of n steps whose body has one equation without a native lowering, compiled
natively (one callback per step) vs the interpreter, and the primitive's ``impl`` called
directly from Python on the same arrays (what the callback runs). Overhead per callback =
(native time per step) - (impl call). Small ``solve``s, natively lowered, for comparison.

    python -m benchmarks.native_callback [--n 20000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

os.environ.setdefault("LINTRA_CACHE_DIR", tempfile.mkdtemp(prefix="lintra-bench-cache-"))

import lintra as lt  # noqa: E402
import lintra.numpy as lnp  # noqa: E402
import lintra.scipy.special as lss  # noqa: E402
from lintra.backends import native  # noqa: E402
from lintra.backends.native import callback  # noqa: E402
from lintra.core.eval import unchecked_impls  # noqa: E402
from lintra.core.primitive import Primitive, registry  # noqa: E402


def best(f, *args, reps: int = 5) -> float:
    f(*args)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f(*args)
        ts.append(time.perf_counter() - t0)
    return min(ts)


# a primitive whose impl does nothing: the cost of the callback machinery alone
noop_p = Primitive("bench_noop")
noop_p.def_impl(lambda x: x)
noop_p.def_shape(lambda x: x)


def cases(n: int):
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])

    def noop_loop(x):
        return lt.fori_loop(0, n, lambda i, c: 0.5 * noop_p.bind(c), x)

    def erfc_loop(x):
        return lt.fori_loop(0, n, lambda i, c: c + 1e-6 * lss.erfc(c), x)

    def solve_loop(x):
        return lt.fori_loop(0, n, lambda i, c: 0.5 * c + lnp.linalg.solve(a, c), x)

    def eigh_loop(x):
        return lt.fori_loop(0, n, lambda i, c: 0.5 * c + 1e-3 * lnp.linalg.eigh(a * c[0])[0],
                            x)

    yield "no-op (scalar)", noop_loop, (np.array(0.3),), ("bench_noop", np.array(0.3)), 1
    yield "erfc (scalar)", erfc_loop, (np.array(0.3),), ("erfc", np.array(0.3)), 1
    yield "eigh 3x3", eigh_loop, (np.ones(3),), ("eigh", a, ), 1
    # small solves are native loops (ops/native_linalg.py): no callback at all
    yield "solve 3x3", solve_loop, (np.ones(3),), ("solve", a, np.ones((3, 1))), 0


def impl_time(name: str, *args, n: int) -> float:
    p = registry[name]
    impl = unchecked_impls.get(p, p.impl)
    t0 = time.perf_counter()
    for _ in range(n):
        impl(*args)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    n = ap.parse_args().n
    print(f"{'case':<16}{'native µs/step':>16}{'interp µs/step':>16}{'impl call µs':>14}"
          f"{'overhead µs':>13}")
    for name, f, args, bare, per_step in cases(n):
        nat = lt.jit(f, backend="native")
        before = sum(callback.calls.values())
        nat(*args)
        assert sum(callback.calls.values()) - before == n * per_step
        assert not [fb for fb in native.fallbacks if fb[0] == f.__name__]
        np.testing.assert_allclose(nat(*args), lt.jit(f, backend="interpret")(*args))
        native.wait_for_tier_up(start=True)
        t_nat = best(nat, *args) / n * 1e6
        t_int = best(lt.jit(f, backend="interpret"), *args, reps=2) / n * 1e6
        t_bare = min(impl_time(*bare, n=n) for _ in range(3))
        over = f"{t_nat - t_bare:>13.2f}" if per_step else f"{'(native)':>13}"
        print(f"{name:<16}{t_nat:>16.2f}{t_int:>16.2f}{t_bare:>14.2f}{over}")


if __name__ == "__main__":
    main()
