"""``lintra.numpy.fft``: values against NumPy for every transform, n/s, axes and norm; the one
linear ``fft`` primitive's transposes checked by the dot-product test (check_grads, order 2,
both modes) and against ``jax.numpy.fft``'s vjps (rfft's zero-pad, irfft's Hermitian
weights); eager == staged; vmap; errors."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.ops import fft as F
from lintra.test_util import check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6))
Z = X + 1j * RNG.standard_normal((4, 6))
NORMS = [None, "backward", "ortho", "forward"]


def close(a, b, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


# (name, input, keyword arguments): complex transforms take Z, real ones X
CASES = [
    ("fft", Z, {}), ("fft", Z, {"n": 9, "axis": 0}), ("fft", Z, {"n": 4}),
    ("ifft", Z, {}), ("ifft", Z, {"n": 5, "axis": 0}),
    ("fft2", Z, {}), ("ifft2", Z, {"s": (3, 8)}),
    ("fftn", Z, {}), ("fftn", Z, {"s": (5, 4), "axes": (1, 0)}), ("ifftn", Z, {"axes": (0,)}),
    ("rfft", X, {}), ("rfft", X, {"n": 7}), ("rfft", X, {"n": 3, "axis": 0}),
    ("rfft2", X, {}), ("rfftn", X, {}), ("rfftn", X, {"s": (3, 5), "axes": (1, 0)}),
    ("irfft", Z, {}), ("irfft", Z, {"n": 7}), ("irfft", Z, {"n": 6, "axis": 0}),
    ("irfft", Z, {"n": 13}),
    ("irfft2", Z, {}), ("irfftn", Z, {"s": (3, 7), "axes": (0, 1)}),
    ("irfftn", Z, {"axes": (1, 0)}),
    ("fft", X, {}),                                   # real input to a complex transform
]
IDS = [f"{n}-{k}" for n, _, k in CASES]


def _fns(name, kw, norm):
    kw = dict(kw, norm=norm)
    return (lambda a: getattr(lnp.fft, name)(a, **kw),
            lambda a: getattr(jnp.fft, name)(a, **kw),
            lambda a: getattr(np.fft, name)(a, **kw))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_numpy(case, norm):
    name, a, kw = case
    f, _, nf = _fns(name, kw, norm)
    want = nf(a)
    got = f(a)
    assert np.asarray(got).dtype == want.dtype
    close(got, want)
    close(lt.jit(f)(a), want)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_grads_order_2_and_staged(case):
    name, a, kw = case
    for norm in (None, "ortho"):
        f = _fns(name, kw, norm)[0]
        check_grads(f, [a], order=2)           # the dot-product test checks every transpose
        check_staged(f, [a])


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vjp_jvp_and_grad_match_jax(case, norm):
    name, a, kw = case
    f, jf, _ = _fns(name, kw, norm)
    out, jv = jax.vjp(jf, a)
    shape = out.shape
    ct = RNG.standard_normal(shape) + (1j * RNG.standard_normal(shape)
                                        if np.iscomplexobj(out) else 0)
    close(lt.vjp(f, a)[1](ct)[0], jv(ct)[0])                        # eager
    close(lt.jit(lambda a, c: lt.vjp(f, a)[1](c)[0])(a, ct), jv(ct)[0])   # staged
    t = RNG.standard_normal(a.shape) + (1j * RNG.standard_normal(a.shape)
                                        if np.iscomplexobj(a) else 0)
    close(lt.jvp(f, (a,), (t,))[1], jax.jvp(jf, (a,), (t,))[1])
    w = np.cos(np.arange(out.size)).reshape(shape)
    loss = lambda m, g: lambda a: m.sum(w * m.abs(g(a)) ** 2)  # noqa: E731
    close(lt.grad(loss(lnp, f))(a), jax.grad(loss(jnp, jf))(a))


def test_irfft_transpose_weights_by_hand():
    """irfft reads X_0 (and X_{n/2}, n even) once and every other kept X_k twice (as X_k and
    conj X_k at n - k): its transpose is conj(rfft(ct)) * w / n, w = 1 or 2."""
    for n in (6, 7):
        m = n // 2 + 1
        ct = RNG.standard_normal(n)
        w = np.full(m, 2.0)
        w[0] = 1.0
        if n % 2 == 0:
            w[-1] = 1.0
        got = lt.vjp(lambda x, n=n: F.fft(x, "irfft", (n,)), np.zeros(m, complex))[1](ct)[0]
        close(got, np.conj(np.fft.rfft(ct)) * w / n)
        got = lt.vjp(lambda x, n=n: F.fft(x, "rfft", (n,)), np.zeros(n))[1](
            np.fft.rfft(ct).conj())[0]
        close(got, np.real(np.fft.fft(np.concatenate([np.fft.rfft(ct).conj(),
                                                      np.zeros(n - m)]))))


def test_roundtrips_and_parseval():
    close(lnp.fft.ifft(lnp.fft.fft(Z)), Z)
    close(lnp.fft.irfft(lnp.fft.rfft(X), n=6), X)
    close(lnp.fft.irfftn(lnp.fft.rfftn(X), s=X.shape), X)
    f = lambda x: lnp.sum(lnp.abs(lnp.fft.fft(x, norm="ortho")) ** 2)  # noqa: E731
    close(f(Z), np.sum(np.abs(Z) ** 2))
    close(lt.grad(f)(Z), 2 * np.conj(Z))            # |fft_ortho z|^2 = |z|^2: 2 conj(z)


def test_vmap():
    zs = np.stack([Z, 2 * Z, Z.conj()])
    xs = np.stack([X, -X])
    for name, arg, kw in [("fft", zs, {"axis": 0}), ("ifft2", zs, {}), ("rfft", xs, {}),
                          ("irfft", zs, {"n": 5}), ("rfftn", xs, {"s": (3, 4)}),
                          ("irfftn", zs, {})]:
        f, jf, _ = _fns(name, kw, None)
        close(lt.vmap(f)(arg), jax.vmap(jf)(arg))
        close(lt.jit(lt.vmap(f))(arg), jax.vmap(jf)(arg))
        close(lt.vmap(f, in_axes=1, out_axes=1)(arg),
              jax.vmap(jf, in_axes=1, out_axes=1)(arg))
    g = lambda x: lnp.sum(lnp.abs(lnp.fft.rfft(x)) ** 3)  # noqa: E731
    jg = lambda x: jnp.sum(jnp.abs(jnp.fft.rfft(x)) ** 3)  # noqa: E731
    close(lt.vmap(lt.grad(g))(X), jax.vmap(jax.grad(jg))(X))


def test_float32_stays_single_precision():
    x32 = X.astype(np.float32)
    assert lnp.fft.rfft(x32).dtype == np.complex64
    assert lnp.fft.fft(x32).dtype == np.complex64
    assert lnp.fft.irfft(lnp.fft.rfft(x32)).dtype == np.float32
    assert lt.jit(lambda x: lnp.fft.irfft(lnp.fft.rfft(x)))(x32).dtype == np.float32
    assert lt.grad(lambda x: lnp.sum(lnp.abs(lnp.fft.rfft(x))))(x32).dtype == np.float32


def test_shifts_and_frequencies():
    for x in (X, RNG.standard_normal(7), RNG.standard_normal((3, 5))):
        close(lnp.fft.fftshift(x), np.fft.fftshift(x))
        close(lnp.fft.ifftshift(x), np.fft.ifftshift(x))
        close(lnp.fft.fftshift(x, axes=0), np.fft.fftshift(x, axes=0))
        close(lnp.fft.ifftshift(x, axes=-1), np.fft.ifftshift(x, axes=-1))
        close(lnp.fft.ifftshift(lnp.fft.fftshift(x)), x)
    check_grads(lambda x: lnp.fft.fftshift(x) * x, [X], order=2)
    check_staged(lambda z: lnp.fft.ifftshift(z, axes=(0, 1)), [Z])
    for n, d in ((5, 1.0), (6, 0.1), (1, 2.0)):
        close(lnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d))
        close(lnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d))
    assert lnp.fft.fftfreq(4, dtype=np.float32).dtype == np.float32
    close(lt.grad(lambda d: lnp.sum(lnp.fft.fftfreq(6, d) ** 2))(0.5),
          jax.grad(lambda d: jnp.sum(jnp.fft.fftfreq(6, d) ** 2))(0.5))


def test_errors_name_the_function_and_argument():
    with pytest.raises(ValueError, match="fft: norm must be one of"):
        lnp.fft.fft(Z, norm="bad")
    with pytest.raises(TypeError, match="rfftn: expects a real input"):
        lnp.fft.rfft(Z)
    with pytest.raises(ValueError, match="fftn: s .* and axes .* have different lengths"):
        lnp.fft.fftn(Z, s=(2, 3), axes=(0,))
    with pytest.raises(ValueError, match="fftn: repeated axis"):
        lnp.fft.fftn(Z, axes=(0, 0))
    with pytest.raises(ValueError, match="fft: invalid number of data points"):
        lnp.fft.fft(Z, n=0)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        lnp.fft.fft(Z, axis=2)
    with pytest.raises(TypeError, match="n/s must be static integers"):
        lt.jit(lambda z, n: lnp.fft.fft(z, n=n))(Z, 3)
    with pytest.raises(TypeError, match=r"fft \(fft\): expects a complex input"):
        lt.jit(lambda x: F.fft(x, "fft", (6,)))(X)
    with pytest.raises(TypeError, match=r"fft \(irfft\): trailing axes must be"):
        lt.jit(lambda z: F.fft(z, "irfft", (6,)))(Z)
