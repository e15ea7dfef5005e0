"""The native backend's register VM (long straight-line programs): the values of the
interpreter and of closed forms on every kind of equation it encodes, programs it cannot
encode still compile, and the compiled entry's argument checks."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.backends import native as nat
from lintra.core import config

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

if nat.available:
    from lintra.backends.native import backend as nb
    from lintra.backends.native import vm
    from lintra.backends.native.vm import VMExecutable

RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def small_vm_threshold(monkeypatch):
    """Programs of 20+ equations go to the VM here (2000 by default), and the Python loops
    below stay unrolled under grad (rolled into a scan, they would compile)."""
    monkeypatch.setattr(nb, "VM_MIN_EQNS", 20)
    monkeypatch.setattr(config, "reroll_loops", False)


def on_vm(f, *args):
    """f jitted natively, run by the VM (not compiled, not interpreted), and the
    interpreter's values."""
    jf = lt.jit(f, backend="native")
    exe, _ = jf.executable(*args)
    assert isinstance(exe, VMExecutable), list(vm.vm_declined)[-2:]
    out = jf(*args)
    ref = lt.jit(f, backend="interpret")(*args)
    for a, b in zip(lt.tree_leaves(out), lt.tree_leaves(ref)):
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        tol = 1e-5 if np.asarray(b).dtype == np.float32 else 1e-12
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)
    return out


def scalar_loop(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + lnp.sin(x[i]) * lnp.cos(x[i + 1])
    return s


def test_scalar_loop_gradient_matches_closed_form():
    x = RNG.uniform(-2, 2, 60)
    g = on_vm(lt.grad(scalar_loop), x)
    want = np.zeros_like(x)
    want[:-1] += np.cos(x[:-1]) * np.cos(x[1:])
    want[1:] -= np.sin(x[:-1]) * np.sin(x[1:])
    np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(on_vm(scalar_loop, x), np.sum(np.sin(x[:-1]) * np.cos(x[1:])),
                               rtol=1e-12)


def physics(p, v):
    """Small vectors, broadcasting, reductions, comparisons and where: a particle step."""
    for _ in range(6):
        r = lnp.sqrt(lnp.sum(p * p, axis=-1, keepdims=True))
        f = -p / (r ** 3 + 0.1)
        v = v + 0.01 * f
        v = lnp.where(p[:, :1] > 1.5, -v, v)
        p = p + 0.01 * v
    return lnp.sum(lnp.max(p, axis=0)) + lnp.min(v) + lnp.prod(lnp.tanh(p[0]))


def test_array_operations_and_their_gradient():
    p, v = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    on_vm(physics, p, v)
    on_vm(lt.grad(physics, argnums=(0, 1)), p, v)


def shapes(x):
    y = lnp.concatenate([x[::-1], x[1:3] * 2.0, lnp.pad(x, (1, 2))])
    z = lnp.reshape(y, (3, -1)).T if y.shape[0] % 3 == 0 else y
    w = lnp.broadcast_to(x[:3], (2, 3)) * lnp.exp(-x[3:6])
    for k in range(5):
        w = w + lnp.sin(w * k)
    return lnp.sum(z) + lnp.sum(w) + lnp.sum(lnp.cumsum(x[:2]) if False else x[:2])


def test_data_movement():
    x = RNG.standard_normal(9)
    on_vm(shapes, x)
    on_vm(lt.grad(shapes), x)


def test_repeated_indices_accumulate():
    def f(x):
        y = lnp.zeros(4).at[np.array([0, 2, 0, 0, 3])].add(x[:5] * x[1:6])
        for _k in range(8):
            y = y * 1.01 + lnp.sin(y)
        return lnp.sum(y * y)
    x = RNG.standard_normal(6)
    on_vm(f, x)
    on_vm(lt.grad(f), x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtypes_and_special_values(dtype):
    def f(x):
        acc = x[0]
        for i in range(1, x.shape[0]):
            acc = lnp.maximum(acc, x[i]) + lnp.log(lnp.abs(x[i])) * 0.0 + x[i] / x[0]
        return acc, lnp.isnan(acc), x.astype(np.float32) * 2
    x = np.array([1.0, -0.0, 0.0, np.inf, -np.inf, np.nan, 2.0] * 4, dtype)
    with np.errstate(all="ignore"):
        on_vm(f, x)


def test_literals_keep_signed_zero():
    def f(x):
        s = x[0]
        for i in range(30):
            s = s + x[i % 3] * (-0.0) + 0.0 * i
        return s, 1.0 / (x[1] * -0.0)
    with np.errstate(all="ignore"):
        out = on_vm(f, np.array([0.0, 1.0, 2.0]))
    assert out[1] == -np.inf


def test_programs_it_cannot_encode_still_compile():
    def ints(x, n):
        s = x[0]
        for i in range(25):
            s = s * n + x[i % 2]
        return s
    jf = lt.jit(ints, backend="native")
    exe, _ = jf.executable(np.ones(2), np.int64(2))
    assert not isinstance(exe, VMExecutable)
    assert jf(np.ones(2), np.int64(2)) == lt.jit(ints, backend="interpret")(np.ones(2),
                                                                           np.int64(2))

    def looped(x):
        s = lt.fori_loop(0, 3, lambda i, s: s + x[i], 0.0)
        return scalar_loop(x) + s
    before = len(nat.fallbacks)
    exe, _ = lt.jit(looped, backend="native").executable(np.ones(30))
    assert not isinstance(exe, VMExecutable)
    assert len(nat.fallbacks) == before         # compiled, not interpreted


def test_wrong_argument_is_a_type_error():
    jf = lt.jit(lt.grad(scalar_loop), backend="native")
    x = RNG.standard_normal(30)
    exe, _ = jf.executable(x)
    assert isinstance(exe, VMExecutable)
    with pytest.raises(TypeError, match="argument 0 must be a float64\\[30\\]"):
        exe.entry(x.astype(np.float32))
    with pytest.raises(TypeError, match="takes 1 arguments"):
        exe.entry(x, x)


def test_vm_is_shared_by_programs_with_the_same_operations():
    a = lt.jit(lt.grad(scalar_loop), backend="native")
    b = lt.jit(lambda x: lt.grad(scalar_loop)(x * 1.0), backend="native")
    x = RNG.standard_normal(25)
    ea, _ = a.executable(x)
    eb, _ = b.executable(x + 1)
    assert ea.vm is eb.vm and len(vm._vms) >= 1


def test_large_elementwise_values_compile_instead():
    def f(x):
        for _ in range(25):
            x = lnp.sin(x) * 1.5
        return x
    exe, _ = lt.jit(f, backend="native").executable(np.ones(5000))
    assert not isinstance(exe, VMExecutable)
