"""Properties of the derived transformations (design §5, §10)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.ad.jvp import jvp_program
from lintra.ad.linearity import check_linear
from lintra.test_util import check_grads, check_staged

floats = st.floats(-2.0, 2.0, allow_nan=False)


def vec(n=3):
    return st.lists(floats, min_size=n, max_size=n).map(np.array)


# A family of programs used throughout: scalar chains, broadcasting, reductions, fan-out.
PROGRAMS = {
    "chain": lambda x: lnp.sum(lnp.sin(lnp.cos(x) * x) + lnp.exp(x * 0.3)),
    "fanout": lambda x: lnp.sum(x * x * x - lnp.tanh(x) * x),
    "broadcast": lambda x: lnp.sum(lnp.reshape(x, (3, 1)) * x + 1.0),
    "max": lambda x: lnp.max(lnp.sin(x) + np.array([0.0, 3.0, 6.0])) + lnp.mean(x ** 2),
    "twoarg": lambda x: lnp.sum(lnp.arctan2(x, 1.5 + x * x)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@given(x=vec())
def test_grads_and_staging(name, x):
    f = PROGRAMS[name]
    check_grads(f, (x,), order=2)
    check_staged(f, (x,))
    check_staged(lt.grad(f), (x,))
    # atol: subnormal gradients may be flushed to zero by a compiled backend (XLA on CPU)
    np.testing.assert_allclose(lt.jit(lt.grad(f))(x), lt.grad(f)(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(lt.grad(lt.jit(f))(x), lt.grad(f)(x), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@given(x=vec(), t=vec())
def test_linearize_equals_jvp(name, x, t):
    f = PROGRAMS[name]
    y, f_lin = lt.linearize(f, x)
    y2, ty = lt.jvp(f, (x,), (t,))
    np.testing.assert_allclose(y, y2, rtol=1e-12)
    np.testing.assert_allclose(f_lin(t), ty, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_linear_programs_are_linear_and_typecheck(name):
    x = np.array([0.1, -0.4, 0.9])
    _, f_lin = lt.linearize(PROGRAMS[name], x)
    lin = f_lin.linear_function
    lt.typecheck(lin.program)
    n_res = len(lin.residuals)
    check_linear(lin.program, [False] * n_res + [True] * (len(lin.program.params) - n_res))
    # the transposed program type-checks too
    for p in (lt.make_program(lt.grad(PROGRAMS[name]))(x),
              lt.make_program(lt.grad(lt.jit(PROGRAMS[name])))(x)):
        lt.typecheck(p)


@given(x=vec(), ct=vec())
def test_transpose_of_transpose_is_original(x, ct):
    a = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 0.0, 1.0]])

    def f(v):
        return lnp.sum(lnp.reshape(v, (1, 3)) * a, axis=1) - 2.0 * v

    ft = lt.linear_transpose(f, x)
    ftt = lt.linear_transpose(lambda c: ft(c)[0], ct)
    np.testing.assert_allclose(ftt(x)[0], f(x), rtol=1e-12)
    # and the dot-product test on the transpose itself
    np.testing.assert_allclose(np.dot(ct, f(x)), np.dot(ft(ct)[0], x), rtol=1e-10, atol=1e-12)


def test_linear_transpose_rejects_nonlinear_function():
    with pytest.raises(lt.NonLinearError, match="sin"):
        lt.linear_transpose(lnp.sin, 1.0)
    with pytest.raises(lt.NonLinearError, match="affine"):
        lt.linear_transpose(lambda x: x + 1.0, 1.0)
    with pytest.raises(lt.NonLinearError, match="two linear"):
        lt.linear_transpose(lambda x: x * x, 1.0)


def _jvp_program_of(f, x):
    prog = lt.make_program(f)(x)
    jprog, _ = jvp_program(prog, (True,) * len(prog.params))
    return prog, jprog


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_unzip_conserves_equations_and_composes(name):
    x = np.array([0.2, 0.5, -0.7])
    t = np.array([1.0, -2.0, 0.5])
    _, jprog = _jvp_program_of(PROGRAMS[name], x)
    n_in = len(jprog.params) // 2
    u = lt.unzip_program(jprog, [False] * n_in + [True] * n_in)
    assert len(u.known.eqns) + len(u.unknown.eqns) == len(jprog.eqns)
    lt.typecheck(u.known)
    lt.typecheck(u.unknown)
    check_linear(u.unknown, [False] * u.num_residuals + [True] * n_in)
    # composing the halves equals the original program
    from lintra.core.eval import eval_program
    full = eval_program(jprog, [x, t])
    known = eval_program(u.known, [x])
    res = known[len(known) - u.num_residuals:]
    unknown = eval_program(u.unknown, res + [t])
    k_it, u_it = iter(known), iter(unknown)
    for val, is_unknown in zip(full, u.out_unknowns):
        np.testing.assert_allclose(next(u_it) if is_unknown else next(k_it), val, rtol=1e-12)


def test_unzip_policy_recomputes_instead_of_saving():
    x = np.array([0.3, 0.6])

    def f(x):
        for _ in range(5):
            x = lnp.sin(x)
        return lnp.sum(x)

    _, jprog = _jvp_program_of(f, x)
    u_save = lt.unzip_program(jprog, [False, True])
    u_remat = lt.unzip_program(jprog, [False, True], policy=lambda eqn: False)
    assert u_remat.num_residuals < u_save.num_residuals
    assert u_remat.num_residuals == 1            # only the input is kept
    assert u_remat.num_recomputed > 0
    assert (len(u_remat.known.eqns) + len(u_remat.unknown.eqns)
            >= len(jprog.eqns))
    from lintra.core.eval import eval_program
    a = eval_program(u_save.unknown, eval_program(u_save.known, [x])[1:] + [np.ones(2)])
    b = eval_program(u_remat.unknown, eval_program(u_remat.known, [x])[1:] + [np.ones(2)])
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_nested_modes():
    f = lambda x: lnp.sin(x) * x ** 3
    d2 = lambda x: -np.sin(x) * x ** 3 + 6 * np.cos(x) * x ** 2 + 6 * x * np.sin(x)
    x = 0.7
    np.testing.assert_allclose(lt.grad(lt.grad(f))(x), d2(x), rtol=1e-12)
    np.testing.assert_allclose(lt.jvp(lt.grad(f), (x,), (1.0,))[1], d2(x), rtol=1e-12)
    np.testing.assert_allclose(lt.grad(lambda y: lt.jvp(f, (y,), (1.0,))[1])(x), d2(x),
                               rtol=1e-12)
    np.testing.assert_allclose(lt.jit(lt.grad(lt.jit(lt.grad(f))))(x), d2(x), rtol=1e-12)
    np.testing.assert_allclose(lt.hessian(f)(x), d2(x), rtol=1e-12)


def test_no_perturbation_confusion():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x
    assert lt.grad(lambda x: x * lt.grad(lambda y: x * y)(1.0))(3.0) == 6.0
    assert lt.jit(lt.grad(lambda x: x * lt.grad(lambda y: x * y)(1.0)))(3.0) == 6.0
    # Siskind & Pearlmutter's example: d/dx (x * (d/dy (x + y))(1)) at 1 is 1
    assert lt.jvp(lambda x: x * lt.jvp(lambda y: x + y, (1.0,), (1.0,))[1],
                  (1.0,), (1.0,))[1] == 1.0


def test_value_and_grad_argnums_has_aux():
    def f(x, y, scale):
        return scale * lnp.sum(x * y), {"norm": lnp.sum(x * x)}

    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    (val, aux), (gx, gy) = lt.value_and_grad(f, argnums=(0, 1), has_aux=True)(x, y, 2.0)
    assert val == 2.0 * (3.0 - 2.0)
    assert aux["norm"] == 5.0
    np.testing.assert_array_equal(gx, 2.0 * y)
    np.testing.assert_array_equal(gy, 2.0 * x)
    g, aux = lt.grad(f, has_aux=True)(x, y, 1.0)
    np.testing.assert_array_equal(g, y)


def _parts(x):
    return lnp.sum(x * np.array([1.0, 0.0])), lnp.sum(x * np.array([0.0, 1.0]))


def test_jacobians_and_hessian_known_values():
    def f(x):
        x0, x1 = _parts(x)
        return lnp.stack([x0 * x1, lnp.sin(x0), x1 ** 2])

    x = np.array([0.5, 2.0])
    expected = np.array([[x[1], x[0]], [np.cos(x[0]), 0.0], [0.0, 2 * x[1]]])
    np.testing.assert_allclose(lt.jacfwd(f)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(lt.jacrev(f)(x), expected, rtol=1e-12)
    h = lt.hessian(lambda x: _parts(x)[0] ** 2 * _parts(x)[1] + lnp.exp(_parts(x)[1]))(x)
    np.testing.assert_allclose(h, [[2 * x[1], 2 * x[0]], [2 * x[0], np.exp(x[1])]],
                               rtol=1e-12)


def test_jacobian_shapes_with_matrices():
    a = np.arange(6.0).reshape(2, 3)
    j = lt.jacrev(lambda m: m * 2.0)(a)
    assert j.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(j.reshape(6, 6), 2.0 * np.eye(6))
    np.testing.assert_array_equal(lt.jacfwd(lambda m: m * 2.0)(a), j)


def test_stop_gradient():
    f = lambda x: x * lt.stop_gradient(x)
    assert lt.grad(f)(3.0) == 3.0
    assert lt.jvp(f, (3.0,), (1.0,))[1] == 3.0


def test_integer_inputs_have_no_tangent_but_may_be_passed():
    f = lambda x, n: x * n
    assert lt.grad(f)(2.0, 3) == 3.0
    _, f_vjp = lt.vjp(f, 2.0, 3)
    gx, gn = f_vjp(1.0)
    assert gx == 3.0 and gn == 0


def test_eager_grad_allows_python_control_flow():
    def f(x):
        if x > 0:
            return x * x
        return -x

    assert lt.grad(f)(3.0) == 6.0
    assert lt.grad(f)(-3.0) == -1.0


def test_jit_caches_per_types_and_static_args():
    calls = []

    def f(x, n):
        calls.append(1)
        return x * n

    g = lt.jit(f, static_argnums=1)
    g(1.0, 2)
    g(2.0, 2)
    assert len(calls) == 1
    g(np.float32(2.0), 2)
    g(2.0, 3)
    g(np.ones(3), 3)
    assert len(calls) == 4


@pytest.mark.parametrize("backend", ["interpret", "native"])
def test_python_scalar_arguments_of_jit_are_weakly_typed(backend):
    """As in JAX: a Python float passed to a jitted function does not promote a float32
    array (a NumPy float64 scalar or array does), under jit, grad and vmap alike."""
    x32 = np.arange(3.0, dtype=np.float32)
    f = lt.jit(lambda x, a: x * a + 1, backend=backend)
    assert f(x32, 2.0).dtype == np.float32
    np.testing.assert_array_equal(f(x32, 2.0), [1.0, 3.0, 5.0])
    assert f(x32, np.float64(2.0)).dtype == np.float64
    assert f(x32, np.array(2.0)).dtype == np.float64
    assert f(x32, 2).dtype == np.float32
    g = lt.jit(lt.grad(lambda a, x: lnp.sum(x * a)), backend=backend)
    ga = g(2.0, x32)
    assert float(ga) == 3.0
    v = lt.jit(lt.vmap(lambda x, a: x * a, in_axes=(0, None)), backend=backend)
    assert v(x32, 0.5).dtype == np.float32


def test_dce_removes_dead_equations():
    def f(x):
        unused = lnp.exp(x) * 3.0  # noqa: F841
        return lnp.sin(x)

    p = lt.make_program(f)(1.0)
    assert [e.prim.name for e in lt.dce(p).eqns] == ["sin"]


def test_pretty_printer_is_readable():
    p = lt.make_program(lambda x, y: lnp.sin(x) * y + 2.0)(1.0, np.ones(3))
    s = str(p)
    assert "lambda a:f64[] b:f64[3]" in s
    assert "sin a" in s and "mul" in s and "add" in s


def test_agrees_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    pairs = [
        (PROGRAMS["chain"], lambda x: jnp.sum(jnp.sin(jnp.cos(x) * x) + jnp.exp(x * 0.3))),
        (PROGRAMS["fanout"], lambda x: jnp.sum(x * x * x - jnp.tanh(x) * x)),
        (PROGRAMS["broadcast"], lambda x: jnp.sum(jnp.reshape(x, (3, 1)) * x + 1.0)),
        (PROGRAMS["twoarg"], lambda x: jnp.sum(jnp.arctan2(x, 1.5 + x * x))),
    ]
    x = np.array([0.4, -1.1, 0.8])
    for f, jf in pairs:
        np.testing.assert_allclose(lt.grad(f)(x), jax.grad(jf)(x), rtol=1e-12)
        np.testing.assert_allclose(lt.jit(lt.grad(f))(x), jax.grad(jf)(x), rtol=1e-12)
        np.testing.assert_allclose(lt.hessian(f)(x), jax.hessian(jf)(x), rtol=1e-10)
        np.testing.assert_allclose(lt.jacrev(lt.grad(f))(x), jax.hessian(jf)(x), rtol=1e-10)
        v = np.array([1.0, -0.5, 2.0])
        np.testing.assert_allclose(lt.jvp(lt.grad(f), (x,), (v,))[1],
                                   jax.jvp(jax.grad(jf), (x,), (v,))[1], rtol=1e-10)
