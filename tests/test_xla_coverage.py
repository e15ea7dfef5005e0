"""interpret == xla for the primitive families lowered in ``backends/xla/rules_more.py``:
complex numbers, FFT, sorting, ``scipy.special`` and the decompositions / matrix functions,
values and derivatives (of gauge-invariant functions where a decomposition has a gauge)."""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("jax", reason="the xla backend needs JAX (pip install lintra[xla])")
pytest.importorskip("scipy")

import lintra as lt  # noqa: E402
import lintra.numpy as lnp  # noqa: E402
import lintra.scipy.linalg as lsl  # noqa: E402
import lintra.scipy.special as lss  # noqa: E402
from lintra.core.primitive import registry  # noqa: E402
from lintra.ops.complex import complex as lax_complex  # noqa: E402

xla = importlib.import_module("lintra.backends.xla")

RNG = np.random.default_rng(0)


def _leaves(x):
    if isinstance(x, (list, tuple)):
        return [y for item in x for y in _leaves(item)]
    if hasattr(x, "_fields") or (hasattr(x, "__iter__") and not hasattr(x, "shape")):
        return [y for item in x for y in _leaves(item)]
    return [np.asarray(x)]


def same(f, *args, rtol=1e-9, atol=1e-11):
    """``f`` staged on the interpreter and on XLA gives the same values and dtypes."""
    want = lt.jit(f, backend="interpret")(*args)
    got = lt.jit(f, backend="xla")(*args)
    for w, g in zip(_leaves(want), _leaves(got), strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def test_only_function_values_are_not_lowered():
    # less the primitives that tests make (test_vmap's, test_xla's) when run in one process
    missing = xla.missing_lowerings([p for p in registry.values()
                                     if not p.name.startswith("test_")])
    assert all(name.startswith("fn_") for name in missing), missing
    assert "gammainc_da" not in missing


# ---------------------------------------------------------------- complex

def test_complex_parts_and_elementwise():
    x, y = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))

    def f(x, y):
        z = lnp.exp(lax_complex(x, y)) * (1 + 2j)
        return lnp.real(z), lnp.imag(z), lnp.conj(z), lnp.abs(z) + lnp.angle(z)
    same(f, x, y)
    same(lt.grad(lambda x, y: lnp.sum(lnp.abs(lnp.sin(lax_complex(x, y))) ** 2),
                 argnums=(0, 1)), x, y)


# ---------------------------------------------------------------- FFT

def test_fft_transforms_and_grads():
    x = RNG.normal(size=(4, 6))
    z = x + 1j * RNG.normal(size=(4, 6))

    def f(x, z):
        return (lnp.fft.fft(z), lnp.fft.ifft(z, n=5), lnp.fft.fft2(z), lnp.fft.ifftn(z),
                lnp.fft.rfft(x), lnp.fft.rfft2(x), lnp.fft.irfft(z, n=7),
                lnp.fft.irfftn(z, s=(4, 6)))
    same(f, x, z)

    def loss(x):
        return lnp.sum(lnp.abs(lnp.fft.rfft2(x)) ** 2) + lnp.sum(lnp.fft.irfft(
            lnp.fft.fft(x) * 1j, n=6))
    same(lt.grad(loss), x)


# ---------------------------------------------------------------- sorting

def test_sort_argsort_partition():
    x = RNG.normal(size=(3, 7))
    x[1, 2] = x[1, 5]           # a tie: stable order
    same(lambda x: (lnp.sort(x), lnp.argsort(x), lnp.argsort(x, axis=0),
                    lnp.sort(x, axis=None)), x)
    # a partition's order within each side is unspecified: compare what is determined
    same(lambda x: (lnp.partition(x, 3)[:, 3], lnp.sort(lnp.partition(x, 3)[:, :3]),
                    lnp.take_along_axis(x, lnp.argpartition(x, (1, 4)), -1)[:, 4]), x)
    same(lt.grad(lambda x: lnp.sum(lnp.sort(x)[:, :3] ** 2)), x)


# ---------------------------------------------------------------- scipy.special

_UNARY = {
    "erfc": (-2, 2), "erfinv": (-0.9, 0.9), "erfcinv": (0.1, 1.9), "ndtr": (-3, 3),
    "log_ndtr": (-3, 3), "ndtri": (0.05, 0.95), "gammaln": (0.5, 4), "digamma": (0.5, 4),
    "gamma": (0.5, 4), "rgamma": (0.5, 4), "logit": (0.1, 0.9), "entr": (0.1, 2),
    "i0": (-3, 3), "i0e": (-3, 3), "i1": (-3, 3), "i1e": (-3, 3), "j0": (0.5, 5),
    "j1": (0.5, 5), "y0": (0.5, 5), "y1": (0.5, 5),
}


@pytest.mark.parametrize("name", sorted(_UNARY))
def test_special_unary(name):
    lo, hi = _UNARY[name]
    x = RNG.uniform(lo, hi, size=5)
    fn = getattr(lss, name)
    same(lambda x: fn(x), x)
    same(lt.grad(lambda x: lnp.sum(fn(x))), x, rtol=1e-7)


_BINARY = {
    "beta": ((0.5, 3), (0.5, 3)), "betaln": ((0.5, 3), (0.5, 3)),
    "gammainc": ((0.5, 3), (0.1, 4)), "gammaincc": ((0.5, 3), (0.1, 4)),
    "xlogy": ((-2, 2), (0.1, 3)), "xlog1py": ((-2, 2), (-0.5, 3)),
    "iv": ((0.5, 3), (0.1, 4)), "ive": ((0.5, 3), (0.1, 4)), "kv": ((0.5, 3), (0.1, 4)),
}


