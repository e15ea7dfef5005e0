"""Complex numbers: complex64/complex128 values, their parts, every elementwise function and
product on complex input, and JAX's derivative conventions (transpose = the plain linear
transpose under the pairing Re(sum(a * b)); ``grad`` of a real function of ``z = x + iy`` is
df/dx - i df/dy; ``holomorphic=True`` gives f'(z)). JAX is the oracle for every derivative
value; check_grads (finite differences along complex directions, and the dot-product test)
checks every rule to order 2 in both modes; eager == staged; vmap."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.core.avals import ShapedArray, concrete_aval, result_dtype
from lintra.core.errors import NonDifferentiableError
from lintra.test_util import check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

RNG = np.random.default_rng(0)


def crand(*shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def close(a, b, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


Z = crand(5)
A, B = crand(3, 4), crand(4, 2)

# ---------------------------------------------------------------- types


def test_complex_avals_and_promotion():
    assert concrete_aval(np.zeros(2, np.complex64)) == ShapedArray((2,), np.complex64)
    assert concrete_aval(1j).dtype == np.complex128 and concrete_aval(1j).weak_type
    assert ShapedArray((2,), np.complex64).is_float            # complex has a tangent space
    assert ShapedArray((2,), np.complex64).is_complex
    assert not ShapedArray((2,), np.int64).is_float
    assert ShapedArray((3,), np.complex128).str_short() == "c128[3]"
    f32, i64 = ShapedArray((), np.float32), ShapedArray((), np.int64)
    assert result_dtype(f32, concrete_aval(1j)) == np.complex64      # 1j * x32 (JAX)
    assert result_dtype(i64, concrete_aval(1j)) == np.complex128
    x32 = np.ones(3, np.float32)
    assert lt.jit(lambda x: 1j * x)(x32).dtype == np.complex64
    assert (1j * lnp.asarray(x32)).dtype == np.complex64
    assert lt.jit(lambda z: z * 2.0)(Z.astype(np.complex64)).dtype == np.complex64


def test_parts_and_casts_eager_and_staged():
    def parts(z):
        return (lnp.real(z), lnp.imag(z), lnp.conj(z), lnp.conjugate(z), lnp.angle(z),
                lnp.angle(z, deg=True), lnp.abs(z), z.real, z.imag, z.conj(),
                lnp.complex64(z), lnp.complex128(lnp.real(z)), lnp.astype(z, np.float64))
    want = (Z.real, Z.imag, Z.conj(), Z.conj(), np.angle(Z), np.angle(Z, deg=True), np.abs(Z),
            Z.real, Z.imag, Z.conj(), Z.astype(np.complex64), Z.real.astype(complex), Z.real)
    for got in (parts(Z), lt.jit(parts)(Z)):
        for g, w in zip(got, want):
            assert np.asarray(g).dtype == np.asarray(w).dtype
            close(g, w, rtol=1e-6)
    x = np.array([1.5, -2.0])
    close(lnp.real(x), x)
    close(lnp.imag(x), 0 * x)
    close(lnp.conj(x), x)
    close(lnp.angle(x), np.angle(x))
    assert lnp.iscomplexobj(Z) and not lnp.iscomplexobj(x) and lnp.isrealobj(x)
    close(lnp.iscomplex(np.array([1 + 0j, 1j])), [False, True])
    close(lnp.isreal(np.array([1 + 0j, 1j])), [True, False])
    assert np.zeros(2, lnp.complex64).dtype == np.complex64     # a dtype wherever NumPy is
    assert complex(lt.jit(lambda z: z)(np.complex128(1 + 2j))) == 1 + 2j


# ---------------------------------------------------------------- elementwise functions

UNARY = {
    "exp": (lnp.exp, jnp.exp, Z), "log": (lnp.log, jnp.log, Z),
    "sin": (lnp.sin, jnp.sin, Z), "cos": (lnp.cos, jnp.cos, Z), "tan": (lnp.tan, jnp.tan, Z),
    "sinh": (lnp.sinh, jnp.sinh, Z), "cosh": (lnp.cosh, jnp.cosh, Z),
    "tanh": (lnp.tanh, jnp.tanh, Z), "sqrt": (lnp.sqrt, jnp.sqrt, Z),
    "expm1": (lnp.expm1, jnp.expm1, Z), "log1p": (lnp.log1p, jnp.log1p, Z),
    "square": (lnp.square, jnp.square, Z), "reciprocal": (lnp.reciprocal, jnp.reciprocal, Z),
    "arcsin": (lnp.arcsin, jnp.arcsin, Z / 3), "arccos": (lnp.arccos, jnp.arccos, Z / 3),
    "arctan": (lnp.arctan, jnp.arctan, Z / 3), "arcsinh": (lnp.arcsinh, jnp.arcsinh, Z),
    "arccosh": (lnp.arccosh, jnp.arccosh, np.abs(Z.real) + 1j * Z.imag),  # see below
    "arctanh": (lnp.arctanh, jnp.arctanh, Z / 3),
    "log2": (lnp.log2, jnp.log2, Z), "log10": (lnp.log10, jnp.log10, Z),
    "exp2": (lnp.exp2, jnp.exp2, Z), "negative": (lnp.negative, jnp.negative, Z),
    "power2.5": (lambda z: z ** 2.5, lambda z: z ** 2.5, Z),
    "power3": (lambda z: z ** 3, lambda z: z ** 3, Z),
    "power_z": (lambda z: lnp.power(z, z), lambda z: jnp.power(z, z), Z),
    "abs": (lnp.abs, jnp.abs, Z), "angle": (lnp.angle, jnp.angle, Z),
    "real": (lnp.real, jnp.real, Z), "imag": (lnp.imag, jnp.imag, Z),
    "conj": (lnp.conj, jnp.conj, Z),
}


def _real_loss(mod, f):
    """A real scalar of ``f(z)`` that mixes its real and imaginary parts."""
    w = np.linspace(0.3, 1.7, 5)
    return lambda z: mod.sum(w * mod.real(f(z)) + w ** 2 * mod.imag(f(z) * (0.5 - 1j)))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_elementwise_values_and_grads_match_jax(name):
    f, jf, z = UNARY[name]
    close(f(z), jf(z), rtol=1e-10)
    want = jax.grad(_real_loss(jnp, jf))(z)
    close(lt.grad(_real_loss(lnp, f))(z), want, rtol=1e-8)                # eager
    close(lt.jit(lt.grad(_real_loss(lnp, f)))(z), want, rtol=1e-8)        # staged
    t = crand(5)
    _, jt = jax.jvp(jf, (z,), (t,))
    close(lt.jvp(f, (z,), (t,))[1], jt, rtol=1e-8)
    out, f_vjp = jax.vjp(jf, z)
    ct = crand(5) if np.iscomplexobj(out) else RNG.standard_normal(5)
    close(lt.vjp(f, z)[1](ct)[0], f_vjp(ct)[0], rtol=1e-8)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_elementwise_check_grads_order_2(name):
    f, _, z = UNARY[name]
    check_grads(f, [z], order=2)
    check_staged(f, [z])


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power"])
def test_binary_complex_and_mixed(name):
    op, jop = getattr(lnp, name), getattr(jnp, name)
    x = RNG.standard_normal(5)
    for args in ([Z, crand(5)], [Z, x], [x, Z]):
        check_grads(op, args, order=2)
        check_staged(op, args)
    jl = lambda a, b: jnp.sum(jnp.abs(jop(a, b)) ** 2)  # noqa: E731
    ll = lambda a, b: lnp.sum(lnp.abs(op(a, b)) ** 2)  # noqa: E731
    for g, w in zip(lt.grad(ll, (0, 1))(Z, x), jax.grad(jl, (0, 1))(Z, x)):
        close(g, w, rtol=1e-8)


def test_sign_of_complex_moves_with_z():
    """sign(z) = z/|z| is not piecewise constant off the real line: its derivative is checked
    by finite differences (JAX treats it as 0)."""
    check_grads(lnp.sign, [Z], order=2)
    close(lnp.sign(Z), Z / np.abs(Z))


def test_arccosh_derivative_on_the_principal_branch():
    """d/dz arccosh z = 1 / (sqrt(z - 1) sqrt(z + 1)) on NumPy's principal branch; JAX's
    1 / sqrt(z^2 - 1) has the wrong sign where Re z < 0, so finite differences are the oracle
    here (JAX agrees for Re z > 0, tested above)."""
    z = np.array([-0.5 + 1.2j, -1.3 - 0.4j, 0.7 + 0.2j])
    h = 1e-7
    fd = (np.arccosh(z + h) - np.arccosh(z - h)) / (2 * h)
    close(lt.vmap(lt.grad(lnp.arccosh, holomorphic=True))(z), fd, rtol=1e-6)
    check_grads(lnp.arccosh, [z], order=2)


def test_abs_at_zero_has_zero_derivative():
    z = np.array([0j, 1 + 1j])
    close(lt.grad(lambda z: lnp.sum(lnp.abs(z)))(z), jax.grad(lambda z: jnp.sum(jnp.abs(z)))(z))


# ---------------------------------------------------------------- conventions


def test_grad_of_real_function_is_the_conjugate_convention():
    """grad(f)(z) = df/dx - i df/dy: grad |z|^2 = 2 conj(z) (not 2 z), as in JAX."""
    z = np.complex128(1.0 + 2.0j)
    close(lt.grad(lambda z: lnp.abs(z) ** 2)(z), 2 * np.conj(z))
    close(lt.grad(lambda z: lnp.real(z * lnp.conj(z)))(z), 2 * np.conj(z))
    close(lt.grad(lambda z: lnp.imag(z))(z), -1j)
    close(lt.grad(lambda z: lnp.real(z))(z), 1.0)
    h = 1e-6                          # the definition, by finite differences
    f = lambda z: float(np.abs(np.sin(z)) ** 2 + np.real(z) * np.imag(z))  # noqa: E731
    fd = (f(z + h) - f(z - h)) / (2 * h) - 1j * (f(z + 1j * h) - f(z - 1j * h)) / (2 * h)
    close(lt.grad(lambda z: lnp.abs(lnp.sin(z)) ** 2 + lnp.real(z) * lnp.imag(z))(z), fd,
          rtol=1e-7)


def test_transposes_are_linear_not_adjoint():
    """Transpose of mul-by-c is mul-by-c; of real is ct + 0j; of imag -1j*ct; of conj conj."""
    c, ct = 0.5 - 2j, 1.5 + 0.25j
    z = np.complex128(0.3 + 0.7j)
    close(lt.vjp(lambda z: c * z, z)[1](ct)[0], c * ct)
    close(lt.vjp(lnp.real, z)[1](2.0)[0], 2.0 + 0j)
    close(lt.vjp(lnp.imag, z)[1](2.0)[0], -2.0j)
    close(lt.vjp(lnp.conj, z)[1](ct)[0], np.conj(ct))
    close(lt.vjp(lambda x: x * c, 0.5)[1](ct)[0], np.real(c * ct))      # R -> C
    x = np.array([1.0, 2.0])
    close(lt.linear_transpose(lambda t: t * c, Z[:2])(np.array([ct, ct]))[0], c * ct)
    close(lt.linear_transpose(lambda t: lnp.real(t), Z[:2])(x)[0], x + 0j)
    for f, jf in [(lnp.real, jnp.real), (lnp.imag, jnp.imag), (lnp.conj, jnp.conj),
                  (lambda z: lnp.complex64(z), lambda z: z.astype(jnp.complex64))]:
        out, jv = jax.vjp(jf, Z)
        cot = (crand(5) if np.iscomplexobj(out) else RNG.standard_normal(5)).astype(out.dtype)
        close(lt.vjp(f, Z)[1](cot)[0], jv(cot)[0], rtol=1e-6)


def test_holomorphic_grad_jacrev_jacfwd_match_jax():
    f = lambda z: lnp.sin(z) * z ** 2 + lnp.exp(1j * z)  # noqa: E731
    jf = lambda z: jnp.sin(z) * z ** 2 + jnp.exp(1j * z)  # noqa: E731
    z = np.complex128(0.4 - 1.1j)
    want = jax.grad(jf, holomorphic=True)(z)
    close(want, np.cos(z) * z ** 2 + 2 * z * np.sin(z) + 1j * np.exp(1j * z))
    close(lt.grad(f, holomorphic=True)(z), want)
    close(lt.jit(lt.grad(f, holomorphic=True))(z), want)
    close(lt.grad(lt.grad(f, holomorphic=True), holomorphic=True)(z),
          jax.grad(jax.grad(jf, holomorphic=True), holomorphic=True)(z))
    g = lambda z: lnp.tanh(z) * z[::-1]  # noqa: E731
    jg = lambda z: jnp.tanh(z) * z[::-1]  # noqa: E731
    want = jax.jacrev(jg, holomorphic=True)(Z)
    close(lt.jacrev(g, holomorphic=True)(Z), want)
    close(lt.jacfwd(g, holomorphic=True)(Z), want)
    close(lt.hessian(lambda z: lnp.sum(lnp.exp(z) * z), holomorphic=True)(Z[:3]),
          jax.hessian(lambda z: jnp.sum(jnp.exp(z) * z), holomorphic=True)(Z[:3]))


def test_jvp_vjp_on_nonholomorphic_maps_match_jax():
    f = lambda z, x: z * lnp.conj(z) * x + lnp.abs(z) * lnp.sin(z)  # noqa: E731
    jf = lambda z, x: z * jnp.conj(z) * x + jnp.abs(z) * jnp.sin(z)  # noqa: E731
    x = RNG.standard_normal(5)
    tz, tx = crand(5), RNG.standard_normal(5)
    close(lt.jvp(f, (Z, x), (tz, tx))[1], jax.jvp(jf, (Z, x), (tz, tx))[1])
    close(lt.jit(lambda *a: lt.jvp(f, a[:2], a[2:])[1])(Z, x, tz, tx),
          jax.jvp(jf, (Z, x), (tz, tx))[1])
    ct = crand(5)
    for g, w in zip(lt.vjp(f, Z, x)[1](ct), jax.vjp(jf, Z, x)[1](ct)):
        close(g, w)
    for g, w in zip(lt.jit(lambda *a: lt.vjp(f, *a[:2])[1](a[2]))(Z, x, ct),
                    jax.vjp(jf, Z, x)[1](ct)):
        close(g, w)
    check_grads(f, [Z, x], order=2)


def test_real_to_real_through_complex_intermediates():
    f = lambda x: lnp.sum(lnp.real(lnp.exp(1j * x) * (x + 2j)) ** 2)  # noqa: E731
    jf = lambda x: jnp.sum(jnp.real(jnp.exp(1j * x) * (x + 2j)) ** 2)  # noqa: E731
    x = RNG.standard_normal(4)
    close(lt.grad(f)(x), jax.grad(jf)(x))
    close(lt.jit(lt.grad(f))(x), jax.grad(jf)(x))
    close(lt.hessian(f)(x), jax.hessian(jf)(x))
    check_grads(f, [x], order=2)


# ---------------------------------------------------------------- products and reductions

PRODUCTS = {
    "dot": (lnp.dot, jnp.dot, (A, B)),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, (A, B)),
    "einsum": (lambda a, b: lnp.einsum("ij,jk->ik", a, b),
               lambda a, b: jnp.einsum("ij,jk->ik", a, b), (A, B)),
    "mixed_matvec": (lambda a, x: a @ x, lambda a, x: a @ x, (A, RNG.standard_normal(4))),
    "vdot": (lnp.vdot, jnp.vdot, (A[0], B[:, 0])),
    "sum": (lambda a: lnp.sum(a, axis=0), lambda a: jnp.sum(a, axis=0), (A,)),
    "mean": (lnp.mean, jnp.mean, (A,)),
    "prod": (lambda a: lnp.prod(a, axis=1), lambda a: jnp.prod(a, axis=1), (A,)),
    "cumsum": (lambda a: lnp.cumsum(a, axis=1), lambda a: jnp.cumsum(a, axis=1), (A,)),
    "var": (lnp.var, jnp.var, (A,)),
    "std": (lambda a: lnp.std(a, axis=1), lambda a: jnp.std(a, axis=1), (A,)),
    "norm": (lnp.linalg.norm, jnp.linalg.norm, (A,)),
    "transpose_conj": (lambda a: a.T.conj() * a[0, 0], lambda a: a.T.conj() * a[0, 0], (A,)),
    "index": (lambda a: a[1:, ::2] * a[0, 1], lambda a: a[1:, ::2] * a[0, 1], (A,)),
    "where": (lambda a: lnp.where(lnp.abs(a) > 1, a, a * a),
              lambda a: jnp.where(jnp.abs(a) > 1, a, a * a), (A,)),
    "concatenate": (lambda a, b: lnp.concatenate([a, b.T]),
                    lambda a, b: jnp.concatenate([a, b.T]), (A, B)),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_products_and_reductions(name):
    f, jf, args = PRODUCTS[name]
    close(f(*args), jf(*args))
    check_grads(f, args, order=2)
    check_staged(f, args)
    nums = tuple(range(len(args)))
    loss = lambda m, g: lambda *a: m.sum(m.abs(g(*a)) ** 2)  # noqa: E731
    for g, w in zip(lt.grad(loss(lnp, f), nums)(*args), jax.grad(loss(jnp, jf), nums)(*args)):
        close(g, w)


# ---------------------------------------------------------------- vmap


def test_vmap_of_complex_functions_and_their_grads():
    zs = crand(3, 5)
    f = lambda z: lnp.sum(lnp.abs(lnp.sin(z) * lnp.conj(z)) ** 2)  # noqa: E731
    jf = lambda z: jnp.sum(jnp.abs(jnp.sin(z) * jnp.conj(z)) ** 2)  # noqa: E731
    close(lt.vmap(f)(zs), jax.vmap(jf)(zs))
    close(lt.vmap(lt.grad(f))(zs), jax.vmap(jax.grad(jf))(zs))
    close(lt.jit(lt.vmap(lt.grad(f)))(zs), jax.vmap(jax.grad(jf))(zs))
    close(lt.vmap(lambda z: (lnp.real(z), lnp.imag(z), lnp.angle(z)))(zs)[2], np.angle(zs))
    h = lambda z: lnp.exp(z) * z  # noqa: E731
    close(lt.vmap(lt.grad(lambda z: h(z), holomorphic=True))(zs[0]),
          jax.vmap(jax.grad(lambda z: jnp.exp(z) * z, holomorphic=True))(zs[0]))


# ---------------------------------------------------------------- errors


def test_grad_of_complex_output_needs_holomorphic():
    with pytest.raises(NonDifferentiableError, match="grad requires real-valued outputs.*"
                                                     "holomorphic=True"):
        lt.grad(lnp.sin)(np.complex128(1j))
    with pytest.raises(NonDifferentiableError, match="jacrev requires real-valued outputs"):
        lt.jacrev(lnp.sin)(Z)
    with pytest.raises(NonDifferentiableError, match="holomorphic=True requires complex inputs"):
        lt.grad(lnp.sin, holomorphic=True)(1.0)
    with pytest.raises(NonDifferentiableError, match="holomorphic=True requires a complex "
                                                     "output"):
        lt.grad(lnp.abs, holomorphic=True)(np.complex128(1j))
    with pytest.raises(NonDifferentiableError, match="jacfwd requires real-valued inputs"):
        lt.jacfwd(lnp.sin)(Z)


def test_complex_type_errors_name_the_function():
    with pytest.raises(TypeError, match="lt expects a real"):
        lt.jit(lambda z: z < 1.0)(Z)
    with pytest.raises(TypeError, match="max expects a real"):
        lt.jit(lambda z: lnp.maximum(z, 1.0))(Z)
    with pytest.raises(TypeError, match="erf expects a real floating-point"):
        lt.jit(lnp.erf)(Z)
    with pytest.raises(TypeError, match="floor expects a real"):
        lt.jit(lambda z: lnp.floor(z))(Z)
    with pytest.raises(TypeError, match="real expects a complex"):
        lt.jit(lambda x: lt.ops.complex.real_p.bind(x))(np.ones(2))


# ---------------------------------------------------------------- linear algebra on complex

SQ = crand(3, 3) + 3 * np.eye(3)
HERM = SQ @ SQ.conj().T
LINALG = {
    "solve": (lnp.linalg.solve, jnp.linalg.solve, (SQ, crand(3))),
    "inv": (lnp.linalg.inv, jnp.linalg.inv, (SQ,)),
    "det": (lnp.linalg.det, jnp.linalg.det, (SQ,)),
    "slogdet_sign": (lambda a: lnp.linalg.slogdet(a)[0], lambda a: jnp.linalg.slogdet(a)[0],
                     (SQ,)),
    "slogdet_log": (lambda a: lnp.linalg.slogdet(a)[1], lambda a: jnp.linalg.slogdet(a)[1],
                    (SQ,)),
    "cholesky": (lnp.linalg.cholesky, jnp.linalg.cholesky, (HERM,)),
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_on_complex(name):
    f, jf, args = LINALG[name]
    out = f(*args)
    assert np.asarray(out).dtype == np.asarray(jf(*args)).dtype
    close(out, jf(*args), rtol=1e-8)
    check_grads(f, args, order=2)
    check_staged(f, args)
    nums = tuple(range(len(args)))
    loss = lambda m, g: lambda *a: m.sum(m.abs(g(*a)) ** 2 + m.real(g(*a)))  # noqa: E731
    for g, w in zip(lt.grad(loss(lnp, f), nums)(*args), jax.grad(loss(jnp, jf), nums)(*args)):
        close(g, w, rtol=1e-8)


def test_numpy_helpers_on_complex():
    z = np.array([1.26 + 2.3j, 0.7 - 1.37j, 0j])
    for name in ("isfinite", "isnan", "isinf", "round", "float_power", "sinc", "square",
                 "positive", "negative"):
        args = (z, z) if name == "float_power" else (z,)
        with np.errstate(all="ignore"):
            want = getattr(np, name)(*args)
            close(getattr(lnp, name)(*args), want)
            close(lt.jit(getattr(lnp, name))(*args), want)
    close(lnp.round(z, 1), np.round(z, 1))
    check_grads(lambda z: lnp.float_power(z, 2.5) + lnp.round(z) * z, [z[:2]], order=2)


def test_complex_from_real_and_imaginary_parts():
    from lintra.ops import complex as C
    re, im = RNG.standard_normal(3), RNG.standard_normal(())
    close(C.complex(re, im), re + 1j * im)
    assert C.complex(1, 2) == 1 + 2j
    assert C.complex(np.float32(1), np.ones(2, np.float32)).dtype == np.complex64
    check_grads(C.complex, [re, im], order=2)          # transpose: (Re ct, -Im ct)
    check_staged(C.complex, [re, im])
    close(lt.vmap(C.complex)(re, 2 * re), re + 2j * re)
    close(lt.vjp(C.complex, 1.0, 2.0)[1](3.0 + 4.0j), (3.0, -4.0))
    with pytest.raises(TypeError, match="complex: expects real parts"):
        C.complex(Z, 1.0)


def test_vjp_of_a_real_output_takes_a_real_cotangent():
    with pytest.raises(TypeError, match="vjp: cotangent 0 is complex .* the output is real"):
        lt.vjp(lnp.abs, Z)[1](Z)
    close(lt.vjp(lnp.sin, Z)[1](np.ones(5))[0], np.cos(Z))   # real cotangent, complex output