@pytest.mark.parametrize("name", sorted(_BINARY))
def test_special_binary(name):
    (a0, a1), (b0, b1) = _BINARY[name]
    a, b = RNG.uniform(a0, a1, size=4), RNG.uniform(b0, b1, size=4)
    fn = getattr(lss, name)
    same(fn, a, b)
    # the derivative in every argument lintra differentiates (the orders of the Bessel
    # functions are constants)
    argnums = 1 if name in ("iv", "ive", "kv") else (0, 1)
    same(lt.grad(lambda a, b: lnp.sum(fn(a, b)), argnums=argnums), a, b, rtol=1e-7)


def test_special_integer_orders_and_betainc():
    x = RNG.uniform(0.5, 4, size=4)
    n = np.array([0.0, 1.0, 2.0, 3.0])
    same(lambda x: (lss.jn(2, x), lss.yn(1, x), lss.polygamma(n, x)), x)
    same(lt.grad(lambda x: lnp.sum(lss.jn(2, x) + lss.yn(1, x) + lss.polygamma(1, x))), x,
         rtol=1e-7)
    a, b, t = RNG.uniform(0.5, 3, 4), RNG.uniform(0.5, 3, 4), RNG.uniform(0.1, 0.9, 4)
    same(lss.betainc, a, b, t, rtol=1e-8)
    same(lt.grad(lambda a, b, t: lnp.sum(lss.betainc(a, b, t)), argnums=(0, 1, 2)), a, b, t,
         rtol=1e-6)


# ---------------------------------------------------------------- linear algebra

def _sym(n):
    a = RNG.normal(size=(n, n))
    return a + a.T


def test_decompositions_values():
    a = RNG.normal(size=(2, 4, 3))
    s = _sym(4)

    def f(a, s):
        w, v = lnp.linalg.eigh(s)
        u, sv, vt = lnp.linalg.svd(a, full_matrices=False)
        q, r = lnp.linalg.qr(a)
        return (w, v @ lnp.diag(w) @ v.T, sv, (u * sv[..., None, :]) @ vt, q @ r,
                lnp.abs(lnp.diagonal(r, axis1=-2, axis2=-1)), lnp.linalg.pinv(a),
                lnp.linalg.svd(a, compute_uv=False))
    same(f, a, s)
    sq = RNG.normal(size=(4, 4))
    same(lambda a: lsl.lu(a), sq)
    same(lambda a: lsl.lu_factor(a), sq)

    def eigs(a):
        w, v = lnp.linalg.eig(a)
        return w, lnp.abs(v)
    same(eigs, sq)


def test_decomposition_grads():
    a, s = RNG.normal(size=(4, 3)), _sym(4)

    def loss(a, s):
        w, v = lnp.linalg.eigh(s)
        sv = lnp.linalg.svd(a, compute_uv=False)
        q, r = lnp.linalg.qr(a)
        p, lower, upper = lsl.lu(s)
        return (lnp.sum(w ** 3) + lnp.sum(v[:, 0] ** 2 * lnp.arange(4.0) ** 0)
                + lnp.sum(sv ** 2) + lnp.sum(q @ r) + lnp.sum(r ** 2)
                + lnp.sum(lnp.linalg.pinv(a)) + lnp.sum(lower @ upper))
    same(lt.grad(loss, argnums=(0, 1)), a, s, rtol=1e-7, atol=1e-9)
    same(lt.grad(lambda a: lnp.sum(lnp.abs(lnp.linalg.eigvals(a)) ** 2)),
         RNG.normal(size=(3, 3)), rtol=1e-7)


def test_matrix_functions_and_grads():
    a = 0.3 * RNG.normal(size=(2, 3, 3))
    s = _sym(3)
    spd = s @ s.T + 3 * np.eye(3)       # one matrix times its transpose: SPD whatever the seed
    b = RNG.normal(size=(2, 2)) + 4 * np.eye(2)
    c = RNG.normal(size=(3, 2))

    def f(a, spd, b, c):
        return lsl.expm(a), lsl.sqrtm(spd), lsl.solve_sylvester(spd, b, c)
    same(f, a, spd, b, c)

    def loss(a, spd, b, c):
        return (lnp.sum(lsl.expm(a) ** 2) + lnp.sum(lsl.sqrtm(spd))
                + lnp.sum(lsl.solve_sylvester(spd, b, c) ** 2))
    same(lt.grad(loss, argnums=(0, 1, 2, 3)), a, spd, b, c, rtol=1e-7, atol=1e-9)


def test_vmap_of_host_lowered_primitive():
    x = RNG.uniform(0.5, 3, size=(3, 4))
    same(lt.vmap(lambda r: lss.kv(1.5, r) + lss.polygamma(2, r)), x)


def test_lowerings_of_primitives_registered_after_the_backend():
    """``lintra.scipy`` imported after the backend: its primitives are lowered all the same."""
    code = ("import numpy as np, lintra as lt\n"
            "from lintra.backends import xla\n"
            "from lintra.core.primitive import registry\n"
            "import lintra.scipy.special as lss\n"
            "assert all(n.startswith('fn_') for n in xla.missing_lowerings(registry.values()))\n"
            "x = np.array([0.5, 1.5])\n"
            "np.testing.assert_allclose(lt.jit(lss.gammaln, backend='xla')(x),\n"
            "                           lt.jit(lss.gammaln, backend='interpret')(x))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
